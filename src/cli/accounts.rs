//! `classcord user`, `import-legacy`, `backup` and `export`. Account changes go through the
//! admin socket when a server runs on the database (so its live name registry changes at
//! the same moment, and a ban disconnects), and write the file directly when none does.

use std::path::Path;

use anyhow::Context as _;

use super::{DatabaseArgs, UserAction};
use crate::admin::client::{running_server, AdminClient};
use crate::admin::offline::{read_legacy_users, Admin, AdminError, Create};
use crate::admin::protocol::{Request, Response};
use crate::config::Config;
use crate::logging::{Audit, AuditEvent, LineFile};
use crate::password::password_error;
use crate::store::{AccountMessages, PersonExport, UserChange};
use crate::texts::admin_texts;

/// Where account changes are written.
pub(super) enum Accounts {
    /// Through a running server.
    Live(AdminClient),
    /// Directly in the database file: no server runs on it. Changes are audited here.
    Offline { admin: Admin, audit: Audit },
}

/// What became of an account to create (on import, a refusal is reported, not fatal).
enum AddOutcome {
    Created,
    /// The name already has an account (left unchanged).
    Exists,
    Refused(String),
}

impl Accounts {
    pub(super) fn open(config: &Config, create: Create) -> anyhow::Result<Accounts> {
        let database = &config.storage.database;
        Ok(match running_server(&config.admin.socket, database)? {
            Some(client) => Accounts::Live(client),
            None => {
                let audit_file = &config.logging.audit_file;
                let audit = if audit_file.as_os_str().is_empty() {
                    Audit::new(None)
                } else {
                    Audit::new(Some(LineFile::open(audit_file)?))
                };
                Accounts::Offline {
                    admin: Admin::open(database, create)?,
                    audit,
                }
            }
        })
    }

    /// Records a change made directly in the database file (a running server audits its own).
    pub(super) fn audit_offline(audit: &Audit, request: &Request) {
        let mut event = AuditEvent::admin(request.action()).with("via", "database file");
        if let Some(user) = request.user() {
            event = event.with("user", user);
        }
        audit.record(event);
        audit.flush();
    }

    fn add(&mut self, config: &Config, name: &str, password: &str) -> anyhow::Result<AddOutcome> {
        let limits = &config.limits;
        if let Some(reason) = password_error(
            password,
            limits.min_password_chars,
            limits.max_password_bytes,
        ) {
            return Ok(AddOutcome::Refused(admin_texts().password_problem(reason)));
        }
        let password_hash = crate::password::hash_now(password)?;
        match self {
            Accounts::Live(client) => match client.request(&Request::UserAdd {
                user: name.to_owned(),
                password_hash,
            }) {
                Ok(Response::Taken { .. }) => Ok(AddOutcome::Exists),
                Ok(_) => Ok(AddOutcome::Created),
                Err(error) => Ok(AddOutcome::Refused(error.to_string())),
            },
            Accounts::Offline { admin, audit } => match admin.add_user(
                name,
                &password_hash,
                limits.max_username_chars,
                &config.server.notice_sender,
            ) {
                Ok(()) => {
                    let request = Request::UserAdd {
                        user: name.to_owned(),
                        password_hash,
                    };
                    Self::audit_offline(audit, &request);
                    Ok(AddOutcome::Created)
                }
                Err(AdminError::Exists(_)) => Ok(AddOutcome::Exists),
                Err(error @ AdminError::Username(_)) => Ok(AddOutcome::Refused(error.to_string())),
                Err(error) => Err(error.into()),
            },
        }
    }

    /// Everything stored about a person (an access request), audited.
    fn person(&mut self, name: &str) -> anyhow::Result<PersonExport> {
        let request = Request::UserExport {
            user: name.to_owned(),
        };
        match self {
            Accounts::Live(client) => match client.request(&request)? {
                Response::Export { export } => Ok(*export),
                other => anyhow::bail!("unexpected answer from the server: {other:?}"),
            },
            Accounts::Offline { admin, audit } => {
                let export = admin.person(name)?;
                Self::audit_offline(audit, &request);
                Ok(export)
            }
        }
    }

    fn change(&mut self, name: &str, change: UserChange) -> anyhow::Result<()> {
        let user = name.to_owned();
        let request = match change.clone() {
            UserChange::Delete(messages) => Request::UserDelete { user, messages },
            UserChange::Role(role) => Request::UserRole { user, role },
            UserChange::Banned(true) => Request::Ban { user, reason: None },
            UserChange::Banned(false) => Request::Unban { user },
            UserChange::Password(password_hash) => Request::UserPasswd {
                user,
                password_hash,
            },
        };
        match self {
            Accounts::Live(client) => {
                client.request(&request)?;
            }
            Accounts::Offline { admin, audit } => {
                admin.change_user(name, &change)?;
                Self::audit_offline(audit, &request);
            }
        }
        Ok(())
    }
}

pub(super) fn user(args: &DatabaseArgs, action: UserAction) -> anyhow::Result<()> {
    let config = args.load_config()?;
    if let UserAction::List = action {
        return list(&Admin::open(&config.storage.database, Create::Never)?);
    }
    let create = match action {
        UserAction::Add { .. } => Create::IfMissing,
        _ => Create::Never,
    };
    let mut accounts = Accounts::open(&config, create)?;
    match action {
        UserAction::Add { name } => match accounts.add(&config, &name, &read_password()?)? {
            AddOutcome::Created => println!("user {name:?} created"),
            AddOutcome::Exists => anyhow::bail!("user {name:?} already exists"),
            AddOutcome::Refused(reason) => anyhow::bail!("{reason}"),
        },
        UserAction::Passwd { name } => {
            let password = read_password()?;
            let limits = &config.limits;
            if let Some(reason) = password_error(
                &password,
                limits.min_password_chars,
                limits.max_password_bytes,
            ) {
                anyhow::bail!("{}", admin_texts().password_problem(reason));
            }
            let hash = crate::password::hash_now(&password)?;
            accounts.change(&name, UserChange::Password(hash))?;
            println!("password of {name:?} changed");
        }
        UserAction::Delete { name, erase } => {
            let messages = if erase {
                AccountMessages::Erase
            } else {
                AccountMessages::Keep
            };
            accounts.change(&name, UserChange::Delete(messages))?;
            match messages {
                AccountMessages::Erase => {
                    println!("user {name:?} deleted, with their messages and reports")
                }
                AccountMessages::Keep => println!("user {name:?} deleted"),
            }
        }
        UserAction::Export { name, output } => {
            // The file first: a path that cannot be written asks the server nothing.
            let file = create_private_file(&output)?;
            let export = match accounts.person(&name) {
                Ok(export) => export,
                Err(error) => {
                    let _ = std::fs::remove_file(&output);
                    return Err(error);
                }
            };
            serde_json::to_writer_pretty(std::io::BufWriter::new(file), &export)?;
            println!(
                "{} messages sent and {} received by {:?} written to {}",
                export.messages_sent.len(),
                export.private_messages_received.len(),
                export.name,
                output.display()
            );
        }
        UserAction::Ban { name } => {
            accounts.change(&name, UserChange::Banned(true))?;
            println!("user {name:?} banned");
        }
        UserAction::Unban { name } => {
            accounts.change(&name, UserChange::Banned(false))?;
            println!("user {name:?} unbanned");
        }
        UserAction::Role { name, role } => {
            accounts.change(&name, UserChange::Role(role.into()))?;
            println!(
                "user {name:?} is now {}",
                classcord_protocol::Role::from(role).as_str()
            );
        }
        UserAction::List => unreachable!("answered above"),
        UserAction::Import(_) => unreachable!("cli::roster imports class lists"),
    }
    Ok(())
}

fn list(admin: &Admin) -> anyhow::Result<()> {
    println!(
        "{:<32} {:<7} {:<24} last login",
        "name", "banned", "created"
    );
    for user in admin.users()? {
        let last = user
            .last_login_at_ms
            .map(crate::time_format::rfc3339_ms)
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<32} {:<7} {:<24} {}",
            user.username,
            if user.banned { "yes" } else { "no" },
            crate::time_format::rfc3339_ms(user.created_at_ms),
            last
        );
    }
    Ok(())
}

pub(super) fn import_legacy(args: &DatabaseArgs, file: &Path) -> anyhow::Result<()> {
    let config = args.load_config()?;
    let pickle = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let entries = read_legacy_users(&pickle)?;
    let mut accounts = Accounts::open(&config, Create::IfMissing)?;
    let (mut imported, mut existing, mut refused) = (0, Vec::new(), Vec::new());
    for entry in entries {
        match entry {
            Ok((name, password)) => match accounts.add(&config, &name, &password)? {
                AddOutcome::Created => imported += 1,
                AddOutcome::Exists => existing.push(name),
                AddOutcome::Refused(reason) => refused.push((name, reason)),
            },
            Err(unreadable) => refused.push(unreadable),
        }
    }
    println!("{imported} account(s) imported");
    if !existing.is_empty() {
        println!(
            "{} already existed, left unchanged: {}",
            existing.len(),
            existing.join(", ")
        );
    }
    for (name, reason) in &refused {
        println!("not imported: {name:?}: {reason}");
    }
    println!(
        "{} holds plaintext passwords: delete it (and its backups) now that they are hashed.",
        file.display()
    );
    Ok(())
}

pub(super) fn backup(args: &DatabaseArgs, file: &Path) -> anyhow::Result<()> {
    let config = args.load_config()?;
    Admin::open(&config.storage.database, Create::Never)?.backup(file)?;
    println!("backup written to {}", file.display());
    Ok(())
}

pub(super) fn export(args: &DatabaseArgs, output: Option<&Path>) -> anyhow::Result<()> {
    let config = args.load_config()?;
    let admin = Admin::open(&config.storage.database, Create::Never)?;
    let count = match output {
        Some(path) => {
            let file = create_private_file(path)?;
            admin.export_messages(&mut std::io::BufWriter::new(file))?
        }
        None => admin.export_messages(&mut std::io::stdout().lock())?,
    };
    eprintln!("{count} messages exported");
    Ok(())
}

/// A new file that only its owner reads (mode 0600: pupils' messages); an existing file is
/// never overwritten.
fn create_private_file(path: &Path) -> anyhow::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => {
                AdminError::TargetExists(path.display().to_string()).into()
            }
            _ => anyhow::Error::new(error).context(format!("cannot create {}", path.display())),
        })
}

/// A new password: typed twice, hidden, at a terminal; the first line of standard input
/// otherwise (scripts).
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Password (again): ")?;
        anyhow::ensure!(first == second, "the two passwords differ: nothing changed");
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    anyhow::ensure!(!password.is_empty(), "empty password");
    Ok(password)
}
