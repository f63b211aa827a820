//! Any button or form id a platform hands back (they can be forged): decoded or refused, and
//! a decoded id encodes back to itself.
#![no_main]

#[path = "../checks/action_id.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
