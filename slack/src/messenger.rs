//! The core's outbound port for Slack: channel posts with chat.postMessage, DMs and group DMs
//! through conversations.open, edits with chat.update. Every post carries message metadata
//! with the delivery's idempotency key; a retried delivery (the scheduler says so from the
//! job's attempts in the database, so this survives a restart) looks for that key in the
//! conversation's history first, so a retry does not post twice. It reads everything since the
//! earliest the first attempt can have been (`RETRY_WINDOW`), page by page, so a busy channel
//! cannot push the earlier post out of sight.
//!
//! Rate limits: chat.postMessage allows about one message a second per channel, so posts to
//! one channel are spaced a second apart, counted from the previous post's answer.
//! conversations.open is Tier 3 (50+ a minute): a fan-out of DMs cannot open each one, so it
//! is used within a budget under that, and past it a DM is posted to the user's id, which
//! Slack accepts as the channel of the app's DM with them. DM ids learned either way are kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bot_core::domain::CommunityId;
use bot_core::messenger::{Address, Delivery, DeliveryError, Messenger};
use bot_core::store::Store;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::api::{ApiError, SlackApi};
use crate::blocks;
use crate::tokens::Tokens;

pub const METADATA_EVENT: &str = "alumni_delivery";
/// How far back a retry looks for its own earlier post: the scheduler retries a delivery for
/// at most `GIVE_UP_AFTER` after its first attempt (8 backed-off attempts take far less), plus
/// a margin for a last Retry-After, a lease left by a crash and clock skew with Slack.
const RETRY_WINDOW: Duration = Duration::from_secs(26 * 3600);
/// Messages per conversations.history page (Slack advises no more than 200).
const HISTORY_PAGE: &str = "200";
/// Safety bound on history pages read for one retry (10,000 messages); past it, post again.
const MAX_HISTORY_PAGES: usize = 50;
/// Safety bound on conversations.list pages (1000 channels each).
const MAX_LIST_PAGES: usize = 20;
/// chat.postMessage: about one message a second per channel.
const CHANNEL_SPACING: Duration = Duration::from_secs(1);
/// conversations.open (Tier 3, "50+ per minute"): at most 5 + 40 in any minute.
const OPEN_BURST: f64 = 5.0;
const OPEN_PER_SECOND: f64 = 40.0 / 60.0;
/// The longest we sleep in place for a limit; a longer wait goes back to the scheduler.
const MAX_WAIT: Duration = Duration::from_secs(5);
/// Bound on remembered DM ids and channel pacing entries; past it we start over.
const MAX_REMEMBERED: usize = 200_000;

pub struct SlackMessenger {
    api: Arc<SlackApi>,
    tokens: Tokens,
    /// Per community (one workspace each): channel name → conversation id. Names are rarely
    /// renamed; a name missing here is looked up again.
    channel_ids: Mutex<HashMap<CommunityId, HashMap<String, String>>>,
    /// (community, user ids joined by `,`) → the DM or group DM's conversation id.
    dms: Mutex<HashMap<(CommunityId, String), String>>,
    /// (community, channel as posted to) → earliest time of the next post there.
    next_post: Mutex<HashMap<(CommunityId, String), Instant>>,
    /// Tokens for conversations.open.
    open_budget: Mutex<Budget>,
}

/// A token bucket.
struct Budget {
    tokens: f64,
    at: Instant,
}

impl Budget {
    /// Take a token, or say how long until one is there.
    fn take(&mut self) -> Result<(), Duration> {
        let now = Instant::now();
        self.tokens =
            (self.tokens + (now - self.at).as_secs_f64() * OPEN_PER_SECOND).min(OPEN_BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / OPEN_PER_SECOND,
            ))
        }
    }
}

fn remember<K: std::hash::Hash + Eq, V>(map: &Mutex<HashMap<K, V>>, key: K, value: V) {
    let mut map = map.lock().expect("messenger cache");
    if map.len() >= MAX_REMEMBERED {
        map.clear();
    }
    map.insert(key, value);
}

/// Whether `channel` is already a conversation id (`C…`, `G…`, `D…`) rather than a name:
/// Slack channel names are lower case, ids upper case.
fn is_conversation_id(channel: &str) -> bool {
    channel.len() >= 9
        && channel.starts_with(['C', 'G', 'D'])
        && channel
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl SlackMessenger {
    /// Workspace tokens stored sealed open with this key (`ALUMNI_SECRET_KEY`).
    pub fn sealed_with(mut self, sealer: Option<Arc<crate::sealed::Sealer>>) -> Self {
        self.tokens = self.tokens.with_sealer(sealer);
        self
    }

    pub fn new(api: Arc<SlackApi>, store: Arc<dyn Store>, bot_token: Option<String>) -> Self {
        SlackMessenger {
            api,
            tokens: Tokens::new(store, bot_token, None),
            channel_ids: Mutex::new(HashMap::new()),
            dms: Mutex::new(HashMap::new()),
            next_post: Mutex::new(HashMap::new()),
            open_budget: Mutex::new(Budget {
                tokens: OPEN_BURST,
                at: Instant::now(),
            }),
        }
    }

    /// The conversation id of a channel given by name, from conversations.list (cached).
    /// `None` when no channel the bot can see has that name.
    async fn channel_id(
        &self,
        token: &str,
        community: CommunityId,
        name: &str,
    ) -> Result<Option<String>, ApiError> {
        if let Some(id) = self
            .channel_ids
            .lock()
            .expect("channel ids")
            .get(&community)
            .and_then(|names| names.get(name))
        {
            return Ok(Some(id.clone()));
        }
        let mut names = HashMap::new();
        let mut cursor = String::new();
        for _ in 0..MAX_LIST_PAGES {
            let mut params = vec![
                ("types", "public_channel,private_channel"),
                ("exclude_archived", "true"),
                ("limit", "1000"),
            ];
            if !cursor.is_empty() {
                params.push(("cursor", cursor.as_str()));
            }
            let page = self.api.get(token, "conversations.list", &params).await?;
            for channel in page["channels"].as_array().into_iter().flatten() {
                if let (Some(n), Some(id)) = (channel["name"].as_str(), channel["id"].as_str()) {
                    names.insert(n.to_owned(), id.to_owned());
                }
            }
            cursor = page["response_metadata"]["next_cursor"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if cursor.is_empty() {
                break;
            }
        }
        let id = names.get(name).cloned();
        self.channel_ids
            .lock()
            .expect("channel ids")
            .insert(community, names);
        Ok(id)
    }

    /// Where to post for an address: a conversation id (opening a DM / group DM when needed),
    /// or for a DM past the open budget the user's id. A channel name Slack will not resolve
    /// for us (no list scope, unknown) is passed on as given.
    async fn conversation(
        &self,
        token: &str,
        delivery: &Delivery,
        need_id: bool,
    ) -> Result<String, ApiError> {
        let users = match &delivery.to {
            Address::Channel(channel) => {
                let channel = channel.trim_start_matches('#');
                if is_conversation_id(channel) {
                    return Ok(channel.to_owned());
                }
                return match self.channel_id(token, delivery.community_id, channel).await {
                    Ok(Some(id)) => Ok(id),
                    Ok(None) => Ok(channel.to_owned()),
                    Err(ApiError::Slack(code)) => {
                        tracing::warn!(channel, code, "cannot resolve a channel name to its id");
                        Ok(channel.to_owned())
                    }
                    Err(e) => Err(e),
                };
            }
            Address::Direct(identity) => identity.user_id.clone(),
            Address::Group(members) => members
                .iter()
                .map(|m| m.user_id.as_str())
                .collect::<Vec<_>>()
                .join(","),
        };
        let key = (delivery.community_id, users.clone());
        if let Some(id) = self.dms.lock().expect("dms").get(&key) {
            return Ok(id.clone());
        }
        let direct = matches!(delivery.to, Address::Direct(_));
        loop {
            let taken = self.open_budget.lock().expect("open budget").take();
            match taken {
                Ok(()) => break,
                // chat.postMessage opens the DM itself; only a group or a history check needs it.
                Err(_) if direct && !need_id => return Ok(users),
                Err(wait) if wait > MAX_WAIT => return Err(ApiError::RateLimited(wait)),
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
        let opened = self
            .api
            .post(token, "conversations.open", &json!({ "users": users }))
            .await?;
        let id = opened["channel"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ApiError::Slack("conversations.open returned no channel".into()))?;
        remember(&self.dms, key, id.clone());
        Ok(id)
    }

    /// Wait until `channel` may take the next post; `Err` when that is too far to sleep here.
    async fn pace(&self, community: CommunityId, channel: &str) -> Result<(), ApiError> {
        let key = (community, channel.to_owned());
        let at = {
            let mut next = self.next_post.lock().expect("pacing");
            let now = Instant::now();
            let at = next.get(&key).copied().unwrap_or(now).max(now);
            if at - now > MAX_WAIT {
                return Err(ApiError::RateLimited(at - now));
            }
            // Held for us; `posted` moves it to a second after the answer.
            next.insert(key, at + CHANNEL_SPACING);
            at
        };
        tokio::time::sleep_until(at).await;
        Ok(())
    }

    /// A post to `channel` was answered (or refused): the next one waits `after` from now.
    fn posted(&self, community: CommunityId, channel: &str, after: Duration) {
        let until = Instant::now() + after;
        let key = (community, channel.to_owned());
        let mut next = self.next_post.lock().expect("pacing");
        if next.len() >= MAX_REMEMBERED {
            next.clear();
        }
        let entry = next.entry(key).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// The `channel/ts` of an earlier post carrying `key`, if the history since the earliest
    /// possible first attempt has one (newest first, following the cursor).
    async fn find_posted(
        &self,
        token: &str,
        channel: &str,
        key: &str,
    ) -> Result<Option<String>, ApiError> {
        let oldest = std::time::SystemTime::now()
            .checked_sub(RETRY_WINDOW)
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs())
            .to_string();
        let mut cursor = String::new();
        for _ in 0..MAX_HISTORY_PAGES {
            let mut params = vec![
                ("channel", channel),
                ("oldest", oldest.as_str()),
                ("limit", HISTORY_PAGE),
                ("include_all_metadata", "true"),
            ];
            if !cursor.is_empty() {
                params.push(("cursor", cursor.as_str()));
            }
            let page = self
                .api
                .get(token, "conversations.history", &params)
                .await?;
            let found = page["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|m| {
                    m["metadata"]["event_type"] == METADATA_EVENT
                        && m["metadata"]["event_payload"]["key"] == key
                })
                .and_then(|m| m["ts"].as_str());
            if let Some(ts) = found {
                return Ok(Some(format!("{channel}/{ts}")));
            }
            cursor = page["response_metadata"]["next_cursor"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if cursor.is_empty() {
                return Ok(None);
            }
        }
        tracing::warn!(
            channel,
            key,
            "history too long to read back in full; posting again may duplicate"
        );
        Ok(None)
    }

    async fn post(&self, token: &str, delivery: &Delivery) -> Result<String, ApiError> {
        let channel = self.conversation(token, delivery, delivery.retry).await?;
        if delivery.retry {
            match self.find_posted(token, &channel, &delivery.key).await {
                Ok(Some(found)) => {
                    tracing::info!(key = %delivery.key, "already posted by an earlier attempt");
                    return Ok(found);
                }
                Ok(None) => {}
                // History unreadable here (an unresolved channel name, a missing scope):
                // posting again risks a duplicate, but never posting would lose the message.
                Err(ApiError::Slack(code)) => {
                    tracing::warn!(key = %delivery.key, code, "cannot check history before a retry");
                }
                Err(e) => return Err(e),
            }
        }
        let mut body = blocks::message(&delivery.reply);
        body["channel"] = json!(channel);
        body["metadata"] = json!({
            "event_type": METADATA_EVENT,
            "event_payload": { "key": delivery.key },
        });
        let community = delivery.community_id;
        self.pace(community, &channel).await?;
        let result = self.api.post(token, "chat.postMessage", &body).await;
        let after = match &result {
            Err(ApiError::RateLimited(after)) => *after.max(&CHANNEL_SPACING),
            _ => CHANNEL_SPACING,
        };
        self.posted(community, &channel, after);
        let posted: Value = result?;
        let posted_in = posted["channel"].as_str().unwrap_or(&channel).to_owned();
        if posted_in != channel {
            // Posted to a user id: Slack named the DM, for later posts and history checks.
            if let Address::Direct(identity) = &delivery.to {
                remember(
                    &self.dms,
                    (community, identity.user_id.clone()),
                    posted_in.clone(),
                );
            }
            self.posted(community, &posted_in, CHANNEL_SPACING);
        }
        let ts = posted["ts"].as_str().unwrap_or_default();
        Ok(format!("{posted_in}/{ts}"))
    }
}

#[async_trait]
impl Messenger for SlackMessenger {
    async fn deliver(&self, delivery: &Delivery) -> Result<Option<String>, DeliveryError> {
        let token = self
            .tokens
            .for_community(delivery.community_id)
            .await
            .ok_or_else(|| DeliveryError::Permanent("no Slack token for this community".into()))?;
        match self.post(&token, delivery).await {
            Ok(message_ref) => Ok(Some(message_ref)),
            Err(e) => {
                tracing::warn!(key = %delivery.key, error = %e, "Slack delivery failed");
                Err(e.into())
            }
        }
    }

    async fn update(&self, delivery: &Delivery, message_ref: &str) -> Result<(), DeliveryError> {
        let token = self
            .tokens
            .for_community(delivery.community_id)
            .await
            .ok_or_else(|| DeliveryError::Permanent("no Slack token for this community".into()))?;
        let (channel, ts) = message_ref
            .split_once('/')
            .ok_or_else(|| DeliveryError::Permanent(format!("bad message ref {message_ref}")))?;
        let mut body = blocks::message(&delivery.reply);
        body["channel"] = json!(channel);
        body["ts"] = json!(ts);
        self.api
            .post(&token, "chat.update", &body)
            .await
            .map(|_| ())
            .map_err(Into::into)
    }
}
