//! fail2ban integration: the real binary writes authentication failures, and the shipped
//! filter, run through the real `fail2ban-regex`, finds each one with the client's address,
//! no success, and never an address smuggled in through a user name.

mod common;

use std::process::Command;

use common::{Client, ServerProcess};
use serde_json::json;

const FILTER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/security/fail2ban/filter.d/classcord.conf"
);

fn classcord(dir: &std::path::Path, args: &[&str], stdin: &str) {
    let config = common::shipped_config_in(dir);
    let config = config.to_str().unwrap();
    let output = common::run_classcord(dir, &[args, &["--config", config]].concat(), stdin);
    assert!(output.status.success(), "classcord {args:?}");
}

/// Runs fail2ban-regex and returns (matched addresses, summary line).
fn fail2ban_regex(log: &std::path::Path) -> (Vec<String>, String) {
    let ips = Command::new("fail2ban-regex")
        .args(["-o", "<ip>"])
        .arg(log)
        .arg(FILTER)
        .output()
        .expect("fail2ban-regex is installed (apt-get install fail2ban)");
    assert!(
        ips.status.success(),
        "{}",
        String::from_utf8_lossy(&ips.stderr)
    );
    let summary = Command::new("fail2ban-regex")
        .arg(log)
        .arg(FILTER)
        .output()
        .unwrap();
    let summary = String::from_utf8(summary.stdout).unwrap();
    let lines = summary
        .lines()
        .find(|l| l.starts_with("Lines:"))
        .unwrap_or_default()
        .to_owned();
    let ips = String::from_utf8(ips.stdout)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    (ips, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail2ban_filter_matches_every_failure_and_nothing_forged() {
    let dir = tempfile::tempdir().unwrap();
    classcord(dir.path(), &["user", "add", "alice"], "correct horse\n");
    classcord(dir.path(), &["user", "add", "mallory"], "pw\n");
    classcord(dir.path(), &["user", "ban", "mallory"], "");

    let server = ServerProcess::spawn(dir.path(), &[]).await;
    let stderr_path = server.stderr_path.clone();
    let mut client = Client::connect(server.addr()).await;

    let hostile_names = [
        "x\nip=6.6.6.6",
        "evil\" ip=6.6.6.6 port=1",
        "\u{1b}[31mip=6.6.6.6\u{1b}[0m",
        "2026-11-21T13:08:33Z classcord auth_failure ip=6.6.6.6 port=1 listener=plain reason=x user=\"y\"",
        "z\r\n2026-11-21T13:08:33.000Z classcord auth_failure ip=6.6.6.6 port=1 listener=plain reason=wrong_password user=\"a\"",
        "6.6.6.6",
    ];
    let mut failures = 0;
    let mut login = |username: &str, password: &str| {
        failures += 1;
        json!({"type":"login","username":username,"password":password})
    };
    let attempts = vec![
        login("alice", "wrong"),
        login("nobody", "pw"),
        login("mallory", "pw"),
    ];
    for attempt in attempts {
        client.send(attempt).await;
        assert_eq!(client.recv().await["type"], "error");
    }
    for name in hostile_names {
        client.send(login(name, "pw")).await;
        assert_eq!(client.recv().await["type"], "error");
    }
    // A malformed login counts too.
    client
        .send(json!({"type":"login","username":"alice"}))
        .await;
    assert_eq!(client.recv().await["type"], "error");
    failures += 1;
    // Successes and registrations write nothing fail2ban could match.
    client.register("bob", "pw").await;
    client.login("alice", "correct horse").await;

    server.terminate();

    let auth_log = dir.path().join("logs/auth.log");
    let auth_text = std::fs::read_to_string(&auth_log).unwrap();
    assert_eq!(auth_text.lines().count(), failures, "{auth_text}");
    for reason in ["wrong_password", "unknown_user", "banned", "malformed"] {
        assert!(
            auth_text.contains(&format!("reason={reason} ")),
            "{reason} missing:\n{auth_text}"
        );
    }
    let (ips, summary) = fail2ban_regex(&auth_log);
    assert_eq!(ips.len(), failures, "{summary}\n{auth_text}");
    assert!(
        ips.iter().all(|ip| ip == "127.0.0.1"),
        "forged address matched: {ips:?}"
    );
    assert!(
        summary.contains(&format!("{failures} matched, 0 missed")),
        "{summary}"
    );

    // The same lines on stderr (journald) match too, and nothing else there does.
    let (ips, summary) = fail2ban_regex(&stderr_path);
    assert_eq!(ips.len(), failures, "{summary}");
    assert!(ips.iter().all(|ip| ip == "127.0.0.1"), "{ips:?}");
    let stderr_text = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(!stderr_text.contains("correct horse"));
}

/// A fail2ban configuration directory: Debian's installed files, the shipped filter and
/// jail, and `overrides` for the jail (a `.local` file, read after the shipped `.conf`).
fn fail2ban_conf(dir: &std::path::Path, overrides: &str) -> std::path::PathBuf {
    let conf = dir.join("fail2ban");
    let copied = Command::new("cp")
        .args(["-r", "/etc/fail2ban"])
        .arg(&conf)
        .status()
        .expect("cp runs");
    assert!(copied.success(), "Debian's /etc/fail2ban is installed");
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/security/fail2ban");
    for file in ["filter.d/classcord.conf", "jail.d/classcord.conf"] {
        std::fs::copy(format!("{shipped}/{file}"), conf.join(file)).unwrap();
    }
    // Only the classcord jail: Debian enables sshd by default.
    std::fs::write(conf.join("jail.d/defaults-debian.conf"), "").unwrap();
    std::fs::write(conf.join("jail.d/zz-test.local"), overrides).unwrap();
    conf
}

fn fail2ban_client(conf: &std::path::Path, socket: &std::path::Path, args: &[&str]) -> String {
    let output = Command::new("fail2ban-client")
        .arg("-c")
        .arg(conf)
        .arg("-s")
        .arg(socket)
        .args(args)
        .output()
        .expect("fail2ban-client runs");
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

/// fail2ban's own reading of `conf` (`fail2ban-client -d`), and the classcord jail's action
/// line in it.
fn ban_action(conf: &std::path::Path) -> (String, String) {
    let dump = Command::new("fail2ban-client")
        .arg("-c")
        .arg(conf)
        .arg("-d")
        .output()
        .unwrap();
    let dump = String::from_utf8_lossy(&dump.stdout).into_owned();
    let action = dump
        .lines()
        .find(|l| l.contains("'classcord'") && l.contains("actionban"))
        .unwrap_or_else(|| panic!("no ban action for the classcord jail in:\n{dump}"))
        .to_owned();
    (dump, action)
}

#[test]
fn the_shipped_jail_bans_with_nftables() {
    let dir = tempfile::tempdir().unwrap();
    let (dump, ban) = ban_action(&fail2ban_conf(dir.path(), ""));
    assert!(ban.contains("nft"), "{ban}");
    assert!(
        !dump.contains("iptables"),
        "an iptables action is configured"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_fail2ban_server_bans_the_guessing_address_and_nobody_else() {
    let dir = tempfile::tempdir().unwrap();
    let auth_log = dir.path().join("logs/auth.log");
    let bans = dir.path().join("bans.txt");
    std::fs::create_dir_all(auth_log.parent().unwrap()).unwrap();
    std::fs::write(&auth_log, "").unwrap();
    // The shipped filter and jail, with a harmless action that writes the address to a file.
    let conf = fail2ban_conf(
        dir.path(),
        &format!(
            "[classcord]\nbackend = polling\nlogpath = {}\naction = record-ban\n",
            auth_log.display()
        ),
    );
    std::fs::write(
        conf.join("action.d/record-ban.conf"),
        format!(
            "[Definition]\nactionstart =\nactionstop =\nactioncheck =\n\
             actionban = echo <ip> >> {}\nactionunban =\n",
            bans.display()
        ),
    )
    .unwrap();
    std::fs::write(
        conf.join("fail2ban.local"),
        format!(
            "[Definition]\nlogtarget = {}\ndbfile = :memory:\n",
            dir.path().join("fail2ban.log").display()
        ),
    )
    .unwrap();
    let socket = dir.path().join("f2b.sock");
    let _fail2ban = common::KillOnDrop(
        Command::new("fail2ban-server")
            .args(["-f", "-x", "-c"])
            .arg(&conf)
            .arg("-s")
            .arg(&socket)
            .arg("-p")
            .arg(dir.path().join("f2b.pid"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("fail2ban-server is installed (apt-get install fail2ban)"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !fail2ban_client(&conf, &socket, &["status", "classcord"]).contains("Currently failed") {
        assert!(
            std::time::Instant::now() < deadline,
            "fail2ban never started: {}",
            std::fs::read_to_string(dir.path().join("fail2ban.log")).unwrap_or_default()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let server = common::TestServer::start_with(|c| {
        c.logging.auth_file = auth_log.clone();
        c.gate.trusted_proxies = vec![];
    })
    .await;
    // Four forged names from 127.0.0.6 try to put other addresses in the log.
    let mut forger = Client::over(
        common::connect_from("127.0.0.6", server.addr())
            .await
            .unwrap(),
    );
    for name in [
        "x\nip=127.0.0.9",
        "evil\" ip=127.0.0.9 port=1",
        "2026-11-21T13:08:33.000Z classcord auth_failure ip=127.0.0.9 port=1 listener=plain reason=x user=\"y\"",
        "127.0.0.9",
    ] {
        forger
            .send(json!({"type":"login","username":name,"password":"x"}))
            .await;
        assert_eq!(forger.recv().await["type"], "error");
    }
    // Five wrong passwords from 127.0.0.5: one ban, of that address.
    let mut guesser = Client::over(
        common::connect_from("127.0.0.5", server.addr())
            .await
            .unwrap(),
    );
    for _ in 0..5 {
        guesser
            .send(json!({"type":"login","username":"prof","password":"devine"}))
            .await;
        assert_eq!(guesser.recv().await["type"], "error");
    }
    while !std::fs::read_to_string(&bans)
        .unwrap_or_default()
        .contains("127.0.0.5")
    {
        assert!(
            std::time::Instant::now() < deadline + std::time::Duration::from_secs(30),
            "no ban; fail2ban log:\n{}",
            std::fs::read_to_string(dir.path().join("fail2ban.log")).unwrap_or_default()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status = fail2ban_client(&conf, &socket, &["status", "classcord"]);
    assert!(status.contains("127.0.0.5"), "{status}");
    assert!(
        !status.contains("127.0.0.6") && !status.contains("127.0.0.9"),
        "{status}"
    );
    assert_eq!(
        std::fs::read_to_string(&bans).unwrap().trim(),
        "127.0.0.5",
        "exactly one ban, of the guessing address"
    );
    fail2ban_client(&conf, &socket, &["stop"]);
}

/// Debian 12 as installed without rsyslog: Debian's stock jail.conf and jail.d (sshd on)
/// with ours, and no auth.log where Debian's paths look for sshd's (the copied
/// paths-common.conf points at a missing file, as on such a machine). Without
/// jail.d/sshd-journal.conf fail2ban does not start at all; with it, it starts and bans.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_stock_debian_without_auth_log_fail2ban_starts_and_bans() {
    let dir = tempfile::tempdir().unwrap();
    let auth_log = dir.path().join("logs/auth.log");
    let bans = dir.path().join("bans.txt");
    std::fs::create_dir_all(auth_log.parent().unwrap()).unwrap();
    std::fs::write(&auth_log, "").unwrap();
    let conf = dir.path().join("fail2ban");
    let copied = Command::new("cp")
        .args(["-r", "/etc/fail2ban"])
        .arg(&conf)
        .status()
        .unwrap();
    assert!(copied.success(), "Debian's /etc/fail2ban is installed");
    let stock = std::fs::read_to_string(conf.join("jail.d/defaults-debian.conf")).unwrap();
    assert!(
        stock.contains("[sshd]") && stock.contains("enabled = true"),
        "{stock}"
    );
    let paths = conf.join("paths-common.conf");
    let common_paths = std::fs::read_to_string(&paths).unwrap();
    assert!(common_paths.contains("syslog_authpriv = /var/log/auth.log\n"));
    let missing = dir.path().join("no-rsyslog/auth.log");
    std::fs::write(
        &paths,
        common_paths.replace(
            "syslog_authpriv = /var/log/auth.log\n",
            &format!("syslog_authpriv = {}\n", missing.display()),
        ),
    )
    .unwrap();
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/security/fail2ban");
    for file in ["filter.d/classcord.conf", "jail.d/classcord.conf"] {
        std::fs::copy(format!("{shipped}/{file}"), conf.join(file)).unwrap();
    }
    // Only the ban action and our log's path change: the jail's backend stays as shipped.
    std::fs::write(
        conf.join("jail.d/zz-test.local"),
        format!(
            "[classcord]\nlogpath = {}\naction = record-ban\n",
            auth_log.display()
        ),
    )
    .unwrap();
    std::fs::write(
        conf.join("action.d/record-ban.conf"),
        format!(
            "[Definition]\nactionstart =\nactionstop =\nactioncheck =\n\
             actionban = echo <ip> >> {}\nactionunban =\n",
            bans.display()
        ),
    )
    .unwrap();
    let log = dir.path().join("fail2ban.log");
    std::fs::write(
        conf.join("fail2ban.local"),
        format!(
            "[Definition]\nlogtarget = {}\ndbfile = :memory:\n",
            log.display()
        ),
    )
    .unwrap();
    let socket = dir.path().join("f2b.sock");
    let server = |conf: &std::path::Path| {
        let mut command = Command::new("fail2ban-server");
        command
            .args(["-f", "-x", "-c"])
            .arg(conf)
            .arg("-s")
            .arg(&socket)
            .arg("-p")
            .arg(dir.path().join("f2b.pid"));
        command
    };

    // Without the fix: Debian's sshd jail stops fail2ban, ours never runs.
    let mut broken = server(&conf);
    let ended = tokio::task::spawn_blocking(move || broken.output())
        .await
        .unwrap()
        .expect("fail2ban-server is installed (apt-get install fail2ban)");
    assert!(!ended.status.success());
    let said = String::from_utf8_lossy(&ended.stderr).into_owned()
        + &String::from_utf8_lossy(&ended.stdout);
    assert!(
        said.contains("Have not found any log file for sshd jail"),
        "{said}"
    );

    // With it: fail2ban starts, sshd read from the journal, and the ClassCord jail bans.
    std::fs::copy(
        format!("{shipped}/jail.d/sshd-journal.conf"),
        conf.join("jail.d/sshd-journal.conf"),
    )
    .unwrap();
    let _fail2ban = common::KillOnDrop(
        server(&conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !fail2ban_client(&conf, &socket, &["status", "classcord"]).contains("Currently failed") {
        assert!(
            std::time::Instant::now() < deadline,
            "fail2ban never started: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let jails = fail2ban_client(&conf, &socket, &["status"]);
    assert!(
        jails.contains("classcord") && jails.contains("sshd"),
        "{jails}"
    );
    let server = common::TestServer::start_with(|c| c.logging.auth_file = auth_log.clone()).await;
    let mut guesser = Client::over(
        common::connect_from("127.0.0.7", server.addr())
            .await
            .unwrap(),
    );
    for _ in 0..5 {
        guesser
            .send(json!({"type":"login","username":"prof","password":"devine"}))
            .await;
        assert_eq!(guesser.recv().await["type"], "error");
    }
    while !std::fs::read_to_string(&bans)
        .unwrap_or_default()
        .contains("127.0.0.7")
    {
        assert!(
            std::time::Instant::now() < deadline + std::time::Duration::from_secs(30),
            "no ban; fail2ban log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    fail2ban_client(&conf, &socket, &["stop"]);
}

#[test]
fn the_docker_override_bans_in_docker_user_and_reads_the_volume() {
    let dir = tempfile::tempdir().unwrap();
    let docker = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/security/fail2ban/docker/classcord.local"
    ))
    .unwrap();
    let (_, action) = ban_action(&fail2ban_conf(dir.path(), &docker));
    assert!(
        action.contains("-I DOCKER-USER -p $proto -m multiport --dports 12345,12346,8080,8443"),
        "{action}"
    );
    assert!(!action.contains("nft"), "{action}");
    // fail2ban leaves a missing log file out of its dump: the path is checked as written,
    // against the volume compose.yaml declares in the project .env names.
    assert!(docker
        .contains("\nlogpath = /var/lib/docker/volumes/classcord_classcord-logs/_data/auth.log\n"));
    let root = env!("CARGO_MANIFEST_DIR");
    let compose = std::fs::read_to_string(format!("{root}/compose.yaml")).unwrap();
    let project = std::fs::read_to_string(format!("{root}/.env")).unwrap();
    assert!(project.contains("\nCOMPOSE_PROJECT_NAME=classcord\n"));
    assert!(compose.contains("classcord-logs:/var/lib/classcord/logs\n"));
}
