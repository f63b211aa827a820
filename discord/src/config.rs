//! The adapter's settings, from the environment (`DISCORD_*`).

/// How this process takes part in sharding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sharding {
    /// Ask Discord how many shards (`/gateway/bot`) and run them all.
    Auto,
    /// `DISCORD_SHARDS` total; this process runs `DISCORD_SHARD_IDS` (default: all).
    Range {
        ids: std::ops::Range<u32>,
        total: u32,
    },
}

#[derive(Clone)]
pub struct DiscordConfig {
    pub token: String,
    /// `DISCORD_API_BASE`: another base URL for the REST API (tests, a proxy); the gateway URL
    /// then comes from it too.
    pub api_base: Option<String>,
    /// `DISCORD_GUILD_ID`: register the commands in this guild only (instant), else globally.
    pub guild_id: Option<u64>,
    /// `DISCORD_MEMBER_ROLE`: the role id approved members get.
    pub member_role: Option<u64>,
    pub sharding: Sharding,
}

impl std::fmt::Debug for DiscordConfig {
    // The token stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordConfig")
            .field("api_base", &self.api_base)
            .field("guild_id", &self.guild_id)
            .field("member_role", &self.member_role)
            .field("sharding", &self.sharding)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0} must be a Discord id (a number), got {1:?}")]
    NotAnId(&'static str, String),
    #[error(
        "DISCORD_SHARD_IDS must be a range like 0-3 inside DISCORD_SHARDS={total}, got {ids:?}"
    )]
    BadShards { ids: String, total: u32 },
}

impl DiscordConfig {
    /// Read from a lookup (the environment, or a map in tests).
    pub fn from_lookup(
        token: String,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<DiscordConfig, ConfigError> {
        let id = |name: &'static str| -> Result<Option<u64>, ConfigError> {
            match get(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| ConfigError::NotAnId(name, v)),
            }
        };
        let guild_id = id("DISCORD_GUILD_ID")?;
        let member_role = id("DISCORD_MEMBER_ROLE")?;
        let sharding = match id("DISCORD_SHARDS")? {
            None => Sharding::Auto,
            Some(total) => {
                let total = u32::try_from(total).unwrap_or(u32::MAX).max(1);
                let ids = match get("DISCORD_SHARD_IDS").filter(|v| !v.trim().is_empty()) {
                    None => 0..total,
                    Some(v) => {
                        parse_range(&v, total).ok_or(ConfigError::BadShards { ids: v, total })?
                    }
                };
                Sharding::Range { ids, total }
            }
        };
        Ok(DiscordConfig {
            token,
            api_base: get("DISCORD_API_BASE")
                .map(|v| v.trim().trim_end_matches('/').to_owned())
                .filter(|v| !v.is_empty()),
            guild_id,
            member_role,
            sharding,
        })
    }
}

/// `0-3` (inclusive) or `5` → a half-open range within `total`.
fn parse_range(text: &str, total: u32) -> Option<std::ops::Range<u32>> {
    let (a, b) = match text.trim().split_once('-') {
        Some((a, b)) => (a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?),
        None => {
            let n = text.trim().parse::<u32>().ok()?;
            (n, n)
        }
    };
    (a <= b && b < total).then_some(a..b + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<DiscordConfig, ConfigError> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        DiscordConfig::from_lookup("t".into(), |k| map.get(k).cloned())
    }

    #[test]
    fn shard_ranges_are_inclusive_and_checked_against_the_total() {
        let c = read(&[("DISCORD_SHARDS", "8"), ("DISCORD_SHARD_IDS", "4-7")]).unwrap();
        assert_eq!(
            c.sharding,
            Sharding::Range {
                ids: 4..8,
                total: 8
            }
        );
        assert!(read(&[("DISCORD_SHARDS", "4"), ("DISCORD_SHARD_IDS", "2-5")]).is_err());
        assert_eq!(read(&[]).unwrap().sharding, Sharding::Auto);
        assert!(matches!(
            read(&[("DISCORD_GUILD_ID", "general")]),
            Err(ConfigError::NotAnId("DISCORD_GUILD_ID", _))
        ));
    }

    #[test]
    fn the_token_is_not_in_debug_output() {
        let c = DiscordConfig::from_lookup("secret-token".into(), |_| None).unwrap();
        assert!(!format!("{c:?}").contains("secret-token"));
    }
}
