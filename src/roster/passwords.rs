//! First passwords for imported accounts: easy to read aloud and to type on any keyboard
//! (syllables of unambiguous letters, two digits: "bakime-tozuvi-47", about 43 bits), drawn
//! from the system's random source.

use ring::rand::{SecureRandom, SystemRandom};

const CONSONANTS: &[u8] = b"bcdfgjkmnprstvz";
const VOWELS: &[u8] = b"aeiou";
const DIGITS: &[u8] = b"23456789";

/// A uniform index below `bound` (rejection sampling: no modulo bias).
fn pick(random: &SystemRandom, bound: usize) -> usize {
    let limit = 256 - 256 % bound;
    loop {
        let mut byte = [0u8; 1];
        random
            .fill(&mut byte)
            .expect("the system's random source works");
        if usize::from(byte[0]) < limit {
            return usize::from(byte[0]) % bound;
        }
    }
}

/// A new readable password.
pub(crate) fn generate() -> String {
    let random = SystemRandom::new();
    let mut password = String::with_capacity(16);
    for group in 0..2 {
        if group > 0 {
            password.push('-');
        }
        for _ in 0..3 {
            password.push(char::from(CONSONANTS[pick(&random, CONSONANTS.len())]));
            password.push(char::from(VOWELS[pick(&random, VOWELS.len())]));
        }
    }
    password.push('-');
    for _ in 0..2 {
        password.push(char::from(DIGITS[pick(&random, DIGITS.len())]));
    }
    password
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_readable_and_differ() {
        let first = generate();
        assert_eq!(first.len(), 16, "{first}");
        assert!(first
            .chars()
            .all(|c| c == '-' || c.is_ascii_lowercase() || ('2'..='9').contains(&c)));
        let many: std::collections::HashSet<String> = (0..200).map(|_| generate()).collect();
        assert_eq!(many.len(), 200);
    }
}
