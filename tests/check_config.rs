//! `classcord check-config` finds what `serve` would trip over, lists every problem and exits
//! non-zero; on a good configuration it says so and exits 0.

mod common;

use common::run_classcord;

fn check(dir: &std::path::Path, config: &std::path::Path) -> (bool, String) {
    let output = run_classcord(
        dir,
        &["check-config", "--config", config.to_str().unwrap()],
        "",
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn a_good_configuration_passes() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("classcord.toml");
    std::fs::write(
        &config,
        "[listen]\nplain = [\"127.0.0.1:0\"]\ntls = [\"127.0.0.1:0\"]\n",
    )
    .unwrap();
    let (ok, text) = check(dir.path(), &config);
    assert!(ok, "{text}");
    assert!(text.contains("configuration ok"), "{text}");
    assert!(text.contains("will generate one"), "{text}");
    assert!(!dir.path().join("data").exists(), "the check created files");
}

#[test]
fn every_problem_is_listed_and_the_exit_status_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap();
    std::fs::write(dir.path().join("a-file"), "").unwrap();
    std::fs::write(dir.path().join("broken.crt"), "not a certificate").unwrap();
    let config = dir.path().join("classcord.toml");
    std::fs::write(
        &config,
        format!(
            "[listen]\nplain = [\"{taken}\"]\ntls = [\"127.0.0.1:0\"]\n\
             [storage]\ndatabase = \"a-file/classcord.db\"\n\
             [tls]\ncert = \"broken.crt\"\n"
        ),
    )
    .unwrap();
    let (ok, text) = check(dir.path(), &config);
    assert!(!ok, "{text}");
    assert!(
        text.contains(&format!("cannot listen on {taken}")),
        "{text}"
    );
    assert!(text.contains("a-file is not a directory"), "{text}");
    assert!(text.contains("broken.crt"), "{text}");
    assert!(text.contains("3 problem(s) found"), "{text}");
}

#[test]
fn every_listener_is_checked_and_an_empty_allowlist_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("classcord.toml");
    std::fs::write(
        &config,
        format!(
            "[listen]\nplain = [\"0.0.0.0:{free}\"]\ntls = []\nweb = [\"127.0.0.1:{free}\"]\n\
             [metrics]\nlisten = [\"{taken}\"]\n[gate]\nallow = []\n"
        ),
    )
    .unwrap();
    let (ok, text) = check(dir.path(), &config);
    assert!(!ok, "{text}");
    assert!(
        text.contains(&format!(
            "[listen] web 127.0.0.1:{free} and [listen] plain 0.0.0.0:{free} use the same port"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("cannot listen on {taken}")),
        "{text}"
    );
    assert!(
        text.contains("warning: [gate] allow is empty: every connection will be refused"),
        "{text}"
    );
    assert!(text.contains("2 problem(s) found"), "{text}");
}

/// From a subfolder of the repository, the commands use its `config/classcord.toml` (whose
/// `state_dir = ".."` puts the files beside `config/`); from a folder with none above it,
/// they say that the defaults put files in the current folder.
#[test]
fn from_a_subfolder_the_repositorys_configuration_is_used_and_without_one_it_is_said() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join("config")).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/config/classcord.toml"),
        repo.path().join("config/classcord.toml"),
    )
    .unwrap();
    let sub = repo.path().join("src/deeper");
    std::fs::create_dir_all(&sub).unwrap();
    let output = run_classcord(&sub, &["check-config"], "");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let database = repo.path().join("data/classcord.db");
    assert!(
        text.contains(&format!("database {} does not", database.display())),
        "{text}"
    );
    assert!(!text.contains("no configuration file"), "{text}");

    let lone = tempfile::tempdir().unwrap();
    let output = run_classcord(lone.path(), &["check-config"], "");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains(&format!(
            "built-in defaults, files created in {}: data/classcord.db",
            lone.path().display()
        )),
        "{said}"
    );
}
