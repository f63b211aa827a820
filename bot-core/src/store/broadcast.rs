//! Segments and broadcasts, for both backends (same SQL).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::CommunityId;
use crate::jobs::NewJob;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub id: i64,
    pub name: String,
    /// The search as typed after `/alumni search`.
    pub query: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Broadcast {
    pub id: i64,
    pub segment: Segment,
    pub message: String,
    pub previewed: i64,
    pub confirmed_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait BroadcastStore: Send + Sync {
    /// Save (or replace) a named segment.
    async fn save_segment(
        &self,
        community: CommunityId,
        name: &str,
        query: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Segment>;
    async fn segments(&self, community: CommunityId) -> StoreResult<Vec<Segment>>;
    async fn segment(&self, community: CommunityId, name: &str) -> StoreResult<Option<Segment>>;
    /// A broadcast awaiting the admin's confirmation.
    async fn create_broadcast(
        &self,
        community: CommunityId,
        segment: i64,
        message: &str,
        previewed: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<i64>;
    async fn broadcast(&self, community: CommunityId, id: i64) -> StoreResult<Option<Broadcast>>;
    /// Confirm and write its fan-out job in one transaction; false (nothing written) if it
    /// was confirmed already: two clicks send once.
    async fn confirm_broadcast(
        &self,
        community: CommunityId,
        id: i64,
        now: DateTime<Utc>,
        fan_out: &NewJob,
    ) -> StoreResult<bool>;
}

macro_rules! impl_broadcast_store {
    ($store:ty, $row:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::BroadcastStore for $store {
            async fn save_segment(
                &self,
                community: i64,
                name: &str,
                query: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<$crate::store::Segment> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO segments (community_id, name, query, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (community_id, name) \
                     DO UPDATE SET query = excluded.query RETURNING id",
                )
                .bind(community)
                .bind(name)
                .bind(query)
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
                Ok($crate::store::Segment {
                    id,
                    name: name.to_owned(),
                    query: query.to_owned(),
                })
            }

            async fn segments(
                &self,
                community: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Segment>> {
                let rows: Vec<(i64, String, String)> = sqlx::query_as(
                    "SELECT id, name, query FROM segments WHERE community_id = $1 ORDER BY name",
                )
                .bind(community)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, name, query)| $crate::store::Segment { id, name, query })
                    .collect())
            }

            async fn segment(
                &self,
                community: i64,
                name: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::Segment>> {
                let row: Option<(i64, String, String)> = sqlx::query_as(
                    "SELECT id, name, query FROM segments WHERE community_id = $1 AND name = $2",
                )
                .bind(community)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(id, name, query)| $crate::store::Segment { id, name, query }))
            }

            async fn create_broadcast(
                &self,
                community: i64,
                segment: i64,
                message: &str,
                previewed: i64,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO broadcasts (community_id, segment_id, message, previewed, \
                     created_at) SELECT $1, $2, $3, $4, $5 WHERE EXISTS \
                     (SELECT 1 FROM segments WHERE id = $2 AND community_id = $1) RETURNING id",
                )
                .bind(community)
                .bind(segment)
                .bind(message)
                .bind(previewed)
                .bind(now)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn broadcast(
                &self,
                community: i64,
                id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::Broadcast>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT b.id, b.message, b.previewed, b.confirmed_at, s.id AS segment_id, \
                     s.name, s.query FROM broadcasts b JOIN segments s ON s.id = b.segment_id \
                     WHERE b.community_id = $1 AND b.id = $2",
                )
                .bind(community)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| {
                    Ok($crate::store::Broadcast {
                        id: r.try_get("id")?,
                        segment: $crate::store::Segment {
                            id: r.try_get("segment_id")?,
                            name: r.try_get("name")?,
                            query: r.try_get("query")?,
                        },
                        message: r.try_get("message")?,
                        previewed: r.try_get("previewed")?,
                        confirmed_at: r.try_get("confirmed_at")?,
                    })
                })
                .transpose()
            }

            async fn confirm_broadcast(
                &self,
                community: i64,
                id: i64,
                now: chrono::DateTime<chrono::Utc>,
                fan_out: &$crate::jobs::NewJob,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let n = sqlx::query(
                    "UPDATE broadcasts SET confirmed_at = $3 \
                     WHERE community_id = $1 AND id = $2 AND confirmed_at IS NULL",
                )
                .bind(community)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Ok(false);
                }
                Self::insert_jobs(&mut tx, std::slice::from_ref(fan_out), now).await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}

pub(crate) use impl_broadcast_store;
