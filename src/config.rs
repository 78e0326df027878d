//! Server configuration: the TOML file (`config/classcord.toml`), its defaults, and validation.
//!
//! Every key has a default, so an empty file (or no file at all) gives a working server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

/// Removes `.` and `..` components without touching the file system (the directories may
/// not exist yet), so logs and errors show plain paths.
fn normalise_path(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Errors raised while loading or checking the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerSection,
    pub listen: ListenSection,
    pub tls: TlsSection,
    pub storage: StorageSection,
    pub limits: LimitsSection,
    pub gate: GateSection,
    pub logging: LoggingSection,
    pub admin: AdminSection,
    pub metrics: MetricsSection,
    pub web: WebSection,
    pub accounts: AccountsSection,
    pub ldap: LdapSection,
    pub classroom: ClassroomSection,
}

/// What the school allows pupils between themselves.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClassroomSection {
    /// Who a pupil (an account without a role, or a guest) may write to privately. Teachers
    /// and administrators may always write privately to anyone.
    pub private_messages: PrivateMessages,
    /// Whether the moderation log keeps the text of the messages teachers remove (readable by
    /// administrators only, with `classcord admin log`).
    pub keep_removed_text: bool,
    /// When pupils may write (`"lun-ven 07:30-19:00"`, in the server's time zone); empty:
    /// always. Outside them pupils log in and read; teachers and administrators write.
    pub hours: Vec<String>,
}

/// Whom pupils may write to privately.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrivateMessages {
    /// Anyone online (the original server's behaviour).
    #[default]
    All,
    /// Teachers and administrators only.
    Teachers,
    /// Nobody.
    None,
}

/// The school's directory (OpenLDAP, Scribe, Samba or Active Directory): logins checked by
/// binding as the user; roles from groups. An empty `url` leaves it out.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LdapSection {
    /// `ldap://host` (StartTLS unless `starttls = false`) or `ldaps://host`. Empty: no directory.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS before sending any password.
    pub starttls: bool,
    /// The directory's CA certificate (PEM); empty: the system's trusted roots.
    pub ca_file: PathBuf,
    /// The account the server searches with; empty: anonymous searches.
    pub bind_dn: String,
    /// The file holding `bind_dn`'s password (mode 0600), never the configuration file.
    pub bind_password_file: PathBuf,
    /// Where users are searched (the whole subtree).
    pub user_base: String,
    /// The search for a login; `{login}` is replaced by the escaped login.
    pub user_filter: String,
    /// Groups whose members are teachers (`moderator`).
    pub moderator_groups: Vec<String>,
    /// Groups whose members are administrators.
    pub admin_groups: Vec<String>,
    /// `also`: accounts of the server first, the directory for the others; `only`: every
    /// login goes to the directory.
    pub mode: LdapMode,
    /// Longest wait for the directory during one login, in seconds.
    pub timeout_secs: u64,
}

impl Default for LdapSection {
    fn default() -> Self {
        LdapSection {
            url: String::new(),
            starttls: true,
            ca_file: PathBuf::new(),
            bind_dn: String::new(),
            bind_password_file: PathBuf::new(),
            user_base: String::new(),
            user_filter: "(uid={login})".into(),
            moderator_groups: Vec::new(),
            admin_groups: Vec::new(),
            mode: LdapMode::Also,
            timeout_secs: 5,
        }
    }
}

impl LdapSection {
    pub(crate) fn is_enabled(&self) -> bool {
        !self.url.is_empty()
    }
}

/// Which logins the directory checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LdapMode {
    Also,
    Only,
}

/// Who may make an account or come in without one.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountsSection {
    /// `open`: anyone registers from their client (the original server's behaviour);
    /// `closed`: accounts come from the school (`classcord user add`, an import).
    pub registration: Registration,
    /// Whether a connection may chat as a guest, without an account.
    pub guests: bool,
    /// How long a session token lasts (a web page that reloads logs in again with it), in
    /// hours; 0 gives none (a reload asks for the password).
    pub session_hours: u32,
}

/// The longest session: a token found on a shared PC opens nothing after a month.
const MAX_SESSION_HOURS: u32 = 720;

impl Default for AccountsSection {
    fn default() -> Self {
        AccountsSection {
            registration: Registration::Open,
            guests: true,
            session_hours: 12,
        }
    }
}

/// Whether clients may register accounts themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    Open,
    Closed,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSection {
    /// Origins (`https://ent.lycee.fr`) whose pages may open a WebSocket besides the web
    /// client this server serves itself. Any other browser page is refused.
    pub allowed_origins: Vec<String>,
    /// Names browsers reach this server under besides this machine's name and addresses and
    /// the TLS certificate's names (a name a reverse proxy answers to, a DNS alias).
    pub host_names: Vec<String>,
    /// Seconds between pings to a browser; one silent for two intervals is disconnected.
    pub ping_interval_secs: u64,
}

impl Default for WebSection {
    fn default() -> Self {
        WebSection {
            allowed_origins: Vec::new(),
            host_names: Vec::new(),
            ping_interval_secs: 20,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSection {
    /// HTTP endpoints serving /metrics, /healthz and /readyz. Empty (the default) disables
    /// them; the gate's allowlist applies.
    pub listen: Vec<SocketAddr>,
    /// Addresses of the Prometheus servers that scrape: they keep connections of their own.
    pub scrapers: Vec<IpNet>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminSection {
    /// Unix socket of `classcord admin` (mode 0600: only the server's user may use it).
    /// Empty disables it.
    pub socket: PathBuf,
}

impl Default for AdminSection {
    fn default() -> Self {
        AdminSection {
            socket: "data/classcord.sock".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSection {
    /// Sender name of server notices; no user or guest may take it.
    pub notice_sender: String,
    /// Default channel every identified connection belongs to.
    pub default_channel: String,
    /// Seconds connected users are given between the shutdown notice and the close.
    pub shutdown_grace_secs: u64,
    /// The language of every text students and teachers read (`fr` or `en`). Logs, audit,
    /// fail2ban lines and the administrator's tools stay in English.
    pub language: Language,
    /// Directory every relative path of the file is resolved from. Empty: the directory of
    /// the configuration file. Relative: from the configuration file's directory.
    pub state_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListenSection {
    /// Plain TCP endpoints (legacy clients). Empty list disables plain TCP.
    pub plain: Vec<SocketAddr>,
    /// TLS endpoints. Empty list disables TLS.
    pub tls: Vec<SocketAddr>,
    /// WebSocket endpoints for browsers (plain HTTP), also serving the web client at `/`.
    /// Empty list disables them.
    pub web: Vec<SocketAddr>,
    /// WebSocket endpoints over HTTPS, with the certificate of `[tls]`. Empty disables them.
    pub web_tls: Vec<SocketAddr>,
    /// Listeners on which a PROXY protocol header from a `gate.trusted_proxies` address gives
    /// the client's real address (a relay such as stunnel or haproxy in front). None by default.
    pub proxy_protocol: Vec<ListenerKind>,
}

/// A language of the server's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Fr,
    En,
}

/// A kind of listener: in the configuration, logs, the audit file, metrics, fail2ban lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListenerKind {
    Plain,
    Tls,
    /// WebSocket over plain HTTP (`[listen] web`).
    Web,
    /// WebSocket over HTTPS (`[listen] web_tls`).
    WebTls,
    /// The monitoring HTTP listener (`[metrics] listen`).
    Metrics,
}

impl ListenerKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ListenerKind::Plain => "plain",
            ListenerKind::Tls => "tls",
            ListenerKind::Web => "web",
            ListenerKind::WebTls => "web_tls",
            ListenerKind::Metrics => "metrics",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsSection {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Local CA written by `generate-cert` (clients and stunnel trust this file).
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    /// Generate a CA and server certificate on start when `cert` is missing.
    pub generate_if_missing: bool,
    pub handshake_timeout_secs: u64,
    /// Generated certificates name this machine (host name, network addresses); off in
    /// containers, whose own names reach nobody.
    pub machine_names: bool,
    /// What a new local CA may vouch for (domains with their subdomains, addresses,
    /// networks); empty: the certificate's names and its addresses' private networks.
    pub ca_scope: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSection {
    pub database: PathBuf,
    /// Messages replayed when a client joins a channel.
    pub history_replay: u32,
    /// Days a message is kept (public and private); older ones are removed at start and
    /// every hour. 0 keeps everything.
    pub retention_days: u32,
    /// SQLite `synchronous` mode: "normal" survives a process crash, "full" also a power cut.
    pub synchronous: Synchronous,
    /// Largest number of messages committed in one transaction.
    pub max_batch: usize,
    /// Capacity of the queue between connections and the store writer.
    pub write_queue: usize,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    Normal,
    Full,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsSection {
    pub max_line_bytes: usize,
    pub max_content_chars: usize,
    pub max_username_chars: usize,
    pub max_password_bytes: usize,
    pub min_password_chars: usize,
    pub max_state_chars: usize,
    /// Outbound lines queued for one connection before it counts as a slow consumer.
    pub outbound_queue: usize,
    /// Outbound bytes queued for one connection past which presence lines are dropped for it
    /// and it is closed if it makes no progress for `slow_consumer_stall_secs`.
    pub outbound_queue_bytes: usize,
    /// Outbound bytes queued for one connection past which it is closed at once.
    pub outbound_queue_hard_bytes: usize,
    /// Outbound bytes queued for one connection past which presence lines are dropped for it.
    pub outbound_presence_bytes: usize,
    /// Seconds a connection over its budget may go without its writer making progress.
    pub slow_consumer_stall_secs: u64,
    /// Largest reply line (`history`, the replay on `join`): longer ones are cut into pages
    /// marked `"more": true`.
    pub max_reply_bytes: usize,
    /// Requests that read the database (`history`, `join`) per second and in a burst, per
    /// connection.
    pub reads_per_second: u32,
    pub read_burst: u32,
    /// Seconds an unidentified connection may go without a well-formed request before it
    /// is closed (legacy clients connect, then wait at their login window).
    pub identify_timeout_secs: u64,
    /// Seconds an unidentified connection may leave a line unfinished before it is closed.
    pub unfinished_line_timeout_secs: u64,
    /// Seconds of silence before TCP keepalive probes check that the peer is still there.
    pub tcp_keepalive_secs: u64,
    /// Channels that may exist besides the default one, and channels one ordinary account may
    /// create by joining them (0: only teachers create rooms; moderators and administrators
    /// have no per-account limit; guests create none). A channel emptied before anything was
    /// said in it goes away, unless a teacher made it with `/room create`.
    pub max_channels: usize,
    pub max_channels_per_account: usize,
    /// Password hashes computed at the same time (argon2id uses 19 MiB each).
    pub max_concurrent_hashes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GateSection {
    /// Networks allowed to connect; every other address is refused before any byte is read.
    pub allow: Vec<IpNet>,
    /// Addresses whose PROXY protocol header (v1 or v2) gives the real client address, on
    /// the listeners of `listen.proxy_protocol`. None by default.
    pub trusted_proxies: Vec<IpNet>,
    /// Networks exempt from the per-address limits (rates and per-address cap); the global
    /// cap still applies. Empty in production; `config/bench.toml` exempts loopback.
    pub exempt: Vec<IpNet>,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    pub connections_per_ip_per_minute: u32,
    pub connection_burst_per_ip: u32,
    pub messages_per_ip_per_second: u32,
    pub message_burst_per_ip: u32,
    /// Lines one connection may send, per second and in a burst: a student who floods is
    /// slowed alone, not the classroom behind the same address (whose outer cap is above).
    pub messages_per_connection_per_second: u32,
    pub message_burst_per_connection: u32,
    /// Logins and registrations of one address waiting for a password hash at once; more
    /// are refused at once, so one address cannot make everyone else's login wait.
    pub max_pending_logins_per_ip: usize,
    /// Refused messages in a row after which a flooding connection is closed.
    pub flood_disconnect_after: u32,
    pub auth_attempts_per_ip_per_minute: u32,
    pub auth_burst_per_ip: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoggingSection {
    /// `tracing` filter for stderr, e.g. "info" or "classcord=debug".
    pub level: String,
    /// One JSON object per event. Empty disables the file.
    pub audit_file: PathBuf,
    /// Authentication failures in the fail2ban format. Empty disables the file.
    pub auth_file: PathBuf,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            notice_sender: "Serveur".into(),
            default_channel: "#général".into(),
            shutdown_grace_secs: 2,
            language: Language::Fr,
            state_dir: PathBuf::new(),
        }
    }
}

impl Default for ListenSection {
    fn default() -> Self {
        ListenSection {
            plain: vec!["0.0.0.0:12345".parse().expect("valid literal")],
            tls: vec!["0.0.0.0:12346".parse().expect("valid literal")],
            web: Vec::new(),
            web_tls: Vec::new(),
            proxy_protocol: Vec::new(),
        }
    }
}

impl Default for TlsSection {
    fn default() -> Self {
        TlsSection {
            cert: "certs/server.crt".into(),
            key: "certs/server.key".into(),
            ca_cert: "certs/ca.crt".into(),
            ca_key: "certs/ca.key".into(),
            generate_if_missing: true,
            handshake_timeout_secs: 10,
            machine_names: true,
            ca_scope: Vec::new(),
        }
    }
}

impl Default for StorageSection {
    fn default() -> Self {
        StorageSection {
            database: "data/classcord.db".into(),
            history_replay: 50,
            retention_days: 365,
            synchronous: Synchronous::Normal,
            max_batch: 1024,
            write_queue: 8192,
        }
    }
}

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            max_line_bytes: 16 * 1024,
            max_content_chars: 4000,
            max_username_chars: 64,
            max_password_bytes: 1024,
            min_password_chars: 1,
            max_state_chars: 64,
            outbound_queue: 16384,
            outbound_queue_bytes: 256 * 1024,
            outbound_queue_hard_bytes: 4 * 1024 * 1024,
            outbound_presence_bytes: 32 * 1024,
            slow_consumer_stall_secs: 10,
            max_reply_bytes: 64 * 1024,
            reads_per_second: 5,
            read_burst: 20,
            identify_timeout_secs: 1800,
            unfinished_line_timeout_secs: 30,
            tcp_keepalive_secs: 60,
            max_channels: 200,
            max_channels_per_account: 0,
            max_concurrent_hashes: 2,
        }
    }
}

impl Default for GateSection {
    fn default() -> Self {
        let nets = [
            "127.0.0.0/8",
            "::1/128",
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "fc00::/7",
            "fe80::/10",
        ];
        GateSection {
            allow: nets
                .iter()
                .map(|n| n.parse().expect("valid literal"))
                .collect(),
            trusted_proxies: Vec::new(),
            exempt: Vec::new(),
            max_connections: 50_000,
            max_connections_per_ip: 200,
            connections_per_ip_per_minute: 600,
            connection_burst_per_ip: 120,
            messages_per_ip_per_second: 200,
            message_burst_per_ip: 600,
            messages_per_connection_per_second: 20,
            message_burst_per_connection: 60,
            max_pending_logins_per_ip: 4,
            flood_disconnect_after: 50,
            auth_attempts_per_ip_per_minute: 60,
            auth_burst_per_ip: 100,
        }
    }
}

impl Default for LoggingSection {
    fn default() -> Self {
        LoggingSection {
            level: "info".into(),
            audit_file: "logs/audit.log".into(),
            auth_file: "logs/auth.log".into(),
        }
    }
}

impl Config {
    /// Reads and validates a TOML file.
    /// Reads and validates a TOML file, and resolves its relative paths from its
    /// `state_dir` (by default the file's own directory), whatever the current directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        config.validate()?;
        let file_dir = std::path::absolute(path)
            .map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?
            .parent()
            .map(Path::to_owned)
            .unwrap_or_default();
        config.resolve_paths(&file_dir);
        Ok(config)
    }

    /// Makes every relative path absolute, from `state_dir` (itself relative to `file_dir`).
    fn resolve_paths(&mut self, file_dir: &Path) {
        let base = normalise_path(&file_dir.join(&self.server.state_dir));
        self.server.state_dir = base.clone();
        for path in [
            &mut self.storage.database,
            &mut self.logging.audit_file,
            &mut self.logging.auth_file,
            &mut self.tls.cert,
            &mut self.tls.key,
            &mut self.tls.ca_cert,
            &mut self.tls.ca_key,
            &mut self.admin.socket,
            &mut self.ldap.ca_file,
            &mut self.ldap.bind_password_file,
        ] {
            // An empty path disables the file: it stays empty.
            if !path.as_os_str().is_empty() && path.is_relative() {
                *path = base.join(&*path);
            }
        }
    }

    /// What is wrong with `[ldap]`, when it is enabled.
    fn ldap_error(&self) -> Option<String> {
        let ldap = &self.ldap;
        if !ldap.is_enabled() {
            return None;
        }
        if !(ldap.url.starts_with("ldap://") || ldap.url.starts_with("ldaps://")) {
            return Some(format!(
                "ldap.url {:?} must start with ldap:// or ldaps://",
                ldap.url
            ));
        }
        if ldap.user_base.is_empty() {
            return Some("ldap.user_base is empty: where are the users?".into());
        }
        if !ldap.user_filter.contains("{login}") {
            return Some("ldap.user_filter must contain {login}".into());
        }
        if ldap.timeout_secs == 0 {
            return Some("ldap.timeout_secs must be at least 1".into());
        }
        if !ldap.bind_dn.is_empty() && ldap.bind_password_file.as_os_str().is_empty() {
            return Some("ldap.bind_dn is set but ldap.bind_password_file is empty".into());
        }
        None
    }

    /// Checks values that the types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |what: &str| Err(ConfigError::Invalid(what.to_owned()));
        if self.listen.plain.is_empty()
            && self.listen.tls.is_empty()
            && self.listen.web.is_empty()
            && self.listen.web_tls.is_empty()
        {
            return invalid("no listener: [listen] plain, tls, web and web_tls are all empty");
        }
        if self.web.ping_interval_secs == 0 {
            return invalid("web.ping_interval_secs must be at least 1");
        }
        if !self.listen.proxy_protocol.is_empty() && self.gate.trusted_proxies.is_empty() {
            return invalid(
                "listen.proxy_protocol is set but gate.trusted_proxies is empty: list the relay's address",
            );
        }
        if self.listen.proxy_protocol.contains(&ListenerKind::Metrics) {
            return invalid("listen.proxy_protocol: the metrics listener reads no PROXY header");
        }
        if self.limits.max_line_bytes < 256 {
            return invalid("limits.max_line_bytes must be at least 256");
        }
        if self.limits.outbound_queue == 0 || self.storage.write_queue == 0 {
            return invalid("queue sizes must be at least 1");
        }
        if self.limits.outbound_queue_hard_bytes < self.limits.outbound_queue_bytes
            || self.limits.outbound_presence_bytes > self.limits.outbound_queue_bytes
            || self.limits.slow_consumer_stall_secs == 0
        {
            return invalid(
                "limits: outbound_presence_bytes ≤ outbound_queue_bytes ≤ outbound_queue_hard_bytes, and slow_consumer_stall_secs at least 1",
            );
        }
        if self.limits.max_reply_bytes < 4096
            || self.limits.outbound_queue_bytes < 2 * self.limits.max_reply_bytes
        {
            return invalid(
                "limits.max_reply_bytes must be at least 4096 and outbound_queue_bytes at least twice it",
            );
        }
        if self.limits.reads_per_second == 0 || self.limits.read_burst == 0 {
            return invalid("limits.reads_per_second and read_burst must be at least 1");
        }
        if self.storage.max_batch == 0 {
            return invalid("storage.max_batch must be at least 1");
        }
        if self.limits.max_concurrent_hashes == 0 {
            return invalid("limits.max_concurrent_hashes must be at least 1");
        }
        if self.limits.identify_timeout_secs == 0
            || self.limits.unfinished_line_timeout_secs == 0
            || self.limits.tcp_keepalive_secs == 0
        {
            return invalid(
                "limits.identify_timeout_secs, unfinished_line_timeout_secs and tcp_keepalive_secs must be at least 1",
            );
        }
        if self.limits.max_username_chars == 0 {
            return invalid("limits.max_username_chars must be at least 1");
        }
        if self.accounts.session_hours > MAX_SESSION_HOURS {
            return invalid("accounts.session_hours is at most 720 (30 days)");
        }
        if let Err(reason) = crate::opening_hours::OpeningHours::parse(&self.classroom.hours) {
            return Err(ConfigError::Invalid(reason));
        }
        if let Some(reason) = self.ldap_error() {
            return Err(ConfigError::Invalid(reason));
        }
        if let Some(reason) = level_error(&self.logging.level) {
            return Err(ConfigError::Invalid(reason));
        }
        if crate::names::channel_name_error(&self.server.default_channel).is_some() {
            return invalid("server.default_channel is not a valid channel name");
        }
        let positive = [
            (
                "gate.connections_per_ip_per_minute",
                self.gate.connections_per_ip_per_minute,
            ),
            (
                "gate.connection_burst_per_ip",
                self.gate.connection_burst_per_ip,
            ),
            (
                "gate.messages_per_ip_per_second",
                self.gate.messages_per_ip_per_second,
            ),
            ("gate.message_burst_per_ip", self.gate.message_burst_per_ip),
            (
                "gate.messages_per_connection_per_second",
                self.gate.messages_per_connection_per_second,
            ),
            (
                "gate.message_burst_per_connection",
                self.gate.message_burst_per_connection,
            ),
            (
                "gate.max_pending_logins_per_ip",
                u32::try_from(self.gate.max_pending_logins_per_ip).unwrap_or(u32::MAX),
            ),
            (
                "gate.auth_attempts_per_ip_per_minute",
                self.gate.auth_attempts_per_ip_per_minute,
            ),
            ("gate.auth_burst_per_ip", self.gate.auth_burst_per_ip),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return invalid(&format!("{name} must be at least 1"));
        }
        Ok(())
    }

    pub fn identify_timeout(&self) -> Duration {
        Duration::from_secs(self.limits.identify_timeout_secs)
    }

    pub fn unfinished_line_timeout(&self) -> Duration {
        Duration::from_secs(self.limits.unfinished_line_timeout_secs)
    }

    pub fn tcp_keepalive(&self) -> Duration {
        Duration::from_secs(self.limits.tcp_keepalive_secs)
    }

    pub(crate) fn slow_consumer_stall(&self) -> Duration {
        Duration::from_secs(self.limits.slow_consumer_stall_secs)
    }

    pub fn handshake_timeout(&self) -> Duration {
        Duration::from_secs(self.tls.handshake_timeout_secs)
    }
}

/// Why a `logging.level` is refused, or `None`. Each comma-separated part must be a level
/// (`info`) or `target=level`: a bare word that is not a level (a typo such as `inof`)
/// would silently turn every other log line off.
pub(crate) fn level_error(level: &str) -> Option<String> {
    use std::str::FromStr;
    use tracing_subscriber::filter::LevelFilter;
    let is_level =
        |text: &str| !text.trim().is_empty() && LevelFilter::from_str(text.trim()).is_ok();
    let bad = level.split(',').find(|part| match part.split_once('=') {
        Some((target, level)) => target.trim().is_empty() || !is_level(level),
        None => !is_level(part),
    })?;
    Some(format!(
        "logging.level: {bad:?} is not a level (trace, debug, info, warn, error, off) \
         nor target=level"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_in_the_level_are_refused() {
        for good in [
            "info",
            "warn,classcord=debug",
            "classcord::auth=warn",
            "off",
        ] {
            assert_eq!(level_error(good), None, "{good}");
        }
        for bad in ["inof", "", "classcord=verbose", "=info", "info,,debug"] {
            assert!(level_error(bad).is_some(), "{bad:?} accepted");
        }
    }

    #[test]
    fn shipped_config_file_matches_the_defaults() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let shipped = Config::load(&root.join("config/classcord.toml")).expect("shipped config");
        // The shipped file keeps the repository's layout: state_dir is its parent directory.
        let mut defaults = Config::default();
        defaults.resolve_paths(root);
        assert_eq!(shipped.server.state_dir, root);
        assert_eq!(format!("{shipped:?}"), format!("{defaults:?}"));
    }

    #[test]
    fn relative_paths_follow_the_config_file_not_the_current_directory() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(etc.join("a.toml"), "[logging]\nauth_file = \"\"\n").unwrap();
        let beside = Config::load(&etc.join("a.toml")).unwrap();
        assert_eq!(beside.storage.database, etc.join("data/classcord.db"));
        assert_eq!(
            beside.logging.auth_file,
            PathBuf::new(),
            "disabled stays disabled"
        );
        std::fs::write(
            etc.join("b.toml"),
            "[server]\nstate_dir = \"../var/lib/classcord\"\n[tls]\ncert = \"/srv/x.crt\"\n",
        )
        .unwrap();
        let state = Config::load(&etc.join("b.toml")).unwrap();
        let lib = dir.path().join("var/lib/classcord");
        assert_eq!(state.storage.database, lib.join("data/classcord.db"));
        assert_eq!(state.admin.socket, lib.join("data/classcord.sock"));
        assert_eq!(state.logging.audit_file, lib.join("logs/audit.log"));
        assert_eq!(state.tls.cert, PathBuf::from("/srv/x.crt"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<Config>("[limits]\nmax_line: 3\n").unwrap_err();
        assert!(!err.to_string().is_empty());
        assert!(toml::from_str::<Config>("[limits]\nmax_lines = 3\n").is_err());
    }

    #[test]
    fn web_and_metrics_settings_that_cannot_work_are_refused() {
        let refused = |text: &str| {
            let config: Config = toml::from_str(text).unwrap();
            config.validate().unwrap_err().to_string()
        };
        let error = refused("[listen]\nproxy_protocol = [\"metrics\"]\n[gate]\ntrusted_proxies = [\"127.0.0.1/32\"]\n");
        assert!(
            error.contains("metrics listener reads no PROXY header"),
            "{error}"
        );
        let error = refused("[web]\nping_interval_secs = 0\n");
        assert!(error.contains("web.ping_interval_secs"), "{error}");
        let error = refused("[listen]\nplain = []\ntls = []\n");
        assert!(error.contains("plain, tls, web and web_tls"), "{error}");
        // A browser listener alone is enough.
        let config: Config =
            toml::from_str("[listen]\nplain = []\ntls = []\nweb = [\"127.0.0.1:0\"]\n").unwrap();
        config.validate().unwrap();
    }
}
