//! The core's outbound port for Slack: channel posts with chat.postMessage, DMs and group DMs
//! through conversations.open, edits with chat.update. Every post carries message metadata
//! with the delivery's idempotency key; when an earlier attempt for a key failed in a way that
//! may have posted anyway (timeout, 5xx), the next attempt looks for that key in the
//! conversation's recent history first, so a retry does not post twice.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bot_core::messenger::{Address, Delivery, DeliveryError, Messenger};
use bot_core::store::Store;
use serde_json::{Value, json};

use crate::api::{ApiError, SlackApi};
use crate::blocks;
use crate::tokens::Tokens;

pub const METADATA_EVENT: &str = "alumni_delivery";
/// How far back a retry looks for its own earlier post.
const HISTORY_LIMIT: &str = "50";

pub struct SlackMessenger {
    api: Arc<SlackApi>,
    tokens: Tokens,
    /// Keys whose last attempt may have been posted although it failed.
    uncertain: Mutex<HashSet<String>>,
}

impl SlackMessenger {
    pub fn new(api: Arc<SlackApi>, store: Arc<dyn Store>, bot_token: Option<String>) -> Self {
        SlackMessenger {
            api,
            tokens: Tokens::new(store, bot_token),
            uncertain: Mutex::new(HashSet::new()),
        }
    }

    /// The conversation id for an address (opening a DM / group DM when needed).
    async fn conversation(&self, token: &str, to: &Address) -> Result<String, ApiError> {
        let users = match to {
            Address::Channel(channel) => return Ok(channel.trim_start_matches('#').to_owned()),
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
        let channel = self.conversation(token, &delivery.to).await?;
        let was_uncertain = self
            .uncertain
            .lock()
            .expect("uncertain keys")
            .contains(&delivery.key);
        if was_uncertain {
            match self.find_posted(token, &channel, &delivery.key).await {
                Ok(Some(found)) => {
                    tracing::info!(key = %delivery.key, "already posted by an earlier attempt");
                    return Ok(found);
                }
                Ok(None) => {}
                // History unreadable here (a channel given by name, a missing scope): posting
                // again risks a duplicate, but never posting would lose the message.
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
            Ok(message_ref) => {
                self.uncertain
                    .lock()
                    .expect("uncertain keys")
                    .remove(&delivery.key);
                Ok(Some(message_ref))
            }
            Err(e) => {
                if e.ambiguous() {
                    self.uncertain
                        .lock()
                        .expect("uncertain keys")
                        .insert(delivery.key.clone());
                }
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
