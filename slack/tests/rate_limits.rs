//! The messenger stays under Slack's limits on its own: against a server that allows
//! chat.postMessage once a second per channel and conversations.open 50 times a minute (429
//! with Retry-After past either), a fan-out of DMs and a run of posts to one channel are all
//! delivered without one 429, and the DMs are not held to conversations.open's limit.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alumni_slack::{SlackApi, SlackMessenger};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::messenger::{Address, Delivery, Messenger};
use bot_core::reply::Reply;
use bot_core::store::{SqliteStore, Store};
use bot_core::testing::TempSqlite;
use serde_json::{Value, json};

#[derive(Default)]
struct Limits {
    /// Channel → when it last accepted a post.
    last_post: HashMap<String, Instant>,
    opens: VecDeque<Instant>,
    too_many: usize,
    /// (channel, delivery key) of every accepted post.
    posted: Vec<(String, String)>,
    opened: usize,
}

fn too_many() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [("retry-after", "1")],
        axum::Json(json!({ "ok": false, "error": "ratelimited" })),
    )
        .into_response()
}

async fn api(
    State(limits): State<Arc<Mutex<Limits>>>,
    Path(method): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut l = limits.lock().unwrap();
    let now = Instant::now();
    match method.as_str() {
        "conversations.open" => {
            while l
                .opens
                .front()
                .is_some_and(|t| *t + Duration::from_secs(60) <= now)
            {
                l.opens.pop_front();
            }
            if l.opens.len() >= 50 {
                l.too_many += 1;
                return too_many();
            }
            l.opens.push_back(now);
            l.opened += 1;
            let users = body["users"].as_str().unwrap_or_default();
            axum::Json(json!({ "ok": true, "channel": { "id": format!("D{users}") } }))
                .into_response()
        }
        "chat.postMessage" => {
            let channel = match body["channel"].as_str().unwrap_or_default() {
                c if c.starts_with('U') => format!("D{c}"),
                c => c.to_owned(),
            };
            // No burst at all: stricter than Slack.
            if l.last_post
                .get(&channel)
                .is_some_and(|t| now - *t < Duration::from_secs(1))
            {
                l.too_many += 1;
                return too_many();
            }
            l.last_post.insert(channel.clone(), now);
            let key = body["metadata"]["event_payload"]["key"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            l.posted.push((channel.clone(), key));
            let ts = format!("1700000000.{:06}", l.posted.len());
            axum::Json(json!({ "ok": true, "channel": channel, "ts": ts })).into_response()
        }
        _ => axum::Json(json!({ "ok": false, "error": "unknown_method" })).into_response(),
    }
}

fn delivery(key: String, to: Address) -> Delivery {
    Delivery {
        key,
        community_id: 1,
        to,
        reply: Reply::text(Locale::En, "See you tonight"),
        retry: false,
    }
}

#[tokio::test]
async fn a_fan_out_stays_under_the_channel_and_tier_limits() {
    let limits = Arc::new(Mutex::new(Limits::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api", listener.local_addr().unwrap());
    let router = Router::new()
        .route("/api/{method}", axum::routing::post(api))
        .with_state(limits.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let db = TempSqlite::new("slack_rate_limits");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&db.url()).await.unwrap());
    let api = Arc::new(SlackApi::new(&base).unwrap());
    let messenger = SlackMessenger::new(api, store, Some("xoxb-test".into()));

    const DMS: usize = 60;
    for i in 0..DMS {
        let user = Identity {
            platform: Platform::Slack,
            space_id: "T1".into(),
            user_id: format!("U{i:08}"),
            handle: format!("m{i}"),
        };
        messenger
            .deliver(&delivery(format!("dm:{i}"), Address::Direct(user)))
            .await
            .unwrap_or_else(|e| panic!("DM {i}: {e}"));
    }
    // Three posts to one channel: a second apart.
    for i in 0..3 {
        messenger
            .deliver(&delivery(
                format!("post:{i}"),
                Address::Channel("C00000001".into()),
            ))
            .await
            .unwrap_or_else(|e| panic!("post {i}: {e}"));
    }

    let l = limits.lock().unwrap();
    assert_eq!(l.too_many, 0, "no request was answered 429");
    assert_eq!(l.posted.len(), DMS + 3, "every message posted once");
    for i in 0..DMS {
        let expected = (format!("DU{i:08}"), format!("dm:{i}"));
        assert!(l.posted.contains(&expected), "{expected:?} in its DM");
    }
    assert!(
        l.opened < DMS,
        "DMs past the conversations.open budget go straight to the user id"
    );
}
