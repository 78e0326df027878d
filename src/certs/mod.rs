//! `generate-cert`: a local certificate authority and a server certificate signed by it
//! (ECDSA P-256). Clients and stunnel trust the CA file; the server presents the leaf.

use std::fs::OpenOptions;
use std::io::Write;
use std::net::IpAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub(crate) mod inspect;

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, SanType, PKCS_ECDSA_P256_SHA256,
};
use time::{Duration, OffsetDateTime};

#[derive(Debug, thiserror::Error)]
pub(crate) enum CertError {
    #[error("{0} already exists: pass --force to replace it")]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("invalid --san {0:?}: give a host name (letters, digits, '-', dots) or an IP address")]
    San(String),
    #[error("{0}")]
    Validity(String),
    #[error("invalid CA scope {0:?}: give a domain (lycee.local), an address or a network (192.168.0.0/16)")]
    Scope(String),
}

/// Validity of a server certificate: 825 days, the longest clients commonly accept.
pub(crate) const DEFAULT_LEAF_DAYS: u32 = 825;
/// Validity of the local CA: ten years.
pub(crate) const DEFAULT_CA_DAYS: u32 = 3650;

/// What to generate.
#[derive(Debug, Clone)]
pub(crate) struct CertRequest {
    pub(crate) ca_cert: PathBuf,
    pub(crate) ca_key: PathBuf,
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
    /// Extra names or addresses, on top of localhost, the host name and the machine's addresses.
    pub(crate) extra_sans: Vec<String>,
    /// Whether the host name and the machine's addresses are among the names.
    pub(crate) machine_names: MachineNames,
    /// What a new CA may vouch for (names with their subdomains, networks); empty: the
    /// names of the certificate, each address's whole private network.
    pub(crate) ca_scope: Vec<String>,
    pub(crate) leaf_days: u32,
    pub(crate) ca_days: u32,
    /// What to do with files that already exist.
    pub(crate) existing: Existing,
    /// Whether an existing CA (both files present) signs the new server certificate.
    pub(crate) ca: CaChoice,
}

/// What to do with a file that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Existing {
    Refuse,
    Replace,
}

/// Whether a generated certificate names the machine it is made on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MachineNames {
    /// Its host name and network addresses, beside localhost and loopback.
    Include,
    /// Not them (a container: its random host name and bridge address reach nobody).
    LeaveOut,
}

impl MachineNames {
    pub(crate) fn of(tls: &crate::config::TlsSection) -> MachineNames {
        if tls.machine_names {
            MachineNames::Include
        } else {
            MachineNames::LeaveOut
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CaChoice {
    /// Keep the CA when present (clients keep trusting it); create one otherwise.
    ReuseIfPresent,
    /// Always create a new CA (clients must trust the new `ca.crt`).
    New,
}

/// Who may read a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Secrecy {
    /// Certificates: mode 0644.
    Public,
    /// Private keys: mode 0600 from the moment the file exists.
    Private,
}

/// What was written.
#[derive(Debug, Clone)]
pub(crate) struct CertReport {
    pub(crate) ca_cert: PathBuf,
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
    pub(crate) ca_reused: bool,
    pub(crate) ca_fingerprint: String,
    pub(crate) cert_fingerprint: String,
    pub(crate) sans: Vec<String>,
    pub(crate) not_after: OffsetDateTime,
}

/// The names a server certificate should cover on this machine.
pub(crate) fn default_sans(extra: &[String], machine: MachineNames) -> Vec<String> {
    let mut sans = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if machine == MachineNames::Include {
        if let Some(host) = host_name().filter(|name| is_host_name(name)) {
            sans.push(host);
        }
        if let Ok(interfaces) = if_addrs::get_if_addrs() {
            sans.extend(
                interfaces
                    .iter()
                    .filter(|i| !i.is_loopback())
                    .map(|i| i.ip().to_string()),
            );
        }
    }
    sans.extend(extra.iter().cloned());
    let mut unique = Vec::new();
    for san in sans {
        if !unique.contains(&san) {
            unique.push(san);
        }
    }
    unique
}

/// The machine's host name (from the kernel, not `/proc`: the systemd unit hides `/proc/sys`).
fn host_name() -> Option<String> {
    let name = gethostname::gethostname().into_string().ok()?;
    let name = name.trim();
    (!name.is_empty() && name != "localhost").then(|| name.to_owned())
}

pub(crate) fn generate(request: &CertRequest) -> Result<CertReport, CertError> {
    let ca_present = request.ca_cert.exists() && request.ca_key.exists();
    let reuse_ca = request.ca == CaChoice::ReuseIfPresent && ca_present;
    if request.existing == Existing::Refuse {
        let mut must_be_absent = vec![&request.cert, &request.key];
        if !reuse_ca {
            must_be_absent.extend([&request.ca_cert, &request.ca_key]);
        }
        if let Some(existing) = must_be_absent.into_iter().find(|p| p.exists()) {
            return Err(CertError::Exists(existing.clone()));
        }
    }
    check_validity(request, reuse_ca.then_some(request.ca_cert.as_path()))?;
    for extra in &request.extra_sans {
        san(extra)?;
    }
    let now = OffsetDateTime::now_utc();
    let host = host_name().unwrap_or_else(|| "localhost".into());

    let sans = default_sans(&request.extra_sans, request.machine_names);
    let (ca_pem, ca_key, sans) = if reuse_ca {
        let pem = read(&request.ca_cert)?;
        let key = KeyPair::from_pem(&read(&request.ca_key)?)?;
        let permitted = inspect::permitted_subtrees(&pem).map_err(|error| {
            CertError::Validity(format!("cannot read the existing CA: {error}"))
        })?;
        let sans = match permitted {
            Some(permitted) => within(&permitted, sans, &request.extra_sans, Remedy::NewCa)?,
            // A CA made before name constraints permits everything.
            None => sans,
        };
        (pem, key, sans)
    } else {
        let permitted = ca_scope(&request.ca_scope, &sans)?;
        let sans = within(&permitted, sans, &request.extra_sans, Remedy::WiderScope)?;
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(&format!("ClassCord local CA ({host})"));
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = now - Duration::hours(1);
        params.not_after = now + Duration::days(i64::from(request.ca_days));
        // A school installs this CA in its PCs' trust store: it may vouch for these names
        // and addresses only, never for another site.
        params.name_constraints = Some(NameConstraints {
            permitted_subtrees: permitted,
            excluded_subtrees: Vec::new(),
        });
        let cert = params.self_signed(&key)?;
        (cert.pem(), key, sans)
    };
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, &ca_key)?;

    let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::default();
    params.subject_alt_names = sans.iter().map(|s| san(s)).collect::<Result<_, _>>()?;
    params.distinguished_name = name(&host);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(i64::from(request.leaf_days));
    let leaf = params.signed_by(&leaf_key, &issuer)?;

    if !reuse_ca {
        write(
            &request.ca_key,
            ca_key.serialize_pem().as_bytes(),
            Secrecy::Private,
            request.existing,
        )?;
        write(
            &request.ca_cert,
            ca_pem.as_bytes(),
            Secrecy::Public,
            request.existing,
        )?;
    }
    write(
        &request.key,
        leaf_key.serialize_pem().as_bytes(),
        Secrecy::Private,
        request.existing,
    )?;
    // The server presents its certificate followed by the CA's.
    let chain = format!("{}{}", leaf.pem(), ca_pem);
    write(
        &request.cert,
        chain.as_bytes(),
        Secrecy::Public,
        request.existing,
    )?;
    Ok(CertReport {
        ca_cert: request.ca_cert.clone(),
        cert: request.cert.clone(),
        key: request.key.clone(),
        ca_reused: reuse_ca,
        ca_fingerprint: pem_fingerprint(&ca_pem).unwrap_or_default(),
        cert_fingerprint: fingerprint(leaf.der()),
        sans,
        not_after: params.not_after,
    })
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "ClassCord");
    dn.push(DnType::CommonName, common_name);
    dn
}

fn san(text: &str) -> Result<SanType, CertError> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    if !is_host_name(text) {
        return Err(CertError::San(text.to_owned()));
    }
    text.to_owned()
        .try_into()
        .map(SanType::DnsName)
        .map_err(|_| CertError::San(text.to_owned()))
}

/// What a new CA may vouch for: the scope given (a name covers its subdomains; an address
/// or a network in CIDR), or else each name of the certificate and, for each address, its
/// whole private network (10/8, 172.16/12, 192.168/16, fc00::/7, fe80::/10, loopback), so
/// that a new address of the school's network needs no new CA. localhost and loopback always.
fn ca_scope(scope: &[String], sans: &[String]) -> Result<Vec<GeneralSubtree>, CertError> {
    let mut entries: Vec<GeneralSubtree> = Vec::new();
    let mut add = |subtree: GeneralSubtree| {
        if !entries.contains(&subtree) {
            entries.push(subtree);
        }
    };
    for always in ["localhost", "127.0.0.0/8", "::1/128"] {
        add(scope_entry(always)?);
    }
    if scope.is_empty() {
        for name in sans {
            add(match name.parse::<IpAddr>() {
                Ok(ip) => network_subtree(private_network(ip)),
                Err(_) => scope_entry(name)?,
            });
        }
    } else {
        for entry in scope {
            add(scope_entry(entry)?);
        }
    }
    Ok(entries)
}

/// One entry of a CA's scope: a host name (and its subdomains), an address, or a network.
fn scope_entry(text: &str) -> Result<GeneralSubtree, CertError> {
    if let Ok(network) = text.parse::<ipnet::IpNet>() {
        return Ok(network_subtree(network.trunc()));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(network_subtree(ipnet::IpNet::from(ip)));
    }
    if !is_host_name(text) {
        return Err(CertError::Scope(text.to_owned()));
    }
    Ok(GeneralSubtree::DnsName(text.to_owned()))
}

fn network_subtree(network: ipnet::IpNet) -> GeneralSubtree {
    GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(
        network.addr(),
        network.prefix_len(),
    ))
}

/// The private network an address belongs to, or the address alone when it is public.
fn private_network(ip: IpAddr) -> ipnet::IpNet {
    const PRIVATE: [&str; 7] = [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    ];
    PRIVATE
        .iter()
        .filter_map(|net| net.parse::<ipnet::IpNet>().ok())
        .find(|net| net.contains(&ip))
        .unwrap_or_else(|| ipnet::IpNet::from(ip))
}

/// Whether a name constraint of the CA permits `text`.
fn permits(subtree: &GeneralSubtree, text: &str) -> bool {
    match (subtree, text.parse::<IpAddr>()) {
        (GeneralSubtree::IpAddress(subnet), Ok(ip)) => match (subnet, ip) {
            (CidrSubnet::V4(net, mask), IpAddr::V4(ip)) => {
                (0..4).all(|i| ip.octets()[i] & mask[i] == net[i] & mask[i])
            }
            (CidrSubnet::V6(net, mask), IpAddr::V6(ip)) => {
                (0..16).all(|i| ip.octets()[i] & mask[i] == net[i] & mask[i])
            }
            _ => false,
        },
        (GeneralSubtree::DnsName(allowed), Err(_)) => {
            let (name, allowed) = (text.to_ascii_lowercase(), allowed.to_ascii_lowercase());
            name == allowed || name.ends_with(&format!(".{allowed}"))
        }
        _ => false,
    }
}

/// What to do when an explicit `--san` falls outside a CA's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Remedy {
    /// The existing CA cannot vouch for it: only a new CA can.
    NewCa,
    /// The scope given for the new CA leaves it out: widen it.
    WiderScope,
}

/// The names a CA with these constraints lets its server certificate carry. An explicit
/// `--san` it does not permit is refused, with the remedy; a name found on the machine that
/// it does not permit is left out.
fn within(
    permitted: &[GeneralSubtree],
    sans: Vec<String>,
    explicit: &[String],
    remedy: Remedy,
) -> Result<Vec<String>, CertError> {
    let allowed = |name: &str| permitted.iter().any(|subtree| permits(subtree, name));
    if let Some(refused) = explicit.iter().find(|name| !allowed(name)) {
        return Err(CertError::Validity(match remedy {
            Remedy::NewCa => format!(
                "the existing CA was made for other names and cannot vouch for {refused:?}: create a new CA with --new-ca, and --ca-scope for the school's domain and networks (every PC must then trust the new ca.crt)"
            ),
            Remedy::WiderScope => format!(
                "{refused:?} is outside --ca-scope (or [tls] ca_scope): add its domain or network there"
            ),
        }));
    }
    Ok(sans
        .into_iter()
        .filter(|name| {
            let keep = allowed(name);
            if !keep {
                eprintln!("note: {name} left out: the CA does not cover it (see --ca-scope)");
            }
            keep
        })
        .collect())
}

/// A DNS host name: dot-separated labels of 1 to 63 letters, digits or '-' (not at either
/// end of a label), 253 characters at most.
fn is_host_name(text: &str) -> bool {
    text.len() <= 253
        && text.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Refuses validities that make no sense before anything is written.
fn check_validity(request: &CertRequest, reused_ca: Option<&Path>) -> Result<(), CertError> {
    let refuse = |text: String| Err(CertError::Validity(text));
    if request.leaf_days == 0 || request.ca_days == 0 {
        return refuse("--days and --ca-days must be at least 1".into());
    }
    let leaf_end =
        OffsetDateTime::now_utc().unix_timestamp() + i64::from(request.leaf_days) * 86_400;
    let ca_end = match reused_ca {
        None => OffsetDateTime::now_utc().unix_timestamp() + i64::from(request.ca_days) * 86_400,
        Some(path) => {
            inspect::read_facts(path)
                .map_err(|error| {
                    CertError::Validity(format!("cannot read the CA {}: {error}", path.display()))
                })?
                .not_after
        }
    };
    if leaf_end > ca_end {
        return refuse(format!(
            "the server certificate ({} days) would outlive its CA (which ends {}): clients would refuse it then; shorten --days or create a new CA with --new-ca",
            request.leaf_days,
            OffsetDateTime::from_unix_timestamp(ca_end).map_or_else(|_| ca_end.to_string(), |t| t.date().to_string())
        ));
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, CertError> {
    std::fs::read_to_string(path).map_err(|source| CertError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Writes a file; private keys get mode 0600 from the moment they exist.
fn write(
    path: &Path,
    contents: &[u8],
    secrecy: Secrecy,
    existing: Existing,
) -> Result<(), CertError> {
    let private = secrecy == Secrecy::Private;
    let fail = |source| CertError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut options = OpenOptions::new();
    options
        .write(true)
        .mode(if private { 0o600 } else { 0o644 });
    if existing == Existing::Replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(fail)?;
    if private {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(fail)?;
    }
    file.write_all(contents).map_err(fail)
}

/// SHA-256 of a DER certificate, as `AB:CD:…` (the format `openssl x509 -fingerprint` prints).
pub(crate) fn fingerprint(der: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn pem_fingerprint(pem: &str) -> Option<String> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .ok()
        .map(|der| fingerprint(&der))
}
