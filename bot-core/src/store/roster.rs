//! HR's roster, for both backends (same SQL): rows, their invite codes, claiming a row on
//! joining, the funnel's counts, and wrong codes per person.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{JobsFor, NewMember, StoreResult};
use crate::domain::{CommunityId, Identity, Member, MemberId, MemberStatus, Role};
use crate::roster::RosterRow;

/// A stored roster row, with the status of the member it is linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub handle: Option<String>,
    pub department: Option<String>,
    pub joined: Option<i32>,
    pub left: Option<i32>,
    /// The role joining gives.
    pub role: Role,
    /// The unused invite code (stored form); `None` once used, or after its member erased
    /// their data.
    pub code: Option<String>,
    pub member: Option<MemberId>,
    /// The linked member's status (`None`: not joined).
    pub member_status: Option<MemberStatus>,
}

impl RosterEntry {
    /// Taking this row as it was read: with its code, if it had one, which must still be the
    /// same when the claim is written.
    pub fn claim(&self) -> RosterClaim {
        RosterClaim {
            entry: self.id,
            code: self.code.clone(),
            role: self.role,
        }
    }
}

/// The roster row a joiner takes: found by their platform handle (`code: None`) or by the
/// code they typed, which the claim consumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterClaim {
    pub entry: i64,
    pub code: Option<String>,
    /// The role the row gives.
    pub role: Role,
}

/// HR's funnel: how far the people on the roster got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RosterFunnel {
    pub on_roster: u64,
    /// Rows whose code was handed out (exported or renewed).
    pub invited: u64,
    /// Rows linked to a member, whatever their status.
    pub joined: u64,
    pub approved: u64,
    /// Approved, and did something since the cut-off (see `ACTIVE_SQL`).
    pub active: u64,
}

/// What makes an approved member active since `$2`: a profile change or approval, an RSVP, an
/// introduction asked for, a job posted or an interest shown.
pub(crate) const ACTIVE_SQL: &str = "(m.updated_at >= $2 \
     OR EXISTS (SELECT 1 FROM rsvps x WHERE x.member_id = m.id AND x.since >= $2) \
     OR EXISTS (SELECT 1 FROM intros x WHERE x.requester_id = m.id AND x.created_at >= $2) \
     OR EXISTS (SELECT 1 FROM opportunities x WHERE x.poster_id = m.id AND x.created_at >= $2) \
     OR EXISTS (SELECT 1 FROM opportunity_interest x WHERE x.member_id = m.id \
     AND x.created_at >= $2))";

#[async_trait]
pub trait RosterStore: Send + Sync {
    /// Insert or update (by email, else handle, else name and years) every row in one
    /// transaction, giving each row not yet joined a code if it has none; returns how many
    /// were written.
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
    /// The unclaimed roster row holding `code` (stored form) in this community.
    async fn roster_by_code(
        &self,
        community: CommunityId,
        code: &str,
    ) -> StoreResult<Option<RosterEntry>>;
    /// The whole roster, in import order.
    async fn roster(&self, community: CommunityId) -> StoreResult<Vec<RosterEntry>>;
    /// Rows nobody joined from, in import order, `limit` from `offset`.
    async fn roster_not_joined(
        &self,
        community: CommunityId,
        offset: u32,
        limit: u32,
    ) -> StoreResult<Vec<RosterEntry>>;
    /// Note that these rows' codes were handed out (the first time counts).
    async fn mark_invited(
        &self,
        community: CommunityId,
        entries: &[i64],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// New codes for the unclaimed rows whose email or handle is in `who` (every unclaimed
    /// row when `who` is empty), in one transaction; the old codes stop working. Returns the
    /// renewed rows.
    async fn renew_codes(
        &self,
        community: CommunityId,
        who: &[String],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<RosterEntry>>;
    /// The funnel's counts; "active" means since `active_since`.
    async fn roster_funnel(
        &self,
        community: CommunityId,
        active_since: DateTime<Utc>,
    ) -> StoreResult<RosterFunnel>;
    /// A new member and their claim on a roster row, in one transaction: `None` (and nothing
    /// written) if the row was claimed, or its code used or renewed, meanwhile.
    async fn insert_claiming_member(
        &self,
        community: CommunityId,
        new: &NewMember,
        claim: &RosterClaim,
        jobs: &JobsFor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Member>>;
    /// An existing member (pending, rejected or left: `from`) approved with the row's role by their
    /// claim on a roster row, in one transaction: `false` (nothing written) if their status
    /// or the row changed meanwhile.
    async fn approve_claiming_member(
        &self,
        community: CommunityId,
        member: MemberId,
        who: &Identity,
        from: MemberStatus,
        claim: &RosterClaim,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Wrong codes this person typed in a row, and when the last one was.
    async fn code_failures(
        &self,
        community: CommunityId,
        who: &Identity,
    ) -> StoreResult<Option<(u32, DateTime<Utc>)>>;
    /// One more wrong code; a run of them restarts after a quiet `window` (counted from
    /// the last failure before `now`).
    async fn record_code_failure(
        &self,
        community: CommunityId,
        who: &Identity,
        window_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}

/// The columns a `RosterEntry` is read from (`r` the roster, `m` the linked member).
macro_rules! entry_sql {
    ($rest:literal) => {
        concat!(
            "SELECT r.id, r.name, r.email, r.handle, r.department, r.joined_year, r.left_year, \
             r.role, r.code, r.member_id, m.status AS member_status FROM roster r \
             LEFT JOIN members m ON m.id = r.member_id ",
            $rest
        )
    };
}

macro_rules! impl_roster_store {
    ($store:ty, $db:ty, $row:ty) => {
        impl $store {
            fn roster_from_row(
                r: &$row,
            ) -> $crate::store::StoreResult<$crate::store::RosterEntry> {
                use sqlx::Row;
                let role: String = r.try_get("role")?;
                let status: Option<String> = r.try_get("member_status")?;
                Ok($crate::store::RosterEntry {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                    handle: r.try_get("handle")?,
                    department: r.try_get("department")?,
                    joined: r.try_get("joined_year")?,
                    left: r.try_get("left_year")?,
                    role: role.parse().map_err(|()| {
                        $crate::error::StoreError::Corrupt(format!("roster role {role:?}"))
                    })?,
                    code: r.try_get("code")?,
                    member: r.try_get("member_id")?,
                    member_status: status.map(|s| s.parse()).transpose().map_err(|()| {
                        $crate::error::StoreError::Corrupt("member status".into())
                    })?,
                })
            }

            /// Distinct new codes for `n` rows, none already held in the community.
            async fn fresh_codes(
                conn: &mut <$db as sqlx::Database>::Connection,
                community: i64,
                n: usize,
            ) -> $crate::store::StoreResult<Vec<String>> {
                let held: Vec<String> = sqlx::query_scalar(
                    "SELECT code FROM roster WHERE community_id = $1 AND code IS NOT NULL",
                )
                .bind(community)
                .fetch_all(&mut *conn)
                .await?;
                let mut taken: std::collections::HashSet<String> = held.into_iter().collect();
                let mut codes = Vec::with_capacity(n);
                while codes.len() < n {
                    let code = $crate::invite_code::generate();
                    if taken.insert(code.clone()) {
                        codes.push(code);
                    }
                }
                Ok(codes)
            }

            /// Point the claimed row at `member` and consume its code (the code must still be
            /// the one typed), and forget the joiner's wrong codes. `false`: the row is gone.
            pub(crate) async fn claim_roster_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                community: i64,
                member: i64,
                who: &$crate::domain::Identity,
                claim: &$crate::store::RosterClaim,
            ) -> $crate::store::StoreResult<bool> {
                let claimed = match &claim.code {
                    Some(code) => sqlx::query(
                        "UPDATE roster SET member_id = $3, code = NULL \
                         WHERE community_id = $1 AND id = $2 AND member_id IS NULL \
                         AND code = $4",
                    )
                    .bind(community)
                    .bind(claim.entry)
                    .bind(member)
                    .bind(code),
                    None => sqlx::query(
                        "UPDATE roster SET member_id = $3, code = NULL \
                         WHERE community_id = $1 AND id = $2 AND member_id IS NULL",
                    )
                    .bind(community)
                    .bind(claim.entry)
                    .bind(member),
                }
                .execute(&mut *conn)
                .await?
                .rows_affected();
                sqlx::query(
                    "DELETE FROM roster_code_failures WHERE community_id = $1 \
                     AND platform = $2 AND user_id = $3",
                )
                .bind(community)
                .bind(who.platform.as_str())
                .bind(&who.user_id)
                .execute(&mut *conn)
                .await?;
                Ok(claimed == 1)
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
                         department, joined_year, left_year, imported_at, role) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                         ON CONFLICT (community_id, person_key) DO UPDATE SET \
                         name = excluded.name, email = excluded.email, handle = excluded.handle, \
                         department = excluded.department, joined_year = excluded.joined_year, \
                         left_year = excluded.left_year, imported_at = excluded.imported_at, \
                         role = excluded.role",
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
                    .bind(r.role.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                let uncoded: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM roster WHERE community_id = $1 AND member_id IS NULL \
                     AND code IS NULL ORDER BY id",
                )
                .bind(community)
                .fetch_all(&mut *tx)
                .await?;
                let codes = Self::fresh_codes(&mut tx, community, uncoded.len()).await?;
                for (id, code) in uncoded.iter().zip(&codes) {
                    sqlx::query("UPDATE roster SET code = $3 WHERE community_id = $1 AND id = $2")
                        .bind(community)
                        .bind(id)
                        .bind(code)
                        .execute(&mut *tx)
                        .await?;
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
                    let row = sqlx::query($crate::store::roster::entry_sql!(
                        "WHERE r.community_id = $1 AND lower(r.handle) = lower($2) \
                         AND r.member_id IS NULL ORDER BY r.id LIMIT 1"
                    ))
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

            async fn roster_by_code(
                &self,
                community: i64,
                code: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::RosterEntry>> {
                let row = sqlx::query($crate::store::roster::entry_sql!(
                    "WHERE r.community_id = $1 AND r.code = $2 AND r.member_id IS NULL"
                ))
                .bind(community)
                .bind(code)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::roster_from_row).transpose()
            }

            async fn roster(
                &self,
                community: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::RosterEntry>> {
                let rows = sqlx::query($crate::store::roster::entry_sql!(
                    "WHERE r.community_id = $1 ORDER BY r.id"
                ))
                .bind(community)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::roster_from_row).collect()
            }

            async fn roster_not_joined(
                &self,
                community: i64,
                offset: u32,
                limit: u32,
            ) -> $crate::store::StoreResult<Vec<$crate::store::RosterEntry>> {
                let rows = sqlx::query($crate::store::roster::entry_sql!(
                    "WHERE r.community_id = $1 AND r.member_id IS NULL ORDER BY r.id \
                     LIMIT $2 OFFSET $3"
                ))
                .bind(community)
                .bind(i64::from(limit))
                .bind(i64::from(offset))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::roster_from_row).collect()
            }

            async fn mark_invited(
                &self,
                community: i64,
                entries: &[i64],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                for id in entries {
                    sqlx::query(
                        "UPDATE roster SET invited_at = $3 WHERE community_id = $1 AND id = $2 \
                         AND invited_at IS NULL",
                    )
                    .bind(community)
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn renew_codes(
                &self,
                community: i64,
                who: &[String],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::RosterEntry>> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let rows = sqlx::query($crate::store::roster::entry_sql!(
                    "WHERE r.community_id = $1 AND r.member_id IS NULL ORDER BY r.id"
                ))
                .bind(community)
                .fetch_all(&mut *tx)
                .await?;
                let wanted = |v: &Option<String>| {
                    v.as_deref()
                        .is_some_and(|v| who.iter().any(|w| w.eq_ignore_ascii_case(v)))
                };
                let mut renewed = Vec::new();
                for row in &rows {
                    let entry = Self::roster_from_row(row)?;
                    if who.is_empty() || wanted(&entry.email) || wanted(&entry.handle) {
                        renewed.push(entry);
                    }
                }
                let codes = Self::fresh_codes(&mut tx, community, renewed.len()).await?;
                for (entry, code) in renewed.iter_mut().zip(codes) {
                    sqlx::query(
                        "UPDATE roster SET code = $3, invited_at = COALESCE(invited_at, $4) \
                         WHERE community_id = $1 AND id = $2",
                    )
                    .bind(community)
                    .bind(entry.id)
                    .bind(&code)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    entry.code = Some(code);
                }
                tx.commit().await?;
                Ok(renewed)
            }

            async fn roster_funnel(
                &self,
                community: i64,
                active_since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<$crate::store::RosterFunnel> {
                let sql = format!(
                    "SELECT COUNT(*), COUNT(r.invited_at), COUNT(r.member_id), \
                     COALESCE(SUM(CASE WHEN m.status = 'approved' THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN m.status = 'approved' AND {} THEN 1 ELSE 0 END), 0) \
                     FROM roster r LEFT JOIN members m ON m.id = r.member_id \
                     WHERE r.community_id = $1",
                    $crate::store::roster::ACTIVE_SQL
                );
                let (on_roster, invited, joined, approved, active): (i64, i64, i64, i64, i64) =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(community)
                        .bind(active_since)
                        .fetch_one(&self.pool)
                        .await?;
                let n = |v: i64| u64::try_from(v).unwrap_or(0);
                Ok($crate::store::RosterFunnel {
                    on_roster: n(on_roster),
                    invited: n(invited),
                    joined: n(joined),
                    approved: n(approved),
                    active: n(active),
                })
            }

            async fn insert_claiming_member(
                &self,
                community: i64,
                new: &$crate::store::NewMember,
                claim: &$crate::store::RosterClaim,
                jobs: &$crate::store::JobsFor,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Option<$crate::domain::Member>> {
                self.insert_member_claiming(community, new, Some(claim), jobs, now)
                    .await
            }

            async fn approve_claiming_member(
                &self,
                community: i64,
                member: i64,
                who: &$crate::domain::Identity,
                from: $crate::domain::MemberStatus,
                claim: &$crate::store::RosterClaim,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let changed = sqlx::query(
                    "UPDATE members SET status = 'approved', role = $1, updated_at = $2 \
                     WHERE community_id = $3 AND id = $4 AND status = $5",
                )
                .bind(claim.role.as_str())
                .bind(now)
                .bind(community)
                .bind(member)
                .bind(from.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let Some(m) = Self::fetch_member(&mut tx, community, member).await? else {
                    return Ok(false);
                };
                if changed != 1
                    || !Self::claim_roster_in(&mut tx, community, member, who, claim).await?
                {
                    return Ok(false);
                }
                Self::write_search(&mut tx, &m).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn code_failures(
                &self,
                community: i64,
                who: &$crate::domain::Identity,
            ) -> $crate::store::StoreResult<Option<(u32, chrono::DateTime<chrono::Utc>)>> {
                let row: Option<(i32, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "SELECT failures, last_failed_at FROM roster_code_failures \
                     WHERE community_id = $1 AND platform = $2 AND user_id = $3",
                )
                .bind(community)
                .bind(who.platform.as_str())
                .bind(&who.user_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(n, at)| (u32::try_from(n).unwrap_or(0), at)))
            }

            async fn record_code_failure(
                &self,
                community: i64,
                who: &$crate::domain::Identity,
                window_start: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO roster_code_failures \
                     (community_id, platform, user_id, failures, last_failed_at) \
                     VALUES ($1, $2, $3, 1, $4) \
                     ON CONFLICT (community_id, platform, user_id) DO UPDATE SET \
                     failures = CASE WHEN roster_code_failures.last_failed_at < $5 THEN 1 \
                     ELSE roster_code_failures.failures + 1 END, last_failed_at = $4",
                )
                .bind(community)
                .bind(who.platform.as_str())
                .bind(&who.user_id)
                .bind(now)
                .bind(window_start)
                .execute(&self.pool)
                .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use {entry_sql, impl_roster_store};
