//! Which bot token to use for a workspace or a community: its OAuth installation (from the
//! database, so every instance agrees) unless revoked, else the single-workspace
//! `SLACK_BOT_TOKEN`. Read from the database each time (no cache), so a revocation on one
//! instance stops every instance at once. Stored tokens are sealed (`sealed.rs`) and opened
//! here. Tokens are never logged.

use std::sync::Arc;

use bot_core::domain::CommunityId;
use bot_core::store::Store;

use crate::sealed::{self, Sealer};

pub struct Tokens {
    store: Arc<dyn Store>,
    single: Option<String>,
    sealer: Option<Arc<Sealer>>,
}

impl Tokens {
    pub fn new(
        store: Arc<dyn Store>,
        single: Option<String>,
        sealer: Option<Arc<Sealer>>,
    ) -> Tokens {
        Tokens {
            store,
            single,
            sealer,
        }
    }

    pub fn with_sealer(mut self, sealer: Option<Arc<Sealer>>) -> Tokens {
        self.sealer = sealer;
        self
    }

    fn open(&self, stored: &str) -> Option<String> {
        sealed::open(self.sealer.as_deref(), stored)
            .map_err(|e| tracing::error!(error = %e, "reading a workspace's bot token"))
            .ok()
    }

    pub async fn for_team(&self, team: &str) -> Option<String> {
        match self.store.slack_installation(team).await {
            Ok(Some(i)) if i.revoked => None,
            Ok(Some(i)) => self.open(&i.bot_token),
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
            Ok(Some(i)) => self.open(&i.bot_token),
            Ok(None) => self.single.clone(),
            Err(e) => {
                tracing::error!(error = %e, "reading a Slack installation");
                None
            }
        }
    }
}
