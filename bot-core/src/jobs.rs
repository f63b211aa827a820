//! Durable jobs: the rows the scheduler claims and delivers. Written in the same transaction as
//! the change that caused them, so a notification is never lost and never sent for a change
//! that was rolled back. A finished job keeps its key (to drop a replayed duplicate) but not its
//! payload: delivered messages name people, and the bot is not an archive of them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{CommunityId, MemberId};
use crate::event::EventId;
use crate::reply::Reply;
use crate::social::IntroId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Pending,
    Done,
    /// Not worth sending any more (past `valid_until`).
    Skipped,
    /// Gave up after repeated failures; logged.
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Done => "done",
            JobState::Skipped => "skipped",
            JobState::Failed => "failed",
        }
    }
}

/// Who a notification goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// A direct message to a member, on the platform they are on.
    Member(MemberId),
    /// A post in a channel of the community (a channel id, or a name such as `general`).
    Channel(String),
    /// One conversation with several members (a group DM or private thread).
    Group(Vec<MemberId>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payload {
    /// Send a message.
    Notify { to: Target, reply: Reply },
    /// Edit the message an earlier job (`of_key`) posted, e.g. live RSVP counts.
    Update {
        to: Target,
        of_key: String,
        reply: Reply,
    },
    /// Fan out an event's reminder (a channel post, a DM to each member going or maybe) as
    /// `Notify` jobs, when it is due, so the recipients are those of that moment.
    Reminder {
        event: EventId,
        occurrence: DateTime<Utc>,
        before_minutes: i64,
    },
    /// A repeating event's occurrence started: announce and schedule the next one.
    Roll {
        event: EventId,
        occurrence: DateTime<Utc>,
    },
    /// Re-render the announcement of `announced` (now showing `occurrence`) from the current
    /// RSVPs. Coalescing: while one is pending, another with the same key is not added, so a
    /// burst of RSVPs is one edit, made with the counts as they are when it runs.
    Refresh {
        event: EventId,
        announced: DateTime<Utc>,
        occurrence: DateTime<Utc>,
    },
    /// An introduction's answer time is up: expire it if still pending, tell the requester.
    IntroExpire { intro: IntroId },
    /// The day before a coffee round: tell participants, with a "skip this round" button.
    CoffeeAnnounce { round_at: DateTime<Utc> },
    /// Form a round's groups, introduce each, and schedule the check-in and the next round.
    CoffeeRound { round_at: DateTime<Utc> },
    /// Mid-round: ask each group "did you meet?".
    CoffeeCheckin { round_at: DateTime<Utc> },
    /// "Is your profile current?", then the next nudge.
    ProfileNudge { member: MemberId },
    /// An admin's confirmed broadcast: one `Notify` per opted-in member of its segment.
    Broadcast { broadcast: i64 },
    /// The weekly digest of opportunities posted since `since`, to members they fit.
    JobDigest { since: DateTime<Utc> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub community_id: CommunityId,
    /// The member the job is about, so erasing the member erases the job.
    pub member_id: Option<MemberId>,
    /// The event the job belongs to, so rescheduling or cancelling finds its jobs.
    pub event_id: Option<EventId>,
    pub payload: Payload,
    /// Unique per delivery; also what the platform uses to drop a duplicate send.
    pub key: String,
    pub due_at: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
}

impl NewJob {
    pub fn kind(&self) -> &'static str {
        match self.payload {
            Payload::Notify { .. } => "notify",
            Payload::Update { .. } => "update",
            Payload::Reminder { .. } => "reminder",
            Payload::Roll { .. } => "roll",
            Payload::Refresh { .. } => "refresh",
            Payload::IntroExpire { .. } => "intro_expire",
            Payload::CoffeeAnnounce { .. } => "coffee_announce",
            Payload::CoffeeRound { .. } => "coffee_round",
            Payload::CoffeeCheckin { .. } => "coffee_checkin",
            Payload::ProfileNudge { .. } => "profile_nudge",
            Payload::Broadcast { .. } => "broadcast",
            Payload::JobDigest { .. } => "job_digest",
        }
    }

    /// Jobs the core expands into others (rather than delivering a message).
    pub fn expands(payload: &Payload) -> bool {
        !matches!(
            payload,
            Payload::Notify { .. } | Payload::Update { .. } | Payload::Refresh { .. }
        )
    }

    /// Whether a later job with the same key replaces a pending or finished one.
    pub fn coalesces(&self) -> bool {
        matches!(self.payload, Payload::Refresh { .. })
    }

    /// A message to a member, due now.
    pub fn notify_member(
        community_id: CommunityId,
        member: MemberId,
        key: String,
        reply: Reply,
        now: DateTime<Utc>,
    ) -> NewJob {
        NewJob {
            community_id,
            member_id: Some(member),
            event_id: None,
            payload: Payload::Notify {
                to: Target::Member(member),
                reply,
            },
            key,
            due_at: now,
            valid_until: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub community_id: CommunityId,
    pub payload: Payload,
    pub key: String,
    pub due_at: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub attempts: i32,
    /// When it was first claimed for delivery (set by the claim; reset when it is rescheduled).
    pub first_tried_at: Option<DateTime<Utc>>,
}
