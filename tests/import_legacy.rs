//! `classcord import-legacy`: accounts from the old Python server's users.pkl, written here by
//! the real Python `pickle` module, become argon2id accounts that can log in.

mod common;

use std::process::Command;

use common::TestServer;

/// Writes `users.pkl` in `dir` with Python's pickle module from a Python expression.
fn pickle(dir: &std::path::Path, python_value: &str) {
    let script = format!(
        "import os, pickle\nclass Evil:\n    def __reduce__(self):\n        return (os.system, ('touch pwned',))\n\
         with open('users.pkl', 'wb') as f:\n    pickle.dump({python_value}, f)\n"
    );
    let status = Command::new("python3")
        .args(["-c", &script])
        .current_dir(dir)
        .status()
        .expect("python3 is installed");
    assert!(status.success());
}

fn classcord(dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    common::run_classcord(
        dir,
        &[args, &["--database", "data/classcord.db"]].concat(),
        stdin,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_accounts_are_hashed_and_can_log_in() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        classcord(dir.path(), &["user", "add", "bob"], "new-password\n")
            .status
            .success()
    );
    pickle(
        dir.path(),
        "{'alice': 'pw1', 'Zoé': 'été', 'bob': 'old', 'carol': {'password': 'pw3'}, \
          'bad\\nname': 'x', 'empty': '', 'Serveur': 'x', 42: 'x', 'evil': Evil()}",
    );
    let output = classcord(dir.path(), &["import-legacy", "users.pkl"], "");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("3 account(s) imported"), "{printed}");
    assert!(
        printed.contains("already existed, left unchanged: bob"),
        "{printed}"
    );
    for refused in ["bad\\nname", "empty", "Serveur", "42", "evil"] {
        assert!(
            printed.contains(refused),
            "{refused} not reported in:\n{printed}"
        );
    }
    assert!(printed.contains("delete it"));
    assert!(
        !dir.path().join("pwned").exists(),
        "unpickling executed code"
    );

    let db = rusqlite::Connection::open(dir.path().join("data/classcord.db")).unwrap();
    let plaintext: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM users WHERE password_hash NOT LIKE '$argon2id$%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(plaintext, 0);
    drop(db);

    let database = dir.path().join("data/classcord.db");
    let server = TestServer::start_with(|c| c.storage.database = database).await;
    let mut client = server.client().await;
    client.login("alice", "pw1").await;
    let mut zoe = server.client().await;
    zoe.login("Zoé", "été").await;
    let mut carol = server.client().await;
    carol.login("carol", "pw3").await;
    let mut bob = server.client().await;
    bob.login("bob", "new-password").await;
}

#[test]
fn a_file_that_is_not_a_users_dictionary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    pickle(dir.path(), "['alice', 'pw']");
    let output = classcord(dir.path(), &["import-legacy", "users.pkl"], "");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a dictionary"));
    std::fs::write(dir.path().join("users.pkl"), b"garbage").unwrap();
    let output = classcord(dir.path(), &["import-legacy", "users.pkl"], "");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read the legacy users file"));
}
