//! `Action`: what a button or form means. Its id is a compact, versioned string
//! (`v1.ap.42`) that fits Discord's 100-character custom_id and Slack's action_id; the core
//! decodes it and checks the clicking member may do it.

use crate::domain::MemberId;
use crate::error::UserError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Approve(MemberId),
    /// Opens a form for the reason, then rejects.
    Reject(MemberId),
}

const VERSION: &str = "v1";

impl Action {
    pub fn encode(self) -> String {
        match self {
            Action::Approve(id) => format!("{VERSION}.ap.{id}"),
            Action::Reject(id) => format!("{VERSION}.rj.{id}"),
        }
    }

    pub fn decode(id: &str) -> Result<Action, UserError> {
        let bad = || UserError::new("error.bad_action").arg("id", id.chars().take(100).collect::<String>());
        let mut parts = id.trim().split('.');
        if parts.next() != Some(VERSION) {
            return Err(bad());
        }
        let kind = parts.next().ok_or_else(bad)?;
        let arg: i64 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        if parts.next().is_some() {
            return Err(bad());
        }
        match kind {
            "ap" => Ok(Action::Approve(arg)),
            "rj" => Ok(Action::Reject(arg)),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        for a in [Action::Approve(1), Action::Reject(i64::MAX)] {
            assert_eq!(Action::decode(&a.encode()), Ok(a));
        }
        for bad in ["", "v1", "v1.ap", "v1.ap.x", "v2.ap.1", "v1.zz.1", "v1.ap.1.2"] {
            assert_eq!(Action::decode(bad).unwrap_err().key, "error.bad_action", "{bad}");
        }
    }
}
