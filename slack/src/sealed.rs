//! Workspace bot tokens sealed at rest: ChaCha20-Poly1305 (ring, already in the tree through
//! rustls) under a 32-byte key from `ALUMNI_SECRET_KEY`, so a copy of the database alone does
//! not give anyone the right to post in a customer's Slack. A stored token reads
//! `sealed:v1:<base64 of nonce | ciphertext | tag>`; a plain one (written before sealing) is
//! still read, and `alumni-bot rotate-secret-key` seals it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

const PREFIX: &str = "sealed:v1:";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("ALUMNI_SECRET_KEY must be 32 bytes, as 64 hex digits or base64")]
    BadKey,
    #[error("a sealed token needs ALUMNI_SECRET_KEY to be read")]
    NoKey,
    #[error("a sealed token does not open with this key (wrong ALUMNI_SECRET_KEY?)")]
    WrongKey,
}

/// The key tokens are sealed with. `Debug` never shows it.
pub struct Sealer {
    key: LessSafeKey,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<key>)")
    }
}

impl Sealer {
    /// From `ALUMNI_SECRET_KEY`: 32 bytes as 64 hex digits or standard base64.
    pub fn from_key(text: &str) -> Result<Sealer, SealError> {
        let text = text.trim();
        let bytes = hex::decode(text)
            .ok()
            .or_else(|| STANDARD.decode(text).ok())
            .filter(|b| b.len() == 32)
            .ok_or(SealError::BadKey)?;
        let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes).map_err(|_| SealError::BadKey)?;
        Ok(Sealer {
            key: LessSafeKey::new(key),
        })
    }

    pub fn seal(&self, token: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the system's random source");
        let mut data = token.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .expect("sealing a short token");
        let mut out = nonce.to_vec();
        out.extend(data);
        format!("{PREFIX}{}", STANDARD.encode(out))
    }

    fn open_sealed(&self, body: &str) -> Result<String, SealError> {
        let raw = STANDARD.decode(body).map_err(|_| SealError::WrongKey)?;
        if raw.len() < NONCE_LEN {
            return Err(SealError::WrongKey);
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::WrongKey)?;
        let mut data = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| SealError::WrongKey)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SealError::WrongKey)
    }
}

/// Whether a stored token is sealed.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

/// A stored token as the API takes it: opened with the key, or as is if it was never sealed.
pub fn open(sealer: Option<&Sealer>, stored: &str) -> Result<String, SealError> {
    match stored.strip_prefix(PREFIX) {
        None => Ok(stored.to_owned()),
        Some(body) => sealer.ok_or(SealError::NoKey)?.open_sealed(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_sealed_token_opens_only_with_its_key() {
        let sealer = Sealer::from_key(KEY).unwrap();
        let stored = sealer.seal("xoxb-secret");
        assert!(is_sealed(&stored) && !stored.contains("xoxb"), "{stored}");
        assert_ne!(
            stored,
            sealer.seal("xoxb-secret"),
            "a fresh nonce each time"
        );
        assert_eq!(open(Some(&sealer), &stored).unwrap(), "xoxb-secret");
        let other = Sealer::from_key(&"ab".repeat(32)).unwrap();
        assert_eq!(open(Some(&other), &stored), Err(SealError::WrongKey));
        assert_eq!(open(None, &stored), Err(SealError::NoKey));
        // Written before sealing: read as is.
        assert_eq!(open(None, "xoxb-plain").unwrap(), "xoxb-plain");
        assert!(format!("{sealer:?}").contains("<key>"));
    }

    #[test]
    fn keys_are_32_bytes_in_hex_or_base64() {
        assert!(Sealer::from_key(&STANDARD.encode([7u8; 32])).is_ok());
        assert_eq!(Sealer::from_key("short").unwrap_err(), SealError::BadKey);
        assert_eq!(
            Sealer::from_key(&"ab".repeat(16)).unwrap_err(),
            SealError::BadKey
        );
    }
}
