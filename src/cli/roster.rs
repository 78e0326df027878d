//! `classcord user import`: a class list read, planned against the database, reported row
//! by row, then written all at once (through the running server, or on the file), with the
//! new accounts' first passwords in a handout file.

use anyhow::Context as _;

use super::accounts::Accounts;
use super::ImportArgs;
use crate::admin::offline::{Admin, Create};
use crate::admin::protocol::Request;
use crate::config::Config;
use crate::names::channel_name_error;
use crate::roster::{self, FirstPassword, Handout, ImportPlan, ImportRules};
use crate::store::RosterSnapshot;
use crate::texts::admin_texts;

fn rules(config: &Config, args: &ImportArgs) -> anyhow::Result<ImportRules> {
    for room in &args.room {
        if let Some(problem) = channel_name_error(room) {
            anyhow::bail!(
                "--room {room:?}: {}",
                admin_texts().refused(&crate::vocabulary::Refused::InvalidChannel(problem))
            );
        }
    }
    Ok(ImportRules {
        default_role: args.role.into(),
        extra_rooms: args.room.clone(),
        max_username_chars: config.limits.max_username_chars,
        min_password_chars: config.limits.min_password_chars,
        max_password_bytes: config.limits.max_password_bytes,
        reserved_name: config.server.notice_sender.clone(),
    })
}

/// Every row refused, every name changed by a clash, every role changed.
fn report(plan: &ImportPlan) {
    for refused in &plan.refused {
        println!("line {}: not imported: {}", refused.line, refused.problem);
    }
    for account in &plan.created {
        if let Some(wanted) = &account.wanted {
            println!(
                "line {}: {wanted:?} is taken: the account is {:?}",
                account.line, account.username
            );
        }
    }
    for (name, from, to) in &plan.role_changes {
        println!("{name:?}: role {} becomes {}", from.as_str(), to.as_str());
    }
}

fn summary(plan: &ImportPlan, verb: &str) -> String {
    let mut rooms = plan.rooms_created.clone();
    rooms.sort_unstable();
    format!(
        "{} account(s) {verb}, {} role(s) changed, {} room membership(s) added, {} account(s) already imported and unchanged{}",
        plan.created.len(),
        plan.role_changes.len(),
        plan.members_added.len(),
        plan.unchanged.len(),
        if rooms.is_empty() {
            String::new()
        } else {
            format!("; private rooms created: {}", rooms.join(", "))
        }
    )
}

pub(super) fn import(config: &Config, args: &ImportArgs) -> anyhow::Result<()> {
    let rules = rules(config, args)?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let list = roster::read_class_list(&bytes)
        .with_context(|| format!("{} is not a class list", args.file.display()))?;
    println!(
        "{}: {} row(s), {}, separated by {:?}",
        args.file.display(),
        list.rows.len() + list.refused.len(),
        list.encoding,
        list.delimiter
    );
    if args.dry_run {
        // A fresh install has no database yet: the plan is then against an empty one.
        let database = &config.storage.database;
        let snapshot = if database.exists() {
            Admin::open(database, Create::Never)?.roster_snapshot()?
        } else {
            RosterSnapshot::default()
        };
        let plan = roster::plan(list, &snapshot, &rules);
        report(&plan);
        println!("dry run: {}", summary(&plan, "would be created"));
        return refused_rows(&plan);
    }
    let mut accounts = Accounts::open(config, Create::IfMissing)?;
    let snapshot = match &accounts {
        Accounts::Offline { admin, .. } => admin.roster_snapshot()?,
        Accounts::Live(_) => {
            Admin::open(&config.storage.database, Create::Never)?.roster_snapshot()?
        }
    };
    let plan = roster::plan(list, &snapshot, &rules);
    report(&plan);
    if !plan.changes_something() {
        println!(
            "nothing to change: the {} account(s) of the list are already imported",
            plan.unchanged.len()
        );
    } else {
        write(&mut accounts, args, &plan)?;
        println!("{}", summary(&plan, "created"));
    }
    refused_rows(&plan)
}

/// The exit status: an error when a row was refused.
fn refused_rows(plan: &ImportPlan) -> anyhow::Result<()> {
    match plan.refused.len() {
        0 => Ok(()),
        refused => anyhow::bail!(
            "{refused} row(s) not imported (listed above): correct them and run the import again"
        ),
    }
}

/// Hashes the first passwords, writes the handout, then the import; the handout is removed
/// when the import fails.
fn write(accounts: &mut Accounts, args: &ImportArgs, plan: &ImportPlan) -> anyhow::Result<()> {
    let generated = plan
        .created
        .iter()
        .any(|account| account.password == FirstPassword::Generated);
    let mut handout = match &args.passwords_out {
        Some(path) if !plan.created.is_empty() => Some(Handout::create(path)?),
        None if generated => anyhow::bail!(
            "{} new account(s) need a password: give --passwords-out FILE to receive them (nothing was imported)",
            plan.created.len()
        ),
        _ => None,
    };
    let passwords = roster::first_passwords(plan);
    if !plan.created.is_empty() {
        eprintln!("hashing {} password(s)…", passwords.len());
    }
    let write = roster::roster_write(plan, &passwords)?;
    if let Some(handout) = handout.as_mut() {
        handout.write(&plan.created, &passwords)?;
    }
    match accounts {
        Accounts::Live(client) => {
            client.request(&Request::UserImport { write })?;
        }
        Accounts::Offline { admin, audit } => {
            admin.import_roster(&write)?;
            Accounts::audit_offline(audit, &Request::UserImport { write });
        }
    }
    if let (Some(handout), Some(path)) = (handout, &args.passwords_out) {
        handout.finish();
        println!(
            "first passwords written to {} (mode 0600): hand them out, then delete the file",
            path.display()
        );
    }
    Ok(())
}
