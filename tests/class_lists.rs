//! Accounts from a school's class list (`classcord user import`): a Windows-1252 CSV with
//! `;` as Excel writes it on a French Windows, imported through a running server's admin
//! socket and on the database file; the handout's passwords log each pupil in, each class is
//! a private room of its pupils, and a second run changes nothing. Real binary, real files,
//! real sockets.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use classcord::config::{Language, Registration};
use common::{run_classcord, Client, TestServer};
use serde_json::json;

/// The class list: accented names (Windows-1252 bytes), two classes, two pupils with the
/// same name in different classes, an extra column the import ignores, and one bad row
/// (line 6: no last name).
fn class_list() -> Vec<u8> {
    let text = "Nom;Prénom;Classe;Né(e) le\r\n\
                Durand;Éloïse;2SIO1;01/02/2008\r\n\
                Dupont;Jean;2SIO1;03/04/2008\r\n\
                Dupont;Jean;2SIO2;05/06/2008\r\n\
                Lefèvre;Maël;2SIO2;07/08/2008\r\n\
                ;Anonyme;2SIO1;\r\n";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    assert_ne!(
        std::str::from_utf8(&bytes).ok(),
        Some(text),
        "the list is not UTF-8"
    );
    bytes.into_owned()
}

/// A configuration file naming the test server's database, admin socket and audit log.
fn config_file(dir: &Path) -> String {
    let path = dir.join("cli.toml");
    std::fs::write(
        &path,
        format!(
            "[storage]\ndatabase = {:?}\n[admin]\nsocket = {:?}\n[logging]\naudit_file = {:?}\nauth_file = {:?}\n",
            dir.join("data/classcord.db"),
            dir.join("admin.sock"),
            dir.join("logs/audit.log"),
            dir.join("logs/auth.log"),
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

struct Imported {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn import(dir: &Path, list: &Path, passwords_out: &Path) -> Imported {
    let config = config_file(dir);
    let output = run_classcord(
        dir,
        &[
            "user",
            "import",
            list.to_str().unwrap(),
            "--passwords-out",
            passwords_out.to_str().unwrap(),
            "--config",
            &config,
        ],
        "",
    );
    Imported {
        ok: output.status.success(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// (class, user name, password) of each row of the handout.
fn handout(path: &Path) -> Vec<(String, String, String)> {
    let mode = std::fs::metadata(path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the handout is for the admin only");
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a BOM, for Excel");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("classe;nom;prénom;identifiant;mot_de_passe")
    );
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(';').collect();
            (
                fields[0].to_owned(),
                fields[3].to_owned(),
                fields[4].to_owned(),
            )
        })
        .collect()
}

async fn login(server: &TestServer, name: &str, password: &str) -> Client {
    let mut client = server.client().await;
    let reply = client.try_login(name, password).await;
    assert_eq!(reply["status"], "ok", "{name}: {reply}");
    client.sync().await;
    client
}

async fn may_enter(pupil: &mut Client, room: &str) -> bool {
    pupil.say(&format!("/join {room}")).await;
    let said = pupil.said().await;
    if said.starts_with(&format!("Vous êtes dans {room}")) {
        pupil.say("/quitter").await;
        pupil.said().await;
        return true;
    }
    assert_eq!(
        said,
        format!("{room} est privé : un enseignant doit vous inviter.")
    );
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_list_imported_live_logs_every_pupil_into_their_class_only() {
    let mut server = TestServer::start_with(|config| {
        config.accounts.registration = Registration::Closed;
        config.server.language = Language::Fr;
    })
    .await;
    let dir = server.dir.path().to_owned();
    let list = dir.join("2SIO.csv");
    std::fs::write(&list, class_list()).unwrap();
    let passwords = dir.join("mots-de-passe.csv");

    let first = import(&dir, &list, &passwords);
    assert!(!first.ok, "a refused row makes the exit status non-zero");
    assert!(
        first
            .stdout
            .contains("line 6: not imported: no last name (nom)"),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains("Windows-1252"), "{}", first.stdout);
    assert!(
        first.stdout.contains("4 account(s) created"),
        "{}\n{}",
        first.stdout,
        first.stderr
    );
    assert!(
        first
            .stdout
            .contains("private rooms created: #2SIO1, #2SIO2"),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains("line 4: \"jean.dupont\" is taken: the account is \"jean.dupont2\""),
        "{}",
        first.stdout
    );

    let rows = handout(&passwords);
    let mut names: Vec<&str> = rows.iter().map(|(_, name, _)| name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "eloise.durand",
            "jean.dupont",
            "jean.dupont2",
            "mael.lefevre"
        ]
    );
    for (class, name, password) in &rows {
        let mut pupil = login(&server, name, password).await;
        let (own, other) = match class.as_str() {
            "2SIO1" => ("#2SIO1", "#2SIO2"),
            "2SIO2" => ("#2SIO2", "#2SIO1"),
            class => panic!("unexpected class {class}"),
        };
        assert!(may_enter(&mut pupil, own).await, "{name} in {own}");
        assert!(!may_enter(&mut pupil, other).await, "{name} not in {other}");
    }

    // Registration is closed: only the list's pupils have accounts.
    let mut newcomer = server.client().await;
    newcomer
        .send(json!({"type": "register", "username": "jean.dupont3", "password": "x"}))
        .await;
    assert_eq!(
        newcomer.recv().await["message"],
        "Les inscriptions sont fermées : demandez votre compte à votre enseignant."
    );

    // The same list again: nothing changes, no new handout, the passwords still work.
    let again_passwords = dir.join("encore.csv");
    let second = import(&dir, &list, &again_passwords);
    assert!(
        second
            .stdout
            .contains("nothing to change: the 4 account(s) of the list are already imported"),
        "{}",
        second.stdout
    );
    assert!(!again_passwords.exists());
    let (_, name, password) = &rows[0];
    login(&server, name, password).await;

    // The accounts survive a restart, with their rooms.
    server.stop().await;
    server
        .restart(|config| config.server.language = Language::Fr)
        .await;
    let (class, name, password) = &rows[0];
    let mut pupil = login(&server, name, password).await;
    assert!(may_enter(&mut pupil, &format!("#{class}")).await);
    let audit = std::fs::read_to_string(dir.join("logs/audit.log")).unwrap();
    assert!(audit.contains("user-import"), "{audit}");
    assert!(!audit.contains(password.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_list_imported_offline_is_there_when_the_server_starts() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("liste.csv");
    // Teachers: UTF-8 with a BOM and commas, a role column and their own logins and passwords.
    std::fs::write(
        &list,
        "\u{feff}nom,prénom,classe,identifiant,mot_de_passe,role\n\
         Martin,Claire,,c.martin,tableau-noir,professeur\n\
         Bernard,Luc,2SIO1,,,élève\n",
    )
    .unwrap();
    // A dry run on a fresh install says what would happen and writes nothing.
    let config = config_file(dir.path());
    let dry = run_classcord(
        dir.path(),
        &[
            "user",
            "import",
            list.to_str().unwrap(),
            "--dry-run",
            "--config",
            &config,
        ],
        "",
    );
    let said = String::from_utf8(dry.stdout).unwrap();
    assert!(dry.status.success(), "{said}");
    assert!(
        said.contains("dry run: 2 account(s) would be created"),
        "{said}"
    );
    assert!(!dir.path().join("data/classcord.db").exists());

    let passwords = dir.path().join("handout.csv");
    let imported = import(dir.path(), &list, &passwords);
    assert!(imported.ok, "{}\n{}", imported.stdout, imported.stderr);
    let again = import(dir.path(), &list, &dir.path().join("again.csv"));
    assert!(
        again.stdout.contains("nothing to change"),
        "{}",
        again.stdout
    );

    let rows = handout(&passwords);
    assert!(rows.contains(&("".into(), "c.martin".into(), "tableau-noir".into())));
    let server = TestServer::start_with(|config| {
        *config = common::test_config(dir.path());
        config.server.language = Language::Fr;
    })
    .await;
    let mut teacher = login(&server, "c.martin", "tableau-noir").await;
    // A teacher (role from the list) enters any room and may moderate.
    assert!(may_enter(&mut teacher, "#2SIO1").await);
    let luc = rows.iter().find(|row| row.1 == "luc.bernard").unwrap();
    login(&server, &luc.1, &luc.2).await;
    drop(server);
}

#[test]
fn what_cannot_be_imported_is_refused_with_a_reason_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path());
    let list = dir.path().join("liste.csv");
    std::fs::write(&list, class_list()).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["user", "import", list.to_str().unwrap()];
        all.extend(args);
        all.extend(["--config", &config]);
        let output = run_classcord(dir.path(), &all, "");
        assert!(!output.status.success());
        String::from_utf8(output.stdout).unwrap() + &String::from_utf8(output.stderr).unwrap()
    };
    let count = || -> i64 {
        let db = dir.path().join("data/classcord.db");
        if !db.exists() {
            return 0;
        }
        rusqlite::Connection::open(db)
            .unwrap()
            .query_row("SELECT count(*) FROM users", [], |row| row.get(0))
            .unwrap()
    };

    // Generated passwords need somewhere to go.
    let said = run(&[]);
    assert!(
        said.contains(
            "need a password: give --passwords-out FILE to receive them (nothing was imported)"
        ),
        "{said}"
    );
    // A handout is never written over.
    let existing = dir.path().join("deja.csv");
    std::fs::write(&existing, "autre chose").unwrap();
    let said = run(&["--passwords-out", existing.to_str().unwrap()]);
    assert!(
        said.contains("already exists: move it away first"),
        "{said}"
    );
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "autre chose");
    // A room that is not a room name.
    let said = run(&["--room", "maths 2", "--passwords-out", "x.csv"]);
    assert!(said.contains("--room \"maths 2\""), "{said}");
    // A file that is not a class list.
    std::fs::write(&list, "name;class\nx;y\n").unwrap();
    let said = run(&["--passwords-out", "x.csv"]);
    assert!(said.contains("has no \"nom\" column"), "{said}");
    assert_eq!(count(), 0);
    assert!(!dir.path().join("x.csv").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_socket_refuses_an_import_naming_a_room_that_cannot_exist() {
    let server = TestServer::start().await;
    let answer = server
        .admin_request(json!({"command": "user-import", "write": {
            "accounts": [], "roles": [], "rooms": ["maths 2"], "members": []
        }}))
        .await;
    assert_eq!(answer["answer"], "refused", "{answer}");
    assert_eq!(answer["error"], "invalid room name \"maths 2\"", "{answer}");
    let mut client = server.client().await;
    client.say("/rooms").await;
    assert!(!client.said().await.contains("maths"));
}
