//! The cargo-fuzz targets `grammar`, `action_id` and `csv_import`, replayed on stable (CI has
//! no nightly): the same check functions (`fuzz/checks/`) over every seed in `fuzz/seeds/`
//! and a few thousand deterministic mutants of them, plus generated roster files. A panic or
//! a failed property names the input.

#[path = "../../fuzz/checks/action_id.rs"]
mod action_id;
#[path = "../../fuzz/checks/csv_import.rs"]
mod csv_import;
#[path = "../../fuzz/checks/grammar.rs"]
mod grammar;
#[path = "../../fuzz/checks/replay.rs"]
mod replay;

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
