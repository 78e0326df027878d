//! Classroom moderation from the clients people have: a teacher types slash commands in an
//! ordinary chat box (legacy clients) or sends typed `command` requests (v2); students who
//! never type a command see what they always saw. Timed kicks and mutes end on tokio's
//! paused clock; sanctions and roles survive a restart.

mod common;

use std::time::Duration;

use common::{ManualClock, TestServer};
use serde_json::{json, Value};

const MINUTE: Duration = Duration::from_secs(60);

/// Logs in again, expecting a refusal; returns its text.
async fn refused_login(server: &TestServer, name: &str) -> String {
    let mut client = server.client().await;
    client
        .send(json!({"type": "login", "username": name, "password": "secret"}))
        .await;
    let reply = client.recv().await;
    assert_eq!(reply["type"], "error", "{reply}");
    reply["message"].as_str().unwrap().to_owned()
}

#[tokio::test(start_paused = true)]
async fn a_teacher_kicks_a_student_for_ten_minutes_from_a_legacy_client() {
    let clock = ManualClock::hold();
    let server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut student = server.user("eleve").await;
    let mut bystander = server.user("voisin").await;
    bystander.sync().await;

    teacher.say("/kick eleve 10m bavardage").await;
    assert_eq!(teacher.said().await, "eleve was kicked for 10m.");
    // The student reads why, as a message from the server, and is disconnected.
    assert_eq!(
        student.said().await,
        "You were disconnected by a teacher for 10m: bavardage."
    );
    assert!(student.closed().await);
    // The command itself was never broadcast: the bystander only sees eleve go offline.
    let line = bystander.recv().await;
    assert_eq!(
        line,
        json!({"type":"status","user":"eleve","state":"offline"})
    );
    bystander.expect_nothing_pending().await;

    let refusal = refused_login(&server, "eleve").await;
    assert!(refusal.contains("for another 10m"), "{refusal}");
    clock.pass(9 * MINUTE).await;
    let refusal = refused_login(&server, "eleve").await;
    assert!(refusal.contains("for another 1m"), "{refusal}");
    clock.pass(MINUTE).await;
    let mut back = server.client().await;
    back.login("eleve", "secret").await;

    let log = server
        .admin_request(json!({"command": "log", "limit": 10}))
        .await;
    let entry = &log["entries"][0];
    assert_eq!(entry["actor"], "prof");
    assert_eq!(entry["action"], "kick");
    assert_eq!(entry["target"], "eleve");
    assert_eq!(entry["duration_secs"], 600);
    assert_eq!(entry["reason"], "bavardage");
}

#[tokio::test]
async fn students_cannot_moderate_and_their_slash_words_are_chat() {
    let server = TestServer::start().await;
    let mut student = server.user("eleve").await;
    let mut other = server.user("autre").await;
    student.sync().await;

    // A moderation command from a student: refused to them alone, never broadcast.
    student.say("/kick autre").await;
    assert_eq!(
        student.said().await,
        "/kick is for teachers (moderators): nothing was done."
    );
    student.say("/kick").await;
    assert_eq!(
        student.said().await,
        "/kick is for teachers (moderators): nothing was done."
    );
    other.expect_nothing_pending().await;

    // Unknown words are chat; `//` sends a message that starts with `/`.
    student.say("/shrug").await;
    assert_eq!(other.recv().await["content"], "/shrug");
    student.say("//kick autre").await;
    assert_eq!(other.recv().await["content"], "/kick autre");

    // /help lists what a student may do, and nothing more, as one message (two of the real
    // Java clients show only the last message of a burst).
    student.say("/help").await;
    let help = student.said().await;
    assert!(help.starts_with("Commands: /help, /who, /rooms"), "{help}");
    assert!(!help.contains("/kick"), "{help}");
    student.expect_nothing_pending().await;
    other.expect_nothing_pending().await;
}

#[tokio::test(start_paused = true)]
async fn a_muted_student_is_told_and_speaks_again_when_it_ends() {
    let clock = ManualClock::hold();
    let server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut student = server.user("eleve").await;
    teacher.sync().await;

    teacher.say("/mute eleve 5m").await;
    assert_eq!(teacher.said().await, "eleve is muted for 5m.");
    assert_eq!(
        student.said().await,
        "A teacher muted you for 5m: your messages will not be sent."
    );
    student.say("je peux parler ?").await;
    let refusal = student.said().await;
    assert!(
        refusal.starts_with("You are muted for another 5m"),
        "{refusal}"
    );
    teacher.expect_nothing_pending().await;

    clock.pass(5 * MINUTE).await;
    student.say("merci").await;
    assert_eq!(teacher.recv().await["content"], "merci");

    // Without a duration: until unmute; a private message is refused too.
    teacher.say("/mute eleve").await;
    teacher.said().await;
    student.said().await;
    student
        .send(json!({"type":"message","subtype":"private","to":"prof","content":"psst"}))
        .await;
    assert!(student.said().await.contains("until a moderator lifts it"));
    teacher.say("/unmute eleve").await;
    assert_eq!(teacher.said().await, "eleve may write again.");
    assert_eq!(
        student.said().await,
        "A teacher lifted your mute: you may write again."
    );
    student.say("enfin").await;
    assert_eq!(teacher.recv().await["content"], "enfin");
}

#[tokio::test]
async fn refusals_name_the_reason() {
    let server = TestServer::start().await;
    let mut admin = server.user_with_role("direction", "admin").await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut colleague = server.user_with_role("prof2", "moderator").await;
    let _student = server.user("eleve").await;
    colleague.sync().await;

    for (command, expected) in [
        ("/kick direction", "direction is a admin: only an administrator may do that."),
        ("/ban prof2", "prof2 is a moderator: only an administrator may do that."),
        ("/kick personne", "personne is neither online nor an account."),
        ("/kick prof", "You cannot do that to yourself."),
        ("/kick eleve 10x", "Usage: /kick NAME [DURATION] [reason] (\"10x\" is not a duration (write 30s, 10m, 2h or 1d))."),
        ("/mute eleve 0s", "Usage: /mute NAME [DURATION] (the duration must be longer than zero)."),
        ("/shutdown 60", "/shutdown is for administrators: nothing was done."),
        ("/unmute eleve", "eleve is not muted."),
    ] {
        teacher.say(command).await;
        assert_eq!(teacher.said().await, expected, "{command}");
    }
    admin.sync().await;
    colleague.expect_nothing_pending().await;

    // A demoted teacher loses the rights at once, without reconnecting.
    server.set_role("prof", "user").await;
    teacher.say("/mute eleve").await;
    assert_eq!(
        teacher.said().await,
        "/mute is for teachers (moderators): nothing was done."
    );
    // An administrator may act on a moderator.
    admin.say("/mute prof2 1m").await;
    assert_eq!(admin.said().await, "prof2 is muted for 1m.");
}

#[tokio::test]
async fn v2_clients_use_typed_requests_and_get_typed_answers() {
    let server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    teacher.send(json!({"type":"hello","version":2})).await;
    teacher.recv_type("hello").await;
    let mut student = server.user("eleve").await;

    teacher.send(json!({"type":"command","action":"who"})).await;
    let who = teacher.recv_type("command").await;
    assert_eq!(who["action"], "who");
    assert_eq!(who["status"], "ok");
    let lines: Vec<&str> = who["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(lines[0], "2 online:");
    // Moderators see addresses.
    assert!(lines.contains(&"eleve 127.0.0.1"), "{lines:?}");
    assert!(lines.contains(&"prof (moderator) 127.0.0.1"), "{lines:?}");

    // The same slash text from a v2 client gets the typed answer too.
    teacher
        .send(json!({"type":"message","subtype":"global","content":"/mute eleve 2m"}))
        .await;
    let muted = teacher.recv_type("command").await;
    assert_eq!(muted["lines"], json!(["eleve is muted for 2m."]));

    // Typed refusals carry codes.
    teacher
        .send(json!({"type":"command","action":"kick","user":"personne"}))
        .await;
    let error = teacher.recv_type("error").await;
    assert_eq!(error["code"], "no_such_user");
    teacher
        .send(json!({"type":"command","action":"kick"}))
        .await;
    assert_eq!(teacher.recv_type("error").await["code"], "invalid_field");
    student.send(json!({"type":"hello","version":2})).await;
    student.recv_type("hello").await;
    student
        .send(json!({"type":"command","action":"notice","text":"hello"}))
        .await;
    assert_eq!(student.recv_type("error").await["code"], "forbidden");
    student.say("toujours muet ?").await;
    assert_eq!(student.recv_type("error").await["code"], "muted");

    // Raw numbers no command line could give are refused, and the server goes on.
    teacher
        .send(json!({"type":"command","action":"mute","user":"eleve",
                     "duration_secs":u64::MAX}))
        .await;
    let refused = teacher.recv_type("error").await;
    assert_eq!(refused["code"], "invalid_command", "{refused}");
    teacher
        .send(json!({"type":"command","action":"kick","user":"eleve","duration_secs":0}))
        .await;
    assert_eq!(teacher.recv_type("error").await["code"], "invalid_command");
    teacher.sync().await;
}

#[tokio::test]
async fn a_guest_is_banned_by_address_and_unbanned_by_name() {
    let server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut guest = server.client().await;
    guest
        .send(json!({"type":"message","subtype":"global","from":"troll","content":""}))
        .await;
    guest.sync().await;
    // The announcement reaches the teacher before the ban (else it could come after the
    // answers below and be read as the last message).
    assert_eq!(teacher.recv_type("message").await["from"], "troll");
    teacher.say("/ban troll insultes").await;
    assert_eq!(
        teacher.said().await,
        "troll is banned (/unban troll to lift it)."
    );
    assert_eq!(
        guest.said().await,
        "You were banned by a teacher: insultes."
    );
    assert!(guest.closed().await);

    // Another name from the same address is refused, with the reason as a server message.
    let mut again = server.client().await;
    again
        .send(json!({"type":"message","subtype":"global","from":"troll2","content":"re"}))
        .await;
    let refusal = again.said().await;
    assert!(refusal.contains("until a moderator lifts it"), "{refusal}");

    teacher.say("/unban troll").await;
    assert_eq!(teacher.said().await, "troll may come back.");
    again
        .send(json!({"type":"message","subtype":"global","from":"troll2","content":"pardon"}))
        .await;
    assert_eq!(teacher.recv_type("message").await["content"], "pardon");
}

#[tokio::test]
async fn a_banned_account_is_told_the_teachers_reason() {
    let server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut student = server.user("eleve").await;
    student.sync().await;
    teacher.say("/ban eleve triche").await;
    assert_eq!(
        teacher.said().await,
        "eleve is banned (/unban eleve to lift it)."
    );
    assert_eq!(
        student.said().await,
        "You were banned by a teacher: triche."
    );
    assert!(student.closed().await);
}

#[tokio::test]
async fn sanctions_and_roles_survive_a_restart() {
    let mut server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut student = server.user("eleve").await;
    let mut talker = server.user("bavard").await;
    teacher.sync().await;
    teacher.say("/kick eleve 2h").await;
    teacher.said().await;
    teacher.say("/mute bavard").await;
    teacher.said().await;
    assert!(student.closed().await);
    talker.said().await;
    drop((teacher, talker));
    server.stop().await;
    server.restart(|_| {}).await;

    let refusal = refused_login(&server, "eleve").await;
    assert!(refusal.contains("for another 1h 59m"), "{refusal}");
    let mut talker = server.client().await;
    talker.login("bavard", "secret").await;
    talker.say("et maintenant ?").await;
    assert!(talker.said().await.contains("until a moderator lifts it"));
    // The role was read back from the database at login.
    let mut teacher = server.client().await;
    teacher.login("prof", "secret").await;
    teacher.say("/unmute bavard").await;
    assert_eq!(teacher.said().await, "bavard may write again.");
}

#[tokio::test(start_paused = true)]
async fn shutdown_counts_down_to_everyone_and_can_be_cancelled() {
    let clock = ManualClock::hold();
    let server = TestServer::start().await;
    let mut admin = server.user_with_role("direction", "admin").await;
    let mut student = server.user("eleve").await;
    admin.sync().await;

    admin.say("/shutdown 90 fin du cours").await;
    let said = admin.said().await;
    assert!(said.contains("90 s"), "{said}");
    admin.said().await;
    assert_eq!(
        student.said().await,
        "The server stops in 90 s. fin du cours"
    );
    admin.say("/shutdown cancel").await;
    assert_eq!(student.said().await, "Server shutdown cancelled.");
    clock.pass(2 * MINUTE).await;
    student.expect_nothing_pending().await;

    admin.say("/shutdown 12").await;
    let mut heard = vec![student.said().await];
    clock.pass(Duration::from_secs(12)).await;
    for _ in 0..6 {
        heard.push(student.said().await);
    }
    let seconds: Vec<&str> = heard
        .iter()
        .filter_map(|text| text.split(" s.").next()?.rsplit(' ').next())
        .collect();
    assert_eq!(seconds, ["12", "10", "5", "4", "3", "2", "1"], "{heard:?}");
    tokio::time::timeout(Duration::from_secs(1), server.running().stop_requested())
        .await
        .expect("the countdown asks the server to stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_cli_moderates_and_reads_the_log() {
    let server = TestServer::start().await;
    let mut student = server.user("eleve").await;
    let mut teacher = server.user("prof").await;
    teacher.sync().await;

    // `classcord user role` is live on a running server.
    let config = server.path("cli.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\ndatabase = {:?}\n[admin]\nsocket = {:?}\n",
            server.path("data/classcord.db"),
            server.path("admin.sock")
        ),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_classcord"))
        .args(["user", "role", "prof", "moderator", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    teacher.say("/who").await;
    assert_eq!(
        teacher.said().await,
        "2 online: eleve 127.0.0.1, prof (moderator) 127.0.0.1"
    );
    // The admin's list of who is online shows the new role.
    let users = server.admin_ok(&["users"]);
    assert!(users.contains("prof 127.0.0.1 (moderator)\n"), "{users}");
    assert!(users.contains("eleve 127.0.0.1\n"), "{users}");

    let said = server.admin_ok(&["kick", "eleve", "--duration", "1h", "--reason", "test"]);
    assert_eq!(said.trim(), "eleve was kicked for 1h.");
    assert_eq!(
        student.said().await,
        "You were disconnected by a teacher for 1h: test."
    );
    let said = server.admin_ok(&["run", "/room create #maths moderated"]);
    assert_eq!(said.trim(), "#maths created (moderated).");
    let refused = server.admin(&["mute", "eleve", "--duration", "soon"]);
    assert!(!refused.status.success());
    for (args, expected) in [
        (&["run", "bonjour"][..], "is not a command"),
        (&["run", "/kick"][..], "usage: /kick NAME"),
        (&["shutdown", "soon"][..], "is not a duration"),
    ] {
        let refused = server.admin(args);
        assert!(!refused.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let log = server.admin_ok(&["log"]);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].ends_with("console kick eleve for 1h (test)"),
        "{log}"
    );
    assert!(
        lines[1].ends_with("console room create (#maths moderated)"),
        "{log}"
    );
    let audit = std::fs::read_to_string(server.path("logs/audit.log")).unwrap();
    let moderation: Vec<Value> = audit
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|event| event["event"] == "moderation")
        .collect();
    assert_eq!(moderation.len(), 2, "{audit}");
    assert_eq!(moderation[0]["target"], "eleve");
    let metrics = server.admin_ok(&["metrics"]);
    assert!(
        metrics.contains("classcord_moderation_actions_total{action=\"kick\"} 1\n"),
        "{metrics}"
    );
}
