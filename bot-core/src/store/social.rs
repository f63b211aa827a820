//! Blocks, introductions and coffee-chat rounds, for both backends (same SQL).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::{CommunityId, MemberId};
use crate::jobs::NewJob;
use crate::social::{CoffeeGroup, CoffeeMember, CoffeeSettings, Intro, IntroId, NewIntro};

/// Builds the jobs that go with an introduction's change, once it is known.
pub type JobsForIntro = dyn Fn(&Intro) -> Vec<NewJob> + Send + Sync;

#[async_trait]
pub trait SocialStore: Send + Sync {
    /// True if newly blocked.
    async fn block(
        &self,
        community: CommunityId,
        blocker: MemberId,
        blocked: MemberId,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// True if a block was removed.
    async fn unblock(
        &self,
        community: CommunityId,
        blocker: MemberId,
        blocked: MemberId,
    ) -> StoreResult<bool>;
    /// Whether either has blocked the other.
    async fn blocked_between(&self, a: MemberId, b: MemberId) -> StoreResult<bool>;
    /// Every block in the community, as (blocker, blocked).
    async fn blocks(&self, community: CommunityId) -> StoreResult<Vec<(MemberId, MemberId)>>;
    /// Who blocked `member` (whom a search by them leaves out); served from memory.
    async fn blockers_of(
        &self,
        community: CommunityId,
        member: MemberId,
    ) -> StoreResult<Vec<MemberId>>;

    async fn insert_intro(
        &self,
        new: &NewIntro,
        jobs: &JobsForIntro,
        now: DateTime<Utc>,
    ) -> StoreResult<Intro>;
    async fn intro(&self, community: CommunityId, id: IntroId) -> StoreResult<Option<Intro>>;
    /// Pending requests a member has made (the spam limit).
    async fn pending_intros_by(
        &self,
        community: CommunityId,
        requester: MemberId,
    ) -> StoreResult<u32>;
    /// Introductions a member asked for or was asked about, newest first.
    async fn intros_of(
        &self,
        community: CommunityId,
        member: MemberId,
        limit: u32,
    ) -> StoreResult<Vec<Intro>>;
    /// Record `member`'s answer; the status follows (any no: declined; every yes: connected).
    /// `None` if the intro is not pending or `member` is not awaited: nothing written.
    #[allow(clippy::too_many_arguments)]
    async fn answer_intro(
        &self,
        community: CommunityId,
        id: IntroId,
        member: MemberId,
        accept: bool,
        now: DateTime<Utc>,
        jobs: &JobsForIntro,
    ) -> StoreResult<Option<Intro>>;
    /// Expire a still-pending intro; `None` if it was already decided.
    async fn expire_intro(
        &self,
        community: CommunityId,
        id: IntroId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Intro>>;

    async fn coffee_settings(&self, community: CommunityId) -> StoreResult<Option<CoffeeSettings>>;
    /// Save the cadence, replacing the community's pending round jobs with `jobs`.
    async fn save_coffee_settings(
        &self,
        settings: &CoffeeSettings,
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn coffee_member(&self, member: MemberId) -> StoreResult<Option<CoffeeMember>>;
    async fn save_coffee_member(
        &self,
        community: CommunityId,
        m: &CoffeeMember,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Members who joined coffee chats and have not left them (paused ones included).
    async fn coffee_members(&self, community: CommunityId) -> StoreResult<Vec<CoffeeMember>>;
    async fn skip_round(
        &self,
        community: CommunityId,
        round_at: DateTime<Utc>,
        member: MemberId,
    ) -> StoreResult<()>;
    async fn round_skips(
        &self,
        community: CommunityId,
        round_at: DateTime<Utc>,
    ) -> StoreResult<Vec<MemberId>>;
    /// Groups of rounds at or after `since`, oldest first.
    async fn coffee_groups_since(
        &self,
        community: CommunityId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<CoffeeGroup>>;
    /// Write a round's groups unless it already has some (a retried run); returns the round's groups.
    async fn save_round(
        &self,
        community: CommunityId,
        round_at: DateTime<Utc>,
        groups: &[Vec<MemberId>],
    ) -> StoreResult<Vec<CoffeeGroup>>;
    /// Answers to "did you meet?" for a round: (member, answer).
    async fn round_answers(
        &self,
        community: CommunityId,
        round_at: DateTime<Utc>,
    ) -> StoreResult<Vec<(MemberId, Option<bool>)>>;
    /// Record a member's "did you meet?"; false if they are not in that group.
    async fn record_met(
        &self,
        community: CommunityId,
        group: i64,
        member: MemberId,
        met: bool,
    ) -> StoreResult<bool>;
}

macro_rules! impl_social_store {
    ($store:ty, $db:ty, $row:ty) => {
        impl $store {
            fn intro_from_row(row: &$row) -> $crate::store::StoreResult<$crate::social::Intro> {
                use sqlx::Row;
                let status: String = row.try_get("status")?;
                let answer = |v: Option<String>| v.map(|a| a == "accepted");
                Ok($crate::social::Intro {
                    id: row.try_get("id")?,
                    community_id: row.try_get("community_id")?,
                    requester: row.try_get("requester_id")?,
                    first: row.try_get("first_id")?,
                    second: row.try_get("second_id")?,
                    why: row.try_get("why")?,
                    first_answer: answer(row.try_get("first_answer")?),
                    second_answer: answer(row.try_get("second_answer")?),
                    status: $crate::social::IntroStatus::parse(&status).ok_or_else(|| {
                        $crate::error::StoreError::Corrupt(format!("intro status {status:?}"))
                    })?,
                    suppressed: row.try_get("suppressed")?,
                    expires_at: row.try_get("expires_at")?,
                    created_at: row.try_get("created_at")?,
                })
            }

            fn coffee_member_from_row(row: &$row) -> $crate::store::StoreResult<$crate::social::CoffeeMember> {
                use sqlx::Row;
                Ok($crate::social::CoffeeMember {
                    member_id: row.try_get("member_id")?,
                    active: row.try_get("active")?,
                    paused_until: row.try_get("paused_until")?,
                    ignored_rounds: row.try_get("ignored_rounds")?,
                })
            }

            async fn groups_where(
                &self,
                sql: &'static str,
                community: $crate::domain::CommunityId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Vec<$crate::social::CoffeeGroup>> {
                use sqlx::Row;
                let rows = sqlx::query(sql).bind(community).bind(at).fetch_all(&self.pool).await?;
                let mut groups: Vec<$crate::social::CoffeeGroup> = Vec::new();
                for r in rows {
                    let id: i64 = r.try_get("id")?;
                    let member: i64 = r.try_get("member_id")?;
                    match groups.last_mut() {
                        Some(g) if g.id == id => g.members.push(member),
                        _ => groups.push($crate::social::CoffeeGroup {
                            id,
                            round_at: r.try_get("round_at")?,
                            members: vec![member],
                        }),
                    }
                }
                Ok(groups)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::SocialStore for $store {
            async fn block(&self, community: i64, blocker: i64, blocked: i64, now: chrono::DateTime<chrono::Utc>) -> $crate::store::StoreResult<bool> {
                let n = sqlx::query(
                    "INSERT INTO blocks (community_id, blocker_id, blocked_id, created_at) \
                     SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM members WHERE id = $3 AND community_id = $1) \
                     ON CONFLICT (blocker_id, blocked_id) DO NOTHING",
                )
                .bind(community)
                .bind(blocker)
                .bind(blocked)
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn unblock(&self, community: i64, blocker: i64, blocked: i64) -> $crate::store::StoreResult<bool> {
                let n = sqlx::query("DELETE FROM blocks WHERE community_id = $1 AND blocker_id = $2 AND blocked_id = $3")
                    .bind(community)
                    .bind(blocker)
                    .bind(blocked)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(n == 1)
            }

            async fn blocked_between(&self, a: i64, b: i64) -> $crate::store::StoreResult<bool> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2) \
                     OR (blocker_id = $2 AND blocked_id = $1)",
                )
                .bind(a)
                .bind(b)
                .fetch_one(&self.pool)
                .await?;
                Ok(n > 0)
            }

            async fn blocks(&self, community: i64) -> $crate::store::StoreResult<Vec<(i64, i64)>> {
                use sqlx::Row;
                let rows = sqlx::query("SELECT blocker_id, blocked_id FROM blocks WHERE community_id = $1")
                    .bind(community)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get("blocker_id")?, r.try_get("blocked_id")?)))
                    .collect()
            }

            async fn blockers_of(
                &self,
                community: i64,
                member: i64,
            ) -> $crate::store::StoreResult<Vec<i64>> {
                let fetch = async {
                    Ok(sqlx::query_scalar(
                        "SELECT blocker_id FROM blocks WHERE community_id = $1 AND blocked_id = $2",
                    )
                    .bind(community)
                    .bind(member)
                    .fetch_all(&self.pool)
                    .await?)
                };
                self.live
                    .read_through(
                        self,
                        |v| v.blockers(member),
                        fetch,
                        |w, found: &Vec<i64>| w.blockers(member, found),
                    )
                    .await
            }

            async fn insert_intro(
                &self,
                new: &$crate::social::NewIntro,
                jobs: &$crate::store::JobsForIntro,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<$crate::social::Intro> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let row = sqlx::query(
                    "INSERT INTO intros (community_id, requester_id, first_id, second_id, why, \
                     second_answer, status, suppressed, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) RETURNING *",
                )
                .bind(new.community_id)
                .bind(new.requester)
                .bind(new.first)
                .bind(new.second)
                .bind(&new.why)
                .bind((new.second == new.requester).then_some("accepted"))
                .bind(new.suppressed)
                .bind(new.expires_at)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let intro = Self::intro_from_row(&row)?;
                Self::insert_jobs(&mut tx, &jobs(&intro), now).await?;
                tx.commit().await?;
                Ok(intro)
            }

            async fn intro(&self, community: i64, id: i64) -> $crate::store::StoreResult<Option<$crate::social::Intro>> {
                let row = sqlx::query("SELECT * FROM intros WHERE community_id = $1 AND id = $2")
                    .bind(community)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::intro_from_row).transpose()
            }

            async fn pending_intros_by(&self, community: i64, requester: i64) -> $crate::store::StoreResult<u32> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM intros WHERE community_id = $1 AND requester_id = $2 AND status = 'pending'",
                )
                .bind(community)
                .bind(requester)
                .fetch_one(&self.pool)
                .await?;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            }

            async fn intros_of(&self, community: i64, member: i64, limit: u32) -> $crate::store::StoreResult<Vec<$crate::social::Intro>> {
                let rows = sqlx::query(
                    "SELECT * FROM intros WHERE community_id = $1 AND (requester_id = $2 \
                     OR ((first_id = $2 OR second_id = $2) AND suppressed = FALSE)) \
                     ORDER BY created_at DESC, id DESC LIMIT $3",
                )
                .bind(community)
                .bind(member)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::intro_from_row).collect()
            }

            async fn answer_intro(
                &self,
                community: i64,
                id: i64,
                member: i64,
                accept: bool,
                now: chrono::DateTime<chrono::Utc>,
                jobs: &$crate::store::JobsForIntro,
            ) -> $crate::store::StoreResult<Option<$crate::social::Intro>> {
                let answer = if accept { "accepted" } else { "declined" };
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let n = sqlx::query(
                    "UPDATE intros SET \
                     first_answer = CASE WHEN first_id = $1 AND first_answer IS NULL THEN $2 ELSE first_answer END, \
                     second_answer = CASE WHEN second_id = $1 AND second_answer IS NULL THEN $2 ELSE second_answer END \
                     WHERE community_id = $3 AND id = $4 AND status = 'pending' AND suppressed = FALSE \
                     AND ((first_id = $1 AND first_answer IS NULL) OR (second_id = $1 AND second_answer IS NULL))",
                )
                .bind(member)
                .bind(answer)
                .bind(community)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Ok(None);
                }
                sqlx::query(
                    "UPDATE intros SET status = CASE \
                       WHEN first_answer = 'declined' OR second_answer = 'declined' THEN 'declined' \
                       WHEN first_answer = 'accepted' AND second_answer = 'accepted' THEN 'connected' \
                       ELSE 'pending' END, \
                     decided_at = CASE WHEN first_answer = 'declined' OR second_answer = 'declined' \
                       OR (first_answer = 'accepted' AND second_answer = 'accepted') THEN $1 ELSE NULL END \
                     WHERE id = $2",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                let row = sqlx::query("SELECT * FROM intros WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
                let intro = Self::intro_from_row(&row)?;
                Self::insert_jobs(&mut tx, &jobs(&intro), now).await?;
                tx.commit().await?;
                Ok(Some(intro))
            }

            async fn expire_intro(&self, community: i64, id: i64, now: chrono::DateTime<chrono::Utc>) -> $crate::store::StoreResult<Option<$crate::social::Intro>> {
                let row = sqlx::query(
                    "UPDATE intros SET status = 'expired', decided_at = $1 \
                     WHERE community_id = $2 AND id = $3 AND status = 'pending' RETURNING *",
                )
                .bind(now)
                .bind(community)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::intro_from_row).transpose()
            }

            async fn coffee_settings(&self, community: i64) -> $crate::store::StoreResult<Option<$crate::social::CoffeeSettings>> {
                use sqlx::Row;
                let row = sqlx::query("SELECT * FROM coffee_settings WHERE community_id = $1")
                    .bind(community)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    let weekday: i32 = r.try_get("weekday")?;
                    let size: i32 = r.try_get("group_size")?;
                    let every: i32 = r.try_get("every_days")?;
                    Ok($crate::social::CoffeeSettings {
                        community_id: r.try_get("community_id")?,
                        every_days: i64::from(every),
                        weekday: u32::try_from(weekday).unwrap_or(0),
                        at_time: r.try_get("at_time")?,
                        group_size: usize::try_from(size).unwrap_or(2),
                        mix_alumni_employee: r.try_get("mix_alumni_employee")?,
                        avoid_same_department: r.try_get("avoid_same_department")?,
                        next_round: r.try_get("next_round")?,
                    })
                })
                .transpose()
            }

            async fn save_coffee_settings(&self, s: &$crate::social::CoffeeSettings, jobs: &[$crate::jobs::NewJob], now: chrono::DateTime<chrono::Utc>) -> $crate::store::StoreResult<()> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                sqlx::query(
                    "INSERT INTO coffee_settings (community_id, every_days, weekday, at_time, group_size, \
                     mix_alumni_employee, avoid_same_department, next_round) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (community_id) DO UPDATE SET every_days = excluded.every_days, \
                     weekday = excluded.weekday, at_time = excluded.at_time, group_size = excluded.group_size, \
                     mix_alumni_employee = excluded.mix_alumni_employee, \
                     avoid_same_department = excluded.avoid_same_department, next_round = excluded.next_round",
                )
                .bind(s.community_id)
                .bind(i32::try_from(s.every_days).unwrap_or(14))
                .bind(i32::try_from(s.weekday).unwrap_or(0))
                .bind(&s.at_time)
                .bind(i32::try_from(s.group_size).unwrap_or(2))
                .bind(s.mix_alumni_employee)
                .bind(s.avoid_same_department)
                .bind(s.next_round)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "DELETE FROM jobs WHERE community_id = $1 AND state = 'pending' \
                     AND kind IN ('coffee_announce', 'coffee_round')",
                )
                .bind(s.community_id)
                .execute(&mut *tx)
                .await?;
                Self::insert_jobs(&mut tx, jobs, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn coffee_member(&self, member: i64) -> $crate::store::StoreResult<Option<$crate::social::CoffeeMember>> {
                let row = sqlx::query("SELECT * FROM coffee_members WHERE member_id = $1")
                    .bind(member)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::coffee_member_from_row).transpose()
            }

            async fn save_coffee_member(&self, community: i64, m: &$crate::social::CoffeeMember, now: chrono::DateTime<chrono::Utc>) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO coffee_members (member_id, community_id, active, paused_until, ignored_rounds, joined_at) \
                     SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM members WHERE id = $1 AND community_id = $2) \
                     ON CONFLICT (member_id) DO UPDATE SET active = excluded.active, \
                     paused_until = excluded.paused_until, ignored_rounds = excluded.ignored_rounds",
                )
                .bind(m.member_id)
                .bind(community)
                .bind(m.active)
                .bind(m.paused_until)
                .bind(m.ignored_rounds)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn coffee_members(&self, community: i64) -> $crate::store::StoreResult<Vec<$crate::social::CoffeeMember>> {
                let rows = sqlx::query(
                    "SELECT c.* FROM coffee_members c JOIN members m ON m.id = c.member_id \
                     WHERE c.community_id = $1 AND c.active = TRUE AND m.status = 'approved' ORDER BY c.member_id",
                )
                .bind(community)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::coffee_member_from_row).collect()
            }

            async fn skip_round(&self, community: i64, round_at: chrono::DateTime<chrono::Utc>, member: i64) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO coffee_skips (community_id, round_at, member_id) VALUES ($1, $2, $3) \
                     ON CONFLICT (community_id, round_at, member_id) DO NOTHING",
                )
                .bind(community)
                .bind(round_at)
                .bind(member)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn round_skips(&self, community: i64, round_at: chrono::DateTime<chrono::Utc>) -> $crate::store::StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar("SELECT member_id FROM coffee_skips WHERE community_id = $1 AND round_at = $2")
                    .bind(community)
                    .bind(round_at)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn coffee_groups_since(&self, community: i64, since: chrono::DateTime<chrono::Utc>) -> $crate::store::StoreResult<Vec<$crate::social::CoffeeGroup>> {
                self.groups_where(
                    "SELECT g.id, g.round_at, gm.member_id FROM coffee_groups g \
                     JOIN coffee_group_members gm ON gm.group_id = g.id \
                     WHERE g.community_id = $1 AND g.round_at >= $2 ORDER BY g.round_at, g.id, gm.member_id",
                    community,
                    since,
                )
                .await
            }

            async fn save_round(&self, community: i64, round_at: chrono::DateTime<chrono::Utc>, groups: &[Vec<i64>]) -> $crate::store::StoreResult<Vec<$crate::social::CoffeeGroup>> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM coffee_groups WHERE community_id = $1 AND round_at = $2")
                    .bind(community)
                    .bind(round_at)
                    .fetch_one(&mut *tx)
                    .await?;
                if existing == 0 {
                    for group in groups {
                        let id: i64 = sqlx::query_scalar("INSERT INTO coffee_groups (community_id, round_at) VALUES ($1, $2) RETURNING id")
                            .bind(community)
                            .bind(round_at)
                            .fetch_one(&mut *tx)
                            .await?;
                        for m in group {
                            sqlx::query("INSERT INTO coffee_group_members (group_id, member_id) VALUES ($1, $2)")
                                .bind(id)
                                .bind(m)
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                }
                tx.commit().await?;
                self.groups_where(
                    "SELECT g.id, g.round_at, gm.member_id FROM coffee_groups g \
                     JOIN coffee_group_members gm ON gm.group_id = g.id \
                     WHERE g.community_id = $1 AND g.round_at = $2 ORDER BY g.id, gm.member_id",
                    community,
                    round_at,
                )
                .await
            }

            async fn round_answers(&self, community: i64, round_at: chrono::DateTime<chrono::Utc>) -> $crate::store::StoreResult<Vec<(i64, Option<bool>)>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT gm.member_id, gm.met FROM coffee_groups g JOIN coffee_group_members gm ON gm.group_id = g.id \
                     WHERE g.community_id = $1 AND g.round_at = $2",
                )
                .bind(community)
                .bind(round_at)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        let met: Option<String> = r.try_get("met")?;
                        Ok((r.try_get("member_id")?, met.map(|m| m == "yes")))
                    })
                    .collect()
            }

            async fn record_met(&self, community: i64, group: i64, member: i64, met: bool) -> $crate::store::StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE coffee_group_members SET met = $1 WHERE group_id = $2 AND member_id = $3 \
                     AND group_id IN (SELECT id FROM coffee_groups WHERE community_id = $4)",
                )
                .bind(if met { "yes" } else { "no" })
                .bind(group)
                .bind(member)
                .bind(community)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }
        }
    };
}

pub(crate) use impl_social_store;
