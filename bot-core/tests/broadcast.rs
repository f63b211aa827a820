//! A broadcast to a segment of 500, on SQLite and PostgreSQL: the preview counts the
//! opted-in members, Send (even pressed twice) writes one fan-out job, and the scheduler
//! delivers exactly one DM to each opted-in member, in their language, through a fake platform
//! that answers "rate limited" whenever it is called too fast. Nothing lost, nothing doubled.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bot_core::clock::{Clock, ManualClock};
use bot_core::domain::{Identity, MemberStatus, Platform, Profile, Role};
use bot_core::i18n::Locale;
use bot_core::messenger::{Address, Delivery, DeliveryError, Messenger};
use bot_core::scheduler::Scheduler;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, NewMember, PgStore, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};

/// The most sends the fake platform accepts per second (of the test's clock).
const LIMIT_PER_SECOND: usize = 15;

/// A platform with a rate limit: past `LIMIT_PER_SECOND` sends in one second it says 429.
struct LimitedPlatform {
    clock: Arc<ManualClock>,
    window: Mutex<(DateTime<Utc>, usize)>,
    /// user id → the DMs they received.
    received: Mutex<BTreeMap<String, Vec<String>>>,
    refused: Mutex<usize>,
}

#[async_trait]
impl Messenger for LimitedPlatform {
    async fn deliver(&self, d: &Delivery) -> Result<Option<String>, DeliveryError> {
        let second = self.clock.now().with_nanosecond_zero();
        {
            let mut w = self.window.lock().unwrap();
            if w.0 != second {
                *w = (second, 0);
            }
            if w.1 >= LIMIT_PER_SECOND {
                *self.refused.lock().unwrap() += 1;
                return Err(DeliveryError::RateLimited(Duration::from_secs(1)));
            }
            w.1 += 1;
        }
        let Address::Direct(who) = &d.to else {
            panic!("a broadcast is DMs only: {:?}", d.to);
        };
        self.received
            .lock()
            .unwrap()
            .entry(who.user_id.clone())
            .or_default()
            .push(d.reply.text.clone());
        Ok(None)
    }

    async fn update(&self, _d: &Delivery, _r: &str) -> Result<(), DeliveryError> {
        Ok(())
    }
}

trait WholeSecond {
    fn with_nanosecond_zero(self) -> Self;
}

impl WholeSecond for DateTime<Utc> {
    fn with_nanosecond_zero(self) -> Self {
        DateTime::from_timestamp(self.timestamp(), 0).unwrap()
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
        locale: None,
        platform_admin: false,
    }
}

async fn broadcast_reaches_each_opted_in_member_once(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(),
    ));
    let core = Arc::new(Core::new(
        store.clone(),
        clock.clone(),
        CoreConfig {
            bootstrap_admins: vec!["hr".into()],
            community_defaults: NewCommunity {
                name: "ACME".into(),
                locale: Locale::Ja,
                timezone: "Asia/Tokyo".into(),
                requires_approval: true,
            },
        },
    ));
    core.bootstrap(Platform::Shell, "local").await.unwrap();
    let community = core.community_of(Platform::Shell, "local").await.unwrap();
    // 500 Rust people (half in English), 100 Go people outside the segment.
    for i in 0..600 {
        let skill = if i < 500 { "Rust" } else { "Go" };
        store
            .insert_member(
                community.id,
                &NewMember {
                    identity: Identity {
                        platform: Platform::Shell,
                        space_id: "local".into(),
                        user_id: format!("u{i}"),
                        handle: format!("u{i}"),
                    },
                    status: MemberStatus::Approved,
                    role: Role::Member,
                    profile: Profile {
                        name: format!("Member {i}"),
                        skills: vec![skill.into()],
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
    }
    // Every tenth Rust person turns broadcasts off; one turns them off and on again.
    for i in (0..500).step_by(10) {
        let r = core
            .handle_text(&actor(&format!("u{i}")), "/alumni notify off")
            .await;
        assert!(!r.error, "{}", r.to_plain_text());
    }
    core.handle_text(&actor("u1"), "/alumni notify off").await;
    core.handle_text(&actor("u1"), "/alumni notify on").await;

    let hr = actor("hr");
    let r = core
        .handle_text(&hr, "/admin segment save rustaceans skills:rust")
        .await;
    assert!(r.to_plain_text().contains("500"), "{}", r.to_plain_text());
    let r = core
        .handle_text(
            &hr,
            "/admin broadcast segment:rustaceans message:\"Rehire info session on 12/18\"",
        )
        .await;
    assert!(
        r.text.contains("450"),
        "50 opted out: {}",
        r.to_plain_text()
    );
    let send = r.buttons[0].action.clone();
    // Only admins can send it; pressing twice sends once.
    assert!(core.handle_action(&actor("u3"), &send).await.error);
    let first = core.handle_action(&hr, &send).await;
    assert!(!first.error, "{}", first.to_plain_text());
    let second = core.handle_action(&hr, &send).await;
    assert!(
        second.to_plain_text().contains("すでに送信"),
        "{}",
        second.to_plain_text()
    );

    let platform = Arc::new(LimitedPlatform {
        clock: clock.clone(),
        window: Mutex::new((clock.now(), 0)),
        received: Mutex::new(BTreeMap::new()),
        refused: Mutex::new(0),
    });
    let scheduler = Scheduler::new(core.clone(), platform.clone());
    let mut seconds = 0;
    loop {
        scheduler.run_due().await.unwrap();
        if store.next_wake().await.unwrap().is_none() {
            break;
        }
        clock.set(clock.now() + TimeDelta::seconds(1));
        seconds += 1;
        assert!(seconds < 600, "the broadcast never finished");
    }

    let received = platform.received.lock().unwrap().clone();
    assert_eq!(
        received.len(),
        450,
        "every opted-in Rust member, no one else"
    );
    for (user, dms) in received.iter() {
        let i: usize = user[1..].parse().unwrap();
        assert!(i < 500 && !i.is_multiple_of(10), "{user} should not get it");
        assert_eq!(dms.len(), 1, "{user} got it {} times", dms.len());
        let want = if i.is_multiple_of(2) {
            "管理者からのお知らせ"
        } else {
            "A message from the admins"
        };
        assert!(
            dms[0].contains(want) && dms[0].contains("Rehire info session"),
            "{}",
            dms[0]
        );
    }
    let refused = *platform.refused.lock().unwrap();
    assert!(refused > 0, "the test must hit the rate limit");
    // Paced at 20 a second against a limit of 15: about 30 seconds of sending.
    assert!(seconds + 1 >= 450 / LIMIT_PER_SECOND, "{seconds}s");
    let audit = core.handle_text(&hr, "/admin audit").await.to_plain_text();
    assert!(
        audit.contains("一斉配信を送信") && audit.contains("rustaceans"),
        "{audit}"
    );
}

#[tokio::test]
async fn sqlite_broadcast() {
    let db = TempSqlite::new("broadcast");
    let store = SqliteStore::connect(&db.url()).await.unwrap();
    broadcast_reaches_each_opted_in_member_once(Arc::new(store)).await;
}

#[tokio::test]
async fn postgres_broadcast() {
    let Some(db) = TempPostgres::create("broadcast").await else {
        return;
    };
    let store = PgStore::connect(&db.url).await.unwrap();
    broadcast_reaches_each_opted_in_member_once(Arc::new(store)).await;
    db.drop_db().await;
}
