//! Rules for user names, channel names and presence states, shared by registration, guests and channels.

/// Why a user name is refused, or `None` when it is acceptable.
pub(crate) fn username_error(name: &str, max_chars: usize, reserved: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("Username must not be blank.".into());
    }
    if name.chars().count() > max_chars {
        return Some(format!("Username is longer than {max_chars} characters."));
    }
    if name.chars().any(is_forbidden_in_name) {
        return Some("Username contains control or invisible characters.".into());
    }
    if name.trim() != name {
        return Some("Username must not start or end with spaces.".into());
    }
    if NameKey::of(name) == NameKey::of(reserved) {
        return Some("This username is reserved.".into());
    }
    None
}

/// Why a channel name is refused, or `None`. Channels are `#` then 1 to 32 letters, digits, `-` or `_`.
pub(crate) fn channel_name_error(name: &str) -> Option<String> {
    let Some(rest) = name.strip_prefix('#') else {
        return Some("Channel names start with '#'.".into());
    };
    let length = rest.chars().count();
    if length == 0 || length > 32 {
        return Some("Channel names have 1 to 32 characters after '#'.".into());
    }
    if !rest
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return Some("Channel names use only letters, digits, '-' and '_'.".into());
    }
    None
}

/// Why a presence state is refused, or `None`. States are free text ("online", "do not disturb").
pub(crate) fn state_error(state: &str, max_chars: usize) -> Option<String> {
    if state.trim().is_empty() {
        return Some("State must not be blank.".into());
    }
    if state.chars().count() > max_chars {
        return Some(format!("State is longer than {max_chars} characters."));
    }
    if state.chars().any(is_forbidden_in_name) {
        return Some("State contains control or invisible characters.".into());
    }
    None
}

/// What user names are compared by: "Alice" and "alice" are the same person. Stored in the
/// `users.name_key` column.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct NameKey(String);

impl NameKey {
    pub(crate) fn of(name: &str) -> NameKey {
        NameKey(name.to_lowercase())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// What channel names are compared by (`#Dev` is `#dev`). Stored in `channels.name_key`
/// and `messages.channel_key`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ChannelKey(String);

impl ChannelKey {
    pub(crate) fn of(name: &str) -> ChannelKey {
        ChannelKey(name.to_lowercase())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_forbidden_in_name(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_guest_account_names_are_accepted() {
        let name = "Invité_Benoît_1700000000000";
        assert_eq!(username_error(name, 64, "Serveur"), None);
        assert_eq!(username_error(&"é".repeat(64), 64, "Serveur"), None);
    }

    #[test]
    fn bad_names_are_refused() {
        for bad in [
            "",
            "   ",
            "a\nb",
            "a\u{0}b",
            " lead",
            "trail ",
            "SERVEUR",
            "x\u{202E}y",
            "e\u{1b}[31m",
        ] {
            assert!(
                username_error(bad, 64, "Serveur").is_some(),
                "{bad:?} accepted"
            );
        }
        assert!(username_error(&"a".repeat(65), 64, "Serveur").is_some());
    }

    #[test]
    fn channel_names() {
        assert_eq!(channel_name_error("#général"), None);
        assert_eq!(channel_name_error("#dev-2_b"), None);
        for bad in ["dev", "#", "#a b", "#a\nb", &format!("#{}", "a".repeat(33))] {
            assert!(channel_name_error(bad).is_some(), "{bad:?} accepted");
        }
    }
}
