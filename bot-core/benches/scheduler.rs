//! Scheduler throughput and idle cost, on a real SQLite file and a real PostgreSQL database.
//!
//! `cargo bench -p bot-core --bench scheduler`. Sizes: ALUMNI_BENCH_JOBS (default 10000) jobs
//! delivered through a no-op Messenger; ALUMNI_BENCH_FUTURE (default 100000) future jobs while
//! the scheduler idles for ALUMNI_BENCH_IDLE_SECS (default 40, so the 30 s safety wake-up is included) seconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bot_core::clock::SystemClock;
use bot_core::domain::Platform;
use bot_core::i18n::Locale;
use bot_core::jobs::{NewJob, Payload, Target};
use bot_core::messenger::{Delivery, DeliveryError, Messenger};
use bot_core::reply::Reply;
use bot_core::scheduler::Scheduler;
use bot_core::service::{Core, CoreConfig};
use bot_core::store::{NewCommunity, PgStore, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{TimeDelta, Utc};

struct Noop;

#[async_trait]
impl Messenger for Noop {
    async fn deliver(&self, _d: &Delivery) -> Result<Option<String>, DeliveryError> {
        Ok(None)
    }
    async fn update(&self, _d: &Delivery, _r: &str) -> Result<(), DeliveryError> {
        Ok(())
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU seconds this process has used (user + system), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the ')'.
    (ticks(11) + ticks(12)) / 100.0
}

fn jobs(community: i64, n: usize, due_in: TimeDelta, tag: &str) -> Vec<NewJob> {
    let due = Utc::now() + due_in;
    (0..n)
        .map(|i| NewJob {
            community_id: community,
            member_id: None,
            event_id: None,
            payload: Payload::Notify {
                to: Target::Channel("general".into()),
                reply: Reply::text(Locale::Ja, format!("リマインド {i}")),
            },
            key: format!("{tag}:{i}"),
            due_at: due,
            valid_until: None,
        })
        .collect()
}

async fn bench(name: &str, store: Arc<dyn Store>) {
    let defaults = NewCommunity {
        name: "Bench".into(),
        locale: Locale::Ja,
        timezone: "Asia/Tokyo".into(),
        requires_approval: true,
    };
    let community = store
        .community_for_space(Platform::Shell, "local", &defaults)
        .await
        .unwrap();
    let core = Arc::new(Core::new(
        store.clone(),
        Arc::new(SystemClock),
        CoreConfig {
            bootstrap_admins: Vec::new(),
            community_defaults: defaults,
        },
    ));

    let n = env_usize("ALUMNI_BENCH_JOBS", 10_000);
    for chunk in jobs(community.id, n, TimeDelta::zero(), "now").chunks(1000) {
        store.enqueue(chunk).await.unwrap();
    }
    let scheduler = Scheduler::new(core.clone(), Arc::new(Noop));
    let started = Instant::now();
    let stats = scheduler.run_until_idle().await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(stats.delivered, n);
    println!(
        "| {name} | claim + deliver + finish, no-op Messenger | {n} jobs | {secs:.2} s | {:.0} jobs/s |",
        n as f64 / secs
    );

    let future = env_usize("ALUMNI_BENCH_FUTURE", 100_000);
    for chunk in jobs(community.id, future, TimeDelta::days(1), "future").chunks(2000) {
        store.enqueue(chunk).await.unwrap();
    }
    let idle = Duration::from_secs(env_usize("ALUMNI_BENCH_IDLE_SECS", 40) as u64);
    let runner = tokio::spawn(Scheduler::new(core, Arc::new(Noop)).run());
    tokio::time::sleep(Duration::from_secs(1)).await; // let it settle into its sleep
    let cpu0 = cpu_seconds();
    tokio::time::sleep(idle).await;
    let cpu = cpu_seconds() - cpu0;
    runner.abort();
    println!(
        "| {name} | idle with {future} future jobs | {:.0} s | {cpu:.2} CPU-s | {:.3} % of one core |",
        idle.as_secs_f64(),
        100.0 * cpu / idle.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    println!("| backend | what | size | time | result |\n|---|---|---|---|---|");
    let file = TempSqlite::new("bench-scheduler");
    let sqlite = SqliteStore::connect(&file.url()).await.unwrap();
    bench("SQLite", Arc::new(sqlite)).await;
    if let Some(db) = TempPostgres::create("benchsched").await {
        let pg = PgStore::connect(&db.url).await.unwrap();
        bench("PostgreSQL", Arc::new(pg.clone())).await;
        pg.pool().close().await;
        db.drop_db().await;
    }
}
