//! The Discord `Messenger`: channel posts and DMs (a DM channel is opened first), edits for
//! live announcements. Each post carries the delivery key as its `nonce` with
//! `enforce_nonce`, so a retry after a lost response is not posted twice — but Discord keeps a
//! nonce only "the past few minutes", and a retry often comes later than that (backoff, an
//! outage, a restart). So a retried delivery (the scheduler says so from the job's attempts in
//! the database) first reads the channel's recent messages and, when the bot already posted
//! this very message there, takes that one instead of posting again. A fetched message carries
//! no nonce, so the match is on what the message shows: its text, embeds and buttons.
//!
//! Requests are built by serenity's `Request`/`Route` (its URLs and its `DISCORD_API_BASE`
//! rewrite) but sent by our own client, because serenity's `Http` drops the response headers
//! of a failed request: we need `Retry-After` on a 429, and `X-RateLimit-*` on every answer,
//! since serenity's own ratelimiter is off whenever a base URL is set. `ratelimit` keeps us
//! under the global limit and each route's bucket, so a fan-out is not answered 429.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bot_core::messenger::{Address, Delivery, DeliveryError, Messenger};
use serenity::all::{
    ChannelId, CreateMessage, EditMessage, LightMethod, MessageId, Nonce, Request, Route,
};
use sha2::{Digest, Sha256};

use crate::directory::Directory;
use crate::ratelimit::Limiter;
use crate::render;

/// Discord refuses a nonce longer than 25 characters.
const NONCE_LEN: usize = 25;
/// A 429 without a readable `retry_after`.
const DEFAULT_RETRY: Duration = Duration::from_secs(1);
/// How many of a channel's latest messages a retry reads for its own earlier post.
const LOOK_BACK: &str = "50";

pub struct DiscordMessenger {
    client: reqwest::Client,
    /// `Bot …`; never logged.
    authorization: String,
    api_base: Option<String>,
    directory: Arc<Directory>,
    limiter: Limiter,
    /// User → their DM channel (stable on Discord): a repeated DM skips the open request.
    dm_channels: Mutex<HashMap<String, ChannelId>>,
    /// The bot's own user id, to know its messages when reading a channel back.
    own_id: Mutex<Option<String>>,
    /// The adapter, told what a delivered post changed (a repeating event's next occurrence
    /// gets its scheduled event): set once the app exists.
    app: std::sync::OnceLock<std::sync::Weak<crate::DiscordApp>>,
}

/// Bound on remembered DM channels (a directory's worth); past it we start over.
const MAX_DM_CHANNELS: usize = 200_000;

#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error("rate limited")]
    RateLimited(Duration),
    #[error("Discord answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("request failed: {0}")]
    Network(String),
}

impl From<SendError> for DeliveryError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::RateLimited(after) => DeliveryError::RateLimited(after),
            SendError::Status { status, .. } if status >= 500 => {
                DeliveryError::Transient(e.to_string())
            }
            SendError::Status { .. } => DeliveryError::Permanent(e.to_string()),
            SendError::Network(_) => DeliveryError::Transient(e.to_string()),
        }
    }
}

impl DiscordMessenger {
    pub fn new(token: &str, api_base: Option<String>, directory: Arc<Directory>) -> Self {
        let token = token.trim().trim_start_matches("Bot ");
        DiscordMessenger {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("a reqwest client with default TLS"),
            authorization: format!("Bot {token}"),
            api_base,
            directory,
            limiter: Limiter::default(),
            dm_channels: Mutex::new(HashMap::new()),
            own_id: Mutex::new(None),
            app: std::sync::OnceLock::new(),
        }
    }

    /// The app to tell about delivered effects (see [`crate::DiscordApp::mirror_delivered`]).
    pub(crate) fn tell(&self, app: &Arc<crate::DiscordApp>) {
        let _ = self.app.set(Arc::downgrade(app));
    }

    async fn send(
        &self,
        route: Route<'_>,
        method: LightMethod,
        body: Vec<u8>,
    ) -> Result<serde_json::Value, SendError> {
        self.request(route, method, Some(body), None).await
    }

    async fn request(
        &self,
        route: Route<'_>,
        method: LightMethod,
        body: Option<Vec<u8>>,
        params: Option<Vec<(&'static str, String)>>,
    ) -> Result<serde_json::Value, SendError> {
        // Discord counts a route's reads apart from its writes.
        let bucket = match method {
            LightMethod::Get => format!("GET {}", route.path()),
            _ => route.path().to_string(),
        };
        let ticket = self
            .limiter
            .acquire(&bucket)
            .await
            .map_err(SendError::RateLimited)?;
        let request = Request::new(route, method).body(body).params(params).build(
            &self.client,
            &self.authorization,
            self.api_base.as_deref(),
        );
        let response = match request {
            Ok(request) => request.send().await,
            Err(e) => {
                self.limiter.done(ticket);
                return Err(SendError::Network(e.to_string()));
            }
        };
        // Counted from its answer: Discord counted it before then.
        self.limiter.done(ticket);
        let response = response.map_err(|e| SendError::Network(e.without_url().to_string()))?;
        self.limiter.observe(&bucket, response.headers());
        let status = response.status().as_u16();
        let header_retry = retry_after(response.headers());
        let global_header = response
            .headers()
            .get("x-ratelimit-global")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
        let body = response.text().await.unwrap_or_default();
        match status {
            200..=299 => Ok(serde_json::from_str(&body).unwrap_or_default()),
            429 => {
                let parsed = serde_json::from_str::<serde_json::Value>(&body).ok();
                let from_body = parsed
                    .as_ref()
                    .and_then(|v| v["retry_after"].as_f64())
                    .map(Duration::from_secs_f64);
                let after = from_body.or(header_retry).unwrap_or(DEFAULT_RETRY);
                let global = global_header || parsed.as_ref().is_some_and(|v| v["global"] == true);
                tracing::warn!(route = %bucket, global, ?after, "Discord answered 429");
                if global {
                    self.limiter.pause_all(after);
                } else {
                    self.limiter.pause(&bucket, after);
                }
                Err(SendError::RateLimited(after))
            }
            _ => Err(SendError::Status {
                status,
                body: render::cut(&body, 300),
            }),
        }
    }

    /// The channels one delivery goes to: the channel itself, or one DM channel per person
    /// (a bot cannot open group DMs, so a group gets the same message each).
    async fn channels(&self, delivery: &Delivery) -> Result<Vec<ChannelId>, SendError> {
        let users = match &delivery.to {
            Address::Channel(channel) => {
                if let Some(id) = self.directory.channel(delivery.community_id, channel) {
                    return Ok(vec![id]);
                }
                // Before the guild's GUILD_CREATE arrived we cannot tell; try again later.
                if self.directory.guild(delivery.community_id).is_none() {
                    return Err(SendError::Network(format!(
                        "guild of community {} not seen yet",
                        delivery.community_id
                    )));
                }
                return Err(SendError::Status {
                    status: 404,
                    body: format!("no channel {channel} in this guild"),
                });
            }
            Address::Direct(identity) => vec![identity.user_id.clone()],
            Address::Group(members) => members.iter().map(|m| m.user_id.clone()).collect(),
        };
        let mut channels = Vec::new();
        for user in users {
            let known = self
                .dm_channels
                .lock()
                .expect("dm channels")
                .get(&user)
                .copied();
            if let Some(id) = known {
                channels.push(id);
                continue;
            }
            let body =
                serde_json::to_vec(&serde_json::json!({ "recipient_id": user })).expect("json");
            let dm = self
                .send(Route::UserMeDmChannels, LightMethod::Post, body)
                .await?;
            let id = dm["id"]
                .as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| SendError::Network("DM channel without an id".into()))?;
            let id = ChannelId::new(id);
            let mut known = self.dm_channels.lock().expect("dm channels");
            if known.len() >= MAX_DM_CHANNELS {
                known.clear();
            }
            known.insert(user, id);
            channels.push(id);
        }
        Ok(channels)
    }
}

impl DiscordMessenger {
    /// The bot's user id: learned from its own posts, else asked once (`GET /users/@me`).
    async fn own_id(&self) -> Result<String, SendError> {
        if let Some(id) = self.own_id.lock().expect("own id").clone() {
            return Ok(id);
        }
        let me = self
            .request(Route::UserMe, LightMethod::Get, None, None)
            .await?;
        let id = me["id"]
            .as_str()
            .ok_or_else(|| SendError::Network("GET /users/@me without an id".into()))?
            .to_owned();
        *self.own_id.lock().expect("own id") = Some(id.clone());
        Ok(id)
    }

    fn learn_own_id(&self, posted: &serde_json::Value) {
        if let Some(id) = posted["author"]["id"].as_str() {
            let mut known = self.own_id.lock().expect("own id");
            if known.is_none() {
                *known = Some(id.to_owned());
            }
        }
    }

    /// An earlier post of `message` (as sent) by the bot among `channel`'s latest messages:
    /// what a retry finds when an attempt posted but its answer was lost.
    async fn find_posted(
        &self,
        channel: ChannelId,
        message: &serde_json::Value,
    ) -> Result<Option<String>, SendError> {
        let own = self.own_id().await?;
        let recent = self
            .request(
                Route::ChannelMessages {
                    channel_id: channel,
                },
                LightMethod::Get,
                None,
                Some(vec![("limit", LOOK_BACK.to_owned())]),
            )
            .await?;
        let wanted = shown(message);
        Ok(recent
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["author"]["id"] == own.as_str() && shown(m) == wanted)
            .and_then(|m| m["id"].as_str())
            .map(str::to_owned))
    }
}

/// What a member sees of a message: its text, each embed's title, description and fields,
/// and its buttons. Read from what we send and from what Discord returns alike.
fn shown(message: &serde_json::Value) -> serde_json::Value {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let embeds: Vec<serde_json::Value> = message["embeds"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let fields: Vec<(String, String)> = e["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| (text(&f["name"]), text(&f["value"])))
                .collect();
            serde_json::json!([text(&e["title"]), text(&e["description"]), fields])
        })
        .collect();
    let buttons: Vec<String> = message["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .map(|c| {
            let id = c["custom_id"].as_str().or(c["url"].as_str());
            id.unwrap_or_default().to_owned()
        })
        .collect();
    serde_json::json!([text(&message["content"]), embeds, buttons])
}

/// The delivery key as a Discord nonce: short keys as they are, longer ones hashed (stable
/// across retries either way).
pub fn nonce(key: &str) -> String {
    if key.len() <= NONCE_LEN {
        return key.to_owned();
    }
    hex::encode(Sha256::digest(key.as_bytes()))[..NONCE_LEN].to_owned()
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<f64>().ok())
        .map(Duration::from_secs_f64)
}

#[async_trait]
impl Messenger for DiscordMessenger {
    async fn deliver(&self, delivery: &Delivery) -> Result<Option<String>, DeliveryError> {
        let channels = self.channels(delivery).await?;
        let single = channels.len() == 1;
        let mut posted = None;
        for (i, channel) in channels.into_iter().enumerate() {
            // One nonce per destination: the same key twice in a group would be deduped away.
            let key = if single {
                delivery.key.clone()
            } else {
                format!("{}#{i}", delivery.key)
            };
            let mut message = CreateMessage::new()
                .embed(render::embed(&delivery.reply))
                .components(render::components(&delivery.reply))
                .nonce(Nonce::String(nonce(&key)))
                .enforce_nonce(true);
            if delivery.reply.attachment.is_some() {
                // Attachments need multipart; a notification carries the text instead.
                message = message.content(render::cut(&delivery.reply.text, 2000));
            }
            let json = serde_json::to_value(&message).expect("json");
            if delivery.retry {
                match self.find_posted(channel, &json).await {
                    Ok(Some(id)) => {
                        tracing::info!(key = %key, "already posted by an earlier attempt");
                        posted = Some(format!("{channel}/{id}"));
                        continue;
                    }
                    Ok(None) => {}
                    Err(SendError::RateLimited(after)) => {
                        return Err(DeliveryError::RateLimited(after));
                    }
                    // Unreadable here (no Read Message History): posting again risks a
                    // duplicate past the nonce window, but not posting could lose the message.
                    Err(e) => {
                        tracing::warn!(key = %key, error = %e, "cannot read the channel before a retry");
                    }
                }
            }
            let body = serde_json::to_vec(&json).expect("json");
            let sent = self
                .send(
                    Route::ChannelMessages {
                        channel_id: channel,
                    },
                    LightMethod::Post,
                    body,
                )
                .await?;
            self.learn_own_id(&sent);
            if let Some(id) = sent["id"].as_str() {
                posted = Some(format!("{channel}/{id}"));
            }
        }
        if !delivery.reply.effects.is_empty()
            && let Some(app) = self.app.get().and_then(std::sync::Weak::upgrade)
        {
            app.mirror_delivered(delivery.community_id, &delivery.reply.effects)
                .await;
        }
        Ok(if single { posted } else { None })
    }

    async fn update(&self, delivery: &Delivery, message_ref: &str) -> Result<(), DeliveryError> {
        let parsed = message_ref.split_once('/').and_then(|(c, m)| {
            Some((
                ChannelId::new(c.parse().ok()?),
                MessageId::new(m.parse().ok()?),
            ))
        });
        let Some((channel_id, message_id)) = parsed else {
            return Err(DeliveryError::Permanent(format!(
                "not a Discord message reference: {message_ref}"
            )));
        };
        let edit = EditMessage::new()
            .embed(render::embed(&delivery.reply))
            .components(render::components(&delivery.reply));
        let body = serde_json::to_vec(&edit).expect("json");
        self.send(
            Route::ChannelMessage {
                channel_id,
                message_id,
            },
            LightMethod::Patch,
            body,
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_fit_discords_limit_and_are_stable() {
        assert_eq!(nonce("short-key"), "short-key");
        let long = "reminder:event:42:occurrence:2026-12-18T10:00:00Z:member:7";
        assert_eq!(nonce(long).len(), NONCE_LEN);
        assert_eq!(nonce(long), nonce(long));
        assert_ne!(nonce(long), nonce(&format!("{long}x")));
    }
}
