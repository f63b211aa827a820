//! Commands read the community, the asker, the purpose, consents, blocks and the directory
//! from memory (`store::live`). These tests run two bot instances (two cores, two stores) on
//! one real database, on both backends: whatever one writes, the other's very next command
//! acts on — an approval, a block, a role, a new purpose, a profile edit. On SQLite a write by
//! another process (a command-line tool on the same file, no hooks of ours) is seen within
//! moments too.

use std::sync::Arc;

use bot_core::clock::ManualClock;
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, PgStore, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{TimeZone, Utc};

fn core(store: Arc<dyn Store>) -> Core {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(),
    ));
    Core::new(
        store,
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
    )
}

async fn say(core: &Core, name: &str, line: &str) -> String {
    let actor = Actor {
        identity: Identity {
            platform: Platform::Shell,
            space_id: "acme".into(),
            user_id: name.into(),
            handle: name.into(),
        },
        locale: Some(Locale::En),
        platform_admin: false,
    };
    core.handle_text(&actor, line).await.to_plain_text()
}

/// Two instances `a` and `b` on one database: each step writes on one and checks the other.
async fn instances_agree(a: &Core, b: &Core) {
    say(a, "hr", "/alumni help").await;
    say(b, "ken", "/alumni join name:\"Ken Sato\" skills:Rust").await;
    say(b, "yui", "/alumni join name:\"Yui Tanaka\" skills:Rust").await;
    // Ken is pending on b: his search is refused there, and cached so.
    let refused = say(b, "ken", "/alumni search rust").await;
    assert!(refused.contains("waiting for approval"), "{refused}");

    // Approved on a: b's next command lets him search, and finds Yui once she is approved.
    say(a, "hr", "/alumni approve @ken").await;
    let none = say(b, "ken", "/alumni search tanaka").await;
    assert!(!none.contains("Yui Tanaka"), "{none}");
    say(a, "hr", "/alumni approve @yui").await;
    let found = say(b, "ken", "/alumni search tanaka").await;
    assert!(found.contains("Yui Tanaka"), "{found}");

    // Yui blocks Ken on a: his next search on b no longer finds her.
    say(a, "yui", "/alumni block @ken").await;
    let blocked = say(b, "ken", "/alumni search tanaka").await;
    assert!(!blocked.contains("Yui Tanaka"), "{blocked}");
    say(a, "yui", "/alumni unblock @ken").await;
    let back = say(b, "ken", "/alumni search tanaka").await;
    assert!(back.contains("Yui Tanaka"), "{back}");

    // A profile edit on a is what b's directory finds.
    say(a, "yui", "/alumni profile set name:\"Yui Suzuki\"").await;
    let renamed = say(b, "ken", "/alumni search suzuki").await;
    assert!(renamed.contains("Yui Suzuki"), "{renamed}");
    let old = say(b, "ken", "/alumni search tanaka").await;
    assert!(!old.contains("Yui"), "{old}");

    // Ken made an admin on a: b lets him see who is pending.
    let before = say(b, "ken", "/alumni pending").await;
    say(a, "hr", "/alumni role @ken admin").await;
    let after = say(b, "ken", "/alumni pending").await;
    assert_ne!(before, after, "the role change did not reach b");

    // A purpose published on a: b asks Yui to agree before her next search.
    say(
        a,
        "hr",
        "/admin purpose text:\"We keep your profile to reconnect alumni.\"",
    )
    .await;
    let ask = say(b, "yui", "/alumni search sato").await;
    assert!(ask.contains("reconnect alumni"), "{ask}");
    say(b, "yui", "/alumni agree").await;
    let agreed = say(a, "yui", "/alumni search sato").await;
    assert!(agreed.contains("Ken Sato"), "{agreed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sqlite_instances_on_one_file_agree() {
    let db = TempSqlite::new("liveview");
    let a = core(Arc::new(SqliteStore::connect(&db.url()).await.unwrap()));
    let b = core(Arc::new(SqliteStore::connect(&db.url()).await.unwrap()));
    instances_agree(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_instances_agree() {
    let Some(db) = TempPostgres::create("liveview").await else {
        return;
    };
    let url = db.url.clone();
    let outcome = tokio::spawn(async move {
        let a = core(Arc::new(PgStore::connect(&url).await.unwrap()));
        let b = core(Arc::new(PgStore::connect(&url).await.unwrap()));
        instances_agree(&a, &b).await;
    })
    .await;
    db.drop_db().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Another process (a pool with none of our hooks, as `alumni-bot roster import` or a DBA's
/// `sqlite3` would be) takes Ken's membership away: the bot stops treating him as a member
/// within moments, without restarting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sees_another_process_write() {
    let db = TempSqlite::new("liveview-other");
    let bot = core(Arc::new(SqliteStore::connect(&db.url()).await.unwrap()));
    say(&bot, "hr", "/alumni help").await;
    say(&bot, "ken", "/alumni join name:\"Ken Sato\"").await;
    say(&bot, "hr", "/alumni approve @ken").await;
    let member = say(&bot, "ken", "/alumni search sato").await;
    assert!(member.contains("Ken Sato"), "{member}");

    let other = sqlx::SqlitePool::connect(&db.url()).await.unwrap();
    sqlx::query("UPDATE members SET status = 'left' WHERE id IN (SELECT member_id FROM identities WHERE user_id = 'ken')")
        .execute(&other)
        .await
        .unwrap();
    let mut seen = String::new();
    for _ in 0..100 {
        seen = say(&bot, "ken", "/alumni search sato").await;
        if !seen.contains("Ken Sato") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        !seen.contains("Ken Sato"),
        "another process's write never reached the bot: {seen}"
    );
}
