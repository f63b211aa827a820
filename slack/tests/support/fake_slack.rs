//! A fake Slack Web API: a real HTTP server on 127.0.0.1 that answers the methods the adapter
//! calls the way Slack does, records every call for assertions, and can be told to answer 429
//! (with Retry-After) or to fail after posting (a lost response).
//!
//! As strict as Slack where the adapter could get it wrong: only tokens it was given
//! (`accept_token`) or issued (oauth.v2.access) are accepted, a revoked one is refused;
//! conversations.history pages as documented (newest first, `limit`, `cursor`, `oldest`,
//! `latest`, `inclusive`); and messages and views past Block Kit's limits (`slack_limits`) are
//! refused with `invalid_blocks` / `invalid_arguments`, each refusal recorded (`refusals`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};

use super::slack_limits;

#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// The JSON body, or the form / query fields as an object.
    pub body: Value,
    pub authorization: Option<String>,
}

/// An upload ticket: filename, announced length, the bytes once uploaded.
type Upload = (String, usize, Option<Vec<u8>>);

#[derive(Default)]
struct FakeState {
    calls: Mutex<Vec<Call>>,
    /// Method → how many more calls answer 429.
    throttled: Mutex<HashMap<String, u32>>,
    /// Method → how many more calls take effect but answer 500 (the response is "lost").
    lose_response: Mutex<HashMap<String, u32>>,
    /// Channel → posted messages, oldest first.
    messages: Mutex<HashMap<String, Vec<Value>>>,
    users: Mutex<HashMap<String, Value>>,
    /// Channel name → conversation id, as conversations.list answers.
    channels: Mutex<HashMap<String, String>>,
    socket_url: Mutex<Option<String>>,
    /// files.getUploadURLExternal tickets: file id → (filename, announced length, bytes).
    uploads: Mutex<HashMap<String, Upload>>,
    /// Files shared by files.completeUploadExternal: (channel, filename, bytes).
    shared_files: Mutex<Vec<(String, String, Vec<u8>)>>,
    /// An error every files.getUploadURLExternal answers with (e.g. `missing_scope`).
    refuse_files: Mutex<Option<String>>,
    /// The server's own base, for upload URLs.
    base: Mutex<String>,
    /// The last message ts handed out, in microseconds since the epoch.
    ts: Mutex<u64>,
    /// Tokens Slack knows (configured bot / app tokens, and those oauth.v2.access issued).
    tokens: Mutex<HashSet<String>>,
    /// Tokens revoked since (an uninstall, a rotated token).
    revoked: Mutex<HashSet<String>>,
    /// Messages and views refused for Block Kit's limits: (method, Slack's error messages).
    refusals: Mutex<Vec<(String, Vec<String>)>>,
    changed: tokio::sync::Notify,
}

pub struct FakeSlack {
    /// The Web API base URL (`SLACK_API_URL`).
    pub api_url: String,
    /// Base for response_url values: `{respond_url}/{anything}`.
    pub respond_url: String,
    state: Arc<FakeState>,
    _server: tokio::task::JoinHandle<()>,
}

pub const CLIENT_ID: &str = "111.222";
pub const CLIENT_SECRET: &str = "client-secret";
pub const GOOD_CODE: &str = "good-code";
pub const INSTALLED_TEAM: &str = "TNEW";
pub const INSTALLED_TOKEN: &str = "xoxb-installed-token";

impl FakeSlack {
    pub async fn start() -> FakeSlack {
        let state = Arc::new(FakeState::default());
        let app = Router::new()
            .route("/api/{method}", any(api))
            .route("/respond/{id}", any(respond))
            .route("/upload/{id}", any(upload))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        *state.base.lock().unwrap() = format!("http://{addr}");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeSlack {
            api_url: format!("http://{addr}/api"),
            respond_url: format!("http://{addr}/respond"),
            state,
            _server: server,
        }
    }

    /// A token Slack knows: a workspace's bot token (`xoxb-…`) or the app-level one (`xapp-…`).
    pub fn accept_token(&self, token: &str) {
        self.state.tokens.lock().unwrap().insert(token.to_owned());
    }

    /// Revoke a token, as an uninstall or a rotation does: from now on it is `token_revoked`.
    pub fn revoke_token(&self, token: &str) {
        self.state.revoked.lock().unwrap().insert(token.to_owned());
    }

    /// Messages and views Slack refused for its limits: (method, `response_metadata.messages`).
    pub fn refusals(&self) -> Vec<(String, Vec<String>)> {
        self.state.refusals.lock().unwrap().clone()
    }

    /// Someone else's message in a conversation (by id), as other people's chatter.
    pub fn add_message(&self, channel: &str, user: &str, text: &str) {
        let ts = next_ts(&self.state);
        self.state
            .messages
            .lock()
            .unwrap()
            .entry(channel.to_owned())
            .or_default()
            .push(json!({ "type": "message", "user": user, "text": text, "ts": ts }));
    }

    /// A workspace member as users.info returns them.
    pub fn add_user(&self, id: &str, name: &str, locale: &str, admin: bool) {
        self.state.users.lock().unwrap().insert(
            id.to_owned(),
            json!({ "id": id, "name": name, "locale": locale, "is_admin": admin, "is_owner": false }),
        );
    }

    /// Make a member a workspace admin, or no longer one (what users.info says from now on).
    pub fn set_admin(&self, id: &str, admin: bool) {
        if let Some(user) = self.state.users.lock().unwrap().get_mut(id) {
            user["is_admin"] = json!(admin);
        }
    }

    /// A channel of the workspace (conversations.list; chat.postMessage accepts its name too).
    pub fn add_channel(&self, id: &str, name: &str) {
        self.state
            .channels
            .lock()
            .unwrap()
            .insert(name.to_owned(), id.to_owned());
    }

    /// What apps.connections.open answers (a fake Socket Mode endpoint).
    pub fn set_socket_url(&self, url: &str) {
        *self.state.socket_url.lock().unwrap() = Some(url.to_owned());
    }

    pub fn throttle(&self, method: &str, times: u32) {
        self.state
            .throttled
            .lock()
            .unwrap()
            .insert(method.to_owned(), times);
    }

    pub fn lose_responses(&self, method: &str, times: u32) {
        self.state
            .lose_response
            .lock()
            .unwrap()
            .insert(method.to_owned(), times);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.calls.lock().unwrap().clone()
    }

    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// Waits (up to 10 s) until `method` has been called at least `n` times.
    pub async fn wait_for(&self, method: &str, n: usize) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.state.changed.notified();
            let calls = self.calls_to(method);
            if calls.len() >= n {
                return calls;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "{method} called {} times, wanted {n}; calls: {:#?}",
                    calls.len(),
                    self.calls()
                );
            }
        }
    }

    /// Messages posted to a channel (by id or name; DMs: `D` + user id), oldest first.
    /// Files shared into `channel` (an id), as (filename, bytes).
    pub fn files_in(&self, channel: &str) -> Vec<(String, Vec<u8>)> {
        self.state
            .shared_files
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, _, _)| c == channel)
            .map(|(_, name, bytes)| (name.clone(), bytes.clone()))
            .collect()
    }

    /// Make files.getUploadURLExternal answer `error` from now on (Slack refusing a file).
    pub fn refuse_files(&self, error: &str) {
        *self.state.refuse_files.lock().unwrap() = Some(error.to_owned());
    }

    pub fn messages(&self, channel: &str) -> Vec<Value> {
        let id = self.state.channels.lock().unwrap().get(channel).cloned();
        self.state
            .messages
            .lock()
            .unwrap()
            .get(id.as_deref().unwrap_or(channel))
            .cloned()
            .unwrap_or_default()
    }
}

fn parse_body(headers: &HeaderMap, body: &[u8], query: &HashMap<String, String>) -> Value {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return serde_json::from_slice(body).unwrap_or(Value::Null);
    }
    let mut fields: HashMap<String, String> =
        serde_urlencoded::from_bytes(body).unwrap_or_default();
    fields.extend(query.clone());
    json!(fields)
}

fn ok(body: Value) -> Response {
    let mut body = body;
    body["ok"] = json!(true);
    axum::Json(body).into_response()
}

fn slack_error(code: &str) -> Response {
    axum::Json(json!({ "ok": false, "error": code })).into_response()
}

/// The upload URL: raw bytes (or a multipart form, not used here) for a ticket's file id.
async fn upload(
    State(state): State<Arc<FakeState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut uploads = state.uploads.lock().unwrap();
    let Some(ticket) = uploads.get_mut(&id) else {
        return (StatusCode::NOT_FOUND, "unknown upload").into_response();
    };
    if body.len() != ticket.1 {
        return (
            StatusCode::BAD_REQUEST,
            "length differs from the announced one",
        )
            .into_response();
    }
    ticket.2 = Some(body.to_vec());
    drop(uploads);
    state.changed.notify_waiters();
    (StatusCode::OK, "OK - 200").into_response()
}

async fn respond(
    State(state): State<Arc<FakeState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = parse_body(&headers, &body, &HashMap::new());
    state.calls.lock().unwrap().push(Call {
        method: "response_url".into(),
        body: json!({ "id": id, "body": body }),
        authorization: None,
    });
    // A response_url post is a message like any other (`delete_original` carries none).
    let refused = if body["delete_original"] == true {
        None
    } else {
        refuse_message(&state, "response_url", &body)
    };
    state.changed.notify_waiters();
    refused.unwrap_or_else(|| ok(json!({})))
}

async fn api(
    State(state): State<Arc<FakeState>>,
    Path(method): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = parse_body(&headers, &body, &query);
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state.calls.lock().unwrap().push(Call {
        method: method.clone(),
        body: body.clone(),
        authorization: authorization.clone(),
    });
    let response = answer(&state, &method, &body, authorization.as_deref());
    state.changed.notify_waiters();
    response
}

fn take(counter: &Mutex<HashMap<String, u32>>, method: &str) -> bool {
    let mut map = counter.lock().unwrap();
    match map.get_mut(method) {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    }
}

/// The next message ts: now, in Slack's `seconds.micros` form, always increasing.
fn next_ts(state: &FakeState) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let mut ts = state.ts.lock().unwrap();
    *ts = (*ts + 1).max(now);
    format!("{}.{:06}", *ts / 1_000_000, *ts % 1_000_000)
}

/// A ts (`seconds.micros`) as microseconds, for ordering and ranges.
fn ts_micros(ts: &str) -> Option<u64> {
    let (secs, micros) = ts.split_once('.').unwrap_or((ts, "0"));
    let micros = format!("{micros:0<6}");
    Some(secs.parse::<u64>().ok()? * 1_000_000 + micros.get(..6)?.parse::<u64>().ok()?)
}

/// `invalid_blocks` for a message past Block Kit's limits (recorded), else `None`.
fn refuse_message(state: &FakeState, method: &str, body: &Value) -> Option<Response> {
    let errors = slack_limits::check_message(body);
    if errors.is_empty() {
        return None;
    }
    state
        .refusals
        .lock()
        .unwrap()
        .push((method.to_owned(), errors.clone()));
    Some(
        axum::Json(json!({
            "ok": false,
            "error": "invalid_blocks",
            "errors": errors.iter().map(|e| e.trim_start_matches("[ERROR] ")).collect::<Vec<_>>(),
            "response_metadata": { "messages": errors },
        }))
        .into_response(),
    )
}

/// `invalid_arguments` for a view past its limits (recorded), else `None`.
fn refuse_view(state: &FakeState, method: &str, view: &Value) -> Option<Response> {
    let errors = slack_limits::check_view(view);
    if errors.is_empty() {
        return None;
    }
    state
        .refusals
        .lock()
        .unwrap()
        .push((method.to_owned(), errors.clone()));
    Some(
        axum::Json(json!({
            "ok": false,
            "error": "invalid_arguments",
            "response_metadata": { "messages": errors },
        }))
        .into_response(),
    )
}

/// conversations.history as documented: newest first; `latest` (default now) and `oldest`
/// (default 0) bound the range, exclusive unless `inclusive`; `limit` (default 100, at most
/// 999) per page; `has_more` and `response_metadata.next_cursor` lead to the older rest.
fn history(state: &FakeState, body: &Value) -> Response {
    let field = |k: &str| match &body[k] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let channel = field("channel").unwrap_or_default();
    // Like Slack: history takes a conversation id, not a channel name.
    if !channel.starts_with(['C', 'D', 'G']) {
        return slack_error("channel_not_found");
    }
    let inclusive = matches!(field("inclusive").as_deref(), Some("true" | "1"));
    let oldest = field("oldest").map(|t| ts_micros(&t));
    let latest = field("latest").map(|t| ts_micros(&t));
    let (Some(oldest), Some(latest)) =
        (oldest.unwrap_or(Some(0)), latest.unwrap_or(Some(u64::MAX)))
    else {
        return slack_error("invalid_ts_oldest");
    };
    let limit = match field("limit") {
        None => 100,
        Some(l) => match l.parse::<usize>() {
            Ok(0) => 100,
            Ok(n) => n.min(999),
            Err(_) => return slack_error("invalid_limit"),
        },
    };
    // The cursor is opaque to callers; here it is the ts to continue below.
    let before = match field("cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match c.strip_prefix("next_ts:").and_then(ts_micros) {
            Some(t) => Some(t),
            None => return slack_error("invalid_cursor"),
        },
    };
    let mut messages: Vec<Value> = state
        .messages
        .lock()
        .unwrap()
        .get(&channel)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| {
            let t = m["ts"].as_str().and_then(ts_micros).unwrap_or(0);
            let above = if inclusive { t >= oldest } else { t > oldest };
            let below = if inclusive { t <= latest } else { t < latest };
            above && below && before.is_none_or(|b| t < b)
        })
        .collect();
    messages.sort_by_key(|m| std::cmp::Reverse(m["ts"].as_str().and_then(ts_micros)));
    let has_more = messages.len() > limit;
    messages.truncate(limit);
    let next_cursor = match (has_more, messages.last()) {
        (true, Some(last)) => format!("next_ts:{}", last["ts"].as_str().unwrap_or_default()),
        _ => String::new(),
    };
    if field("include_all_metadata").as_deref() != Some("true") {
        for m in &mut messages {
            m.as_object_mut().unwrap().remove("metadata");
        }
    }
    ok(json!({
        "messages": messages,
        "has_more": has_more,
        "response_metadata": { "next_cursor": next_cursor },
    }))
}

fn answer(state: &FakeState, method: &str, body: &Value, auth: Option<&str>) -> Response {
    if take(&state.throttled, method) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            axum::Json(json!({ "ok": false, "error": "ratelimited" })),
        )
            .into_response();
    }
    if method != "oauth.v2.access" {
        // Only a token Slack issued works; the app-level token only opens Socket Mode.
        let Some(token) = auth
            .and_then(|a| a.strip_prefix("Bearer "))
            .filter(|t| !t.is_empty())
        else {
            return slack_error("not_authed");
        };
        if state.revoked.lock().unwrap().contains(token) {
            return slack_error("token_revoked");
        }
        if !state.tokens.lock().unwrap().contains(token) {
            return slack_error("invalid_auth");
        }
        let kind = if method == "apps.connections.open" {
            "xapp-"
        } else {
            "xoxb-"
        };
        if !token.starts_with(kind) {
            return slack_error("not_allowed_token_type");
        }
    }
    match method {
        "apps.connections.open" => match state.socket_url.lock().unwrap().clone() {
            Some(url) => ok(json!({ "url": url })),
            None => slack_error("invalid_auth"),
        },
        "chat.postMessage" => {
            let channel = body["channel"].as_str().unwrap_or_default().to_owned();
            if channel.is_empty() {
                return slack_error("channel_not_found");
            }
            // Posting to a user id lands in the app's DM with them; a known channel name
            // posts to that channel, answered with its id.
            if let Some(refused) = refuse_message(state, method, body) {
                return refused;
            }
            let known = state.channels.lock().unwrap().get(&channel).cloned();
            let channel = if channel.starts_with('U') {
                format!("D{channel}")
            } else {
                known.unwrap_or(channel)
            };
            let ts = next_ts(state);
            let mut message = body.clone();
            message["ts"] = json!(ts);
            state
                .messages
                .lock()
                .unwrap()
                .entry(channel.clone())
                .or_default()
                .push(message.clone());
            if take(&state.lose_response, method) {
                return (StatusCode::INTERNAL_SERVER_ERROR, "upstream timeout").into_response();
            }
            ok(json!({ "channel": channel, "ts": ts, "message": message }))
        }
        "chat.update" => {
            if let Some(refused) = refuse_message(state, method, body) {
                return refused;
            }
            let channel = body["channel"].as_str().unwrap_or_default();
            let mut messages = state.messages.lock().unwrap();
            let Some(message) = messages
                .get_mut(channel)
                .and_then(|ms| ms.iter_mut().find(|m| m["ts"] == body["ts"]))
            else {
                return slack_error("message_not_found");
            };
            // The edit replaces the text and blocks; the ts (and metadata) stay.
            for key in ["text", "blocks"] {
                message[key] = body[key].clone();
            }
            ok(json!({ "channel": channel, "ts": body["ts"], "text": body["text"] }))
        }
        "chat.postEphemeral" => {
            if let Some(refused) = refuse_message(state, method, body) {
                return refused;
            }
            ok(json!({ "message_ts": next_ts(state) }))
        }
        "conversations.open" => {
            let users = body["users"].as_str().unwrap_or_default();
            let id = if users.contains(',') {
                format!("G{}", users.replace(',', ""))
            } else {
                format!("D{users}")
            };
            ok(json!({ "channel": { "id": id } }))
        }
        "conversations.history" => history(state, body),
        "conversations.list" => {
            let channels: Vec<Value> = state
                .channels
                .lock()
                .unwrap()
                .iter()
                .map(|(name, id)| json!({ "id": id, "name": name, "is_channel": true }))
                .collect();
            ok(json!({ "channels": channels, "response_metadata": { "next_cursor": "" } }))
        }
        "views.open" | "views.update" | "views.push" | "views.publish" => {
            // A view may come as a JSON-encoded string (a form body) or an object.
            let view = match &body["view"] {
                Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
                other => other.clone(),
            };
            if let Some(refused) = refuse_view(state, method, &view) {
                return refused;
            }
            ok(json!({ "view": view }))
        }
        "auth.test" => ok(json!({ "team_id": "T1", "user_id": "UBOT" })),
        "users.info" => {
            let user = body["user"].as_str().unwrap_or_default();
            match state.users.lock().unwrap().get(user) {
                Some(u) => ok(json!({ "user": u })),
                None => slack_error("user_not_found"),
            }
        }
        "oauth.v2.access" => {
            let expected = format!(
                "Basic {}",
                base64_encode(format!("{CLIENT_ID}:{CLIENT_SECRET}").as_bytes())
            );
            if auth != Some(expected.as_str()) {
                return slack_error("invalid_client_id");
            }
            if body["code"].as_str() != Some(GOOD_CODE) {
                return slack_error("invalid_code");
            }
            state
                .tokens
                .lock()
                .unwrap()
                .insert(INSTALLED_TOKEN.to_owned());
            ok(json!({
                "access_token": INSTALLED_TOKEN,
                "token_type": "bot",
                "scope": "commands,chat:write",
                "bot_user_id": "UBOTNEW",
                "app_id": "A1",
                "team": { "id": INSTALLED_TEAM, "name": "New Co" },
                "authed_user": { "id": "UINSTALLER" },
            }))
        }
        "files.getUploadURLExternal" => {
            if let Some(error) = state.refuse_files.lock().unwrap().clone() {
                return slack_error(&error);
            }
            let filename = body["filename"].as_str().unwrap_or_default().to_owned();
            let length = body["length"]
                .as_u64()
                .or_else(|| body["length"].as_str().and_then(|l| l.parse().ok()));
            let (false, Some(length)) = (filename.is_empty(), length) else {
                return slack_error("invalid_arguments");
            };
            // Slack's limit for one file is 1 GB.
            if length > 1_000_000_000 {
                return slack_error("file_too_large");
            }
            let mut uploads = state.uploads.lock().unwrap();
            let id = format!("F{:08}", uploads.len() + 1);
            uploads.insert(id.clone(), (filename, length as usize, None));
            let url = format!("{}/upload/{id}", state.base.lock().unwrap());
            ok(json!({ "upload_url": url, "file_id": id }))
        }
        "files.completeUploadExternal" => {
            // `files` is a JSON array (a JSON string in a form body).
            let files = match &body["files"] {
                Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
                other => other.clone(),
            };
            let Some(files) = files.as_array().filter(|f| !f.is_empty()) else {
                return slack_error("invalid_arguments");
            };
            let channel = body["channel_id"].as_str().unwrap_or_default().to_owned();
            let uploads = state.uploads.lock().unwrap();
            let mut shared = Vec::new();
            for f in files {
                let id = f["id"].as_str().unwrap_or_default();
                match uploads.get(id) {
                    Some((name, _, Some(bytes))) => {
                        shared.push((channel.clone(), name.clone(), bytes.clone()))
                    }
                    // Never uploaded: Slack answers that the file was not found.
                    _ => return slack_error("file_not_found"),
                }
            }
            drop(uploads);
            if !channel.is_empty() {
                state.shared_files.lock().unwrap().extend(shared);
            }
            ok(json!({ "files": files }))
        }
        _ => slack_error("unknown_method"),
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
