//! The admin's commands on a database no server runs on: accounts, backup and export with
//! the real binary, checked in the real files. Commands other than `user add` never create
//! a database (a wrong path must not look like an empty school).

mod common;

use common::run_classcord;

fn ok(dir: &std::path::Path, args: &[&str], stdin: &str) -> String {
    let output = run_classcord(dir, args, stdin);
    assert!(
        output.status.success(),
        "classcord {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn fails(dir: &std::path::Path, args: &[&str], stdin: &str) -> String {
    let output = run_classcord(dir, args, stdin);
    assert!(!output.status.success(), "classcord {args:?} succeeded");
    String::from_utf8(output.stderr).unwrap()
}

fn account(dir: &std::path::Path, name: &str) -> Option<(String, bool)> {
    let db = rusqlite::Connection::open(dir.join("data/classcord.db")).unwrap();
    db.query_row(
        "SELECT password_hash, banned FROM users WHERE username = ?1",
        [name],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .ok()
}

#[test]
fn accounts_are_managed_in_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let error = fails(dir, &["user", "list"], "");
    assert!(error.contains("no database"), "{error}");
    assert!(
        !dir.join("data/classcord.db").exists(),
        "list created a database"
    );

    ok(dir, &["user", "add", "prof"], "secret\n");
    let (first_hash, banned) = account(dir, "prof").unwrap();
    assert!(first_hash.starts_with("$argon2id$"));
    assert!(!banned);
    assert!(fails(dir, &["user", "add", "PROF"], "x\n").contains("already exists"));
    assert!(fails(dir, &["user", "add", "Serveur"], "x\n").contains("reserved"));

    ok(dir, &["user", "passwd", "prof"], "autre\n");
    assert_ne!(account(dir, "prof").unwrap().0, first_hash);
    ok(dir, &["user", "ban", "prof"], "");
    assert!(account(dir, "prof").unwrap().1);
    let listed = ok(dir, &["user", "list"], "");
    let line = listed.lines().find(|l| l.starts_with("prof")).unwrap();
    assert!(line.contains("yes"), "{listed}");
    ok(dir, &["user", "unban", "prof"], "");
    assert!(!account(dir, "prof").unwrap().1);
    ok(dir, &["user", "delete", "prof"], "");
    assert_eq!(account(dir, "prof"), None);
    assert!(fails(dir, &["user", "delete", "prof"], "").contains("no user named"));
    assert!(fails(dir, &["user", "passwd", "nobody"], "x\n").contains("no user named"));
    // Every change is in the audit log, never a password or its hash.
    let audit = std::fs::read_to_string(dir.join("logs/audit.log")).unwrap();
    for action in ["user-add", "user-passwd", "ban", "unban", "user-delete"] {
        let line = audit
            .lines()
            .find(|l| l.contains(&format!("\"action\":\"{action}\"")))
            .unwrap_or_else(|| panic!("{action} not audited:\n{audit}"));
        assert!(
            line.contains("\"via\":\"database file\"") && line.contains("prof"),
            "{line}"
        );
    }
    assert!(!audit.contains("argon2") && !audit.contains("secret") && !audit.contains("autre"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_export_copy_what_was_stored_and_never_overwrite() {
    let mut server = common::TestServer::start().await;
    let mut alice = server.user("alice").await;
    let mut bob = server.user("bob").await;
    alice.recv_type("status").await;
    bob.send(serde_json::json!({"type":"message","content":"sauvegardé"}))
        .await;
    assert_eq!(alice.recv().await["content"], "sauvegardé");
    server.stop().await;
    let dir = server.dir.path();

    let missing = tempfile::tempdir().unwrap();
    assert!(fails(missing.path(), &["backup", "copy.db"], "").contains("no database"));
    assert!(fails(missing.path(), &["export"], "").contains("no database"));

    ok(dir, &["backup", "backups/copy.db"], "");
    let copy = rusqlite::Connection::open(dir.join("backups/copy.db")).unwrap();
    let (users, content): (i64, String) = copy
        .query_row(
            "SELECT (SELECT COUNT(*) FROM users), (SELECT content FROM messages)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!((users, content.as_str()), (2, "sauvegardé"));
    assert!(fails(dir, &["backup", "backups/copy.db"], "").contains("already exists"));

    ok(dir, &["export", "--output", "messages.jsonl"], "");
    let exported = std::fs::read_to_string(dir.join("messages.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(exported.trim()).unwrap();
    assert_eq!(line["from"], "bob");
    assert_eq!(line["content"], "sauvegardé");
    assert!(fails(dir, &["export", "--output", "messages.jsonl"], "").contains("already exists"));
    let stdout = ok(dir, &["export"], "");
    assert_eq!(stdout, exported);
}

#[test]
fn commands_find_the_files_of_their_config_wherever_they_are_run() {
    let state = tempfile::tempdir().unwrap();
    let config = common::shipped_config_in(state.path());
    let config = config.to_str().unwrap();
    ok(
        state.path(),
        &["user", "add", "prof", "--config", config],
        "pw\n",
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let listed = ok(elsewhere.path(), &["user", "list", "--config", config], "");
    assert!(listed.contains("prof"), "{listed}");
    ok(
        elsewhere.path(),
        &["backup", "copy.db", "--config", config],
        "",
    );
    assert!(elsewhere.path().join("copy.db").exists());
    assert!(
        !elsewhere.path().join("data").exists(),
        "a database was created in the current directory"
    );
}

#[test]
fn root_is_told_the_exact_command_to_run_as_the_service_user() {
    let uid = std::process::Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        eprintln!("not root: the refusal it tests cannot happen");
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let config = common::shipped_config_in(state.path());
    std::os::unix::fs::chown(state.path(), Some(65534), Some(65534)).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let args = ["user", "add", "prof", "--config", config.to_str().unwrap()];
    let error = fails(elsewhere.path(), &args, "pw\n");
    let expected = format!("runuser -u nobody -- classcord {}", args.join(" "));
    assert!(error.contains(&expected), "{error}");
    assert!(!state.path().join("data").exists(), "root created files");
}

/// Runs `classcord ARGS` in `dir` on a real pseudo-terminal, answering each prompt with the
/// next of `answers`; returns (success, everything the terminal showed).
fn on_a_terminal(dir: &std::path::Path, args: &[&str], answers: &[&str]) -> (bool, String) {
    const DRIVER: &str = r#"
import os, pty, sys, termios, time
binary, answers, args = sys.argv[1], sys.argv[2].split("\t"), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(binary, [binary] + args)
shown = b""
seen = 0
def read_until(marker):
    global shown, seen
    while shown.find(marker, seen) < 0:
        chunk = os.read(fd, 1024)
        if not chunk:
            return
        shown += chunk
    seen = shown.find(marker, seen) + len(marker)
for answer in answers:
    read_until(b": ")
    # Type only once the program has turned echo off, as a person would after the prompt.
    deadline = time.time() + 10
    while termios.tcgetattr(fd)[3] & termios.ECHO and time.time() < deadline:
        time.sleep(0.01)
    os.write(fd, answer.encode() + b"\n")
try:
    while True:
        chunk = os.read(fd, 1024)
        if not chunk:
            break
        shown += chunk
except OSError:
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode(errors="replace"))
sys.exit(0 if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else 1)
"#;
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(DRIVER)
        .arg(env!("CARGO_BIN_EXE_classcord"))
        .arg(answers.join("\t"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("python3 runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn at_a_terminal_the_password_is_hidden_and_asked_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (ok_run, shown) = on_a_terminal(
        dir.path(),
        &["user", "add", "prof"],
        &["s3cret-mdp", "s3cret-mdp"],
    );
    assert!(ok_run, "{shown}");
    assert!(shown.contains("(again)"), "{shown}");
    assert!(
        !shown.contains("s3cret-mdp"),
        "the password was echoed: {shown}"
    );
    assert!(shown.contains("created"), "{shown}");
    let (ok_run, shown) = on_a_terminal(dir.path(), &["user", "add", "autre"], &["un", "deux"]);
    assert!(!ok_run, "{shown}");
    assert!(shown.contains("differ"), "{shown}");
    assert_eq!(account(dir.path(), "autre"), None);
}

#[test]
fn the_password_policy_applies_to_accounts_made_with_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("classcord.toml"),
        "[limits]\nmin_password_chars = 8\n",
    )
    .unwrap();
    let with_policy = ["--config", "classcord.toml"];
    let error = fails(
        dir.path(),
        &[&["user", "add", "prof"][..], &with_policy].concat(),
        "court\n",
    );
    assert!(error.contains("at least 8"), "{error}");
    ok(
        dir.path(),
        &[&["user", "add", "prof"][..], &with_policy].concat(),
        "assez-long\n",
    );
    let error = fails(
        dir.path(),
        &[&["user", "passwd", "prof"][..], &with_policy].concat(),
        "court\n",
    );
    assert!(error.contains("at least 8"), "{error}");
}

#[test]
fn roles_are_given_in_the_database_file_when_no_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(dir, &["user", "add", "prof"], "secret\n");
    let said = ok(dir, &["user", "role", "prof", "moderator"], "");
    assert_eq!(said.trim(), "user \"prof\" is now moderator");
    let db = rusqlite::Connection::open(dir.join("data/classcord.db")).unwrap();
    let role: String = db
        .query_row("SELECT role FROM users WHERE username = 'prof'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(role, "moderator");
    assert!(fails(dir, &["user", "role", "prof", "teacher"], "").contains("invalid value"));
    assert!(fails(dir, &["user", "role", "nobody", "admin"], "").contains("no user named"));
    let audit = std::fs::read_to_string(dir.join("logs/audit.log")).unwrap();
    assert!(audit.contains("\"action\":\"user-role\""), "{audit}");
}
