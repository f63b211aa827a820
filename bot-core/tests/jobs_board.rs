//! Opportunities through the core and the scheduler, on SQLite and PostgreSQL: who may post,
//! "I'm interested" sending the member's summary to the poster (once), and the weekly digest
//! reaching only members it fits (open_to and skills), once a week.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bot_core::clock::{Clock, ManualClock};
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::messenger::{Address, Delivery, DeliveryError, Messenger};
use bot_core::scheduler::Scheduler;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, PgStore, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{TimeDelta, TimeZone, Utc};

#[derive(Default)]
struct Inbox(Mutex<Vec<(String, String)>>);

impl Inbox {
    fn take(&self, user: &str) -> Vec<String> {
        let mut all = self.0.lock().unwrap();
        let (mine, rest): (Vec<_>, Vec<_>) = all.drain(..).partition(|(u, _)| u == user);
        *all = rest;
        mine.into_iter().map(|(_, t)| t).collect()
    }
}

#[async_trait]
impl Messenger for Inbox {
    async fn deliver(&self, d: &Delivery) -> Result<Option<String>, DeliveryError> {
        if let Address::Direct(who) = &d.to {
            self.0
                .lock()
                .unwrap()
                .push((who.user_id.clone(), d.reply.to_plain_text()));
        }
        Ok(None)
    }
    async fn update(&self, _d: &Delivery, _r: &str) -> Result<(), DeliveryError> {
        Ok(())
    }
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

async fn opportunities(store: Arc<dyn Store>) {
    // Wednesday 2026-12-02; the digest goes out on Monday 2026-12-07.
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap(),
    ));
    let core = Arc::new(Core::new(
        store.clone(),
        clock.clone(),
        CoreConfig {
            bootstrap_admins: vec!["hr".into()],
            community_defaults: NewCommunity {
                name: "ACME".into(),
                locale: Locale::En,
                timezone: "Asia/Tokyo".into(),
                requires_approval: false,
            },
        },
    ));
    let inbox = Arc::new(Inbox::default());
    let scheduler = Scheduler::new(core.clone(), inbox.clone());
    let say = |who: &'static str, line: &'static str| {
        let core = core.clone();
        async move {
            let r = core.handle_text(&actor(who), line).await;
            (r.error, r)
        }
    };
    for (who, line) in [
        (
            "alice",
            "/alumni join name:\"Alice Ito\" title:SRE company:Globex skills:Rust open_to:rehire",
        ),
        (
            "bob",
            "/alumni join name:\"Bob\" skills:Rust open_to:coffee",
        ),
        (
            "carol",
            "/alumni join name:\"Carol\" skills:Go open_to:rehire",
        ),
        (
            "dave",
            "/alumni join name:\"Dave\" skills:rust open_to:rehire",
        ),
        ("dave", "/alumni notify off"),
    ] {
        let (err, r) = say(who, line).await;
        assert!(!err, "{}", r.to_plain_text());
    }
    scheduler.run_due().await.unwrap();
    inbox.0.lock().unwrap().clear();

    let (err, _) = say("bob", "/job post title:\"Anything\" type:rehire").await;
    assert!(err, "members cannot post");
    let (err, r) = say(
        "hr",
        "/job post title:\"Backend engineer\" type:rehire skills:Rust until:2027-01-31",
    )
    .await;
    assert!(!err, "{}", r.to_plain_text());
    let (err, r) = say("hr", "/job post title:\"Old\" type:rehire until:2020-01-01").await;
    assert!(
        err && r.to_plain_text().contains("past"),
        "{}",
        r.to_plain_text()
    );
    let (_, r) = say("alice", "/job list").await;
    assert!(
        r.to_plain_text().contains("#1 Backend engineer"),
        "{}",
        r.to_plain_text()
    );
    let (_, r) = say("alice", "/job show 1").await;
    let button = &r.buttons[0];
    assert!(
        button.label.contains("shares my profile"),
        "{}",
        button.label
    );

    // Interested: the poster gets her summary, once.
    let first = core.handle_action(&actor("alice"), &button.action).await;
    assert!(!first.error, "{}", first.to_plain_text());
    let again = core.handle_action(&actor("alice"), &button.action).await;
    assert!(again.to_plain_text().contains("already"));
    scheduler.run_due().await.unwrap();
    let to_hr = inbox.take("hr");
    assert_eq!(to_hr.len(), 1, "{to_hr:?}");
    assert!(
        to_hr[0].contains("Alice Ito (@alice)") && to_hr[0].contains("SRE"),
        "{}",
        to_hr[0]
    );

    // A second post the same week: still one digest, listing both.
    say(
        "hr",
        "/job post title:\"Rust contractor\" type:contract skills:Rust",
    )
    .await;
    say("hr", "/job post title:\"Platform lead\" type:rehire").await;
    clock.set(Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 1).unwrap());
    scheduler.run_due().await.unwrap();
    let alice = inbox.take("alice");
    assert_eq!(alice.len(), 1, "one digest: {alice:?}");
    assert!(alice[0].contains("Backend engineer") && alice[0].contains("Platform lead"));
    assert!(
        !alice[0].contains("Rust contractor"),
        "contract does not fit open_to:rehire"
    );
    let carol = inbox.take("carol");
    assert_eq!(carol.len(), 1);
    assert!(
        carol[0].contains("Platform lead") && !carol[0].contains("Backend"),
        "Go, not Rust"
    );
    assert!(inbox.take("bob").is_empty(), "bob is open to coffee only");
    assert!(
        inbox.take("dave").is_empty(),
        "dave turned notifications off"
    );
    clock.set(clock.now() + TimeDelta::days(3));
    scheduler.run_due().await.unwrap();
    assert!(inbox.take("alice").is_empty(), "at most weekly");

    let (err, _) = say("alice", "/job close 1").await;
    assert!(err, "only the poster or an admin");
    let (err, _) = say("hr", "/job close 1").await;
    assert!(!err);
    let (_, r) = say("alice", "/job list").await;
    assert!(!r.to_plain_text().contains("Backend engineer"));
}

#[tokio::test]
async fn sqlite_opportunities() {
    let db = TempSqlite::new("jobsboard");
    let store = SqliteStore::connect(&db.url()).await.unwrap();
    opportunities(Arc::new(store)).await;
}

#[tokio::test]
async fn postgres_opportunities() {
    let Some(db) = TempPostgres::create("jobsboard").await else {
        return;
    };
    let store = PgStore::connect(&db.url).await.unwrap();
    opportunities(Arc::new(store)).await;
    db.drop_db().await;
}
