//! `classcord check-config`: everything `serve` would trip over, found before it starts:
//! the file itself, the directories it writes to, the certificate, the ports. Every problem
//! is listed, and the exit status says whether there was one.

use std::net::SocketAddr;
use std::path::Path;

use crate::certs::inspect::{read_facts, warnings, CertWarning};
use crate::certs::MachineNames;
use crate::config::Config;

/// What the check found.
#[derive(Default)]
struct Findings {
    problems: Vec<String>,
    /// Allowed, but most likely not what was meant.
    warnings: Vec<String>,
    notes: Vec<String>,
}

pub(super) fn check(config_path: Option<&Path>) -> anyhow::Result<()> {
    let config = super::load_config_file(config_path)?;
    let mut findings = Findings::default();
    for (what, path) in [
        ("database", &config.storage.database),
        ("audit log", &config.logging.audit_file),
        ("authentication log", &config.logging.auth_file),
        ("admin socket", &config.admin.socket),
    ] {
        if !path.as_os_str().is_empty() {
            check_writable(what, path, &mut findings);
        }
    }
    if !config.storage.database.exists() {
        findings.notes.push(format!(
            "database {} does not exist yet: `serve` will create it",
            config.storage.database.display()
        ));
    }
    if !config.listen.tls.is_empty() || !config.listen.web_tls.is_empty() {
        check_certificate(&config, &mut findings);
    }
    check_listeners(&config, &mut findings);
    if config.gate.allow.is_empty() {
        findings.warnings.push(
            "[gate] allow is empty: every connection will be refused (list the school's networks)"
                .into(),
        );
    }
    if config.ldap.is_enabled() {
        check_directory(&config, &mut findings);
    }
    for note in &findings.notes {
        println!("note: {note}");
    }
    for warning in &findings.warnings {
        println!("warning: {warning}");
    }
    for problem in &findings.problems {
        println!("problem: {problem}");
    }
    match findings.problems.len() {
        0 => {
            println!("configuration ok");
            Ok(())
        }
        count => anyhow::bail!("{count} problem(s) found"),
    }
}

/// The directory's files read, and the directory asked whether it answers.
fn check_directory(config: &Config, findings: &mut Findings) {
    let directory = match crate::directory::Directory::open(&config.ldap) {
        Ok(Some(directory)) => directory,
        Ok(None) => return,
        Err(error) => return findings.problems.push(error.to_string()),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return findings
                .problems
                .push(format!("cannot start a runtime: {error}"))
        }
    };
    match runtime.block_on(directory.probe()) {
        Ok(()) => findings.notes.push(format!(
            "directory {} answers and {} is readable",
            config.ldap.url, config.ldap.user_base
        )),
        Err(error) => findings
            .problems
            .push(format!("directory {}: {error}", config.ldap.url)),
    }
}

/// A file the server appends to or creates: it must be writable, or its nearest existing
/// directory must be.
fn check_writable(what: &str, path: &Path, findings: &mut Findings) {
    if path.exists() {
        if path.is_dir() {
            findings
                .problems
                .push(format!("{what} {} is a directory", path.display()));
        } else if std::fs::OpenOptions::new().append(true).open(path).is_err() && !is_socket(path) {
            findings.problems.push(format!(
                "{what} {} is not writable by this user",
                path.display()
            ));
        }
        return;
    }
    let Some(existing) = path.ancestors().skip(1).find(|dir| dir.exists()) else {
        return;
    };
    if !existing.is_dir() {
        findings.problems.push(format!(
            "{what} {}: {} is not a directory",
            path.display(),
            existing.display()
        ));
        return;
    }
    let probe = existing.join(format!(".classcord-check-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(error) => findings.problems.push(format!(
            "{what} {}: cannot create files in {}: {error}",
            path.display(),
            existing.display()
        )),
    }
}

fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

fn check_certificate(config: &Config, findings: &mut Findings) {
    let tls = &config.tls;
    if !tls.cert.exists() {
        if tls.generate_if_missing {
            findings.notes.push(format!(
                "no certificate at {}: `serve` will generate one",
                tls.cert.display()
            ));
            check_writable("certificate", &tls.cert, findings);
        } else {
            findings.problems.push(format!(
                "no certificate at {} and generate_if_missing is off",
                tls.cert.display()
            ));
        }
        return;
    }
    if let Err(error) = crate::transport::server_config(&tls.cert, &tls.key) {
        findings.problems.push(error.to_string());
        return;
    }
    match read_facts(&tls.cert) {
        Ok(facts) => {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            for warning in warnings(&facts, &config.listen.tls, MachineNames::of(tls), now) {
                match warning {
                    CertWarning::Expired { .. } => findings.problems.push(warning.to_string()),
                    _ => findings.notes.push(warning.to_string()),
                }
            }
        }
        Err(error) => findings.problems.push(format!(
            "cannot read the certificate {}: {error}",
            tls.cert.display()
        )),
    }
}

/// Every listener's port is free, and no two listeners of this file take the same one (an
/// address on all interfaces takes the port of every address).
fn check_listeners(config: &Config, findings: &mut Findings) {
    let listen = &config.listen;
    let listeners = [
        ("[listen] plain", &listen.plain),
        ("[listen] tls", &listen.tls),
        ("[listen] web", &listen.web),
        ("[listen] web_tls", &listen.web_tls),
        ("[metrics] listen", &config.metrics.listen),
    ];
    let mut taken: Vec<(SocketAddr, &str)> = Vec::new();
    for (key, addrs) in listeners {
        for addr in addrs.iter() {
            let clash = taken.iter().find(|(other, _)| {
                addr.port() != 0
                    && other.port() == addr.port()
                    && other.is_ipv4() == addr.is_ipv4()
                    && (other.ip() == addr.ip()
                        || other.ip().is_unspecified()
                        || addr.ip().is_unspecified())
            });
            match clash {
                Some((other, other_key)) => findings.problems.push(format!(
                    "{key} {addr} and {other_key} {other} use the same port"
                )),
                None => check_port(*addr, findings),
            }
            taken.push((*addr, key));
        }
    }
}

fn check_port(addr: SocketAddr, findings: &mut Findings) {
    if let Err(error) = std::net::TcpListener::bind(addr) {
        findings.problems.push(format!(
            "cannot listen on {addr}: {error} (is a server already running?)"
        ));
    }
}
