//! A fake Discord on 127.0.0.1: the REST routes the bot uses (recording every call) and a
//! WebSocket gateway (HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats ACKed) through which a
//! test pushes events shaped as Discord sends them. Payload builders live here too, and a test
//! below checks each one deserializes into serenity's model: serenity drops an event it cannot
//! parse without a word.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Discord's rules for command registration, which the registration routes enforce (a path
/// beside this file, so the benches that include the fake by path get it too).
#[path = "registration.rs"]
pub mod registration;

/// Discord's limits on messages and modals, which every post, edit and interaction response
/// is checked against (`limits.rs`, beside this file for the same reason).
#[path = "limits.rs"]
pub mod limits;

pub const APP_ID: u64 = 900_000_000_000_000_001;
pub const BOT_USER: u64 = APP_ID;
pub const GUILD: u64 = 800_000_000_000_000_001;
pub const OWNER: u64 = 700_000_000_000_000_001;
pub const GENERAL: u64 = 600_000_000_000_000_001;
pub const TOKEN: &str = "fake-bot-token";

#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub body: Value,
    /// When the fake received it.
    pub at: Instant,
}

/// How long Discord remembers a nonce sent with `enforce_nonce` ("the past few minutes").
pub const NONCE_WINDOW: Duration = Duration::from_secs(5 * 60);

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    /// Path prefix → how many more requests get a 429.
    throttled: HashMap<String, u32>,
    /// Path prefix → how many more requests are carried out but answered 500 (the answer
    /// lost: the caller cannot tell whether it happened).
    lost: HashMap<String, u32>,
    /// Nonces posted with enforce_nonce, per (channel, nonce) → when, and the message.
    nonces: HashMap<(String, String), (Instant, Value)>,
    /// How long a nonce dedupes; `None`: [`NONCE_WINDOW`].
    nonce_window: Option<Duration>,
    /// Time the nonce window has been moved on by (instead of waiting minutes).
    nonce_clock: Duration,
    /// Every channel's messages, oldest first, as a read returns them.
    messages: HashMap<String, Vec<Value>>,
    /// Registered application commands: `None` globally, else per guild id.
    commands: HashMap<Option<String>, Vec<Value>>,
    /// Registrations refused with 50035, with Discord's error body.
    refused_registrations: Vec<Value>,
    /// Messages and modals refused with 50035 for breaking a limit: (path, Discord's body).
    limit_refusals: Vec<(String, Value)>,
    /// When each interaction was pushed, by id (to measure the answer's delay).
    pushed: HashMap<String, Instant>,
    /// Files users attached (the CDN), by path.
    files: HashMap<String, Vec<u8>>,
}

pub struct FakeDiscord {
    pub base: String,
    pub gateway_url: String,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
    events: mpsc::UnboundedSender<(String, Value)>,
    /// Set once a gateway connection identified.
    pub identified: Arc<Notify>,
    ids: Arc<AtomicU64>,
}

#[derive(Clone)]
struct Http {
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
    gateway_url: String,
    ids: Arc<AtomicU64>,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        FakeDiscord::start_with_guild(guild_payload()).await
    }

    /// With another GUILD_CREATE payload (the benchmark's guild of 10,000 members).
    pub async fn start_with_guild(guild: Value) -> FakeDiscord {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let changed = Arc::new(Notify::new());
        let ids = Arc::new(AtomicU64::new(1_000));
        let ws = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway_url = format!("ws://{}", ws.local_addr().unwrap());
        let (events, rx) = mpsc::unbounded_channel();
        let identified = Arc::new(Notify::new());
        let guild = Arc::new(guild);
        tokio::spawn(gateway(
            ws,
            rx,
            gateway_url.clone(),
            identified.clone(),
            guild,
        ));
        let http = Http {
            inner: inner.clone(),
            changed: changed.clone(),
            gateway_url: gateway_url.clone(),
            ids: ids.clone(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = Router::new().fallback(rest).with_state(http);
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        FakeDiscord {
            base,
            gateway_url,
            inner,
            changed,
            events,
            identified,
            ids,
        }
    }

    /// Push a dispatch event (`t`, `d`) down the gateway.
    pub fn dispatch(&self, kind: &str, data: Value) {
        if kind == "INTERACTION_CREATE"
            && let Some(id) = data["id"].as_str()
        {
            self.inner
                .lock()
                .unwrap()
                .pushed
                .insert(id.to_owned(), Instant::now());
        }
        self.events.send((kind.to_owned(), data)).unwrap();
    }

    pub fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    /// A file a user attached to an interaction, served like Discord's CDN; returns the
    /// attachment object for the interaction's `data.resolved.attachments`.
    pub fn attach(&self, filename: &str, content_type: &str, bytes: &[u8]) -> Value {
        let id = self.next_id();
        // Discord's URL ends with the (percent-encoded) file name; the id is enough here.
        let path = format!("/attachments/{GUILD}/{id}/file");
        self.inner
            .lock()
            .unwrap()
            .files
            .insert(path.clone(), bytes.to_vec());
        json!({
            "id": id.to_string(),
            "filename": filename,
            "size": bytes.len(),
            "url": format!("{}{path}", self.base),
            "proxy_url": format!("{}{path}", self.base),
            "content_type": content_type,
            "ephemeral": true,
        })
    }

    /// The next `times` requests whose path starts with `prefix` get a 429.
    pub fn throttle(&self, prefix: &str, times: u32) {
        self.inner
            .lock()
            .unwrap()
            .throttled
            .insert(prefix.to_owned(), times);
    }

    /// The next `times` requests whose path starts with `prefix` are carried out but
    /// answered 500, as when Discord's answer is lost after it acted.
    pub fn lose_answers(&self, prefix: &str, times: u32) {
        self.inner
            .lock()
            .unwrap()
            .lost
            .insert(prefix.to_owned(), times);
    }

    /// How long a nonce sent with `enforce_nonce` dedupes (default [`NONCE_WINDOW`]).
    pub fn set_nonce_window(&self, window: Duration) {
        self.inner.lock().unwrap().nonce_window = Some(window);
    }

    /// Moves the nonce window's clock on by `by`, as if that much time had passed.
    pub fn pass_nonce_time(&self, by: Duration) {
        self.inner.lock().unwrap().nonce_clock += by;
    }

    /// What channel `channel` holds, oldest first (edits applied), as members see it.
    pub fn messages_in(&self, channel: u64) -> Vec<Value> {
        self.inner
            .lock()
            .unwrap()
            .messages
            .get(&channel.to_string())
            .cloned()
            .unwrap_or_default()
    }

    /// The commands registered in `guild` (`None`: globally), as Discord stored them.
    pub fn registered(&self, guild: Option<u64>) -> Option<Vec<Value>> {
        self.inner
            .lock()
            .unwrap()
            .commands
            .get(&guild.map(|g| g.to_string()))
            .cloned()
    }

    /// Waits (up to 10 s) for the first registration in `guild` (`None`: global) to be
    /// answered: `Ok` with what was stored, or `Err` with Discord's 50035 body.
    pub async fn registration(&self, guild: Option<u64>) -> Result<Vec<Value>, Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.changed.notified();
            if let Some(stored) = self.registered(guild) {
                return Ok(stored);
            }
            if let Some(refused) = self.inner.lock().unwrap().refused_registrations.first() {
                return Err(refused.clone());
            }
            assert!(Instant::now() < deadline, "no registration answered");
            let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
        }
    }

    /// Every message or modal the fake refused for breaking Discord's limits: (path, body).
    pub fn limit_refusals(&self) -> Vec<(String, Value)> {
        self.inner.lock().unwrap().limit_refusals.clone()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    pub fn calls_to(&self, method: &str, path_part: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method && c.path.contains(path_part))
            .collect()
    }

    /// Wait (up to 10 s) until `n` calls match, then return them.
    pub async fn wait_for(&self, method: &str, path_part: &str, n: usize) -> Vec<Call> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.changed.notified();
            let found = self.calls_to(method, path_part);
            if found.len() >= n {
                return found;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {n} × {method} {path_part}; calls so far: {:#?}",
                    self.calls()
                        .iter()
                        .map(|c| format!("{} {}", c.method, c.path))
                        .collect::<Vec<_>>()
                );
            }
            let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
        }
    }

    /// How long after being pushed interaction `id` got its final answer: the edit of the
    /// original response, or the follow-up that replaced it; for an answer given in the
    /// callback itself (no defer), the callback.
    pub fn completion_delay(&self, id: &str) -> Option<Duration> {
        let inner = self.inner.lock().unwrap();
        let pushed = *inner.pushed.get(id)?;
        let token = format!("/itoken-{id}");
        let callback = format!("/interactions/{id}/");
        let mut deferred = false;
        for c in &inner.calls {
            if c.path.contains(&callback) {
                // Types 5 and 6 acknowledge now and answer later.
                deferred = matches!(c.body["type"].as_u64(), Some(5 | 6));
                if !deferred {
                    return Some(c.at - pushed);
                }
            } else if deferred
                && c.path.contains(&token)
                && (c.method == "PATCH" || c.method == "POST")
            {
                return Some(c.at - pushed);
            }
        }
        None
    }

    /// How long after being pushed interaction `id` got its callback.
    pub fn answer_delay(&self, id: &str) -> Option<Duration> {
        let inner = self.inner.lock().unwrap();
        let pushed = *inner.pushed.get(id)?;
        inner
            .calls
            .iter()
            .find(|c| c.path.contains(&format!("/interactions/{id}/")))
            .map(|c| c.at - pushed)
    }
}

async fn rest(State(http): State<Http>, method: Method, uri: Uri, body: Bytes) -> Response {
    let path = uri.path().to_owned();
    let body_json: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let (throttled, lost) = {
        let mut inner = http.inner.lock().unwrap();
        inner.calls.push(Call {
            method: method.to_string(),
            path: path.clone(),
            body: body_json.clone(),
            at: Instant::now(),
        });
        let throttled = take_one(&mut inner.throttled, &path);
        let lost = !throttled && take_one(&mut inner.lost, &path);
        (throttled, lost)
    };
    http.changed.notify_waiters();
    if method == Method::GET
        && let Some(file) = http.inner.lock().unwrap().files.get(&path).cloned()
    {
        return (StatusCode::OK, file).into_response();
    }
    if throttled {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "0.2"), ("x-ratelimit-scope", "user")],
            axum::Json(
                json!({ "message": "You are being rate limited.", "retry_after": 0.2, "global": false }),
            ),
        )
            .into_response();
    }
    if let Some(error) = limits::check(method.as_str(), &path, &body_json) {
        let mut inner = http.inner.lock().unwrap();
        inner.limit_refusals.push((path.clone(), error.clone()));
        drop(inner);
        http.changed.notify_waiters();
        return (StatusCode::BAD_REQUEST, axum::Json(error)).into_response();
    }
    let response = route(
        &http,
        &method,
        &path,
        uri.query().unwrap_or_default(),
        &body_json,
    );
    http.changed.notify_waiters();
    if lost {
        // Done, but the answer never reaches the caller.
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({ "message": "500: Internal Server Error", "code": 0 })),
        )
            .into_response();
    }
    response
}

/// Uses up one of the requests counted for the first prefix of `path` that has any left.
fn take_one(counts: &mut HashMap<String, u32>, path: &str) -> bool {
    match counts
        .iter_mut()
        .find(|(prefix, left)| path.starts_with(prefix.as_str()) && **left > 0)
    {
        Some((_, left)) => {
            *left -= 1;
            true
        }
        None => false,
    }
}

fn route(http: &Http, method: &Method, path: &str, query: &str, body_json: &Value) -> Response {
    let segments: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    let ok = |v: Value| (StatusCode::OK, axum::Json(v)).into_response();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["gateway"]) => ok(json!({ "url": http.gateway_url })),
        ("GET", ["gateway", "bot"]) => ok(json!({
            "url": http.gateway_url,
            "shards": 1,
            "session_start_limit": { "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1 },
        })),
        ("PUT", ["applications", _, "commands"]) => register(http, None, body_json),
        ("PUT", ["applications", _, "guilds", guild, "commands"]) => {
            register(http, Some(guild), body_json)
        }
        ("GET", ["applications", _, "commands"]) => ok(Value::Array(registered(http, None))),
        ("GET", ["applications", _, "guilds", guild, "commands"]) => {
            ok(Value::Array(registered(http, Some(guild))))
        }
        ("POST", ["interactions", _, _, "callback"]) => StatusCode::NO_CONTENT.into_response(),
        ("DELETE", ["webhooks", _, _, "messages", _]) => StatusCode::NO_CONTENT.into_response(),
        ("PATCH", ["webhooks", _, _, "messages", _]) | ("POST", ["webhooks", _, _]) => {
            let id = http.ids.fetch_add(1, Ordering::Relaxed);
            ok(message(GENERAL, id, body_json))
        }
        ("POST", ["channels", channel, "messages"]) => {
            let nonce = body_json["nonce"].as_str().map(str::to_owned);
            let mut inner = http.inner.lock().unwrap();
            let window = inner.nonce_window.unwrap_or(NONCE_WINDOW);
            let now = Instant::now() + inner.nonce_clock;
            let enforced = body_json["enforce_nonce"] == json!(true);
            if let (Some(nonce), true) = (&nonce, enforced)
                && let Some((at, earlier)) =
                    inner.nonces.get(&((*channel).to_owned(), nonce.clone()))
                && now.duration_since(*at) < window
            {
                return ok(earlier.clone());
            }
            let id = http.ids.fetch_add(1, Ordering::Relaxed);
            let msg = message(channel.parse().unwrap_or(0), id, body_json);
            if let (Some(nonce), true) = (nonce, enforced) {
                inner
                    .nonces
                    .insert(((*channel).to_owned(), nonce), (now, msg.clone()));
            }
            let mut stored = msg.clone();
            // Kept as sent; Discord keeps a nonce only for its window, so a read never shows one.
            stored["components"] = body_json["components"].clone();
            stored.as_object_mut().unwrap().remove("nonce");
            inner
                .messages
                .entry((*channel).to_owned())
                .or_default()
                .push(stored);
            ok(msg)
        }
        ("GET", ["channels", channel, "messages"]) => read_messages(http, channel, query),
        ("PATCH", ["channels", channel, "messages", id]) => {
            let mut inner = http.inner.lock().unwrap();
            let stored = inner
                .messages
                .get_mut(*channel)
                .and_then(|all| all.iter_mut().find(|m| m["id"] == *id));
            if let Some(stored) = stored {
                for field in ["content", "embeds", "components"] {
                    if !body_json[field].is_null() {
                        stored[field] = body_json[field].clone();
                    }
                }
            }
            ok(message(
                channel.parse().unwrap_or(0),
                id.parse().unwrap_or(0),
                body_json,
            ))
        }
        ("GET", ["users", "@me"]) => ok(user(BOT_USER, "alumni-bot")),
        ("POST", ["users", "@me", "channels"]) => {
            // One DM channel per recipient, with a recognisable id.
            let recipient: u64 = body_json["recipient_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            ok(json!({
                "id": dm_channel(recipient).to_string(),
                "type": 1,
                "last_message_id": null,
                "recipients": [user(recipient, "someone")],
            }))
        }
        ("PUT" | "DELETE", ["guilds", _, "members", _, "roles", _]) => {
            StatusCode::NO_CONTENT.into_response()
        }
        ("POST", ["guilds", guild, "scheduled-events"]) => {
            let id = http.ids.fetch_add(1, Ordering::Relaxed);
            ok(scheduled_event(guild, id, body_json))
        }
        ("PATCH", ["guilds", guild, "scheduled-events", id]) => {
            ok(scheduled_event(guild, id.parse().unwrap_or(0), body_json))
        }
        ("DELETE", ["guilds", _, "scheduled-events", _]) => StatusCode::NO_CONTENT.into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({ "message": "404: Not Found", "code": 0 })),
        )
            .into_response(),
    }
}

/// Bulk Overwrite (global or guild): refused whole with 50035 if any command breaks Discord's
/// rules (`registration.rs`); else the scope's commands are replaced and returned with ids.
fn register(http: &Http, guild: Option<&str>, body: &Value) -> Response {
    let problems = registration::check_bulk(body);
    let mut inner = http.inner.lock().unwrap();
    if !problems.is_empty() {
        let error = registration::error_body(&problems);
        inner.refused_registrations.push(error.clone());
        return (StatusCode::BAD_REQUEST, axum::Json(error)).into_response();
    }
    let stored: Vec<Value> = body
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let mut c = c.clone();
            let id = http.ids.fetch_add(1, Ordering::Relaxed).to_string();
            c["id"] = json!(id);
            c["version"] = json!(id);
            c["application_id"] = json!(APP_ID.to_string());
            c["type"] = json!(c["type"].as_u64().unwrap_or(1));
            // Context menus come back with an empty description, as Discord documents.
            if c["description"].is_null() {
                c["description"] = json!("");
            }
            if c["default_member_permissions"].is_null() {
                c["default_member_permissions"] = Value::Null;
            }
            if let Some(guild) = guild {
                c["guild_id"] = json!(guild);
            }
            c
        })
        .collect();
    inner
        .commands
        .insert(guild.map(str::to_owned), stored.clone());
    (StatusCode::OK, axum::Json(Value::Array(stored))).into_response()
}

fn registered(http: &Http, guild: Option<&str>) -> Vec<Value> {
    let inner = http.inner.lock().unwrap();
    inner
        .commands
        .get(&guild.map(str::to_owned))
        .cloned()
        .unwrap_or_default()
}

/// Get Channel Messages: newest first; `limit` 1–100 (default 50), `before`, `after` or
/// `around` a message id.
fn read_messages(http: &Http, channel: &str, query: &str) -> Response {
    let params: HashMap<&str, &str> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .collect();
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => 50,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({
                    "code": 50035, "message": "Invalid Form Body",
                    "errors": { "limit": { "_errors": [{ "code": "NUMBER_TYPE_OUT_OF_RANGE", "message": "limit must be between 1 and 100" }] } },
                })),
            )
                .into_response();
        }
    };
    let id_of = |m: &Value| {
        m["id"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let param = |k: &str| params.get(k).and_then(|v| v.parse::<u64>().ok());
    let inner = http.inner.lock().unwrap();
    let mut all: Vec<Value> = inner.messages.get(channel).cloned().unwrap_or_default();
    all.sort_by_key(|m| std::cmp::Reverse(id_of(m)));
    let page: Vec<Value> = if let Some(before) = param("before") {
        all.into_iter()
            .filter(|m| id_of(m) < before)
            .take(limit)
            .collect()
    } else if let Some(after) = param("after") {
        // The `limit` messages right after it, still newest first.
        let mut newer: Vec<Value> = all.into_iter().filter(|m| id_of(m) > after).collect();
        let keep = newer.len().saturating_sub(limit);
        newer.drain(..keep);
        newer
    } else if let Some(around) = param("around") {
        let at = all
            .iter()
            .position(|m| id_of(m) <= around)
            .unwrap_or(all.len());
        let start = at.saturating_sub(limit / 2);
        all.into_iter().skip(start).take(limit).collect()
    } else {
        all.into_iter().take(limit).collect()
    };
    (StatusCode::OK, axum::Json(Value::Array(page))).into_response()
}

async fn gateway(
    listener: tokio::net::TcpListener,
    events: mpsc::UnboundedReceiver<(String, Value)>,
    url: String,
    identified: Arc<Notify>,
    guild: Arc<Value>,
) {
    let events = Arc::new(tokio::sync::Mutex::new(events));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let events = events.clone();
        let url = url.clone();
        let identified = identified.clone();
        let guild = guild.clone();
        tokio::spawn(async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            let send = |v: Value| WsMessage::Text(v.to_string().into());
            if ws
                .send(send(
                    json!({ "op": 10, "d": { "heartbeat_interval": 45000 } }),
                ))
                .await
                .is_err()
            {
                return;
            }
            let mut seq = 0u64;
            let mut events = events.lock().await;
            let mut ready = false;
            loop {
                tokio::select! {
                    incoming = ws.next() => {
                        let Some(Ok(WsMessage::Text(text))) = incoming else {
                            if matches!(incoming, Some(Ok(_))) { continue; }
                            return;
                        };
                        let v: Value = serde_json::from_str(&text).unwrap_or_default();
                        match v["op"].as_u64() {
                            Some(1) => {
                                let _ = ws.send(send(json!({ "op": 11 }))).await;
                            }
                            Some(2) => {
                                seq += 1;
                                let _ = ws.send(send(json!({ "op": 0, "t": "READY", "s": seq, "d": ready_payload(&url) }))).await;
                                seq += 1;
                                let _ = ws.send(send(json!({ "op": 0, "t": "GUILD_CREATE", "s": seq, "d": *guild }))).await;
                                ready = true;
                                identified.notify_waiters();
                                identified.notify_one();
                            }
                            _ => {}
                        }
                    }
                    Some((kind, data)) = events.recv(), if ready => {
                        seq += 1;
                        let _ = ws.send(send(json!({ "op": 0, "t": kind, "s": seq, "d": data }))).await;
                    }
                }
            }
        });
    }
}

/// The DM channel the fake opens with `user`: `1` and the user id's digits, distinct for
/// every user (and from every guild, channel and user id here).
pub fn dm_channel(user: u64) -> u64 {
    10_000_000_000_000_000_000 + user
}

pub fn user(id: u64, name: &str) -> Value {
    json!({
        "id": id.to_string(),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": null,
        "bot": id == BOT_USER,
        "public_flags": 0,
    })
}

fn message(channel: u64, id: u64, body: &Value) -> Value {
    json!({
        "id": id.to_string(),
        "channel_id": channel.to_string(),
        "author": user(BOT_USER, "alumni-bot"),
        "content": body["content"].as_str().unwrap_or_default(),
        "timestamp": "2026-12-01T00:00:00.000000+00:00",
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": body["embeds"].as_array().cloned().unwrap_or_default(),
        "components": [],
        "pinned": false,
        "type": 0,
        "flags": 0,
        "nonce": body["nonce"],
    })
}

pub fn scheduled_event(guild: &str, id: u64, body: &Value) -> Value {
    json!({
        "id": id.to_string(),
        "guild_id": guild,
        "channel_id": null,
        "creator_id": BOT_USER.to_string(),
        "name": body["name"],
        "description": body["description"],
        "scheduled_start_time": body["scheduled_start_time"],
        "scheduled_end_time": body["scheduled_end_time"],
        "privacy_level": 2,
        "status": 1,
        "entity_type": 3,
        "entity_id": null,
        "entity_metadata": body["entity_metadata"],
    })
}

pub fn ready_payload(gateway_url: &str) -> Value {
    json!({
        "v": 10,
        "user": user(BOT_USER, "alumni-bot"),
        "guilds": [{ "id": GUILD.to_string(), "unavailable": true }],
        "session_id": "fake-session",
        "resume_gateway_url": gateway_url,
        "shard": [0, 1],
        "application": { "id": APP_ID.to_string(), "flags": 0 },
    })
}

pub fn guild_payload() -> Value {
    json!({
        "id": GUILD.to_string(),
        "name": "Acme Alumni",
        "icon": null,
        "icon_hash": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": OWNER.to_string(),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "widget_enabled": false,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [{
            "id": GUILD.to_string(), "name": "@everyone", "color": 0, "hoist": false,
            "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
            "icon": null, "unicode_emoji": null, "position": 0, "permissions": "1024",
            "managed": false, "mentionable": false, "flags": 0,
        }],
        "emojis": [],
        "features": ["MEMBER_VERIFICATION_GATE_ENABLED"],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": GENERAL.to_string(),
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "max_members": 500000,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "ja",
        "public_updates_channel_id": null,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": false,
        "safety_alerts_channel_id": null,
        "joined_at": "2026-11-01T00:00:00.000000+00:00",
        "large": false,
        "unavailable": false,
        "member_count": 3,
        "voice_states": [],
        "members": [],
        "channels": [{
            "id": GENERAL.to_string(), "type": 0, "guild_id": GUILD.to_string(), "name": "general",
            "position": 0, "permission_overwrites": [], "nsfw": false, "topic": null,
            "last_message_id": null, "rate_limit_per_user": 0, "parent_id": null, "flags": 0,
        }],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
    })
}

/// The guild with `n` members in GUILD_CREATE, as Discord sends a guild at or under the
/// bot's `large_threshold` (or every member's chunk folded in): the most the bot can be
/// told about at once.
pub fn guild_with_members(n: u64) -> Value {
    let mut guild = guild_payload();
    let members: Vec<Value> = (0..n)
        .map(|i| {
            let mut m = member(710_000_000_000_000_000 + i, &format!("alum{i}"), "0", false);
            // GUILD_CREATE's members carry no channel permissions (interactions' do).
            m.as_object_mut().unwrap().remove("permissions");
            m
        })
        .collect();
    guild["member_count"] = json!(n);
    guild["large"] = json!(n > 250);
    guild["members"] = Value::Array(members);
    guild
}

/// A guild member as interactions carry it; `permissions` are the member's in the channel.
pub fn member(id: u64, name: &str, permissions: &str, pending: bool) -> Value {
    json!({
        "user": user(id, name),
        "nick": null,
        "avatar": null,
        "roles": [],
        "joined_at": "2026-11-02T00:00:00.000000+00:00",
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": pending,
        "permissions": permissions,
        "communication_disabled_until": null,
    })
}

/// Fields every interaction carries.
fn interaction_base(id: u64, kind: u8, who: &Value, locale: &str) -> Value {
    json!({
        "id": id.to_string(),
        "application_id": APP_ID.to_string(),
        "type": kind,
        "guild_id": GUILD.to_string(),
        "channel_id": GENERAL.to_string(),
        "channel": { "id": GENERAL.to_string(), "type": 0, "guild_id": GUILD.to_string(), "name": "general" },
        "member": who,
        "token": format!("itoken-{id}"),
        "version": 1,
        "locale": locale,
        "guild_locale": "ja",
        "app_permissions": "2248473465835073",
        "entitlements": [],
        "authorizing_integration_owners": { "0": GUILD.to_string() },
        "context": 0,
        "attachment_size_limit": 10485760,
    })
}

/// A slash command (type 2): `/command sub option…`.
pub fn slash(
    id: u64,
    who: &Value,
    locale: &str,
    command: &str,
    sub: &str,
    options: Value,
) -> Value {
    let mut v = interaction_base(id, 2, who, locale);
    let resolved = resolve_options(&options);
    v["data"] = json!({
        "id": "500000000000000001",
        "name": command,
        "type": 1,
        "guild_id": GUILD.to_string(),
        "options": [{ "name": sub, "type": 1, "options": options }],
    });
    if resolved.as_object().is_some_and(|r| !r.is_empty()) {
        v["data"]["resolved"] = resolved;
    }
    v
}

/// `data.resolved` as Discord fills it for a command's user (6), channel (7) and role (8)
/// options: the objects themselves, not only their ids (attachments are added by the caller,
/// which has the file).
pub fn resolve_options(options: &Value) -> Value {
    let mut resolved = json!({});
    for o in options.as_array().into_iter().flatten() {
        let value = o["value"].as_str().unwrap_or_default();
        match o["type"].as_u64() {
            Some(6) => {
                if let Ok(id) = value.parse() {
                    resolve_user(&mut resolved, id, &format!("user{id}"));
                }
            }
            Some(7) => {
                resolved["channels"][value] = json!({
                    "id": value, "name": "general", "type": 0, "permissions": "2248473465835073",
                });
            }
            Some(8) => resolved["roles"][value] = role(value, "Alumni", "0"),
            _ => {}
        }
    }
    resolved
}

/// A user option resolved: the user, and their partial member (no `user`, `deaf`, `mute`:
/// Discord's resolved members leave those out).
pub fn resolve_user(resolved: &mut Value, id: u64, name: &str) {
    resolved["users"][id.to_string()] = user(id, name);
    let mut partial = member(id, name, "0", false);
    let fields = partial.as_object_mut().unwrap();
    for gone in ["user", "deaf", "mute"] {
        fields.remove(gone);
    }
    resolved["members"][id.to_string()] = partial;
}

/// A role object as Discord sends it (`permissions` is the bit set as a string).
pub fn role(id: &str, name: &str, permissions: &str) -> Value {
    json!({
        "id": id, "name": name, "color": 0, "hoist": false, "icon": null,
        "unicode_emoji": null, "position": 1, "permissions": permissions, "managed": false,
        "mentionable": true, "flags": 0,
        "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
    })
}

/// Autocomplete (type 4) while typing `option` of `/command sub`.
pub fn autocomplete(
    id: u64,
    who: &Value,
    command: &str,
    sub: &str,
    option: &str,
    typed: &str,
) -> Value {
    let mut v = interaction_base(id, 4, who, "en-US");
    v["data"] = json!({
        "id": "500000000000000001",
        "name": command,
        "type": 1,
        "guild_id": GUILD.to_string(),
        "options": [{ "name": sub, "type": 1, "options": [
            { "name": option, "type": 4, "value": typed, "focused": true },
        ]}],
    });
    v
}

/// A button press (type 3) on a message the bot posted.
pub fn button(id: u64, who: &Value, locale: &str, custom_id: &str) -> Value {
    let mut v = interaction_base(id, 3, who, locale);
    v["data"] = json!({ "custom_id": custom_id, "component_type": 2 });
    v["message"] = message(GENERAL, 42, &json!({ "content": "" }));
    v
}

/// A modal submission (type 5): `fields` are (custom_id, value).
pub fn modal_submit(
    id: u64,
    who: &Value,
    locale: &str,
    custom_id: &str,
    fields: &[(&str, &str)],
) -> Value {
    let mut v = interaction_base(id, 5, who, locale);
    v["data"] = json!({
        "custom_id": custom_id,
        "components": fields.iter().map(|(k, val)| json!({
            "type": 1,
            "components": [{ "type": 4, "custom_id": k, "value": val }],
        })).collect::<Vec<_>>(),
    });
    v
}

/// Fields of an interaction in the bot's DM with `who` (a guild member object), as Discord
/// sends it there: no `guild_id`, no `member`, the `user` instead, the DM channel (type 1),
/// `context: 1` (BOT_DM) and the guild install's owner as "0".
fn dm_interaction_base(id: u64, kind: u8, who: &Value, locale: &str) -> Value {
    let person = who["user"].clone();
    let user_id: u64 = person["id"].as_str().and_then(|s| s.parse().ok()).unwrap();
    let channel = dm_channel(user_id);
    json!({
        "id": id.to_string(),
        "application_id": APP_ID.to_string(),
        "type": kind,
        "channel_id": channel.to_string(),
        "channel": { "id": channel.to_string(), "type": 1, "recipients": [person.clone()] },
        "user": person,
        "token": format!("itoken-{id}"),
        "version": 1,
        "locale": locale,
        "app_permissions": "2248473465835073",
        "entitlements": [],
        "authorizing_integration_owners": { "0": "0" },
        "context": 1,
        "attachment_size_limit": 10485760,
    })
}

/// A button pressed on a message in the bot's DM with `who`.
pub fn dm_button(id: u64, who: &Value, locale: &str, custom_id: &str) -> Value {
    let mut v = dm_interaction_base(id, 3, who, locale);
    v["data"] = json!({ "custom_id": custom_id, "component_type": 2 });
    let channel: u64 = v["channel_id"].as_str().unwrap().parse().unwrap();
    v["message"] = message(channel, 42, &json!({ "content": "" }));
    v
}

/// A modal submitted from the bot's DM with `who` (the modal a DM button opened).
pub fn dm_modal_submit(
    id: u64,
    who: &Value,
    locale: &str,
    custom_id: &str,
    fields: &[(&str, &str)],
) -> Value {
    let mut v = dm_interaction_base(id, 5, who, locale);
    v["data"] = json!({
        "custom_id": custom_id,
        "components": fields.iter().map(|(k, val)| json!({
            "type": 1,
            "components": [{ "type": 4, "custom_id": k, "value": val }],
        })).collect::<Vec<_>>(),
    });
    v
}

/// GUILD_MEMBER_UPDATE for a member, e.g. when they pass membership screening.
pub fn member_update(id: u64, name: &str, pending: bool) -> Value {
    json!({
        "guild_id": GUILD.to_string(),
        "roles": [],
        "user": user(id, name),
        "nick": null,
        "avatar": null,
        "joined_at": "2026-11-02T00:00:00.000000+00:00",
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "pending": pending,
        "communication_disabled_until": null,
        "flags": 0,
    })
}

#[cfg(test)]
mod shapes {
    //! serenity drops a gateway event it cannot parse without a word: every payload the fake
    //! sends must deserialize into serenity's model.
    use super::*;
    use alumni_discord::serenity::all::{
        Guild, GuildMemberUpdateEvent, Interaction, Ready, ScheduledEvent,
    };

    #[test]
    fn every_payload_parses_as_serenity_models() {
        serde_json::from_value::<Ready>(ready_payload("ws://x")).unwrap();
        serde_json::from_value::<Guild>(guild_payload()).unwrap();
        let big = serde_json::from_value::<Guild>(guild_with_members(300)).unwrap();
        assert_eq!(
            (big.members.len(), big.member_count, big.large),
            (300, 300, true)
        );
        let created = json!({
            "name": "x", "scheduled_start_time": "2026-12-18T10:00:00+00:00",
            "scheduled_end_time": "2026-12-18T12:00:00+00:00", "entity_metadata": { "location": "y" },
        });
        serde_json::from_value::<ScheduledEvent>(scheduled_event("1", 2, &created)).unwrap();
        serde_json::from_value::<GuildMemberUpdateEvent>(member_update(5, "m", false)).unwrap();
        let who = member(5, "m", "8", false);
        let cmd = slash(1, &who, "ja", "alumni", "pending", json!([]));
        assert!(matches!(
            serde_json::from_value::<Interaction>(cmd).unwrap(),
            Interaction::Command(_)
        ));
        assert!(matches!(
            serde_json::from_value::<Interaction>(button(2, &who, "en-US", "v1.ap.1")).unwrap(),
            Interaction::Component(_)
        ));
        assert!(matches!(
            serde_json::from_value::<Interaction>(autocomplete(
                4, &who, "event", "show", "id", "1"
            ))
            .unwrap(),
            Interaction::Autocomplete(_)
        ));
        let submit = modal_submit(3, &who, "ja", "/alumni join", &[("name", "x")]);
        assert!(matches!(
            serde_json::from_value::<Interaction>(submit).unwrap(),
            Interaction::Modal(_)
        ));
        // In a DM: no guild and no member, the user instead.
        match serde_json::from_value::<Interaction>(dm_button(5, &who, "ja", "v1.ap.1@1")).unwrap()
        {
            Interaction::Component(press) => {
                assert!(press.guild_id.is_none() && press.member.is_none());
                assert_eq!(press.user.name, who["user"]["username"].as_str().unwrap());
            }
            other => panic!("{other:?}"),
        }
        let submit = dm_modal_submit(6, &who, "ja", "c1|/alumni reject @x", &[("reason", "y")]);
        assert!(matches!(
            serde_json::from_value::<Interaction>(submit).unwrap(),
            Interaction::Modal(m) if m.guild_id.is_none()
        ));
    }
}
