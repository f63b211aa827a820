//! Opportunities: posting (admins, supporters), listing, showing, closing; "I'm interested"
//! (the member's profile summary goes to the poster, as the button says); and a weekly DM
//! digest of new opportunities to members whose `open_to` fits and whose skills overlap.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};

use super::{Core, Ctx, render};
use crate::action::Action;
use crate::command::job::{Job, JobKind, JobPost};
use crate::domain::{MemberStatus, Role};
use crate::error::{CoreError, StoreError, UserError};
use crate::i18n::{self, Locale};
use crate::jobs::{self, NewJob, Payload};
use crate::reply::{ButtonStyle, Reply};
use crate::store::{NewOpportunity, Opportunity};

/// Most opportunities `/job list` shows.
const LIST_LIMIT: u32 = 25;
/// Most members a digest run reads.
const DIGEST_MEMBERS: u32 = 1_000_000;

/// The Monday 00:00 UTC after `now`: when this week's digest goes out. One key per week
/// means at most one digest a week, however many jobs are posted.
fn next_digest(now: DateTime<Utc>) -> DateTime<Utc> {
    let days = 7 - i64::from(now.weekday().num_days_from_monday());
    let day = (now + Duration::days(days)).date_naive();
    Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))
}

fn kind_label(locale: Locale, kind: &str) -> String {
    i18n::t(locale, &format!("job.kind.{kind}"), &[])
}

impl Core {
    pub(super) async fn job_command(&self, ctx: &Ctx<'_>, job: Job) -> Result<Reply, CoreError> {
        match job {
            Job::Post(post) => self.job_post(ctx, post).await,
            Job::List => self.job_list(ctx).await,
            Job::Show(id) => self.job_show(ctx, id).await,
            Job::Close(id) => self.job_close(ctx, id).await,
        }
    }

    async fn job_post(&self, ctx: &Ctx<'_>, post: JobPost) -> Result<Reply, CoreError> {
        let me = ctx.require_staff()?;
        let now = self.now();
        let mut notes = Vec::new();
        let open_until = match &post.until {
            Some(text) => {
                let reader = ctx.reader(ctx.tz, now);
                let (d, filled) = super::when::read_date("until", text, &reader, ctx, "job.post")?;
                notes = filled;
                let end = d.and_hms_opt(23, 59, 59).unwrap_or_default();
                let t = ctx
                    .tz
                    .from_local_datetime(&end)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(|| Utc.from_utc_datetime(&end));
                if t < now {
                    return Err(UserError::new("job.until_past")
                        .arg("key", "until")
                        .usage("job.post")
                        .into());
                }
                Some(t)
            }
            None => None,
        };
        let due = next_digest(now);
        let digest = NewJob {
            community_id: ctx.community.id,
            member_id: None,
            event_id: None,
            payload: Payload::JobDigest {
                since: due - Duration::days(7),
            },
            key: format!("job-digest:{}:{}", ctx.community.id, due.timestamp()),
            due_at: due,
            valid_until: None,
        };
        let id = self
            .store
            .post_opportunity(
                &NewOpportunity {
                    community: ctx.community.id,
                    poster: me.id,
                    title: post.title.clone(),
                    kind: post.kind.as_str().to_owned(),
                    details: post.details,
                    skills: post.skills,
                    open_until,
                    now,
                },
                &[digest],
            )
            .await?;
        self.jobs_written.notify_one();
        let mut reply = ctx.reply(
            "job.posted",
            &[("id", &id.to_string()), ("title", &post.title)],
        );
        if let Some(t) = open_until {
            reply.text.push_str(&format!(
                "\n{}: {}",
                ctx.t("job.until", &[]),
                crate::time::marker(t)
            ));
            reply.text.push_str(&ctx.notes(&notes));
        }
        Ok(reply)
    }

    async fn job_list(&self, ctx: &Ctx<'_>) -> Result<Reply, CoreError> {
        ctx.approved()?;
        let list = self
            .store
            .open_opportunities(ctx.community.id, self.now(), LIST_LIMIT)
            .await?;
        if list.is_empty() {
            return Ok(ctx.reply("job.none", &[]).private());
        }
        let mut reply = ctx.reply("job.heading", &[]).private();
        for o in list {
            reply = reply.field(
                format!("#{} {}", o.id, o.title),
                kind_label(ctx.locale, &o.kind),
            );
        }
        Ok(reply)
    }

    async fn find_opportunity(&self, ctx: &Ctx<'_>, id: i64) -> Result<Opportunity, CoreError> {
        self.store
            .opportunity(ctx.community.id, id)
            .await?
            .ok_or_else(|| {
                UserError::new("job.unknown")
                    .arg("id", id.to_string())
                    .into()
            })
    }

    async fn job_show(&self, ctx: &Ctx<'_>, id: i64) -> Result<Reply, CoreError> {
        ctx.approved()?;
        let o = self.find_opportunity(ctx, id).await?;
        let mut reply = ctx
            .reply(
                "job.show",
                &[("id", &o.id.to_string()), ("title", &o.title)],
            )
            .private()
            .field(ctx.t("job.type", &[]), kind_label(ctx.locale, &o.kind));
        if let Some(d) = &o.details {
            reply = reply.field(ctx.t("job.details", &[]), d.clone());
        }
        if !o.skills.is_empty() {
            reply = reply.field(ctx.t("field.skills", &[]), o.skills.join(", "));
        }
        if let Some(t) = o.open_until {
            reply = reply.field(ctx.t("job.until", &[]), crate::time::marker(t));
        }
        if o.closed {
            reply = reply.field(ctx.t("job.status", &[]), ctx.t("job.closed", &[]));
        } else {
            reply = reply.button(
                ctx.t("job.interested_button", &[]),
                Action::JobInterest { id: o.id }.encode_in(ctx.community.id),
                ButtonStyle::Primary,
            );
        }
        Ok(reply)
    }

    async fn job_close(&self, ctx: &Ctx<'_>, id: i64) -> Result<Reply, CoreError> {
        let me = ctx.require_staff()?;
        let o = self.find_opportunity(ctx, id).await?;
        if o.poster != Some(me.id) && me.role < Role::Admin {
            return Err(UserError::new("error.forbidden").into());
        }
        if !self.store.close_opportunity(ctx.community.id, id).await? {
            return Ok(ctx.reply("job.already_closed", &[]).private());
        }
        Ok(ctx
            .reply("job.closed_now", &[("id", &id.to_string())])
            .private())
    }

    /// The "I'm interested" button: the poster gets the member's profile summary (what the
    /// button said it would share: shown fields only).
    pub(super) async fn job_interest(&self, ctx: &Ctx<'_>, id: i64) -> Result<Reply, CoreError> {
        let me = ctx.approved()?;
        let o = self.find_opportunity(ctx, id).await?;
        if o.closed {
            return Err(UserError::new("job.is_closed").into());
        }
        let now = self.now();
        let mut jobs = Vec::new();
        if let Some(poster) = match o.poster {
            Some(p) => self.store.member(ctx.community.id, p).await?,
            None => None,
        } {
            let locale = poster.locale_or(&ctx.community);
            let shown = me.profile.visible(&me.hidden);
            let text = i18n::t(
                locale,
                "job.interest_notice",
                &[
                    ("name", &shown.name),
                    ("handle", &me.handle),
                    ("id", &o.id.to_string()),
                    ("title", &o.title),
                    ("summary", &render::summary_line(locale, &shown)),
                ],
            );
            jobs.push(NewJob::notify_member(
                ctx.community.id,
                poster.id,
                format!("job-interest:{}:m{}", o.id, me.id),
                Reply::text(locale, text),
                now,
            ));
        }
        if !self
            .store
            .add_interest(ctx.community.id, o.id, me.id, now, &jobs)
            .await?
        {
            return Ok(ctx.reply("job.interest_already", &[]).private());
        }
        self.jobs_written.notify_one();
        Ok(ctx
            .reply("job.interest_sent", &[("title", &o.title)])
            .private())
    }

    /// The weekly digest: to each approved, opted-in member, the opportunities posted since
    /// `since` that fit what they are open to and (if the post names skills) share a skill.
    pub(super) async fn expand_job_digest(
        &self,
        job: &jobs::Job,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewJob>, StoreError> {
        let community = self.community_by_id(job.community_id).await?;
        let fresh: Vec<Opportunity> = self
            .store
            .open_opportunities(community.id, now, 200)
            .await?
            .into_iter()
            .filter(|o| o.created_at >= since)
            .collect();
        if fresh.is_empty() {
            return Ok(Vec::new());
        }
        let members = self
            .store
            .members_with_status(community.id, MemberStatus::Approved, DIGEST_MEMBERS)
            .await?;
        let mut out = Vec::new();
        for m in members {
            let matching: Vec<&Opportunity> = fresh
                .iter()
                .filter(|o| o.poster != Some(m.id))
                .filter(|o| JobKind::parse(&o.kind).is_some_and(|k| k.fits(&m.profile.open_to)))
                .filter(|o| {
                    o.skills.is_empty()
                        || o.skills
                            .iter()
                            .any(|s| m.profile.skills.iter().any(|t| t.eq_ignore_ascii_case(s)))
                })
                .collect();
            if matching.is_empty() || !self.store.broadcasts_on(community.id, m.id).await? {
                continue;
            }
            let locale = m.locale_or(&community);
            let mut text = i18n::t(
                locale,
                "job.digest",
                &[("count", &matching.len().to_string())],
            );
            for o in &matching {
                text.push_str(&format!(
                    "\n• #{} {} ({})",
                    o.id,
                    o.title,
                    kind_label(locale, &o.kind)
                ));
            }
            out.push(NewJob::notify_member(
                community.id,
                m.id,
                format!("{}:m{}", job.key, m.id),
                Reply::text(locale, text),
                now,
            ));
        }
        Ok(out)
    }
}
