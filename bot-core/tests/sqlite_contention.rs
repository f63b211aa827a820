//! The embedded database under concurrent writers: the scheduler delivering a coffee round
//! (up to 8 deliveries in flight, each finishing its job) while members type commands. A write
//! transaction that read first once failed at once with "database is locked" (SQLITE_BUSY on
//! the lock upgrade, where the busy timeout does not apply) and the round's notices went out a
//! week late; writes now take the lock at BEGIN and wait their turn.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use bot_core::clock::{Clock, ManualClock};
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::messenger::{Delivery, DeliveryError, Messenger};
use bot_core::scheduler::Scheduler;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, SqliteStore, Store};
use bot_core::testing::TempSqlite;
use chrono::{TimeDelta, TimeZone, Utc};

/// A platform that takes a moment per message, so deliveries overlap.
#[derive(Default)]
struct SlowPlatform {
    sent: AtomicUsize,
}

#[async_trait]
impl Messenger for SlowPlatform {
    async fn deliver(&self, _d: &Delivery) -> Result<Option<String>, DeliveryError> {
        tokio::task::yield_now().await;
        self.sent.fetch_add(1, Ordering::SeqCst);
        Ok(None)
    }

    async fn update(&self, _d: &Delivery, _message_ref: &str) -> Result<(), DeliveryError> {
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

const ROUNDS: usize = 1000;
const MEMBERS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_rounds_of_deliveries_beside_commands_never_find_the_database_locked() {
    let db = TempSqlite::new("sqlite_contention");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&db.url()).await.unwrap());
    // A Monday morning; rounds every day at 10:00 keep the run short.
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap(),
    ));
    let core = Arc::new(Core::new(
        store.clone(),
        clock.clone(),
        CoreConfig {
            bootstrap_admins: vec!["hr".into()],
            community_defaults: NewCommunity {
                name: "Acme".into(),
                locale: Locale::En,
                timezone: "UTC".into(),
                requires_approval: false,
            },
        },
    ));
    let ok = |reply: bot_core::reply::Reply, line: &str| {
        assert!(!reply.error, "{line}: {}", reply.text);
    };
    let names: Vec<String> = (0..MEMBERS).map(|i| format!("m{i}")).collect();
    for name in &names {
        ok(
            core.handle_text(&actor(name), &format!("/alumni join name:{name}"))
                .await,
            "join",
        );
        ok(
            core.handle_text(&actor(name), "/coffee join").await,
            "coffee join",
        );
    }
    ok(
        core.handle_text(
            &actor("hr"),
            "/coffee setup every:1d day:mon time:10:00 size:2",
        )
        .await,
        "coffee setup",
    );
    ok(
        core.handle_text(&actor("hr"), "/admin segment save everyone")
            .await,
        "segment",
    );
    let platform = Arc::new(SlowPlatform::default());
    let scheduler = Arc::new(Scheduler::new(core.clone(), platform.clone()));
    scheduler.run_due().await.expect("nothing locked");

    let mut last = platform.sent.load(Ordering::SeqCst);
    for round in 0..ROUNDS {
        clock.advance(TimeDelta::days(1));
        // Every round fans out: a broadcast to everyone (8 DMs) beside the coffee rounds.
        let preview = core
            .handle_text(
                &actor("hr"),
                &format!("/admin broadcast segment:everyone message:\"round {round}\""),
            )
            .await;
        ok(preview.clone(), "broadcast");
        let send = preview
            .buttons
            .first()
            .expect("a Send button")
            .action
            .clone();
        ok(core.handle_action(&actor("hr"), &send).await, "send");
        // Deliveries and commands at the same time, each writing.
        let deliveries = {
            let scheduler = scheduler.clone();
            tokio::spawn(async move { scheduler.run_due().await })
        };
        let typing: Vec<_> = names
            .iter()
            .take(3)
            .map(|name| {
                let (core, name) = (core.clone(), name.clone());
                tokio::spawn(async move {
                    let line = format!("/alumni profile set title:\"round {round}\"");
                    (line.clone(), core.handle_text(&actor(&name), &line).await)
                })
            })
            .collect();
        for t in typing {
            let (line, reply) = t.await.unwrap();
            assert!(!reply.error, "round {round}: {line}: {}", reply.text);
        }
        deliveries
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("round {round}: the scheduler failed: {e}"));
        // Whatever became due is delivered now (a second pass picks up what the commands
        // queued meanwhile), never a round late.
        scheduler.run_due().await.expect("nothing locked");
        let sent = platform.sent.load(Ordering::SeqCst);
        assert!(
            sent > last,
            "round {round}: nothing delivered at {}",
            clock.now()
        );
        last = sent;
    }
}
