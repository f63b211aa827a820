//! The cargo-fuzz target `slack_payload`, replayed on stable (CI has no nightly): the same
//! check (`fuzz/checks/slack_payload.rs`) over every seed in `fuzz/seeds/slack_payload/` and
//! a few thousand deterministic mutants, plus generated modal submissions whose answers hold
//! every kind of quote. A panic or a failed property names the input.

#[path = "../../fuzz/checks/replay.rs"]
mod replay;
#[path = "../../fuzz/checks/slack_payload.rs"]
mod slack_payload;

use replay::{Rng, mutants, run, seeds};
use serde_json::json;

#[test]
fn slack_payload_seeds_and_mutants() {
    let seeds = seeds("slack_payload");
    assert!(seeds.len() >= 10, "seeds for every kind of input");
    for (_, input) in &seeds {
        run("slack_payload", input, slack_payload::check);
    }
    for input in mutants(&seeds, 4000, 0x51AC) {
        run("slack_payload", &input, slack_payload::check);
    }
}

const PIECES: &[&str] = &[
    "佐藤", " ", "\"", "“", "”", "\\", "\\\"", ":", "name:", "<@U1>", "@x", "#c", "\n", "😀",
    "2015", "a",
];

/// Modal submissions as Slack sends them (`payload=` form bodies), with answers built from
/// the grammar's own symbols: each must reach the grammar as typed.
#[test]
fn generated_modal_submissions() {
    let mut rng = Rng(0xF0);
    for _ in 0..2000 {
        let mut value = String::new();
        for _ in 0..rng.below(6) {
            value.push_str(PIECES[rng.below(PIECES.len())]);
        }
        let command = ["/alumni join", "/alumni profile set", "/event create"][rng.below(3)];
        let payload = json!({
            "type": "view_submission",
            "team": { "id": "T1" },
            "user": { "id": "U1", "username": "ann" },
            "view": {
                "private_metadata": command,
                "blocks": [
                    { "type": "input", "block_id": "name" },
                    { "type": "section", "block_id": "skip" },
                    { "type": "input", "block_id": "bio" },
                ],
                "state": { "values": {
                    "name": { "name": { "value": "Ann" } },
                    "bio": { "bio": { "value": value } },
                } },
            },
        });
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        run(
            "slack_payload",
            &[b"1", body.as_bytes()].concat(),
            slack_payload::check,
        );
    }
}
