//! The `classcord` binary: parses the command line, runs the server (runtime, process
//! limits, signals) for `serve`, and hands every other command to the library's CLI.

use anyhow::Context as _;
use clap::Parser;

use classcord::cli::{Cli, Command, ServeArgs};
use classcord::server::RunningServer;

fn main() -> std::process::ExitCode {
    keep_files_private();
    // The server hashes at every login; `user import` hashes a whole class list.
    return_large_allocations_to_the_system();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Serve(args) => serve(args),
        command => classcord::cli::run(command),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("classcord: {}", describe(&error));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Whatever the umask it was started with, what classcord creates (database, logs, keys,
/// backups) is never readable by other users: directories 0750 and files 0640 at most. A
/// stricter umask (systemd's `UMask=0077`) is kept.
fn keep_files_private() {
    // SAFETY: umask only changes this process's file creation mask; it cannot fail, and it
    // runs before any thread starts.
    unsafe {
        let inherited = libc::umask(0o027);
        libc::umask(inherited | 0o027);
    }
}

/// The error and its causes, each said once: most of our errors already name their cause.
fn describe(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let (config, defaults) = args.load_config()?;
    classcord::logging::init_stderr(&config.logging.level);
    if let Some(defaults) = defaults {
        tracing::warn!("{defaults}");
    }
    raise_fd_limit();
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
/// (measured: +19 MiB of RSS per login; `user import` of 1,500 pupils peaked at 392 MiB). A
/// fixed 1 MiB threshold maps and unmaps them.
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

/// Serves SIGHUP (certificate reload) and SIGUSR1 (log files reopened after a rotation)
/// until SIGTERM or SIGINT.
async fn wait_for_stop_signal(server: &RunningServer) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    let mut hangup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;
    let mut user1 = signal(SignalKind::user_defined1()).context("cannot watch SIGUSR1")?;
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
            _ = server.stop_requested() => {
                tracing::info!("stop requested by a shutdown countdown");
                return Ok(());
            }
            _ = user1.recv() => server.reopen_logs().await,
            _ = hangup.recv() => {
                tracing::info!("SIGHUP received: reloading the TLS certificate");
                // Failure is logged and the current certificate stays in service.
                let _ = server.reload_tls().await;
            }
        }
    }
}
