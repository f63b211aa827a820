//! Any file uploaded as a roster: rows and line-numbered errors, never a panic; accepted rows
//! obey the rules and survive being written back.
#![no_main]

#[path = "../checks/csv_import.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
