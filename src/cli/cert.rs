//! `classcord generate-cert`: the local CA and server certificate, and what to do with them.

use std::path::Path;

use super::{load_config_file, GenerateCertArgs};
use crate::certs::{CaChoice, Existing};

pub(super) fn generate(args: GenerateCertArgs) -> anyhow::Result<()> {
    let tls = load_config_file(args.config.as_deref())?.tls;
    let in_dir = |default: &Path, file: &str| match &args.dir {
        Some(dir) => dir.join(file),
        None => default.to_owned(),
    };
    let report = crate::certs::generate(&crate::certs::CertRequest {
        ca_cert: in_dir(&tls.ca_cert, "ca.crt"),
        ca_key: in_dir(&tls.ca_key, "ca.key"),
        cert: in_dir(&tls.cert, "server.crt"),
        key: in_dir(&tls.key, "server.key"),
        extra_sans: args.san,
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
