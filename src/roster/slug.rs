//! Names made from what a school list holds: user names (`prénom.nom`, lower case, no
//! accents, so that anyone can type them on any keyboard), room names from classes, and
//! the folding that lets a header say `Prénom`, `prenom` or `PRÉNOM`.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Without accents: "Éloïse" → "Eloise", "Œ" → "OE".
fn without_accents(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        match c {
            'œ' => out.push_str("oe"),
            'Œ' => out.push_str("OE"),
            'æ' => out.push_str("ae"),
            'Æ' => out.push_str("AE"),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

/// A header as compared: lower case, no accents, words joined by `_`.
pub(crate) fn fold_header(text: &str) -> String {
    let folded = without_accents(text.trim()).to_lowercase();
    folded
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// ASCII letters and digits kept, every run of anything else (spaces, apostrophes,
/// hyphens) one `separator`, none at the ends; `keep` characters stay as they are.
fn slug(text: &str, separator: char, keep: &[char], lower: bool) -> String {
    let plain = without_accents(text);
    let mut out = String::with_capacity(plain.len());
    let mut pending_separator = false;
    for c in plain.chars() {
        if c.is_ascii_alphanumeric() || keep.contains(&c) {
            if pending_separator && !out.is_empty() {
                out.push(separator);
            }
            pending_separator = false;
            out.push(if lower { c.to_ascii_lowercase() } else { c });
        } else {
            pending_separator = true;
        }
    }
    out
}

/// One part of a user name: "D'Arc Martin" → "d-arc-martin".
pub(crate) fn name_part(text: &str) -> String {
    slug(text, '-', &[], true)
}

/// A school login as a user name: "J.Dupont" → "j.dupont".
pub(crate) fn login(text: &str) -> String {
    slug(text, '-', &['.', '_'], true)
}

/// A class's room name, at most 32 characters after `#`: "2nde A" → "#2nde-A".
pub(crate) fn room(class: &str) -> Option<String> {
    let name: String = slug(class, '-', &['_'], false).chars().take(32).collect();
    let name = name.trim_end_matches('-');
    (!name.is_empty()).then(|| format!("#{name}"))
}

/// `base`, cut so that `suffix` still fits in `max_chars`, then `suffix`.
pub(crate) fn with_suffix(base: &str, suffix: &str, max_chars: usize) -> String {
    let room = max_chars.saturating_sub(suffix.chars().count());
    let mut name: String = base.chars().take(room).collect();
    while name.ends_with(['.', '-']) {
        name.pop();
    }
    name.push_str(suffix);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_accents_and_punctuation() {
        assert_eq!(name_part("Éloïse"), "eloise");
        assert_eq!(name_part("D'Arc  Martin"), "d-arc-martin");
        assert_eq!(name_part("Lætitia"), "laetitia");
        assert_eq!(name_part("Nguyễn"), "nguyen");
        assert_eq!(name_part("!!!"), "");
        assert_eq!(login(" J.Dupont "), "j.dupont");
        assert_eq!(fold_header(" Mot de passe "), "mot_de_passe");
        assert_eq!(fold_header("PRÉNOM"), "prenom");
    }

    #[test]
    fn classes_become_room_names() {
        assert_eq!(room("2nde A").as_deref(), Some("#2nde-A"));
        assert_eq!(
            room("Terminale générale").as_deref(),
            Some("#Terminale-generale")
        );
        assert_eq!(room(" ").as_deref(), None);
        assert_eq!(room(&"x".repeat(40)).unwrap().chars().count(), 33);
    }

    #[test]
    fn a_suffix_always_fits() {
        assert_eq!(with_suffix("jean.dupont", "2", 64), "jean.dupont2");
        assert_eq!(with_suffix("jean.dupont", "2", 6), "jean2");
    }
}
