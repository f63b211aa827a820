//! What a command or button changed comes back as typed effects beside the reply (#14 item 2),
//! and an error names the key it is about: adapters act on these, never on the command line
//! or the message text. Also the store's event ↔ platform copy links (`event_mirrors`).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bot_core::action::Action;
use bot_core::clock::{Clock, ManualClock};
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::messenger::{Delivery, DeliveryError, Messenger};
use bot_core::reply::{Effect, Reply};
use bot_core::scheduler::Scheduler;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{EventMirror, NewCommunity, PgStore, SqliteStore, Store};
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

fn actor(user: &str, locale: Locale) -> Actor {
    Actor {
        identity: Identity {
            platform: Platform::Shell,
            space_id: "local".into(),
            user_id: user.into(),
            handle: user.into(),
        },
        locale: Some(locale),
        platform_admin: false,
    }
}

fn core(store: Arc<dyn Store>, clock: Arc<ManualClock>) -> Arc<Core> {
    Arc::new(Core::new(
        store,
        clock,
        CoreConfig {
            bootstrap_admins: vec!["hr".into()],
            community_defaults: NewCommunity {
                name: "Acme".into(),
                locale: Locale::En,
                timezone: "UTC".into(),
                requires_approval: true,
            },
        },
    ))
}

fn ok(reply: &Reply, what: &str) {
    assert!(!reply.error, "{what}: {}", reply.text);
}

/// The member ids whose standing the reply says changed, with their identities' user ids.
fn standing(reply: &Reply) -> Vec<(i64, Vec<String>)> {
    reply
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::StandingChanged { member, identities } => Some((
                *member,
                identities.iter().map(|i| i.user_id.clone()).collect(),
            )),
            _ => None,
        })
        .collect()
}

async fn check_events(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap(),
    ));
    let core = core(store.clone(), clock.clone());
    let hr = actor("hr", Locale::En);
    // Two events made one after the other: each reply names its own.
    let a = core
        .handle_text(&hr, "/event create title:\"A\" at:\"2026-12-18 19:00\"")
        .await;
    let b = core
        .handle_text(
            &hr,
            "/event create title:\"B\" at:\"2026-12-19 19:00\" repeat:weekly",
        )
        .await;
    ok(&a, "create A");
    ok(&b, "create B");
    let community = core
        .store()
        .community_for_space(Platform::Shell, "local", core.community_defaults())
        .await
        .unwrap()
        .id;
    let events = store.upcoming_events(community, clock.now()).await.unwrap();
    let id_of = |title: &str| events.iter().find(|e| e.title == title).unwrap().id;
    assert_eq!(a.effects, vec![Effect::EventCreated { id: id_of("A") }]);
    assert_eq!(b.effects, vec![Effect::EventCreated { id: id_of("B") }]);
    let a = id_of("A");

    // Reading changes nothing; an edit and a cancel say which event.
    let shown = core.handle_text(&hr, &format!("/event show {a}")).await;
    ok(&shown, "show");
    assert!(shown.effects.is_empty(), "{:?}", shown.effects);
    let edited = core
        .handle_text(&hr, &format!("/event edit {a} title:\"A2\""))
        .await;
    ok(&edited, "edit");
    assert_eq!(edited.effects, vec![Effect::EventChanged { id: a }]);

    // A refused edit changes nothing, and says which key was wrong — in Japanese too, where
    // the message never spells the key.
    let ja = actor("hr", Locale::Ja);
    core.handle_text(&ja, "/alumni profile set locale:ja").await;
    let past = core
        .handle_text(&ja, &format!("/event edit {a} at:\"2020-01-01 10:00\""))
        .await;
    assert!(past.error, "{}", past.text);
    assert!(past.effects.is_empty());
    assert_eq!(past.error_key.as_deref(), Some("at"), "{}", past.text);
    let message = past.text.lines().next().unwrap();
    assert!(!message.contains("at"), "{message}");
    let bad = core
        .handle_text(&ja, "/event create title:\"C\" at:\"明日\" duration:xyz")
        .await;
    assert!(bad.error);
    assert_eq!(bad.error_key.as_deref(), Some("duration"), "{}", bad.text);
    let no_key = core.handle_text(&ja, "/event show 999").await;
    assert!(no_key.error);
    assert_eq!(no_key.error_key, None, "{}", no_key.text);

    let cancelled = core.handle_text(&hr, &format!("/event cancel {a}")).await;
    ok(&cancelled, "cancel");
    assert_eq!(cancelled.effects, vec![Effect::EventCancelled { id: a }]);

    // B repeats weekly: when its first occurrence starts, the roll-over's announcement of
    // the next one carries the new occurrence for whoever delivers it.
    let b = id_of("B");
    let inbox = Arc::new(Inbox::default());
    let scheduler = Scheduler::new(core.clone(), inbox.clone());
    scheduler.run_due().await.unwrap();
    let first = Utc.with_ymd_and_hms(2026, 12, 19, 19, 0, 0).unwrap();
    clock.set(first + TimeDelta::minutes(1));
    scheduler.run_due().await.unwrap();
    scheduler.run_due().await.unwrap();
    let rolled: Vec<Effect> = inbox
        .0
        .lock()
        .unwrap()
        .iter()
        .flat_map(|d| d.reply.effects.clone())
        .collect();
    assert_eq!(
        rolled,
        vec![Effect::EventRolled {
            id: b,
            occurrence: first + TimeDelta::days(7),
        }],
        "only the next occurrence's announcement carries an effect"
    );
}

async fn check_standing(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap(),
    ));
    let core = core(store.clone(), clock);
    core.bootstrap(Platform::Shell, "local").await.unwrap();
    let hr = actor("hr", Locale::En);
    let (aiko, ben, cho) = (
        actor("aiko", Locale::En),
        actor("ben", Locale::En),
        actor("cho", Locale::En),
    );
    for (who, name) in [(&aiko, "Aiko"), (&ben, "Ben"), (&cho, "Cho")] {
        let joined = core
            .handle_text(who, &format!("/alumni join name:{name}"))
            .await;
        ok(&joined, "join");
        assert!(joined.effects.is_empty(), "waiting changes no role");
    }
    let community = core
        .store()
        .community_for_space(Platform::Shell, "local", core.community_defaults())
        .await
        .unwrap()
        .id;
    let id = |user: &'static str| {
        let store = store.clone();
        async move {
            store
                .member_by_identity(community, Platform::Shell, user)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let (aiko_id, ben_id, cho_id) = (id("aiko").await, id("ben").await, id("cho").await);

    // Typed approval.
    let approved = core.handle_text(&hr, "/alumni approve @aiko").await;
    ok(&approved, "approve");
    assert_eq!(standing(&approved), vec![(aiko_id, vec!["aiko".into()])]);
    // The Approve button: the same effect.
    let pending = core.handle_text(&hr, "/alumni pending").await;
    let approve_ben = pending
        .buttons
        .iter()
        .find(|b| Action::decode(&b.action) == Ok(Action::Approve(ben_id)))
        .unwrap_or_else(|| panic!("{:?}", pending.buttons))
        .action
        .clone();
    let pressed = core.handle_action(&hr, &approve_ben).await;
    ok(&pressed, "approve button");
    assert_eq!(standing(&pressed), vec![(ben_id, vec!["ben".into()])]);
    // The Reject button only opens a form: nothing changed yet. The form's command does.
    let reject_cho = pending
        .buttons
        .iter()
        .find(|b| Action::decode(&b.action) == Ok(Action::Reject(cho_id)))
        .unwrap_or_else(|| panic!("{:?}", pending.buttons))
        .action
        .clone();
    let form = core.handle_action(&hr, &reject_cho).await;
    assert!(form.form.is_some() && form.effects.is_empty(), "{form:?}");
    let rejected = core
        .handle_text(&hr, &form.form.unwrap().command.to_string())
        .await;
    ok(&rejected, "reject");
    assert_eq!(standing(&rejected), vec![(cho_id, vec!["cho".into()])]);

    // Coffee chats change no one's standing; leaving them is not leaving the community.
    ok(
        &core.handle_text(&aiko, "/coffee join").await,
        "coffee join",
    );
    let coffee = core.handle_text(&aiko, "/coffee leave").await;
    ok(&coffee, "coffee leave");
    assert!(coffee.effects.is_empty(), "{:?}", coffee.effects);

    let role = core.handle_text(&hr, "/alumni role @aiko supporter").await;
    ok(&role, "role");
    assert_eq!(standing(&role), vec![(aiko_id, vec!["aiko".into()])]);
    let left = core.handle_text(&aiko, "/alumni leave").await;
    ok(&left, "leave");
    assert_eq!(standing(&left), vec![(aiko_id, vec!["aiko".into()])]);
    // Erased: the effect still names who they were on the platform (nothing left to read).
    let erased = core.handle_text(&ben, "/alumni leave delete:yes").await;
    ok(&erased, "erase");
    assert_eq!(standing(&erased), vec![(ben_id, vec!["ben".into()])]);
    assert!(
        store
            .member_by_identity(community, Platform::Shell, "ben")
            .await
            .unwrap()
            .is_none()
    );
}

/// The link between an event occurrence and its platform copy: stored per community, moved by
/// an edit, kept across connections (a restart), gone with nothing else's events.
async fn check_mirrors(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap(),
    ));
    let core = core(store.clone(), clock.clone());
    let hr = actor("hr", Locale::En);
    ok(
        &core
            .handle_text(&hr, "/event create title:\"A\" at:\"2026-12-18 19:00\"")
            .await,
        "create",
    );
    let community = core
        .store()
        .community_for_space(Platform::Shell, "local", core.community_defaults())
        .await
        .unwrap()
        .id;
    let event = store.upcoming_events(community, clock.now()).await.unwrap()[0].clone();
    let first = EventMirror {
        community_id: community,
        event_id: event.id,
        occurrence: event.starts_at,
        platform: Platform::Discord,
        external_id: "5001".into(),
    };
    store.save_event_mirror(&first, clock.now()).await.unwrap();
    assert_eq!(
        store
            .event_mirrors(community, event.id, Platform::Discord)
            .await
            .unwrap(),
        vec![first.clone()]
    );
    assert!(
        store
            .event_mirrors(community, event.id, Platform::Slack)
            .await
            .unwrap()
            .is_empty()
    );
    // Moved (an edit): the same copy, now showing the new start.
    let moved = EventMirror {
        occurrence: event.starts_at + TimeDelta::hours(1),
        ..first.clone()
    };
    store.save_event_mirror(&moved, clock.now()).await.unwrap();
    let second = EventMirror {
        occurrence: event.starts_at + TimeDelta::days(7),
        external_id: "5002".into(),
        ..first.clone()
    };
    store.save_event_mirror(&second, clock.now()).await.unwrap();
    assert_eq!(
        store
            .event_mirrors(community, event.id, Platform::Discord)
            .await
            .unwrap(),
        vec![moved, second]
    );
    // Another community cannot link to this event, nor read its links.
    let other = store
        .community_for_space(Platform::Shell, "elsewhere", core.community_defaults())
        .await
        .unwrap()
        .id;
    store
        .save_event_mirror(
            &EventMirror {
                community_id: other,
                external_id: "6000".into(),
                ..first.clone()
            },
            clock.now(),
        )
        .await
        .unwrap();
    assert!(
        store
            .event_mirrors(other, event.id, Platform::Discord)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn all(store: Arc<dyn Store>, mirrors: Arc<dyn Store>) {
    check_events(store.clone()).await;
    check_mirrors(mirrors).await;
}

#[tokio::test]
async fn commands_and_buttons_say_what_they_changed_on_sqlite() {
    let (db, db2, db3) = (
        TempSqlite::new("effects"),
        TempSqlite::new("effects_standing"),
        TempSqlite::new("effects_mirrors"),
    );
    let open = |url: String| async move {
        Arc::new(SqliteStore::connect(&url).await.unwrap()) as Arc<dyn Store>
    };
    all(open(db.url()).await, open(db3.url()).await).await;
    check_standing(open(db2.url()).await).await;
}

#[tokio::test]
async fn commands_and_buttons_say_what_they_changed_on_postgres() {
    let mut dbs = Vec::new();
    for label in ["effects", "effects_standing", "effects_mirrors"] {
        let Some(db) = TempPostgres::create(label).await else {
            return;
        };
        dbs.push(db);
    }
    let mut stores = Vec::new();
    for db in &dbs {
        stores.push(PgStore::connect(&db.url).await.unwrap());
    }
    all(Arc::new(stores[0].clone()), Arc::new(stores[2].clone())).await;
    check_standing(Arc::new(stores[1].clone())).await;
    for (store, db) in stores.into_iter().zip(dbs) {
        store.pool().close().await;
        db.drop_db().await;
    }
}
