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
    /// Run the server until SIGINT or SIGTERM.
    Serve(ServeArgs),
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

impl ServeArgs {
    /// The configuration file plus the command-line overrides.
    pub fn load_config(&self) -> anyhow::Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::load(path)?,
            None if Path::new(DEFAULT_CONFIG).exists() => Config::load(Path::new(DEFAULT_CONFIG))?,
            None => Config::default(),
        };
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
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.load_config()?;
    crate::logging::init_stderr(&config.logging.level);
    raise_fd_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let server = RunningServer::start(config).await?;
        wait_for_stop_signal().await?;
        server.shutdown().await;
        anyhow::Ok(())
    })
}

/// Raises the soft open-files limit to the hard limit, so thousands of clients need no `ulimit`.
fn raise_fd_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open files limit"),
        Err(error) => tracing::warn!(%error, "cannot raise the open files limit"),
    }
}

async fn wait_for_stop_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    tokio::select! {
        _ = terminate.recv() => tracing::info!("SIGTERM received"),
        _ = interrupt.recv() => tracing::info!("SIGINT received"),
    }
    Ok(())
}
