//! The core's outbound port for Slack: channel posts with chat.postMessage, DMs and group DMs
//! through conversations.open, edits with chat.update. Every post carries message metadata
//! with the delivery's idempotency key; a retried delivery (the scheduler says so from the
//! job's attempts in the database, so this survives a restart) looks for that key in the
//! conversation's recent history first, so a retry does not post twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bot_core::domain::CommunityId;
use bot_core::messenger::{Address, Delivery, DeliveryError, Messenger};
use bot_core::store::Store;
use serde_json::{Value, json};

use crate::api::{ApiError, SlackApi};
use crate::blocks;
use crate::tokens::Tokens;

pub const METADATA_EVENT: &str = "alumni_delivery";
/// How far back a retry looks for its own earlier post.
const HISTORY_LIMIT: &str = "50";
/// Safety bound on conversations.list pages (1000 channels each).
const MAX_LIST_PAGES: usize = 20;

pub struct SlackMessenger {
    api: Arc<SlackApi>,
    tokens: Tokens,
    /// Per community (one workspace each): channel name → conversation id. Names are rarely
    /// renamed; a name missing here is looked up again.
    channel_ids: Mutex<HashMap<CommunityId, HashMap<String, String>>>,
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
    pub fn new(api: Arc<SlackApi>, store: Arc<dyn Store>, bot_token: Option<String>) -> Self {
        SlackMessenger {
            api,
            tokens: Tokens::new(store, bot_token),
            channel_ids: Mutex::new(HashMap::new()),
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

    /// The conversation id for an address (opening a DM / group DM when needed). A channel
    /// name Slack will not resolve for us (no list scope, unknown) is passed on as given.
    async fn conversation(&self, token: &str, delivery: &Delivery) -> Result<String, ApiError> {
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
        let opened = self
            .api
            .post(token, "conversations.open", &json!({ "users": users }))
            .await?;
        opened["channel"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ApiError::Slack("conversations.open returned no channel".into()))
    }

    /// The `channel/ts` of an earlier post carrying `key`, if recent history has one.
    async fn find_posted(
        &self,
        token: &str,
        channel: &str,
        key: &str,
    ) -> Result<Option<String>, ApiError> {
        let history = self
            .api
            .get(
                token,
                "conversations.history",
                &[
                    ("channel", channel),
                    ("limit", HISTORY_LIMIT),
                    ("include_all_metadata", "true"),
                ],
            )
            .await?;
        Ok(history["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| {
                m["metadata"]["event_type"] == METADATA_EVENT
                    && m["metadata"]["event_payload"]["key"] == key
            })
            .and_then(|m| m["ts"].as_str())
            .map(|ts| format!("{channel}/{ts}")))
    }

    async fn post(&self, token: &str, delivery: &Delivery) -> Result<String, ApiError> {
        let channel = self.conversation(token, delivery).await?;
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
        let posted: Value = self.api.post(token, "chat.postMessage", &body).await?;
        let channel = posted["channel"].as_str().unwrap_or(&channel);
        let ts = posted["ts"].as_str().unwrap_or_default();
        Ok(format!("{channel}/{ts}"))
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
