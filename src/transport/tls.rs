//! TLS over TCP with rustls (TLS 1.2 and 1.3, ring provider). The server certificate can be
//! swapped at run time ([`Tls::reload`]); live connections keep the one they started with,
//! and a broken new certificate leaves the old one in service.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use super::{Established, ListenerKind, Transport};

#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsError {
    #[error("cannot read certificate file {path}: {source}")]
    Certificate {
        path: PathBuf,
        source: rustls_pki_types::pem::Error,
    },
    #[error("no certificate in {0}")]
    NoCertificate(PathBuf),
    #[error("cannot read private key file {path}: {source}")]
    Key {
        path: PathBuf,
        source: rustls_pki_types::pem::Error,
    },
    #[error("certificate and key rejected: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Where the certificate chain and key live.
#[derive(Debug, Clone)]
pub(crate) struct CertificatePaths {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

pub(crate) struct Tls {
    paths: CertificatePaths,
    /// The TLS listeners' addresses, which the certificate must cover.
    listen: Vec<std::net::SocketAddr>,
    /// Whether listening on all interfaces means the machine's addresses must be covered.
    machine_names: crate::certs::MachineNames,
    acceptor: RwLock<TlsAcceptor>,
    /// Unix time after which the certificate in service expires (0 when unknown).
    not_after: std::sync::atomic::AtomicI64,
}

impl Tls {
    /// Loads the certificate and key; fails if either is missing or broken. Warns when the
    /// certificate expires soon or does not cover an address in `listen`.
    pub(crate) fn load(
        paths: CertificatePaths,
        listen: Vec<std::net::SocketAddr>,
        machine_names: crate::certs::MachineNames,
    ) -> Result<Tls, TlsError> {
        let config = server_config(&paths.cert, &paths.key)?;
        let tls = Tls {
            paths,
            listen,
            machine_names,
            acceptor: RwLock::new(TlsAcceptor::from(Arc::new(config))),
            not_after: std::sync::atomic::AtomicI64::new(0),
        };
        tls.inspect();
        Ok(tls)
    }

    /// Reads the files again and, if they are valid, serves new handshakes with them.
    pub(crate) fn reload(&self) -> Result<(), TlsError> {
        let config = server_config(&self.paths.cert, &self.paths.key)?;
        *self.acceptor.write().unwrap_or_else(|p| p.into_inner()) =
            TlsAcceptor::from(Arc::new(config));
        self.inspect();
        Ok(())
    }

    /// Logs what is wrong with the certificate in service and records its expiry.
    fn inspect(&self) {
        if let Some(facts) =
            crate::certs::inspect::check_and_log(&self.paths.cert, &self.listen, self.machine_names)
        {
            self.not_after
                .store(facts.not_after, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Unix time after which the certificate in service expires, when known.
    pub(crate) fn not_after(&self) -> Option<i64> {
        let value = self.not_after.load(std::sync::atomic::Ordering::Relaxed);
        (value != 0).then_some(value)
    }

    /// [`Tls::reload`] off the async threads, with the outcome in the log.
    pub(crate) async fn reload_logged(self: &Arc<Self>) -> Result<(), TlsError> {
        let tls = Arc::clone(self);
        let result = tokio::task::spawn_blocking(move || tls.reload())
            .await
            .unwrap_or_else(|e| Err(TlsError::Rustls(rustls::Error::General(e.to_string()))));
        match &result {
            Ok(()) => tracing::info!(cert = %self.paths.cert.display(), "TLS certificate reloaded"),
            Err(error) => tracing::error!(
                %error,
                "TLS certificate reload failed; the current certificate stays in service"
            ),
        }
        result
    }

    fn acceptor(&self) -> TlsAcceptor {
        self.acceptor
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// A rustls server configuration: TLS 1.2 and 1.3, no client certificates.
pub(crate) fn server_config(cert: &Path, key: &Path) -> Result<ServerConfig, TlsError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|source| TlsError::Certificate {
            path: cert.to_owned(),
            source,
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(cert.to_owned()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::Key {
        path: key.to_owned(),
        source,
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(config)
}

impl Transport for Tls {
    type Stream = TlsStream<TcpStream>;

    fn kind(&self) -> ListenerKind {
        ListenerKind::Tls
    }

    async fn establish(&self, tcp: TcpStream) -> io::Result<Established<Self::Stream>> {
        self.acceptor().accept(tcp).await.map(Established::Session)
    }
}
