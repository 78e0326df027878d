//! The command line: `serve` and the admin's tools.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::server::RunningServer;

/// Configuration file used when `--config` is not given, if it exists.
const DEFAULT_CONFIG: &str = "config/classcord.toml";

#[derive(Debug, Parser)]
#[command(
    name = "classcord",
    version,
    about = "ClassCord chat server (legacy-compatible, TLS, SQLite)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server until SIGINT or SIGTERM (SIGHUP reloads the TLS certificate).
    Serve(ServeArgs),
    /// Create a local certificate authority and a server certificate signed by it.
    GenerateCert(GenerateCertArgs),
    /// Manage accounts in the database (passwords are read from standard input).
    User {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(subcommand)]
        action: UserAction,
    },
    /// Copy the database to FILE, consistently, even while the server runs.
    Backup {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Backup file to create (refuses to overwrite).
        file: PathBuf,
    },
    /// Act on the running server through its admin socket.
    Admin {
        /// TOML configuration file giving the socket path [default: config/classcord.toml when present]
        #[arg(long, value_name = "PATH", global = true)]
        config: Option<PathBuf>,
        /// Admin socket; replaces [admin] socket.
        #[arg(long, value_name = "PATH", global = true)]
        socket: Option<PathBuf>,
        #[command(subcommand)]
        action: crate::control::Request,
    },
    /// Import the accounts of the old Python server's users.pkl (plaintext passwords, hashed now).
    ImportLegacy {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The legacy users.pkl file.
        file: PathBuf,
    },
    /// Write every stored message as JSON lines (to standard output by default).
    Export {
        #[command(flatten)]
        database: DatabaseArgs,
        /// File to write instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// TOML configuration file [default: config/classcord.toml when present]
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    /// SQLite database file; replaces [storage] database.
    #[arg(long, value_name = "PATH", global = true)]
    pub database: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create an account; the password is the first line of standard input.
    Add { name: String },
    /// Set a new password (first line of standard input).
    Passwd { name: String },
    /// Delete an account (its messages stay in the history).
    Delete { name: String },
    /// Refuse the account's future logins.
    Ban { name: String },
    /// Allow a banned account to log in again.
    Unban { name: String },
    /// List accounts.
    List,
}

#[derive(Debug, Args)]
pub struct GenerateCertArgs {
    /// TOML configuration file giving the certificate paths [default: config/classcord.toml when present]
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Directory for ca.crt, ca.key, server.crt and server.key (instead of the [tls] paths).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Extra DNS name or IP address the certificate must cover (repeatable).
    #[arg(long, value_name = "NAME")]
    pub san: Vec<String>,
    /// Validity of the server certificate, in days.
    #[arg(long, default_value_t = crate::certs::DEFAULT_LEAF_DAYS)]
    pub days: u32,
    /// Validity of a new CA, in days.
    #[arg(long, default_value_t = crate::certs::DEFAULT_CA_DAYS)]
    pub ca_days: u32,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
    /// Create a new CA even when one exists (clients must then trust the new ca.crt).
    #[arg(long)]
    pub new_ca: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file [default: config/classcord.toml when present, else built-in defaults]
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Plain TCP address to listen on (repeatable); replaces [listen] plain. Port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    pub plain_listen: Vec<SocketAddr>,
    /// TLS address to listen on (repeatable); replaces [listen] tls.
    #[arg(long, value_name = "ADDR")]
    pub tls_listen: Vec<SocketAddr>,
    /// Disable the TLS listener.
    #[arg(long)]
    pub no_tls: bool,
    /// Disable the plain TCP listener.
    #[arg(long)]
    pub no_plain: bool,
    /// SQLite database file; replaces [storage] database.
    #[arg(long, value_name = "PATH")]
    pub database: Option<PathBuf>,
}

/// The given configuration file, else `config/classcord.toml` when present, else the defaults.
fn load_config_file(path: Option<&Path>) -> anyhow::Result<Config> {
    Ok(match path {
        Some(path) => Config::load(path)?,
        None if Path::new(DEFAULT_CONFIG).exists() => Config::load(Path::new(DEFAULT_CONFIG))?,
        None => Config::default(),
    })
}

impl ServeArgs {
    /// The configuration file plus the command-line overrides.
    pub fn load_config(&self) -> anyhow::Result<Config> {
        let mut config = load_config_file(self.config.as_deref())?;
        if !self.plain_listen.is_empty() {
            config.listen.plain = self.plain_listen.clone();
        }
        if !self.tls_listen.is_empty() {
            config.listen.tls = self.tls_listen.clone();
        }
        if self.no_tls {
            config.listen.tls.clear();
        }
        if self.no_plain {
            config.listen.plain.clear();
        }
        if let Some(database) = &self.database {
            config.storage.database = database.clone();
        }
        config.validate()?;
        Ok(config)
    }
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::GenerateCert(args) => generate_cert(args),
        Command::User { database, action } => user(&database, action),
        Command::Admin {
            config,
            socket,
            action,
        } => {
            let socket = match socket {
                Some(socket) => socket,
                None => load_config_file(config.as_deref())?.admin.socket,
            };
            admin_request(&socket, action)
        }
        Command::Backup { database, file } => {
            open_admin(&database)?.0.backup(&file)?;
            println!("backup written to {}", file.display());
            Ok(())
        }
        Command::ImportLegacy { database, file } => {
            let (admin, config) = open_admin(&database)?;
            let pickle =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let report = admin.import_legacy_users(
                &pickle,
                config.limits.max_username_chars,
                &config.server.notice_sender,
            )?;
            println!("{} account(s) imported", report.imported.len());
            if !report.existing.is_empty() {
                println!(
                    "{} already existed, left unchanged: {}",
                    report.existing.len(),
                    report.existing.join(", ")
                );
            }
            for (name, reason) in &report.refused {
                println!("not imported: {name:?}: {reason}");
            }
            println!(
                "{} holds plaintext passwords: delete it (and its backups) now that they are hashed.",
                file.display()
            );
            Ok(())
        }
        Command::Export { database, output } => {
            let (admin, _) = open_admin(&database)?;
            let count = match output {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    admin.export_messages(&mut std::io::BufWriter::new(file))?
                }
                None => admin.export_messages(&mut std::io::stdout().lock())?,
            };
            eprintln!("{count} messages exported");
            Ok(())
        }
    }
}

/// Sends one request to the admin socket and prints the answer; fails when the server refuses.
fn admin_request(socket: &Path, action: crate::control::Request) -> anyhow::Result<()> {
    use std::io::{BufRead, Write};
    let request = serde_json::to_value(&action)?;
    let mut stream = std::os::unix::net::UnixStream::connect(socket).with_context(|| {
        format!(
            "cannot reach the server's admin socket {} (is it running?)",
            socket.display()
        )
    })?;
    writeln!(stream, "{request}")?;
    let mut answer = String::new();
    std::io::BufReader::new(&stream).read_line(&mut answer)?;
    let answer: serde_json::Value = serde_json::from_str(&answer).context("invalid answer")?;
    if answer["ok"] != true {
        anyhow::bail!("{}", answer["error"].as_str().unwrap_or("refused"));
    }
    if let Some(text) = answer.get("text").and_then(|t| t.as_str()) {
        print!("{text}");
        return Ok(());
    }
    match answer.get("users").and_then(|u| u.as_array()) {
        Some(users) => {
            for user in users {
                let guest = if user["guest"] == true {
                    " (guest)"
                } else {
                    ""
                };
                println!(
                    "{} {}{guest}",
                    user["name"].as_str().unwrap_or(""),
                    user["ip"].as_str().unwrap_or("")
                );
            }
        }
        None => println!("ok"),
    }
    Ok(())
}

fn open_admin(args: &DatabaseArgs) -> anyhow::Result<(crate::admin::Admin, Config)> {
    let mut config = load_config_file(args.config.as_deref())?;
    if let Some(database) = &args.database {
        config.storage.database = database.clone();
    }
    let admin = crate::admin::Admin::open(&config.storage.database)?;
    Ok((admin, config))
}

/// The first line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        eprint!("Password (shown as typed): ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "empty password");
    Ok(password)
}

fn user(args: &DatabaseArgs, action: UserAction) -> anyhow::Result<()> {
    let (admin, config) = open_admin(args)?;
    match action {
        UserAction::Add { name } => {
            let password = read_password()?;
            admin.add_user(
                &name,
                &password,
                config.limits.max_username_chars,
                &config.server.notice_sender,
            )?;
            println!("user {name:?} created");
        }
        UserAction::Passwd { name } => {
            admin.set_password(&name, &read_password()?)?;
            println!("password of {name:?} changed");
        }
        UserAction::Delete { name } => {
            admin.delete_user(&name)?;
            println!("user {name:?} deleted");
        }
        UserAction::Ban { name } => {
            admin.set_banned(&name, true)?;
            println!("user {name:?} banned (effective at the next login)");
        }
        UserAction::Unban { name } => {
            admin.set_banned(&name, false)?;
            println!("user {name:?} unbanned");
        }
        UserAction::List => {
            println!(
                "{:<32} {:<6} {:<7} {:<24} last login",
                "name", "role", "banned", "created"
            );
            for user in admin.users()? {
                let last = user
                    .last_login_at_ms
                    .map(crate::time_format::rfc3339_ms)
                    .unwrap_or_else(|| "-".into());
                println!(
                    "{:<32} {:<6} {:<7} {:<24} {}",
                    user.username,
                    user.role,
                    if user.banned { "yes" } else { "no" },
                    crate::time_format::rfc3339_ms(user.created_at_ms),
                    last
                );
            }
        }
    }
    Ok(())
}

fn generate_cert(args: GenerateCertArgs) -> anyhow::Result<()> {
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
        force: args.force,
        reuse_ca: !args.new_ca,
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
        "Clients and stunnel must trust {} (never copy the .key files):",
        report.ca_cert.display()
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
    println!("A running server picks up a new certificate on SIGHUP (systemctl reload classcord).");
    Ok(())
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.load_config()?;
    crate::logging::init_stderr(&config.logging.level);
    raise_fd_limit();
    return_large_allocations_to_the_system();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let server = RunningServer::start(config).await?;
        wait_for_stop_signal(&server).await?;
        server.shutdown().await;
        anyhow::Ok(())
    })
}

/// Each password hash uses a 19 MiB working area. glibc's default raises its mmap threshold
/// after the first such area is freed, and later ones then stay resident in per-thread arenas
/// (measured: +19 MiB of RSS per login). A fixed 1 MiB threshold maps and unmaps them.
fn return_large_allocations_to_the_system() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only changes allocator tuning; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Raises the soft open-files limit to the hard limit, so thousands of clients need no `ulimit`.
fn raise_fd_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open files limit"),
        Err(error) => tracing::warn!(%error, "cannot raise the open files limit"),
    }
}

/// Serves SIGHUP (certificate reload) until SIGTERM or SIGINT.
async fn wait_for_stop_signal(server: &RunningServer) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    let mut hangup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;
    loop {
        tokio::select! {
            _ = terminate.recv() => {
                tracing::info!("SIGTERM received");
                return Ok(());
            }
            _ = interrupt.recv() => {
                tracing::info!("SIGINT received");
                return Ok(());
            }
            _ = hangup.recv() => {
                tracing::info!("SIGHUP received: reloading the TLS certificate");
                // Failure is logged and the current certificate stays in service.
                let _ = server.reload_tls().await;
            }
        }
    }
}
