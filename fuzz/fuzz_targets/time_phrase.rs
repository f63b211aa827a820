//! Any text typed as a time: a reading or a localized refusal, never a panic.
#![no_main]

#[path = "../checks/time_phrase.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
