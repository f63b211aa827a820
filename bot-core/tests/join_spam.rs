//! A pending person looping `/alumni join` + `/alumni leave` reaches each admin once a day,
//! not once per loop (#15 item 11: 4 rounds × 2 admins sent 8 DMs).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bot_core::clock::ManualClock;
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::messenger::{Address, Delivery, DeliveryError, Messenger};
use bot_core::scheduler::Scheduler;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{TimeDelta, TimeZone, Utc};

#[derive(Default)]
struct Inbox(Mutex<Vec<Delivery>>);

#[async_trait]
impl Messenger for Inbox {
    async fn deliver(&self, d: &Delivery) -> Result<Option<String>, DeliveryError> {
        self.0.lock().unwrap().push(d.clone());
        Ok(None)
    }
    async fn update(&self, _d: &Delivery, _m: &str) -> Result<(), DeliveryError> {
        Ok(())
    }
}

fn actor(user: &str) -> Actor {
    Actor {
        identity: Identity {
            platform: Platform::Shell,
            space_id: "local".into(),
            user_id: user.into(),
            handle: user.into(),
        },
        locale: Some(Locale::En),
        platform_admin: false,
    }
}

async fn check(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap(),
    ));
    let core = Arc::new(Core::new(
        store,
        clock.clone(),
        CoreConfig {
            bootstrap_admins: vec!["hr".into(), "hr2".into()],
            community_defaults: NewCommunity {
                name: "Acme".into(),
                locale: Locale::En,
                timezone: "UTC".into(),
                requires_approval: true,
            },
        },
    ));
    core.bootstrap(Platform::Shell, "local").await.unwrap();
    let inbox = Arc::new(Inbox::default());
    let scheduler = Scheduler::new(core.clone(), inbox.clone());
    let to_admins = |inbox: &Inbox| {
        inbox
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|d| matches!(&d.to, Address::Direct(who) if who.user_id.starts_with("hr")))
            .count()
    };
    for round in 0..4 {
        let joined = core
            .handle_text(&actor("mallory"), "/alumni join name:Mallory")
            .await;
        assert!(!joined.error, "round {round}: {}", joined.text);
        scheduler.run_due().await.unwrap();
        let left = core.handle_text(&actor("mallory"), "/alumni leave").await;
        assert!(!left.error, "round {round}: {}", left.text);
        clock.advance(TimeDelta::minutes(1));
    }
    scheduler.run_due().await.unwrap();
    assert_eq!(to_admins(&inbox), 2, "one notice per admin");

    // A day later a real request to join again is heard.
    clock.advance(TimeDelta::days(1));
    core.handle_text(&actor("mallory"), "/alumni join name:Mallory")
        .await;
    scheduler.run_due().await.unwrap();
    assert_eq!(to_admins(&inbox), 4);
}

#[tokio::test]
async fn a_join_leave_loop_reaches_each_admin_once_a_day_on_sqlite() {
    let db = TempSqlite::new("join_spam");
    check(Arc::new(SqliteStore::connect(&db.url()).await.unwrap())).await;
}

#[tokio::test]
async fn a_join_leave_loop_reaches_each_admin_once_a_day_on_postgres() {
    let Some(db) = TempPostgres::create("join_spam").await else {
        return;
    };
    let store = bot_core::store::PgStore::connect(&db.url).await.unwrap();
    check(Arc::new(store.clone())).await;
    store.pool().close().await;
    db.drop_db().await;
}
