//! Personal invite codes for roster rows: 10 characters of Crockford base32 (50 random bits
//! from the operating system's CSPRNG), shown as `XXXXX-XXXXX`. Read back forgivingly: case,
//! spaces and hyphens do not matter, and the look-alikes O, I and L read as 0, 1 and 1.
//! Plain logic, no I/O.

use ring::rand::{SecureRandom, SystemRandom};

/// Crockford's alphabet: no I, L, O or U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code.
pub const LEN: usize = 10;

/// A new random code, stored form (no hyphen).
pub fn generate() -> String {
    let mut bytes = [0u8; LEN];
    // The system's random source only fails if the OS cannot give randomness at all, and a
    // guessable code must never be handed out instead.
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the operating system's random source");
    // 256 is a multiple of 32: the low five bits of a uniform byte are uniform.
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect()
}

/// The stored form of a typed code, or `None` if it cannot be one.
pub fn normalize(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(LEN);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' | '　' | 'ー' | '－' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        out.push(c);
    }
    (out.len() == LEN).then_some(out)
}

/// How a stored code is shown: `XXXXX-XXXXX`.
pub fn display(code: &str) -> String {
    let half = code.len() / 2;
    match (code.get(..half), code.get(half..)) {
        (Some(a), Some(b)) if !code.is_empty() => format!("{a}-{b}"),
        _ => code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ten_unambiguous_characters_and_differ() {
        let a = generate();
        assert_eq!(a.len(), LEN);
        assert!(a.chars().all(|c| !"ILOU".contains(c)), "{a}");
        let many: std::collections::HashSet<String> = (0..1000).map(|_| generate()).collect();
        assert_eq!(
            many.len(),
            1000,
            "50 random bits do not repeat in a thousand"
        );
    }

    #[test]
    fn typed_codes_read_back_forgivingly() {
        let code = generate();
        let shown = display(&code);
        assert_eq!(shown.len(), LEN + 1);
        assert_eq!(shown.chars().nth(5), Some('-'));
        assert_eq!(normalize(&shown).as_deref(), Some(code.as_str()));
        assert_eq!(
            normalize(&shown.to_lowercase()).as_deref(),
            Some(code.as_str())
        );
        assert_eq!(normalize("oiL23-45678").as_deref(), Some("0112345678"));
        assert_eq!(normalize("ABCDE-FGHJ"), None, "too short");
        assert_eq!(normalize("ABCDE-FGHJU"), None, "U is not in the alphabet");
        assert_eq!(normalize("ABCDE-FGHJ1X"), None, "too long");
    }
}
