//! Logins checked by the school's directory (`[ldap]`), against a real `slapd` (Debian's
//! package, started by the test on a free port with a fixture directory: a teacher in a
//! teachers' group, two pupils): the directory's password logs in, a wrong one fails and is
//! logged for fail2ban, the group gives the teacher's role and taking them out of it takes
//! the role away at the next login, and a directory that hangs or is stopped gives a clear
//! French refusal within the configured time.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use classcord::config::{Config, Language};
use common::{free_port, wait_for_port, Client, TestServer};
use serde_json::json;

const SUFFIX: &str = "dc=lycee,dc=test";
const ROOT_DN: &str = "cn=admin,dc=lycee,dc=test";
const ROOT_PASSWORD: &str = "racine-secrete";
const TEACHERS: &str = "cn=profs,ou=groups,dc=lycee,dc=test";
const FAIL2BAN_FILTER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/security/fail2ban/filter.d/classcord.conf"
);

/// A `slapd` of its own, killed when dropped.
struct Slapd {
    child: Child,
    port: u16,
    /// The `ldaps://` port, when started with a certificate.
    tls_port: Option<u16>,
    dir: PathBuf,
}

fn slapd_binary() -> &'static str {
    let path = "/usr/sbin/slapd";
    assert!(
        Path::new(path).exists(),
        "slapd is not installed: apt-get install slapd ldap-utils (.ci/run does)"
    );
    path
}

fn fixture() -> String {
    let person = |uid: &str, name: &str, password: &str| {
        format!(
            "dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\nsn: {name}\nuserPassword: {password}\n\n"
        )
    };
    format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Lycee\ndc: lycee\n\n\
         dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n\
         {}{}{}\
         dn: {TEACHERS}\nobjectClass: groupOfNames\ncn: profs\nmember: uid=claire.martin,ou=people,{SUFFIX}\n",
        person("claire.martin", "Martin", "craie-blanche"),
        person("leo.petit", "Petit", "cartable-bleu"),
        person("ines.roux", "Roux", "stylo-rouge"),
    )
}

impl Slapd {
    /// Loads the fixture with `slapadd`, then starts `slapd` in the foreground; with
    /// `certs` (a `generate-cert` directory), StartTLS and `ldaps://` too.
    async fn start(dir: &Path, certs: Option<&Path>) -> Slapd {
        let binary = slapd_binary();
        let dir = dir.join("ldap");
        std::fs::create_dir_all(dir.join("db")).unwrap();
        let conf = dir.join("slapd.conf");
        std::fs::write(
            &conf,
            format!(
                "include /etc/ldap/schema/core.schema\n\
                 include /etc/ldap/schema/cosine.schema\n\
                 include /etc/ldap/schema/nis.schema\n\
                 include /etc/ldap/schema/inetorgperson.schema\n\
                 modulepath /usr/lib/ldap\nmoduleload back_mdb\n\
                 pidfile {dir}/slapd.pid\nargsfile {dir}/slapd.args\n\
                 database mdb\nmaxsize 10485760\nsuffix \"{SUFFIX}\"\n\
                 rootdn \"{ROOT_DN}\"\nrootpw {ROOT_PASSWORD}\ndirectory {dir}/db\n\
                 access to attrs=userPassword by anonymous auth by * none\n\
                 access to * by * read\n{tls}",
                dir = dir.display(),
                tls = certs.map_or(String::new(), |certs| format!(
                    "TLSCACertificateFile {certs}/ca.crt\nTLSCertificateFile {certs}/server.crt\n\
                     TLSCertificateKeyFile {certs}/server.key\n",
                    certs = certs.display()
                )),
            ),
        )
        .unwrap();
        let ldif = dir.join("fixture.ldif");
        std::fs::write(&ldif, fixture()).unwrap();
        let loaded = Command::new("/usr/sbin/slapadd")
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(&ldif)
            .output()
            .expect("slapadd runs");
        assert!(
            loaded.status.success(),
            "slapadd: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );
        let port = free_port();
        let tls_port = certs.map(|_| free_port());
        let mut urls = format!("ldap://127.0.0.1:{port}/");
        if let Some(tls_port) = tls_port {
            urls.push_str(&format!(" ldaps://127.0.0.1:{tls_port}/"));
        }
        let child = Command::new(binary)
            .arg("-f")
            .arg(&conf)
            .arg("-h")
            .arg(urls)
            // In the foreground, logging nothing: the test stops it.
            .args(["-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("slapd starts");
        wait_for_port(port).await;
        if let Some(tls_port) = tls_port {
            wait_for_port(tls_port).await;
        }
        Slapd {
            child,
            port,
            tls_port,
            dir,
        }
    }

    fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// Changes the directory as its administrator would, with `ldapmodify`.
    fn modify(&self, ldif: &str) {
        use std::io::Write;
        let mut child = Command::new("ldapmodify")
            .args(["-x", "-H", &self.url(), "-D", ROOT_DN, "-w", ROOT_PASSWORD])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ldapmodify runs (apt-get install ldap-utils)");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(ldif.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "ldapmodify: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(self.dir.join("db"));
    }
}

fn with_directory(config: &mut Config, slapd: &Slapd) {
    config.server.language = Language::Fr;
    config.ldap.url = slapd.url();
    // The test directory listens on loopback without TLS.
    config.ldap.starttls = false;
    config.ldap.user_base = format!("ou=people,{SUFFIX}");
    config.ldap.moderator_groups = vec![TEACHERS.into()];
    config.ldap.timeout_secs = 2;
}

async fn try_login(server: &TestServer, name: &str, password: &str) -> (Client, serde_json::Value) {
    let mut client = server.client().await;
    let reply = client.try_login(name, password).await;
    (client, reply)
}

/// The role the server gives `name`, online now (the admin socket's user list).
async fn role_of(server: &TestServer, name: &str) -> String {
    let users = server.admin_request(json!({"command": "users"})).await;
    users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["name"] == name)
        .unwrap_or_else(|| panic!("{name} is online: {users}"))["role"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pupils_and_teachers_log_in_with_the_directory_password() {
    let dir = tempfile::tempdir().unwrap();
    let slapd = Slapd::start(dir.path(), None).await;
    let mut server = TestServer::start_with(|config| with_directory(config, &slapd)).await;

    let (mut pupil, reply) = try_login(&server, "leo.petit", "cartable-bleu").await;
    assert_eq!(reply["status"], "ok", "{reply}");
    pupil.sync().await;
    assert_eq!(role_of(&server, "leo.petit").await, "user");

    let (_, refused) = try_login(&server, "ines.roux", "pas-le-bon").await;
    assert_eq!(refused["code"], "login_failed", "{refused}");
    assert_eq!(
        refused["message"],
        "Nom d'utilisateur ou mot de passe incorrect."
    );
    let (_, unknown) = try_login(&server, "personne", "x").await;
    assert_eq!(unknown["code"], "login_failed", "{unknown}");
    // An empty password would be an anonymous bind, which the directory accepts.
    let (_, empty) = try_login(&server, "ines.roux", "").await;
    assert_eq!(empty["code"], "login_failed", "{empty}");

    let (mut teacher, reply) = try_login(&server, "claire.martin", "craie-blanche").await;
    assert_eq!(reply["status"], "ok", "{reply}");
    teacher.sync().await;
    assert_eq!(role_of(&server, "claire.martin").await, "moderator");
    teacher.say("/mute leo.petit 5 min").await;
    assert!(
        teacher.said().await.starts_with("leo.petit"),
        "a teacher may mute"
    );
    drop(teacher);

    // The directory's administrator takes her out of the teachers' group: at her next login
    // she is a user again.
    slapd.modify(&format!(
        "dn: {TEACHERS}\nchangetype: modify\nreplace: member\nmember: {ROOT_DN}\n"
    ));
    let (mut teacher, reply) = try_login(&server, "claire.martin", "craie-blanche").await;
    assert_eq!(reply["status"], "ok", "{reply}");
    teacher.sync().await;
    assert_eq!(role_of(&server, "claire.martin").await, "user");

    // The wrong password and the unknown login are in the fail2ban log; the shipped filter
    // finds them (and nothing else).
    server.stop().await;
    let auth_log = server.path("logs/auth.log");
    let log = std::fs::read_to_string(&auth_log).unwrap();
    assert!(
        log.contains("reason=wrong_password user=\"ines.roux\""),
        "{log}"
    );
    assert!(!log.contains("pas-le-bon"), "never a password");
    let matched = Command::new("fail2ban-regex")
        .arg(&auth_log)
        .arg(FAIL2BAN_FILTER)
        .output()
        .expect("fail2ban-regex is installed");
    let summary = String::from_utf8_lossy(&matched.stdout);
    assert!(
        summary.contains("Lines: 3 lines, 0 ignored, 3 matched"),
        "{summary}"
    );
    // The directory's password is not stored.
    let db = rusqlite::Connection::open(server.path("data/classcord.db")).unwrap();
    let stored: String = db
        .query_row(
            "SELECT password_hash FROM users WHERE name_key = 'leo.petit'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(!stored.contains("cartable"), "{stored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_that_does_not_answer_fails_the_login_in_time_and_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let slapd = Slapd::start(dir.path(), None).await;
    let mut server = TestServer::start_with(|config| with_directory(config, &slapd)).await;
    // An account of the server's own still logs in whatever the directory does ("also").
    {
        let mut local = server.client().await;
        local.register("surveillant", "cahier-de-textes").await;
    }

    let unavailable = "L'annuaire de l'établissement ne répond pas : réessayez dans un moment.";
    // Hung: the connection is accepted by the kernel, nothing answers.
    slapd.signal("STOP");
    let started = Instant::now();
    let (_, refused) = try_login(&server, "leo.petit", "cartable-bleu").await;
    let waited = started.elapsed();
    assert_eq!(refused["message"], unavailable, "{refused}");
    assert_eq!(refused["code"], "login_failed", "{refused}");
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(8),
        "bounded by timeout_secs = 2: {waited:?}"
    );
    let (mut local, reply) = try_login(&server, "surveillant", "cahier-de-textes").await;
    assert_eq!(reply["status"], "ok", "{reply}");
    local.sync().await;

    // Stopped: refused at once.
    slapd.signal("CONT");
    drop(slapd);
    let (_, refused) = try_login(&server, "leo.petit", "cartable-bleu").await;
    assert_eq!(refused["message"], unavailable, "{refused}");

    // Neither is a failed password: nothing for fail2ban.
    server.stop().await;
    let log = std::fs::read_to_string(server.path("logs/auth.log")).unwrap_or_default();
    assert!(!log.contains("leo.petit"), "{log}");
}

/// A CA and a certificate for 127.0.0.1, made by `classcord generate-cert`.
fn certificates(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let certs = dir.join("ldap-certs");
    let made = common::run_classcord(
        dir,
        &["generate-cert", "--dir", certs.to_str().unwrap()],
        "",
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    certs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_reach_the_directory_only_over_tls_it_trusts() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certificates(dir.path());
    let slapd = Slapd::start(dir.path(), Some(&certs)).await;
    let tls_url = format!("ldaps://127.0.0.1:{}", slapd.tls_port.unwrap());
    let plain_url = slapd.url();
    let over = |url: String, starttls: bool, ca: PathBuf| {
        let slapd = &slapd;
        move |config: &mut Config| {
            with_directory(config, slapd);
            config.ldap.url = url;
            config.ldap.starttls = starttls;
            config.ldap.ca_file = ca;
        }
    };
    let ca = certs.join("ca.crt");
    for (url, starttls) in [(plain_url.clone(), true), (tls_url.clone(), false)] {
        let server = TestServer::start_with(over(url.clone(), starttls, ca.clone())).await;
        let (_, reply) = try_login(&server, "leo.petit", "cartable-bleu").await;
        assert_eq!(
            reply["status"], "ok",
            "{url} (StartTLS {starttls}): {reply}"
        );
    }

    // A directory whose certificate the configured CA did not sign: no password is sent.
    let other = certificates(&dir.path().join("other"));
    let server = TestServer::start_with(over(tls_url, false, other.join("ca.crt"))).await;
    let (_, refused) = try_login(&server, "leo.petit", "cartable-bleu").await;
    assert_eq!(
        refused["message"],
        "L'annuaire de l'établissement ne répond pas : réessayez dans un moment.",
        "{refused}"
    );
}

/// `classcord check-config` on a configuration using `slapd` with the service account
/// `cn=admin` and `password`: (success, what it printed).
fn check_config(dir: &Path, slapd: &Slapd, password: &str) -> (bool, String) {
    let password_file = dir.join("ldap-password");
    std::fs::write(&password_file, format!("{password}\n")).unwrap();
    let config = dir.join("check.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nstate_dir = {dir:?}\n[listen]\nplain = [\"127.0.0.1:0\"]\ntls = []\n\
             [ldap]\nurl = {url:?}\nstarttls = false\nbind_dn = {ROOT_DN:?}\n\
             bind_password_file = {password_file:?}\nuser_base = \"ou=people,{SUFFIX}\"\n",
            dir = dir,
            url = slapd.url(),
        ),
    )
    .unwrap();
    let output = common::run_classcord(
        dir,
        &["check-config", "--config", config.to_str().unwrap()],
        "",
    );
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_asks_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let slapd = Slapd::start(dir.path(), None).await;
    let (ok, said) = check_config(dir.path(), &slapd, ROOT_PASSWORD);
    assert!(ok, "{said}");
    assert!(
        said.contains(&format!(
            "note: directory {} answers and ou=people,{SUFFIX} is readable",
            slapd.url()
        )),
        "{said}"
    );
    let (ok, said) = check_config(dir.path(), &slapd, "pas-le-bon");
    assert!(!ok, "{said}");
    assert!(
        said.contains("refused the service account's bind (result code 49)"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_mode_only_every_login_goes_to_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let slapd = Slapd::start(dir.path(), None).await;
    let mut server = TestServer::start_with(|config| with_directory(config, &slapd)).await;
    {
        let mut local = server.client().await;
        local.register("surveillant", "cahier-de-textes").await;
    }
    server.stop().await;
    server
        .restart(|config| {
            with_directory(config, &slapd);
            config.ldap.mode = classcord::config::LdapMode::Only;
        })
        .await;
    let (_, refused) = try_login(&server, "surveillant", "cahier-de-textes").await;
    assert_eq!(refused["code"], "login_failed", "{refused}");
    let (_, reply) = try_login(&server, "ines.roux", "stylo-rouge").await;
    assert_eq!(reply["status"], "ok", "{reply}");
}
