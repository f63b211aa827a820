//! Coffee-chat pairing benchmark: `cargo bench -p bot-core --bench pairing`.
//!
//! Builds a deterministic community (8 departments, about 15% current employees), runs twelve
//! past rounds (`ALUMNI_BENCH_ROUNDS`) through `pair` itself to make a realistic history, then times one more round
//! and prints a markdown table: median time, repeats, unplaced and the soft-constraint counts.
//!
//! Environment:
//! - `ALUMNI_BENCH_CANDIDATES` people taking part (default 10000).
//! - `ALUMNI_BENCH_ITERS` timed runs per row, after a warm-up (default 9).
//! - `ALUMNI_BENCH_ROUNDS` past rounds of history (default 12).

use std::time::Instant;

use bot_core::pairing::{Blocks, Candidate, History, Rules, pair};

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// SplitMix64, to make the same community on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Sales",
    "Marketing",
    "Support",
    "Finance",
    "People",
    "Design",
    "Legal",
];

fn community(n: usize, rng: &mut Rng) -> Vec<Candidate> {
    (0..n)
        .map(|i| Candidate {
            id: 1_000_000 + i as i64 * 3,
            department: (rng.below(10) != 0)
                .then(|| DEPARTMENTS[rng.below(DEPARTMENTS.len())].to_string()),
            employee: rng.below(100) < 15,
        })
        .collect()
}

fn row(label: &str, people: &[Candidate], blocks: &Blocks, rules: &Rules, iters: usize) {
    let mut history = History::new();
    for seed in 0..env_usize("ALUMNI_BENCH_ROUNDS", 12) as u64 {
        let round = pair(people, &history, blocks, rules, seed);
        history.record_round(&round);
    }
    let seed = 1_000; // the next round, after the history
    let round = pair(people, &history, blocks, rules, seed); // warm-up
    let mut times: Vec<f64> = (0..iters)
        .map(|_| {
            let started = Instant::now();
            let again = pair(people, &history, blocks, rules, seed);
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(again, round, "pairing is deterministic");
            ms
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "| {label} | {} | {} | {} | {} | {median:.1} | {} | {} | {} | {} |",
        people.len(),
        rules.group_size(),
        history.len(),
        blocks.len(),
        round.repeats,
        round.unplaced.len(),
        round.same_department,
        round.mixed_groups,
    );
}

fn main() {
    let n = env_usize("ALUMNI_BENCH_CANDIDATES", 10_000);
    let iters = env_usize("ALUMNI_BENCH_ITERS", 9).max(1);
    let mut rng = Rng(2024);
    let people = community(n, &mut rng);
    let mut blocks = Blocks::new();
    for _ in 0..n / 10 {
        let (a, b) = (rng.below(n), rng.below(n));
        blocks.insert(people[a].id, people[b].id);
    }
    let all = Rules {
        size: 2,
        mix_alumni_employee: true,
        avoid_same_department: true,
    };
    println!(
        "| rules | candidates | size | history pairs (12 rounds) | blocks | median ms | repeats | unplaced | same-dept pairs | mixed groups |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let none = Blocks::new();
    row("none", &people, &none, &Rules::default(), iters);
    row("mix + avoid dept", &people, &none, &all, iters);
    row("mix + avoid dept", &people, &blocks, &all, iters);
    row(
        "mix + avoid dept",
        &people,
        &blocks,
        &Rules { size: 3, ..all },
        iters,
    );
    row(
        "mix + avoid dept",
        &people,
        &blocks,
        &Rules { size: 4, ..all },
        iters,
    );
}
