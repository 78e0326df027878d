//! The school's opening hours, on clocks the test sets (the server run under Debian's
//! libfaketime, in UTC): outside them a pupil's message is refused in French with when
//! writing reopens (legacy and v2), a teacher's is delivered; everyone is told once when the
//! hours end.

mod common;

use common::{run_classcord, Client, ServerProcess};
use serde_json::json;

const HOURS: (&str, &str) = ("hours = []", "hours = [\"lun-ven 07:30-19:00\"]");

async fn account(
    server: &ServerProcess,
    dir: &std::path::Path,
    name: &str,
    role: Option<&str>,
) -> Client {
    let mut client = Client::connect(server.addr()).await;
    client.register(name, "motdepasse").await;
    if let Some(role) = role {
        let config = dir.join("classcord.toml");
        let output = run_classcord(
            dir,
            &[
                "user",
                "role",
                name,
                role,
                "--config",
                config.to_str().unwrap(),
            ],
            "",
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    client.login(name, "motdepasse").await;
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_hours_pupils_read_and_teachers_write() {
    let dir = tempfile::tempdir().unwrap();
    // Monday 7 December 2026, 20:00: closed since 19:00.
    let server =
        ServerProcess::spawn_faketime_with(dir.path(), "@2026-12-07 20:00:00", &[HOURS]).await;
    let mut teacher = account(&server, dir.path(), "prof", Some("moderator")).await;
    let mut pupil = account(&server, dir.path(), "eleve", None).await;
    let mut web_pupil = account(&server, dir.path(), "alice", None).await;
    web_pupil.send(json!({"type": "hello", "version": 2})).await;
    web_pupil.recv_type("hello").await;
    teacher.sync().await;

    pupil.say("bonsoir").await;
    assert_eq!(
        pupil.said().await,
        "Les élèves ne peuvent pas écrire en dehors des horaires de l'établissement : vous \
         pourrez écrire de nouveau demain à 07:30."
    );
    web_pupil
        .send(json!({"type": "message", "subtype": "private", "to": "prof", "content": "?"}))
        .await;
    assert_eq!(web_pupil.recv_type("error").await["code"], "outside_hours");

    teacher.say("Devoirs pour demain : exercice 4").await;
    assert_eq!(
        pupil.recv_type("message").await["content"],
        "Devoirs pour demain : exercice 4"
    );
    // Nothing of the pupils reached the teacher.
    teacher.send(json!({"type": "users"})).await;
    loop {
        let line = teacher.recv().await;
        assert_ne!(line["type"], "message", "{line}");
        if line["type"] == "users" {
            break;
        }
    }
    drop((teacher, pupil, web_pupil));
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_is_told_once_when_the_hours_end() {
    let dir = tempfile::tempdir().unwrap();
    // Friday 11 December 2026, three seconds before 19:00: next opening on Monday.
    let server =
        ServerProcess::spawn_faketime_with(dir.path(), "@2026-12-11 18:59:57", &[HOURS]).await;
    let mut pupil = account(&server, dir.path(), "eleve", None).await;
    let mut other = account(&server, dir.path(), "voisin", None).await;
    other.sync().await;
    pupil.say("encore ouvert").await;
    assert_eq!(other.recv_type("message").await["content"], "encore ouvert");

    let told = other.said().await;
    assert_eq!(
        told,
        "Fin des horaires de l'établissement : les élèves peuvent lire mais plus écrire, \
         jusqu'à lundi à 07:30."
    );
    assert_eq!(pupil.said().await, told);
    pupil.say("trop tard").await;
    assert!(pupil.said().await.contains("lundi à 07:30"));
    drop((pupil, other));
    let log = server.terminate();
    assert_eq!(log.matches("opening hours over").count(), 1, "{log}");
}
