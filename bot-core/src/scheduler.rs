//! The job runner: claims due jobs with a lease, delivers them through the `Messenger`,
//! retries with backoff (honouring Retry-After), skips what is no longer worth sending, and
//! sleeps until the next due job or a wake-up. Time comes from the `Clock`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::error::StoreError;
use crate::jobs::{Job, JobState, Payload, Target};
use crate::messenger::{Address, Delivery, DeliveryError, Messenger};
use crate::reply::Reply;
use crate::service::Core;
use crate::store::Store;

/// How long a claimed job is ours before another worker may take it over.
pub const DEFAULT_LEASE: TimeDelta = TimeDelta::seconds(60);
const BATCH: u32 = 32;
/// Deliveries in flight at once. A platform is tens of milliseconds away: one at a time, a
/// reminder's fan-out would reach a fraction of the platform's rate limit (BENCHMARKS.md,
/// fan-out); the messengers' limiters keep the total within it.
const CONCURRENCY: usize = 8;
/// Attempts before a job is marked failed.
pub const MAX_ATTEMPTS: i32 = 8;
/// A job the platform keeps refusing with 429 is given up after this long since its first try:
/// a notice a day late is no longer worth holding the queue for.
pub const GIVE_UP_AFTER: TimeDelta = TimeDelta::days(1);
/// Longest idle sleep, a safety net should a wake-up be missed (another instance's write).
const MAX_SLEEP: Duration = Duration::from_secs(30);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunStats {
    pub delivered: usize,
    /// Reminder and roll-over jobs turned into deliveries.
    pub expanded: usize,
    pub retried: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Of `failed`: jobs given up after a day of rate limits.
    pub gave_up: usize,
}

impl RunStats {
    fn add(&mut self, s: RunStats) {
        self.delivered += s.delivered;
        self.expanded += s.expanded;
        self.retried += s.retried;
        self.skipped += s.skipped;
        self.failed += s.failed;
        self.gave_up += s.gave_up;
    }
}

/// Jobs that must run one after another: messages to one conversation keep their order (and
/// an edit follows its post). Everything else may run side by side.
fn lane(job: &Job) -> String {
    match &job.payload {
        Payload::Notify { to, .. } | Payload::Update { to, .. } => {
            format!("{}:{to:?}", job.community_id)
        }
        _ => format!("job:{}", job.id),
    }
}

pub struct Scheduler {
    core: Arc<Core>,
    store: Arc<dyn Store>,
    messenger: Arc<dyn Messenger>,
    clock: Arc<dyn Clock>,
    worker: String,
    wake: Arc<Notify>,
    lease: TimeDelta,
}

impl Scheduler {
    /// A runner for `core`'s jobs, delivering through `messenger`.
    pub fn new(core: Arc<Core>, messenger: Arc<dyn Messenger>) -> Scheduler {
        let worker = format!("{}-{}", std::process::id(), Utc::now().timestamp_micros());
        Scheduler {
            store: core.store().clone(),
            clock: core.clock().clone(),
            wake: core.jobs_written(),
            core,
            messenger,
            worker,
            lease: DEFAULT_LEASE,
        }
    }

    /// How long a claim holds before a crashed worker's jobs are taken over.
    pub fn with_lease(mut self, lease: TimeDelta) -> Scheduler {
        self.lease = lease;
        self
    }

    /// Deliver until nothing is due or leased, for batch runs and tests.
    pub async fn run_until_idle(&self) -> Result<RunStats, StoreError> {
        let mut total = RunStats::default();
        loop {
            total.add(self.run_due().await?);
            match self.store.next_wake().await? {
                None => return Ok(total),
                Some(at) => {
                    let wait = (at - self.clock.now()).to_std().unwrap_or(Duration::ZERO);
                    tokio::time::sleep(wait.min(Duration::from_millis(500))).await;
                }
            }
        }
    }

    /// Deliver everything due now; returns what happened.
    pub async fn run_due(&self) -> Result<RunStats, StoreError> {
        let mut stats = RunStats::default();
        loop {
            let now = self.clock.now();
            let jobs = self
                .store
                .claim_jobs(now, &self.worker, now + self.lease, BATCH)
                .await?;
            if jobs.is_empty() {
                if stats.skipped > 0 {
                    tracing::warn!(
                        skipped = stats.skipped,
                        "stale jobs skipped: no longer worth sending (e.g. a reminder after the start)"
                    );
                }
                return Ok(stats);
            }
            // Lanes in claim order, dealt round-robin to CONCURRENCY runners.
            let mut lanes: Vec<Vec<Job>> = Vec::new();
            let mut by_key: HashMap<String, usize> = HashMap::new();
            for job in jobs {
                let at = *by_key.entry(lane(&job)).or_insert_with(|| {
                    lanes.push(Vec::new());
                    lanes.len() - 1
                });
                lanes[at].push(job);
            }
            let mut runners: Vec<Vec<Job>> = (0..CONCURRENCY).map(|_| Vec::new()).collect();
            for (i, lane) in lanes.into_iter().enumerate() {
                runners[i % CONCURRENCY].extend(lane);
            }
            let done = futures_util::future::join_all(runners.into_iter().map(|jobs| async {
                let mut stats = RunStats::default();
                for job in jobs {
                    self.run_one(job, &mut stats).await?;
                }
                Ok::<_, StoreError>(stats)
            }))
            .await;
            for runner in done {
                stats.add(runner?);
            }
        }
    }

    async fn run_one(&self, job: Job, stats: &mut RunStats) -> Result<(), StoreError> {
        let now = self.clock.now();
        if job.valid_until.is_some_and(|until| until < now) {
            tracing::info!(job = job.id, key = %job.key, "skipped: no longer worth sending");
            self.store
                .finish_job(job.id, &self.worker, JobState::Skipped, Some("stale"), now)
                .await?;
            stats.skipped += 1;
            return Ok(());
        }
        let outcome = match &job.payload {
            Payload::Notify { to, reply } => match self.delivery(&job, to, reply).await? {
                Some(delivery) => self.messenger.deliver(&delivery).await,
                None => Err(DeliveryError::Permanent("recipient has no identity".into())),
            },
            Payload::Update { to, of_key, reply } => {
                match self.edit(&job, to, of_key, reply, stats).await? {
                    Some(outcome) => outcome,
                    None => return Ok(()),
                }
            }
            Payload::Refresh { .. } => match self.core.refresh_content(&job).await? {
                Some((to, of_key, reply)) => {
                    match self.edit(&job, &to, &of_key, &reply, stats).await? {
                        Some(outcome) => outcome,
                        None => return Ok(()),
                    }
                }
                None => {
                    self.store
                        .finish_job(
                            job.id,
                            &self.worker,
                            JobState::Skipped,
                            Some("event gone"),
                            now,
                        )
                        .await?;
                    stats.skipped += 1;
                    return Ok(());
                }
            },
            _ => {
                // Expansion is pure database work: the fan-out and the "done" are one commit.
                let jobs = self.core.expand(&job).await?;
                if !self
                    .store
                    .finish_job_with(job.id, &self.worker, &jobs, now)
                    .await?
                {
                    tracing::warn!(
                        job = job.id,
                        "expansion discarded: job rescheduled meanwhile"
                    );
                }
                stats.expanded += 1;
                return Ok(());
            }
        };
        let now = self.clock.now();
        match outcome {
            Ok(message_ref) => {
                self.store
                    .finish_delivered(job.id, &self.worker, message_ref.as_deref(), now)
                    .await?;
                stats.delivered += 1;
            }
            Err(e @ DeliveryError::Permanent(_)) => self.fail(&job, &e, now, stats).await?,
            // A rate limit is the platform saying "later", not a failure: a large broadcast
            // may be told so many times, and must not lose its last messages to it.
            Err(e)
                if job.attempts >= MAX_ATTEMPTS && !matches!(e, DeliveryError::RateLimited(_)) =>
            {
                self.fail(&job, &e, now, stats).await?
            }
            // Rate limited for a whole day: the platform will not take it; stop asking.
            Err(e @ DeliveryError::RateLimited(_))
                if job
                    .first_tried_at
                    .is_some_and(|first| now - first >= GIVE_UP_AFTER) =>
            {
                tracing::error!(
                    job = job.id,
                    key = %job.key,
                    attempts = job.attempts,
                    "rate limited for a day; giving up"
                );
                stats.gave_up += 1;
                self.fail(&job, &e, now, stats).await?
            }
            Err(e) => {
                let at = now + retry_delay(&e, job.attempts);
                tracing::warn!(job = job.id, attempt = job.attempts, error = %e, retry_at = %at, "delivery failed; will retry");
                self.store
                    .retry_job(job.id, &self.worker, at, &e.to_string())
                    .await?;
                stats.retried += 1;
            }
        }
        Ok(())
    }

    /// Edit the message the job `of_key` posted. `None` when finished here (nothing to edit).
    async fn edit(
        &self,
        job: &Job,
        to: &Target,
        of_key: &str,
        reply: &Reply,
        stats: &mut RunStats,
    ) -> Result<Option<Result<Option<String>, DeliveryError>>, StoreError> {
        match self.store.job_outcome(of_key).await? {
            Some((state, Some(message_ref))) if state == JobState::Done.as_str() => {
                Ok(Some(match self.delivery(job, to, reply).await? {
                    Some(d) => self.messenger.update(&d, &message_ref).await.map(|()| None),
                    None => Err(DeliveryError::Permanent("recipient has no identity".into())),
                }))
            }
            // Not posted yet: edit once it is.
            Some((state, _)) if state == JobState::Pending.as_str() => Ok(Some(Err(
                DeliveryError::RateLimited(Duration::from_secs(5)),
            ))),
            // Nothing to edit (never posted, or the platform gave no reference).
            _ => {
                let now = self.clock.now();
                self.store
                    .finish_job(
                        job.id,
                        &self.worker,
                        JobState::Skipped,
                        Some("nothing to edit"),
                        now,
                    )
                    .await?;
                stats.skipped += 1;
                Ok(None)
            }
        }
    }

    async fn fail(
        &self,
        job: &Job,
        e: &DeliveryError,
        now: DateTime<Utc>,
        stats: &mut RunStats,
    ) -> Result<(), StoreError> {
        tracing::error!(job = job.id, key = %job.key, attempts = job.attempts, error = %e, "delivery failed for good");
        self.store
            .finish_job(
                job.id,
                &self.worker,
                JobState::Failed,
                Some(&e.to_string()),
                now,
            )
            .await?;
        stats.failed += 1;
        Ok(())
    }

    async fn delivery(
        &self,
        job: &Job,
        to: &Target,
        reply: &Reply,
    ) -> Result<Option<Delivery>, StoreError> {
        let to = match to {
            Target::Channel(channel) => Address::Channel(channel.clone()),
            Target::Member(member) => {
                let identities = self.store.identities(job.community_id, *member).await?;
                match identities.into_iter().next() {
                    Some(identity) => Address::Direct(identity),
                    None => return Ok(None),
                }
            }
            Target::Group(members) => {
                let mut identities = Vec::with_capacity(members.len());
                for member in members {
                    // Someone erased since: the others still meet.
                    if let Some(i) = self
                        .store
                        .identities(job.community_id, *member)
                        .await?
                        .into_iter()
                        .next()
                    {
                        identities.push(i);
                    }
                }
                if identities.len() < 2 {
                    return Ok(None);
                }
                Address::Group(identities)
            }
        };
        Ok(Some(Delivery {
            key: job.key.clone(),
            community_id: job.community_id,
            to,
            reply: reply.clone(),
            // The claim that handed us this job already counted itself.
            retry: job.attempts > 1,
        }))
    }

    /// Run forever: deliver what is due, then sleep until the next job or a wake-up.
    pub async fn run(self) {
        loop {
            if let Err(e) = self.run_due().await {
                tracing::warn!(error = %e, "scheduler: store unavailable; retrying shortly");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
            let sleep = match self.store.next_wake().await {
                Ok(Some(at)) => (at - self.clock.now()).to_std().unwrap_or(Duration::ZERO),
                Ok(None) => MAX_SLEEP,
                Err(_) => Duration::from_secs(2),
            }
            .min(MAX_SLEEP);
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                () = self.wake.notified() => {}
            }
        }
    }
}

/// Exponential backoff from 5 s, capped at an hour; a 429's Retry-After wins.
pub fn retry_delay(e: &DeliveryError, attempts: i32) -> TimeDelta {
    match e {
        DeliveryError::RateLimited(after) => {
            TimeDelta::from_std(*after).unwrap_or(TimeDelta::seconds(1))
        }
        _ => {
            let exp = attempts.clamp(1, 10) - 1;
            TimeDelta::seconds((5_i64 << exp).min(3600))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_honours_retry_after() {
        let t = DeliveryError::Transient("503".into());
        assert_eq!(retry_delay(&t, 1), TimeDelta::seconds(5));
        assert_eq!(retry_delay(&t, 2), TimeDelta::seconds(10));
        assert_eq!(retry_delay(&t, 10), TimeDelta::seconds(2560));
        assert_eq!(retry_delay(&t, 50), TimeDelta::seconds(2560));
        let r = DeliveryError::RateLimited(Duration::from_millis(1500));
        assert_eq!(retry_delay(&r, 3), TimeDelta::milliseconds(1500));
    }
}
