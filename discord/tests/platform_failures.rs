//! Discord failing for a while: the real scheduler and Discord messenger against a server that
//! answers 500 to every message for a first stretch, then 429 (with `retry_after`), then
//! recovers. Every DM arrives exactly once, nothing is given up, and a failed job waits for its
//! backoff instead of being tried again at once (no tight loop).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use alumni_discord::{Directory, DiscordMessenger};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bot_core::clock::{Clock, ManualClock};
use bot_core::domain::{Identity, MemberStatus, Platform, Profile, Role};
use bot_core::i18n::Locale;
use bot_core::jobs::NewJob;
use bot_core::reply::Reply;
use bot_core::scheduler::Scheduler;
use bot_core::service::{Core, CoreConfig};
use bot_core::store::{NewCommunity, NewMember, SqliteStore, Store};
use bot_core::testing::TempSqlite;
use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Error500,
    TooMany,
    Up,
}

struct FlakyDiscord {
    mode: Mode,
    /// Message posts tried, by mode they met.
    tries: HashMap<&'static str, usize>,
    /// Nonce → times posted successfully.
    posted: HashMap<String, usize>,
}

async fn rest(
    State(p): State<Arc<Mutex<FlakyDiscord>>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let path = uri.path().trim_start_matches("/api/v10/");
    let mut p = p.lock().unwrap();
    match (
        method.as_str(),
        path.split('/').collect::<Vec<_>>().as_slice(),
    ) {
        ("POST", ["users", "@me", "channels"]) => {
            let user = body["recipient_id"].as_str().unwrap_or("0");
            axum::Json(json!({ "id": format!("9{user}"), "type": 1 })).into_response()
        }
        ("POST", ["channels", _, "messages"]) => {
            let mode = p.mode;
            let name = match mode {
                Mode::Error500 => "Error500",
                Mode::TooMany => "TooMany",
                Mode::Up => "Up",
            };
            *p.tries.entry(name).or_default() += 1;
            match mode {
                Mode::Error500 => {
                    (StatusCode::INTERNAL_SERVER_ERROR, "upstream trouble").into_response()
                }
                Mode::TooMany => (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "1")],
                    axum::Json(
                        json!({ "message": "rate limited", "retry_after": 0.2, "global": false }),
                    ),
                )
                    .into_response(),
                Mode::Up => {
                    let nonce = body["nonce"].as_str().unwrap_or_default().to_owned();
                    *p.posted.entry(nonce).or_default() += 1;
                    axum::Json(json!({ "id": "1", "channel_id": "1" })).into_response()
                }
            }
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_then_rate_limits_lose_nothing_and_never_spin() {
    let platform = Arc::new(Mutex::new(FlakyDiscord {
        mode: Mode::Error500,
        tries: HashMap::new(),
        posted: HashMap::new(),
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new().fallback(rest).with_state(platform.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let db = TempSqlite::new("discord_outage");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&db.url()).await.unwrap());
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    ));
    let defaults = NewCommunity {
        name: "ACME".into(),
        locale: Locale::En,
        timezone: "Asia/Tokyo".into(),
        requires_approval: true,
    };
    let community = store
        .community_for_space(Platform::Discord, "1", &defaults)
        .await
        .unwrap()
        .id;
    const DMS: usize = 20;
    let mut jobs = Vec::new();
    for i in 0..DMS {
        let member = store
            .insert_member(
                community,
                &NewMember {
                    identity: Identity {
                        platform: Platform::Discord,
                        space_id: "1".into(),
                        user_id: format!("{}", 1000 + i),
                        handle: format!("m{i}"),
                    },
                    status: MemberStatus::Approved,
                    role: Role::Member,
                    profile: Profile {
                        name: format!("Member {i}"),
                        ..Profile::default()
                    },
                    locale: None,
                    timezone: None,
                },
                &|_| Vec::new(),
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        let mut job = NewJob::notify_member(
            community,
            member.id,
            format!("reminder:{i}"),
            Reply::text(Locale::En, "The party starts in an hour".to_owned()),
            clock.now(),
        );
        job.valid_until = None;
        jobs.push(job);
    }
    store.enqueue(&jobs).await.unwrap();
    let core = Arc::new(Core::new(
        store.clone(),
        clock.clone(),
        CoreConfig {
            bootstrap_admins: Vec::new(),
            community_defaults: defaults,
        },
    ));
    let messenger = Arc::new(DiscordMessenger::new(
        "test-token",
        Some(base),
        Arc::new(Directory::default()),
    ));
    let scheduler = Scheduler::new(core, messenger);

    // Down: every job is tried once and put back for later, none given up.
    let first = scheduler.run_due().await.unwrap();
    assert_eq!((first.retried, first.failed, first.delivered), (DMS, 0, 0));
    let tried = platform.lock().unwrap().tries["Error500"];
    assert_eq!(tried, DMS, "one try per job");
    // Backoff: run again at the same instant and nothing is tried.
    let again = scheduler.run_due().await.unwrap();
    assert_eq!(again.retried + again.delivered, 0, "{again:?}");
    assert_eq!(platform.lock().unwrap().tries["Error500"], DMS);

    // Still down for a few more rounds, then rate limited, then up.
    for (mode, rounds) in [(Mode::Error500, 3), (Mode::TooMany, 2), (Mode::Up, 40)] {
        platform.lock().unwrap().mode = mode;
        for _ in 0..rounds {
            clock.advance(TimeDelta::minutes(10));
            scheduler.run_due().await.unwrap();
        }
    }

    let p = platform.lock().unwrap();
    assert_eq!(p.posted.len(), DMS, "every DM arrived: {:?}", p.tries);
    assert!(
        p.posted.values().all(|&n| n == 1),
        "each exactly once: {:?}",
        p.posted
    );
    // No tight loop: at most one try per job per scheduler pass while failing.
    let failing_tries = p.tries.get("Error500").copied().unwrap_or(0)
        + p.tries.get("TooMany").copied().unwrap_or(0);
    assert!(
        failing_tries <= DMS * 6,
        "tries while failing: {:?}",
        p.tries
    );
}
