//! `SlackStore` on both backends: installations, single-use expiring OAuth states and event
//! dedupe. PostgreSQL tests skip when no server is reachable, unless `ALUMNI_REQUIRE_PG=1`.

use std::future::Future;

use bot_core::domain::Platform;
use bot_core::i18n::Locale;
use bot_core::store::{NewCommunity, PgStore, SlackInstallation, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{TimeDelta, TimeZone, Utc};

async fn on_sqlite<F, Fut>(label: &str, check: F)
where
    F: FnOnce(SqliteStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let db = TempSqlite::new(label);
    let store = SqliteStore::connect(&db.url()).await.expect("open SQLite");
    check(store).await;
}

async fn on_postgres<F, Fut>(label: &str, check: F)
where
    F: FnOnce(PgStore) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(db) = TempPostgres::create(label).await else {
        return;
    };
    let store = PgStore::connect(&db.url).await.expect("open PostgreSQL");
    let pool = store.pool().clone();
    let outcome = tokio::spawn(check(store)).await;
    pool.close().await;
    db.drop_db().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

macro_rules! both {
    ($($name:ident => $check:ident;)*) => {
        mod sqlite {
            use super::*;
            $(#[tokio::test]
            async fn $name() {
                on_sqlite(stringify!($name), |s| async move { $check(&s).await }).await;
            })*
        }
        mod postgres {
            use super::*;
            $(#[tokio::test]
            async fn $name() {
                on_postgres(stringify!($name), |s| async move { $check(&s).await }).await;
            })*
        }
    };
}

both! {
    installation_round_trip_and_revoke => check_installations;
    oauth_state_single_use_and_expiring => check_oauth_states;
    event_ids_processed_once => check_event_dedupe;
}

fn defaults() -> NewCommunity {
    NewCommunity {
        name: "Alumni".into(),
        locale: Locale::En,
        timezone: "UTC".into(),
        requires_approval: true,
    }
}

async fn check_installations(store: &dyn Store) {
    let community = store
        .community_for_space(Platform::Slack, "T1", &defaults())
        .await
        .unwrap();
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut install = SlackInstallation {
        team_id: "T1".into(),
        community_id: community.id,
        bot_token: "xoxb-1".into(),
        bot_user_id: "UBOT".into(),
        revoked: false,
        installed_at: at,
    };
    store.save_slack_installation(&install).await.unwrap();
    assert_eq!(
        store.slack_installation("T1").await.unwrap(),
        Some(install.clone())
    );
    assert_eq!(store.slack_installation("T2").await.unwrap(), None);
    assert_eq!(
        store
            .slack_installation_for_community(community.id)
            .await
            .unwrap(),
        Some(install.clone())
    );

    assert!(store.revoke_slack_installation("T1").await.unwrap());
    assert!(!store.revoke_slack_installation("T2").await.unwrap());
    assert!(
        store
            .slack_installation("T1")
            .await
            .unwrap()
            .unwrap()
            .revoked
    );

    // A reinstall replaces the token and lifts the revocation.
    install.bot_token = "xoxb-2".into();
    install.installed_at = at + TimeDelta::hours(1);
    store.save_slack_installation(&install).await.unwrap();
    let back = store.slack_installation("T1").await.unwrap().unwrap();
    assert_eq!(back.bot_token, "xoxb-2");
    assert!(!back.revoked);
}

async fn check_oauth_states(store: &dyn Store) {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let ten = TimeDelta::minutes(10);
    for state in ["s-fresh", "s-old"] {
        assert!(
            store
                .insert_oauth_state(state, now, now + ten, 100)
                .await
                .unwrap()
        );
    }

    assert!(!store.take_oauth_state("s-unknown", now).await.unwrap());
    assert!(store.take_oauth_state("s-fresh", now).await.unwrap());
    assert!(
        !store.take_oauth_state("s-fresh", now).await.unwrap(),
        "a state is single use"
    );
    assert!(
        !store
            .take_oauth_state("s-old", now + ten + TimeDelta::seconds(1))
            .await
            .unwrap(),
        "an expired state is refused"
    );

    // A loop of installs cannot grow the table: past the cap nothing more is stored, and
    // expired states are gone as soon as anyone asks for a new one (#15 item 8).
    let later = now + TimeDelta::hours(1);
    let mut stored = 0;
    for i in 0..2_000 {
        if store
            .insert_oauth_state(&format!("s-{i}"), later, later + ten, 500)
            .await
            .unwrap()
        {
            stored += 1;
        }
    }
    assert_eq!(stored, 500);
    assert_eq!(store.count_oauth_states().await.unwrap(), 500);
    let expired = later + ten + TimeDelta::seconds(1);
    assert!(
        store
            .insert_oauth_state("s-next", expired, expired + ten, 500)
            .await
            .unwrap()
    );
    assert_eq!(store.count_oauth_states().await.unwrap(), 1);
}

async fn check_event_dedupe(store: &dyn Store) {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    assert!(store.first_slack_event("Ev1", now).await.unwrap());
    assert!(
        !store
            .first_slack_event("Ev1", now + TimeDelta::seconds(30))
            .await
            .unwrap()
    );
    assert!(store.first_slack_event("Ev2", now).await.unwrap());
}
