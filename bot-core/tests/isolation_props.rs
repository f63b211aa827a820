//! Property: whatever members of one community type or click, with whatever handles and ids
//! (including ones that exist only in another community), nothing of the other community is
//! shown to them, none of its rows change, and no job queued in their own community targets or
//! names the other community's members. One real SQLite file per test; each case gets two fresh
//! communities (Globex, the victim, seeded first, then Acme), and the ids a step types or clicks
//! are counted from where that case's rows start, so they hit Globex's rows first.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bot_core::action::Action;
use bot_core::clock::ManualClock;
use bot_core::command;
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::jobs::{Payload, Target};
use bot_core::reply::Reply;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, SqliteStore, Store};
use bot_core::testing::TempSqlite;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sqlx::{Row, SqlitePool};

/// Text that only the victim community's data holds.
const SECRETS: [&str; 7] = [
    "Globex Secret",
    "Globex Hidden",
    "Globex Pending",
    "Globex Summit",
    "Globex Opening",
    "Globex Memo",
    "Globex Whisper",
];
/// Handles that exist only in the victim community.
const GLOBEX_ONLY: [&str; 2] = ["gsecret", "gpend"];

fn actor(space: &str, name: &str) -> Actor {
    Actor {
        identity: Identity {
            platform: Platform::Shell,
            space_id: space.into(),
            user_id: name.into(),
            handle: name.into(),
        },
        locale: Some(Locale::En),
        platform_admin: false,
    }
}

/// Every row of `community`: tables with a `community_id` by it, tables keyed only by member
/// through the community's members. Values through `quote()`, so any type compares as text.
async fn snapshot(pool: &SqlitePool, community: i64) -> Vec<String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '_sqlx%' AND name NOT LIKE 'members_fts%' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{table}')"
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        let filter = if table == "communities" {
            "id = $1".to_owned()
        } else if columns.iter().any(|c| c == "community_id") {
            "community_id = $1".to_owned()
        } else if columns.iter().any(|c| c == "member_id") {
            "member_id IN (SELECT id FROM members WHERE community_id = $1)".to_owned()
        } else {
            continue;
        };
        let values = columns
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || ',' || ");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {values} FROM \"{table}\" WHERE {filter} ORDER BY rowid"
        )))
        .bind(community)
        .fetch_all(pool)
        .await
        .unwrap();
        for row in rows {
            out.push(format!("{table}: {}", row.get::<String, _>(0)));
        }
    }
    out
}

/// The id tables a step can point into, by the letter its template uses: `{m3}` is the third
/// member id of this case (Globex's come first).
const ID_TABLES: [(char, &str); 6] = [
    ('m', "members"),
    ('e', "events"),
    ('i', "intros"),
    ('o', "opportunities"),
    ('b', "broadcasts"),
    ('g', "coffee_groups"),
];

/// The last id each table handed out before this case (AUTOINCREMENT: never reused).
async fn id_bases(pool: &SqlitePool) -> Vec<(char, i64)> {
    let mut out = Vec::new();
    for (letter, table) in ID_TABLES {
        let base: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0), \
             COALESCE((SELECT MAX(id) FROM \"{table}\"), 0))"
        )))
        .fetch_one(pool)
        .await
        .unwrap();
        out.push((letter, base));
    }
    out
}

/// Fills a step's `{m3}`-style placeholders with this case's ids.
fn render(template: &str, bases: &[(char, i64)]) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find('}').expect("closed placeholder");
        let mut spec = rest[start + 1..end].chars();
        let letter = spec.next().expect("placeholder letter");
        let k: i64 = spec.as_str().parse().expect("placeholder offset");
        let base = bases.iter().find(|(l, _)| *l == letter).expect("known").1;
        out.push_str(&(base + k).to_string());
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// One thing a member of Acme does: a command line or a button id (templates, see `render`).
#[derive(Debug, Clone)]
enum Step {
    Say(String),
    Click(String),
}

/// Start of Globex's event (2026-12-20 19:00 in Tokyo), as its RSVP buttons carry it.
fn summit_occurrence() -> i64 {
    Utc.with_ymd_and_hms(2026, 12, 20, 10, 0, 0)
        .unwrap()
        .timestamp()
}

/// A coffee round in the future, for the skip button.
fn round_at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 14, 1, 0, 0).unwrap()
}

fn step() -> impl Strategy<Value = (usize, Step)> {
    // Handles that exist in Acme, in Globex only (gsecret, gpend), and in both (gx1, hr).
    let handle = || {
        prop::sample::select(vec![
            "alice", "bob", "carol", "gsecret", "gpend", "gx1", "hr",
        ])
    };
    let k = || 1i64..13;
    let line = prop_oneof![
        1 => Just("/alumni join name:Alice skills:Rust".to_owned()),
        1 => Just("/alumni join name:\"Bob Rust\" open_to:coffee".to_owned()),
        1 => prop::sample::select(vec!["rust", "globex", "secret", "hidden", "gx1", ""])
            .prop_map(|w| format!("/alumni search {w}")),
        1 => handle().prop_map(|h| format!("/alumni approve @{h}")),
        1 => handle().prop_map(|h| format!("/alumni reject @{h} reason:no")),
        1 => handle().prop_map(|h| format!("/alumni profile @{h}")),
        1 => handle().prop_map(|h| format!("/alumni role @{h} admin")),
        3 => handle().prop_map(|h| format!("/alumni block @{h}")),
        1 => handle().prop_map(|h| format!("/alumni unblock @{h}")),
        2 => handle().prop_map(|h| format!("/intro @{h} why:\"hello\"")),
        1 => (handle(), handle())
            .prop_filter("two different members", |(a, b)| a != b)
            .prop_map(|(a, b)| format!("/intro @{a} @{b} why:\"meet\"")),
        1 => k().prop_flat_map(|n| prop::sample::select(vec![
            format!("/event show {{e{n}}}"),
            format!("/event rsvp {{e{n}}} going"),
            format!("/event attendees {{e{n}}}"),
            format!("/event cancel {{e{n}}}"),
            format!("/event ics {{e{n}}}"),
            format!("/event edit {{e{n}}} title:\"Renamed\""),
        ])),
        1 => k().prop_flat_map(|n| prop::sample::select(vec![
            format!("/job show {{o{n}}}"),
            format!("/job close {{o{n}}}"),
        ])),
        1 => Just("/event create title:\"Acme party\" at:\"2026-12-18 19:00\"".to_owned()),
        1 => Just("/event list".to_owned()),
        1 => Just("/job post title:\"Acme role\" type:rehire".to_owned()),
        1 => Just("/job list".to_owned()),
        1 => Just("/coffee join".to_owned()),
        1 => Just("/coffee status".to_owned()),
        1 => Just("/alumni pending".to_owned()),
        1 => Just("/alumni profile set company:\"Acme\" skills:Go".to_owned()),
        1 => Just("/alumni leave delete:yes".to_owned()),
        1 => Just("/alumni mydata".to_owned()),
        1 => Just("/intro list".to_owned()),
        1 => Just("/admin audit".to_owned()),
        1 => Just("/admin export".to_owned()),
        1 => Just("/admin segment save rusty skills:Rust".to_owned()),
        1 => Just("/admin segment list".to_owned()),
        1 => Just("/admin broadcast segment:rusty message:\"Acme news\"".to_owned()),
    ];
    let occurrence = summit_occurrence();
    let round = round_at().timestamp();
    let click = k().prop_flat_map(move |n| {
        prop::sample::select(vec![
            format!("v1.ap.{{m{n}}}"),
            format!("v1.rj.{{m{n}}}"),
            format!("v1.in.{{i{n}}}.y"),
            format!("v1.in.{{i{n}}}.n"),
            format!("v1.rs.{{e{n}}}.{occurrence}.g"),
            format!("v1.cm.{{g{n}}}.y"),
            format!("v1.cs.{round}"),
            format!("v1.bc.{{b{n}}}"),
            format!("v1.ji.{{o{n}}}"),
            format!("v1.ag.{n}"),
        ])
    });
    let who = 0usize..PEOPLE.len();
    (
        who,
        prop_oneof![4 => line.prop_map(Step::Say), 1 => click.prop_map(Step::Click)],
    )
}

/// Acme's people; `gx1` and `hr` have namesakes in Globex.
const PEOPLE: [&str; 5] = ["hr", "alice", "bob", "carol", "gx1"];

/// What ran, across all cases, so the test can show its steps did something.
#[derive(Default)]
struct Tally {
    steps: AtomicUsize,
    blocks_done: AtomicUsize,
    acme_jobs_checked: AtomicUsize,
}

struct World {
    core: Core,
    store: Arc<dyn Store>,
    pool: SqlitePool,
    cases: AtomicUsize,
    tally: Tally,
}

impl World {
    async fn say(&self, space: &str, who: &str, line: &str) -> Reply {
        self.core.handle_text(&actor(space, who), line).await
    }

    /// A seeding step: it must work, or the case would test less than it claims.
    async fn seed(&self, space: &str, who: &str, line: &str) {
        let r = self.say(space, who, line).await;
        assert!(!r.error, "seeding {line:?} failed: {}", r.to_plain_text());
    }

    async fn community(&self, space: &str) -> i64 {
        self.core
            .community_of(Platform::Shell, space)
            .await
            .unwrap()
            .id
    }

    async fn member_id(&self, community: i64, handle: &str) -> i64 {
        self.store
            .member_by_handle(community, handle)
            .await
            .unwrap()
            .expect("seeded")
            .id
    }
}

/// Globex: members approved and pending, an event with an RSVP, an intro, an opportunity, a
/// previewed broadcast and a coffee group; all of it before Acme exists.
async fn seed_globex(w: &World, space: &str) -> i64 {
    w.seed(
        space,
        "gsecret",
        "/alumni join name:\"Globex Secret\" skills:Rust",
    )
    .await;
    w.seed(
        space,
        "gx1",
        "/alumni join name:\"Globex Hidden\" skills:Rust open_to:coffee",
    )
    .await;
    w.seed(space, "gpend", "/alumni join name:\"Globex Pending\"")
        .await;
    for line in [
        "/alumni approve @gsecret",
        "/alumni approve @gx1",
        "/event create title:\"Globex Summit\" at:\"2026-12-20 19:00\"",
        "/job post title:\"Globex Opening\" type:rehire",
        "/admin segment save rusty skills:Rust",
        "/admin broadcast segment:rusty message:\"Globex Memo\"",
    ] {
        w.seed(space, "hr", line).await;
    }
    let globex = w.community(space).await;
    let event: i64 = sqlx::query_scalar("SELECT id FROM events WHERE community_id = $1")
        .bind(globex)
        .fetch_one(&w.pool)
        .await
        .unwrap();
    w.seed(space, "gx1", &format!("/event rsvp {event} going"))
        .await;
    w.seed(space, "gx1", "/coffee join").await;
    w.seed(space, "gsecret", "/coffee join").await;
    w.seed(space, "gsecret", "/intro @gx1 why:\"Globex Whisper\"")
        .await;
    let (secret, hidden) = (
        w.member_id(globex, "gsecret").await,
        w.member_id(globex, "gx1").await,
    );
    w.store
        .save_round(globex, round_at(), &[vec![secret, hidden]])
        .await
        .unwrap();
    globex
}

/// Acme: hr (admin), alice, bob and its own gx1 approved, carol waiting.
async fn seed_acme(w: &World, space: &str) -> i64 {
    for (who, name) in [
        ("alice", "Alice Acme"),
        ("bob", "Bob Acme"),
        ("gx1", "Gx Acme"),
        ("carol", "Carol Acme"),
    ] {
        w.seed(space, who, &format!("/alumni join name:\"{name}\""))
            .await;
    }
    for who in ["alice", "bob", "gx1"] {
        w.seed(space, "hr", &format!("/alumni approve @{who}"))
            .await;
    }
    w.community(space).await
}

/// Every job queued in Acme: its member, its event and every id its payload targets is Acme's,
/// and its text names no one of Globex. Returns how many of them the steps queued (ids past
/// `seeded`).
async fn acme_jobs_stay_home(w: &World, acme: i64, seeded: i64) -> Result<usize, TestCaseError> {
    let rows = sqlx::query(
        "SELECT id, member_id, event_id, payload FROM jobs WHERE community_id = $1 ORDER BY id",
    )
    .bind(acme)
    .fetch_all(&w.pool)
    .await
    .unwrap();
    for row in &rows {
        let id: i64 = row.get("id");
        let payload_text: String = row.get("payload");
        for secret in SECRETS.iter().chain(&GLOBEX_ONLY) {
            prop_assert!(
                !payload_text.contains(secret),
                "Acme's job {id} names {secret:?}: {payload_text}"
            );
        }
        let mut refs: Vec<(&str, i64)> = Vec::new();
        if let Some(m) = row.get::<Option<i64>, _>("member_id") {
            refs.push(("members", m));
        }
        if let Some(e) = row.get::<Option<i64>, _>("event_id") {
            refs.push(("events", e));
        }
        let payload: Payload = serde_json::from_str(&payload_text)
            .map_err(|e| TestCaseError::fail(format!("job {id}: {e}: {payload_text}")))?;
        let target = |to: &Target, refs: &mut Vec<(&str, i64)>| match to {
            Target::Member(m) => refs.push(("members", *m)),
            Target::Group(ms) => refs.extend(ms.iter().map(|m| ("members", *m))),
            Target::Channel(_) => {}
        };
        match &payload {
            Payload::Notify { to, .. } | Payload::Update { to, .. } => target(to, &mut refs),
            Payload::Reminder { event, .. }
            | Payload::Roll { event, .. }
            | Payload::Refresh { event, .. } => refs.push(("events", *event)),
            Payload::IntroExpire { intro } => refs.push(("intros", *intro)),
            Payload::ProfileNudge { member } => refs.push(("members", *member)),
            Payload::Broadcast { broadcast } => refs.push(("broadcasts", *broadcast)),
            Payload::CoffeeAnnounce { .. }
            | Payload::CoffeeRound { .. }
            | Payload::CoffeeCheckin { .. }
            | Payload::JobDigest { .. } => {}
        }
        for (table, target) in refs {
            let owner: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT community_id FROM \"{table}\" WHERE id = $1"
            )))
            .bind(target)
            .fetch_optional(&w.pool)
            .await
            .unwrap();
            // An erased row leaves nothing to compare; a row of any other community is a leak.
            if let Some(owner) = owner {
                prop_assert_eq!(
                    owner,
                    acme,
                    "Acme's job {} points at {} {} of community {}: {}",
                    id,
                    table,
                    target,
                    owner,
                    payload_text
                );
            }
        }
    }
    Ok(rows
        .iter()
        .filter(|r| r.get::<i64, _>("id") > seeded)
        .count())
}

async fn run_case(w: &World, steps: Vec<(usize, Step)>) -> Result<(), TestCaseError> {
    let n = w.cases.fetch_add(1, Ordering::Relaxed);
    let (globex_space, acme_space) = (format!("globex{n}"), format!("acme{n}"));
    let bases = id_bases(&w.pool).await;
    let globex = seed_globex(w, &globex_space).await;
    let acme = seed_acme(w, &acme_space).await;
    let seeded_jobs: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM jobs")
        .fetch_one(&w.pool)
        .await
        .unwrap();
    let before = snapshot(&w.pool, globex).await;
    prop_assert!(before.iter().any(|r| r.contains("Globex Summit")));
    prop_assert!(before.iter().any(|r| r.contains("Globex Whisper")));

    for (who, step) in steps {
        let me = actor(&acme_space, PEOPLE[who]);
        let (reply, what) = match &step {
            Step::Say(template) => {
                let line = render(template, &bases);
                // A generator typo would only test an error path: every line must be a command.
                if let Err(e) = command::parse(&line) {
                    return Err(TestCaseError::fail(format!(
                        "the generator wrote {line:?}, which is no command: {}",
                        e.key
                    )));
                }
                (w.core.handle_text(&me, &line).await, line)
            }
            Step::Click(template) => {
                let id = render(template, &bases);
                prop_assert!(Action::decode(&id).is_ok(), "no button has the id {}", id);
                (w.core.handle_action(&me, &id).await, id)
            }
        };
        w.tally.steps.fetch_add(1, Ordering::Relaxed);
        if what.starts_with("/alumni block ") && !reply.error {
            w.tally.blocks_done.fetch_add(1, Ordering::Relaxed);
        }
        // The attachment too: a file (mydata, export, ics) is shown as much as the text.
        let shown = reply.to_plain_text();
        for secret in SECRETS {
            prop_assert!(
                !shown.contains(secret),
                "{} ran {what:?} and saw {secret:?}: {shown}",
                PEOPLE[who]
            );
        }
    }
    let after = snapshot(&w.pool, globex).await;
    prop_assert_eq!(before, after, "Globex's rows changed");
    let jobs = acme_jobs_stay_home(w, acme, seeded_jobs).await?;
    w.tally.acme_jobs_checked.fetch_add(jobs, Ordering::Relaxed);
    Ok(())
}

#[test]
fn nothing_typed_or_clicked_in_one_community_reaches_another() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // One database for every case (a fresh one each would cost most of the run); each case
    // makes its own two communities in it.
    let db = TempSqlite::new("isolation");
    let sqlite = runtime.block_on(SqliteStore::connect(&db.url())).unwrap();
    let pool = sqlite.pool().clone();
    let store: Arc<dyn Store> = Arc::new(sqlite);
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(),
    ));
    let core = Core::new(
        store.clone(),
        clock,
        CoreConfig {
            bootstrap_admins: vec!["hr".into()],
            community_defaults: NewCommunity {
                name: "Alumni".into(),
                locale: Locale::En,
                timezone: "Asia/Tokyo".into(),
                requires_approval: true,
            },
        },
    );
    let world = World {
        core,
        store,
        pool,
        cases: AtomicUsize::new(0),
        tally: Tally::default(),
    };
    let mut runner = TestRunner::new(Config {
        cases: 256,
        // Cases run in a shared database here, not in a proptest! fn with a source file.
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(step(), 1..25), |steps| {
        runtime.block_on(run_case(&world, steps))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let tally = &world.tally;
    let (steps, blocks, jobs) = (
        tally.steps.load(Ordering::Relaxed),
        tally.blocks_done.load(Ordering::Relaxed),
        tally.acme_jobs_checked.load(Ordering::Relaxed),
    );
    eprintln!("{steps} steps; {blocks} blocks made; {jobs} jobs the steps queued checked");
    // The old generator's `/block @h` was no command: blocking never ran. Now it must.
    assert!(blocks > 0, "no /alumni block step ever succeeded");
    assert!(
        jobs > 0,
        "no step queued a job in Acme, so none was checked"
    );
    runtime.block_on(world.pool.close());
}
