//! Privacy rights through the core, on a real SQLite file and a real PostgreSQL database:
//! consent to the stated purpose, `/alumni mydata` holding every table's rows about the member
//! (and no one else's), and erasure leaving no row that names them. Tables and columns are
//! read from the schema itself, so a table added later is covered without editing this test.

use std::sync::Arc;

use bot_core::clock::ManualClock;
use bot_core::domain::{Identity, Member, Platform};
use bot_core::i18n::Locale;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewAudit, NewCommunity, PgStore, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{TimeDelta, TimeZone, Utc};

/// Raw access to the database under test, to read the schema and scan every table.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Raw {
    /// Every (table, column) in the schema.
    async fn columns(&self) -> Vec<(String, String)> {
        match self {
            Raw::Sqlite(pool) => sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' ORDER BY m.name, p.cid",
            )
            .fetch_all(pool)
            .await
            .unwrap(),
            Raw::Pg(pool) => sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
            )
            .fetch_all(pool)
            .await
            .unwrap(),
        }
    }

    /// Every (table, column) that references `members`.
    async fn member_columns(&self) -> Vec<(String, String)> {
        match self {
            Raw::Sqlite(pool) => sqlx::query_as(
                "SELECT m.name, p.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) p \
                 WHERE m.type = 'table' AND p.\"table\" = 'members' ORDER BY 1, 2",
            )
            .fetch_all(pool)
            .await
            .unwrap(),
            Raw::Pg(pool) => sqlx::query_as(
                "SELECT c.conrelid::regclass::text, a.attname::text FROM pg_constraint c \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
                 WHERE c.contype = 'f' AND c.confrelid = 'members'::regclass ORDER BY 1, 2",
            )
            .fetch_all(pool)
            .await
            .unwrap(),
        }
    }

    async fn count(&self, sql: String, arg: Arg) -> i64 {
        let sql = sqlx::AssertSqlSafe(sql);
        let r = match (self, arg) {
            (Raw::Sqlite(pool), Arg::Id(id)) => {
                sqlx::query_scalar(sql).bind(id).fetch_one(pool).await
            }
            (Raw::Sqlite(pool), Arg::Text(t)) => {
                sqlx::query_scalar(sql).bind(t).fetch_one(pool).await
            }
            (Raw::Pg(pool), Arg::Id(id)) => sqlx::query_scalar(sql).bind(id).fetch_one(pool).await,
            (Raw::Pg(pool), Arg::Text(t)) => sqlx::query_scalar(sql).bind(t).fetch_one(pool).await,
        };
        r.unwrap()
    }

    /// Rows of `table` whose `column`, as text, contains `needle` (case-insensitive).
    async fn rows_containing(&self, table: &str, column: &str, needle: &str) -> i64 {
        let sql = match self {
            Raw::Sqlite(_) => format!(
                "SELECT COUNT(*) FROM \"{table}\" WHERE lower(CAST(\"{column}\" AS TEXT)) LIKE $1"
            ),
            Raw::Pg(_) => {
                format!("SELECT COUNT(*) FROM \"{table}\" WHERE \"{column}\"::text ILIKE $1")
            }
        };
        self.count(sql, Arg::Text(format!("%{}%", needle.to_lowercase())))
            .await
    }
}

enum Arg {
    Id(i64),
    Text(String),
}

/// Columns that reference `members` on both backends today. The schema query must find at least
/// these: a query that found nothing (or the wrong thing) would otherwise let every loop over
/// its result pass without checking anything.
const KNOWN_MEMBER_COLUMNS: &[(&str, &str)] = &[
    ("audit_log", "actor_id"),
    ("audit_log", "target_id"),
    ("blocks", "blocked_id"),
    ("blocks", "blocker_id"),
    ("coffee_group_members", "member_id"),
    ("coffee_members", "member_id"),
    ("coffee_skips", "member_id"),
    ("consents", "member_id"),
    ("events", "created_by"),
    ("identities", "member_id"),
    ("intros", "first_id"),
    ("intros", "requester_id"),
    ("intros", "second_id"),
    ("jobs", "member_id"),
    ("member_settings", "member_id"),
    ("opportunities", "poster_id"),
    ("opportunity_interest", "member_id"),
    ("roster", "member_id"),
    ("rsvps", "member_id"),
];

/// Text columns the erasure scan must reach: where her name and handle are written.
const KNOWN_TEXT_COLUMNS: &[(&str, &str)] = &[
    ("members", "name"),
    ("identities", "handle"),
    ("jobs", "payload"),
    ("intros", "why"),
    ("roster", "name"),
    ("roster", "handle"),
    ("audit_log", "detail"),
];

/// Fails unless `found` holds every pair of `floor`.
fn assert_floor(what: &str, found: &[(String, String)], floor: &[(&str, &str)]) {
    let missing: Vec<_> = floor
        .iter()
        .filter(|(t, c)| !found.iter().any(|(ft, fc)| ft == t && fc == c))
        .collect();
    assert!(
        missing.is_empty(),
        "the schema query for {what} missed {missing:?}; it found {found:?}"
    );
}

fn actor(name: &str) -> Actor {
    Actor {
        identity: Identity {
            platform: Platform::Shell,
            space_id: "local".into(),
            user_id: name.into(),
            handle: name.into(),
        },
        locale: Some(Locale::En),
        platform_admin: false,
    }
}

struct World {
    core: Core,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
}

impl World {
    fn new(store: Arc<dyn Store>) -> World {
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(),
        ));
        let core = Core::new(
            store.clone(),
            clock.clone(),
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
        World { core, store, clock }
    }

    async fn say(&self, who: &str, line: &str) -> bot_core::reply::Reply {
        self.core.handle_text(&actor(who), line).await
    }

    async fn ok(&self, who: &str, line: &str) -> String {
        let r = self.say(who, line).await;
        assert!(!r.error, "{who}> {line}\n{}", r.to_plain_text());
        r.to_plain_text()
    }

    async fn member(&self, handle: &str) -> Member {
        let c = self.community().await;
        self.store
            .member_by_handle(c, handle)
            .await
            .unwrap()
            .unwrap()
    }

    async fn community(&self) -> i64 {
        self.store
            .community_for_space(
                Platform::Shell,
                "local",
                &NewCommunity {
                    name: String::new(),
                    locale: Locale::En,
                    timezone: "Asia/Tokyo".into(),
                    requires_approval: true,
                },
            )
            .await
            .unwrap()
            .id
    }
}

const PURPOSE: &str = "Rehiring and staying in touch";
/// Unusual words, so a scan cannot find them by accident.
const ZELDA: &str = "Zelda Quixotic";
const ZELDA_HANDLE: &str = "zquix";
const BOB: &str = "Bartholomew Vexley";

/// Everyone joins with consent; Zelda ends up with rows in every table that references members.
async fn populate(w: &World) -> (Member, Member) {
    w.ok("hr", &format!("/admin purpose text:\"{PURPOSE}\""))
        .await;
    // Joining without agreeing shows the purpose and saves nothing.
    let r = w
        .say(ZELDA_HANDLE, &format!("/alumni join name:\"{ZELDA}\""))
        .await;
    assert!(r.error);
    assert!(r.to_plain_text().contains(PURPOSE), "{}", r.to_plain_text());
    assert!(
        w.store
            .member_by_handle(w.community().await, ZELDA_HANDLE)
            .await
            .unwrap()
            .is_none()
    );
    // HR's roster vouches for her handle: she is approved on joining.
    let community = w.core.community_of(Platform::Shell, "local").await.unwrap();
    let csv = format!("名前,ハンドル,メール\n{ZELDA},{ZELDA_HANDLE},zq@example.com\n");
    let outcome = w
        .core
        .import_roster(&community, None, csv.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(outcome.imported, 1);
    w.ok(
        ZELDA_HANDLE,
        &format!("/alumni join name:\"{ZELDA}\" skills:Rust agree:yes"),
    )
    .await;
    w.ok("bob", &format!("/alumni join name:\"{BOB}\" agree:yes"))
        .await;
    w.ok("carol", "/alumni join name:\"Carol Ng\" agree:yes")
        .await;
    for h in ["bob", "carol"] {
        w.ok("hr", &format!("/alumni approve @{h}")).await;
    }
    w.ok("hr", &format!("/alumni role @{ZELDA_HANDLE} supporter"))
        .await;
    // events (created_by) and rsvps
    w.ok(
        ZELDA_HANDLE,
        "/event create title:\"Year-end party\" at:\"2026-12-18 19:00\"",
    )
    .await;
    w.ok(ZELDA_HANDLE, "/event rsvp 1 going").await;
    w.ok("bob", "/event rsvp 1 going").await;
    // opportunities: one she posted, interest in hr's
    w.ok("hr", "/job post title:\"Backend engineer\" type:rehire")
        .await;
    w.ok(
        ZELDA_HANDLE,
        "/job post title:\"Side project\" type:project",
    )
    .await;
    let show = w.say(ZELDA_HANDLE, "/job show 1").await;
    let interest = w
        .core
        .handle_action(&actor(ZELDA_HANDLE), &show.buttons[0].action)
        .await;
    assert!(!interest.error, "{}", interest.to_plain_text());
    // intros, both directions of blocks
    w.ok(ZELDA_HANDLE, "/intro @carol why:\"Same team once\"")
        .await;
    w.ok(ZELDA_HANDLE, "/alumni block @carol").await;
    w.ok("bob", &format!("/alumni block @{ZELDA_HANDLE}")).await;
    // coffee: membership, a skipped round, a group with an answer
    w.ok(ZELDA_HANDLE, "/coffee join").await;
    w.ok("bob", "/coffee join").await;
    let zelda = w.member(ZELDA_HANDLE).await;
    let bob = w.member("bob").await;
    let c = w.community().await;
    let round = Utc.with_ymd_and_hms(2026, 12, 7, 1, 0, 0).unwrap();
    w.store.skip_round(c, round, zelda.id).await.unwrap();
    let groups = w
        .store
        .save_round(c, round + TimeDelta::days(7), &[vec![zelda.id, bob.id]])
        .await
        .unwrap();
    w.store
        .record_met(c, groups[0].id, zelda.id, true)
        .await
        .unwrap();
    // member settings, an audit entry naming her as the subject
    w.ok(ZELDA_HANDLE, "/alumni notify off").await;
    let hr = w.member("hr").await;
    w.store
        .audit(&NewAudit {
            community: c,
            actor: Some(hr.id),
            action: "read".into(),
            target: Some(zelda.id),
            detail: "profile".into(),
            at: w.clock.now_for_test(),
        })
        .await
        .unwrap();
    (zelda, bob)
}

trait NowForTest {
    fn now_for_test(&self) -> chrono::DateTime<Utc>;
}

impl NowForTest for ManualClock {
    fn now_for_test(&self) -> chrono::DateTime<Utc> {
        bot_core::clock::Clock::now(self)
    }
}

async fn mydata_holds_every_table_and_erasure_leaves_nothing(store: Arc<dyn Store>, raw: Raw) {
    let w = World::new(store);
    let (zelda, bob) = populate(&w).await;

    // ---- /alumni mydata ----
    let r = w.ok(ZELDA_HANDLE, "/alumni mydata").await;
    assert!(r.contains("mydata.json"), "{r}");
    let reply = w.say(ZELDA_HANDLE, "/alumni mydata").await;
    assert!(reply.ephemeral, "only she sees her data");
    let file = reply.attachment.expect("a JSON file");
    let doc: serde_json::Value = serde_json::from_str(&file.content).unwrap();
    assert_eq!(doc["member"]["id"], zelda.id);
    assert_eq!(doc["member"]["name"], ZELDA);

    let member_columns = raw.member_columns().await;
    assert_floor("member references", &member_columns, KNOWN_MEMBER_COLUMNS);
    let mut tables: Vec<&str> = member_columns.iter().map(|(t, _)| t.as_str()).collect();
    tables.dedup();
    for table in tables {
        // Blocks against her stay the blocker's secret.
        let cols: Vec<&str> = member_columns
            .iter()
            .filter(|(t, c)| t == table && !(t == "blocks" && c == "blocked_id"))
            .map(|(_, c)| c.as_str())
            .collect();
        let cond = cols
            .iter()
            .map(|c| format!("\"{c}\" = $1"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let held = raw
            .count(
                format!("SELECT COUNT(*) FROM \"{table}\" WHERE {cond}"),
                Arg::Id(zelda.id),
            )
            .await;
        assert!(held > 0, "the test gives her at least one row in {table}");
        let shown = doc["tables"][table].as_array().map_or(0, Vec::len);
        assert_eq!(
            shown as i64, held,
            "mydata.json must hold all her {table} rows\n{}",
            file.content
        );
    }
    for other in [BOB, "bob", "Carol Ng", "carol"] {
        assert!(
            !file.content.to_lowercase().contains(&other.to_lowercase()),
            "someone else's data in her file: {other}\n{}",
            file.content
        );
    }
    assert_eq!(
        doc["tables"]["blocks"].as_array().unwrap().len(),
        1,
        "only her own block, not bob's block of her"
    );

    // ---- a changed purpose asks again ----
    w.ok(
        "hr",
        "/admin purpose text:\"Rehiring, staying in touch, and surveys\"",
    )
    .await;
    let r = w.say("bob", "/event list").await;
    assert!(
        r.to_plain_text().contains("surveys"),
        "{}",
        r.to_plain_text()
    );
    assert_eq!(r.buttons.len(), 1, "an Agree button");
    let again = w
        .core
        .handle_action(&actor("bob"), &r.buttons[0].action)
        .await;
    assert!(!again.error, "{}", again.to_plain_text());
    let r = w.ok("bob", "/event list").await;
    assert!(
        r.contains("Year-end party"),
        "after agreeing, commands work: {r}"
    );

    // ---- /alumni leave delete:yes ----
    // The scan finds her before (so that finding nothing after means something).
    assert_eq!(raw.rows_containing("members", "name", "Quixotic").await, 1);
    assert!(raw.rows_containing("jobs", "payload", "Quixotic").await > 0);
    w.ok(ZELDA_HANDLE, "/alumni leave delete:yes").await;
    let columns = raw.columns().await;
    assert_floor("columns", &columns, KNOWN_TEXT_COLUMNS);
    for (table, column) in columns {
        // HR's roster row is HR's own record of her: it stays (checked below).
        if table == "roster" {
            continue;
        }
        for needle in ["Zelda", "Quixotic", ZELDA_HANDLE] {
            let n = raw.rows_containing(&table, &column, needle).await;
            assert_eq!(n, 0, "{table}.{column} still names her ({needle})");
        }
    }
    let kept = raw
        .count(
            "SELECT COUNT(*) FROM roster WHERE name = $1 AND member_id IS NULL AND code IS NULL"
                .into(),
            Arg::Text(ZELDA.into()),
        )
        .await;
    assert_eq!(kept, 1, "HR's roster row stays, without its link and code");
    let member_columns = raw.member_columns().await;
    assert_floor("member references", &member_columns, KNOWN_MEMBER_COLUMNS);
    for (table, column) in member_columns {
        let n = raw
            .count(
                format!("SELECT COUNT(*) FROM \"{table}\" WHERE \"{column}\" = $1"),
                Arg::Id(zelda.id),
            )
            .await;
        assert_eq!(n, 0, "{table}.{column} still points at her");
    }
    // Others keep their data; only anonymous counts remain of hers.
    assert!(
        w.store
            .member(zelda.community_id, bob.id)
            .await
            .unwrap()
            .is_some()
    );
    let counts = w.store.anonymous_counts(zelda.community_id).await.unwrap();
    assert!(counts.contains(&("erased".to_owned(), 1)), "{counts:?}");
    assert!(
        counts.contains(&("rsvps.going".to_owned(), 1)),
        "{counts:?}"
    );
    let audit = w.ok("hr", "/admin audit").await;
    assert!(
        audit.contains("read beyond shared fields") && !audit.contains(ZELDA_HANDLE),
        "the entry stays, without her: {audit}"
    );
    let attendees = w.ok("bob", "/event attendees 1").await;
    assert!(!attendees.contains("Zelda"), "{attendees}");
}

#[tokio::test]
async fn sqlite_mydata_and_erasure() {
    let db = TempSqlite::new("privacy");
    let store = SqliteStore::connect(&db.url()).await.unwrap();
    let raw = Raw::Sqlite(store.pool().clone());
    mydata_holds_every_table_and_erasure_leaves_nothing(Arc::new(store), raw).await;
}

#[tokio::test]
async fn postgres_mydata_and_erasure() {
    let Some(db) = TempPostgres::create("privacy").await else {
        return;
    };
    let store = PgStore::connect(&db.url).await.unwrap();
    let raw = Raw::Pg(store.pool().clone());
    mydata_holds_every_table_and_erasure_leaves_nothing(Arc::new(store), raw).await;
    db.drop_db().await;
}
