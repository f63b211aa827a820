//! The member role (`/alumni setup member_role:`, else `DISCORD_MEMBER_ROLE`): given to approved members once Discord's
//! membership screening has passed (the guild member is no longer `pending`), taken away when
//! they leave or are rejected. The store is the truth: after anything the core says changed a
//! member's standing (`Effect::StandingChanged`), their role is made to match it.

use std::collections::HashSet;
use std::sync::Mutex;

use bot_core::domain::{CommunityId, Platform};
use bot_core::reply::Effect;
use serenity::all::{GuildId, Http, RoleId, UserId};

use crate::app::DiscordApp;

/// Most members waiting on screening remembered at once.
pub const MAX_SCREENING: usize = 100_000;

/// Guild members seen with `pending: true` (screening not passed yet).
#[derive(Default)]
pub struct Screening {
    pending: Mutex<HashSet<(GuildId, UserId)>>,
}

impl Screening {
    pub fn set(&self, guild: GuildId, user: UserId, pending: bool) {
        let mut set = self.pending.lock().expect("screening");
        if pending {
            // Bounded against a raid of joiners who never pass screening: past the cap a new
            // one is not remembered (their role then waits for their next interaction).
            if set.len() < MAX_SCREENING {
                set.insert((guild, user));
            }
        } else {
            set.remove(&(guild, user));
        }
    }

    /// They left the server: nothing to wait for.
    pub fn forget(&self, guild: GuildId, user: UserId) {
        self.pending
            .lock()
            .expect("screening")
            .remove(&(guild, user));
    }

    pub fn len(&self) -> usize {
        self.pending.lock().expect("screening").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_pending(&self, guild: GuildId, user: UserId) -> bool {
        self.pending
            .lock()
            .expect("screening")
            .contains(&(guild, user))
    }
}

impl DiscordApp {
    /// The guild's own role (`/alumni setup member_role:`), else `DISCORD_MEMBER_ROLE`. Read
    /// each time, so a change applies from the next approval on, in every process.
    async fn member_role(&self, community: CommunityId) -> Option<RoleId> {
        let configured = match self.core.store().community(community).await {
            Ok(c) => c.and_then(|c| c.member_role),
            Err(e) => {
                // Not the default instead: that could hand out a role the guild replaced.
                tracing::warn!(error = %e, "reading the community's member role");
                return None;
            }
        };
        configured
            .and_then(|r| r.parse::<u64>().ok())
            .filter(|r| *r != 0)
            .or(self.config.member_role)
            .map(RoleId::new)
    }

    /// The member role of everyone whose standing the core says changed (their Discord
    /// identities in this guild), whatever command, button or form did it.
    pub(crate) async fn sync_standing(
        &self,
        http: &Http,
        guild: Option<GuildId>,
        effects: &[Effect],
    ) {
        let Some(guild) = guild else {
            return;
        };
        let space = guild.to_string();
        for effect in effects {
            let Effect::StandingChanged { identities, .. } = effect else {
                continue;
            };
            for user in identities
                .iter()
                .filter(|i| i.platform == Platform::Discord && i.space_id == space)
                .filter_map(|i| i.user_id.parse::<u64>().ok())
                .filter(|id| *id != 0)
            {
                self.sync_role(http, guild, UserId::new(user)).await;
            }
        }
    }

    /// Make `user`'s member role match their standing: approved and past screening → has it;
    /// otherwise → does not.
    pub(crate) async fn sync_role(&self, http: &Http, guild: GuildId, user: UserId) {
        let Some(community) = self.community_of(guild) else {
            return;
        };
        let Some(role) = self.member_role(community).await else {
            return;
        };
        let member = match self
            .core
            .store()
            .member_by_identity(community, Platform::Discord, &user.to_string())
            .await
        {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "reading a member to sync their role");
                return;
            }
        };
        let approved = member.is_some_and(|m| m.is_approved());
        if approved && self.screening.is_pending(guild, user) {
            tracing::debug!(%user, "approved but still in membership screening; role later");
            return;
        }
        let result = if approved {
            http.add_member_role(guild, user, role, Some("approved alumni member"))
                .await
        } else {
            http.remove_member_role(guild, user, role, Some("no longer an approved member"))
                .await
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, %user, approved, "updating the member role");
        }
    }
}
