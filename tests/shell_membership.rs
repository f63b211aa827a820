//! The membership contract end to end: the real binary, its shell, a real database.
//! The same transcript runs on SQLite and on PostgreSQL, and afterwards the erased member's
//! rows are checked to be really gone.

mod support;

use bot_core::testing::{TempPostgres, TempSqlite};
use sqlx::Connection;

const TRANSCRIPT: &str = include_str!("transcripts/membership.txt");

/// Rows that could still hold alice's personal data.
const LEFTOVER_QUERIES: &[&str] = &[
    "SELECT COUNT(*) FROM members WHERE name = '佐藤 洋介'",
    "SELECT COUNT(*) FROM identities WHERE user_id = 'alice' OR handle = 'alice'",
    "SELECT COUNT(*) FROM jobs WHERE payload LIKE '%佐藤%'",
];

fn env(db: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", db.to_owned()),
        ("ALUMNI_ADMINS", "hr".to_owned()),
        ("ALUMNI_LOCALE", "ja".to_owned()),
    ]
}

fn run(db: &str) {
    let env = env(db);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    support::check_transcript(&env, TRANSCRIPT);
}

#[tokio::test]
async fn membership_transcript_on_sqlite() {
    let db = TempSqlite::new("membership");
    run(&db.url());
    let mut conn = sqlx::SqliteConnection::connect(&db.url()).await.unwrap();
    for q in LEFTOVER_QUERIES {
        let n: i64 = sqlx::query_scalar(*q).fetch_one(&mut conn).await.unwrap();
        assert_eq!(n, 0, "{q}");
    }
    let fts: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM member_search WHERE member_search MATCH '\"佐藤\"'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(fts, 0, "alice's search entry is gone");
    // bob (declined) is still there: erasure touched only alice.
    let bob: String = sqlx::query_scalar("SELECT status FROM members WHERE name = 'Bob Smith'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(bob, "rejected");
}

#[tokio::test]
async fn membership_transcript_on_postgres() {
    let Some(db) = TempPostgres::create("membership").await else {
        return;
    };
    run(&db.url);
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    for q in LEFTOVER_QUERIES {
        let n: i64 = sqlx::query_scalar(*q).fetch_one(&mut conn).await.unwrap();
        assert_eq!(n, 0, "{q}");
    }
    let bob: String = sqlx::query_scalar("SELECT status FROM members WHERE name = 'Bob Smith'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(bob, "rejected");
    conn.close().await.unwrap();
    db.drop_db().await;
}

#[test]
fn a_second_run_keeps_the_data() {
    // Nothing is lost across restarts: a member who joined is still pending next time.
    let db = TempSqlite::new("restart");
    let url = db.url();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("ALUMNI_ADMINS", "hr"),
        ("ALUMNI_LOCALE", "en"),
    ];
    support::run_shell(&env, ":as carol\n/alumni join name:Carol\n");
    let out = support::run_shell(&env, ":as hr\n/alumni pending\n");
    assert!(out.contains("Waiting for approval: 1"), "{out}");
    assert!(out.contains("Carol (@carol)"), "{out}");
}
