//! The image built from the Dockerfile, unchanged, and run for real in a Docker engine: the
//! base images made locally when no registry answers (`tests/container/base-images.sh`), the
//! build (with this machine's extra CA for a TLS-inspecting proxy), logins over the published
//! plain and TLS ports, the web page, the health check, the user it runs as, data kept across
//! `docker rm` on the same volumes, a clean stop, a clear error on a folder it cannot write,
//! and `docker-compose up -d classcord` with the local image alone.
//!
//! Without an engine the test says why and is skipped; `.ci/run` starts `dockerd` and sets
//! `CLASSCORD_REQUIRE_DOCKER=1`, under which a missing engine fails the test instead.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::Client;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const CONFIG: &str = "/etc/classcord/classcord.toml";

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .current_dir(ROOT)
        // The builder Debian 12's docker.io and docker-compose 1.29 use.
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("docker runs")
}

/// A docker command that must succeed: its standard output.
fn docker_ok(args: &[&str]) -> String {
    let output = docker(args);
    assert!(
        output.status.success(),
        "docker {args:?}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Why no engine answers, if none does.
fn engine_missing() -> Option<String> {
    match Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
    {
        Err(error) => Some(format!("no docker command: {error}")),
        Ok(output) if !output.status.success() => {
            Some(String::from_utf8_lossy(&output.stderr).trim().to_owned())
        }
        Ok(_) => None,
    }
}

/// The containers and volumes of this run, removed however the test ends.
struct Cleanup {
    containers: Vec<String>,
    volumes: Vec<String>,
    images: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for container in &self.containers {
            let _ = docker(&["rm", "-f", container]);
        }
        for volume in &self.volumes {
            let _ = docker(&["volume", "rm", "-f", volume]);
        }
        for image in &self.images {
            let _ = docker(&["rmi", image]);
        }
    }
}

/// The PEM certificates this machine trusts that the build image's Debian bundle does not:
/// a TLS-inspecting proxy's CA, what a school behind one passes as `EXTRA_CA_CERT`.
fn extra_ca(rust_image: &str) -> String {
    let blocks = |pem: &str| -> Vec<String> {
        pem.split("-----BEGIN CERTIFICATE-----")
            .skip(1)
            .filter_map(|rest| rest.split_once("-----END CERTIFICATE-----"))
            .map(|(body, _)| format!("-----BEGIN CERTIFICATE-----{body}-----END CERTIFICATE-----"))
            .collect()
    };
    let host = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").unwrap_or_default();
    let image = docker_ok(&[
        "run",
        "--rm",
        rust_image,
        "cat",
        "/etc/ssl/certs/ca-certificates.crt",
    ]);
    let known = blocks(&image);
    blocks(&host)
        .into_iter()
        .filter(|block| !known.contains(block))
        .collect::<Vec<_>>()
        .join("\n")
}

fn from_line(prefix: &str) -> String {
    let dockerfile = std::fs::read_to_string(format!("{ROOT}/Dockerfile")).unwrap();
    dockerfile
        .lines()
        .find_map(|line| line.strip_prefix("FROM ").filter(|l| l.starts_with(prefix)))
        .map(|line| line.split(' ').next().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no FROM {prefix}… in the Dockerfile"))
}

/// Where a container's port is published on the host.
fn published(container: &str, port: u16) -> SocketAddr {
    let text = docker_ok(&["port", container, &format!("{port}/tcp")]);
    text.lines()
        .find_map(|line| line.parse().ok())
        .unwrap_or_else(|| panic!("port {port} of {container}: {text}"))
}

/// Waits for the server behind a published port to answer a line (docker's proxy accepts
/// before the server inside listens).
async fn answering(addr: SocketAddr) -> Client {
    for _ in 0..300 {
        if let Ok(stream) = tokio::net::TcpStream::connect(addr).await {
            let mut client = Client::over(stream);
            client
                .send(json!({"type": "hello", "version": 2, "presence": false}))
                .await;
            if let Some(reply) = client.recv_within(Duration::from_secs(2)).await {
                assert_eq!(reply["type"], "hello", "{reply}");
                return client;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("nothing answers on {addr}");
}

async fn health(container: &str) -> String {
    for _ in 0..120 {
        let status = docker_ok(&["inspect", "--format", "{{.State.Health.Status}}", container]);
        if status == "healthy" {
            return status;
        }
        assert_ne!(status, "unhealthy", "{}", logs(container));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("{container} never healthy: {}", logs(container));
}

fn logs(container: &str) -> String {
    let output = docker(&["logs", container]);
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `docker run -d` of the image on the run's volumes, every port published on loopback
/// (health checked every 2 s instead of 30 so the test does not wait).
fn start(image: &str, name: &str, volumes: &[(String, &str)]) {
    let mut args = vec!["run", "-d", "--name", name, "--health-interval", "2s"];
    let mounts: Vec<String> = volumes
        .iter()
        .map(|(volume, dir)| format!("{volume}:{dir}"))
        .collect();
    for mount in &mounts {
        args.extend(["-v", mount]);
    }
    for port in ["127.0.0.1::12345", "127.0.0.1::12346", "127.0.0.1::8080"] {
        args.extend(["-p", port]);
    }
    args.push(image);
    docker_ok(&args);
}

async fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the page comes")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_builds_runs_keeps_its_data_and_stops_cleanly() {
    if let Some(why) = engine_missing() {
        assert!(
            std::env::var_os("CLASSCORD_REQUIRE_DOCKER").is_none(),
            "CLASSCORD_REQUIRE_DOCKER is set but no Docker engine answers: {why}"
        );
        println!("SKIPPED: no Docker engine answers ({why}); .ci/run starts one");
        return;
    }
    let run = std::process::id();
    let (debian, rust) = (from_line("debian:"), from_line("rust:"));
    let cache = format!("{}/container-cache", env!("CARGO_TARGET_TMPDIR"));
    let made = Command::new("bash")
        .args([&format!("{ROOT}/tests/container/base-images.sh"), &cache])
        .output()
        .unwrap();
    assert!(made.status.success(), "base images: {made:?}");
    assert!(docker(&["image", "inspect", &debian]).status.success());

    // The Dockerfile, unchanged, with this machine's proxy CA if it has one.
    let image = format!("classcord:test-{run}");
    let ca = extra_ca(&rust);
    docker_ok(&[
        "build",
        "--build-arg",
        &format!("EXTRA_CA_CERT={ca}"),
        "--build-arg",
        "CLASSCORD_COMMIT=containertest",
        "-t",
        &image,
        ".",
    ]);
    // The proxy's CA stays in the build stage.
    let final_bundle = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "cat",
        &image,
        "/etc/ssl/certs/ca-certificates.crt",
    ]);
    if !ca.is_empty() {
        let text = String::from_utf8_lossy(&final_bundle.stdout);
        assert!(
            !text.contains(ca.lines().nth(1).unwrap()),
            "the extra CA is in the image"
        );
    }

    let volumes: Vec<(String, &str)> = ["data", "certs", "logs"]
        .into_iter()
        .map(|part| {
            (
                format!("classcord-test-{run}-{part}"),
                match part {
                    "data" => "/var/lib/classcord/data",
                    "certs" => "/var/lib/classcord/certs",
                    _ => "/var/lib/classcord/logs",
                },
            )
        })
        .collect();
    let (first, second) = (
        format!("classcord-test-{run}-a"),
        format!("classcord-test-{run}-b"),
    );
    let _cleanup = Cleanup {
        containers: vec![first.clone(), second.clone()],
        volumes: volumes.iter().map(|(v, _)| v.clone()).collect(),
        // The run's tag; classcord:latest (for compose) and the layers stay cached.
        images: vec![image.clone()],
    };

    start(&image, &first, &volumes);
    let plain = published(&first, 12345);
    let mut alice = answering(plain).await;
    alice.register("alice", "motdepasse").await;
    alice.login("alice", "motdepasse").await;
    alice.say("conservé après docker rm").await;
    alice.sync().await;
    drop(alice);

    // TLS with the CA the container made at its first start.
    let dir = tempfile::tempdir().unwrap();
    docker_ok(&[
        "cp",
        &format!("{first}:/var/lib/classcord/certs/ca.crt"),
        dir.path().to_str().unwrap(),
    ]);
    let ca_file = dir.path().join("ca.crt");
    let tls = published(&first, 12346);
    let stream = common::tls_connect(tls, &ca_file, "localhost")
        .await
        .expect("TLS with the container's CA");
    let mut over_tls = Client::over(stream);
    over_tls.login("alice", "motdepasse").await;
    drop(over_tls);

    // The certificate names no container-local name or address (its random host name, its
    // address on Docker's bridge): nobody reaches the container by them.
    let hostname = docker_ok(&["inspect", "--format", "{{.Config.Hostname}}", &first]);
    let bridge = docker_ok(&[
        "inspect",
        "--format",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        &first,
    ]);
    // check-config beside it (its ports are taken by the running one), on the same volumes.
    let mut check = vec!["run".to_owned(), "--rm".to_owned()];
    for (volume, dir) in &volumes {
        check.extend(["-v".to_owned(), format!("{volume}:{dir}")]);
    }
    check.extend([
        image.clone(),
        "check-config".into(),
        "--config".into(),
        CONFIG.into(),
    ]);
    let check: Vec<&str> = check.iter().map(String::as_str).collect();
    let checked = docker_ok(&check);
    assert!(checked.contains("configuration ok"), "{checked}");
    assert!(!checked.contains("does not cover"), "{checked}");
    docker_ok(&[
        "cp",
        &format!("{first}:/var/lib/classcord/certs/server.crt"),
        dir.path().to_str().unwrap(),
    ]);
    let text = Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectAltName", "-in"])
        .arg(dir.path().join("server.crt"))
        .output()
        .unwrap();
    let sans = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(sans.contains("DNS:localhost"), "{sans}");
    assert!(!sans.contains(&hostname), "{sans}");
    assert!(bridge.is_empty() || !sans.contains(&bridge), "{sans}");

    // The web page, through the published port.
    let page = http_get(published(&first, 8080), "/").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("<title>ClassCord</title>"), "{page}");

    assert_eq!(health(&first).await, "healthy");
    let status = docker_ok(&["exec", &first, "cat", "/proc/1/status"]);
    assert!(
        status.contains("\nUid:\t10001\t10001\t10001\t10001\n"),
        "{status}"
    );
    assert!(
        status.contains("\nGid:\t10001\t10001\t10001\t10001\n"),
        "{status}"
    );

    rotate_logs(&first, &volumes[2].0, plain).await;

    // A clean stop: SIGTERM, exit 0.
    docker_ok(&["stop", &first]);
    let code = docker_ok(&["inspect", "--format", "{{.State.ExitCode}}", &first]);
    assert_eq!(code, "0", "{}", logs(&first));
    docker_ok(&["rm", &first]);

    // A new container on the same volumes: the account and the message are there.
    start(&image, &second, &volumes);
    let mut back = answering(published(&second, 12345)).await;
    back.login("alice", "motdepasse").await;
    back.send(json!({"type": "history", "limit": 10})).await;
    let history = back.recv_type("history").await;
    assert!(
        history["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["content"] == "conservé après docker rm"),
        "{history}"
    );
    drop(back);
    docker_ok(&["stop", &second]);

    unwritable_folder_is_named(&image, run);
    compose_starts_classcord_alone(&image).await;
}

/// A failed login, and the moment its line is in `auth.log` on the host's side of the volume.
async fn failed_login_logged(plain: SocketAddr, name: &str, auth_log: &Path) {
    let mut client = answering(plain).await;
    assert_eq!(client.try_login(name, "x").await["code"], "login_failed");
    for _ in 0..200 {
        if std::fs::read_to_string(auth_log)
            .unwrap_or_default()
            .contains(name)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name} never reached {}", auth_log.display());
}

/// deploy/logrotate-docker.conf, run by the host's logrotate on the volume's files (owned by
/// UID 10001), pointed only at this run's volume and container: the server reopens its
/// files and the next line goes to a new file, still the container user's.
async fn rotate_logs(container: &str, volume: &str, plain: SocketAddr) {
    use std::os::unix::fs::MetadataExt;
    let mountpoint = docker_ok(&["volume", "inspect", "--format", "{{.Mountpoint}}", volume]);
    let folder = Path::new(&mountpoint);
    let auth = folder.join("auth.log");
    failed_login_logged(plain, "before_rotation", &auth).await;
    let shipped = std::fs::read_to_string(format!("{ROOT}/deploy/logrotate-docker.conf")).unwrap();
    let rules = shipped
        .replace(
            "/var/lib/docker/volumes/classcord_classcord-logs/_data",
            &mountpoint,
        )
        .replace(
            "docker kill --signal=USR1 classcord ",
            &format!("docker kill --signal=USR1 {container} "),
        );
    assert!(
        rules.contains(&mountpoint) && rules.contains(container),
        "{rules}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.conf"), rules).unwrap();
    let rotated = Command::new("logrotate")
        .arg("-f")
        .arg("-s")
        .arg(dir.path().join("state"))
        .arg(dir.path().join("rules.conf"))
        .output()
        .expect("logrotate is installed (apt-get install logrotate)");
    assert!(rotated.status.success(), "{rotated:?}");
    assert!(rotated.stderr.is_empty(), "{rotated:?}");
    for _ in 0..200 {
        if logs(container).matches("log file reopened").count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        logs(container).contains("log file reopened"),
        "{}",
        logs(container)
    );
    failed_login_logged(plain, "after_rotation", &auth).await;
    let old = std::fs::read_to_string(folder.join("auth.log.1")).unwrap();
    assert!(
        old.contains("before_rotation") && !old.contains("after_rotation"),
        "{old}"
    );
    let new = std::fs::metadata(&auth).unwrap();
    assert_eq!(
        (new.uid(), new.gid(), new.mode() & 0o777),
        (10001, 10001, 0o640)
    );
}

/// A data folder the container's user cannot write (a bind mount owned by root): the server
/// stops at once and says which user it runs as.
fn unwritable_folder_is_named(image: &str, run: u32) {
    let dir = tempfile::tempdir().unwrap();
    let mount = format!("{}:/var/lib/classcord/data", dir.path().display());
    let name = format!("classcord-test-{run}-unwritable");
    let _cleanup = Cleanup {
        containers: vec![name.clone()],
        volumes: Vec::new(),
        images: Vec::new(),
    };
    let output = docker(&["run", "--name", &name, "-v", &mount, image]);
    assert!(!output.status.success(), "{output:?}");
    let said = logs(&name);
    assert!(said.contains("10001"), "{said}");
    assert!(said.contains("/var/lib/classcord/data"), "{said}");
}

/// `docker-compose up -d classcord` (Debian 12's docker-compose 1.29) with the image already
/// built: only ClassCord starts (Prometheus and Grafana are a profile) and it answers.
async fn compose_starts_classcord_alone(image: &str) {
    if Command::new("docker-compose")
        .arg("version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CLASSCORD_REQUIRE_DOCKER").is_none(),
            "docker-compose is not installed"
        );
        println!("SKIPPED: docker-compose is not installed");
        return;
    }
    docker_ok(&["tag", image, "classcord:latest"]);
    let project = format!("classcordtest{}", std::process::id());
    let compose = |args: &[&str]| -> Output {
        Command::new("docker-compose")
            .args(["-p", &project])
            .args(args)
            .current_dir(ROOT)
            .output()
            .unwrap()
    };
    let _ = docker(&["rm", "-f", "classcord"]);
    let up = compose(&["up", "-d", "classcord"]);
    let down = || compose(&["down", "-v"]);
    if !up.status.success() {
        down();
        panic!("docker-compose up: {up:?}");
    }
    let services = compose(&["ps", "--services", "--filter", "status=running"]);
    let running = String::from_utf8_lossy(&services.stdout).into_owned();
    let mut client = answering("127.0.0.1:12345".parse().unwrap()).await;
    client.register("bob", "motdepasse").await;
    drop(client);
    let gone = down();
    assert_eq!(running.trim(), "classcord", "{services:?}");
    assert!(gone.status.success(), "{gone:?}");
}
