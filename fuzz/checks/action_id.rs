//! The `action_id` property, shared by the fuzz target and the stable replay test: any button
//! or form id a platform hands back (they can be forged) is decoded or refused, and a decoded
//! id encodes back to one that decodes to the same action.

use bot_core::action::Action;

pub fn check(data: &[u8]) {
    if let Ok(id) = std::str::from_utf8(data) {
        check_id(id);
    }
}

pub fn check_id(id: &str) {
    if let Ok(action) = Action::decode(id) {
        let again = Action::decode(&action.encode());
        assert_eq!(again.ok(), Some(action), "{id:?} does not round-trip");
    }
}
