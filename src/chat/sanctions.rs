//! Sanctions in force (exclusions and mutes, of an account or a guest's address), kept in the
//! live state so that logins, guests and messages are checked under the same lock as the
//! rest. Deadlines are tokio instants (the paused clock of tests moves them); the store keeps
//! wall-clock times so that they survive a restart.

use std::collections::HashMap;

use tokio::time::Instant;

use crate::names::NameKey;
use crate::store::{SanctionKind, Subject};
use crate::vocabulary::Remaining;

struct Active {
    /// The name it was given under (a guest's address is lifted by that name).
    label: NameKey,
    until: Option<Instant>,
}

#[derive(Default)]
pub(super) struct Sanctions {
    active: HashMap<(SanctionKind, Subject), Active>,
}

impl Sanctions {
    pub(super) fn set(
        &mut self,
        kind: SanctionKind,
        subject: Subject,
        label: &str,
        until: Option<Instant>,
    ) {
        self.active.insert(
            (kind, subject),
            Active {
                label: NameKey::of(label),
                until,
            },
        );
    }

    pub(super) fn lift(&mut self, kind: SanctionKind, subject: &Subject) -> bool {
        self.active.remove(&(kind, subject.clone())).is_some()
    }

    /// How long `subject` is still under `kind`; an expired sanction is dropped.
    pub(super) fn remaining(&mut self, kind: SanctionKind, subject: &Subject) -> Option<Remaining> {
        let key = (kind, subject.clone());
        let until = self.active.get(&key)?.until;
        match until {
            None => Some(Remaining::UntilLifted),
            Some(until) => {
                let now = Instant::now();
                if until <= now {
                    self.active.remove(&key);
                    None
                } else {
                    Some(Remaining::For(until - now))
                }
            }
        }
    }

    /// Subjects of `kind` given under the name `label` (a guest gone offline).
    pub(super) fn labelled(&self, kind: SanctionKind, label: &NameKey) -> Vec<Subject> {
        self.active
            .iter()
            .filter(|((k, _), active)| *k == kind && active.label == *label)
            .map(|((_, subject), _)| subject.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_timed_sanction_ends_by_itself() {
        let mut sanctions = Sanctions::default();
        let subject = Subject::Address("10.0.0.7".parse().unwrap());
        let until = Instant::now() + Duration::from_secs(600);
        sanctions.set(SanctionKind::Mute, subject.clone(), "bob", Some(until));
        assert_eq!(
            sanctions.remaining(SanctionKind::Mute, &subject),
            Some(Remaining::For(Duration::from_secs(600)))
        );
        assert_eq!(sanctions.remaining(SanctionKind::Exclusion, &subject), None);
        assert_eq!(
            sanctions.labelled(SanctionKind::Mute, &NameKey::of("BOB")),
            vec![subject.clone()]
        );
        tokio::time::advance(Duration::from_secs(600)).await;
        assert_eq!(sanctions.remaining(SanctionKind::Mute, &subject), None);
    }
}
