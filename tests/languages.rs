//! A scripted classroom over real sockets, legacy and v2 clients side by side, once in French
//! and once in English: every text a person is shown (the server's messages to legacy
//! clients, error messages, `command` answers, `system` notices) is in the server's language.

mod common;

use classcord::config::Language;
use common::{Client, TestServer};
use serde_json::{json, Value};

/// Words that only an English sentence of the server has.
const ENGLISH: &[&str] = &[
    "the", "you", "your", "is", "was", "were", "not", "are", "and", "has", "have", "for", "may",
    "only", "online", "with", "been", "teacher", "teachers", "joined", "asks", "cannot", "failed",
    "server", "stops", "commands", "members", "nobody", "asking", "request", "muted", "kicked",
    "banned", "sent", "everyone", "room", "rooms", "already", "exists", "back",
];

/// Words that only a French sentence of the server has.
const FRENCH: &[&str] = &[
    "vous",
    "est",
    "le",
    "la",
    "les",
    "des",
    "une",
    "un",
    "pas",
    "été",
    "votre",
    "vos",
    "salon",
    "salons",
    "enseignant",
    "enseignants",
    "serveur",
    "connecté",
    "demande",
    "muet",
    "expulsé",
    "banni",
    "commandes",
    "membres",
    "présents",
    "personne",
    "dans",
    "pour",
    "avec",
    "arrêt",
    "annulé",
    "annonce",
    "envoyée",
    "refusée",
    "déjà",
    "existe",
    "peut",
    "ligne",
];

/// What a person reads in one line from the server.
fn shown(line: &Value) -> Vec<String> {
    let text = |value: &Value| value.as_str().map(str::to_owned);
    match line["type"].as_str() {
        Some("message") if line["from"] == "Serveur" => {
            text(&line["content"]).into_iter().collect()
        }
        Some("error") | Some("system") => text(&line["message"]).into_iter().collect(),
        Some("command") => line["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(text)
            .collect(),
        _ => Vec::new(),
    }
}

/// Everything a connection was sent until now (a `users` round trip), in order.
async fn drain(client: &mut Client) -> Vec<Value> {
    client.send(json!({"type": "users"})).await;
    let mut lines = Vec::new();
    loop {
        let line = client.recv().await;
        if line["type"] == "users" {
            return lines;
        }
        lines.push(line);
    }
}

/// Everything a connection was sent until the server closed it.
async fn drain_until_closed(client: &mut Client) -> Vec<Value> {
    let mut lines = Vec::new();
    while let Some(line) = client.try_recv_raw().await {
        lines.push(serde_json::from_slice(&line).unwrap());
    }
    lines
}

struct Classroom {
    server: TestServer,
    texts: Vec<String>,
}

impl Classroom {
    fn note(&mut self, lines: &[Value]) {
        for line in lines {
            self.texts.extend(shown(line));
        }
    }

    async fn read(&mut self, client: &mut Client) -> Vec<Value> {
        let lines = drain(client).await;
        self.note(&lines);
        lines
    }

    async fn legacy(&self, name: &str) -> Client {
        self.server.user(name).await
    }

    async fn v2(&self, name: &str) -> Client {
        let mut client = self.server.client().await;
        client.send(json!({"type": "hello", "version": 2})).await;
        client.recv_type("hello").await;
        client.register(name, "secret").await;
        client.login(name, "secret").await;
        client
    }

    /// A fresh connection's login, as a refused student tries again.
    async fn login_again(&mut self, name: &str) -> Value {
        let mut client = self.server.client().await;
        let reply = client.try_login(name, "secret").await;
        self.note(std::slice::from_ref(&reply));
        reply
    }
}

/// The whole script; returns every text people read.
async fn classroom(language: Language) -> Vec<String> {
    let server = TestServer::start_with(|config| config.server.language = language).await;
    let mut class = Classroom {
        server,
        texts: Vec::new(),
    };
    let mut admin = class.server.user_with_role("direction", "admin").await;
    let mut prof = class.server.user_with_role("prof", "moderator").await;
    let mut zoe = class.legacy("Zoé Élève").await;
    let mut lea = class.legacy("lea").await;
    let mut eleve = class.v2("eleve").await;
    for client in [&mut admin, &mut prof, &mut zoe, &mut lea, &mut eleve] {
        drain(client).await;
    }

    // Every command of /help, by a teacher and by a student, in both spellings.
    for command in [
        "/help", "/aide", "/who", "/qui", "/rooms", "/salons", "/leave", "/quitter",
    ] {
        prof.say(command).await;
        lea.say(command).await;
    }
    for action in ["help", "who", "rooms"] {
        eleve
            .send(json!({"type": "command", "action": action}))
            .await;
    }
    class.read(&mut prof).await;
    let help = class.read(&mut lea).await;
    // A legacy client reads each answer as one message.
    assert_eq!(help.len(), 8, "{help:?}");
    class.read(&mut eleve).await;

    // Refusals: a student's teacher commands, a teacher's mistakes and limits.
    for command in [
        "/kick prof",
        "/expulser prof",
        "/kill",
        "/room create #x open",
    ] {
        lea.say(command).await;
    }
    for command in [
        "/kick",
        "/kick inconnu",
        "/mute lea 10x",
        "/mute lea 0s",
        "/room open #x",
        "/shutdown 10",
        "/kick prof",
        "/kick direction",
        "/unmute lea",
        "/unban lea",
        "/accept lea #nulle-part",
        "/notice",
    ] {
        prof.say(command).await;
    }
    eleve
        .send(json!({"type": "message", "channel": "#absent", "content": "x"}))
        .await;
    eleve.send_raw(b"{nope\n").await;
    eleve.send(json!({"type": "dance"})).await;
    eleve
        .send(json!({"type": "login", "username": 5, "password": "x"}))
        .await;
    eleve
        .send(json!({"type": "message", "to": "eleve", "subtype": "private", "content": "x"}))
        .await;
    class.read(&mut lea).await;
    class.read(&mut prof).await;
    let refused = class.read(&mut eleve).await;
    assert!(refused.iter().all(|l| l["type"] == "error"), "{refused:?}");

    // A moderated room: a request, accepted; another, rejected; an invitation; closing.
    prof.say("/salon creer #devoirs modere").await;
    class.read(&mut prof).await;
    lea.say("/rejoindre #devoirs").await;
    class.read(&mut lea).await;
    eleve
        .send(json!({"type": "join", "channel": "#devoirs"}))
        .await;
    let pending = class.read(&mut eleve).await;
    assert_eq!(pending[0]["code"], "join_pending", "{pending:?}");
    class.read(&mut prof).await;
    prof.say("/room members #devoirs").await;
    prof.say("/accepter lea #devoirs").await;
    prof.say("/refuser eleve #devoirs xyz").await;
    class.read(&mut prof).await;
    class.read(&mut lea).await;
    class.read(&mut eleve).await;
    lea.say("/quitter").await;
    prof.say("/inviter zoé élève #devoirs").await;
    prof.say("/salon fermer #devoirs").await;
    class.read(&mut lea).await;
    class.read(&mut prof).await;
    class.read(&mut zoe).await;

    // A muted student writing, legacy and v2; the mute lifted.
    prof.say("/muet lea 5m").await;
    prof.say("/mute eleve").await;
    class.read(&mut prof).await;
    class.read(&mut lea).await;
    class.read(&mut eleve).await;
    lea.say("xyz").await;
    eleve
        .send(json!({"type": "message", "content": "xyz"}))
        .await;
    let muted = class.read(&mut eleve).await;
    assert_eq!(muted[0]["code"], "muted", "{muted:?}");
    class.read(&mut lea).await;
    prof.say("/parole lea").await;
    prof.say("/unmute eleve").await;
    class.read(&mut prof).await;
    class.read(&mut lea).await;
    class.read(&mut eleve).await;

    // A private message typed in the global box reaches its addressee only.
    lea.say("/pm prof xyz").await;
    class.read(&mut lea).await;
    let private = class.read(&mut prof).await;
    assert!(
        private
            .iter()
            .any(|l| l["subtype"] == "private" && l["content"] == "xyz" && l["from"] == "lea"),
        "{private:?}"
    );

    // A kicked student whose name has a space and an accent; the teacher's answer comes
    // after her departure, as the last line of the burst.
    prof.say("/kick \"Zoé Élève\" 5m bavardage").await;
    let told = drain_until_closed(&mut zoe).await;
    class.note(&told);
    assert!(!told.is_empty());
    let burst = class.read(&mut prof).await;
    let gone = burst
        .iter()
        .position(|l| l["type"] == "status" && l["user"] == "Zoé Élève" && l["state"] == "offline")
        .expect("the teacher sees her leave");
    assert!(
        burst[gone..].iter().any(|l| !shown(l).is_empty()),
        "{burst:?}"
    );
    assert_eq!(burst.last().map(|l| shown(l).len()), Some(1), "{burst:?}");
    let again = class.login_again("Zoé Élève").await;
    assert_eq!(again["code"], "login_failed", "{again}");

    // A banned student, told why, and refused at the next login; then unbanned.
    prof.say("/bannir lea xyz").await;
    class.note(&drain_until_closed(&mut lea).await);
    class.read(&mut prof).await;
    let again = class.login_again("lea").await;
    assert_eq!(again["code"], "login_failed", "{again}");
    prof.say("/debannir lea").await;
    prof.say("/annonce xyz").await;
    class.read(&mut prof).await;
    class.read(&mut eleve).await;

    // The same name again: the contract keeps `already exists` in the refusal.
    let mut newcomer = class.server.client().await;
    newcomer
        .send(json!({"type": "register", "username": "prof", "password": "x"}))
        .await;
    let taken = newcomer.recv().await;
    assert!(
        taken["message"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{taken}"
    );
    class.note(&[taken]);

    // The countdown, its cancel, and the stop notice.
    admin.say("/kill 30").await;
    class.read(&mut admin).await;
    class.read(&mut eleve).await;
    admin.say("/arret annuler").await;
    class.read(&mut admin).await;
    class.read(&mut eleve).await;
    class.read(&mut prof).await;
    class.server.stop().await;
    class.note(&drain_until_closed(&mut eleve).await);
    class.note(&drain_until_closed(&mut prof).await);
    class.texts
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphabetic() && c != '\'')
        .flat_map(|word| word.split('\''))
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The texts that contain a word of `foreign`.
fn with_words_of(texts: &[String], foreign: &[&str]) -> Vec<String> {
    texts
        .iter()
        .filter(|text| {
            let text = text.replace("(already exists)", "");
            words(&text)
                .iter()
                .any(|word| foreign.contains(&word.as_str()))
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_french_classroom_reads_no_english() {
    let texts = classroom(Language::Fr).await;
    if std::env::var_os("SHOW_TEXTS").is_some() {
        eprintln!("{texts:#?}");
    }
    assert!(texts.len() > 60, "{} texts: {texts:#?}", texts.len());
    let english = with_words_of(&texts, ENGLISH);
    assert!(english.is_empty(), "English in French texts: {english:#?}");
    // The script reached what it meant to: some of the sentences, as a teacher reads them.
    for expected in [
        "Zoé Élève a été expulsé pour 5 minutes.",
        "/expulser est réservé aux enseignants : rien n'a été fait.",
        "Arrêt du serveur dans 30 s.",
        "Arrêt du serveur annulé.",
        "Le serveur s'arrête.",
    ] {
        assert!(
            texts.iter().any(|t| t == expected),
            "{expected:?} not in {texts:#?}"
        );
    }
    assert!(
        texts.iter().any(|t| t.starts_with(
            "Vous avez été expulsé du serveur par un enseignant pour 5 minutes : bavardage"
        )),
        "{texts:#?}"
    );
}

#[tokio::test]
async fn an_english_classroom_reads_no_french() {
    let texts = classroom(Language::En).await;
    assert!(texts.len() > 60, "{} texts: {texts:#?}", texts.len());
    let french = with_words_of(&texts, FRENCH);
    assert!(french.is_empty(), "French in English texts: {french:#?}");
    assert!(
        texts.iter().any(|t| t == "Zoé Élève was kicked for 5m."),
        "{texts:#?}"
    );
}

#[test]
fn the_word_lists_find_their_language() {
    let english = ["You are muted: your message was not sent.".to_owned()];
    assert_eq!(with_words_of(&english, ENGLISH).len(), 1);
    assert!(with_words_of(&english, FRENCH).is_empty());
    let french = ["Vous êtes muet : votre message n'a pas été envoyé.".to_owned()];
    assert_eq!(with_words_of(&french, FRENCH).len(), 1);
    assert!(with_words_of(&french, ENGLISH).is_empty());
}
