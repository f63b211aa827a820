//! The messenger stays under Discord's limits on its own: against a server that enforces 50
//! requests in any second (429 `global`) and a 5-per-second bucket per channel (429 past it,
//! `X-RateLimit-*` on every answer), a fan-out of DMs and a run of posts to one channel are
//! all delivered without one 429.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alumni_discord::{Directory, DiscordMessenger};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::messenger::{Address, Delivery, Messenger};
use bot_core::reply::Reply;
use serde_json::{Value, json};

const GLOBAL: usize = 50;
const PER_CHANNEL: u32 = 5;

#[derive(Default)]
struct Limits {
    /// Arrival times of accepted requests in the last second.
    recent: VecDeque<Instant>,
    /// Channel → (used, window ends).
    channels: HashMap<String, (u32, Instant)>,
    accepted: usize,
    too_many: usize,
    posted: Vec<String>,
}

async fn rest(
    State(limits): State<Arc<Mutex<Limits>>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let mut l = limits.lock().unwrap();
    let now = Instant::now();
    while l
        .recent
        .front()
        .is_some_and(|t| *t + Duration::from_secs(1) <= now)
    {
        l.recent.pop_front();
    }
    if l.recent.len() >= GLOBAL {
        l.too_many += 1;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1"), ("x-ratelimit-global", "true")],
            axum::Json(json!({ "message": "rate limited", "retry_after": 1.0, "global": true })),
        )
            .into_response();
    }
    let segments: Vec<&str> = uri
        .path()
        .trim_start_matches("/api/v10/")
        .split('/')
        .collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["users", "@me", "channels"]) => {
            l.recent.push_back(now);
            l.accepted += 1;
            let user: u64 = body["recipient_id"]
                .as_str()
                .and_then(|u| u.parse().ok())
                .unwrap_or(0);
            axum::Json(json!({ "id": (user + 1).to_string(), "type": 1 })).into_response()
        }
        ("POST", ["channels", channel, "messages"]) => {
            let (used, ends) = l.channels.entry((*channel).to_owned()).or_insert((0, now));
            if now >= *ends {
                *used = 0;
                *ends = now + Duration::from_secs(1);
            }
            let reset_after = format!("{:.3}", (*ends - now).as_secs_f64());
            if *used >= PER_CHANNEL {
                l.too_many += 1;
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", reset_after.clone())],
                    axum::Json(
                        json!({ "message": "rate limited", "retry_after": 1.0, "global": false }),
                    ),
                )
                    .into_response();
            }
            *used += 1;
            let remaining = (PER_CHANNEL - *used).to_string();
            l.recent.push_back(now);
            l.accepted += 1;
            l.posted.push((*channel).to_owned());
            let id = l.accepted.to_string();
            (
                [
                    ("x-ratelimit-limit", PER_CHANNEL.to_string()),
                    ("x-ratelimit-remaining", remaining),
                    ("x-ratelimit-reset-after", reset_after),
                    ("x-ratelimit-bucket", "messages".to_owned()),
                ],
                axum::Json(json!({ "id": id, "channel_id": channel })),
            )
                .into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn delivery(key: String, to: Address) -> Delivery {
    Delivery {
        key,
        community_id: 1,
        to,
        reply: Reply::text(Locale::En, "See you tonight".to_owned()),
        retry: false,
    }
}

#[tokio::test]
async fn a_fan_out_stays_under_the_global_and_channel_limits() {
    let limits = Arc::new(Mutex::new(Limits::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new().fallback(rest).with_state(limits.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let messenger = DiscordMessenger::new("test-token", Some(base), Arc::new(Directory::default()));

    // 40 DMs: 80 requests, more than one second's worth.
    const DMS: u64 = 40;
    for i in 0..DMS {
        let user = Identity {
            platform: Platform::Discord,
            space_id: "1".into(),
            user_id: (1_000 + i * 10).to_string(),
            handle: format!("m{i}"),
        };
        messenger
            .deliver(&delivery(format!("dm:{i}"), Address::Direct(user)))
            .await
            .unwrap_or_else(|e| panic!("DM {i}: {e}"));
    }
    // A run of posts to one channel: more than its bucket holds.
    for i in 0..8 {
        messenger
            .deliver(&delivery(
                format!("post:{i}"),
                Address::Channel("600000000000000001".into()),
            ))
            .await
            .unwrap_or_else(|e| panic!("post {i}: {e}"));
    }

    let l = limits.lock().unwrap();
    assert_eq!(l.too_many, 0, "no request was answered 429");
    assert_eq!(l.accepted, 2 * DMS as usize + 8);
    assert_eq!(l.posted.len(), DMS as usize + 8, "every message posted");
}
