//! Which bot token to use for a workspace or a community: its OAuth installation (from the
//! database, so every instance agrees) unless revoked, else the single-workspace
//! `SLACK_BOT_TOKEN`. Read from the database each time (no cache), so a revocation on one
//! instance stops every instance at once. Tokens are never logged.

use std::sync::Arc;

use bot_core::domain::CommunityId;
use bot_core::store::Store;

pub struct Tokens {
    store: Arc<dyn Store>,
    single: Option<String>,
}

impl Tokens {
    pub fn new(store: Arc<dyn Store>, single: Option<String>) -> Tokens {
        Tokens { store, single }
    }

    pub async fn for_team(&self, team: &str) -> Option<String> {
        match self.store.slack_installation(team).await {
            Ok(Some(i)) if i.revoked => None,
            Ok(Some(i)) => Some(i.bot_token),
            Ok(None) => self.single.clone(),
            Err(e) => {
                tracing::error!(error = %e, "reading a Slack installation");
                None
            }
        }
    }

    pub async fn for_community(&self, community: CommunityId) -> Option<String> {
        match self.store.slack_installation_for_community(community).await {
            Ok(Some(i)) if i.revoked => None,
            Ok(Some(i)) => Some(i.bot_token),
            Ok(None) => self.single.clone(),
            Err(e) => {
                tracing::error!(error = %e, "reading a Slack installation");
                None
            }
        }
    }
}
