//! Accounts from a school's class lists (`classcord user import`): reading the CSV, planning
//! the import against the database, first passwords, and the handout file of the new
//! accounts' passwords. The writes themselves are the store's (`RosterWrite`, one
//! transaction), through the running server or on the file.

mod class_list;
mod handout;
mod passwords;
mod plan;
mod slug;

pub(crate) use class_list::read as read_class_list;
pub(crate) use handout::Handout;
pub(crate) use plan::{plan, FirstPassword, ImportPlan, ImportRules};

use crate::store::{NewAccount, RosterWrite};

/// A first password for each new account: the list's, or a generated one.
pub(crate) fn first_passwords(plan: &ImportPlan) -> Vec<String> {
    plan.created
        .iter()
        .map(|account| match &account.password {
            FirstPassword::Given(password) => password.clone(),
            FirstPassword::Generated => passwords::generate(),
        })
        .collect()
}

/// The store's writes for `plan`, each new account's password (`passwords[i]` for
/// `plan.created[i]`) hashed now, on every core.
pub(crate) fn roster_write(
    plan: &ImportPlan,
    passwords: &[String],
) -> Result<RosterWrite, crate::password::PasswordError> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = passwords.len().div_ceil(threads).max(1);
    let hashes: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = passwords
            .chunks(chunk)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|password| crate::password::hash_now(password))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("hashing does not panic"))
            .collect::<Result<Vec<Vec<String>>, _>>()
            .map(|chunks| chunks.into_iter().flatten().collect())
    })?;
    Ok(RosterWrite {
        accounts: plan
            .created
            .iter()
            .zip(hashes)
            .map(|(account, password_hash)| NewAccount {
                username: account.username.clone(),
                password_hash,
                role: account.role,
                import_key: account.import_key.clone(),
            })
            .collect(),
        roles: plan
            .role_changes
            .iter()
            .map(|(name, _, role)| (name.clone(), *role))
            .collect(),
        rooms: plan.rooms_created.clone(),
        members: plan.members_added.clone(),
    })
}
