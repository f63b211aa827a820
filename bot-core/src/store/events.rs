//! Events and RSVPs, for both backends (same SQL; see `shared.rs` for why that works).
//! RSVP changes serialise per event by first bumping the event's `rsvp_seq`: that write takes
//! the row lock on PostgreSQL and the write lock on SQLite, so capacity is never overrun by
//! two people saying "going" at once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::{CommunityId, Member, MemberId, Platform};
use crate::event::{Event, EventId, NewEvent, Rsvp, RsvpCounts, RsvpOutcome, RsvpState};
use crate::jobs::NewJob;

/// A platform's own copy of one occurrence of an event (a Discord scheduled event): kept so an
/// edit or cancel, in any process and after a restart, changes that same copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMirror {
    pub community_id: CommunityId,
    pub event_id: EventId,
    /// The start of the occurrence it shows.
    pub occurrence: DateTime<Utc>,
    pub platform: Platform,
    /// The platform's id for it.
    pub external_id: String,
}

/// Builds the jobs that go with a new event, once its id is known.
pub type JobsForEvent = dyn Fn(&Event) -> Vec<NewJob> + Send + Sync;
/// Builds the jobs that go with an RSVP, once its outcome (promotions, counts) is known.
pub type JobsForRsvp = dyn Fn(&RsvpOutcome) -> Vec<NewJob> + Send + Sync;
/// Builds the jobs for members promoted off a waitlist.
pub type JobsForPromoted = dyn Fn(&[Member]) -> Vec<NewJob> + Send + Sync;

#[async_trait]
pub trait EventStore: Send + Sync {
    async fn insert_event(
        &self,
        new: &NewEvent,
        jobs: &JobsForEvent,
        now: DateTime<Utc>,
    ) -> StoreResult<Event>;
    async fn event(&self, community: CommunityId, id: EventId) -> StoreResult<Option<Event>>;
    /// Events not cancelled that repeat or end after `since`, by start.
    async fn upcoming_events(
        &self,
        community: CommunityId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<Event>>;
    /// Write an edited event. With `reschedule`, its pending reminders and roll-overs are
    /// deleted first (the new ones are in `jobs`). `moved` = (old, new) start of the occurrence
    /// people answered for: their RSVPs move with it. Members promoted from the waitlist of
    /// `occurrence` (capacity grew) are passed to `promoted` for their notices.
    #[allow(clippy::too_many_arguments)]
    async fn update_event(
        &self,
        event: &Event,
        reschedule: bool,
        moved: Option<(DateTime<Utc>, DateTime<Utc>)>,
        occurrence: Option<DateTime<Utc>>,
        jobs: &[NewJob],
        promoted: &JobsForPromoted,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Member>>;
    /// Cancel, deleting pending reminders and roll-overs; false if already cancelled.
    async fn cancel_event(
        &self,
        community: CommunityId,
        id: EventId,
        reason: Option<&str>,
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Set a member's answer for one occurrence; `Going` past capacity waitlists.
    /// `None` if the event does not exist (or is cancelled).
    #[allow(clippy::too_many_arguments)]
    async fn rsvp(
        &self,
        community: CommunityId,
        event: EventId,
        occurrence: DateTime<Utc>,
        member: MemberId,
        choice: RsvpState,
        now: DateTime<Utc>,
        jobs: &JobsForRsvp,
    ) -> StoreResult<Option<RsvpOutcome>>;
    /// Everyone who answered for an occurrence, going first, then waitlist in order.
    async fn rsvps(
        &self,
        community: CommunityId,
        event: EventId,
        occurrence: DateTime<Utc>,
    ) -> StoreResult<Vec<Rsvp>>;
    async fn rsvp_counts(
        &self,
        community: CommunityId,
        event: EventId,
        occurrence: DateTime<Utc>,
    ) -> StoreResult<RsvpCounts>;
    /// A member's own answer.
    async fn rsvp_of(
        &self,
        event: EventId,
        occurrence: DateTime<Utc>,
        member: MemberId,
    ) -> StoreResult<Option<RsvpState>>;
    /// The event's copies on `platform`, by occurrence (oldest first).
    async fn event_mirrors(
        &self,
        community: CommunityId,
        event: EventId,
        platform: Platform,
    ) -> StoreResult<Vec<EventMirror>>;
    /// Record that `mirror.external_id` shows `mirror.occurrence` (a new copy, or one moved
    /// to the occurrence's new start by an edit). Nothing if the event is not the community's.
    async fn save_event_mirror(&self, mirror: &EventMirror, now: DateTime<Utc>) -> StoreResult<()>;
}

/// Implements `EventStore` for `$store` over `$db` (the same SQL on both).
macro_rules! impl_event_store {
    ($store:ty, $db:ty, $row:ty) => {
        impl $store {
            fn event_from_row(row: &$row) -> $crate::store::StoreResult<$crate::event::Event> {
                use sqlx::Row;
                let minutes: i32 = row.try_get("duration_minutes")?;
                let remind: String = row.try_get("remind")?;
                let capacity: Option<i32> = row.try_get("capacity")?;
                Ok($crate::event::Event {
                    id: row.try_get("id")?,
                    community_id: row.try_get("community_id")?,
                    title: row.try_get("title")?,
                    starts_at: row.try_get("starts_at")?,
                    duration: chrono::TimeDelta::minutes(i64::from(minutes)),
                    timezone: row.try_get("timezone")?,
                    location: row.try_get("location")?,
                    capacity: capacity.and_then(|c| u32::try_from(c).ok()),
                    remind: $crate::domain::split_list(&remind)
                        .iter()
                        .filter_map(|m| m.parse::<i64>().ok())
                        .map(chrono::TimeDelta::minutes)
                        .collect(),
                    rrule: row.try_get("rrule")?,
                    channel: row.try_get("channel")?,
                    cancelled: row.try_get("cancelled")?,
                    cancel_reason: row.try_get("cancel_reason")?,
                    created_by: row.try_get("created_by")?,
                })
            }

            fn remind_text(event_remind: &[chrono::TimeDelta]) -> String {
                event_remind
                    .iter()
                    .map(|d| d.num_minutes().to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            }

            async fn counts_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                event: $crate::event::EventId,
                occurrence: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<$crate::event::RsvpCounts> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT state, COUNT(*) AS n FROM rsvps WHERE event_id = $1 \
                     AND occurrence = $2 GROUP BY state",
                )
                .bind(event)
                .bind(occurrence)
                .fetch_all(&mut *conn)
                .await?;
                let mut c = $crate::event::RsvpCounts::default();
                for r in rows {
                    let state: String = r.try_get("state")?;
                    let n: i64 = r.try_get("n")?;
                    let n = u32::try_from(n).unwrap_or(u32::MAX);
                    match $crate::event::RsvpState::parse(&state) {
                        Some($crate::event::RsvpState::Going) => c.going = n,
                        Some($crate::event::RsvpState::Maybe) => c.maybe = n,
                        Some($crate::event::RsvpState::No) => c.no = n,
                        Some($crate::event::RsvpState::Waitlist) => c.waitlist = n,
                        None => {}
                    }
                }
                Ok(c)
            }

            /// Promote the first waitlisted while there is room; returns who moved up.
            async fn promote_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                community: $crate::domain::CommunityId,
                event: $crate::event::EventId,
                occurrence: chrono::DateTime<chrono::Utc>,
                capacity: Option<u32>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::Member>> {
                let mut promoted = Vec::new();
                loop {
                    let counts = Self::counts_in(conn, event, occurrence).await?;
                    if counts.waitlist == 0 || capacity.is_some_and(|c| counts.going >= c) {
                        return Ok(promoted);
                    }
                    let next: Option<i64> = sqlx::query_scalar(
                        "SELECT member_id FROM rsvps WHERE event_id = $1 AND occurrence = $2 \
                         AND state = 'waitlist' ORDER BY since, member_id LIMIT 1",
                    )
                    .bind(event)
                    .bind(occurrence)
                    .fetch_optional(&mut *conn)
                    .await?;
                    let Some(next) = next else { return Ok(promoted) };
                    sqlx::query(
                        "UPDATE rsvps SET state = 'going', since = $1 WHERE event_id = $2 \
                         AND occurrence = $3 AND member_id = $4",
                    )
                    .bind(now)
                    .bind(event)
                    .bind(occurrence)
                    .bind(next)
                    .execute(&mut *conn)
                    .await?;
                    if let Some(m) = Self::fetch_member(conn, community, next).await? {
                        promoted.push(m);
                    }
                }
            }

            async fn delete_schedule(
                conn: &mut <$db as sqlx::Database>::Connection,
                event: $crate::event::EventId,
            ) -> $crate::store::StoreResult<()> {
                // Only what has not run: delivered reminders stay as a record. A job leased
                // right now finishes, finds itself gone, and its fan-out is discarded.
                sqlx::query(
                    "DELETE FROM jobs WHERE event_id = $1 AND state = 'pending' \
                     AND kind IN ('reminder', 'roll')",
                )
                .bind(event)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::EventStore for $store {
            async fn insert_event(
                &self,
                new: &$crate::event::NewEvent,
                jobs: &$crate::store::JobsForEvent,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<$crate::event::Event> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let row = sqlx::query(
                    "INSERT INTO events (community_id, title, starts_at, duration_minutes, \
                     timezone, location, capacity, remind, rrule, channel, created_by, \
                     created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING *",
                )
                .bind(new.community_id)
                .bind(&new.title)
                .bind(new.starts_at)
                .bind(i32::try_from(new.duration.num_minutes()).unwrap_or(i32::MAX))
                .bind(&new.timezone)
                .bind(&new.location)
                .bind(new.capacity.map(|c| i32::try_from(c).unwrap_or(i32::MAX)))
                .bind(Self::remind_text(&new.remind))
                .bind(&new.rrule)
                .bind(&new.channel)
                .bind(new.created_by)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let event = Self::event_from_row(&row)?;
                Self::insert_jobs(&mut tx, &jobs(&event), now).await?;
                tx.commit().await?;
                Ok(event)
            }

            async fn event(
                &self,
                community: $crate::domain::CommunityId,
                id: $crate::event::EventId,
            ) -> $crate::store::StoreResult<Option<$crate::event::Event>> {
                let row = sqlx::query("SELECT * FROM events WHERE community_id = $1 AND id = $2")
                    .bind(community)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::event_from_row).transpose()
            }

            async fn upcoming_events(
                &self,
                community: $crate::domain::CommunityId,
                since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Vec<$crate::event::Event>> {
                // Ends are start + duration; a 14-day cap on durations bounds the window.
                let rows = sqlx::query(
                    "SELECT * FROM events WHERE community_id = $1 AND cancelled = FALSE \
                     AND (rrule IS NOT NULL OR starts_at >= $2) ORDER BY starts_at, id LIMIT 500",
                )
                .bind(community)
                .bind(since - chrono::TimeDelta::days(14))
                .fetch_all(&self.pool)
                .await?;
                let events = rows
                    .iter()
                    .map(Self::event_from_row)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(events
                    .into_iter()
                    .filter(|e| e.next_occurrence(since).is_some())
                    .collect())
            }

            async fn update_event(
                &self,
                e: &$crate::event::Event,
                reschedule: bool,
                moved: Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>,
                occurrence: Option<chrono::DateTime<chrono::Utc>>,
                jobs: &[$crate::jobs::NewJob],
                promoted: &$crate::store::JobsForPromoted,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::Member>> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                sqlx::query(
                    "UPDATE events SET title = $1, starts_at = $2, duration_minutes = $3, \
                     timezone = $4, location = $5, capacity = $6, remind = $7, rrule = $8, \
                     channel = $9, updated_at = $10, rsvp_seq = rsvp_seq + 1 \
                     WHERE community_id = $11 AND id = $12",
                )
                .bind(&e.title)
                .bind(e.starts_at)
                .bind(i32::try_from(e.duration.num_minutes()).unwrap_or(i32::MAX))
                .bind(&e.timezone)
                .bind(&e.location)
                .bind(e.capacity.map(|c| i32::try_from(c).unwrap_or(i32::MAX)))
                .bind(Self::remind_text(&e.remind))
                .bind(&e.rrule)
                .bind(&e.channel)
                .bind(now)
                .bind(e.community_id)
                .bind(e.id)
                .execute(&mut *tx)
                .await?;
                if reschedule {
                    Self::delete_schedule(&mut tx, e.id).await?;
                }
                if let Some((from, to)) = moved {
                    for sql in [
                        "DELETE FROM rsvps WHERE event_id = $1 AND occurrence = $3 AND $2 <> $3",
                        "UPDATE rsvps SET occurrence = $3 WHERE event_id = $1 AND occurrence = $2",
                    ] {
                        sqlx::query(sql)
                            .bind(e.id)
                            .bind(from)
                            .bind(to)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                let moved = match occurrence {
                    Some(occ) => {
                        Self::promote_in(&mut tx, e.community_id, e.id, occ, e.capacity, now).await?
                    }
                    None => Vec::new(),
                };
                let mut all = jobs.to_vec();
                all.extend(promoted(&moved));
                Self::insert_jobs(&mut tx, &all, now).await?;
                tx.commit().await?;
                Ok(moved)
            }

            async fn cancel_event(
                &self,
                community: $crate::domain::CommunityId,
                id: $crate::event::EventId,
                reason: Option<&str>,
                jobs: &[$crate::jobs::NewJob],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let n = sqlx::query(
                    "UPDATE events SET cancelled = TRUE, cancel_reason = $1, updated_at = $2, \
                     rsvp_seq = rsvp_seq + 1 WHERE community_id = $3 AND id = $4 AND cancelled = FALSE",
                )
                .bind(reason)
                .bind(now)
                .bind(community)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Ok(false);
                }
                Self::delete_schedule(&mut tx, id).await?;
                Self::insert_jobs(&mut tx, jobs, now).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn rsvp(
                &self,
                community: $crate::domain::CommunityId,
                event: $crate::event::EventId,
                occurrence: chrono::DateTime<chrono::Utc>,
                member: $crate::domain::MemberId,
                choice: $crate::event::RsvpState,
                now: chrono::DateTime<chrono::Utc>,
                jobs: &$crate::store::JobsForRsvp,
            ) -> $crate::store::StoreResult<Option<$crate::event::RsvpOutcome>> {
                use $crate::event::RsvpState;
                use sqlx::Row;
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                // The lock: serialises RSVPs of this event.
                let Some(row) = sqlx::query(
                    "UPDATE events SET rsvp_seq = rsvp_seq + 1 WHERE community_id = $1 \
                     AND id = $2 AND cancelled = FALSE RETURNING capacity, rsvp_seq",
                )
                .bind(community)
                .bind(event)
                .fetch_optional(&mut *tx)
                .await?
                else {
                    return Ok(None);
                };
                let capacity: Option<i32> = row.try_get("capacity")?;
                let capacity = capacity.and_then(|c| u32::try_from(c).ok());
                let seq: i64 = row.try_get("rsvp_seq")?;
                let previous: Option<String> = sqlx::query_scalar(
                    "SELECT state FROM rsvps WHERE event_id = $1 AND occurrence = $2 \
                     AND member_id = $3",
                )
                .bind(event)
                .bind(occurrence)
                .bind(member)
                .fetch_optional(&mut *tx)
                .await?;
                let previous = previous.as_deref().and_then(RsvpState::parse);
                let state = match (choice, previous) {
                    // Saying "going" again keeps your place (or your waitlist position).
                    (RsvpState::Going, Some(p @ (RsvpState::Going | RsvpState::Waitlist))) => p,
                    (RsvpState::Going, _) => {
                        let counts = Self::counts_in(&mut tx, event, occurrence).await?;
                        if capacity.is_some_and(|c| counts.going >= c) {
                            RsvpState::Waitlist
                        } else {
                            RsvpState::Going
                        }
                    }
                    (other, _) => other,
                };
                if previous != Some(state) {
                    sqlx::query(
                        "INSERT INTO rsvps (event_id, occurrence, member_id, community_id, state, since) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id, occurrence, member_id) \
                         DO UPDATE SET state = excluded.state, since = excluded.since",
                    )
                    .bind(event)
                    .bind(occurrence)
                    .bind(member)
                    .bind(community)
                    .bind(state.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                let promoted = if previous == Some(RsvpState::Going) && state != RsvpState::Going {
                    Self::promote_in(&mut tx, community, event, occurrence, capacity, now).await?
                } else {
                    Vec::new()
                };
                let counts = Self::counts_in(&mut tx, event, occurrence).await?;
                let outcome = $crate::event::RsvpOutcome { previous, state, promoted, counts, seq };
                Self::insert_jobs(&mut tx, &jobs(&outcome), now).await?;
                tx.commit().await?;
                Ok(Some(outcome))
            }

            async fn rsvps(
                &self,
                community: $crate::domain::CommunityId,
                event: $crate::event::EventId,
                occurrence: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Vec<$crate::event::Rsvp>> {
                use sqlx::Row;
                let rows = sqlx::query(concat!(
                    "SELECT r.state AS rsvp_state, r.since AS rsvp_since, ",
                    $crate::store::rows::member_columns!(),
                    " FROM rsvps r JOIN members m ON m.id = r.member_id \
                     WHERE r.community_id = $1 AND r.event_id = $2 AND r.occurrence = $3 \
                     ORDER BY CASE r.state WHEN 'going' THEN 0 WHEN 'maybe' THEN 1 \
                     WHEN 'waitlist' THEN 2 ELSE 3 END, r.since, m.id"
                ))
                .bind(community)
                .bind(event)
                .bind(occurrence)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        let state: String = r.try_get("rsvp_state")?;
                        Ok($crate::event::Rsvp {
                            member: Self::member_from_row(r)?,
                            state: $crate::event::RsvpState::parse(&state).ok_or_else(|| {
                                $crate::error::StoreError::Corrupt(format!("rsvp {state:?}"))
                            })?,
                            since: r.try_get("rsvp_since")?,
                        })
                    })
                    .collect()
            }

            async fn rsvp_counts(
                &self,
                community: $crate::domain::CommunityId,
                event: $crate::event::EventId,
                occurrence: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<$crate::event::RsvpCounts> {
                let mut conn = self.pool.acquire().await?;
                let owned: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM events WHERE community_id = $1 AND id = $2")
                        .bind(community)
                        .bind(event)
                        .fetch_optional(&mut *conn)
                        .await?;
                if owned.is_none() {
                    return Ok($crate::event::RsvpCounts::default());
                }
                Self::counts_in(&mut conn, event, occurrence).await
            }

            async fn rsvp_of(
                &self,
                event: $crate::event::EventId,
                occurrence: chrono::DateTime<chrono::Utc>,
                member: $crate::domain::MemberId,
            ) -> $crate::store::StoreResult<Option<$crate::event::RsvpState>> {
                let s: Option<String> = sqlx::query_scalar(
                    "SELECT state FROM rsvps WHERE event_id = $1 AND occurrence = $2 AND member_id = $3",
                )
                .bind(event)
                .bind(occurrence)
                .bind(member)
                .fetch_optional(&self.pool)
                .await?;
                Ok(s.as_deref().and_then($crate::event::RsvpState::parse))
            }

            async fn event_mirrors(
                &self,
                community: $crate::domain::CommunityId,
                event: $crate::event::EventId,
                platform: $crate::domain::Platform,
            ) -> $crate::store::StoreResult<Vec<$crate::store::EventMirror>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT occurrence, external_id FROM event_mirrors WHERE community_id = $1 \
                     AND event_id = $2 AND platform = $3 ORDER BY occurrence, created_at",
                )
                .bind(community)
                .bind(event)
                .bind(platform.as_str())
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::store::EventMirror {
                            community_id: community,
                            event_id: event,
                            occurrence: r.try_get("occurrence")?,
                            platform,
                            external_id: r.try_get("external_id")?,
                        })
                    })
                    .collect()
            }

            async fn save_event_mirror(
                &self,
                m: &$crate::store::EventMirror,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<()> {
                // The event must be the community's: a mirror never links across communities.
                sqlx::query(
                    "INSERT INTO event_mirrors (community_id, event_id, occurrence, platform, \
                     external_id, created_at, updated_at) \
                     SELECT $1, id, $3, $4, $5, $6, $6 FROM events \
                     WHERE community_id = $1 AND id = $2 \
                     ON CONFLICT (community_id, platform, external_id) \
                     DO UPDATE SET occurrence = excluded.occurrence, updated_at = excluded.updated_at",
                )
                .bind(m.community_id)
                .bind(m.event_id)
                .bind(m.occurrence)
                .bind(m.platform.as_str())
                .bind(&m.external_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_event_store;
