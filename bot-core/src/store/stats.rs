//! Community totals for `/admin stats`, for both backends (same SQL).

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::CommunityId;

/// (name, count) queries; `$1` = community. Names match `anonymous_counts`, so what erased
/// members contributed is added back as a total.
const TALLIES: &[(&str, &str)] = &[
    (
        "rsvps.",
        "SELECT state, COUNT(*) FROM rsvps WHERE community_id = $1 GROUP BY state",
    ),
    (
        "intros.",
        "SELECT status, COUNT(*) FROM intros WHERE community_id = $1 GROUP BY status",
    ),
    (
        "coffee.met.",
        "SELECT COALESCE(m.met, 'unanswered'), COUNT(*) FROM coffee_group_members m \
         JOIN coffee_groups g ON g.id = m.group_id WHERE g.community_id = $1 \
         GROUP BY COALESCE(m.met, 'unanswered')",
    ),
    (
        "events.",
        "SELECT 'count', COUNT(*) FROM events WHERE community_id = $1 AND NOT cancelled",
    ),
];

#[async_trait]
pub trait StatsStore: Send + Sync {
    /// Totals by name (`rsvps.going`, `intros.connected`, `coffee.met.yes`, `events.count`,
    /// `erased`…), including erased members' anonymous contributions.
    async fn tallies(&self, community: CommunityId) -> StoreResult<Vec<(String, i64)>>;
}

macro_rules! impl_stats_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::StatsStore for $store {
            async fn tallies(
                &self,
                community: i64,
            ) -> $crate::store::StoreResult<Vec<(String, i64)>> {
                let mut totals = std::collections::BTreeMap::<String, i64>::new();
                for (prefix, sql) in $crate::store::stats::TALLIES_SQL {
                    let rows: Vec<(String, i64)> = sqlx::query_as(*sql)
                        .bind(community)
                        .fetch_all(&self.pool)
                        .await?;
                    for (what, n) in rows {
                        *totals.entry(format!("{prefix}{what}")).or_default() += n;
                    }
                }
                for (what, n) in
                    $crate::store::PrivacyStore::anonymous_counts(self, community).await?
                {
                    *totals.entry(what).or_default() += n;
                }
                Ok(totals.into_iter().collect())
            }
        }
    };
}

pub(crate) const TALLIES_SQL: &[(&str, &str)] = TALLIES;
pub(crate) use impl_stats_store;
