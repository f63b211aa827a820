//! Any button or form id a platform hands back (they can be forged): decoded or refused, and
//! a decoded id encodes back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(id) = std::str::from_utf8(data) {
        if let Ok(action) = bot_core::action::Action::decode(id) {
            let again = bot_core::action::Action::decode(&action.encode());
            assert_eq!(again.ok(), Some(action));
        }
    }
});
