//! The school's directory (`[ldap]`): a login is checked by finding the user's entry (as the
//! service account, or anonymously) and binding as that entry with the typed password; the
//! role comes from the configured groups (`member`, `uniqueMember` or `memberUid`: OpenLDAP,
//! Scribe, Samba and Active Directory groups alike). Nothing of the password is kept. Every
//! login opens its own connection, bounded by `[ldap] timeout_secs`.

use std::sync::Arc;
use std::time::Duration;

use classcord_protocol::Role;
use ldap3::{ldap_escape, Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::config::{LdapMode, LdapSection};

/// LDAP's result code for a wrong password (RFC 4511 `invalidCredentials`).
const INVALID_CREDENTIALS: u32 = 49;
/// LDAP's result code for an entry that does not exist (`noSuchObject`).
const NO_SUCH_OBJECT: u32 = 32;

/// What the directory said of a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirectoryAnswer {
    /// The password is right; the role the groups give.
    Accepted(Role),
    WrongPassword,
    /// No entry has this login.
    UnknownUser,
}

/// Why the directory gave no answer: the login fails, but it is not the user's fault.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DirectoryError {
    #[error("the directory did not answer within {0:?}")]
    TimedOut(Duration),
    #[error("directory error: {0}")]
    Ldap(#[from] ldap3::LdapError),
    #[error("the directory refused the service account's bind (result code {0})")]
    ServiceBind(u32),
    #[error("the directory refused the user's bind (result code {0})")]
    UserBind(u32),
}

/// Why `[ldap]` cannot be used (at start).
#[derive(Debug, thiserror::Error)]
pub(crate) enum DirectorySetupError {
    #[error("cannot read ldap.bind_password_file {path}: {source}")]
    Password {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read the certificates of ldap.ca_file {path}: {reason}")]
    Ca { path: String, reason: String },
}

/// The directory as the login path uses it.
pub(crate) struct Directory {
    section: LdapSection,
    /// The service account's password, read once at start.
    bind_password: String,
    /// Trusts `[ldap] ca_file` only; `None`: the system's roots.
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("url", &self.section.url)
            .finish_non_exhaustive()
    }
}

fn client_config(ca_file: &std::path::Path) -> Result<rustls::ClientConfig, DirectorySetupError> {
    let failed = |reason: String| DirectorySetupError::Ca {
        path: ca_file.display().to_string(),
        reason,
    };
    let mut roots = rustls::RootCertStore::empty();
    for certificate in
        CertificateDer::pem_file_iter(ca_file).map_err(|error| failed(error.to_string()))?
    {
        let certificate = certificate.map_err(|error| failed(error.to_string()))?;
        roots
            .add(certificate)
            .map_err(|error| failed(error.to_string()))?;
    }
    if roots.is_empty() {
        return Err(failed("no certificate in the file".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| failed(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl Directory {
    /// The configured directory, or `None` when `[ldap] url` is empty.
    pub(crate) fn open(section: &LdapSection) -> Result<Option<Directory>, DirectorySetupError> {
        if !section.is_enabled() {
            return Ok(None);
        }
        let bind_password = if section.bind_dn.is_empty() {
            String::new()
        } else {
            std::fs::read_to_string(&section.bind_password_file)
                .map_err(|source| DirectorySetupError::Password {
                    path: section.bind_password_file.display().to_string(),
                    source,
                })?
                .trim_end_matches(['\r', '\n'])
                .to_owned()
        };
        let tls = if section.ca_file.as_os_str().is_empty() {
            None
        } else {
            Some(Arc::new(client_config(&section.ca_file)?))
        };
        Ok(Some(Directory {
            section: section.clone(),
            bind_password,
            tls,
        }))
    }

    /// Whether every login goes to the directory (`mode = "only"`).
    pub(crate) fn checks_every_login(&self) -> bool {
        self.section.mode == LdapMode::Only
    }

    pub(crate) fn timeout(&self) -> Duration {
        Duration::from_secs(self.section.timeout_secs)
    }

    /// Checks `login` and `password` against the directory, within the timeout.
    pub(crate) async fn authenticate(
        &self,
        login: &str,
        password: &str,
    ) -> Result<DirectoryAnswer, DirectoryError> {
        // An empty password would be an unauthenticated bind, which directories accept.
        if password.is_empty() {
            return Ok(DirectoryAnswer::WrongPassword);
        }
        let timeout = self.timeout();
        tokio::time::timeout(timeout, self.ask(login, password))
            .await
            .map_err(|_| DirectoryError::TimedOut(timeout))?
    }

    /// Whether the directory answers: the service account's bind (when set) and the user
    /// base readable (`check-config`).
    pub(crate) async fn probe(&self) -> Result<(), DirectoryError> {
        let timeout = self.timeout();
        tokio::time::timeout(timeout, async {
            let mut ldap = self.connect().await?;
            let answer = async {
                self.service_bind(&mut ldap).await?;
                ldap.search(
                    &self.section.user_base,
                    Scope::Base,
                    "(objectClass=*)",
                    vec!["1.1"],
                )
                .await?
                .success()?;
                Ok(())
            }
            .await;
            let _ = ldap.unbind().await;
            answer
        })
        .await
        .map_err(|_| DirectoryError::TimedOut(timeout))?
    }

    async fn service_bind(&self, ldap: &mut Ldap) -> Result<(), DirectoryError> {
        if !self.section.bind_dn.is_empty() {
            let bound = ldap
                .simple_bind(&self.section.bind_dn, &self.bind_password)
                .await?;
            if bound.rc != 0 {
                return Err(DirectoryError::ServiceBind(bound.rc));
            }
        }
        Ok(())
    }

    async fn connect(&self) -> Result<Ldap, DirectoryError> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(self.timeout())
            .set_starttls(self.section.starttls && self.section.url.starts_with("ldap://"));
        if let Some(tls) = &self.tls {
            settings = settings.set_config(Arc::clone(tls));
        }
        let (connection, ldap) = LdapConnAsync::with_settings(settings, &self.section.url).await?;
        ldap3::drive!(connection);
        Ok(ldap)
    }

    async fn ask(&self, login: &str, password: &str) -> Result<DirectoryAnswer, DirectoryError> {
        let mut ldap = self.connect().await?;
        let answer = self.ask_on(&mut ldap, login, password).await;
        let _ = ldap.unbind().await;
        answer
    }

    async fn ask_on(
        &self,
        ldap: &mut Ldap,
        login: &str,
        password: &str,
    ) -> Result<DirectoryAnswer, DirectoryError> {
        self.service_bind(ldap).await?;
        let filter = self
            .section
            .user_filter
            .replace("{login}", &ldap_escape(login));
        let found = ldap
            .search(
                &self.section.user_base,
                Scope::Subtree,
                &filter,
                vec!["1.1"],
            )
            .await?;
        let mut entries = found.success()?.0.into_iter();
        let (Some(entry), None) = (entries.next(), entries.next()) else {
            // None, or several: a login must name one person.
            return Ok(DirectoryAnswer::UnknownUser);
        };
        let user_dn = SearchEntry::construct(entry).dn;
        // Groups are read before the user's bind, with the rights of the service account.
        let role = if self
            .is_member(ldap, &self.section.admin_groups, &user_dn, login)
            .await?
        {
            Role::Admin
        } else if self
            .is_member(ldap, &self.section.moderator_groups, &user_dn, login)
            .await?
        {
            Role::Moderator
        } else {
            Role::User
        };
        let bound = ldap.simple_bind(&user_dn, password).await?;
        match bound.rc {
            0 => Ok(DirectoryAnswer::Accepted(role)),
            INVALID_CREDENTIALS => Ok(DirectoryAnswer::WrongPassword),
            rc => Err(DirectoryError::UserBind(rc)),
        }
    }

    /// Whether the user is a member of one of `groups`.
    async fn is_member(
        &self,
        ldap: &mut Ldap,
        groups: &[String],
        user_dn: &str,
        login: &str,
    ) -> Result<bool, DirectoryError> {
        let filter = format!(
            "(|(member={dn})(uniqueMember={dn})(memberUid={uid}))",
            dn = ldap_escape(user_dn),
            uid = ldap_escape(login)
        );
        for group in groups {
            let found = ldap
                .search(group, Scope::Base, &filter, vec!["1.1"])
                .await?;
            match found.1.rc {
                0 if !found.0.is_empty() => return Ok(true),
                0 => {}
                NO_SUCH_OBJECT => {
                    tracing::warn!(group, "ldap: a configured group does not exist");
                }
                _ => {
                    found.success()?;
                }
            }
        }
        Ok(false)
    }
}
