//! Introductions, blocks and coffee-chat rounds: plain data.

use chrono::{DateTime, Utc};

use crate::domain::{CommunityId, MemberId};

pub type IntroId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntroStatus {
    Pending,
    Connected,
    Declined,
    Expired,
}

impl IntroStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IntroStatus::Pending => "pending",
            IntroStatus::Connected => "connected",
            IntroStatus::Declined => "declined",
            IntroStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<IntroStatus> {
        Some(match s {
            "pending" => IntroStatus::Pending,
            "connected" => IntroStatus::Connected,
            "declined" => IntroStatus::Declined,
            "expired" => IntroStatus::Expired,
            _ => return None,
        })
    }
}

/// A request to connect two members. `first` and `second` are asked; in a direct request the
/// requester is `second` and has agreed by asking.
#[derive(Debug, Clone, PartialEq)]
pub struct Intro {
    pub id: IntroId,
    pub community_id: CommunityId,
    pub requester: MemberId,
    pub first: MemberId,
    pub second: MemberId,
    pub why: String,
    pub first_answer: Option<bool>,
    pub second_answer: Option<bool>,
    pub status: IntroStatus,
    /// Never shown to anyone (the target had blocked the requester); it just expires.
    pub suppressed: bool,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl Intro {
    pub fn is_direct(&self) -> bool {
        self.second == self.requester
    }

    /// Whether `member` is one of the people asked and has not answered yet.
    pub fn awaits(&self, member: MemberId) -> bool {
        (self.first == member && self.first_answer.is_none())
            || (self.second == member && self.second_answer.is_none())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewIntro {
    pub community_id: CommunityId,
    pub requester: MemberId,
    pub first: MemberId,
    pub second: MemberId,
    pub why: String,
    pub suppressed: bool,
    pub expires_at: DateTime<Utc>,
}

/// The cadence and rules of a community's coffee-chat rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct CoffeeSettings {
    pub community_id: CommunityId,
    pub every_days: i64,
    /// 0 = Monday.
    pub weekday: u32,
    /// `HH:MM` in the community's zone.
    pub at_time: String,
    pub group_size: usize,
    pub mix_alumni_employee: bool,
    pub avoid_same_department: bool,
    pub next_round: DateTime<Utc>,
}

/// A member's coffee-chat participation.
#[derive(Debug, Clone, PartialEq)]
pub struct CoffeeMember {
    pub member_id: MemberId,
    pub active: bool,
    pub paused_until: Option<DateTime<Utc>>,
    pub ignored_rounds: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CoffeeGroup {
    pub id: i64,
    pub round_at: DateTime<Utc>,
    pub members: Vec<MemberId>,
}
