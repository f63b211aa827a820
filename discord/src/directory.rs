//! What the adapter learned from the gateway about each guild it serves: which community it
//! is, its owner and its text channels by name, so a job addressed to `#general` (the core's
//! default) reaches the right channel id.

use std::collections::HashMap;
use std::sync::Mutex;

use bot_core::domain::CommunityId;
use serenity::all::{ChannelId, GuildId, UserId};

#[derive(Default)]
pub struct Directory {
    guilds: Mutex<HashMap<CommunityId, GuildInfo>>,
}

#[derive(Debug, Clone)]
pub struct GuildInfo {
    pub guild_id: GuildId,
    pub owner_id: UserId,
    pub channels: HashMap<String, ChannelId>,
}

impl Directory {
    pub fn insert(&self, community: CommunityId, info: GuildInfo) {
        self.guilds
            .lock()
            .expect("directory")
            .insert(community, info);
    }

    pub fn guild(&self, community: CommunityId) -> Option<GuildInfo> {
        self.guilds
            .lock()
            .expect("directory")
            .get(&community)
            .cloned()
    }

    pub fn community_of(&self, guild: GuildId) -> Option<CommunityId> {
        self.guilds
            .lock()
            .expect("directory")
            .iter()
            .find(|(_, g)| g.guild_id == guild)
            .map(|(c, _)| *c)
    }

    pub fn owner(&self, guild: GuildId) -> Option<UserId> {
        self.guilds
            .lock()
            .expect("directory")
            .values()
            .find(|g| g.guild_id == guild)
            .map(|g| g.owner_id)
    }

    /// A channel by id (`123`, `<#123>`) or by name (`general`, `#general`).
    pub fn channel(&self, community: CommunityId, channel: &str) -> Option<ChannelId> {
        let bare = channel
            .trim()
            .trim_start_matches("<#")
            .trim_end_matches('>')
            .trim_start_matches('#');
        if let Ok(id) = bare.parse::<u64>()
            && id != 0
        {
            return Some(ChannelId::new(id));
        }
        self.guild(community)?.channels.get(bare).copied()
    }
}
