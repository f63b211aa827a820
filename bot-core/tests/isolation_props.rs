//! Property: whatever members of one community type or click, with whatever handles and ids
//! (including ones that exist only in another community), nothing of the other community is
//! shown to them and none of its rows change. Two communities on one real SQLite file; the
//! other one's rows are snapshotted from every table before and compared after.

use std::sync::Arc;

use bot_core::clock::ManualClock;
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, SqliteStore, Store};
use bot_core::testing::TempSqlite;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use sqlx::{Row, SqlitePool};

const ACME: &str = "acme";
const GLOBEX: &str = "globex";
/// Text that only the other community's data holds.
const SECRETS: [&str; 3] = ["Globex Secret", "Globex Hidden", "Globex Summit"];

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

/// One thing a member of Acme does: a command line or a button id.
#[derive(Debug, Clone)]
enum Step {
    Say(String),
    Click(String),
}

fn step() -> impl Strategy<Value = (usize, Step)> {
    // Handles that exist in Acme, in Globex only (gsecret), and in both (gx1).
    let handle = prop::sample::select(vec!["alice", "bob", "carol", "gsecret", "gx1", "hr"]);
    let id = 1i64..14;
    let line = prop_oneof![
        Just("/alumni join name:Alice skills:Rust".to_owned()),
        Just("/alumni join name:\"Bob Rust\" open_to:coffee".to_owned()),
        prop::sample::select(vec!["rust", "globex", "secret", "hidden", "gx1", ""])
            .prop_map(|w| format!("/alumni search {w}")),
        handle.clone().prop_map(|h| format!("/alumni approve @{h}")),
        handle
            .clone()
            .prop_map(|h| format!("/alumni reject @{h} reason:no")),
        handle.clone().prop_map(|h| format!("/alumni profile @{h}")),
        handle
            .clone()
            .prop_map(|h| format!("/alumni role @{h} admin")),
        handle
            .clone()
            .prop_map(|h| format!("/intro @{h} why:\"hello\"")),
        handle.prop_map(|h| format!("/block @{h}")),
        id.clone().prop_flat_map(|n| prop::sample::select(vec![
            format!("/event show {n}"),
            format!("/event rsvp {n} going"),
            format!("/event attendees {n}"),
            format!("/event cancel {n}"),
            format!("/event ics {n}"),
        ])),
        Just("/event create title:\"Acme party\" at:\"2026-12-18 19:00\"".to_owned()),
        Just("/event list".to_owned()),
        Just("/alumni pending".to_owned()),
        Just("/alumni profile set company:\"Acme\" skills:Go".to_owned()),
        Just("/alumni leave delete:yes".to_owned()),
        Just("/intro list".to_owned()),
    ];
    let occurrence = Utc
        .with_ymd_and_hms(2026, 12, 20, 10, 0, 0)
        .unwrap()
        .timestamp();
    let click = id.prop_flat_map(move |n| {
        prop::sample::select(vec![
            format!("v1.ap.{n}"),
            format!("v1.rj.{n}"),
            format!("v1.in.{n}.y"),
            format!("v1.rs.{n}.{occurrence}.g"),
        ])
    });
    let who = 0usize..5;
    (
        who,
        prop_oneof![4 => line.prop_map(Step::Say), 1 => click.prop_map(Step::Click)],
    )
}

async fn run_case(steps: Vec<(usize, Step)>) -> Result<(), TestCaseError> {
    let db = TempSqlite::new("isolation");
    let sqlite = SqliteStore::connect(&db.url()).await.unwrap();
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
    // Globex first: its ids come first, so Acme's crafted ids hit Globex's rows.
    for line in [
        "/alumni join name:\"Globex Secret\" skills:Rust",
        "/alumni join name:\"Globex Hidden\" skills:Rust open_to:coffee",
    ] {
        let who = if line.contains("Secret") {
            "gsecret"
        } else {
            "gx1"
        };
        core.handle_text(&actor(GLOBEX, who), line).await;
    }
    for line in [
        "/alumni approve @gsecret",
        "/alumni approve @gx1",
        "/event create title:\"Globex Summit\" at:\"2026-12-20 19:00\"",
    ] {
        core.handle_text(&actor(GLOBEX, "hr"), line).await;
    }
    core.handle_text(&actor(GLOBEX, "gx1"), "/event rsvp 1 going")
        .await;
    let globex = store
        .member_by_handle(
            store
                .community_for_space(
                    Platform::Shell,
                    GLOBEX,
                    &NewCommunity {
                        name: String::new(),
                        locale: Locale::En,
                        timezone: "Asia/Tokyo".into(),
                        requires_approval: true,
                    },
                )
                .await
                .unwrap()
                .id,
            "gsecret",
        )
        .await
        .unwrap()
        .expect("seeded")
        .community_id;
    let before = snapshot(&pool, globex).await;
    prop_assert!(before.iter().any(|r| r.contains("Globex Summit")));

    let people = ["hr", "alice", "bob", "carol", "gx1"];
    for (who, step) in steps {
        let me = actor(ACME, people[who]);
        let (shown, what) = match &step {
            Step::Say(line) => (core.handle_text(&me, line).await.to_plain_text(), line),
            Step::Click(id) => (core.handle_action(&me, id).await.to_plain_text(), id),
        };
        for secret in SECRETS {
            prop_assert!(
                !shown.contains(secret),
                "{} ran {what:?} and saw {secret:?}: {shown}",
                people[who]
            );
        }
    }
    let after = snapshot(&pool, globex).await;
    prop_assert_eq!(before, after, "Globex's rows changed");
    pool.close().await;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn nothing_typed_or_clicked_in_one_community_reaches_another(
        steps in prop::collection::vec(step(), 1..25)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(run_case(steps))?;
    }
}
