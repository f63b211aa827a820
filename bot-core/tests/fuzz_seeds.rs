//! The cargo-fuzz targets `grammar`, `action_id` and `csv_import`, replayed on stable (CI has
//! no nightly): the same check functions (`fuzz/checks/`) over every seed in `fuzz/seeds/`
//! and a few thousand deterministic mutants of them, plus generated roster files. A panic or
//! a failed property names the input. The seeds themselves are checked too: each valid one is
//! read as what its name says, and every subcommand and every button kind has one.

#[path = "../../fuzz/checks/action_id.rs"]
mod action_id;
#[path = "../../fuzz/checks/csv_import.rs"]
mod csv_import;
#[path = "../../fuzz/checks/grammar.rs"]
mod grammar;
#[path = "../../fuzz/checks/replay.rs"]
mod replay;
#[path = "../../fuzz/checks/time_phrase.rs"]
mod time_phrase;

use bot_core::action::Action;
use bot_core::command::{self, Command, spec};
use replay::{Rng, mutants, run, seeds};

fn replay(target: &str, check: fn(&[u8]), count: usize) {
    let seeds = seeds(target);
    assert!(!seeds.is_empty(), "no seeds for {target}");
    for (_, input) in &seeds {
        run(target, input, check);
    }
    for input in mutants(&seeds, count, 0x5EED) {
        run(target, &input, check);
    }
}

#[test]
fn grammar_seeds_and_mutants() {
    replay("grammar", grammar::check, 3000);
}

#[test]
fn action_id_seeds_and_mutants() {
    replay("action_id", action_id::check, 3000);
}

#[test]
fn csv_import_seeds_and_mutants() {
    replay("csv_import", csv_import::check, 3000);
}

#[test]
fn time_phrase_seeds_and_mutants() {
    replay("time_phrase", time_phrase::check, 3000);
}

/// Every valid time seed is read, every `bad_` one refused (so both paths stay fuzzed).
#[test]
fn time_phrase_seeds_are_what_their_names_say() {
    for (name, bytes) in seeds("time_phrase") {
        let text = String::from_utf8(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            time_phrase::reads(&text),
            expected(&name).is_some(),
            "seed {name} ({text:?})"
        );
    }
}

/// A seed's name says what it is: `bad_…` an input that must be refused (the error paths),
/// anything else `<what>` or `<what>.<variant>`, an input that must be read as `<what>`.
fn expected(name: &str) -> Option<&str> {
    (!name.starts_with("bad_")).then(|| name.split('.').next().unwrap_or(name))
}

/// `command_sub` in the spec's names (`alumni_profile-set`).
fn spec_name(c: &Command) -> String {
    let (command, sub) = c.spec_name();
    format!("{command}_{sub}")
}

/// Every valid grammar seed is read as the command its name says (a wrong key, such as
/// `message:` for `why:`, would only fuzz the error path), every `bad_` seed is refused, and
/// every subcommand of every command in the spec has a seed.
#[test]
fn grammar_seeds_are_what_their_names_say_and_cover_every_subcommand() {
    let seeds = seeds("grammar");
    let mut covered = Vec::new();
    for (name, bytes) in &seeds {
        let line = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let parsed = command::parse(line);
        match (expected(name), parsed) {
            (Some(want), Ok(c)) => {
                assert_eq!(spec_name(&c), want, "seed {name} ({line:?}) read as {c:?}");
                covered.push(want.to_owned());
            }
            (Some(_), Err(e)) => panic!("seed {name} ({line:?}) is refused: {}", e.key),
            (None, Ok(c)) => panic!("bad seed {name} ({line:?}) is read as {c:?}"),
            (None, Err(_)) => {}
        }
    }
    let missing: Vec<String> = spec::COMMANDS
        .iter()
        .flat_map(|c| c.subs.iter().map(move |s| format!("{}_{}", c.name, s.name)))
        .filter(|want| !covered.contains(want))
        .collect();
    assert!(
        missing.is_empty(),
        "no seed in fuzz/seeds/grammar for {missing:?}"
    );
}

/// Each button / form kind's name. Exhaustive: a new kind does not compile until it is here;
/// `KINDS` lists them so each needs a seed.
fn kind_name(a: Action) -> &'static str {
    match a {
        Action::Approve(_) => "approve",
        Action::Reject(_) => "reject",
        Action::Rsvp { .. } => "rsvp",
        Action::IntroAnswer { .. } => "intro_answer",
        Action::CoffeeSkip { .. } => "coffee_skip",
        Action::CoffeeMet { .. } => "coffee_met",
        Action::Agree { .. } => "agree",
        Action::Broadcast { .. } => "broadcast",
        Action::JobInterest { .. } => "job_interest",
    }
}

const KINDS: &[&str] = &[
    "approve",
    "reject",
    "rsvp",
    "intro_answer",
    "coffee_skip",
    "coffee_met",
    "agree",
    "broadcast",
    "job_interest",
];

/// Every valid action-id seed decodes as the kind its name says, `bad_` ones are refused, and
/// every kind has a seed.
#[test]
fn action_id_seeds_are_what_their_names_say_and_cover_every_kind() {
    let mut covered = Vec::new();
    for (name, bytes) in seeds("action_id") {
        let id = String::from_utf8(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        match (expected(&name), Action::decode(&id)) {
            (Some(want), Ok(a)) => {
                assert_eq!(kind_name(a), want, "seed {name} ({id:?}) read as {a:?}");
                assert_eq!(
                    a.encode(),
                    id.trim(),
                    "seed {name} is not as the bot writes it"
                );
                covered.push(want.to_owned());
            }
            (Some(_), Err(e)) => panic!("seed {name} ({id:?}) is refused: {}", e.key),
            (None, Ok(a)) => panic!("bad seed {name} ({id:?}) is read as {a:?}"),
            (None, Err(_)) => {}
        }
    }
    let missing: Vec<&&str> = KINDS
        .iter()
        .filter(|k| !covered.iter().any(|c| c == **k))
        .collect();
    assert!(
        missing.is_empty(),
        "no seed in fuzz/seeds/action_id for {missing:?}"
    );
}

/// Cells HR files hold, and the ones that go wrong: quotes, separators, full-width digits,
/// a lone `@`, control characters, CJK that Shift_JIS can and cannot encode.
const CELLS: &[&str] = &[
    "佐藤 洋介",
    "鈴木　花子",
    "Ann Lee",
    "O'Brien",
    "\"quoted\"",
    "a,b",
    "line\nbreak",
    "",
    " ",
    "@",
    "@ann",
    "@@x",
    "@ bob",
    "ann@example.com",
    "a@b",
    "x@y.jp ",
    "２０１５年",
    "2015",
    "2015/4/1",
    "2015-04-01",
    "1899",
    "2101",
    "20x0",
    "開発部",
    "髙橋",
    "😀",
    "\t",
    "\u{7}",
    "ｶﾀｶﾅ",
    "①",
    "\u{FEFF}",
];
const HEADERS: &[&str] = &[
    "name",
    "氏名",
    "email",
    "メールアドレス",
    "handle",
    "Slack",
    "department",
    "部署",
    "joined",
    "入社日",
    "left",
    "退職日",
    "company",
    "",
];

fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

/// Generated roster files (as opposed to mutated bytes): random headers and cells, LF or
/// CRLF, UTF-8 with or without BOM, or Shift_JIS as Excel writes it.
#[test]
fn generated_roster_files() {
    let mut rng = Rng(0xC5F);
    for _ in 0..2000 {
        let columns = 1 + rng.below(6);
        let newline = if rng.below(2) == 0 { "\n" } else { "\r\n" };
        let mut text = String::new();
        let header: Vec<&str> = (0..columns)
            .map(|_| HEADERS[rng.below(HEADERS.len())])
            .collect();
        text.push_str(&header.join(","));
        for _ in 0..rng.below(8) {
            text.push_str(newline);
            let cells: Vec<String> = (0..columns)
                .map(|_| quote(CELLS[rng.below(CELLS.len())]))
                .collect();
            text.push_str(&cells.join(","));
        }
        let bytes = match rng.below(3) {
            0 => text.into_bytes(),
            1 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
            _ => encoding_rs::SHIFT_JIS.encode(&text).0.into_owned(),
        };
        run("csv_import", &bytes, csv_import::check);
    }
}
