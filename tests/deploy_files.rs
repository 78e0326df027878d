//! The deployment files an admin installs, checked with the real tools: the systemd unit's
//! exposure score, and what it runs on reload.

use std::process::Command;

const UNIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/classcord.service");

#[test]
fn the_systemd_unit_is_hardened_to_an_exposure_of_at_most_2() {
    let output = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", UNIT])
        .output()
        .expect("systemd-analyze is installed (apt-get install systemd)");
    let report = String::from_utf8_lossy(&output.stdout);
    let score: f64 = report
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for classcord.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{report}"));
    assert!(score <= 2.0, "exposure {score}:\n{report}");
}

#[test]
fn the_unit_reloads_through_the_admin_socket_and_may_list_addresses() {
    let unit = std::fs::read_to_string(UNIT).unwrap();
    let setting = |key: &str| {
        unit.lines()
            .filter(|l| l.starts_with(&format!("{key}=")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // `classcord admin reload-tls` exits non-zero when the new certificate is refused, so
    // `systemctl reload` fails loudly instead of reporting a success.
    assert!(setting("ExecReload")
        .contains("classcord admin --config /etc/classcord/classcord.toml reload-tls"));
    // Netlink lists the machine's addresses for the certificate generated at first start.
    assert!(setting("RestrictAddressFamilies").contains("AF_NETLINK"));
    for directory in ["StateDirectory", "LogsDirectory", "ConfigurationDirectory"] {
        assert_eq!(setting(directory), format!("{directory}=classcord"));
    }
}

#[test]
fn the_readme_install_steps_give_a_configuration_that_matches_the_unit_fail2ban_and_logrotate() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let start = readme
        .find("sed -e 's|^state_dir")
        .expect("install step in README");
    let end = readme[start..]
        .find("> /etc/classcord/classcord.toml")
        .expect("the sed step writes /etc/classcord/classcord.toml")
        + start;
    let dir = tempfile::tempdir().unwrap();
    let installed = dir.path().join("classcord.toml");
    let command = format!(
        "{} > '{}'",
        readme[start..end].replace("\\\n", " "),
        installed.display()
    );
    let ran = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .current_dir(root)
        .status()
        .unwrap();
    assert!(ran.success(), "{command}");
    let config = classcord::config::Config::load(&installed).unwrap();
    assert_eq!(
        config.server.state_dir,
        std::path::Path::new("/var/lib/classcord")
    );
    assert_eq!(
        config.storage.database,
        std::path::Path::new("/var/lib/classcord/data/classcord.db")
    );
    let auth = config.logging.auth_file.display().to_string();
    assert_eq!(auth, "/var/log/classcord/auth.log");
    let jail =
        std::fs::read_to_string(format!("{root}/security/fail2ban/jail.d/classcord.conf")).unwrap();
    assert!(jail.contains(&format!("logpath  = {auth}")), "{jail}");
    let logrotate = std::fs::read_to_string(format!("{root}/deploy/logrotate.conf")).unwrap();
    assert!(
        logrotate.contains("/var/log/classcord/*.log {"),
        "{logrotate}"
    );
    let unit = std::fs::read_to_string(UNIT).unwrap();
    assert!(unit.contains("--config /etc/classcord/classcord.toml"));

    // check-config runs before the unit's first start has made its folders: the README makes
    // them first, and everything the server writes is inside them.
    let made = readme
        .find("install -d -o classcord -g classcord -m 0750 /var/lib/classcord /var/log/classcord")
        .expect("the README makes the state and log folders");
    let checked = readme
        .find("runuser -u classcord -- classcord check-config")
        .unwrap();
    assert!(made < checked, "check-config runs before the folders exist");
    for file in [
        &config.storage.database,
        &config.logging.audit_file,
        &config.logging.auth_file,
        &config.admin.socket,
        &config.tls.cert,
    ] {
        assert!(
            file.starts_with("/var/lib/classcord") || file.starts_with("/var/log/classcord"),
            "{}",
            file.display()
        );
    }
}

/// The unit's `Documentation=` names files the README's install puts there, and the stunnel
/// service the client configuration names is the one Debian's stunnel4 package ships
/// (`stunnel@.service`; there is no `stunnel4` service on Debian 12).
#[test]
fn the_units_documentation_is_installed_and_the_stunnel_service_exists_on_debian() {
    let root = env!("CARGO_MANIFEST_DIR");
    let unit = std::fs::read_to_string(UNIT).unwrap();
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let documents: Vec<&str> = unit
        .lines()
        .filter_map(|line| line.strip_prefix("Documentation="))
        .flat_map(str::split_whitespace)
        .filter_map(|url| url.strip_prefix("file://"))
        .collect();
    assert!(!documents.is_empty(), "{unit}");
    for document in documents {
        let path = std::path::Path::new(document);
        let (folder, file) = (
            path.parent().unwrap().to_str().unwrap(),
            path.file_name().unwrap().to_str().unwrap(),
        );
        assert!(
            readme.lines().any(|line| line.starts_with("install ")
                && line.contains(&format!("-t {folder} "))
                && line.split_whitespace().any(|word| word == file)),
            "no README install step puts {document} in place"
        );
    }

    let client = std::fs::read_to_string(format!("{root}/deploy/stunnel-client.conf")).unwrap();
    assert!(
        client.contains("systemctl enable --now stunnel@classcord"),
        "{client}"
    );
    assert!(!client.contains("stunnel4 restart") && !client.contains("enable stunnel4"));
    let listed = Command::new("dpkg")
        .args(["-L", "stunnel4"])
        .output()
        .expect("dpkg runs (Debian)");
    assert!(listed.status.success(), "stunnel4 is installed (.ci/run)");
    assert!(
        String::from_utf8_lossy(&listed.stdout)
            .lines()
            .any(|file| file.ends_with("/systemd/system/stunnel@.service")),
        "Debian's stunnel4 ships no stunnel@.service"
    );
}
