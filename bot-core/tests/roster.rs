//! HR's roster through the core, on SQLite and PostgreSQL: a Shift_JIS file of 1,000 rows
//! with 3 bad ones is refused whole (each bad row named by line) or, with skip-bad, imports
//! the 997 good ones; a joiner the roster lists is approved at once; the export reads back
//! as the same data.

use std::sync::Arc;

use bot_core::clock::ManualClock;
use bot_core::command::Command;
use bot_core::command::admin::Admin;
use bot_core::domain::{Identity, MemberStatus, Platform};
use bot_core::i18n::Locale;
use bot_core::roster;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, PgStore, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{TimeZone, Utc};

fn actor(space: &str, name: &str, locale: Locale) -> Actor {
    Actor {
        identity: Identity {
            platform: Platform::Shell,
            space_id: space.into(),
            user_id: name.into(),
            handle: name.into(),
        },
        locale: Some(locale),
        platform_admin: false,
    }
}

fn core(store: Arc<dyn Store>) -> Core {
    Core::new(
        store,
        Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(),
        )),
        CoreConfig {
            bootstrap_admins: vec!["hr".into()],
            community_defaults: NewCommunity {
                name: "Alumni".into(),
                locale: Locale::Ja,
                timezone: "Asia/Tokyo".into(),
                requires_approval: true,
            },
        },
    )
}

/// 1,000 data rows as Excel writes them in Japan (CP932, CRLF); rows 200, 500 and 900 are bad,
/// so their lines (the header is line 1) are 201, 501 and 901.
fn shift_jis_roster() -> Vec<u8> {
    let mut text = String::from("氏名,メールアドレス,部署,入社日,退職日,ハンドル\r\n");
    for i in 1..=1000 {
        let row = match i {
            200 => format!("高橋 {i},not-an-email,営業部,2012/4/1,2019/3/31,\r\n"),
            500 => format!("髙橋 {i},t{i}@example.jp,営業部,二〇一二年,2019/3/31,\r\n"),
            900 => format!(",t{i}@example.jp,営業部,2012/4/1,2019/3/31,\r\n"),
            _ => format!(
                "髙橋 ①{i},t{i}@example.jp,開発部,{}/4/1,{}/3/31,u{i}\r\n",
                2000 + i % 10,
                2015 + i % 10
            ),
        };
        text.push_str(&row);
    }
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable, "CP932 has 髙 and ①");
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    bytes.into_owned()
}

async fn roster_import_export(store: Arc<dyn Store>) {
    let core = core(store.clone());
    let hr = actor("acme", "hr", Locale::Ja);
    core.handle_text(&hr, "/alumni help").await;
    let community = core.community_of(Platform::Shell, "acme").await.unwrap();
    let file = shift_jis_roster();

    // All or nothing: three bad rows, each with its line and reason, and nothing written.
    let reply = core
        .handle(
            &hr,
            Command::Admin(Admin::Import {
                csv: Some(file.clone()),
                skip_bad: false,
            }),
        )
        .await;
    let text = reply.to_plain_text();
    assert!(reply.error, "{text}");
    assert!(text.contains("何も取り込んでいません: 3 行"), "{text}");
    for line in ["201 行目", "501 行目", "901 行目"] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    assert!(text.contains("not-an-email"), "{text}");
    assert!(store.roster(community.id).await.unwrap().is_empty());

    // The same file from the command line's entry point, skipping the bad rows.
    let outcome = core
        .import_roster(&community, None, &file, true)
        .await
        .unwrap();
    assert!(!outcome.refused && outcome.shift_jis);
    assert_eq!(outcome.imported, 997);
    let lines: Vec<u64> = outcome.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![201, 501, 901]);
    let rows = store.roster(community.id).await.unwrap();
    assert_eq!(rows.len(), 997);
    assert_eq!(rows[0].name, "髙橋 ①1");
    assert_eq!((rows[0].joined, rows[0].left), (Some(2001), Some(2016)));
    // Importing again updates rather than duplicates.
    core.import_roster(&community, None, &file, true)
        .await
        .unwrap();
    assert_eq!(store.roster(community.id).await.unwrap().len(), 997);

    // A joiner the roster lists by handle is approved without waiting.
    let u7 = actor("acme", "u7", Locale::Ja);
    let r = core.handle_text(&u7, "/alumni join name:\"髙橋 七\"").await;
    assert!(!r.error, "{}", r.to_plain_text());
    let m = store
        .member_by_handle(community.id, "u7")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.status, MemberStatus::Approved);
    // Someone typing a roster name, not its handle, still waits.
    let r = core
        .handle_text(
            &actor("acme", "impostor", Locale::Ja),
            "/alumni join name:\"髙橋 ①8\"",
        )
        .await;
    assert!(!r.error);
    let m = store
        .member_by_handle(community.id, "impostor")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.status, MemberStatus::Pending);

    // Export: approved members and what they share; it reads back as the same data.
    for (who, line) in [
        (
            "aki",
            "/alumni join name:\"佐藤 亜紀\" department:\"開発部, 基盤\" joined:2010 left:2020 company:ACME",
        ),
        ("ben", "/alumni join name:\"Ben \"\"B\"\" Ray\" joined:2012"),
    ] {
        core.handle_text(&actor("acme", who, Locale::En), line)
            .await;
        core.handle_text(&hr, &format!("/alumni approve @{who}"))
            .await;
    }
    core.handle_text(
        &actor("acme", "aki", Locale::En),
        "/alumni profile hide company",
    )
    .await;
    let reply = core.handle(&hr, Command::Admin(Admin::Export)).await;
    assert!(reply.ephemeral && !reply.error, "{}", reply.to_plain_text());
    let csv = reply.attachment.expect("members.csv").content;
    assert!(csv.starts_with('\u{FEFF}'), "a BOM so Excel reads UTF-8");
    assert!(!csv.contains("ACME"), "hidden fields are not exported");
    let parsed = roster::parse(csv.as_bytes());
    assert_eq!(parsed.errors, vec![]);
    let members = store
        .members_with_status(community.id, MemberStatus::Approved, 100)
        .await
        .unwrap();
    let mut want: Vec<_> = members
        .iter()
        .map(|m| {
            (
                m.profile.name.clone(),
                Some(m.handle.clone()),
                m.profile.department.clone(),
                m.profile.joined,
                m.profile.left,
            )
        })
        .collect();
    let mut got: Vec<_> = parsed
        .rows
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                r.handle.clone(),
                r.department.clone(),
                r.joined,
                r.left,
            )
        })
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    assert!(got.iter().any(|r| r.2.as_deref() == Some("開発部, 基盤")));

    // Exports and imports are in the audit log.
    let audit = core.handle_text(&hr, "/admin audit").await.to_plain_text();
    assert!(audit.contains("名簿をエクスポート"), "{audit}");
    assert!(audit.contains("名簿をインポート"), "{audit}");
    // Only admins.
    let r = core
        .handle(
            &actor("acme", "aki", Locale::En),
            Command::Admin(Admin::Export),
        )
        .await;
    assert!(r.error && r.attachment.is_none());
}

#[tokio::test]
async fn sqlite_roster() {
    let db = TempSqlite::new("roster");
    let store = SqliteStore::connect(&db.url()).await.unwrap();
    roster_import_export(Arc::new(store)).await;
}

#[tokio::test]
async fn postgres_roster() {
    let Some(db) = TempPostgres::create("roster").await else {
        return;
    };
    let store = PgStore::connect(&db.url).await.unwrap();
    roster_import_export(Arc::new(store)).await;
    db.drop_db().await;
}
