//! Socket Mode, for companies with no public URL: `apps.connections.open` (with the app-level
//! `xapp-` token) gives a WebSocket URL; Slack sends envelopes over it and each is acknowledged
//! with its `envelope_id` (carrying the answer where Slack accepts one). The same handlers as
//! HTTP run behind it. Reconnects when Slack says `disconnect` or the socket drops.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::api::ApiError;
use crate::app::{SlackApp, SlashCommand};

#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("apps.connections.open: {0}")]
    Open(#[from] ApiError),
    #[error("apps.connections.open returned no url")]
    NoUrl,
    #[error("websocket: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
}

/// Connect and serve until an unrecoverable error (a bad app token); reconnects otherwise.
pub async fn run(app: Arc<SlackApp>, app_token: &str) -> Result<(), SocketError> {
    let mut backoff = Duration::from_secs(1);
    loop {
        match connect_once(&app, app_token).await {
            Ok(()) => backoff = Duration::from_secs(1),
            Err(SocketError::Open(ApiError::Slack(code))) => {
                return Err(SocketError::Open(ApiError::Slack(code)));
            }
            Err(e) => {
                tracing::warn!(error = %e, "Socket Mode connection lost; reconnecting");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
}

/// One connection: returns when Slack asks to reconnect or the socket closes.
pub async fn connect_once(app: &Arc<SlackApp>, app_token: &str) -> Result<(), SocketError> {
    let opened = app
        .api
        .post(app_token, "apps.connections.open", &json!({}))
        .await?;
    let url = opened["url"].as_str().ok_or(SocketError::NoUrl)?;
    let (socket, _) = tokio_tungstenite::connect_async(url).await?;
    let (mut tx, mut rx) = socket.split();
    // Envelopes are handled concurrently (a slow command must not delay the others' acks);
    // their acks come back through this channel to the one writer.
    let (acks, mut pending) = tokio::sync::mpsc::channel::<Message>(64);
    loop {
        tokio::select! {
            Some(ack) = pending.recv() => tx.send(ack).await?,
            message = rx.next() => {
                let Some(message) = message else { return Ok(()) };
                let text = match message? {
                    Message::Text(t) => t.to_string(),
                    Message::Ping(p) => {
                        tx.send(Message::Pong(p)).await?;
                        continue;
                    }
                    Message::Close(_) => return Ok(()),
                    _ => continue,
                };
                let Ok(envelope) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                match envelope["type"].as_str() {
                    Some("hello") => tracing::info!("Socket Mode connected"),
                    Some("disconnect") => return Ok(()),
                    _ => {
                        let app = app.clone();
                        let acks = acks.clone();
                        tokio::spawn(async move {
                            if let Some(ack) = handle(&app, &envelope).await {
                                let _ = acks.send(Message::Text(ack.to_string().into())).await;
                            }
                        });
                    }
                }
            }
        }
    }
}

/// The acknowledgement for one envelope (Slack wants it within 3 s).
async fn handle(app: &Arc<SlackApp>, envelope: &Value) -> Option<Value> {
    let id = envelope["envelope_id"].as_str()?;
    let payload = envelope["payload"].clone();
    let answer = match envelope["type"].as_str() {
        Some("slash_commands") => match serde_json::from_value::<SlashCommand>(payload) {
            Ok(cmd) => Some(app.command(cmd).await).filter(|a| a != &json!({})),
            Err(e) => {
                tracing::warn!(error = %e, "unreadable slash command envelope");
                None
            }
        },
        Some("interactive") => app.interaction(payload).await,
        Some("events_api") => {
            let retry = envelope["retry_attempt"].as_u64().filter(|n| *n > 0);
            let retry = retry.map(|n| n.to_string());
            crate::http::handle_event(app.clone(), payload, retry.as_deref()).await;
            None
        }
        _ => None,
    };
    Some(match answer {
        Some(payload) => json!({ "envelope_id": id, "payload": payload }),
        None => json!({ "envelope_id": id }),
    })
}
