//! What importing a class list would do, decided against what the database holds: which
//! accounts to create (under which name, a number added on a clash), which already exist
//! from an earlier import (found by their row's key, so a second run changes nothing), the
//! roles to change, the class rooms to create and the memberships to add.

use std::collections::{BTreeSet, HashMap, HashSet};

use classcord_protocol::Role;

use super::class_list::{ClassList, ListRow, RowProblem, RowRefused};
use super::slug;
use crate::names::{username_error, AccountKey, ChannelKey};
use crate::store::RosterSnapshot;

/// The rules an import follows (from the configuration and the command line).
#[derive(Debug, Clone)]
pub(crate) struct ImportRules {
    /// The role of rows without a `role` column value.
    pub(crate) default_role: Role,
    /// Rooms every imported account joins, beside its class's (`--room`).
    pub(crate) extra_rooms: Vec<String>,
    pub(crate) max_username_chars: usize,
    pub(crate) min_password_chars: usize,
    pub(crate) max_password_bytes: usize,
    /// The server's reserved sender name, which no account may take.
    pub(crate) reserved_name: String,
}

/// Where a new account's first password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FirstPassword {
    /// Written in the list.
    Given(String),
    /// To generate.
    Generated,
}

/// An account the import creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlannedAccount {
    pub(crate) line: u64,
    pub(crate) username: String,
    /// The name the list asked for, when a clash made it take another.
    pub(crate) wanted: Option<String>,
    pub(crate) role: Role,
    pub(crate) import_key: String,
    pub(crate) last_name: String,
    pub(crate) first_name: String,
    pub(crate) class: String,
    pub(crate) password: FirstPassword,
}

/// What an import would do.
#[derive(Debug, Default)]
pub(crate) struct ImportPlan {
    pub(crate) created: Vec<PlannedAccount>,
    /// Accounts of an earlier import that the list leaves as they are.
    pub(crate) unchanged: Vec<String>,
    /// (account, from, to).
    pub(crate) role_changes: Vec<(String, Role, Role)>,
    pub(crate) rooms_created: Vec<String>,
    /// (room, account) memberships added.
    pub(crate) members_added: Vec<(String, String)>,
    pub(crate) refused: Vec<RowRefused>,
}

impl ImportPlan {
    /// Whether running it would change the database.
    pub(crate) fn changes_something(&self) -> bool {
        !(self.created.is_empty()
            && self.role_changes.is_empty()
            && self.rooms_created.is_empty()
            && self.members_added.is_empty())
    }
}

/// The key an account keeps from its row: the school's login when the list gives one,
/// else the person's names and class.
fn import_key(row: &ListRow) -> String {
    match &row.login {
        Some(login) => format!("login:{}", slug::login(login)),
        None => format!(
            "row:{}|{}|{}",
            slug::name_part(&row.last_name),
            slug::name_part(&row.first_name),
            slug::name_part(&row.class)
        ),
    }
}

struct Planner<'a> {
    rules: &'a ImportRules,
    snapshot: &'a RosterSnapshot,
    /// Names taken by this plan's new accounts.
    claimed: HashSet<AccountKey>,
    /// Rooms this plan creates.
    new_rooms: BTreeSet<String>,
    plan: ImportPlan,
}

impl Planner<'_> {
    fn is_free(&self, name: &str) -> bool {
        let key = AccountKey::of(name);
        !self.snapshot.accounts.contains_key(&key) && !self.claimed.contains(&key)
    }

    /// The first free name among `base`, `base2`, `base3`…
    fn free_name(&self, base: &str) -> Result<String, RowProblem> {
        let max = self.rules.max_username_chars;
        let first = slug::with_suffix(base, "", max);
        if let Some(problem) = username_error(&first, max, &self.rules.reserved_name) {
            return Err(RowProblem::InvalidLogin(
                crate::texts::admin_texts().name_problem(problem),
            ));
        }
        if self.is_free(&first) {
            return Ok(first);
        }
        (2..)
            .map(|n| slug::with_suffix(base, &n.to_string(), max))
            .find(|name| self.is_free(name))
            .ok_or(RowProblem::NoUsableName)
    }

    fn password(&self, row: &ListRow) -> Result<FirstPassword, RowProblem> {
        match &row.password {
            None => Ok(FirstPassword::Generated),
            Some(password) => match crate::password::password_error(
                password,
                self.rules.min_password_chars,
                self.rules.max_password_bytes,
            ) {
                None => Ok(FirstPassword::Given(password.clone())),
                Some(problem) => Err(RowProblem::Password(
                    crate::texts::admin_texts().password_problem(problem),
                )),
            },
        }
    }

    /// The rooms a row's account belongs in: its class's, then the `--room` ones.
    fn rooms_of(&self, row: &ListRow) -> Result<Vec<String>, RowProblem> {
        let mut rooms = Vec::new();
        if !row.class.trim().is_empty() {
            rooms.push(
                slug::room(&row.class)
                    .ok_or_else(|| RowProblem::NoUsableClass(row.class.clone()))?,
            );
        }
        rooms.extend(self.rules.extra_rooms.iter().cloned());
        Ok(rooms)
    }

    fn join(&mut self, rooms: &[String], username: &str) {
        let account = AccountKey::of(username);
        for room in rooms {
            let key = ChannelKey::of(room);
            if !self.snapshot.rooms.contains(&key) && self.new_rooms.insert(room.clone()) {
                self.plan.rooms_created.push(room.clone());
            }
            if !self.snapshot.members.contains(&(key, account.clone())) {
                self.plan
                    .members_added
                    .push((room.clone(), username.to_owned()));
            }
        }
    }

    fn row(&mut self, row: ListRow, import_key: String) -> Result<(), RowProblem> {
        let rooms = self.rooms_of(&row)?;
        let role = row.role.unwrap_or(self.rules.default_role);
        if let Some(existing) = self
            .snapshot
            .imported
            .get(&import_key)
            .and_then(|key| self.snapshot.accounts.get(key))
        {
            let username = existing.username.clone();
            if existing.role != role {
                self.plan
                    .role_changes
                    .push((username.clone(), existing.role, role));
            }
            let before = self.plan.members_added.len();
            self.join(&rooms, &username);
            if existing.role == role && self.plan.members_added.len() == before {
                self.plan.unchanged.push(username);
            }
            return Ok(());
        }
        let wanted = match &row.login {
            Some(login) => slug::login(login),
            None => {
                let first = slug::name_part(&row.first_name);
                let last = slug::name_part(&row.last_name);
                if first.is_empty() || last.is_empty() {
                    return Err(RowProblem::NoUsableName);
                }
                format!("{first}.{last}")
            }
        };
        if wanted.is_empty() {
            return Err(RowProblem::NoUsableName);
        }
        let password = self.password(&row)?;
        let username = self.free_name(&wanted)?;
        self.claimed.insert(AccountKey::of(&username));
        self.join(&rooms, &username);
        self.plan.created.push(PlannedAccount {
            line: row.line,
            wanted: (username != wanted).then_some(wanted),
            username,
            role,
            import_key,
            last_name: row.last_name,
            first_name: row.first_name,
            class: row.class,
            password,
        });
        Ok(())
    }
}

/// What importing `list` into a database holding `snapshot` would do.
pub(crate) fn plan(list: ClassList, snapshot: &RosterSnapshot, rules: &ImportRules) -> ImportPlan {
    let mut planner = Planner {
        rules,
        snapshot,
        claimed: HashSet::new(),
        new_rooms: BTreeSet::new(),
        plan: ImportPlan {
            refused: list.refused,
            ..ImportPlan::default()
        },
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in list.rows {
        let line = row.line;
        let key = import_key(&row);
        if let Some(first) = seen.get(&key) {
            planner.plan.refused.push(RowRefused {
                line,
                problem: RowProblem::Duplicate(*first),
            });
            continue;
        }
        seen.insert(key.clone(), line);
        if let Err(problem) = planner.row(row, key) {
            planner.plan.refused.push(RowRefused { line, problem });
        }
    }
    planner.plan.refused.sort_by_key(|refused| refused.line);
    planner.plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::class_list;
    use crate::store::ExistingAccount;

    fn rules() -> ImportRules {
        ImportRules {
            default_role: Role::User,
            extra_rooms: Vec::new(),
            max_username_chars: 64,
            min_password_chars: 8,
            max_password_bytes: 1024,
            reserved_name: "Serveur".into(),
        }
    }

    #[test]
    fn homonyms_get_a_number_and_duplicates_are_refused() {
        let list = class_list::read(
            "nom;prénom;classe\nDupont;Jean;2SIO1\nDupont;Jean;2SIO2\nDupont;Jean;2SIO1\nMartin;Léa;2SIO2\n"
                .as_bytes(),
        )
        .unwrap();
        let mut snapshot = RosterSnapshot::default();
        snapshot.accounts.insert(
            AccountKey::of("lea.martin"),
            ExistingAccount {
                username: "lea.martin".into(),
                role: Role::User,
            },
        );
        let plan = plan(list, &snapshot, &rules());
        let names: Vec<&str> = plan.created.iter().map(|a| a.username.as_str()).collect();
        assert_eq!(names, ["jean.dupont", "jean.dupont2", "lea.martin2"]);
        assert_eq!(plan.refused[0].line, 4);
        assert_eq!(plan.refused[0].problem, RowProblem::Duplicate(2));
        assert_eq!(plan.rooms_created, ["#2SIO1", "#2SIO2"]);
    }

    #[test]
    fn an_imported_row_is_found_again() {
        let list = class_list::read(b"nom;prenom;classe;role\nPetit;Zoe;TSIO;prof\n").unwrap();
        let mut snapshot = RosterSnapshot::default();
        let key = AccountKey::of("zoe.petit");
        snapshot.accounts.insert(
            key.clone(),
            ExistingAccount {
                username: "zoe.petit".into(),
                role: Role::User,
            },
        );
        snapshot
            .imported
            .insert("row:petit|zoe|tsio".into(), key.clone());
        snapshot.rooms.insert(ChannelKey::of("#TSIO"));
        snapshot.members.insert((ChannelKey::of("#tsio"), key));
        let plan = plan(list, &snapshot, &rules());
        assert!(plan.created.is_empty());
        assert_eq!(
            plan.role_changes,
            [("zoe.petit".to_owned(), Role::User, Role::Moderator)]
        );
        assert!(plan.members_added.is_empty());
    }
}
