//! `classcord-load`: load generator and benchmarks for a ClassCord server (or the reference
//! relay), run from the same machine or another one on the LAN.

mod conn;
mod fanout;
mod handshakes;
mod idle;
mod logins;
mod relay;
mod report;
mod school;
mod soak;
mod ws_lines;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use conn::{Identify, Target};
use fanout::{FanoutOptions, FanoutResult};
use report::{optional, print_table};

#[derive(Parser)]
#[command(
    name = "classcord-load",
    version,
    about = "Load generator for ClassCord servers"
)]
struct Cli {
    /// Print the results as JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct TargetArgs {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1:12345")]
    addr: SocketAddr,
    /// Use TLS, trusting this CA certificate (e.g. certs/ca.crt); point --addr at the TLS port.
    #[arg(long, value_name = "PEM")]
    ca: Option<PathBuf>,
    /// Name the server certificate must carry.
    #[arg(long, default_value = "localhost")]
    server_name: String,
    /// Process id of the server, to report its memory and CPU.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Speak through a WebSocket (point --addr at a `web` listener, or with --ca at a
    /// `web_tls` one); `fanout --relay` then compares with the WebSocket relay.
    #[arg(long)]
    websocket: bool,
}

impl TargetArgs {
    fn target(&self) -> anyhow::Result<Target> {
        Ok(Target::new(self.addr, self.ca.clone(), &self.server_name)?
            .over_websocket(self.websocket))
    }

    /// The same target, as arguments for a worker process.
    fn worker_args(&self) -> Vec<String> {
        let mut args = vec![
            "--addr".to_owned(),
            self.addr.to_string(),
            "--server-name".to_owned(),
            self.server_name.clone(),
        ];
        if let Some(ca) = &self.ca {
            args.extend(["--ca".to_owned(), ca.display().to_string()]);
        }
        if self.websocket {
            args.push("--websocket".to_owned());
        }
        args
    }
}

#[derive(Args, Clone)]
struct FanoutArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Connected clients.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Clients that send (the others only receive).
    #[arg(long, default_value_t = 5)]
    senders: usize,
    /// Messages per second per sender; without it, senders go as fast as --window allows.
    #[arg(long)]
    rate: Option<f64>,
    /// Messages a sender may have in flight (not yet delivered) without --rate.
    #[arg(long, default_value_t = 64)]
    window: u64,
    /// Message content size in bytes.
    #[arg(long, default_value_t = 64)]
    payload: usize,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Identify clients with fresh accounts (register + login) instead of as guests.
    #[arg(long)]
    login: bool,
    /// The target is a relay already running (`classcord-load relay`, under callgrind say):
    /// its banner identifies each client.
    #[arg(long, conflicts_with = "login")]
    target_is_relay: bool,
    /// With --ca and --relay: the certificate the TLS relay serves (e.g. certs/server.crt).
    #[arg(long, requires = "relay_key")]
    relay_cert: Option<PathBuf>,
    /// With --ca and --relay: the relay's private key (e.g. certs/server.key).
    #[arg(long, requires = "relay_cert")]
    relay_key: Option<PathBuf>,
}

impl FanoutArgs {
    /// How clients identify on ClassCord.
    fn identify(&self) -> Identify {
        if self.target_is_relay {
            Identify::RelayBanner
        } else if self.login {
            Identify::Account
        } else {
            Identify::Guest
        }
    }

    fn options(&self, identify: Identify) -> FanoutOptions {
        FanoutOptions {
            clients: self.clients,
            senders: self.senders,
            rate: self.rate,
            window: self.window.max(1),
            payload: self.payload,
            duration: Duration::from_secs(self.duration),
            identify,
        }
    }
}

/// The school of the `school` scenario (the same for `school-roster`).
#[derive(Args, Clone)]
struct SchoolArgs {
    /// Accounts in all, teachers included.
    #[arg(long, default_value_t = 1500)]
    accounts: usize,
    #[arg(long, default_value_t = 30)]
    teachers: usize,
    /// Class rooms (besides #général).
    #[arg(long, default_value_t = 50)]
    rooms: usize,
}

impl SchoolArgs {
    fn school(&self) -> anyhow::Result<school::roster::School> {
        school::roster::School::new(self.accounts, self.teachers, self.rooms)
    }
}

#[derive(Subcommand)]
enum Command {
    /// N clients, S senders: throughput, loss and latency of global messages.
    Fanout {
        #[command(flatten)]
        args: FanoutArgs,
        /// Run the same scenario against the reference relay first and report ratios.
        #[arg(long)]
        relay: bool,
        /// Server database: count the messages this run stored.
        #[arg(long, value_name = "PATH")]
        database: Option<PathBuf>,
    },
    /// N idle identified connections: memory per connection, then one broadcast to all.
    Idle {
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long, default_value_t = 1000)]
        connections: usize,
        /// Measure the reference relay first, with the same number of connections.
        #[arg(long)]
        relay: bool,
        /// Identify as the legacy clients do (a guest announced by a message, announced to
        /// everyone already in) instead of as quiet v2 guests: a join storm.
        #[arg(long)]
        legacy: bool,
        /// New connections per second (all processes together); without it, as fast as
        /// possible.
        #[arg(long)]
        rate: Option<f64>,
        /// Seconds between the server going quiet after the last identification (done
        /// writing what the arrivals made it send) and the reading of its memory (the same
        /// for the relay).
        #[arg(long, default_value_t = 0.5)]
        settle: f64,
    },
    /// Internal: one process of a large `idle` run.
    #[command(hide = true)]
    IdleWorker {
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long)]
        first: usize,
        #[arg(long)]
        count: usize,
        #[arg(long)]
        relay_banner: bool,
        #[arg(long)]
        legacy: bool,
        #[arg(long)]
        rate: Option<f64>,
    },
    /// Run the reference relay (a line relay with no protocol, for comparison).
    Relay {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// Serve TLS with this certificate chain (PEM)...
        #[arg(long, requires = "key")]
        cert: Option<PathBuf>,
        /// ...and this private key (PEM).
        #[arg(long, requires = "cert")]
        key: Option<PathBuf>,
        /// Relay WebSocket text frames (the client's upgrade answered) instead of lines.
        #[arg(long)]
        websocket: bool,
    },
    /// A fan-out without, then with, a storm of logins (right and wrong passwords).
    Logins {
        #[command(flatten)]
        args: FanoutArgs,
        /// Clients logging in continuously during the storm.
        #[arg(long, default_value_t = 16)]
        storm: usize,
    },
    /// A long steady mixed load (readers, chatters with history, churning logins and
    /// guests): server memory and CPU sampled over time, connections lost counted.
    Soak {
        #[command(flatten)]
        target: TargetArgs,
        /// Connections that only read.
        #[arg(long, default_value_t = 200)]
        readers: usize,
        /// Accounts sending messages (global and channel) and asking for history.
        #[arg(long, default_value_t = 20)]
        chatters: usize,
        /// Messages per second per chatter.
        #[arg(long, default_value_t = 2.0)]
        chat_rate: f64,
        /// Clients connecting, identifying, joining, reading history, speaking and leaving.
        #[arg(long, default_value_t = 10)]
        churners: usize,
        /// Rounds per second per churner.
        #[arg(long, default_value_t = 1.0)]
        churn_rate: f64,
        /// Seconds of load.
        #[arg(long, default_value_t = 1800)]
        duration: u64,
        /// Seconds left out of the memory summary.
        #[arg(long, default_value_t = 120)]
        warmup: u64,
        /// Seconds between two samples of the server's memory and CPU.
        #[arg(long, default_value_t = 10)]
        sample_every: u64,
    },
    /// A lesson starts: every pupil of a school arrives within a minute (half on the web,
    /// half legacy TCP, a few TLS), enters their class room, and chats while teachers mute
    /// and exclude. The accounts come first, from `school-roster` and `classcord user import`.
    School {
        #[command(flatten)]
        school: SchoolArgs,
        /// The legacy clients' plain listener.
        #[arg(long, default_value = "127.0.0.1:12345")]
        addr: SocketAddr,
        /// The TLS listener, for one pupil in twenty (needs --ca).
        #[arg(long, default_value = "127.0.0.1:12346", requires = "ca")]
        tls_addr: SocketAddr,
        /// The web listener (WebSocket on /ws).
        #[arg(long, default_value = "127.0.0.1:12347")]
        web_addr: SocketAddr,
        /// The CA of the TLS listener; without it, nobody comes over TLS.
        #[arg(long, value_name = "PEM")]
        ca: Option<PathBuf>,
        #[arg(long, default_value = "localhost")]
        server_name: String,
        /// Process id of the server, to report its memory and CPU.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Seconds within which every pupil opens their client.
        #[arg(long, default_value_t = 60)]
        arrival: u64,
        /// Seconds of chat after the arrival window.
        #[arg(long, default_value_t = 60)]
        after: u64,
        /// Messages per minute per pupil, bursts included.
        #[arg(long, default_value_t = 10.0)]
        per_minute: f64,
        /// Message content size in bytes.
        #[arg(long, default_value_t = 64)]
        payload: usize,
        /// Server database: count the messages this run stored.
        #[arg(long, value_name = "PATH")]
        database: Option<PathBuf>,
    },
    /// Writes the `school` scenario's class list, for `classcord user import FILE`.
    SchoolRoster {
        #[command(flatten)]
        school: SchoolArgs,
        #[arg(long)]
        output: PathBuf,
    },
    /// Full TLS handshakes per second.
    Handshakes {
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 5)]
        duration: u64,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("classcord-load: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    idle::raise_fd_limit();
    match cli.command {
        Command::Relay {
            listen,
            cert,
            key,
            websocket,
        } => {
            let tls = cert
                .zip(key)
                .map(|(cert, key)| relay::RelayTls { cert, key });
            relay::serve(listen, tls, websocket).await
        }
        Command::Fanout {
            args,
            relay,
            database,
        } => {
            let relay_result = if relay {
                Some(fanout_against_relay(&args).await?)
            } else {
                None
            };
            let before = database.as_deref().map(max_message_id).transpose()?;
            let server = fanout::run(
                &args.target.target()?,
                &args.options(args.identify()),
                args.target.server_pid,
                "classcord",
            )
            .await?;
            let persisted = match (&database, before) {
                (Some(path), Some(before)) => Some(max_message_id(path)? - before),
                _ => None,
            };
            let report = FanoutReport {
                server,
                relay: relay_result,
                persisted,
            };
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                report.print();
            }
            Ok(())
        }
        Command::IdleWorker {
            target,
            first,
            count,
            relay_banner,
            legacy,
            rate,
        } => {
            let identify = match (relay_banner, legacy) {
                (true, false) => Identify::RelayBanner,
                (true, true) => Identify::RelayAnnounce,
                (false, true) => Identify::LegacyGuest,
                (false, false) => Identify::Guest,
            };
            let options = idle::IdleOptions { identify, rate };
            idle::worker(&target.target()?, first, count, options).await
        }
        Command::Idle {
            target,
            connections,
            relay,
            legacy,
            rate,
            settle,
        } => {
            let settle = Duration::from_secs_f64(settle.max(0.0));
            let identify = if legacy {
                Identify::LegacyGuest
            } else {
                Identify::Guest
            };
            let relay_result = if relay {
                let process = relay::RelayProcess::spawn(None, false)?;
                let relay_target = Target::new(process.addr, None, "localhost")?;
                let worker_args = ["--addr".to_owned(), process.addr.to_string()];
                Some(
                    idle::run(
                        &relay_target,
                        connections,
                        idle::IdleOptions {
                            identify: if legacy {
                                Identify::RelayAnnounce
                            } else {
                                Identify::RelayBanner
                            },
                            rate,
                        },
                        settle,
                        Some(process.pid()),
                        "relay",
                        &worker_args,
                    )
                    .await?,
                )
            } else {
                None
            };
            let server = idle::run(
                &target.target()?,
                connections,
                idle::IdleOptions { identify, rate },
                settle,
                target.server_pid,
                "classcord",
                &target.worker_args(),
            )
            .await?;
            if cli.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"server": server, "relay": relay_result})
                    )?
                );
            } else {
                for result in relay_result.iter().chain([&server]) {
                    print_table(
                        &format!("idle: {}", result.target),
                        &[
                            (
                                "connections",
                                format!(
                                    "{} asked, {} connected",
                                    result.connections, result.connected
                                ),
                            ),
                            ("alive after broadcast", result.alive.to_string()),
                            ("setup", format!("{:.1} s", result.setup_seconds)),
                            (
                                "quiet after the setup",
                                format!("{:.1} s", result.quiet_seconds),
                            ),
                            (
                                "broadcast reached all in",
                                format!("{:.2} s", result.broadcast_seconds),
                            ),
                            (
                                "RSS before / after",
                                format!(
                                    "{} / {} KiB",
                                    optional(result.server_rss_before_kib),
                                    optional(result.server_rss_after_kib)
                                ),
                            ),
                            (
                                "RSS per connection",
                                optional(
                                    result
                                        .server_rss_per_connection_kib
                                        .map(|v| format!("{v:.2} KiB")),
                                ),
                            ),
                        ],
                    );
                }
            }
            Ok(())
        }
        Command::Logins { args, storm } => {
            let result = logins::run(
                &args.target.target()?,
                &args.options(args.identify()),
                storm,
                args.target.server_pid,
            )
            .await?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&result)?);
            } else {
                print_fanout(&result.without_storm);
                print_fanout(&result.with_storm);
                print_table(
                    "login storm",
                    &[
                        (
                            "logins ok / failed",
                            format!("{} / {}", result.logins_ok, result.logins_failed),
                        ),
                        ("logins per second", format!("{:.1}", result.logins_per_sec)),
                        (
                            "chat p99 with / without storm",
                            format!("{:.2}x", result.p99_ratio),
                        ),
                        (
                            "server CPU during storm",
                            optional(
                                result
                                    .server_cpu_percent_during_storm
                                    .map(|c| format!("{c:.0} % of one core")),
                            ),
                        ),
                    ],
                );
            }
            Ok(())
        }
        Command::Soak {
            target,
            readers,
            chatters,
            chat_rate,
            churners,
            churn_rate,
            duration,
            warmup,
            sample_every,
        } => {
            let options = soak::SoakOptions {
                readers,
                chatters,
                chat_rate,
                churners,
                churn_rate,
                duration: Duration::from_secs(duration),
                warmup: Duration::from_secs(warmup),
                sample_every: Duration::from_secs(sample_every.max(1)),
            };
            let result = soak::run(&target.target()?, &options, target.server_pid).await?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&result)?);
            } else {
                print_soak(&result);
            }
            Ok(())
        }
        Command::SchoolRoster { school, output } => {
            let school = school.school()?;
            school.write_class_list(&output)?;
            println!(
                "{}: {} teachers and {} pupils in {} class rooms, password {:?}",
                output.display(),
                school.teachers.len(),
                school.pupils.len(),
                school.rooms,
                school::roster::PASSWORD
            );
            Ok(())
        }
        Command::School {
            school,
            addr,
            tls_addr,
            web_addr,
            ca,
            server_name,
            server_pid,
            arrival,
            after,
            per_minute,
            payload,
            database,
        } => {
            let tls = ca
                .map(|ca| Target::new(tls_addr, Some(ca), &server_name))
                .transpose()?;
            let targets = school::Targets {
                plain: Target::new(addr, None, &server_name)?,
                tls,
                web: Target::new(web_addr, None, &server_name)?.over_websocket(true),
            };
            let options = school::SchoolOptions {
                accounts: school.accounts,
                teachers: school.teachers,
                rooms: school.rooms,
                arrival: Duration::from_secs(arrival),
                after: Duration::from_secs(after),
                messages_per_minute: per_minute,
                payload,
            };
            let before = database.as_deref().map(max_message_id).transpose()?;
            let mut result = school::run(targets, &options, server_pid).await?;
            if let (Some(path), Some(before)) = (&database, before) {
                result.persisted = Some((max_message_id(path)? - before) as u64);
            }
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&result)?);
            } else {
                result.print();
            }
            Ok(())
        }
        Command::Handshakes {
            target,
            concurrency,
            duration,
        } => {
            let result = handshakes::run(
                &target.target()?,
                concurrency,
                Duration::from_secs(duration),
                target.server_pid,
            )
            .await?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&result)?);
            } else {
                print_table(
                    "TLS full handshakes",
                    &[
                        ("concurrency", result.concurrency.to_string()),
                        (
                            "handshakes",
                            format!("{} ({} failed)", result.handshakes, result.failures),
                        ),
                        ("per second", format!("{:.0}", result.handshakes_per_sec)),
                        (
                            "server CPU",
                            optional(
                                result
                                    .server_cpu_percent
                                    .map(|c| format!("{c:.0} % of one core")),
                            ),
                        ),
                    ],
                );
            }
            Ok(())
        }
    }
}

/// The same fan-out against the reference relay: over TLS (same CA and server name) when the
/// server is measured over TLS.
async fn fanout_against_relay(args: &FanoutArgs) -> anyhow::Result<FanoutResult> {
    let tls = match (&args.target.ca, &args.relay_cert, &args.relay_key) {
        (None, _, _) => None,
        (Some(_), Some(cert), Some(key)) => Some(relay::RelayTls {
            cert: cert.clone(),
            key: key.clone(),
        }),
        (Some(_), _, _) => anyhow::bail!(
            "over TLS, --relay needs --relay-cert and --relay-key (the server's certificate and key)"
        ),
    };
    // The relay of the same transport: WebSocket frames for a WebSocket fan-out.
    let process = relay::RelayProcess::spawn(tls.as_ref(), args.target.websocket)?;
    let target = Target::new(
        process.addr,
        args.target.ca.clone(),
        &args.target.server_name,
    )?
    .over_websocket(args.target.websocket);
    fanout::run(
        &target,
        &args.options(Identify::RelayBanner),
        Some(process.pid()),
        "relay",
    )
    .await
}

/// Highest message id in the server's database (0 when empty).
fn max_message_id(path: &std::path::Path) -> anyhow::Result<i64> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("cannot open {}", path.display()))?;
    Ok(
        conn.query_row("SELECT COALESCE(MAX(id), 0) FROM messages", [], |row| {
            row.get(0)
        })?,
    )
}

#[derive(Serialize)]
struct FanoutReport {
    server: FanoutResult,
    relay: Option<FanoutResult>,
    /// Messages this run added to the database.
    persisted: Option<i64>,
}

impl FanoutReport {
    fn print(&self) {
        if let Some(relay) = &self.relay {
            print_fanout(relay);
        }
        print_fanout(&self.server);
        let mut rows = Vec::new();
        if let Some(relay) = &self.relay {
            rows.push((
                "deliveries/s vs relay",
                format!(
                    "{:.1} %",
                    100.0 * self.server.deliveries_per_sec / relay.deliveries_per_sec
                ),
            ));
            if let (Some(server), Some(relay)) = (
                self.server.server_cpu_us_per_delivery,
                relay.server_cpu_us_per_delivery,
            ) {
                rows.push((
                    "server CPU per delivery vs relay",
                    format!("{server:.3} / {relay:.3} µs ({:.2}x)", server / relay),
                ));
            }
            rows.push((
                "p99 latency vs relay",
                format!("{:.2}x", self.server.latency.p99_ms / relay.latency.p99_ms),
            ));
        }
        if let Some(persisted) = self.persisted {
            rows.push((
                "messages stored by this run",
                format!("{persisted} of {} sent", self.server.sent),
            ));
        }
        if !rows.is_empty() {
            print_table("comparison", &rows);
        }
    }
}

fn print_fanout(result: &FanoutResult) {
    let latency = &result.latency;
    print_table(
        &format!("fanout: {}", result.target),
        &[
            (
                "clients / senders",
                format!(
                    "{} ({} connected) / {}",
                    result.clients, result.connected, result.senders
                ),
            ),
            (
                "sent",
                format!("{} ({:.0} msg/s)", result.sent, result.messages_per_sec),
            ),
            (
                "delivered / expected",
                format!(
                    "{} / {} (lost {})",
                    result.delivered, result.expected, result.lost
                ),
            ),
            (
                "deliveries per second",
                format!("{:.0}", result.deliveries_per_sec),
            ),
            (
                "latency p50 / p90 / p99 / max",
                format!(
                    "{:.2} / {:.2} / {:.2} / {:.2} ms",
                    latency.p50_ms, latency.p90_ms, latency.p99_ms, latency.max_ms
                ),
            ),
            (
                "server RSS",
                optional(result.server_rss_kib.map(|k| format!("{k} KiB"))),
            ),
            (
                "server CPU",
                optional(
                    result
                        .server_cpu_percent
                        .map(|c| format!("{c:.0} % of one core")),
                ),
            ),
            (
                "server CPU per delivery",
                optional(
                    result
                        .server_cpu_us_per_delivery
                        .map(|us| format!("{us:.3} µs")),
                ),
            ),
            (
                "load generator's CPU per delivery",
                optional(
                    result
                        .load_cpu_us_per_delivery
                        .map(|us| format!("{us:.3} µs")),
                ),
            ),
        ],
    );
}

fn print_soak(result: &soak::SoakResult) {
    let kib = |value: Option<u64>| optional(value.map(|k| format!("{k} KiB")));
    print_table(
        "soak",
        &[
            ("seconds", format!("{:.0}", result.seconds)),
            (
                "readers / chatters / churners",
                format!(
                    "{} / {} / {}",
                    result.readers, result.chatters, result.churners
                ),
            ),
            ("connections lost", result.lost_connections.to_string()),
            ("chat messages sent", result.chat_sent.to_string()),
            ("lines read", result.lines_read.to_string()),
            ("history answers", result.history_answers.to_string()),
            (
                "churn rounds ok / failed",
                format!("{} / {}", result.churn_rounds, result.churn_failures),
            ),
            (
                "RSS after warm-up first / min / max",
                format!(
                    "{} / {} / {}",
                    kib(result.rss_after_warmup_first_kib),
                    kib(result.rss_after_warmup_min_kib),
                    kib(result.rss_after_warmup_max_kib)
                ),
            ),
            ("RSS last", kib(result.rss_last_kib)),
            (
                "server CPU mean",
                optional(
                    result
                        .cpu_percent_mean
                        .map(|c| format!("{c:.0} % of one core")),
                ),
            ),
        ],
    );
    for failure in &result.first_failures {
        println!("  failure: {failure}");
    }
}
