//! The HTTP side: one axum router. Slack's POSTs are verified (signature and five-minute
//! window, on the raw bytes) before anything parses them; a failure is 401 and nothing runs.
//! Bodies over `MAX_BODY` are refused with 413. OAuth install and health are plain GETs.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bot_core::domain::Platform;
use bot_core::store::SlackInstallation;
use chrono::TimeDelta;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::{INLINE_BUDGET, SlackApp, SlashCommand};
use crate::signature;

/// Slack's payloads are small; anything this big is not from Slack.
pub const MAX_BODY: usize = 1024 * 1024;
/// How long an install link stays usable.
pub const OAUTH_STATE_TTL: TimeDelta = TimeDelta::minutes(10);

pub fn router(app: Arc<SlackApp>) -> Router {
    Router::new()
        .route("/slack/commands", post(commands))
        .route("/slack/interactions", post(interactions))
        .route("/slack/events", post(events))
        .route("/slack/install", get(install))
        .route("/slack/oauth/callback", get(oauth_callback))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

/// `ok` (200) when every running part is up, else which one is down (503): one platform's
/// outage is visible while the others keep serving.
async fn healthz(State(app): State<Arc<SlackApp>>) -> (StatusCode, String) {
    let health = app.core.health();
    let status = if health.all_up() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, health.render())
}

/// Serve the router on an already bound listener until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, app: Arc<SlackApp>) -> std::io::Result<()> {
    axum::serve(listener, router(app)).await
}

/// Checks the signature against the wall clock (Slack signs with real time, whatever the
/// core's clock says).
fn verify(app: &SlackApp, headers: &HeaderMap, body: &[u8]) -> Result<(), StatusCode> {
    verify_headers(
        app.config.signing_secret.as_bytes(),
        headers,
        body,
        chrono::Utc::now().timestamp(),
    )
    .map_err(|e| {
        tracing::warn!(error = %e, "rejected a request that is not from Slack");
        StatusCode::UNAUTHORIZED
    })
}

/// The signature check on a request's headers, as the handlers run it (pure: the fuzz target
/// and tests call it with any headers, body and clock).
pub fn verify_headers(
    secret: &[u8],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), signature::SignatureError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    signature::verify(
        secret,
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        body,
        now,
    )
}

/// Why a verified body was answered 400: it is not what the endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadBody {
    NotASlashCommand,
    NoPayload,
    PayloadNotJson,
    NotJson,
}

impl BadBody {
    pub fn message(self) -> &'static str {
        match self {
            BadBody::NotASlashCommand => "not a slash command",
            BadBody::NoPayload => "no payload",
            BadBody::PayloadNotJson => "payload is not JSON",
            BadBody::NotJson => "not JSON",
        }
    }
}

/// A `/slack/commands` body (form fields).
pub fn parse_command(body: &[u8]) -> Result<SlashCommand, BadBody> {
    serde_urlencoded::from_bytes::<SlashCommand>(body).map_err(|_| BadBody::NotASlashCommand)
}

/// A `/slack/interactions` body: the JSON in its `payload=` field.
pub fn parse_interaction(body: &[u8]) -> Result<Value, BadBody> {
    let form =
        serde_urlencoded::from_bytes::<InteractionForm>(body).map_err(|_| BadBody::NoPayload)?;
    serde_json::from_str::<Value>(&form.payload).map_err(|_| BadBody::PayloadNotJson)
}

/// What a `/slack/events` body asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    /// Slack checking the URL: answer with its challenge.
    UrlVerification { challenge: Value },
    /// An event to run (the whole envelope).
    Callback(Value),
    /// Any other type: acknowledged, nothing runs.
    Other,
}

pub fn parse_event(body: &[u8]) -> Result<EventBody, BadBody> {
    let envelope = serde_json::from_slice::<Value>(body).map_err(|_| BadBody::NotJson)?;
    Ok(match envelope["type"].as_str() {
        Some("url_verification") => EventBody::UrlVerification {
            challenge: envelope["challenge"].clone(),
        },
        Some("event_callback") => EventBody::Callback(envelope),
        _ => EventBody::Other,
    })
}

fn bad_request(what: &str) -> Response {
    (StatusCode::BAD_REQUEST, what.to_owned()).into_response()
}

fn json_response(body: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn commands(State(app): State<Arc<SlackApp>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(status) = verify(&app, &headers, &body) {
        return (status, "invalid signature").into_response();
    }
    let cmd = match parse_command(&body) {
        Ok(cmd) => cmd,
        Err(bad) => return bad_request(bad.message()),
    };
    let answer = app.command(cmd).await;
    if answer.as_object().is_some_and(|o| o.is_empty()) {
        // A modal was opened: an empty 200 leaves the channel untouched.
        return StatusCode::OK.into_response();
    }
    json_response(answer)
}

#[derive(Deserialize)]
struct InteractionForm {
    payload: String,
}

async fn interactions(
    State(app): State<Arc<SlackApp>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(status) = verify(&app, &headers, &body) {
        return (status, "invalid signature").into_response();
    }
    let payload = match parse_interaction(&body) {
        Ok(payload) => payload,
        Err(bad) => return bad_request(bad.message()),
    };
    match app.interaction(payload).await {
        Some(answer) => json_response(answer),
        None => StatusCode::OK.into_response(),
    }
}

async fn events(State(app): State<Arc<SlackApp>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(status) = verify(&app, &headers, &body) {
        return (status, "invalid signature").into_response();
    }
    match parse_event(&body) {
        Err(bad) => bad_request(bad.message()),
        Ok(EventBody::UrlVerification { challenge }) => {
            json_response(json!({ "challenge": challenge }))
        }
        Ok(EventBody::Callback(envelope)) => {
            let retry = headers
                .get("x-slack-retry-num")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            handle_event(app, envelope, retry.as_deref()).await;
            StatusCode::OK.into_response()
        }
        Ok(EventBody::Other) => StatusCode::OK.into_response(),
    }
}

/// Runs an event once per `event_id` (shared by HTTP and Socket Mode). Waits up to the inline
/// budget so Slack gets its 200 in time; slower work carries on in the background.
pub async fn handle_event(app: Arc<SlackApp>, envelope: Value, retry: Option<&str>) {
    let event_id = envelope["event_id"].as_str().unwrap_or_default().to_owned();
    if !event_id.is_empty() {
        let now = app.core.clock().now();
        match app.core.store().first_slack_event(&event_id, now).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(event_id, retry, "event already handled; retry ignored");
                return;
            }
            Err(e) => {
                // Without the dedupe record, handling could run twice: let Slack retry later.
                tracing::error!(error = %e, "recording an event id");
                return;
            }
        }
    }
    let work = tokio::spawn(async move { app.event(&envelope).await });
    let _ = tokio::time::timeout(INLINE_BUDGET, work).await;
}

/// OAuth installs waiting for their callback at once (each state lives `OAUTH_STATE_TTL`):
/// far above real installs, and a bound on what a loop of `GET /slack/install` can store.
const MAX_OAUTH_STATES: i64 = 500;

async fn install(State(app): State<Arc<SlackApp>>) -> Response {
    let Some(client_id) = &app.config.client_id else {
        return (StatusCode::NOT_FOUND, "OAuth install is not configured").into_response();
    };
    let state = hex::encode(rand::random::<[u8; 32]>());
    let now = app.core.clock().now();
    match app
        .core
        .store()
        .insert_oauth_state(&state, now, now + OAUTH_STATE_TTL, MAX_OAUTH_STATES)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("too many OAuth installs in progress; refusing a new one");
            return (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many installs are in progress. Try again in a few minutes.",
            )
                .into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "saving an OAuth state");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    let mut url = match url::Url::parse(&app.config.authorize_url) {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "authorize URL");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("scope", &crate::manifest::SCOPES.join(","))
        .append_pair("state", &state);
    if let Some(redirect) = &app.config.redirect_url {
        url.query_pairs_mut().append_pair("redirect_uri", redirect);
    }
    Redirect::to(url.as_str()).into_response()
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn oauth_callback(State(app): State<Arc<SlackApp>>, Query(q): Query<Callback>) -> Response {
    if let Some(error) = q.error {
        return bad_request(&format!("Slack did not install the app: {error}"));
    }
    let (Some(code), Some(state)) = (q.code, q.state) else {
        return bad_request("missing code or state");
    };
    let (Some(client_id), Some(client_secret)) = (&app.config.client_id, &app.config.client_secret)
    else {
        return (StatusCode::NOT_FOUND, "OAuth install is not configured").into_response();
    };
    // A workspace's token is never stored in the clear: without the key, no install at all.
    let Some(sealer) = app.config.sealer.clone() else {
        tracing::error!("ALUMNI_SECRET_KEY is not set; refusing to store a workspace token");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "This app is not ready for installs (its operator must set ALUMNI_SECRET_KEY).",
        )
            .into_response();
    };
    // Single use and expiring: a forged or replayed callback stops here, before any call.
    match app
        .core
        .store()
        .take_oauth_state(&state, app.core.clock().now())
        .await
    {
        Ok(true) => {}
        Ok(false) => return bad_request("This install link has expired or was already used."),
        Err(e) => {
            tracing::error!(error = %e, "checking an OAuth state");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    let access = match app
        .api
        .oauth_access(
            client_id,
            client_secret,
            &code,
            app.config.redirect_url.as_deref(),
        )
        .await
    {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "oauth.v2.access failed");
            return bad_request("Slack refused the install code.");
        }
    };
    let (Some(team), Some(token)) = (
        access["team"]["id"].as_str(),
        access["access_token"].as_str(),
    ) else {
        return bad_request("Slack's answer had no team or token.");
    };
    let store = app.core.store();
    let community = match store
        .community_for_space(Platform::Slack, team, &app.community_defaults())
        .await
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "creating the community for a new workspace");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let installation = SlackInstallation {
        team_id: team.to_owned(),
        community_id: community.id,
        bot_token: sealer.seal(token),
        bot_user_id: access["bot_user_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        revoked: false,
        installed_at: app.core.clock().now(),
    };
    if let Err(e) = store.save_slack_installation(&installation).await {
        tracing::error!(error = %e, "saving an installation");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    // The person who installed the app is the workspace's first admin, so the first joiner's
    // notice has someone to reach. ALUMNI_ADMINS apply only where written for this team
    // (`TEAM:USER`): an installed workspace is not the operator's own.
    if let Some(installer) = access["authed_user"]["id"].as_str()
        && let Err(e) = app.core.first_admin(Platform::Slack, team, installer).await
    {
        tracing::warn!(error = %e, "making the installer an admin");
    }
    if let Err(e) = app.core.space_seen(Platform::Slack, team).await {
        tracing::warn!(error = %e, "bootstrapping admins for a new workspace");
    }
    tracing::info!(
        team,
        community = community.id,
        "installed in a Slack workspace"
    );
    let name = access["team"]["name"].as_str().unwrap_or(team);
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>Installed</title><p>Installed in {}. Type <code>/alumni help</code> in Slack.</p>",
        html_escape(name)
    ))
    .into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
