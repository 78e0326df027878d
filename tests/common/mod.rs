//! Test harness: a real server on 127.0.0.1:0 in a temporary directory, and line clients.
#![allow(dead_code)] // each test binary uses its own part of the harness

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use classcord::config::Config;
use classcord::server::RunningServer;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long a test waits for a line that should come.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub dir: tempfile::TempDir,
}

/// A configuration for tests: loopback, ephemeral port, files in `dir`, TLS off.
pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.listen.plain = vec!["127.0.0.1:0".parse().unwrap()];
    config.listen.tls = vec![];
    config.storage.database = dir.join("data/classcord.db");
    config.logging.audit_file = dir.join("logs/audit.log");
    config.logging.auth_file = dir.join("logs/auth.log");
    config.tls.cert = dir.join("certs/server.crt");
    config.tls.key = dir.join("certs/server.key");
    config.tls.ca_cert = dir.join("certs/ca.crt");
    config.tls.ca_key = dir.join("certs/ca.key");
    config.admin.socket = dir.join("admin.sock");
    config.server.shutdown_grace_secs = 1;
    // The suite reads the English texts; tests/french.rs reads the French ones (the default).
    config.server.language = classcord::config::Language::En;
    // Most tests create channels as ordinary accounts (the default leaves that to teachers).
    config.limits.max_channels_per_account = 5;
    config
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(edit: impl FnOnce(&mut Config)) -> TestServer {
        classcord::logging::init_for_tests("error");
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(dir.path());
        edit(&mut config);
        let server = RunningServer::start(config).await.expect("server starts");
        TestServer {
            server: Some(server),
            dir,
        }
    }

    /// Starts again on the same directory (same database) after [`TestServer::stop`].
    pub async fn restart(&mut self, edit: impl FnOnce(&mut Config)) {
        let mut config = test_config(self.dir.path());
        edit(&mut config);
        self.server = Some(RunningServer::start(config).await.expect("server restarts"));
    }

    pub fn running(&self) -> &RunningServer {
        self.server.as_ref().expect("server running")
    }

    pub fn addr(&self) -> SocketAddr {
        self.running().plain_addrs()[0]
    }

    pub fn tls_addr(&self) -> SocketAddr {
        self.running().tls_addrs()[0]
    }

    /// A TLS client trusting the server's generated CA.
    pub async fn tls_client(&self) -> Client {
        let stream = tls_connect(self.tls_addr(), &self.path("certs/ca.crt"), "localhost")
            .await
            .expect("TLS handshake");
        Client::over(stream)
    }

    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Runs `classcord admin ARGS` against this server's admin socket.
    pub fn admin(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_classcord"))
            .arg("admin")
            .arg("--socket")
            .arg(self.path("admin.sock"))
            .args(args)
            .output()
            .expect("classcord admin runs")
    }

    /// Like [`TestServer::admin`], asserting success; returns what it printed.
    pub fn admin_ok(&self, args: &[&str]) -> String {
        let output = self.admin(args);
        assert!(
            output.status.success(),
            "admin {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.addr()).await
    }

    /// A connected client already logged in as a fresh account.
    pub async fn user(&self, name: &str) -> Client {
        let mut client = self.client().await;
        client.register(name, "secret").await;
        client.login(name, "secret").await;
        client
    }
}

/// A line client over any byte stream.
pub struct Client {
    reader: BufReader<Box<dyn AsyncRead + Send + Unpin>>,
    writer: Box<dyn AsyncWrite + Send + Unpin>,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect");
        Client::over(stream)
    }

    pub fn over<S: AsyncRead + AsyncWrite + Send + Unpin + 'static>(stream: S) -> Client {
        let (read, write) = tokio::io::split(stream);
        Client {
            reader: BufReader::new(Box::new(read)),
            writer: Box::new(write),
        }
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("write");
        self.writer.flush().await.expect("flush");
    }

    /// Writes without failing the test when the server already closed the connection.
    pub async fn try_send_raw(&mut self, bytes: &[u8]) -> bool {
        self.writer.write_all(bytes).await.is_ok() && self.writer.flush().await.is_ok()
    }

    pub async fn send(&mut self, value: Value) {
        let mut line = serde_json::to_vec(&value).unwrap();
        line.push(b'\n');
        self.send_raw(&line).await;
    }

    /// The next raw line, newline included; panics on timeout or EOF.
    pub async fn recv_raw(&mut self) -> Vec<u8> {
        let mut line = Vec::new();
        let read = tokio::time::timeout(WAIT, self.reader.read_until(b'\n', &mut line))
            .await
            .expect("timed out waiting for a line")
            .expect("read");
        assert!(read > 0, "connection closed while waiting for a line");
        line
    }

    /// The next raw line, or `None` when the server closed the connection.
    pub async fn try_recv_raw(&mut self) -> Option<Vec<u8>> {
        let mut line = Vec::new();
        match tokio::time::timeout(WAIT, self.reader.read_until(b'\n', &mut line)).await {
            Err(_) => panic!("timed out waiting for a line or a close"),
            Ok(Ok(0)) | Ok(Err(_)) => None,
            Ok(Ok(_)) => Some(line),
        }
    }

    pub async fn recv(&mut self) -> Value {
        let line = self.recv_raw().await;
        assert!(line.is_ascii(), "non-ASCII output: {line:?}");
        assert!(line.ends_with(b"\n"));
        let value: Value = serde_json::from_slice(&line).expect("server sent JSON");
        assert!(value.is_object(), "server sent a non-object: {value}");
        value
    }

    /// Reads until a line of `kind` arrives, returning it (skips presence noise).
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        loop {
            let value = self.recv().await;
            if value["type"] == kind {
                return value;
            }
        }
    }

    /// The next line if one arrives within `wait`, else `None`.
    pub async fn recv_within(&mut self, wait: Duration) -> Option<Value> {
        let mut line = Vec::new();
        match tokio::time::timeout(wait, self.reader.read_until(b'\n', &mut line)).await {
            Ok(Ok(n)) if n > 0 => Some(serde_json::from_slice(&line).expect("server sent JSON")),
            _ => None,
        }
    }

    /// True when the server closes the connection (EOF or reset) within the wait.
    pub async fn closed(&mut self) -> bool {
        let mut line = Vec::new();
        loop {
            line.clear();
            match tokio::time::timeout(WAIT, self.reader.read_until(b'\n', &mut line)).await {
                Err(_) => return false,
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue,
            }
        }
    }

    pub async fn register(&mut self, name: &str, password: &str) -> Value {
        self.send(json!({"type": "register", "username": name, "password": password}))
            .await;
        let reply = self.recv().await;
        assert_eq!(
            reply,
            json!({"type": "register", "status": "ok"}),
            "register {name}"
        );
        reply
    }

    /// A login attempt and its reply, whatever it is.
    pub async fn try_login(&mut self, name: &str, password: &str) -> Value {
        self.send(json!({"type": "login", "username": name, "password": password}))
            .await;
        self.recv().await
    }

    pub async fn login(&mut self, name: &str, password: &str) -> Value {
        let reply = self.try_login(name, password).await;
        assert_eq!(reply["type"], "login", "login {name}: {reply}");
        assert_eq!(reply["status"], "ok");
        reply
    }

    /// Round trip that proves every line queued for this client before it was answered.
    pub async fn sync(&mut self) -> Value {
        self.send(json!({"type": "users"})).await;
        self.recv_type("users").await
    }

    /// Asserts that the next line is the `users` reply (nothing else was queued before it).
    pub async fn expect_nothing_pending(&mut self) {
        self.send(json!({"type": "users"})).await;
        let next = self.recv().await;
        assert_eq!(next["type"], "users", "unexpected line: {next}");
    }
}

/// A rustls client configuration trusting only the CA in `ca_file`.
pub fn client_config(ca_file: &std::path::Path) -> std::sync::Arc<rustls::ClientConfig> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::CertificateDer::pem_file_iter(ca_file).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

/// A TLS connection trusting only the CA in `ca_file`.
pub async fn tls_connect(
    addr: SocketAddr,
    ca_file: &std::path::Path,
    server_name: &str,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let connector = tokio_rustls::TlsConnector::from(client_config(ca_file));
    let tcp = TcpStream::connect(addr).await?;
    let name = rustls_pki_types::ServerName::try_from(server_name.to_owned()).unwrap();
    connector.connect(name, tcp).await
}

/// A TCP connection from a chosen loopback source address (127.0.0.x).
pub async fn connect_from(source: &str, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(format!("{source}:0").parse().unwrap())?;
    socket.connect(addr).await
}

/// A free loopback port for an external program (stunnel) to listen on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `port`.
pub async fn wait_for_port(port: u16) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing listens on {port}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The real `classcord` binary serving on ephemeral ports, stderr in a file.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub port: u16,
    pub tls_port: Option<u16>,
    pub stderr_path: PathBuf,
}

/// The port a `listening on 127.0.0.1:PORT (kind)` log line gives, if there is one yet.
fn logged_port(log: &str, kind: &str) -> Option<u16> {
    log.split("listening on 127.0.0.1:")
        .skip(1)
        .find_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            rest[digits.len()..]
                .starts_with(&format!(" ({kind})"))
                .then(|| digits.parse().ok())
                .flatten()
        })
}

impl ServerProcess {
    /// Runs `classcord serve` (plain only) in `dir` with the shipped configuration and `extra`
    /// arguments, and waits for the log line that gives its port.
    pub async fn spawn(dir: &std::path::Path, extra: &[&str]) -> ServerProcess {
        Self::spawn_with(dir, extra, false, None).await
    }

    /// Like [`ServerProcess::spawn`], optionally with a TLS port and a hard limit on open files.
    pub async fn spawn_with(
        dir: &std::path::Path,
        extra: &[&str],
        tls: bool,
        max_open_files: Option<u32>,
    ) -> ServerProcess {
        Self::launch(dir, extra, tls, max_open_files, "info").await
    }

    /// Like [`ServerProcess::spawn`] with `RUST_LOG` set to `rust_log` (which must keep the
    /// `listening on` line of `classcord::server` at info).
    pub async fn spawn_logging(
        dir: &std::path::Path,
        extra: &[&str],
        rust_log: &str,
    ) -> ServerProcess {
        Self::launch(dir, extra, false, None, rust_log).await
    }

    /// Like [`ServerProcess::spawn`] under Debian's libfaketime: the server's wall clock is
    /// `faketime` (`-400d`: off by that; `@2026-12-07 20:00:00`: starting then), in UTC; its
    /// monotonic clock is the real one.
    pub async fn spawn_faketime(dir: &std::path::Path, faketime: &str) -> ServerProcess {
        Self::launch_as(dir, &[], false, None, "info", Some(faketime)).await
    }

    /// Like [`ServerProcess::spawn_faketime`], with `replace` made in the shipped
    /// configuration first (each `(from, to)` must be found).
    pub async fn spawn_faketime_with(
        dir: &std::path::Path,
        faketime: &str,
        replace: &[(&str, &str)],
    ) -> ServerProcess {
        let config = shipped_config_in(dir);
        let mut text = std::fs::read_to_string(&config).unwrap();
        for (from, to) in replace {
            assert!(
                text.contains(from),
                "{from:?} not in the shipped configuration"
            );
            text = text.replace(from, to);
        }
        std::fs::write(&config, text).unwrap();
        Self::launch_as(dir, &[], false, None, "info", Some(faketime)).await
    }

    async fn launch(
        dir: &std::path::Path,
        extra: &[&str],
        tls: bool,
        max_open_files: Option<u32>,
        rust_log: &str,
    ) -> ServerProcess {
        Self::launch_as(dir, extra, tls, max_open_files, rust_log, None).await
    }

    async fn launch_as(
        dir: &std::path::Path,
        extra: &[&str],
        tls: bool,
        max_open_files: Option<u32>,
        rust_log: &str,
        faketime: Option<&str>,
    ) -> ServerProcess {
        let binary = env!("CARGO_BIN_EXE_classcord");
        let config_path = dir.join("classcord.toml");
        if !config_path.exists() || faketime.is_none() {
            shipped_config_in(dir);
        }
        let config = config_path.to_str().unwrap();
        let mut args = vec!["serve", "--config", config, "--plain-listen", "127.0.0.1:0"];
        args.extend(if tls {
            ["--tls-listen", "127.0.0.1:0"].as_slice()
        } else {
            ["--no-tls"].as_slice()
        });
        args.extend(extra);
        let mut command = match (max_open_files, faketime) {
            (None, Some(offset)) => {
                // The library itself, not the `faketime` wrapper: signals must reach the
                // server, not a parent waiting for it.
                let mut faked = std::process::Command::new(binary);
                faked
                    .env("LD_PRELOAD", libfaketime())
                    .env("FAKETIME", offset)
                    .env("DONT_FAKE_MONOTONIC", "1")
                    .env("TZ", "UTC");
                faked
            }
            (None, None) => std::process::Command::new(binary),
            (Some(limit), _) => {
                let mut shell = std::process::Command::new("bash");
                shell.args([
                    "-c",
                    &format!("ulimit -n {limit} && exec \"$0\" \"$@\""),
                    binary,
                ]);
                shell
            }
        };
        let stderr_path = dir.join("stderr.log");
        let mut child = command
            .args(&args)
            .current_dir(dir)
            .env("RUST_LOG", rust_log)
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .expect("binary starts");
        let deadline = tokio::time::Instant::now() + WAIT;
        let (port, tls_port) = loop {
            let text = std::fs::read_to_string(&stderr_path).unwrap();
            let tls_port = logged_port(&text, "tls");
            if let Some(port) = logged_port(&text, "plain") {
                if !tls || tls_port.is_some() {
                    break (port, tls_port);
                }
            }
            assert!(child.try_wait().unwrap().is_none(), "server exited: {text}");
            assert!(tokio::time::Instant::now() < deadline, "no port in: {text}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        ServerProcess {
            child,
            port,
            tls_port,
            stderr_path,
        }
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap()
    }

    /// Sends a signal (`HUP`, `TERM`…) to the server.
    pub fn signal(&self, name: &str) {
        let sent = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    pub fn addr(&self) -> SocketAddr {
        ([127, 0, 0, 1], self.port).into()
    }

    /// Sends SIGTERM and asserts a clean exit; returns everything the server logged.
    pub fn terminate(mut self) -> String {
        self.signal("TERM");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "exit status {status}");
        self.log()
    }
}

/// Debian's libfaketime (package `faketime`, which `.ci/run` installs).
fn libfaketime() -> PathBuf {
    std::fs::read_dir("/usr/lib")
        .unwrap()
        .filter_map(|entry| Some(entry.ok()?.path().join("faketime/libfaketime.so.1")))
        .find(|path| path.exists())
        .expect("libfaketime.so.1 under /usr/lib/*/faketime: apt-get install faketime")
}

/// A test that fails before `terminate` must not leave its server running (it would hold the
/// test run's output open, and CI would wait for it).
impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs the `classcord` binary in `dir` with `stdin` as its input; returns its output.
pub fn run_classcord(dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_classcord"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("classcord runs");
    // A command that refuses before reading its input closes the pipe: not an error here.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

/// `newcomer` creates an account and logs in; `existing` (logged in earlier) sees it arrive
/// and talks to it: proof that an older connection still works both ways.
pub async fn older_connection_still_talks(
    existing: &mut Client,
    newcomer: &mut Client,
    name: &str,
) {
    newcomer.register(name, "pw").await;
    newcomer.login(name, "pw").await;
    assert_eq!(
        existing.recv().await,
        serde_json::json!({"type":"status","user":name,"state":"online"})
    );
    existing
        .send(serde_json::json!({"type":"message","content":"toujours là"}))
        .await;
    assert_eq!(newcomer.recv().await["content"], "toujours là");
}

/// Stops tokio's paused clock from jumping ahead by itself while the test waits for a socket
/// (a running blocking task inhibits auto-advance): time moves only when the test says so.
/// Waits for lines are then unbounded in paused time, so a watchdog thread fails the test
/// after a minute of real time instead of letting it hang.
pub struct ManualClock {
    _release: std::sync::mpsc::Sender<()>,
    _watchdog: std::sync::mpsc::Sender<()>,
}

impl ManualClock {
    pub fn hold() -> ManualClock {
        let (release, held) = std::sync::mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = held.recv();
        });
        let (watchdog, finished) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                finished.recv_timeout(Duration::from_secs(60))
            {
                eprintln!("test still waiting after 60 s of real time: aborting");
                std::process::exit(101);
            }
        });
        ManualClock {
            _release: release,
            _watchdog: watchdog,
        }
    }

    /// Moves time forward in steps, letting the server's timers fire at each one.
    pub async fn pass(&self, total: Duration) {
        let mut passed = Duration::ZERO;
        while passed < total {
            let step = (total - passed).min(Duration::from_secs(10));
            tokio::time::advance(step).await;
            for _ in 0..4 {
                tokio::task::yield_now().await;
            }
            passed += step;
        }
    }
}

/// Writes a stunnel configuration and starts it in the foreground.
pub fn start_stunnel(dir: &std::path::Path, name: &str, service: &str) -> std::process::Child {
    let path = dir.join(format!("{name}.conf"));
    std::fs::write(
        &path,
        format!("foreground = yes\npid =\ndebug = 4\n[{name}]\n{service}"),
    )
    .unwrap();
    std::process::Command::new("stunnel")
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("stunnel is installed (apt-get install stunnel4)")
}

pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Asserts a timestamp has the fixed-width form `2026-11-21T13:08:33.120Z`.
pub fn assert_fixed_width_timestamp(text: &str) {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 24
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            19 => *b == b'.',
            23 => *b == b'Z',
            _ => b.is_ascii_digit(),
        });
    assert!(
        shape_ok,
        "timestamp {text:?} is not YYYY-MM-DDTHH:MM:SS.mmmZ"
    );
}

/// The shipped configuration, copied into `dir` with `state_dir = "."`, so that the server and
/// the CLI keep every file in `dir`. Returns the copy's path.
pub fn shipped_config_in(dir: &std::path::Path) -> PathBuf {
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/classcord.toml"
    ))
    .unwrap();
    assert!(shipped.contains("\nstate_dir = \"..\"\n"));
    let copy = dir.join("classcord.toml");
    std::fs::write(
        &copy,
        shipped.replace("\nstate_dir = \"..\"\n", "\nstate_dir = \".\"\n"),
    )
    .unwrap();
    copy
}

/// Starts stunnel with the service `service(port)` gives for a free local port, and waits
/// until it listens; stunnel stops when the guard is dropped.
pub async fn stunnel_on_free_port(
    dir: &std::path::Path,
    name: &str,
    service: impl FnOnce(u16) -> String,
) -> (KillOnDrop, u16) {
    let port = free_port();
    let stunnel = KillOnDrop(start_stunnel(dir, name, &service(port)));
    wait_for_port(port).await;
    (stunnel, port)
}

impl TestServer {
    /// One request on the admin socket, from the test's own runtime (works on the paused
    /// clock, where running `classcord admin` would block the only thread).
    pub async fn admin_request(&self, request: Value) -> Value {
        let stream = tokio::net::UnixStream::connect(self.path("admin.sock"))
            .await
            .expect("admin socket");
        let mut client = Client::over(stream);
        client.send(request).await;
        let line = client.recv_raw().await;
        serde_json::from_slice(&line).expect("admin answers JSON")
    }

    /// Gives an account a role through the admin socket (live, as `classcord user role`).
    pub async fn set_role(&self, user: &str, role: &str) {
        let answer = self
            .admin_request(json!({"command": "user-role", "user": user, "role": role}))
            .await;
        assert_eq!(answer["answer"], "done", "{answer}");
    }

    /// A connected account with a role.
    pub async fn user_with_role(&self, name: &str, role: &str) -> Client {
        let mut client = self.client().await;
        client.register(name, "secret").await;
        self.set_role(name, role).await;
        client.login(name, "secret").await;
        client
    }
}

impl Client {
    /// Reads until the server says something to this client (a message from `Serveur`, as
    /// legacy clients get it), returning its text; other lines are skipped.
    pub async fn said(&mut self) -> String {
        loop {
            let line = self.recv().await;
            if line["type"] == "message" && line["from"] == "Serveur" {
                return line["content"].as_str().unwrap().to_owned();
            }
        }
    }

    /// Sends a global message as a legacy client does.
    pub async fn say(&mut self, content: &str) {
        self.send(json!({"type": "message", "subtype": "global", "content": content}))
            .await;
    }
}

/// The first column of every row `sql` reads in the database of the state directory `dir`
/// (what is really stored, read by a second SQLite connection).
pub fn stored_texts(dir: &std::path::Path, sql: &str) -> Vec<String> {
    let db = rusqlite::Connection::open(dir.join("data/classcord.db")).unwrap();
    let mut rows = db.prepare(sql).unwrap();
    rows.query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}
