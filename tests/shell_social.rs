//! Introductions, blocks and coffee-chat rounds end to end through the shell, on SQLite and
//! PostgreSQL; then the rounds' groups are read back from the output and checked: a blocked
//! pair is never grouped, the paused member never, and no pair repeats while another pairing
//! exists.

mod support;

use std::collections::HashSet;

use bot_core::testing::{TempPostgres, TempSqlite};

const TRANSCRIPT: &str = include_str!("transcripts/social.txt");

fn run(db: &str) -> String {
    let env = [
        ("DATABASE_URL", db),
        ("ALUMNI_ADMINS", "hr"),
        ("ALUMNI_LOCALE", "en"),
    ];
    support::check_transcript(&env, TRANSCRIPT)
}

/// The coffee groups printed after each `:clock` step that formed a round, in order.
fn rounds(output: &str) -> Vec<Vec<Vec<String>>> {
    let mut rounds = Vec::new();
    for step in output.split("hr> :clock ").skip(1) {
        let step = step.split("\nhr> ").next().unwrap_or("");
        let step = step.split("\nalice> ").next().unwrap_or("");
        let groups: Vec<Vec<String>> = step
            .split(">> to ")
            .skip(1)
            .filter(|block| block.contains("This round's coffee chat!"))
            .map(|block| {
                block
                    .lines()
                    .next()
                    .unwrap_or("")
                    .split(", ")
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        if !groups.is_empty() {
            rounds.push(groups);
        }
    }
    rounds
}

fn check_rounds(output: &str) {
    let rounds = rounds(output);
    assert_eq!(
        rounds.len(),
        3,
        "three rounds formed groups (the fourth paused everyone)\n{output}"
    );
    // Round 1: 7 taking part (frank paused) → two pairs and one trio.
    let mut sizes: Vec<usize> = rounds[0].iter().map(Vec::len).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [2, 2, 3], "{:?}", rounds[0]);
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for (n, round) in rounds.iter().enumerate() {
        let mut placed = HashSet::new();
        for group in round {
            assert!(
                !(group.contains(&"@alice".to_owned()) && group.contains(&"@heidi".to_owned())),
                "blocked pair grouped: {group:?}"
            );
            if n == 0 {
                assert!(
                    !group.contains(&"@frank".to_owned()),
                    "paused member matched: {group:?}"
                );
            }
            for a in group {
                assert!(placed.insert(a.clone()), "{a} placed twice in round {n}");
                for b in group {
                    if a < b {
                        // 8 people, weekly pairs: 3 rounds without a repeat are always possible.
                        assert!(
                            seen.insert((a.clone(), b.clone())),
                            "round {n} repeated {a}–{b}: {rounds:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn social_transcript_on_sqlite() {
    let db = TempSqlite::new("social");
    let out = run(&db.url());
    check_rounds(&out);

    // "Did you meet?" answers are counted: alice answers her first check-in.
    // One message block at a time (deliveries to different people may come in any order),
    // addressed to alice alone or to a group with her.
    let checkin = out
        .split(">> to ")
        .skip(1)
        .find(|b| {
            b.lines()
                .next()
                .is_some_and(|to| to.split(", ").any(|n| n == "@alice"))
                && b.contains("Did you meet your coffee-chat group?")
        })
        .expect("alice got a check-in");
    let button = checkin
        .lines()
        .find_map(|l| l.trim().strip_prefix("[We met] :click "))
        .expect("a 'we met' button");
    let url = db.url();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("ALUMNI_ADMINS", "hr"),
        ("ALUMNI_LOCALE", "en"),
    ];
    // Back a few minutes after the transcript's last step (2027-01-04 10:00), on fixed dates.
    let again = support::run_shell_with(
        &["--clock", "2027-01-04T10:05+09:00"],
        &env,
        &format!(":as alice\n:click {button}\n:as hr\n/coffee status\n"),
    );
    assert!(
        again.contains("Great, thanks for letting us know!"),
        "{again}"
    );
    assert!(again.contains("\"we met\": 1 yes, 0 no"), "{again}");
}

#[test]
fn a_profile_nudge_arrives_every_half_year() {
    let db = TempSqlite::new("nudge");
    let url = db.url();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("ALUMNI_ADMINS", "hr"),
        ("ALUMNI_LOCALE", "en"),
    ];
    let out = support::run_shell_with(
        &["--clock", "2026-12-01T10:00+09:00"],
        &env,
        ":as alice\n/alumni join name:\"Alice Abe\" company:ACME\n:as hr\n/alumni approve @alice\n\
         :clock +181d\n:clock +2d\n",
    );
    let (before, after) = out
        .split_once("hr> :clock +2d")
        .expect("both clock steps ran");
    assert!(!before.contains("Is your profile still current?"), "{out}");
    assert!(after.contains(">> to @alice"), "{out}");
    assert!(after.contains("Is your profile still current?"), "{out}");
    assert!(after.contains("Company: ACME"), "{out}");
    assert!(
        after.contains("company:\"…\""),
        "the nudge offers a form to update\n{out}"
    );
}

#[tokio::test]
async fn social_transcript_on_postgres() {
    let Some(db) = TempPostgres::create("social").await else {
        return;
    };
    let out = run(&db.url);
    check_rounds(&out);
    db.drop_db().await;
}
