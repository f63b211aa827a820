//! Any request body and signature headers reaching the Slack endpoints: read or refused by
//! the same pure functions the handlers call, never a panic (see `checks/slack_payload.rs`).
#![no_main]

#[path = "../checks/slack_payload.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
