//! Coffee-chat rounds: opt-in only, pause until a date, skip a round, groups formed by
//! `pairing` (never a blocked pair, no repeats while avoidable), a "did you meet?" check-in,
//! and members who ignore three rounds in a row paused and told how to come back.

use chrono::{DateTime, Datelike, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::{Core, Ctx, render};
use crate::action::Action;
use crate::command::social::{Coffee, CoffeeSetup};
use crate::domain::{Community, Member, Role};
use crate::error::{CoreError, StoreError, UserError};
use crate::i18n;
use crate::jobs::{Job, NewJob, Payload, Target};
use crate::pairing;
use crate::reply::{ButtonStyle, Reply};
use crate::social::{CoffeeMember, CoffeeSettings};
use crate::time;

/// Rounds of history that count as a "fresh" pairing not to repeat.
const HISTORY_ROUNDS: i64 = 12;
/// Unanswered check-ins in a row before a member is paused.
const IGNORED_LIMIT: i32 = 3;
/// Conversation starters in the catalogs (`coffee.starter_1` …).
const STARTERS: u64 = 5;

impl Core {
    pub(super) async fn coffee_command(
        &self,
        ctx: &Ctx<'_>,
        command: Coffee,
    ) -> Result<Reply, CoreError> {
        match command {
            Coffee::Setup(setup) => self.coffee_setup(ctx, setup).await,
            Coffee::Join => {
                let me = ctx.approved()?;
                let m = CoffeeMember {
                    member_id: me.id,
                    active: true,
                    paused_until: None,
                    ignored_rounds: 0,
                };
                self.store
                    .save_coffee_member(ctx.community.id, &m, self.now())
                    .await?;
                let mut reply = ctx.reply("coffee.joined", &[]).private();
                if let Some(next) = self.next_round(ctx).await? {
                    reply.text.push('\n');
                    reply
                        .text
                        .push_str(&ctx.t("coffee.next_round", &[("when", &time::marker(next))]));
                }
                Ok(reply)
            }
            Coffee::Leave => {
                let me = ctx.approved()?;
                let mut m = self.coffee_self(me.id).await?;
                m.active = false;
                self.store
                    .save_coffee_member(ctx.community.id, &m, self.now())
                    .await?;
                Ok(ctx.reply("coffee.left", &[]).private())
            }
            Coffee::Pause(until) => {
                let me = ctx.approved()?;
                let mut m = self.coffee_self(me.id).await?;
                let now = self.now();
                let reader = ctx.reader(ctx.tz, now);
                let (date, notes) =
                    super::when::read_date("until", &until, &reader, ctx, "coffee.pause")?;
                // Paused through that whole day, in the member's zone.
                let end = date
                    .succ_opt()
                    .and_then(|d| {
                        ctx.tz
                            .from_local_datetime(&d.and_time(NaiveTime::MIN))
                            .earliest()
                    })
                    .map(|t| t.with_timezone(&Utc))
                    .ok_or_else(|| {
                        UserError::new("error.bad_date")
                            .arg("key", "until")
                            .arg("value", until.clone())
                    })?;
                if end <= now {
                    return Err(UserError::new("error.past_date")
                        .usage("coffee.pause")
                        .into());
                }
                m.paused_until = Some(end);
                self.store
                    .save_coffee_member(ctx.community.id, &m, now)
                    .await?;
                // The last minute paused, written in full: date, weekday, time, zone.
                let last = time::marker(end - TimeDelta::minutes(1));
                let mut reply = ctx.reply("coffee.paused", &[("until", &last)]).private();
                reply.text.push_str(&ctx.notes(&notes));
                Ok(reply)
            }
            Coffee::Status => self.coffee_status(ctx).await,
        }
    }

    async fn coffee_self(&self, member: i64) -> Result<CoffeeMember, CoreError> {
        match self.store.coffee_member(member).await? {
            Some(m) if m.active => Ok(m),
            _ => Err(UserError::new("error.coffee_not_joined").into()),
        }
    }

    async fn next_round(&self, ctx: &Ctx<'_>) -> Result<Option<DateTime<Utc>>, StoreError> {
        let Some(s) = self.store.coffee_settings(ctx.community.id).await? else {
            return Ok(None);
        };
        Ok(Some(round_after(&s, self.now())))
    }

    async fn coffee_setup(&self, ctx: &Ctx<'_>, setup: CoffeeSetup) -> Result<Reply, CoreError> {
        ctx.require_admin()?;
        let tz: Tz = ctx.community.timezone.parse().unwrap_or(Tz::Asia__Tokyo);
        let now = self.now();
        let first = first_round(&setup, tz, now);
        let settings = CoffeeSettings {
            community_id: ctx.community.id,
            every_days: setup.every_days,
            weekday: setup.weekday,
            at_time: setup.at_time.clone(),
            group_size: setup.size,
            mix_alumni_employee: setup.mix_alumni_employee,
            avoid_same_department: setup.avoid_same_department,
            next_round: first,
        };
        self.store
            .save_coffee_settings(&settings, &round_jobs(ctx.community.id, first, now), now)
            .await?;
        self.audit(ctx, "coffee_setup", None, coffee_detail(&setup))
            .await?;
        self.jobs_written.notify_one();
        Ok(ctx
            .reply(
                "coffee.setup_done",
                &[
                    ("when", &time::marker(first)),
                    (
                        "every",
                        &time::say_duration(TimeDelta::days(setup.every_days), ctx.locale),
                    ),
                    ("size", &setup.size.to_string()),
                ],
            )
            .private())
    }

    async fn coffee_status(&self, ctx: &Ctx<'_>) -> Result<Reply, CoreError> {
        let me = ctx.approved()?;
        let mine = self.store.coffee_member(me.id).await?;
        let now = self.now();
        let key = match &mine {
            Some(m) if m.active && m.paused_until.is_some_and(|p| p > now) => {
                "coffee.status_paused"
            }
            Some(m) if m.active => "coffee.status_in",
            _ => "coffee.status_out",
        };
        let until = mine
            .as_ref()
            .and_then(|m| m.paused_until)
            .map(time::marker)
            .unwrap_or_default();
        let mut reply = ctx.reply(key, &[("until", &until)]).private();
        if let Some(next) = self.next_round(ctx).await? {
            reply = reply.field(ctx.t("coffee.next", &[]), time::marker(next));
        }
        let participants = self.store.coffee_members(ctx.community.id).await?;
        reply = reply.field(
            ctx.t("coffee.participants", &[]),
            participants
                .iter()
                .filter(|m| m.paused_until.is_none_or(|p| p <= now))
                .count()
                .to_string(),
        );
        if me.role.is_staff() {
            let since = now - TimeDelta::days(365);
            let groups = self
                .store
                .coffee_groups_since(ctx.community.id, since)
                .await?;
            let mut rounds: Vec<_> = groups.iter().map(|g| g.round_at).collect();
            rounds.dedup();
            let (mut yes, mut no) = (0, 0);
            for r in &rounds {
                for (_, met) in self.store.round_answers(ctx.community.id, *r).await? {
                    match met {
                        Some(true) => yes += 1,
                        Some(false) => no += 1,
                        None => {}
                    }
                }
            }
            reply = reply.field(
                ctx.t("coffee.stats", &[]),
                ctx.t(
                    "coffee.stats_value",
                    &[
                        ("rounds", &rounds.len().to_string()),
                        ("groups", &groups.len().to_string()),
                        ("yes", &yes.to_string()),
                        ("no", &no.to_string()),
                    ],
                ),
            );
        }
        Ok(reply)
    }

    pub(super) async fn coffee_skip(&self, ctx: &Ctx<'_>, round: i64) -> Result<Reply, CoreError> {
        let me = ctx.approved()?;
        self.coffee_self(me.id).await?;
        let at = Utc
            .timestamp_opt(round, 0)
            .single()
            .ok_or_else(|| UserError::new("error.bad_action").arg("id", "coffee"))?;
        if at <= self.now() {
            return Err(UserError::new("error.round_started").into());
        }
        self.store.skip_round(ctx.community.id, at, me.id).await?;
        Ok(ctx
            .reply("coffee.skipped", &[("when", &time::marker(at))])
            .private())
    }

    pub(super) async fn coffee_met(
        &self,
        ctx: &Ctx<'_>,
        group: i64,
        met: bool,
    ) -> Result<Reply, CoreError> {
        let me = ctx.approved()?;
        if !self
            .store
            .record_met(ctx.community.id, group, me.id, met)
            .await?
        {
            return Err(UserError::new("error.bad_action")
                .arg("id", "coffee")
                .into());
        }
        Ok(ctx
            .reply(
                if met {
                    "coffee.met_yes"
                } else {
                    "coffee.met_no"
                },
                &[],
            )
            .private())
    }

    pub(super) async fn expand_coffee(
        &self,
        job: &Job,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewJob>, StoreError> {
        let community = self.community_by_id(job.community_id).await?;
        let Some(settings) = self.store.coffee_settings(community.id).await? else {
            return Ok(Vec::new());
        };
        match &job.payload {
            Payload::CoffeeAnnounce { round_at } if is_round(&settings, *round_at) => {
                let mut jobs = Vec::new();
                for (m, _) in self.round_candidates(&community, *round_at).await? {
                    let locale = m.locale_or(&community);
                    let reply = Reply::text(
                        locale,
                        i18n::t(
                            locale,
                            "coffee.announce",
                            &[("when", &time::marker(*round_at))],
                        ),
                    )
                    .in_tz(m.tz_or(&community))
                    .button(
                        i18n::t(locale, "button.skip_round", &[]),
                        Action::CoffeeSkip {
                            round: round_at.timestamp(),
                        }
                        .encode_in(community.id),
                        ButtonStyle::Secondary,
                    );
                    let mut j = NewJob::notify_member(
                        community.id,
                        m.id,
                        format!(
                            "coffee-ann:{}:{}:m{}",
                            community.id,
                            round_at.timestamp(),
                            m.id
                        ),
                        reply,
                        now,
                    );
                    j.valid_until = Some(*round_at);
                    jobs.push(j);
                }
                Ok(jobs)
            }
            Payload::CoffeeRound { round_at } if is_round(&settings, *round_at) => {
                self.form_round(&community, &settings, *round_at, now).await
            }
            Payload::CoffeeCheckin { round_at } => {
                let mut jobs = Vec::new();
                let groups = self
                    .store
                    .coffee_groups_since(community.id, *round_at)
                    .await?;
                for g in groups.iter().filter(|g| g.round_at == *round_at) {
                    for id in &g.members {
                        let Some(m) = self.store.member(community.id, *id).await? else {
                            continue;
                        };
                        let locale = m.locale_or(&community);
                        let reply = Reply::text(locale, i18n::t(locale, "coffee.checkin", &[]))
                            .button(
                                i18n::t(locale, "button.met_yes", &[]),
                                Action::CoffeeMet {
                                    group: g.id,
                                    met: true,
                                }
                                .encode_in(community.id),
                                ButtonStyle::Primary,
                            )
                            .button(
                                i18n::t(locale, "button.met_no", &[]),
                                Action::CoffeeMet {
                                    group: g.id,
                                    met: false,
                                }
                                .encode_in(community.id),
                                ButtonStyle::Secondary,
                            );
                        jobs.push(NewJob::notify_member(
                            community.id,
                            m.id,
                            format!("coffee-checkin:{}:m{}", g.id, m.id),
                            reply,
                            now,
                        ));
                    }
                }
                Ok(jobs)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// Approved, opted-in, unpaused members who did not skip this round, with their record.
    async fn round_candidates(
        &self,
        c: &Community,
        round_at: DateTime<Utc>,
    ) -> Result<Vec<(Member, CoffeeMember)>, StoreError> {
        let skips = self.store.round_skips(c.id, round_at).await?;
        let mut out = Vec::new();
        for cm in self.store.coffee_members(c.id).await? {
            if cm.paused_until.is_some_and(|p| p > round_at) || skips.contains(&cm.member_id) {
                continue;
            }
            if let Some(m) = self.store.member(c.id, cm.member_id).await?
                && m.is_approved()
            {
                out.push((m, cm));
            }
        }
        Ok(out)
    }

    async fn form_round(
        &self,
        c: &Community,
        s: &CoffeeSettings,
        round_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewJob>, StoreError> {
        let every = TimeDelta::days(s.every_days);
        let mut jobs = Vec::new();
        let already = self
            .store
            .coffee_groups_since(c.id, round_at)
            .await?
            .iter()
            .any(|g| g.round_at == round_at);
        if !already {
            jobs.extend(self.pause_ignorers(c, round_at - every, now).await?);
        }
        let candidates = self.round_candidates(c, round_at).await?;
        let history = self
            .store
            .coffee_groups_since(c.id, round_at - every * HISTORY_ROUNDS as i32)
            .await?;
        let blocks = self.store.blocks(c.id).await?;
        let pool: Vec<pairing::Candidate> = candidates
            .iter()
            .map(|(m, _)| pairing::Candidate {
                id: m.id,
                department: m.profile.department.clone(),
                employee: m.role == Role::Employee,
            })
            .collect();
        let rules = pairing::Rules {
            size: s.group_size,
            mix_alumni_employee: s.mix_alumni_employee,
            avoid_same_department: s.avoid_same_department,
        };
        let mut past = pairing::History::new();
        for g in history.iter().filter(|g| g.round_at < round_at) {
            past.record_group(&g.members);
        }
        let blocks: pairing::Blocks = blocks.into_iter().collect();
        let round = pairing::pair(
            &pool,
            &past,
            &blocks,
            &rules,
            round_at.timestamp().unsigned_abs(),
        );
        let groups = self.store.save_round(c.id, round_at, &round.groups).await?;
        let starter = i18n::t(
            c.locale,
            &format!(
                "coffee.starter_{}",
                round_at.timestamp().unsigned_abs() % STARTERS + 1
            ),
            &[],
        );
        for g in &groups {
            let mut reply = Reply::text(
                c.locale,
                i18n::t(c.locale, "coffee.group", &[("starter", &starter)]),
            );
            for id in &g.members {
                if let Some((m, _)) = candidates.iter().find(|(m, _)| m.id == *id) {
                    let v = m.profile.visible(&m.hidden);
                    reply = reply.field(
                        format!("{} (@{})", v.name, m.handle),
                        render::summary_line(c.locale, &v),
                    );
                }
            }
            jobs.push(NewJob {
                community_id: c.id,
                member_id: None,
                event_id: None,
                payload: Payload::Notify {
                    to: Target::Group(g.members.clone()),
                    reply,
                },
                key: format!("coffee-group:{}", g.id),
                due_at: now,
                valid_until: None,
            });
        }
        for unplaced in &round.unplaced {
            if let Some((m, _)) = candidates.iter().find(|(m, _)| m.id == unplaced.id) {
                let locale = m.locale_or(c);
                let reply = Reply::text(locale, i18n::t(locale, "coffee.unplaced", &[]));
                jobs.push(NewJob::notify_member(
                    c.id,
                    m.id,
                    format!(
                        "coffee-unplaced:{}:{}:m{}",
                        c.id,
                        round_at.timestamp(),
                        m.id
                    ),
                    reply,
                    now,
                ));
            }
        }
        jobs.push(NewJob {
            community_id: c.id,
            member_id: None,
            event_id: None,
            payload: Payload::CoffeeCheckin { round_at },
            key: format!("coffee-checkin:{}:{}", c.id, round_at.timestamp()),
            due_at: round_at + every / 2,
            valid_until: Some(round_at + every),
        });
        jobs.extend(round_jobs(c.id, round_at + every, now));
        Ok(jobs)
    }

    /// Count unanswered check-ins of the previous round; pause (and tell) at the limit.
    async fn pause_ignorers(
        &self,
        c: &Community,
        previous: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewJob>, StoreError> {
        let mut jobs = Vec::new();
        for (id, answer) in self.store.round_answers(c.id, previous).await? {
            let Some(mut cm) = self.store.coffee_member(id).await? else {
                continue;
            };
            if !cm.active {
                continue;
            }
            cm.ignored_rounds = if answer.is_some() {
                0
            } else {
                cm.ignored_rounds + 1
            };
            if cm.ignored_rounds >= IGNORED_LIMIT {
                cm.active = false;
                cm.ignored_rounds = 0;
                if let Some(m) = self.store.member(c.id, id).await? {
                    let locale = m.locale_or(c);
                    jobs.push(NewJob::notify_member(
                        c.id,
                        id,
                        format!("coffee-paused:{}:{}", id, previous.timestamp()),
                        Reply::text(locale, i18n::t(locale, "coffee.auto_paused", &[])),
                        now,
                    ));
                }
            }
            self.store.save_coffee_member(c.id, &cm, now).await?;
        }
        Ok(jobs)
    }
}

/// The announcement (a day before, or now if that has passed) and the round itself.
fn round_jobs(community: i64, round_at: DateTime<Utc>, now: DateTime<Utc>) -> Vec<NewJob> {
    let job = |payload, key: String, due: DateTime<Utc>| NewJob {
        community_id: community,
        member_id: None,
        event_id: None,
        payload,
        key,
        due_at: due,
        valid_until: None,
    };
    vec![
        job(
            Payload::CoffeeAnnounce { round_at },
            format!("coffee-announce:{community}:{}", round_at.timestamp()),
            (round_at - TimeDelta::days(1)).max(now),
        ),
        job(
            Payload::CoffeeRound { round_at },
            format!("coffee-round:{community}:{}", round_at.timestamp()),
            round_at,
        ),
    ]
}

/// The first round: the next `weekday` at `at_time` (community zone) at least an hour away.
fn first_round(s: &CoffeeSetup, tz: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
    let time = NaiveTime::parse_from_str(&s.at_time, "%H:%M").unwrap_or(NaiveTime::MIN);
    let local = (now + TimeDelta::hours(1)).with_timezone(&tz);
    let mut date = local.date_naive();
    for _ in 0..8 {
        if date.weekday().num_days_from_monday() == s.weekday
            && let Some(t) = tz.from_local_datetime(&date.and_time(time)).earliest()
            && t.with_timezone(&Utc) > now + TimeDelta::hours(1)
        {
            return t.with_timezone(&Utc);
        }
        date = date.succ_opt().unwrap_or(date);
    }
    now + TimeDelta::days(7)
}

/// Whether `at` is a round of the current cadence (a job from an older setup is not).
fn is_round(s: &CoffeeSettings, at: DateTime<Utc>) -> bool {
    let since = at - s.next_round;
    since >= TimeDelta::zero()
        && since.num_seconds() % TimeDelta::days(s.every_days).num_seconds() == 0
}

/// The first round at or after `now`.
fn round_after(s: &CoffeeSettings, now: DateTime<Utc>) -> DateTime<Utc> {
    if now <= s.next_round {
        return s.next_round;
    }
    let every = TimeDelta::days(s.every_days).num_seconds().max(1);
    let n = (now - s.next_round).num_seconds().div_euclid(every) + 1;
    s.next_round + TimeDelta::seconds(n * every)
}

/// A coffee setup for the audit log, as the command's `key:value`s.
fn coffee_detail(s: &CoffeeSetup) -> String {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let day = DAYS.get(s.weekday as usize).copied().unwrap_or("?");
    let mut out = format!(
        "every:{}d day:{day} time:{} size:{}",
        s.every_days, s.at_time, s.size
    );
    if s.mix_alumni_employee {
        out.push_str(" mix:alumni-employee");
    }
    if s.avoid_same_department {
        out.push_str(" avoid:same-department");
    }
    out
}
