//! Command latency through the core: a typed line parsed, run against a real store, and
//! rendered as a `Reply`, as every adapter calls it (`Core::handle_text`). On a SQLite file and
//! a PostgreSQL database. Beside the latency: the SQL statements each command ran (counted from
//! sqlx's own statement events) and the process CPU it took (every thread, the SQLite worker
//! threads included, from `/proc/self/task/*/schedstat`), so a command that starts touching
//! the database again, or costs more, shows here.
//!
//! `cargo bench -p bot-core --bench commands`. `ALUMNI_BENCH_COMMANDS` (default 1000) members
//! join, each searches once and each RSVPs once to one event; `ALUMNI_BENCH_BACKENDS`
//! (default `sqlite,postgres`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tracing_subscriber::layer::SubscriberExt;

use bot_core::clock::ManualClock;
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, PgStore, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{TimeZone, Utc};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn actor(name: &str) -> Actor {
    Actor {
        identity: Identity {
            platform: Platform::Shell,
            space_id: "bench".into(),
            user_id: name.into(),
            handle: name.into(),
        },
        locale: Some(Locale::Ja),
        platform_admin: false,
    }
}

fn core(store: Arc<dyn Store>) -> Core {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap();
    Core::new(
        store,
        Arc::new(ManualClock::new(now)),
        CoreConfig {
            bootstrap_admins: vec!["hr".into()],
            community_defaults: NewCommunity {
                name: "ベンチ".into(),
                locale: Locale::Ja,
                timezone: "Asia/Tokyo".into(),
                // Joins are approved at once, so every joiner can search and RSVP.
                requires_approval: false,
            },
        },
    )
}

/// p50 and p99 in milliseconds.
fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1];
    (at(0.50), at(0.99))
}

const SURNAMES: [&str; 8] = [
    "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "Smith", "Brown",
];
const GIVEN: [&str; 6] = ["太郎", "花子", "洋介", "John", "Mary", "結衣"];
const SKILLS: [&str; 6] = ["Rust", "Go", "経理", "人事", "TypeScript", "採用"];

/// SQL statements run so far (sqlx reports each one as an event on `sqlx::query`).
static STATEMENTS: AtomicU64 = AtomicU64::new(0);

struct CountStatements;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountStatements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            STATEMENTS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// CPU time of every thread of this process so far, in nanoseconds.
fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Latencies, and per command the statements run and the CPU taken.
struct Timed {
    ms: Vec<f64>,
    statements: f64,
    cpu_us: f64,
}

/// Runs `line(i)` as member `i` for every i, timing each; panics if a reply is an error.
async fn timed(core: &Core, n: usize, line: impl Fn(usize) -> String) -> Timed {
    let mut ms = Vec::with_capacity(n);
    let (statements, cpu) = (STATEMENTS.load(Ordering::Relaxed), process_cpu_ns());
    for i in 0..n {
        let text = line(i);
        let start = Instant::now();
        let reply = core.handle_text(&actor(&format!("m{i}")), &text).await;
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
        assert!(!reply.error, "{text}: {}", reply.to_plain_text());
    }
    Timed {
        ms,
        statements: (STATEMENTS.load(Ordering::Relaxed) - statements) as f64 / n as f64,
        cpu_us: (process_cpu_ns() - cpu) as f64 / n as f64 / 1000.0,
    }
}

async fn run(label: &str, store: Arc<dyn Store>, n: usize) {
    let core = core(store);
    let admin = actor("hr");
    core.handle_text(&admin, "/alumni help").await;
    let join = timed(&core, n, |i| {
        format!(
            "/alumni join name:\"{} {}{i}\" joined:2012 left:2020 skills:{},{} open_to:rehire,coffee bio:\"bench member {i}\"",
            SURNAMES[i % SURNAMES.len()],
            GIVEN[i % GIVEN.len()],
            SKILLS[i % SKILLS.len()],
            SKILLS[(i / 7) % SKILLS.len()],
        )
    })
    .await;
    let search = timed(&core, n, |i| match i % 3 {
        0 => "/alumni search 田中".to_owned(),
        1 => "/alumni search rust".to_owned(),
        _ => "/alumni search skills:Go left:2015-2022".to_owned(),
    })
    .await;
    let created = core
        .handle_text(
            &admin,
            "/event create title:\"年末交流会\" at:\"2026-12-18 19:00\" capacity:100000 remind:1d,1h",
        )
        .await;
    assert!(!created.error, "{}", created.to_plain_text());
    let rsvp = timed(&core, n, |i| {
        let choice = ["going", "maybe", "going", "no"][i % 4];
        format!("/event rsvp 1 {choice}")
    })
    .await;
    for (command, t) in [("join", join), ("search", search), ("RSVP", rsvp)] {
        let (p50, p99) = percentiles(t.ms);
        println!(
            "| {label} | {command} | {n} | {p50:.2} | {p99:.2} | {:.1} | {:.0} |",
            t.statements, t.cpu_us
        );
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(CountStatements))
        .expect("subscriber");
    let n = env_usize("ALUMNI_BENCH_COMMANDS", 1000);
    let backends =
        std::env::var("ALUMNI_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    println!("| backend | command | runs | p50 ms | p99 ms | statements | CPU µs |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    if backends.contains("sqlite") {
        let db = TempSqlite::new("bench-commands");
        let store = SqliteStore::connect(&db.url()).await.expect("sqlite");
        run("SQLite", Arc::new(store), n).await;
    }
    if backends.contains("postgres") {
        let db = TempPostgres::create("bench_commands")
            .await
            .expect("PostgreSQL (set ALUMNI_TEST_PG_URL)");
        let store = PgStore::connect(&db.url).await.expect("postgres");
        run("PostgreSQL", Arc::new(store), n).await;
        db.drop_db().await;
    }
}
