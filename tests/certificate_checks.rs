//! Nothing strange is served without a word: the server warns when its certificate expires
//! soon or does not cover an address its TLS port listens on, exposes the expiry as a
//! metric, and `generate-cert` refuses arguments that make no sense.

mod common;

use common::{run_classcord, ServerProcess};

fn generate(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["generate-cert", "--dir", "certs"];
    all.extend(args);
    run_classcord(dir, &all, "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_warns_about_a_certificate_that_expires_soon_or_misses_an_address() {
    let dir = tempfile::tempdir().unwrap();
    let made = generate(dir.path(), &["--days", "10"]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let printed = String::from_utf8_lossy(&made.stdout);
    let ca_fingerprint = printed
        .lines()
        .find_map(|l| l.strip_prefix("check on each PC that its SHA-256 fingerprint is "))
        .expect("the CA fingerprint is printed where trusting the CA is explained");
    assert!(printed.contains(ca_fingerprint.trim_end_matches(':')));

    let server =
        ServerProcess::spawn_with(dir.path(), &["--tls-listen", "127.0.0.2:0"], true, None).await;
    let config = dir.path().join("classcord.toml");
    let metrics = run_classcord(
        dir.path(),
        &["admin", "--config", config.to_str().unwrap(), "metrics"],
        "",
    );
    let metrics = String::from_utf8_lossy(&metrics.stdout);
    assert!(
        metrics.contains("classcord_certificate_expiry_timestamp_seconds 1"),
        "{metrics}"
    );
    let log = server.terminate();
    assert!(
        log.contains("TLS certificate expires in 10 day(s)")
            || log.contains("TLS certificate expires in 9 day(s)"),
        "{log}"
    );
    assert!(log.contains("does not cover 127.0.0.2"), "{log}");
    assert!(!log.contains("does not cover 127.0.0.1"), "{log}");
}

#[test]
fn generate_cert_refuses_arguments_that_make_no_sense() {
    let dir = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (&["--days", "0"][..], "at least 1"),
        (&["--days", "4000"][..], "outlive its CA"),
        (&["--san", "salle 12"][..], "invalid --san"),
        (&["--san=-bad.example"][..], "invalid --san"),
    ] {
        let output = generate(dir.path(), args);
        assert!(!output.status.success(), "{args:?} accepted");
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(error.contains(expected), "{args:?}: {error}");
        assert!(
            !dir.path().join("certs/server.crt").exists(),
            "{args:?} wrote files"
        );
    }
    // With an existing CA of 100 days, a 200-day server certificate is refused too.
    let made = generate(dir.path(), &["--days", "50", "--ca-days", "100"]);
    assert!(made.status.success());
    let output = generate(dir.path(), &["--force", "--days", "200"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("outlive its CA"));
    assert!(generate(dir.path(), &["--force", "--days", "60"])
        .status
        .success());
}

fn openssl(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs")
}

/// Signs a certificate for `name` with the generated CA's key, as a thief of that key would.
fn sign_with_the_ca(dir: &std::path::Path, name: &str) -> String {
    let key = format!("{name}.key");
    let csr = format!("{name}.csr");
    let crt = format!("{name}.crt");
    let san = format!("subjectAltName=DNS:{name}");
    let subject = format!("/CN={name}");
    let made = openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-subj",
            &subject,
            "-addext",
            &san,
            "-out",
            &csr,
        ],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let signed = openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "certs/ca.crt",
            "-CAkey",
            "certs/ca.key",
            "-CAcreateserial",
            "-days",
            "10",
            "-copy_extensions",
            "copy",
            "-out",
            &crt,
        ],
    );
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    crt
}

#[test]
fn the_generated_ca_can_vouch_only_for_the_names_it_was_made_for() {
    let dir = tempfile::tempdir().unwrap();
    assert!(generate(dir.path(), &["--san", "chat.lycee.local"])
        .status
        .success());
    let text = openssl(
        dir.path(),
        &["x509", "-in", "certs/ca.crt", "-noout", "-text"],
    );
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Name Constraints"), "{text}");
    assert!(
        text.contains("DNS:chat.lycee.local") && text.contains("DNS:localhost"),
        "{text}"
    );
    assert!(text.contains("IP:127.0.0.0/255.0.0.0"), "{text}");
    let verify = |crt: &str| {
        openssl(dir.path(), &["verify", "-CAfile", "certs/ca.crt", crt])
            .status
            .success()
    };
    assert!(verify("certs/server.crt"));
    // A certificate for a name the school's CA was made for verifies; any other site's not.
    let inside = sign_with_the_ca(dir.path(), "www.chat.lycee.local");
    assert!(verify(&inside));
    let outside = sign_with_the_ca(dir.path(), "banque.example");
    assert!(!verify(&outside), "the CA vouches for any site");

    // Keeping the CA, a server certificate for a name outside it is refused, with the remedy.
    let refused = generate(dir.path(), &["--force", "--san", "autre.example"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--new-ca"));
    let renewed = generate(
        dir.path(),
        &["--force", "--new-ca", "--san", "autre.example"],
    );
    assert!(
        renewed.status.success(),
        "{}",
        String::from_utf8_lossy(&renewed.stderr)
    );
}

/// A CA made without a scope covers each of its addresses' whole private network: a new
/// address of the school's network is added keeping the CA (no new ca.crt on every PC).
#[test]
fn a_new_address_in_the_schools_network_keeps_the_ca() {
    let dir = tempfile::tempdir().unwrap();
    let first = generate(dir.path(), &["--san", "192.168.10.5"]);
    assert!(first.status.success(), "{first:?}");
    let ca = std::fs::read(dir.path().join("certs/ca.crt")).unwrap();
    let text = openssl(
        dir.path(),
        &["x509", "-in", "certs/ca.crt", "-noout", "-text"],
    );
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("IP:192.168.0.0/255.255.0.0"), "{text}");
    let added = generate(dir.path(), &["--force", "--san", "192.168.20.9"]);
    assert!(added.status.success(), "{added:?}");
    assert_eq!(std::fs::read(dir.path().join("certs/ca.crt")).unwrap(), ca);
    let served = openssl(
        dir.path(),
        &[
            "x509",
            "-in",
            "certs/server.crt",
            "-noout",
            "-ext",
            "subjectAltName",
        ],
    );
    assert!(String::from_utf8_lossy(&served.stdout).contains("IP Address:192.168.20.9"));
    let verify = openssl(
        dir.path(),
        &["verify", "-CAfile", "certs/ca.crt", "certs/server.crt"],
    );
    assert!(verify.status.success(), "{verify:?}");
    // A public address is exactly itself: the CA vouches for no other.
    let public = generate(dir.path(), &["--force", "--san", "203.0.113.7"]);
    assert!(!public.status.success());
    assert!(String::from_utf8_lossy(&public.stderr).contains("--ca-scope"));
}

/// The school's domain chosen at the first generate-cert (`--ca-scope`): later names inside
/// it keep the CA; one outside is refused; a scope for a CA that already exists is refused
/// unless a new CA is asked for.
#[test]
fn a_ca_scoped_to_the_schools_domain_takes_new_names_inside_it() {
    let dir = tempfile::tempdir().unwrap();
    let first = generate(
        dir.path(),
        &[
            "--san",
            "chat.lycee.local",
            "--ca-scope",
            "lycee.local",
            "--ca-scope",
            "10.20.0.0/16",
        ],
    );
    assert!(first.status.success(), "{first:?}");
    let ca = std::fs::read(dir.path().join("certs/ca.crt")).unwrap();
    let added = generate(
        dir.path(),
        &["--force", "--san", "ent.lycee.local", "--san", "10.20.3.4"],
    );
    assert!(added.status.success(), "{added:?}");
    assert_eq!(std::fs::read(dir.path().join("certs/ca.crt")).unwrap(), ca);
    let outside = sign_with_the_ca(dir.path(), "banque.example");
    let verify = |crt: &str| {
        openssl(dir.path(), &["verify", "-CAfile", "certs/ca.crt", crt])
            .status
            .success()
    };
    assert!(verify("certs/server.crt"));
    assert!(!verify(&outside), "the CA vouches for any site");
    let refused = generate(dir.path(), &["--force", "--san", "autre.example"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--new-ca"));
    let rescoped = generate(dir.path(), &["--force", "--ca-scope", "autre.example"]);
    assert!(!rescoped.status.success());
    assert!(String::from_utf8_lossy(&rescoped.stderr).contains("keeps its own"));
    // A scope that leaves out an explicit name is refused before anything is written.
    let other = tempfile::tempdir().unwrap();
    let narrow = generate(
        other.path(),
        &["--san", "chat.lycee.local", "--ca-scope", "college.local"],
    );
    assert!(!narrow.status.success());
    assert!(String::from_utf8_lossy(&narrow.stderr).contains("outside --ca-scope"));
    assert!(!other.path().join("certs/ca.crt").exists());
    let bad = generate(other.path(), &["--ca-scope", "pas un nom"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid CA scope"));
}
