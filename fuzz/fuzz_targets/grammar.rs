//! Any line a member types: a command or a localized error, never a panic.
#![no_main]

#[path = "../checks/grammar.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
