//! What a served certificate says, checked at start and at every reload so that nothing
//! strange is served without a word: its expiry, and whether it covers the addresses the
//! TLS port listens on.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Days before expiry from which every start and reload warns.
pub(crate) const EXPIRY_WARNING_DAYS: i64 = 30;

/// The facts of a server certificate that matter to an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertificateFacts {
    /// Unix time (seconds) after which clients refuse it.
    pub(crate) not_after: i64,
    pub(crate) dns_names: Vec<String>,
    pub(crate) addresses: Vec<IpAddr>,
}

/// Something an administrator must hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CertWarning {
    Expired {
        days_ago: i64,
    },
    ExpiresSoon {
        days_left: i64,
    },
    /// Clients connecting to this address will refuse the certificate.
    AddressNotCovered(IpAddr),
}

impl std::fmt::Display for CertWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertWarning::Expired { days_ago } => write!(
                f,
                "the TLS certificate expired {days_ago} day(s) ago: clients refuse it; renew it with `classcord generate-cert --force`"
            ),
            CertWarning::ExpiresSoon { days_left } => write!(
                f,
                "the TLS certificate expires in {days_left} day(s): renew it with `classcord generate-cert --force`, then `systemctl reload classcord`"
            ),
            CertWarning::AddressNotCovered(ip) => write!(
                f,
                "the TLS certificate does not cover {ip}, an address the TLS port listens on: clients that connect to it refuse the certificate (add it with `classcord generate-cert --force --san {ip}`)"
            ),
        }
    }
}

/// Reads the first certificate of a PEM file (the server's own, before its chain).
pub(crate) fn read_facts(path: &Path) -> Result<CertificateFacts, String> {
    let der = CertificateDer::pem_file_iter(path)
        .map_err(|e| e.to_string())?
        .next()
        .ok_or("no certificate in the file")?
        .map_err(|e| e.to_string())?;
    let (_, cert) = X509Certificate::from_der(&der).map_err(|e| e.to_string())?;
    let mut facts = CertificateFacts {
        not_after: cert.validity().not_after.timestamp(),
        dns_names: Vec::new(),
        addresses: Vec::new(),
    };
    if let Ok(Some(names)) = cert.subject_alternative_name() {
        for name in &names.value.general_names {
            match name {
                GeneralName::DNSName(dns) => facts.dns_names.push((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => {
                    let ip = match bytes.len() {
                        4 => <[u8; 4]>::try_from(*bytes).ok().map(IpAddr::from),
                        16 => <[u8; 16]>::try_from(*bytes).ok().map(IpAddr::from),
                        _ => None,
                    };
                    facts.addresses.extend(ip);
                }
                _ => {}
            }
        }
    }
    Ok(facts)
}

/// The permitted name constraints of a CA certificate (PEM), or `None` when it has none.
pub(crate) fn permitted_subtrees(pem: &str) -> Result<Option<Vec<rcgen::GeneralSubtree>>, String> {
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| e.to_string())?;
    let (_, cert) = X509Certificate::from_der(&der).map_err(|e| e.to_string())?;
    let Some(constraints) = cert.name_constraints().map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let subtrees = constraints
        .value
        .permitted_subtrees
        .as_deref()
        .unwrap_or_default();
    Ok(Some(
        subtrees
            .iter()
            .filter_map(|subtree| match &subtree.base {
                GeneralName::DNSName(name) => {
                    Some(rcgen::GeneralSubtree::DnsName((*name).to_owned()))
                }
                GeneralName::IPAddress(bytes) => match bytes.len() {
                    8 => Some(rcgen::GeneralSubtree::IpAddress(rcgen::CidrSubnet::V4(
                        bytes[..4].try_into().ok()?,
                        bytes[4..].try_into().ok()?,
                    ))),
                    32 => Some(rcgen::GeneralSubtree::IpAddress(rcgen::CidrSubnet::V6(
                        bytes[..16].try_into().ok()?,
                        bytes[16..].try_into().ok()?,
                    ))),
                    _ => None,
                },
                _ => None,
            })
            .collect(),
    ))
}

/// What is wrong with `facts` for a server listening on `listen`, at Unix time `now`.
/// An unspecified address (`0.0.0.0`, `::`) stands for every address of the machine, unless
/// the machine's names are left out of certificates (a container's reach nobody).
pub(crate) fn warnings(
    facts: &CertificateFacts,
    listen: &[SocketAddr],
    machine: super::MachineNames,
    now: i64,
) -> Vec<CertWarning> {
    let mut found = Vec::new();
    let days = (facts.not_after - now).div_euclid(86_400);
    if facts.not_after <= now {
        found.push(CertWarning::Expired { days_ago: -days });
    } else if days < EXPIRY_WARNING_DAYS {
        found.push(CertWarning::ExpiresSoon { days_left: days });
    }
    let mut addresses: Vec<IpAddr> = Vec::new();
    for addr in listen {
        let ip = addr.ip().to_canonical();
        if ip.is_unspecified() {
            if machine == super::MachineNames::LeaveOut {
                continue;
            }
            let machine = if_addrs::get_if_addrs().unwrap_or_default();
            addresses.extend(
                machine
                    .iter()
                    .map(|i| i.ip())
                    .filter(|ip| ip.is_ipv4() == addr.is_ipv4() || addr.is_ipv6()),
            );
        } else {
            addresses.push(ip);
        }
    }
    for ip in addresses {
        let link_local = matches!(ip, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80);
        let covered = facts.addresses.iter().any(|a| a.to_canonical() == ip);
        if !covered && !link_local {
            let warning = CertWarning::AddressNotCovered(ip);
            if !found.contains(&warning) {
                found.push(warning);
            }
        }
    }
    found
}

/// Logs every warning about the certificate at `path`; returns its facts when it can be read.
pub(crate) fn check_and_log(
    path: &Path,
    listen: &[SocketAddr],
    machine: super::MachineNames,
) -> Option<CertificateFacts> {
    match read_facts(path) {
        Ok(facts) => {
            for warning in warnings(
                &facts,
                listen,
                machine,
                time::OffsetDateTime::now_utc().unix_timestamp(),
            ) {
                tracing::warn!(cert = %path.display(), "{warning}");
            }
            Some(facts)
        }
        Err(error) => {
            tracing::warn!(cert = %path.display(), %error, "cannot inspect the TLS certificate");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::MachineNames;

    fn facts(days_left: i64) -> CertificateFacts {
        CertificateFacts {
            not_after: 1_000_000 + days_left * 86_400,
            dns_names: vec!["localhost".into()],
            addresses: vec![
                "127.0.0.1".parse().unwrap(),
                "192.168.1.10".parse().unwrap(),
            ],
        }
    }

    #[test]
    fn expiry_is_reported_within_thirty_days() {
        let listen = ["127.0.0.1:12346".parse().unwrap()];
        assert_eq!(
            warnings(&facts(400), &listen, MachineNames::Include, 1_000_000),
            vec![]
        );
        assert_eq!(
            warnings(&facts(10), &listen, MachineNames::Include, 1_000_000),
            vec![CertWarning::ExpiresSoon { days_left: 10 }]
        );
        assert_eq!(
            warnings(&facts(-3), &listen, MachineNames::Include, 1_000_000),
            vec![CertWarning::Expired { days_ago: 3 }]
        );
    }

    #[test]
    fn addresses_listened_on_must_be_covered() {
        let listen = [
            "192.168.1.10:12346".parse().unwrap(),
            "10.0.0.5:12346".parse().unwrap(),
        ];
        assert_eq!(
            warnings(&facts(400), &listen, MachineNames::Include, 1_000_000),
            vec![CertWarning::AddressNotCovered("10.0.0.5".parse().unwrap())]
        );
    }
}
