//! The job runner against a real store: delivery, retry with backoff and Retry-After, giving up,
//! skipping what is stale. The Messenger is a recording fake at the port (the network edge).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bot_core::clock::{Clock, ManualClock};
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::jobs::NewJob;
use bot_core::messenger::{Address, Delivery, DeliveryError, Messenger};
use bot_core::reply::Reply;
use bot_core::scheduler::{MAX_ATTEMPTS, RunStats, Scheduler};
use bot_core::service::{Core, CoreConfig};
use bot_core::store::{NewCommunity, NewMember, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{TimeDelta, TimeZone, Utc};

/// Records deliveries; answers with scripted failures first.
#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<Delivery>>,
    failures: Mutex<VecDeque<DeliveryError>>,
}

#[async_trait]
impl Messenger for Recorder {
    async fn deliver(&self, d: &Delivery) -> Result<Option<String>, DeliveryError> {
        if let Some(e) = self.failures.lock().unwrap().pop_front() {
            return Err(e);
        }
        self.sent.lock().unwrap().push(d.clone());
        Ok(Some(format!("msg-{}", d.key)))
    }

    async fn update(&self, _d: &Delivery, _message_ref: &str) -> Result<(), DeliveryError> {
        Ok(())
    }
}

struct Rig {
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    messenger: Arc<Recorder>,
    scheduler: Scheduler,
    community: i64,
    member: i64,
}

async fn rig(store: Arc<dyn Store>) -> Rig {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    ));
    let messenger = Arc::new(Recorder::default());
    let community = store
        .community_for_space(
            Platform::Shell,
            "local",
            &NewCommunity {
                name: "ACME".into(),
                locale: Locale::Ja,
                timezone: "Asia/Tokyo".into(),
                requires_approval: true,
            },
        )
        .await
        .unwrap();
    let member = store
        .insert_member(
            community.id,
            &NewMember {
                identity: Identity {
                    platform: Platform::Shell,
                    space_id: "local".into(),
                    user_id: "alice".into(),
                    handle: "alice".into(),
                },
                status: bot_core::domain::MemberStatus::Approved,
                role: bot_core::domain::Role::Member,
                profile: bot_core::domain::Profile {
                    name: "Alice".into(),
                    ..Default::default()
                },
                locale: None,
                timezone: None,
            },
            &|_| Vec::new(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let core = Arc::new(Core::new(
        store.clone(),
        clock.clone(),
        CoreConfig {
            bootstrap_admins: Vec::new(),
            community_defaults: NewCommunity {
                name: "ACME".into(),
                locale: Locale::Ja,
                timezone: "Asia/Tokyo".into(),
                requires_approval: true,
            },
        },
    ));
    let scheduler = Scheduler::new(core, messenger.clone());
    Rig {
        store,
        clock,
        messenger,
        scheduler,
        community: community.id,
        member: member.id,
    }
}

impl Rig {
    fn job(&self, key: &str, due_in: TimeDelta) -> NewJob {
        let mut job = NewJob::notify_member(
            self.community,
            self.member,
            key.into(),
            Reply::text(Locale::En, format!("hello {key}")),
            self.clock.now() + due_in,
        );
        job.valid_until = None;
        job
    }

    fn sent_keys(&self) -> Vec<String> {
        self.messenger
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.key.clone())
            .collect()
    }
}

async fn check_delivers_due_jobs_once_in_order(store: Arc<dyn Store>) {
    let r = rig(store).await;
    r.store
        .enqueue(&[
            r.job("later", TimeDelta::hours(2)),
            r.job("now", TimeDelta::zero()),
            r.job("soon", TimeDelta::minutes(30)),
        ])
        .await
        .unwrap();
    assert_eq!(r.scheduler.run_due().await.unwrap().delivered, 1);
    assert_eq!(r.sent_keys(), ["now"]);
    let sent = r.messenger.sent.lock().unwrap()[0].clone();
    assert!(!sent.retry, "a first attempt is not a retry");
    assert_eq!(
        sent.to,
        Address::Direct(Identity {
            platform: Platform::Shell,
            space_id: "local".into(),
            user_id: "alice".into(),
            handle: "alice".into()
        })
    );
    assert_eq!(
        r.store.next_wake().await.unwrap(),
        Some(r.clock.now() + TimeDelta::minutes(30))
    );
    r.clock.advance(TimeDelta::hours(3));
    assert_eq!(r.scheduler.run_due().await.unwrap().delivered, 2);
    assert_eq!(r.sent_keys(), ["now", "soon", "later"]);
    // Nothing runs twice.
    assert_eq!(r.scheduler.run_due().await.unwrap(), RunStats::default());
    assert_eq!(r.store.next_wake().await.unwrap(), None);
}

async fn check_retries_with_backoff_and_retry_after(store: Arc<dyn Store>) {
    let r = rig(store).await;
    r.messenger.failures.lock().unwrap().extend([
        DeliveryError::Transient("503".into()),
        DeliveryError::RateLimited(Duration::from_secs(20)),
    ]);
    r.store
        .enqueue(&[r.job("flaky", TimeDelta::zero())])
        .await
        .unwrap();
    assert_eq!(r.scheduler.run_due().await.unwrap().retried, 1);
    // First retry after the 5 s backoff, not before.
    assert_eq!(
        r.store.next_wake().await.unwrap(),
        Some(r.clock.now() + TimeDelta::seconds(5))
    );
    r.clock.advance(TimeDelta::seconds(4));
    assert_eq!(r.scheduler.run_due().await.unwrap(), RunStats::default());
    r.clock.advance(TimeDelta::seconds(1));
    assert_eq!(r.scheduler.run_due().await.unwrap().retried, 1);
    // The 429 said 20 s.
    assert_eq!(
        r.store.next_wake().await.unwrap(),
        Some(r.clock.now() + TimeDelta::seconds(20))
    );
    r.clock.advance(TimeDelta::seconds(20));
    assert_eq!(r.scheduler.run_due().await.unwrap().delivered, 1);
    assert_eq!(r.sent_keys(), ["flaky"]);
    // The adapter is told, from the database, that an earlier attempt may have posted.
    assert!(r.messenger.sent.lock().unwrap()[0].retry);
}

async fn check_gives_up_and_skips_stale(store: Arc<dyn Store>) {
    let r = rig(store).await;
    // A permanent error fails at once.
    r.messenger
        .failures
        .lock()
        .unwrap()
        .push_back(DeliveryError::Permanent("unknown user".into()));
    r.store
        .enqueue(&[r.job("doomed", TimeDelta::zero())])
        .await
        .unwrap();
    assert_eq!(r.scheduler.run_due().await.unwrap().failed, 1);
    // A job past its "worth sending until" is skipped, never delivered late.
    let mut stale = r.job("stale", TimeDelta::zero());
    stale.valid_until = Some(r.clock.now() - TimeDelta::minutes(1));
    r.store.enqueue(&[stale]).await.unwrap();
    assert_eq!(r.scheduler.run_due().await.unwrap().skipped, 1);
    // A job that keeps failing is marked failed after MAX_ATTEMPTS, not retried forever.
    let attempts = usize::try_from(MAX_ATTEMPTS).unwrap();
    r.messenger
        .failures
        .lock()
        .unwrap()
        .extend((0..attempts).map(|_| DeliveryError::Transient("timeout".into())));
    r.store
        .enqueue(&[r.job("stubborn", TimeDelta::zero())])
        .await
        .unwrap();
    let mut total = RunStats::default();
    for _ in 0..attempts + 2 {
        let s = r.scheduler.run_due().await.unwrap();
        total.retried += s.retried;
        total.failed += s.failed;
        r.clock.advance(TimeDelta::hours(2));
    }
    assert_eq!((total.retried, total.failed), (attempts - 1, 1));
    assert!(r.sent_keys().is_empty());
    assert_eq!(r.store.next_wake().await.unwrap(), None);
}

async fn check_erased_member_gets_nothing(store: Arc<dyn Store>) {
    let r = rig(store).await;
    r.store
        .enqueue(&[r.job("for-alice", TimeDelta::minutes(5))])
        .await
        .unwrap();
    r.store.erase_member(r.community, r.member).await.unwrap();
    r.clock.advance(TimeDelta::hours(1));
    assert_eq!(r.scheduler.run_due().await.unwrap(), RunStats::default());
    assert!(r.sent_keys().is_empty());
}

/// A platform that answers 429 for ever: retried (rate limits are not failures) until a day
/// has passed since the first try, then given up, counted, and nothing more is asked.
async fn check_a_day_of_rate_limits_is_given_up(store: Arc<dyn Store>) {
    let r = rig(store).await;
    r.messenger
        .failures
        .lock()
        .unwrap()
        .extend((0..10_000).map(|_| DeliveryError::RateLimited(Duration::from_secs(600))));
    r.store
        .enqueue(&[r.job("throttled", TimeDelta::zero())])
        .await
        .unwrap();
    let mut total = RunStats::default();
    // Every ten minutes for 23 hours: still retried, far past MAX_ATTEMPTS.
    for _ in 0..(23 * 6) {
        let s = r.scheduler.run_due().await.unwrap();
        total.retried += s.retried;
        total.failed += s.failed;
        r.clock.advance(TimeDelta::minutes(10));
    }
    assert!(total.retried > usize::try_from(MAX_ATTEMPTS).unwrap());
    assert_eq!(total.failed, 0, "not given up within the day");
    // Past a day since the first try: given up, once.
    let mut after = RunStats::default();
    for _ in 0..(2 * 6) {
        let s = r.scheduler.run_due().await.unwrap();
        after.failed += s.failed;
        after.gave_up += s.gave_up;
        r.clock.advance(TimeDelta::minutes(10));
    }
    assert_eq!((after.failed, after.gave_up), (1, 1));
    assert!(r.sent_keys().is_empty());
    assert_eq!(
        r.store.next_wake().await.unwrap(),
        None,
        "nothing left to retry"
    );
}

macro_rules! on_both {
    ($($check:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $check() {
                    let db = super::TempSqlite::new(stringify!($check));
                    let store = super::SqliteStore::connect(&db.url()).await.unwrap();
                    super::$check(std::sync::Arc::new(store)).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $check() {
                    let Some(db) = super::TempPostgres::create(stringify!($check)).await else { return };
                    let store = bot_core::store::PgStore::connect(&db.url).await.unwrap();
                    super::$check(std::sync::Arc::new(store.clone())).await;
                    store.pool().close().await;
                    db.drop_db().await;
                }
            )+
        }
    };
}

on_both!(
    check_delivers_due_jobs_once_in_order,
    check_retries_with_backoff_and_retry_after,
    check_gives_up_and_skips_stale,
    check_erased_member_gets_nothing,
    check_a_day_of_rate_limits_is_given_up,
);
