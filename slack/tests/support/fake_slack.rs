//! A fake Slack Web API: a real HTTP server on 127.0.0.1 that answers the methods the adapter
//! calls the way Slack does, records every call for assertions, and can be told to answer 429
//! (with Retry-After) or to fail after posting (a lost response).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};

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
    ts: Mutex<u64>,
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
    state.changed.notify_waiters();
    ok(json!({}))
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

fn answer(state: &FakeState, method: &str, body: &Value, auth: Option<&str>) -> Response {
    if take(&state.throttled, method) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            axum::Json(json!({ "ok": false, "error": "ratelimited" })),
        )
            .into_response();
    }
    // Bot tokens for the Web API; the app-level token only opens Socket Mode.
    let token_kind = if method == "apps.connections.open" {
        "Bearer xapp-"
    } else {
        "Bearer xoxb-"
    };
    if method != "oauth.v2.access" && !auth.is_some_and(|a| a.starts_with(token_kind)) {
        return slack_error("not_authed");
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
            let known = state.channels.lock().unwrap().get(&channel).cloned();
            let channel = if channel.starts_with('U') {
                format!("D{channel}")
            } else {
                known.unwrap_or(channel)
            };
            let ts = {
                let mut ts = state.ts.lock().unwrap();
                *ts += 1;
                format!("1700000000.{:06}", *ts)
            };
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
        "chat.update" => ok(json!({ "channel": body["channel"], "ts": body["ts"] })),
        "conversations.open" => {
            let users = body["users"].as_str().unwrap_or_default();
            let id = if users.contains(',') {
                format!("G{}", users.replace(',', ""))
            } else {
                format!("D{users}")
            };
            ok(json!({ "channel": { "id": id } }))
        }
        "conversations.history" => {
            let channel = body["channel"].as_str().unwrap_or_default();
            // Like Slack: history takes a conversation id, not a channel name.
            if !channel.starts_with(['C', 'D', 'G']) {
                return slack_error("channel_not_found");
            }
            let mut messages = state
                .messages
                .lock()
                .unwrap()
                .get(channel)
                .cloned()
                .unwrap_or_default();
            messages.reverse();
            if body["include_all_metadata"].as_str() != Some("true") {
                for m in &mut messages {
                    m.as_object_mut().unwrap().remove("metadata");
                }
            }
            ok(json!({ "messages": messages, "has_more": false }))
        }
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
        "views.open" | "views.publish" => ok(json!({ "view": body["view"] })),
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
