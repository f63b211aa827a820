//! HR's roster, for both backends (same SQL).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::{CommunityId, MemberId};
use crate::roster::RosterRow;

/// A stored roster row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub handle: Option<String>,
    pub department: Option<String>,
    pub joined: Option<i32>,
    pub left: Option<i32>,
    pub member: Option<MemberId>,
}

#[async_trait]
pub trait RosterStore: Send + Sync {
    /// Insert or update (by email, else handle, else name and years) every row in one
    /// transaction; returns how many were written.
    async fn import_roster(
        &self,
        community: CommunityId,
        rows: &[RosterRow],
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// The unclaimed roster row for a platform handle or user id (case-insensitive).
    async fn roster_for_handle(
        &self,
        community: CommunityId,
        handles: &[&str],
    ) -> StoreResult<Option<RosterEntry>>;
    /// Point a roster row at the member it verified.
    async fn link_roster(
        &self,
        community: CommunityId,
        entry: i64,
        member: MemberId,
    ) -> StoreResult<()>;
    /// The whole roster, in import order.
    async fn roster(&self, community: CommunityId) -> StoreResult<Vec<RosterEntry>>;
}

macro_rules! impl_roster_store {
    ($store:ty, $row:ty) => {
        impl $store {
            fn roster_from_row(
                r: &$row,
            ) -> $crate::store::StoreResult<$crate::store::RosterEntry> {
                use sqlx::Row;
                Ok($crate::store::RosterEntry {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                    handle: r.try_get("handle")?,
                    department: r.try_get("department")?,
                    joined: r.try_get("joined_year")?,
                    left: r.try_get("left_year")?,
                    member: r.try_get("member_id")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::RosterStore for $store {
            async fn import_roster(
                &self,
                community: i64,
                rows: &[$crate::roster::RosterRow],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<u64> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let mut n = 0;
                for r in rows {
                    n += sqlx::query(
                        "INSERT INTO roster (community_id, person_key, name, email, handle, \
                         department, joined_year, left_year, imported_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (community_id, person_key) DO UPDATE SET \
                         name = excluded.name, email = excluded.email, handle = excluded.handle, \
                         department = excluded.department, joined_year = excluded.joined_year, \
                         left_year = excluded.left_year, imported_at = excluded.imported_at",
                    )
                    .bind(community)
                    .bind(r.key())
                    .bind(&r.name)
                    .bind(&r.email)
                    .bind(&r.handle)
                    .bind(&r.department)
                    .bind(r.joined)
                    .bind(r.left)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
                Ok(n)
            }

            async fn roster_for_handle(
                &self,
                community: i64,
                handles: &[&str],
            ) -> $crate::store::StoreResult<Option<$crate::store::RosterEntry>> {
                for h in handles.iter().filter(|h| !h.is_empty()) {
                    let row = sqlx::query(
                        "SELECT id, name, email, handle, department, joined_year, left_year, \
                         member_id FROM roster WHERE community_id = $1 \
                         AND lower(handle) = lower($2) AND member_id IS NULL ORDER BY id LIMIT 1",
                    )
                    .bind(community)
                    .bind(*h)
                    .fetch_optional(&self.pool)
                    .await?;
                    if let Some(r) = row {
                        return Ok(Some(Self::roster_from_row(&r)?));
                    }
                }
                Ok(None)
            }

            async fn link_roster(
                &self,
                community: i64,
                entry: i64,
                member: i64,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE roster SET member_id = $3 WHERE community_id = $1 AND id = $2 \
                     AND EXISTS (SELECT 1 FROM members WHERE id = $3 AND community_id = $1)",
                )
                .bind(community)
                .bind(entry)
                .bind(member)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn roster(
                &self,
                community: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::RosterEntry>> {
                let rows = sqlx::query(
                    "SELECT id, name, email, handle, department, joined_year, left_year, \
                     member_id FROM roster WHERE community_id = $1 ORDER BY id",
                )
                .bind(community)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::roster_from_row).collect()
            }
        }
    };
}

pub(crate) use impl_roster_store;
