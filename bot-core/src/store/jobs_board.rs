//! Opportunities and interest in them, for both backends (same SQL).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::{CommunityId, MemberId};
use crate::jobs::NewJob;

#[derive(Debug, Clone, PartialEq)]
pub struct Opportunity {
    pub id: i64,
    pub poster: Option<MemberId>,
    pub title: String,
    /// `rehire`, `contract` or `project`.
    pub kind: String,
    pub details: Option<String>,
    pub skills: Vec<String>,
    pub open_until: Option<DateTime<Utc>>,
    pub closed: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOpportunity {
    pub community: CommunityId,
    pub poster: MemberId,
    pub title: String,
    pub kind: String,
    pub details: Option<String>,
    pub skills: Vec<String>,
    pub open_until: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

#[async_trait]
pub trait JobsBoardStore: Send + Sync {
    /// Insert, with `jobs` (the weekly digest; its key makes it at most one a week).
    async fn post_opportunity(&self, new: &NewOpportunity, jobs: &[NewJob]) -> StoreResult<i64>;
    async fn opportunity(
        &self,
        community: CommunityId,
        id: i64,
    ) -> StoreResult<Option<Opportunity>>;
    /// Open ones (not closed, not past `open_until`), newest first.
    async fn open_opportunities(
        &self,
        community: CommunityId,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Opportunity>>;
    async fn close_opportunity(&self, community: CommunityId, id: i64) -> StoreResult<bool>;
    /// Record interest and write `jobs` (the note to the poster) with it; false (nothing
    /// written) if the member had already said so.
    async fn add_interest(
        &self,
        community: CommunityId,
        id: i64,
        member: MemberId,
        now: DateTime<Utc>,
        jobs: &[NewJob],
    ) -> StoreResult<bool>;
}

macro_rules! impl_jobs_board_store {
    ($store:ty, $row:ty) => {
        impl $store {
            fn opportunity_from_row(
                r: &$row,
            ) -> $crate::store::StoreResult<$crate::store::Opportunity> {
                use sqlx::Row;
                let skills: String = r.try_get("skills")?;
                Ok($crate::store::Opportunity {
                    id: r.try_get("id")?,
                    poster: r.try_get("poster_id")?,
                    title: r.try_get("title")?,
                    kind: r.try_get("kind")?,
                    details: r.try_get("details")?,
                    skills: skills
                        .split('\n')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    open_until: r.try_get("open_until")?,
                    closed: r.try_get("closed")?,
                    created_at: r.try_get("created_at")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::JobsBoardStore for $store {
            async fn post_opportunity(
                &self,
                n: &$crate::store::NewOpportunity,
                jobs: &[$crate::jobs::NewJob],
            ) -> $crate::store::StoreResult<i64> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO opportunities (community_id, poster_id, title, kind, details, \
                     skills, open_until, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     RETURNING id",
                )
                .bind(n.community)
                .bind(n.poster)
                .bind(&n.title)
                .bind(&n.kind)
                .bind(&n.details)
                .bind(n.skills.join("\n"))
                .bind(n.open_until)
                .bind(n.now)
                .fetch_one(&mut *tx)
                .await?;
                Self::insert_jobs(&mut tx, jobs, n.now).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn opportunity(
                &self,
                community: i64,
                id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::Opportunity>> {
                let row = sqlx::query(
                    "SELECT * FROM opportunities WHERE community_id = $1 AND id = $2",
                )
                .bind(community)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::opportunity_from_row).transpose()
            }

            async fn open_opportunities(
                &self,
                community: i64,
                now: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Opportunity>> {
                let rows = sqlx::query(
                    "SELECT * FROM opportunities WHERE community_id = $1 AND NOT closed \
                     AND (open_until IS NULL OR open_until >= $2) ORDER BY id DESC LIMIT $3",
                )
                .bind(community)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::opportunity_from_row).collect()
            }

            async fn close_opportunity(
                &self,
                community: i64,
                id: i64,
            ) -> $crate::store::StoreResult<bool> {
                Ok(sqlx::query(
                    "UPDATE opportunities SET closed = TRUE \
                     WHERE community_id = $1 AND id = $2 AND NOT closed",
                )
                .bind(community)
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                    == 1)
            }

            async fn add_interest(
                &self,
                community: i64,
                id: i64,
                member: i64,
                now: chrono::DateTime<chrono::Utc>,
                jobs: &[$crate::jobs::NewJob],
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let n = sqlx::query(
                    "INSERT INTO opportunity_interest (opportunity_id, member_id, community_id, \
                     created_at) SELECT $2, $3, $1, $4 WHERE EXISTS \
                     (SELECT 1 FROM opportunities WHERE id = $2 AND community_id = $1) \
                     ON CONFLICT (opportunity_id, member_id) DO NOTHING",
                )
                .bind(community)
                .bind(id)
                .bind(member)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Ok(false);
                }
                Self::insert_jobs(&mut tx, jobs, now).await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}

pub(crate) use impl_jobs_board_store;
