//! The outbound port. Each adapter implements `Messenger`; the scheduler hands it deliveries.

use std::time::Duration;

use async_trait::async_trait;

use crate::domain::{CommunityId, Identity};
use crate::reply::Reply;

/// Where a delivery goes, resolved to a platform address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A direct message to this identity.
    Direct(Identity),
    /// A channel of the community (id or name, as the adapter understands it).
    Channel(String),
    /// One conversation with all of these people (group DM, or a private thread).
    Group(Vec<Identity>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Unique per delivery and stable across retries: the adapter sends it as Discord's nonce
    /// (with enforce_nonce) or Slack message metadata, so a retried send is not posted twice.
    pub key: String,
    pub community_id: CommunityId,
    pub to: Address,
    pub reply: Reply,
    /// An earlier attempt of this delivery was made (by this or a crashed process) and may have
    /// posted although it failed: the adapter checks for the key before posting again.
    pub retry: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The platform said 429; try again after this long.
    #[error("rate limited, retry after {0:?}")]
    RateLimited(Duration),
    /// Worth retrying (timeouts, 5xx).
    #[error("transient: {0}")]
    Transient(String),
    /// Retrying will not help (unknown user, bot removed from the space).
    #[error("permanent: {0}")]
    Permanent(String),
}

#[async_trait]
pub trait Messenger: Send + Sync {
    /// Post or DM. Returns the platform's reference to the message (Discord channel/message id,
    /// Slack channel/ts) when it can be edited later.
    async fn deliver(&self, delivery: &Delivery) -> Result<Option<String>, DeliveryError>;

    /// Replace the content of a message `deliver` posted earlier (live RSVP counts).
    async fn update(&self, delivery: &Delivery, message_ref: &str) -> Result<(), DeliveryError>;
}
