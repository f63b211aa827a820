//! Durable jobs: the rows the scheduler claims and delivers. Written in the same transaction as
//! the change that caused them, so a notification is never lost and never sent for a change
//! that was rolled back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{CommunityId, MemberId};
use crate::reply::Reply;

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payload {
    Notify { to: Target, reply: Reply },
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub community_id: CommunityId,
    /// The member the job is about, so erasing the member erases the job.
    pub member_id: Option<MemberId>,
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
        }
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
}
