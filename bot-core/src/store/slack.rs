//! Slack workspace state, for both backends (same SQL): installations (a team's bot token and the
//! community it belongs to), OAuth install states and the ids of events already handled. All in
//! the database so several instances on one PostgreSQL agree on them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::CommunityId;

/// The app installed in one Slack workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackInstallation {
    pub team_id: String,
    pub community_id: CommunityId,
    pub bot_token: String,
    pub bot_user_id: String,
    /// Uninstalled or its tokens revoked: the token must not be used.
    pub revoked: bool,
    pub installed_at: DateTime<Utc>,
}

#[async_trait]
pub trait SlackStore: Send + Sync {
    /// Insert or replace a team's installation (a reinstall clears `revoked`).
    async fn save_slack_installation(&self, installation: &SlackInstallation) -> StoreResult<()>;
    async fn slack_installation(&self, team_id: &str) -> StoreResult<Option<SlackInstallation>>;
    /// The newest installation of a community (a community may span workspaces: newest wins).
    async fn slack_installation_for_community(
        &self,
        community: CommunityId,
    ) -> StoreResult<Option<SlackInstallation>>;
    /// Every installation (re-sealing tokens under a new key).
    async fn all_slack_installations(&self) -> StoreResult<Vec<SlackInstallation>>;
    /// Mark a team's installation revoked; false if there was none.
    async fn revoke_slack_installation(&self, team_id: &str) -> StoreResult<bool>;

    /// Remember an OAuth `state` until `expires_at`, first forgetting every state expired at
    /// `now`; refused (false) when `cap` states are already waiting, so anyone requesting
    /// `/slack/install` in a loop cannot grow the table.
    async fn insert_oauth_state(
        &self,
        state: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        cap: i64,
    ) -> StoreResult<bool>;
    /// OAuth states still waiting for their callback.
    async fn count_oauth_states(&self) -> StoreResult<i64>;
    /// Consume a state: true once, if it exists and has not expired at `now`.
    async fn take_oauth_state(&self, state: &str, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Record an Events API `event_id`; true the first time it is seen (so: process it).
    /// Ids older than a day are forgotten (Slack retries within minutes).
    async fn first_slack_event(&self, event_id: &str, now: DateTime<Utc>) -> StoreResult<bool>;
}

macro_rules! impl_slack_store {
    ($store:ty, $row:ty) => {
        impl $store {
            fn slack_installation_from_row(
                row: &$row,
            ) -> $crate::store::StoreResult<$crate::store::SlackInstallation> {
                use sqlx::Row;
                Ok($crate::store::SlackInstallation {
                    team_id: row.try_get("team_id")?,
                    community_id: row.try_get("community_id")?,
                    bot_token: row.try_get("bot_token")?,
                    bot_user_id: row.try_get("bot_user_id")?,
                    revoked: row.try_get("revoked")?,
                    installed_at: row.try_get("installed_at")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::SlackStore for $store {
            async fn save_slack_installation(
                &self,
                i: &$crate::store::SlackInstallation,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO slack_installations \
                     (team_id, community_id, bot_token, bot_user_id, revoked, installed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (team_id) DO UPDATE SET community_id = excluded.community_id, \
                     bot_token = excluded.bot_token, bot_user_id = excluded.bot_user_id, \
                     revoked = excluded.revoked, installed_at = excluded.installed_at",
                )
                .bind(&i.team_id)
                .bind(i.community_id)
                .bind(&i.bot_token)
                .bind(&i.bot_user_id)
                .bind(i.revoked)
                .bind(i.installed_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn slack_installation(
                &self,
                team_id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::SlackInstallation>> {
                let row = sqlx::query("SELECT * FROM slack_installations WHERE team_id = $1")
                    .bind(team_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::slack_installation_from_row).transpose()
            }

            async fn slack_installation_for_community(
                &self,
                community: $crate::domain::CommunityId,
            ) -> $crate::store::StoreResult<Option<$crate::store::SlackInstallation>> {
                let row = sqlx::query(
                    "SELECT * FROM slack_installations WHERE community_id = $1 \
                     ORDER BY revoked, installed_at DESC LIMIT 1",
                )
                .bind(community)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::slack_installation_from_row).transpose()
            }

            async fn all_slack_installations(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::store::SlackInstallation>> {
                let rows = sqlx::query("SELECT * FROM slack_installations ORDER BY team_id")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::slack_installation_from_row).collect()
            }

            async fn revoke_slack_installation(
                &self,
                team_id: &str,
            ) -> $crate::store::StoreResult<bool> {
                let n = sqlx::query("UPDATE slack_installations SET revoked = TRUE WHERE team_id = $1")
                    .bind(team_id)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(n == 1)
            }

            async fn insert_oauth_state(
                &self,
                state: &str,
                now: chrono::DateTime<chrono::Utc>,
                expires_at: chrono::DateTime<chrono::Utc>,
                cap: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                sqlx::query("DELETE FROM slack_oauth_states WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                // A bound, not an exact count: on PostgreSQL a few concurrent requests may
                // each see room for one more (SQLite's write transaction serializes them).
                let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM slack_oauth_states")
                    .fetch_one(&mut *tx)
                    .await?;
                if waiting >= cap {
                    tx.commit().await?;
                    return Ok(false);
                }
                sqlx::query("INSERT INTO slack_oauth_states (state, expires_at) VALUES ($1, $2)")
                    .bind(state)
                    .bind(expires_at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn count_oauth_states(&self) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM slack_oauth_states")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn take_oauth_state(
                &self,
                state: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<bool> {
                // One DELETE decides: of two concurrent callbacks with the same state, one wins.
                let n = sqlx::query("DELETE FROM slack_oauth_states WHERE state = $1 AND expires_at > $2")
                    .bind(state)
                    .bind(now)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                sqlx::query("DELETE FROM slack_oauth_states WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(n == 1)
            }

            async fn first_slack_event(
                &self,
                event_id: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<bool> {
                let n = sqlx::query(
                    "INSERT INTO slack_events (event_id, received_at) VALUES ($1, $2) \
                     ON CONFLICT (event_id) DO NOTHING",
                )
                .bind(event_id)
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected();
                if n == 1 {
                    sqlx::query("DELETE FROM slack_events WHERE received_at < $1")
                        .bind(now - chrono::TimeDelta::days(1))
                        .execute(&self.pool)
                        .await?;
                }
                Ok(n == 1)
            }
        }
    };
}

pub(crate) use impl_slack_store;
