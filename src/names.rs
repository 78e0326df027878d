//! Rules for user names, channel names and presence states, shared by registration, guests and channels.

use unicode_normalization::UnicodeNormalization;

use crate::vocabulary::{ChannelNameProblem, NameProblem, StateProblem};

/// Characters the server prints around names (`prof (enseignant)`, `[#salon]`): a name that
/// held them could pass for a teacher's or the server's marker.
const MARKER_CHARACTERS: &[char] = &['(', ')', '[', ']', '{', '}', '<', '>'];

/// Why a new name (an account being made, a guest) is refused, or `None` when it is
/// acceptable: the rules of [`login_name_error`], and no imitation of the server's markers or
/// of its name (`eve (moderator)`, `Serveur 2`, `serveur_officiel`).
pub(crate) fn username_error(name: &str, max_chars: usize, reserved: &str) -> Option<NameProblem> {
    if let Some(problem) = login_name_error(name, max_chars, reserved) {
        return Some(problem);
    }
    if name.contains(MARKER_CHARACTERS) {
        return Some(NameProblem::Marker);
    }
    let first_word = name
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or(name)
        .trim_end_matches(|c: char| c.is_ascii_digit());
    if NameKey::of(first_word) == NameKey::of(reserved) {
        return Some(NameProblem::Reserved);
    }
    None
}

/// Why a name given at login is refused, or `None`: accounts made before the rules of
/// [`username_error`] keep logging in.
pub(crate) fn login_name_error(
    name: &str,
    max_chars: usize,
    reserved: &str,
) -> Option<NameProblem> {
    if name.trim().is_empty() {
        return Some(NameProblem::Blank);
    }
    if name.chars().count() > max_chars {
        return Some(NameProblem::TooLong { max_chars });
    }
    if name.chars().any(is_forbidden_in_name) {
        return Some(NameProblem::Invisible);
    }
    if name
        .chars()
        .all(|c| c.is_whitespace() || is_blank_looking(c))
    {
        return Some(NameProblem::Blank);
    }
    if name.trim() != name {
        return Some(NameProblem::EdgeSpaces);
    }
    if NameKey::of(name) == NameKey::of(reserved) {
        return Some(NameProblem::Reserved);
    }
    None
}

/// Why a channel name is refused, or `None`. Channels are `#` then 1 to 32 letters, digits, `-` or `_`.
pub(crate) fn channel_name_error(name: &str) -> Option<ChannelNameProblem> {
    let Some(rest) = name.strip_prefix('#') else {
        return Some(ChannelNameProblem::NoHash);
    };
    let length = rest.chars().count();
    if length == 0 || length > 32 {
        return Some(ChannelNameProblem::Length);
    }
    if !rest
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return Some(ChannelNameProblem::Characters);
    }
    None
}

/// Why a presence state is refused, or `None`. States are free text ("online", "do not disturb").
pub(crate) fn state_error(state: &str, max_chars: usize) -> Option<StateProblem> {
    if state.trim().is_empty() {
        return Some(StateProblem::Blank);
    }
    if state.chars().count() > max_chars {
        return Some(StateProblem::TooLong { max_chars });
    }
    if state.chars().any(is_forbidden_in_name) {
        return Some(StateProblem::Invisible);
    }
    None
}

/// What names are compared by when the question is "does this name look like that one?":
/// case folded, compatibility forms folded (NFKC: `Ｓerveur` is `Serveur`), then reduced to
/// the confusable skeleton of Unicode TR39 (Cyrillic `а` is Latin `a`, `ı` is `i`). A guest
/// or a new account can never take a name that looks like a registered, online or reserved
/// one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct NameKey(String);

impl NameKey {
    pub(crate) fn of(name: &str) -> NameKey {
        let folded: String = name.nfkc().flat_map(char::to_lowercase).collect();
        NameKey(unicode_security::skeleton(&folded).collect())
    }
}

/// What an account is stored and found under (`users.name_key`): the name in lower case
/// (canonically composed). Two accounts made before look-alike names were refused keep their
/// own keys, so both still log in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct AccountKey(String);

impl AccountKey {
    pub(crate) fn of(name: &str) -> AccountKey {
        AccountKey(name.nfc().collect::<String>().to_lowercase())
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

/// Control characters, default-ignorable code points (invisible: soft hyphen, joiners,
/// variation selectors, Hangul fillers…), bidirectional controls, and line breaks or spaces
/// other than the ordinary one.
fn is_forbidden_in_name(c: char) -> bool {
    use unicode_security::general_security_profile::IdentifierType;
    use unicode_security::GeneralSecurityProfile;
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c.identifier_type(), Some(IdentifierType::Default_Ignorable))
        || matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// Characters that draw nothing although they are neither spaces nor default-ignorable.
fn is_blank_looking(c: char) -> bool {
    c == '\u{2800}' // braille pattern blank
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
            "eve (moderator)",
            "bob (admin)",
            "zoé (enseignant)",
            "[#général] prof",
            "Serveur 2",
            "Serveur2",
            "serveur_officiel",
            "SERV\u{415}UR-bot",
        ] {
            assert!(
                username_error(bad, 64, "Serveur").is_some(),
                "{bad:?} accepted"
            );
        }
        assert!(username_error(&"a".repeat(65), 64, "Serveur").is_some());
        // Names that only start like the server's are not imitations.
        assert_eq!(username_error("Serveuse", 64, "Serveur"), None);
        assert_eq!(username_error("Jean Serveur", 64, "Serveur"), None);
        // An account made before these rules still logs in.
        assert_eq!(login_name_error("eve (moderator)", 64, "Serveur"), None);
    }

    #[test]
    fn channel_names() {
        assert_eq!(channel_name_error("#général"), None);
        assert_eq!(channel_name_error("#dev-2_b"), None);
        for bad in ["dev", "#", "#a b", "#a\nb", &format!("#{}", "a".repeat(33))] {
            assert!(channel_name_error(bad).is_some(), "{bad:?} accepted");
        }
    }

    #[test]
    fn invisible_and_blank_looking_names_are_refused() {
        for bad in [
            "alice\u{ad}",
            "alice\u{34f}",
            "alice\u{fe0f}",
            "Serveur\u{3164}",
            "\u{3164}",
            "\u{2800}",
            "\u{115f}",
            "a\u{2028}b",
            "a\u{a0}b",
        ] {
            assert!(
                username_error(bad, 64, "Serveur").is_some(),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn look_alike_names_share_a_key() {
        let key = |name: &str| NameKey::of(name);
        for (look_alike, original) in [
            ("\u{430}lice", "alice"),
            ("al\u{131}ce", "alice"),
            ("Alice", "alice"),
            ("Serv\u{435}ur", "Serveur"),
            ("\u{ff33}erveur", "Serveur"),
        ] {
            assert_eq!(key(look_alike), key(original), "{look_alike:?}");
        }
        assert_ne!(key("alice"), key("alicia"));
        // The reserved sender's look-alikes are reserved too.
        for name in ["Serv\u{435}ur", "\u{ff33}erveur"] {
            assert!(
                username_error(name, 64, "Serveur").is_some(),
                "{name:?} accepted"
            );
        }
        // Accounts are stored under their exact (lower-case) spelling.
        assert_ne!(AccountKey::of("\u{430}lice"), AccountKey::of("alice"));
    }

    proptest::proptest! {
        /// Any text: a verdict, never a panic; an accepted name has nothing invisible in it,
        /// and hiding an invisible character in it gets it refused.
        #[test]
        fn name_rules_hold_for_any_text(name in "(?s).{0,70}", at in 0usize..70) {
            let verdict = username_error(&name, 64, "Serveur");
            let _ = NameKey::of(&name);
            if verdict.is_none() {
                proptest::prop_assert!(!name.chars().any(is_forbidden_in_name));
                let mut hidden: Vec<char> = name.chars().collect();
                hidden.insert(at.min(hidden.len()), '\u{ad}');
                let hidden: String = hidden.into_iter().collect();
                proptest::prop_assert!(username_error(&hidden, 64, "Serveur").is_some());
            }
        }
    }
}
