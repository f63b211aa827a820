//! Replaying the fuzz targets on stable (CI has no nightly): every seed in
//! `fuzz/seeds/<target>/`, then deterministic mutants of them (byte flips, inserted and
//! deleted runs, splices, the grammar's and formats' own tokens), so CI runs the same checks
//! over a few thousand inputs in a second or two.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::PathBuf;

/// Tokens worth inserting: quoting, escapes, separators, encodings' tricky bytes.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"\\\"",
    "“".as_bytes(),
    "”".as_bytes(),
    b":",
    "：".as_bytes(),
    b",",
    b"\n",
    b"\r\n",
    b"\r",
    b"\t",
    b" ",
    "　".as_bytes(),
    b"=",
    b"&",
    b"%",
    b"%22",
    b"%0A",
    b"+",
    b"{",
    b"}",
    b"[",
    b"]",
    b"null",
    b"<@U1|x>",
    b"@",
    b"#",
    b"\xEF\xBB\xBF",
    b"\x82\xA0",
    b"\x81",
    b"\xFF",
    b"\x00",
    "佐藤".as_bytes(),
    "😀".as_bytes(),
    b"2015",
    b"2015-04-01",
    "年".as_bytes(),
    b"-9223372036854775808",
    b"v0=",
    b"name:",
    b"payload=",
    b"v1.",
];

pub fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("seed entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("read seed"))
        })
        .collect();
    out.sort();
    out
}

/// SplitMix64: deterministic, so a failure here fails the same way every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `count` mutants of `seeds`, each one to four edits away from a seed. The first byte (the
/// slack target's mode) is kept, so mutants stay mostly on their seed's path.
pub fn mutants(seeds: &[(String, Vec<u8>)], count: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|_| {
            let mut input = seeds[rng.below(seeds.len())].1.clone();
            for _ in 0..1 + rng.below(4) {
                let at = 1 + rng.below(input.len());
                let at = at.min(input.len());
                match rng.below(5) {
                    0 if at < input.len() => input[at] ^= 1 << rng.below(8),
                    1 => {
                        let token = TOKENS[rng.below(TOKENS.len())];
                        input.splice(at..at, token.iter().copied());
                    }
                    2 => {
                        let end = (at + 1 + rng.below(8)).min(input.len());
                        input.drain(at..end);
                    }
                    3 => {
                        let other = &seeds[rng.below(seeds.len())].1;
                        let from = rng.below(other.len());
                        let end = (from + 1 + rng.below(32)).min(other.len());
                        input.splice(at..at, other[from..end].iter().copied());
                    }
                    _ => input.truncate(at),
                }
            }
            input
        })
        .collect()
}

/// Runs `check` on `input`, naming the input if it panics.
pub fn run(target: &str, input: &[u8], check: fn(&[u8])) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(input))) {
        eprintln!(
            "{target}: failing input {:?}",
            String::from_utf8_lossy(input)
        );
        resume_unwind(panic);
    }
}
