//! Persistence. One `Store` trait; a SQLite and a PostgreSQL implementation that share their
//! plain SQL (see `shared.rs`) and differ only where the engines do: search and job claiming.
//! Every call that reads or writes members takes the community id and filters on it.

mod broadcast;
mod events;
mod jobs_board;
mod live;
mod pg_feed;
mod postgres;
mod privacy;
mod roster;
mod rows;
mod search_sql;
mod shared;
mod slack;
mod social;
mod sqlite;
mod sqlite_feed;
mod stats;
mod term_index;
mod write_tx;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use broadcast::{Broadcast, BroadcastStore, Segment};
pub use events::{EventMirror, EventStore, JobsForEvent, JobsForPromoted, JobsForRsvp};
pub use jobs_board::{JobsBoardStore, NewOpportunity, Opportunity};
pub use live::command_scope;
pub use postgres::PgStore;
pub use privacy::{AuditEntry, NewAudit, PrivacyStore, Purpose};
pub use roster::{RosterClaim, RosterEntry, RosterFunnel, RosterStore};
pub use slack::{SlackInstallation, SlackStore};
pub use social::{JobsForIntro, SocialStore};
pub use sqlite::SqliteStore;
pub use stats::StatsStore;

use crate::domain::{
    Community, CommunityId, Identity, Member, MemberId, MemberStatus, OpenTo, Platform, Profile,
    Role,
};
use crate::error::StoreError;
use crate::i18n::Locale;
use crate::jobs::{Job, NewJob};
use crate::search;

pub type StoreResult<T> = Result<T, StoreError>;

/// Builds the jobs that go with a new row, once its id is known.
pub type JobsFor = dyn Fn(&Member) -> Vec<NewJob> + Send + Sync;

/// Defaults for a community created the first time a space is seen.
#[derive(Debug, Clone)]
pub struct NewCommunity {
    pub name: String,
    pub locale: Locale,
    pub timezone: String,
    pub requires_approval: bool,
}

#[derive(Debug, Clone)]
pub struct NewMember {
    pub identity: Identity,
    pub status: MemberStatus,
    pub role: Role,
    pub profile: Profile,
    pub locale: Option<Locale>,
    pub timezone: Option<String>,
}

/// A directory query. All given parts must match; `text` is ranked, best first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    pub text: String,
    pub skills: Vec<String>,
    pub industry: Option<String>,
    pub open_to: Vec<OpenTo>,
    pub role: Option<Role>,
    /// Inclusive year ranges.
    pub left: Option<(i32, i32)>,
    pub joined: Option<(i32, i32)>,
    /// Members left out (those who blocked the searcher): not found, not counted, so pages
    /// stay full and the total is exact.
    pub exclude: Vec<MemberId>,
}

impl SearchQuery {
    /// The index terms this query needs; empty when only year ranges (or nothing) are given.
    pub fn terms(&self) -> Vec<search::QueryTerm> {
        let mut terms = search::query_terms(&self.text);
        terms.extend(self.skills.iter().map(|s| search::skill_filter(s)));
        terms.extend(self.open_to.iter().map(|o| search::open_to_filter(*o)));
        terms.extend(self.industry.iter().map(|i| search::industry_filter(i)));
        terms.extend(self.role.map(search::role_filter));
        terms
    }
}

/// The most matches a search counts. Counting costs time in proportion to what is counted (on
/// PostgreSQL, a heap visit per match), so a common term ("engineer", "rust") would make every
/// such search slow; the directory shows "200+" and asks for more words. Up to the limit,
/// results are ranked; past it, newest first (see `Store::search`).
pub const SEARCH_COUNT_LIMIT: u64 = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub members: Vec<Member>,
    /// All matches, counted up to [`SEARCH_COUNT_LIMIT`].
    pub total: u64,
    /// False when there are more matches than `total` (which is then the limit: "200+").
    pub total_exact: bool,
}

#[async_trait]
pub trait Store:
    EventStore
    + SocialStore
    + SlackStore
    + PrivacyStore
    + RosterStore
    + BroadcastStore
    + JobsBoardStore
    + StatsStore
    + Send
    + Sync
{
    /// The community that owns a platform space, created with `defaults` at `now` on first
    /// sight.
    async fn community_for_space_at(
        &self,
        platform: Platform,
        space_id: &str,
        defaults: &NewCommunity,
        now: DateTime<Utc>,
    ) -> StoreResult<Community>;
    /// [`Store::community_for_space_at`] for adapters and tools that learn of a space before
    /// any command and hold no `Clock`; the core always passes its clock's time.
    async fn community_for_space(
        &self,
        platform: Platform,
        space_id: &str,
        defaults: &NewCommunity,
    ) -> StoreResult<Community> {
        self.community_for_space_at(platform, space_id, defaults, Utc::now())
            .await
    }
    async fn update_community(&self, community: &Community) -> StoreResult<()>;
    async fn community(&self, id: CommunityId) -> StoreResult<Option<Community>>;

    async fn member(&self, community: CommunityId, id: MemberId) -> StoreResult<Option<Member>>;
    async fn member_by_identity(
        &self,
        community: CommunityId,
        platform: Platform,
        user_id: &str,
    ) -> StoreResult<Option<Member>>;
    /// By platform user id or display handle (case-insensitive), on any platform.
    async fn member_by_handle(
        &self,
        community: CommunityId,
        handle: &str,
    ) -> StoreResult<Option<Member>>;
    /// Every member (up to `limit`, oldest first) [`Store::member_by_handle`] could mean: two
    /// people may show the same handle (one renamed since the bot last saw her).
    async fn members_by_handle(
        &self,
        community: CommunityId,
        handle: &str,
        limit: u32,
    ) -> StoreResult<Vec<Member>>;
    async fn identities(
        &self,
        community: CommunityId,
        member: MemberId,
    ) -> StoreResult<Vec<Identity>>;

    /// Insert a member with their first identity, and the jobs `jobs` builds for the new
    /// member (who has an id only now), in one transaction.
    async fn insert_member(
        &self,
        community: CommunityId,
        new: &NewMember,
        jobs: &JobsFor,
        now: DateTime<Utc>,
    ) -> StoreResult<Member>;
    /// Move a member from status `from` to `to`, writing `jobs` with it. False (and nothing
    /// written) if the member was no longer in `from`: two admins approving at once notify once.
    async fn transition(
        &self,
        community: CommunityId,
        member: MemberId,
        from: MemberStatus,
        to: MemberStatus,
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn set_role(
        &self,
        community: CommunityId,
        member: MemberId,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Why the member is an admin: `Some("platform")` when only because the platform said they
    /// run the space. Any [`Store::set_role`] clears it.
    async fn admin_source(
        &self,
        community: CommunityId,
        member: MemberId,
    ) -> StoreResult<Option<String>>;
    async fn set_admin_source(
        &self,
        community: CommunityId,
        member: MemberId,
        source: Option<&str>,
    ) -> StoreResult<()>;
    /// Write profile, hidden fields and locale (and the search document derived from them).
    async fn update_profile(&self, member: &Member, now: DateTime<Utc>) -> StoreResult<()>;
    /// Refresh the platform handle of an identity (people rename themselves).
    async fn update_handle(&self, community: CommunityId, identity: &Identity) -> StoreResult<()>;

    async fn members_with_status(
        &self,
        community: CommunityId,
        status: MemberStatus,
        limit: u32,
    ) -> StoreResult<Vec<Member>>;
    async fn members_with_role(
        &self,
        community: CommunityId,
        role: Role,
    ) -> StoreResult<Vec<Member>>;
    /// Approved members matching `query`. Up to [`SEARCH_COUNT_LIMIT`] matches, best first:
    /// members whose name has every word of the text, then the others, each newest first;
    /// with more, newest first. `total` counts up to the limit.
    async fn search(
        &self,
        community: CommunityId,
        query: &SearchQuery,
        limit: u32,
        offset: u32,
    ) -> StoreResult<SearchPage>;

    /// Erase a member and everything about them (identities, search entry, pending jobs
    /// addressed to them) in one transaction.
    async fn erase_member(&self, community: CommunityId, member: MemberId) -> StoreResult<()>;

    /// Write jobs outside any change (tools, tests); their `created_at` is the system time.
    async fn enqueue(&self, jobs: &[NewJob]) -> StoreResult<()>;
    /// Lease up to `limit` due jobs to `worker` until `lease_until`. Jobs whose lease expired
    /// (a crashed worker) are due again.
    async fn claim_jobs(
        &self,
        now: DateTime<Utc>,
        worker: &str,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Job>>;
    /// Mark a leased job finished (`done`, `skipped` or `failed`); false if the lease was lost.
    async fn finish_job(
        &self,
        id: i64,
        worker: &str,
        state: crate::jobs::JobState,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Mark a leased job done, remembering the platform's reference to what it posted.
    async fn finish_delivered(
        &self,
        id: i64,
        worker: &str,
        message_ref: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Mark a leased job done and write the jobs it expands into, in one transaction; false
    /// (nothing written) if the lease was lost or the job was deleted meanwhile.
    async fn finish_job_with(
        &self,
        id: i64,
        worker: &str,
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// The state and message reference of the job with idempotency key `key`.
    async fn job_outcome(&self, key: &str) -> StoreResult<Option<(String, Option<String>)>>;
    /// Give a leased job back to run again at `at`.
    async fn retry_job(
        &self,
        id: i64,
        worker: &str,
        at: DateTime<Utc>,
        error: &str,
    ) -> StoreResult<bool>;
    /// When the next pending job is due (or a lease expires), for the scheduler's sleep.
    async fn next_wake(&self) -> StoreResult<Option<DateTime<Utc>>>;
}
