//! Events, occurrences and RSVPs: plain data.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::domain::{CommunityId, Member, MemberId};
use crate::recurrence;

pub type EventId = i64;

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: EventId,
    pub community_id: CommunityId,
    pub title: String,
    /// The first occurrence's start.
    pub starts_at: DateTime<Utc>,
    pub duration: TimeDelta,
    /// The zone it was planned in; recurrences keep their local time in it.
    pub timezone: String,
    pub location: Option<String>,
    pub capacity: Option<u32>,
    /// How long before each occurrence to remind, longest first.
    pub remind: Vec<TimeDelta>,
    /// RRULE body (`FREQ=WEEKLY`) for a repeating event.
    pub rrule: Option<String>,
    pub channel: String,
    pub cancelled: bool,
    pub cancel_reason: Option<String>,
    pub created_by: Option<MemberId>,
}

impl Event {
    pub fn tz(&self) -> Tz {
        self.timezone.parse().unwrap_or(Tz::Asia__Tokyo)
    }

    /// The occurrence that is next to start at or after `now` (or that is still running).
    pub fn next_occurrence(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        recurrence::next_occurrence(
            self.starts_at,
            self.tz(),
            self.rrule.as_deref(),
            now - self.duration + TimeDelta::seconds(1),
        )
    }

    /// The first occurrence strictly after `occurrence`.
    pub fn occurrence_after(&self, occurrence: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.rrule.as_ref()?;
        recurrence::next_occurrence(
            self.starts_at,
            self.tz(),
            self.rrule.as_deref(),
            occurrence + TimeDelta::seconds(1),
        )
    }

    pub fn is_occurrence(&self, at: DateTime<Utc>) -> bool {
        recurrence::is_occurrence(self.starts_at, self.tz(), self.rrule.as_deref(), at)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RsvpState {
    Going,
    Maybe,
    No,
    /// Said going when the event was full; promoted in order.
    Waitlist,
}

impl RsvpState {
    pub fn as_str(self) -> &'static str {
        match self {
            RsvpState::Going => "going",
            RsvpState::Maybe => "maybe",
            RsvpState::No => "no",
            RsvpState::Waitlist => "waitlist",
        }
    }

    pub fn parse(s: &str) -> Option<RsvpState> {
        Some(match s {
            "going" => RsvpState::Going,
            "maybe" => RsvpState::Maybe,
            "no" => RsvpState::No,
            "waitlist" => RsvpState::Waitlist,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RsvpCounts {
    pub going: u32,
    pub maybe: u32,
    pub no: u32,
    pub waitlist: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rsvp {
    pub member: Member,
    pub state: RsvpState,
    pub since: DateTime<Utc>,
}

/// What an RSVP did.
#[derive(Debug, Clone, PartialEq)]
pub struct RsvpOutcome {
    pub previous: Option<RsvpState>,
    pub state: RsvpState,
    /// Waitlisted members who got a place because of this change, in order.
    pub promoted: Vec<Member>,
    pub counts: RsvpCounts,
    /// Bumped on every RSVP: keys the announcement refresh so each change is one job.
    pub seq: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub community_id: CommunityId,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub duration: TimeDelta,
    pub timezone: String,
    pub location: Option<String>,
    pub capacity: Option<u32>,
    pub remind: Vec<TimeDelta>,
    pub rrule: Option<String>,
    pub channel: String,
    pub created_by: Option<MemberId>,
}
