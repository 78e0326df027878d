//! `classcord generate-cert`: the local CA and server certificate, and what to do with them.

use std::path::Path;

use super::{load_config_file, GenerateCertArgs};
use crate::certs::{CaChoice, Existing, MachineNames};

pub(super) fn generate(args: GenerateCertArgs) -> anyhow::Result<()> {
    let tls = load_config_file(args.config.as_deref())?.tls;
    let in_dir = |default: &Path, file: &str| match &args.dir {
        Some(dir) => dir.join(file),
        None => default.to_owned(),
    };
    let ca_cert = in_dir(&tls.ca_cert, "ca.crt");
    let ca_key = in_dir(&tls.ca_key, "ca.key");
    let ca_present = ca_cert.exists() && ca_key.exists();
    if !args.ca_scope.is_empty() && ca_present && !args.new_ca {
        anyhow::bail!(
            "--ca-scope is what a new CA may vouch for; the existing CA {} keeps its own: add --new-ca (every PC must then trust the new ca.crt)",
            ca_cert.display()
        );
    }
    let ca_scope = if args.ca_scope.is_empty() {
        tls.ca_scope.clone()
    } else {
        args.ca_scope
    };
    let report = crate::certs::generate(&crate::certs::CertRequest {
        ca_cert,
        ca_key,
        cert: in_dir(&tls.cert, "server.crt"),
        key: in_dir(&tls.key, "server.key"),
        extra_sans: args.san,
        machine_names: MachineNames::of(&tls),
        ca_scope,
        leaf_days: args.days,
        ca_days: args.ca_days,
        existing: if args.force {
            Existing::Replace
        } else {
            Existing::Refuse
        },
        ca: if args.new_ca {
            CaChoice::New
        } else {
            CaChoice::ReuseIfPresent
        },
    })?;
    let ca_state = if report.ca_reused {
        "existing CA kept"
    } else {
        "new CA"
    };
    println!("CA certificate ({ca_state}): {}", report.ca_cert.display());
    println!("  SHA-256 fingerprint: {}", report.ca_fingerprint);
    println!(
        "Server certificate: {} (key: {}, mode 0600)",
        report.cert.display(),
        report.key.display()
    );
    println!("  SHA-256 fingerprint: {}", report.cert_fingerprint);
    println!("  valid until: {}", report.not_after.date());
    println!("  names: {}", report.sans.join(", "));
    println!();
    println!(
        "Clients and stunnel must trust {} (never copy the .key files);",
        report.ca_cert.display()
    );
    println!(
        "check on each PC that its SHA-256 fingerprint is {}:",
        report.ca_fingerprint
    );
    println!(
        "  stunnel (client = yes):  CAfile = {}   verifyChain = yes   checkHost = <server name>",
        report.ca_cert.display()
    );
    println!(
        "  openssl s_client -connect <server>:12346 -CAfile {} -verify_return_error",
        report.ca_cert.display()
    );
    println!(
        "  Java: keytool -importcert -alias classcord -file {} -keystore truststore.jks",
        report.ca_cert.display()
    );
    println!("  (on a PC: openssl x509 -noout -fingerprint -sha256 -in ca.crt)");
    println!("A running server picks up a new certificate on SIGHUP (systemctl reload classcord).");
    Ok(())
}
