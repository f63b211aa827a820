//! `/admin stats` through the core, on SQLite and PostgreSQL: the figures as text and a PNG
//! chart with Japanese labels. The SQLite run writes the chart to
//! `target/admin-stats-chart.png` so a person can look at it.

use std::sync::Arc;

use bot_core::clock::{Clock, ManualClock};
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, PgStore, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{TimeDelta, TimeZone, Utc};

fn actor(name: &str) -> Actor {
    Actor {
        identity: Identity {
            platform: Platform::Shell,
            space_id: "local".into(),
            user_id: name.into(),
            handle: name.into(),
        },
        locale: Some(Locale::Ja),
        platform_admin: false,
    }
}

/// Backdates member `handle` (the store stamps rows with the real time).
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Raw {
    async fn joined_at(&self, handle: &str, at: chrono::DateTime<Utc>) {
        let sql = "UPDATE members SET created_at = $1 WHERE id = \
                   (SELECT member_id FROM identities WHERE user_id = $2)";
        let n = match self {
            Raw::Sqlite(p) => sqlx::query(sql)
                .bind(at)
                .bind(handle)
                .execute(p)
                .await
                .unwrap()
                .rows_affected(),
            Raw::Pg(p) => sqlx::query(sql)
                .bind(at)
                .bind(handle)
                .execute(p)
                .await
                .unwrap()
                .rows_affected(),
        };
        assert_eq!(n, 1);
    }
}

async fn stats(store: Arc<dyn Store>, raw: Raw, save_to: Option<&str>) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 10, 1, 0, 0).unwrap(),
    ));
    let core = Core::new(
        store,
        clock.clone(),
        CoreConfig {
            bootstrap_admins: vec!["hr".into()],
            community_defaults: NewCommunity {
                name: "ACME アルムナイ".into(),
                locale: Locale::Ja,
                timezone: "Asia/Tokyo".into(),
                requires_approval: false,
            },
        },
    );
    core.handle_text(&actor("hr"), "/alumni help").await;
    raw.joined_at("hr", clock.now()).await;
    // 24 members joining over the year; industries in Japanese, one too small to name.
    let industries = [
        "ソフトウェア",
        "ソフトウェア",
        "コンサルティング",
        "金融",
        "ソフトウェア",
        "コンサルティング",
    ];
    for i in 0..24 {
        let industry = if i == 23 {
            "宇宙開発"
        } else {
            industries[i % industries.len()]
        };
        let line = format!(
            "/alumni join name:\"会員 {i}\" industry:{industry} company:Globex open_to:rehire"
        );
        let r = core.handle_text(&actor(&format!("m{i}")), &line).await;
        assert!(!r.error, "{}", r.to_plain_text());
        raw.joined_at(&format!("m{i}"), clock.now()).await;
        clock.set(clock.now() + TimeDelta::days(14));
    }
    let reply = core.handle_text(&actor("hr"), "/admin stats").await;
    let text = reply.to_plain_text();
    assert!(!reply.error && reply.ephemeral, "{text}");
    assert!(
        text.contains("メンバー 25, 見送り 0"),
        "24 members and hr: {text}"
    );
    assert!(
        text.contains("ソフトウェア 12") && text.contains("金融 4"),
        "{text}"
    );
    assert!(
        !text.contains("宇宙開発"),
        "a group of one is not named: {text}"
    );
    assert!(text.contains("Globex 24"), "{text}");
    // About two joined a month from January (with hr); the last one in November.
    assert!(
        text.contains("2026-07: 16") && text.contains("2026-11: 25"),
        "{text}"
    );
    let file = reply.attachment.expect("stats.png");
    assert_eq!(file.filename, "stats.png");
    let png = file.bytes();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(png.len() > 5_000, "a drawn chart, not an empty image");
    // Kept for a look by hand; the target directory may be elsewhere (CARGO_TARGET_DIR).
    if let Some(path) = save_to {
        let path = std::path::Path::new(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, &png).unwrap();
    }
    // Members cannot see them.
    assert!(core.handle_text(&actor("m1"), "/admin stats").await.error);
}

#[tokio::test]
async fn sqlite_stats_and_chart() {
    let db = TempSqlite::new("stats");
    let store = SqliteStore::connect(&db.url()).await.unwrap();
    let raw = Raw::Sqlite(store.pool().clone());
    let out = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/admin-stats-chart.png"
    );
    stats(Arc::new(store), raw, Some(out)).await;
}

#[tokio::test]
async fn postgres_stats() {
    let Some(db) = TempPostgres::create("stats").await else {
        return;
    };
    let store = PgStore::connect(&db.url).await.unwrap();
    let raw = Raw::Pg(store.pool().clone());
    stats(Arc::new(store), raw, None).await;
    db.drop_db().await;
}
