//! The command line: its arguments, and the admin's tools (`user`, `admin`, `backup`,
//! `export`, `import-legacy`, `generate-cert`). Running the server (`serve`, with its
//! runtime and signals) is the binary's own job, in `main.rs`.

mod accounts;
mod admin;
mod cert;
mod check;
mod ownership;
mod roster;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::config::Config;

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
        /// TOML configuration file giving the socket path [default: config/classcord.toml here or in a folder above]
        #[arg(long, value_name = "PATH", global = true)]
        config: Option<PathBuf>,
        /// Admin socket; replaces [admin] socket.
        #[arg(long, value_name = "PATH", global = true)]
        socket: Option<PathBuf>,
        #[command(subcommand)]
        action: crate::admin::protocol::Request,
    },
    /// Import the accounts of the old Python server's users.pkl (plaintext passwords, hashed now).
    ImportLegacy {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The legacy users.pkl file.
        file: PathBuf,
    },
    /// Check the configuration, its directories, certificate and ports without starting;
    /// exits non-zero with every problem listed.
    CheckConfig {
        /// TOML configuration file [default: config/classcord.toml here or in a folder above]
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
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
    /// TOML configuration file [default: config/classcord.toml here or in a folder above]
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    /// SQLite database file; replaces [storage] database.
    #[arg(long, value_name = "PATH", global = true)]
    pub database: Option<PathBuf>,
}

/// Account commands. On a running server they go through its admin socket and act at once
/// (a ban or a deletion disconnects); otherwise they write the database file.
#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create an account; the password is the first line of standard input.
    Add { name: String },
    /// Set a new password (first line of standard input).
    Passwd { name: String },
    /// Delete an account and disconnect it (its messages stay in the history unless
    /// --erase).
    Delete {
        name: String,
        /// Also remove every message it sent or received (rooms and private) and the reports
        /// it made or that name it: an erasure request (RGPD). Backups keep them.
        #[arg(long)]
        erase: bool,
    },
    /// Write everything stored about a person (account, role, dates, rooms, sanctions,
    /// reports, messages sent and received) as JSON, for an access request (RGPD). Works for
    /// a guest's name too.
    Export {
        name: String,
        /// The JSON file to create (mode 0600; an existing file is not overwritten).
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Refuse the account's logins and disconnect it.
    Ban { name: String },
    /// Allow a banned account to log in again.
    Unban { name: String },
    /// Give an account a role: moderator (a teacher), admin, or user.
    Role { name: String, role: RoleArg },
    /// List accounts.
    List,
    /// Create the accounts of a class list (CSV with columns nom, prénom, classe and
    /// optionally identifiant, mot_de_passe, role; `,` or `;`; UTF-8 or Windows-1252): user
    /// names prénom.nom, each class a private room of its pupils. Running it again changes
    /// nothing.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The class list.
    pub file: PathBuf,
    /// Where to write the new accounts' first passwords, with their class, to hand out
    /// (created with mode 0600; required when passwords are generated).
    #[arg(long, value_name = "FILE")]
    pub passwords_out: Option<PathBuf>,
    /// Role of the rows whose role column is empty or missing.
    #[arg(long, value_enum, default_value = "user")]
    pub role: RoleArg,
    /// A room every account of the list joins, beside its class's (repeatable): the classes
    /// of a list of teachers.
    #[arg(long, value_name = "#ROOM")]
    pub room: Vec<String>,
    /// Print what the import would do, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// A role as `classcord user role` takes it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    User,
    Moderator,
    Admin,
}

impl From<RoleArg> for classcord_protocol::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::User => classcord_protocol::Role::User,
            RoleArg::Moderator => classcord_protocol::Role::Moderator,
            RoleArg::Admin => classcord_protocol::Role::Admin,
        }
    }
}

#[derive(Debug, Args)]
pub struct GenerateCertArgs {
    /// TOML configuration file giving the certificate paths [default: config/classcord.toml here or in a folder above]
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
    /// What a new CA may vouch for (repeatable): the school's domain (with its subdomains),
    /// an address or a network (192.168.0.0/16); replaces [tls] ca_scope. Names added later
    /// inside it need no new CA [default: the certificate's names and its addresses' private networks]
    #[arg(long, value_name = "DOMAIN|NETWORK")]
    pub ca_scope: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file [default: config/classcord.toml here or in a folder above, else built-in defaults]
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

/// The given configuration file, else `config/classcord.toml` here or in the nearest folder
/// above, else the defaults (said on standard error, with where files will go).
/// Refuses to run as root on a state directory owned by the service's user.
fn load_config_file(path: Option<&Path>) -> anyhow::Result<Config> {
    let (config, defaults) = read_config_file(path)?;
    if let Some(defaults) = defaults {
        eprintln!("note: {defaults}");
    }
    Ok(config)
}

/// Built-in defaults were used: where their files will go.
#[derive(Debug)]
pub struct DefaultsUsed {
    folder: PathBuf,
}

impl std::fmt::Display for DefaultsUsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let here = self.folder.display();
        write!(
            f,
            "no configuration file ({DEFAULT_CONFIG} in {here} or a folder above it, or --config): built-in defaults, files created in {here}: data/classcord.db, certs/, logs/"
        )
    }
}

/// [`load_config_file`] without a word: whether the defaults were used is returned (`serve`
/// logs it once its log is set up).
fn read_config_file(path: Option<&Path>) -> anyhow::Result<(Config, Option<DefaultsUsed>)> {
    let (config, defaults) = match path.map(Path::to_owned).or_else(find_default_config) {
        Some(path) => (Config::load(&path)?, None),
        None => {
            let folder = std::env::current_dir().unwrap_or_else(|_| ".".into());
            (Config::default(), Some(DefaultsUsed { folder }))
        }
    };
    let state_dir = if config.server.state_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        config.server.state_dir.as_path()
    };
    ownership::refuse_root_on_foreign_state(state_dir)?;
    Ok((config, defaults))
}

/// `config/classcord.toml` in the current folder or the nearest folder above it that has
/// one: `cargo run -- serve` from a subfolder of the repository uses the repository's.
fn find_default_config() -> Option<PathBuf> {
    let here = std::env::current_dir().ok()?;
    here.ancestors()
        .map(|folder| folder.join(DEFAULT_CONFIG))
        .find(|candidate| candidate.is_file())
}

impl ServeArgs {
    /// The configuration file plus the command-line overrides, and whether the built-in
    /// defaults were used (for the log to say).
    pub fn load_config(&self) -> anyhow::Result<(Config, Option<DefaultsUsed>)> {
        let (mut config, defaults) = read_config_file(self.config.as_deref())?;
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
        Ok((config, defaults))
    }
}

/// Runs every command but `serve`.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(_) => anyhow::bail!("`serve` is run by the classcord binary"),
        Command::GenerateCert(args) => cert::generate(args),
        Command::User {
            database,
            action: UserAction::Import(import),
        } => roster::import(&database.load_config()?, &import),
        Command::User { database, action } => accounts::user(&database, action),
        Command::Admin {
            config,
            socket,
            action,
        } => {
            let socket = match socket {
                Some(socket) => socket,
                None => load_config_file(config.as_deref())?.admin.socket,
            };
            admin::run(&socket, action)
        }
        Command::Backup { database, file } => accounts::backup(&database, &file),
        Command::ImportLegacy { database, file } => accounts::import_legacy(&database, &file),
        Command::Export { database, output } => accounts::export(&database, output.as_deref()),
        Command::CheckConfig { config } => check::check(config.as_deref()),
    }
}

impl DatabaseArgs {
    /// The configuration file with `--database` applied.
    fn load_config(&self) -> anyhow::Result<Config> {
        let mut config = load_config_file(self.config.as_deref())?;
        if let Some(database) = &self.database {
            config.storage.database = database.clone();
        }
        Ok(config)
    }
}
