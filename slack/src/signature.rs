//! Verifying that a request comes from Slack: `X-Slack-Signature` is `v0=` + hex
//! HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`), and `X-Slack-Request-Timestamp`
//! must be within five minutes of now, so a captured request cannot be replayed later.
//! Checked before anything else reads the body.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from now.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing X-Slack-Signature or X-Slack-Request-Timestamp")]
    Missing,
    #[error("malformed signature or timestamp")]
    Malformed,
    #[error("timestamp outside the five-minute window")]
    Stale,
    #[error("signature does not match")]
    Mismatch,
}

/// Check one request. `now` is Unix seconds (the caller's clock).
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureError::Missing);
    };
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::Malformed)?;
    // `abs_diff`, not `(now - ts).abs()`: a timestamp near i64::MIN overflowed the subtraction
    // (a panic in debug builds).
    if now.abs_diff(ts) > MAX_SKEW_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let hex_sig = signature
        .trim()
        .strip_prefix("v0=")
        .ok_or(SignatureError::Malformed)?;
    let expected = hex::decode(hex_sig).map_err(|_| SignatureError::Malformed)?;
    // `verify_slice` compares in constant time.
    mac(secret, timestamp.trim(), body)
        .verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The signature Slack would send for `body` at `timestamp` (for tests and load generators).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    format!(
        "v0={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"8f742231b10e8888abcd99yyyzzz85a5";
    const NOW: i64 = 1_531_420_618;

    /// Slack's own documented example request.
    const BODY: &[u8] = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

    #[test]
    fn accepts_slacks_documented_example() {
        let sig = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert_eq!(sign(SECRET, "1531420618", BODY), sig);
        assert_eq!(
            verify(SECRET, Some("1531420618"), Some(sig), BODY, NOW),
            Ok(())
        );
    }

    #[test]
    fn rejects_missing_wrong_altered_and_stale() {
        let sig = sign(SECRET, "1531420618", BODY);
        assert_eq!(
            verify(SECRET, None, Some(&sig), BODY, NOW),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(SECRET, Some("1531420618"), None, BODY, NOW),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(b"other secret", Some("1531420618"), Some(&sig), BODY, NOW),
            Err(SignatureError::Mismatch)
        );
        let mut altered = BODY.to_vec();
        altered[10] ^= 1;
        assert_eq!(
            verify(SECRET, Some("1531420618"), Some(&sig), &altered, NOW),
            Err(SignatureError::Mismatch)
        );
        // Six minutes later the same request is a replay.
        assert_eq!(
            verify(SECRET, Some("1531420618"), Some(&sig), BODY, NOW + 360),
            Err(SignatureError::Stale)
        );
        // Found by the `slack_payload` fuzz target: this overflowed `now - ts`.
        assert_eq!(
            verify(SECRET, Some("-9223372036854775808"), Some(&sig), BODY, NOW),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, Some("9223372036854775807"), Some(&sig), BODY, -NOW),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, Some("soon"), Some(&sig), BODY, NOW),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, Some("1531420618"), Some("v1=00"), BODY, NOW),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, Some("1531420618"), Some("v0=zz"), BODY, NOW),
            Err(SignatureError::Malformed)
        );
    }
}
