//! Nothing lost, nothing doubled: the real binary's `deliver` command, killed with SIGKILL at
//! random points while it fans out reminders, restarted each time; and two processes sharing
//! one PostgreSQL database. Deliveries go to a file (`--log`), the only fake: the network edge.
//! Every attempt is logged, so the crash test sees the kills re-send messages that were already
//! posted, and that the platform's nonce window (`--dedupe`) is what keeps them single.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bot_core::clock::SystemClock;
use bot_core::domain::{Identity, MemberStatus, Platform, Profile, Role};
use bot_core::i18n::Locale;
use bot_core::jobs::{NewJob, Payload, Target};
use bot_core::reply::Reply;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, NewMember, PgStore, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{SecondsFormat, TimeDelta, Timelike, Utc};

fn defaults() -> NewCommunity {
    NewCommunity {
        name: "Alumni".into(),
        locale: Locale::Ja,
        timezone: "Asia/Tokyo".into(),
        requires_approval: true,
    }
}

fn identity(name: &str) -> Identity {
    Identity {
        platform: Platform::Shell,
        space_id: "local".into(),
        user_id: name.into(),
        handle: name.into(),
    }
}

fn deliver(db: &str, log: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_alumni-bot"));
    cmd.arg("deliver")
        .arg("--log")
        .arg(log)
        .arg("--until-idle")
        .args(extra)
        .env("DATABASE_URL", db)
        .env_remove("ALUMNI_CONFIG")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Sends in the log, by key: how often each reached the platform (`KEY…` lines) and how often
/// it was attempted (those and the `dropped:KEY…` repeats a deduplicating edge refused). Edits
/// are not counted.
struct Log {
    delivered: HashMap<String, usize>,
    attempted: HashMap<String, usize>,
}

fn read_log(log: &Path) -> Log {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut out = Log {
        delivered: HashMap::new(),
        attempted: HashMap::new(),
    };
    for line in text.lines() {
        let key = line.split('\t').next().unwrap_or("");
        if key.starts_with("edit:") {
            continue;
        }
        let sent = key.strip_prefix("dropped:");
        let key = sent.unwrap_or(key).to_owned();
        *out.attempted.entry(key.clone()).or_insert(0) += 1;
        if sent.is_none() {
            *out.delivered.entry(key).or_insert(0) += 1;
        }
    }
    out
}

/// A tiny deterministic PRNG, so a failing run can be repeated.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_delivering_1000_reminders_loses_nothing() {
    const MEMBERS: usize = 1000;
    let db = TempSqlite::new("crash");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&db.url()).await.unwrap());
    let core = Core::new(
        store.clone(),
        Arc::new(SystemClock),
        CoreConfig {
            bootstrap_admins: vec!["hr".into()],
            community_defaults: defaults(),
        },
    );
    let community = store
        .community_for_space(Platform::Shell, "local", &defaults())
        .await
        .unwrap();
    let mut actors = Vec::new();
    for i in 0..MEMBERS {
        let name = format!("m{i:04}");
        store
            .insert_member(
                community.id,
                &NewMember {
                    identity: identity(&name),
                    status: MemberStatus::Approved,
                    role: Role::Member,
                    profile: Profile {
                        name: name.clone(),
                        ..Profile::default()
                    },
                    locale: Some(if i % 2 == 0 { Locale::Ja } else { Locale::En }),
                    timezone: None,
                },
                &|_| Vec::new(),
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        actors.push(Actor {
            identity: identity(&name),
            locale: None,
            platform_admin: false,
        });
    }
    // Times are read to the minute: the event starts on the first whole minute at least 30
    // minutes and 2 seconds away, with a 30-minute reminder: due in 2 to 62 seconds.
    let soonest = Utc::now() + TimeDelta::seconds(1802);
    let start = soonest
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .map(|t| {
            if t < soonest {
                t + TimeDelta::minutes(1)
            } else {
                t
            }
        })
        .unwrap();
    let reminder_due = start - TimeDelta::minutes(30);
    let at = start.to_rfc3339_opts(SecondsFormat::Secs, true);
    let hr = Actor {
        identity: identity("hr"),
        locale: None,
        platform_admin: false,
    };
    let created = core
        .handle_text(
            &hr,
            &format!("/event create title:Crash at:{at} remind:30m"),
        )
        .await;
    assert!(created.text.contains("#1"), "{}", created.text);
    for actor in &actors {
        let r = core.handle_text(actor, "/event rsvp 1 going").await;
        assert!(!r.error, "{}", r.text);
    }
    let wait = (reminder_due - Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(1);
    tokio::time::sleep(wait).await;

    let log = db.path.with_file_name("deliveries.log");
    // The edge as Discord's is: a repeated nonce within a minute is dropped (the attempt is
    // still logged), and each answer comes 20 ms after the message is posted, so a kill can
    // land between a post and the job being marked done.
    let args = [
        "--dedupe",
        "--dedupe-window-secs",
        "60",
        "--latency-ms",
        "20",
        "--lease-secs",
        "1",
    ];
    let mut seed = 0x5eed_u64;
    let started = Instant::now();
    for _ in 0..20 {
        let mut child = deliver(&db.url(), &log, &args).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(150 + next(&mut seed) % 500));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    let status = deliver(&db.url(), &log, &args).status().unwrap();
    assert!(status.success());

    let Log {
        delivered,
        attempted,
    } = read_log(&log);
    let reminders: Vec<_> = delivered.keys().filter(|k| k.starts_with("rem:")).collect();
    let dms = reminders.iter().filter(|k| k.contains(":m")).count();
    let channel = reminders.iter().filter(|k| k.ends_with(":ch")).count();
    let attempts: usize = attempted.values().sum();
    // Attempts beyond each job's first: a kill came after the post and before "done".
    let again = attempts - attempted.len();
    let twice: Vec<_> = delivered.iter().filter(|(_, n)| **n > 1).collect();
    let pool = SqliteStore::connect(&db.url()).await.unwrap();
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state <> 'done'")
        .fetch_one(pool.pool())
        .await
        .unwrap();
    eprintln!(
        "crash test: {dms} DMs + {channel} channel post delivered after 20 SIGKILLs in {:?}; \
         {attempts} attempts for {} jobs: {again} re-sent after a kill (each a duplicate \
         without the nonce), {} posted twice",
        started.elapsed(),
        attempted.len(),
        twice.len()
    );
    assert_eq!(dms, MEMBERS, "every going member got the reminder");
    assert_eq!(channel, 1);
    assert!(
        delivered.contains_key("ann:1"),
        "the announcement was posted"
    );
    assert!(
        again > 0,
        "no kill interrupted a delivery: the test proved nothing about re-attempts"
    );
    assert_eq!(
        attempted
            .keys()
            .filter(|k| !delivered.contains_key(*k))
            .count(),
        0,
        "every attempted job was delivered"
    );
    assert!(
        twice.is_empty(),
        "re-attempts keep their key and come within the nonce window, yet {} jobs were \
         posted more than once, e.g. {:?}",
        twice.len(),
        &twice[..twice.len().min(5)]
    );
    assert_eq!(pending, 0, "every job finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_postgres_deliver_10000_jobs_exactly_once() {
    const JOBS: usize = 10_000;
    let Some(db) = TempPostgres::create("twoproc").await else {
        return;
    };
    let store = PgStore::connect(&db.url).await.unwrap();
    let community = store
        .community_for_space(Platform::Shell, "local", &defaults())
        .await
        .unwrap();
    let now = Utc::now();
    let jobs: Vec<NewJob> = (0..JOBS)
        .map(|i| NewJob {
            community_id: community.id,
            member_id: None,
            event_id: None,
            payload: Payload::Notify {
                to: Target::Channel("general".into()),
                reply: Reply::text(Locale::En, format!("message {i}")),
            },
            key: format!("bulk:{i}"),
            due_at: now,
            valid_until: None,
        })
        .collect();
    for chunk in jobs.chunks(1000) {
        store.enqueue(chunk).await.unwrap();
    }
    let dir = TempSqlite::new("twoproc-log");
    let log = dir.path.with_file_name("deliveries.log");
    let started = Instant::now();
    // No dedupe: the log shows every send, so a double claim would show as a duplicate.
    let mut a = deliver(&db.url, &log, &[]).spawn().unwrap();
    let mut b = deliver(&db.url, &log, &[]).spawn().unwrap();
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let elapsed = started.elapsed();
    let counts = read_log(&log).delivered;
    let once = counts.values().filter(|n| **n == 1).count();
    let twice: usize = counts.values().filter(|n| **n > 1).count();
    eprintln!(
        "two processes: {JOBS} jobs in {elapsed:?}; {once} delivered once, {twice} more than once"
    );
    assert_eq!(counts.len(), JOBS, "none lost");
    assert_eq!(twice, 0, "none delivered twice");
    store.pool().close().await;
    db.drop_db().await;
}
