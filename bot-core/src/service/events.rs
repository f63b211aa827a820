//! Events: create, list, show, edit, cancel, RSVP with a waitlist, attendees, iCalendar; and
//! the expansion of reminder and roll-over jobs into deliveries.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::when;
use super::{Core, Ctx};
use crate::action::Action;
use crate::command::event::{Event as EventCommand, EventSpec, RsvpChoice};
use crate::domain::{Community, Member};
use crate::error::{CoreError, StoreError, UserError};
use crate::event::{Event, EventId, NewEvent, RsvpCounts, RsvpState};
use crate::i18n::{self, Locale};
use crate::ics;
use crate::jobs::{Job, NewJob, Payload, Target};
use crate::reply::{Attachment, ButtonStyle, Effect, Form, FormField, Reply};
use crate::time::{self, Reader, Reading};

/// Reminders when none are asked for: the day before and an hour before.
const DEFAULT_REMIND: [TimeDelta; 2] = [TimeDelta::days(1), TimeDelta::hours(1)];
const DEFAULT_DURATION: TimeDelta = TimeDelta::hours(2);
/// The channel event posts go to unless `channel:` says otherwise.
pub const DEFAULT_CHANNEL: &str = "general";

impl Core {
    pub(super) async fn event_command(
        &self,
        ctx: &Ctx<'_>,
        command: EventCommand,
    ) -> Result<Reply, CoreError> {
        match command {
            EventCommand::Create(spec) => self.create_event(ctx, spec).await,
            EventCommand::CreateForm => create_form(ctx),
            EventCommand::List => self.list_events(ctx).await,
            EventCommand::Show(id) => self.show_event(ctx, id).await,
            EventCommand::Edit(id, spec) => self.edit_event(ctx, id, spec).await,
            EventCommand::Cancel { id, reason } => self.cancel_event(ctx, id, reason).await,
            EventCommand::Rsvp { id, choice } => {
                ctx.approved()?;
                let event = self.find_event(ctx, id).await?;
                let occurrence = event
                    .next_occurrence(self.now())
                    .ok_or_else(|| UserError::new("error.event_over"))?;
                self.rsvp(ctx, &event, occurrence, choice).await
            }
            EventCommand::Attendees(id) => self.attendees(ctx, id).await,
            EventCommand::Ics(id) => self.event_ics(ctx, id).await,
        }
    }

    async fn create_event(&self, ctx: &Ctx<'_>, spec: EventSpec) -> Result<Reply, CoreError> {
        let me = ctx.require_staff()?;
        let now = self.now();
        let tz = spec
            .tz
            .as_deref()
            .map_or(Ok(ctx.tz_of_community()), parse_tz)?;
        let at = spec.at.as_deref().unwrap_or_default();
        let reader = ctx.reader(tz, now);
        let reading = when::read_at("at", at, &reader, ctx, "event.create")?;
        let starts_at = reading.at;
        if starts_at <= now {
            return Err(UserError::new("error.past_time")
                .arg("key", "at")
                .usage("event.create")
                .into());
        }
        let duration =
            duration_of(&spec, &reading, &reader, ctx, "event.create")?.unwrap_or(DEFAULT_DURATION);
        let new = NewEvent {
            community_id: ctx.community.id,
            title: spec.title.clone().unwrap_or_default(),
            starts_at,
            duration,
            timezone: tz.name().to_owned(),
            location: spec.location.clone().flatten(),
            capacity: spec.capacity.flatten(),
            remind: spec
                .remind
                .clone()
                .unwrap_or_else(|| DEFAULT_REMIND.to_vec()),
            rrule: spec.repeat.clone().flatten(),
            channel: spec
                .channel
                .clone()
                .unwrap_or_else(|| DEFAULT_CHANNEL.to_owned()),
            created_by: Some(me.id),
        };
        let community = ctx.community.clone();
        let event = self
            .store
            .insert_event(
                &new,
                &move |e: &Event| {
                    let mut jobs = vec![announcement_job(
                        &community,
                        e,
                        e.starts_at,
                        RsvpCounts::default(),
                        now,
                    )];
                    jobs.extend(schedule_jobs(e, e.starts_at, now));
                    jobs
                },
                now,
            )
            .await?;
        self.jobs_written.notify_one();
        Ok(ctx
            .reply(
                "event.created",
                &[
                    ("id", &event.id.to_string()),
                    ("title", &event.title),
                    ("when", &time::marker(starts_at)),
                    ("channel", &event.channel),
                ],
            )
            .private()
            .with_effect(Effect::EventCreated { id: event.id })
            .with_understood(ctx, &event, &reading.notes))
    }

    async fn list_events(&self, ctx: &Ctx<'_>) -> Result<Reply, CoreError> {
        ctx.approved()?;
        let now = self.now();
        let mut upcoming: Vec<(DateTime<Utc>, Event)> = self
            .store
            .upcoming_events(ctx.community.id, now)
            .await?
            .into_iter()
            .filter_map(|e| e.next_occurrence(now).map(|o| (o, e)))
            .collect();
        upcoming.sort_by_key(|(o, e)| (*o, e.id));
        if upcoming.is_empty() {
            return Ok(ctx.reply("event.none", &[]).private());
        }
        let mut reply = ctx
            .reply(
                "event.list_heading",
                &[("count", &upcoming.len().to_string())],
            )
            .private();
        for (occurrence, e) in upcoming.iter().take(25) {
            let counts = self
                .store
                .rsvp_counts(ctx.community.id, e.id, *occurrence)
                .await?;
            reply = reply.field(
                format!("#{} {}", e.id, e.title),
                format!(
                    "{} · {}",
                    time::marker(*occurrence),
                    counts_line(ctx.locale, &counts, e.capacity)
                ),
            );
        }
        Ok(reply)
    }

    async fn show_event(&self, ctx: &Ctx<'_>, id: EventId) -> Result<Reply, CoreError> {
        let me = ctx.approved()?;
        let event = self.find_event(ctx, id).await?;
        let occurrence = event.next_occurrence(self.now()).unwrap_or(event.starts_at);
        let counts = self
            .store
            .rsvp_counts(ctx.community.id, event.id, occurrence)
            .await?;
        let mut reply = event_card(ctx.locale, &event, occurrence, &counts)
            .in_tz(ctx.tz)
            .private();
        if let Some(state) = self.store.rsvp_of(event.id, occurrence, me.id).await? {
            reply = reply.field(
                ctx.t("event.your_rsvp", &[]),
                ctx.t(&format!("rsvp.{}", state.as_str()), &[]),
            );
        }
        Ok(reply)
    }

    async fn edit_event(
        &self,
        ctx: &Ctx<'_>,
        id: EventId,
        spec: EventSpec,
    ) -> Result<Reply, CoreError> {
        ctx.require_staff()?;
        let old = self.find_event(ctx, id).await?;
        if old.cancelled {
            return Err(UserError::new("error.event_cancelled").into());
        }
        let now = self.now();
        let mut e = old.clone();
        if let Some(title) = &spec.title {
            e.title = title.clone();
        }
        if let Some(tz) = &spec.tz {
            e.timezone = parse_tz(tz)?.name().to_owned();
        }
        let reader = ctx.reader(e.tz(), now);
        let reading = match &spec.at {
            Some(at) => when::read_at("at", at, &reader, ctx, "event.edit")?,
            None => Reading {
                at: e.starts_at,
                end: None,
                notes: Vec::new(),
            },
        };
        if spec.at.is_some() {
            e.starts_at = reading.at;
            if e.starts_at <= now {
                return Err(UserError::new("error.past_time")
                    .arg("key", "at")
                    .usage("event.edit")
                    .into());
            }
        }
        if let Some(d) = duration_of(&spec, &reading, &reader, ctx, "event.edit")? {
            e.duration = d;
        }
        let times_given = spec.at.is_some() || spec.end.is_some() || spec.duration.is_some();
        if let Some(location) = &spec.location {
            e.location = location.clone();
        }
        if let Some(capacity) = spec.capacity {
            e.capacity = capacity;
        }
        if let Some(remind) = &spec.remind {
            e.remind = remind.clone();
        }
        if let Some(repeat) = &spec.repeat {
            e.rrule = repeat.clone();
        }
        if let Some(channel) = &spec.channel {
            e.channel = channel.clone();
        }
        let old_next = old.next_occurrence(now);
        let new_next = e.next_occurrence(now);
        let reschedule = old_next != new_next || old.remind != e.remind || old.rrule != e.rrule;
        let mut jobs = Vec::new();
        if reschedule && let Some(next) = new_next {
            jobs.extend(schedule_jobs(&e, next, now));
        }
        if let (Some(old_occ), Some(new_occ)) = (old_next, new_next) {
            // Edit the post that announced the occurrence people answered for.
            jobs.push(refresh_job(&e, old_occ, new_occ, now));
        }
        let community = ctx.community.clone();
        let event_id = e.id;
        let moved = old_next.zip(new_next).filter(|(a, b)| a != b);
        let promoted = self
            .store
            .update_event(
                &e,
                reschedule,
                moved,
                new_next,
                &jobs,
                &move |members: &[Member]| {
                    promoted_notices(&community, event_id, new_next.unwrap_or(now), members, now)
                },
                now,
            )
            .await?;
        self.jobs_written.notify_one();
        let mut reply = ctx
            .reply(
                "event.edited",
                &[("id", &e.id.to_string()), ("title", &e.title)],
            )
            .private()
            .with_effect(Effect::EventChanged { id: e.id });
        if times_given {
            reply = reply.with_understood(ctx, &e, &reading.notes);
        }
        if !promoted.is_empty() {
            reply.text.push('\n');
            reply.text.push_str(&ctx.t(
                "event.promoted_count",
                &[("count", &promoted.len().to_string())],
            ));
        }
        Ok(reply)
    }

    async fn cancel_event(
        &self,
        ctx: &Ctx<'_>,
        id: EventId,
        reason: Option<String>,
    ) -> Result<Reply, CoreError> {
        ctx.require_staff()?;
        let event = self.find_event(ctx, id).await?;
        if event.cancelled {
            return Err(UserError::new("error.event_cancelled").into());
        }
        let now = self.now();
        let mut jobs = Vec::new();
        if let Some(occurrence) = event.next_occurrence(now) {
            for r in self
                .store
                .rsvps(ctx.community.id, event.id, occurrence)
                .await?
            {
                if r.state == RsvpState::No || !r.member.is_approved() {
                    continue;
                }
                let locale = r.member.locale_or(&ctx.community);
                let text = cancel_text(
                    locale,
                    "event.cancelled_notice",
                    &event,
                    occurrence,
                    reason.as_deref(),
                );
                let mut job = NewJob::notify_member(
                    ctx.community.id,
                    r.member.id,
                    format!(
                        "cancel:{}:{}:m{}",
                        event.id,
                        occurrence.timestamp(),
                        r.member.id
                    ),
                    Reply::text(locale, text).in_tz(r.member.tz_or(&ctx.community)),
                    now,
                );
                job.event_id = Some(event.id);
                jobs.push(job);
            }
            let locale = ctx.community.locale;
            let text = cancel_text(
                locale,
                "event.cancelled_post",
                &event,
                occurrence,
                reason.as_deref(),
            );
            jobs.push(NewJob {
                community_id: ctx.community.id,
                member_id: None,
                event_id: Some(event.id),
                payload: Payload::Update {
                    to: Target::Channel(event.channel.clone()),
                    of_key: announce_key(&event, occurrence),
                    reply: Reply::text(locale, text).in_tz(ctx.tz_of_community()),
                },
                key: format!("upd:{}:{}:cancel", event.id, occurrence.timestamp()),
                due_at: now,
                valid_until: None,
            });
        }
        if !self
            .store
            .cancel_event(
                ctx.community.id,
                event.id,
                reason.as_deref(),
                &jobs,
                self.now(),
            )
            .await?
        {
            return Err(UserError::new("error.event_cancelled").into());
        }
        self.jobs_written.notify_one();
        let told = jobs.len().saturating_sub(1);
        Ok(ctx
            .reply(
                "event.cancelled",
                &[
                    ("id", &event.id.to_string()),
                    ("title", &event.title),
                    ("count", &told.to_string()),
                ],
            )
            .private()
            .with_effect(Effect::EventCancelled { id: event.id }))
    }

    pub(super) async fn rsvp_button(
        &self,
        ctx: &Ctx<'_>,
        event: EventId,
        occurrence: i64,
        choice: RsvpChoice,
    ) -> Result<Reply, CoreError> {
        ctx.approved()?;
        let event = self.find_event(ctx, event).await?;
        let occurrence = Utc
            .timestamp_opt(occurrence, 0)
            .single()
            .filter(|o| event.is_occurrence(*o))
            .ok_or_else(|| UserError::new("error.bad_action").arg("id", "rsvp"))?;
        if occurrence + event.duration <= self.now() {
            return Err(UserError::new("error.event_over").into());
        }
        self.rsvp(ctx, &event, occurrence, choice).await
    }

    async fn rsvp(
        &self,
        ctx: &Ctx<'_>,
        event: &Event,
        occurrence: DateTime<Utc>,
        choice: RsvpChoice,
    ) -> Result<Reply, CoreError> {
        let me = ctx.approved()?;
        if event.cancelled {
            return Err(UserError::new("error.event_cancelled").into());
        }
        let now = self.now();
        let state = match choice {
            RsvpChoice::Going => RsvpState::Going,
            RsvpChoice::Maybe => RsvpState::Maybe,
            RsvpChoice::No => RsvpState::No,
        };
        let community = ctx.community.clone();
        let e = event.clone();
        let outcome = self
            .store
            .rsvp(
                ctx.community.id,
                event.id,
                occurrence,
                me.id,
                state,
                now,
                &move |o| {
                    let mut jobs = promoted_notices(&community, e.id, occurrence, &o.promoted, now);
                    jobs.push(refresh_job(&e, occurrence, occurrence, now));
                    jobs
                },
            )
            .await?
            .ok_or_else(|| UserError::new("error.event_cancelled"))?;
        self.jobs_written.notify_one();
        let key = match outcome.state {
            RsvpState::Going => "rsvp.done_going",
            RsvpState::Maybe => "rsvp.done_maybe",
            RsvpState::No => "rsvp.done_no",
            RsvpState::Waitlist => "rsvp.done_waitlist",
        };
        let counts = counts_line(ctx.locale, &outcome.counts, event.capacity);
        Ok(ctx
            .reply(
                key,
                &[
                    ("title", &event.title),
                    ("when", &time::marker(occurrence)),
                    ("waiting", &outcome.counts.waitlist.to_string()),
                ],
            )
            .field(ctx.t("event.rsvps", &[]), counts)
            .private())
    }

    async fn attendees(&self, ctx: &Ctx<'_>, id: EventId) -> Result<Reply, CoreError> {
        ctx.approved()?;
        let event = self.find_event(ctx, id).await?;
        let occurrence = event.next_occurrence(self.now()).unwrap_or(event.starts_at);
        let rsvps = self
            .store
            .rsvps(ctx.community.id, event.id, occurrence)
            .await?;
        let mut reply = ctx
            .reply(
                "event.attendees_heading",
                &[("title", &event.title), ("when", &time::marker(occurrence))],
            )
            .private();
        for state in [RsvpState::Going, RsvpState::Maybe, RsvpState::Waitlist] {
            let names: Vec<String> = rsvps
                .iter()
                .filter(|r| r.state == state)
                .map(|r| format!("{} (@{})", r.member.profile.name, r.member.handle))
                .collect();
            if !names.is_empty() {
                reply = reply.field(
                    format!(
                        "{} ({})",
                        ctx.t(&format!("rsvp.{}", state.as_str()), &[]),
                        names.len()
                    ),
                    names.join(", "),
                );
            }
        }
        if reply.fields.is_empty() {
            reply.text.push('\n');
            reply.text.push_str(&ctx.t("event.no_attendees", &[]));
        }
        Ok(reply)
    }

    async fn event_ics(&self, ctx: &Ctx<'_>, id: EventId) -> Result<Reply, CoreError> {
        ctx.approved()?;
        let event = self.find_event(ctx, id).await?;
        let mut reply = ctx.reply("event.ics", &[("title", &event.title)]).private();
        reply.attachment = Some(Attachment {
            filename: format!("event-{}.ics", event.id),
            content_type: "text/calendar; charset=utf-8".into(),
            content: ics::calendar(&event, &ctx.community.name, self.now()),
        });
        Ok(reply)
    }

    async fn find_event(&self, ctx: &Ctx<'_>, id: EventId) -> Result<Event, CoreError> {
        self.store
            .event(ctx.community.id, id)
            .await?
            .ok_or_else(|| {
                UserError::new("error.no_such_event")
                    .arg("id", id.to_string())
                    .into()
            })
    }

    /// The jobs a reminder or roll-over job turns into, as of now.
    pub async fn expand(&self, job: &Job) -> Result<Vec<NewJob>, StoreError> {
        let now = self.now();
        match &job.payload {
            Payload::Reminder {
                event,
                occurrence,
                before_minutes,
            } => {
                self.expand_reminder(job.community_id, *event, *occurrence, *before_minutes, now)
                    .await
            }
            Payload::Roll { event, occurrence } => {
                let Some(e) = self.store.event(job.community_id, *event).await? else {
                    return Ok(Vec::new());
                };
                if e.cancelled {
                    return Ok(Vec::new());
                }
                let community = self.community_by_id(job.community_id).await?;
                // After downtime several occurrences may have passed: go to the next one ahead.
                let next = e
                    .occurrence_after(*occurrence)
                    .and_then(|n| {
                        if n > now {
                            Some(n)
                        } else {
                            e.next_occurrence(now)
                        }
                    })
                    .filter(|n| n > occurrence);
                Ok(match next {
                    Some(next) => {
                        let mut announcement =
                            announcement_job(&community, &e, next, RsvpCounts::default(), now);
                        // Whoever delivers the post mirrors the new occurrence on its platform.
                        if let Payload::Notify { reply, .. } = &mut announcement.payload {
                            reply.effects.push(Effect::EventRolled {
                                id: e.id,
                                occurrence: next,
                            });
                        }
                        let mut jobs = vec![announcement];
                        jobs.extend(schedule_jobs(&e, next, now));
                        jobs
                    }
                    None => Vec::new(),
                })
            }
            Payload::Broadcast { broadcast } => self.expand_broadcast(job, *broadcast, now).await,
            Payload::JobDigest { since } => self.expand_job_digest(job, *since, now).await,
            _ => self.expand_social(job, now).await,
        }
    }

    async fn expand_reminder(
        &self,
        community_id: i64,
        event: EventId,
        occurrence: DateTime<Utc>,
        before_minutes: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewJob>, StoreError> {
        let Some(e) = self.store.event(community_id, event).await? else {
            return Ok(Vec::new());
        };
        if e.cancelled || !e.is_occurrence(occurrence) {
            return Ok(Vec::new());
        }
        let community = self.community_by_id(community_id).await?;
        let before = TimeDelta::minutes(before_minutes);
        let base = format!("rem:{}:{}:{}", e.id, occurrence.timestamp(), before_minutes);
        let counts = self
            .store
            .rsvp_counts(community_id, e.id, occurrence)
            .await?;
        let mut jobs = Vec::new();
        let locale = community.locale;
        let post = reminder_reply(locale, &e, occurrence, before)
            .field(
                i18n::t(locale, "event.rsvps", &[]),
                counts_line(locale, &counts, e.capacity),
            )
            .in_tz(community_tz(&community));
        jobs.push(NewJob {
            community_id,
            member_id: None,
            event_id: Some(e.id),
            payload: Payload::Notify {
                to: Target::Channel(e.channel.clone()),
                reply: rsvp_buttons(post, &e, occurrence),
            },
            key: format!("{base}:ch"),
            due_at: now,
            valid_until: Some(occurrence),
        });
        for r in self.store.rsvps(community_id, e.id, occurrence).await? {
            // Only those going or maybe, and still members (someone who left is not reminded).
            if !matches!(r.state, RsvpState::Going | RsvpState::Maybe) || !r.member.is_approved() {
                continue;
            }
            let locale = r.member.locale_or(&community);
            let mut reply =
                reminder_reply(locale, &e, occurrence, before).in_tz(r.member.tz_or(&community));
            reply.text.push('\n');
            reply.text.push_str(&i18n::t(
                locale,
                &format!("event.reminder_you_{}", r.state.as_str()),
                &[("id", &e.id.to_string())],
            ));
            jobs.push(NewJob {
                community_id,
                member_id: Some(r.member.id),
                event_id: Some(e.id),
                payload: Payload::Notify {
                    to: Target::Member(r.member.id),
                    reply,
                },
                key: format!("{base}:m{}", r.member.id),
                due_at: now,
                valid_until: Some(occurrence),
            });
        }
        Ok(jobs)
    }

    /// What a refresh job shows now: the event card with current counts, where it was posted.
    pub async fn refresh_content(
        &self,
        job: &Job,
    ) -> Result<Option<(Target, String, Reply)>, StoreError> {
        let Payload::Refresh {
            event,
            announced,
            occurrence,
        } = &job.payload
        else {
            return Ok(None);
        };
        let Some(e) = self.store.event(job.community_id, *event).await? else {
            return Ok(None);
        };
        let community = self.community_by_id(job.community_id).await?;
        let counts = self
            .store
            .rsvp_counts(job.community_id, e.id, *occurrence)
            .await?;
        let card =
            event_card(community.locale, &e, *occurrence, &counts).in_tz(community_tz(&community));
        let reply = if e.cancelled {
            card
        } else {
            rsvp_buttons(card, &e, *occurrence)
        };
        Ok(Some((
            Target::Channel(e.channel.clone()),
            announce_key(&e, *announced),
            reply,
        )))
    }

    pub(super) async fn community_by_id(&self, id: i64) -> Result<Community, StoreError> {
        self.store
            .community(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("community {id} missing")))
    }
}

/// Keys a bare `/event create` asks for, in order: (key, required, long). The answers are
/// typed into `/event create key:"value"…`, so the grammar checks them as if typed.
const CREATE_FORM_FIELDS: &[(&str, bool, bool)] = &[
    ("title", true, false),
    ("at", true, false),
    ("duration", false, false),
    ("end", false, false),
    ("where", false, false),
    ("capacity", false, false),
    ("remind", false, false),
    ("channel", false, false),
];

/// The event form, for staff only (anyone else would fill it in to be refused).
fn create_form(ctx: &Ctx<'_>) -> Result<Reply, CoreError> {
    ctx.require_staff()?;
    let tz = ctx.tz_of_community();
    let mut reply = ctx
        .reply("event.form_intro", &[("tz", tz.name())])
        .private();
    reply.form = Some(Form {
        title: ctx.t("event.form_title", &[]),
        command: "/event create".into(),
        fields: CREATE_FORM_FIELDS
            .iter()
            .map(|(key, required, long)| FormField {
                key: (*key).to_owned(),
                label: ctx.t(&format!("event.form_field_{key}"), &[]),
                required: *required,
                long: *long,
            })
            .collect(),
    });
    Ok(reply)
}

impl Ctx<'_> {
    fn tz_of_community(&self) -> Tz {
        community_tz(&self.community)
    }
}

/// "Cancelled: …" (a DM or the channel post), with the reason when one was given.
fn cancel_text(
    locale: Locale,
    key: &str,
    e: &Event,
    occurrence: DateTime<Utc>,
    reason: Option<&str>,
) -> String {
    let mut text = i18n::t(
        locale,
        key,
        &[("title", &e.title), ("when", &time::marker(occurrence))],
    );
    if let Some(reason) = reason {
        text.push('\n');
        text.push_str(&i18n::t(
            locale,
            "event.cancel_reason",
            &[("reason", reason)],
        ));
    }
    text
}

fn community_tz(c: &Community) -> Tz {
    c.timezone.parse().unwrap_or(Tz::Asia__Tokyo)
}

fn parse_tz(name: &str) -> Result<Tz, UserError> {
    name.parse::<Tz>().map_err(|_| {
        UserError::new("error.bad_timezone")
            .arg("key", "tz")
            .arg("value", name)
    })
}

/// The end: `at:`'s range (`19時〜21時`), `end:` (after the start), or `duration:`; `None` if
/// none was given. Only one of them may say it.
fn duration_of(
    spec: &EventSpec,
    reading: &Reading,
    reader: &Reader,
    ctx: &Ctx<'_>,
    usage: &'static str,
) -> Result<Option<TimeDelta>, UserError> {
    let starts_at = reading.at;
    let end = match (&spec.end, reading.end) {
        (Some(_), Some(_)) => {
            return Err(UserError::new("error.end_twice")
                .arg("key", "end")
                .usage(usage));
        }
        (None, Some(_)) if spec.duration.is_some() => {
            return Err(UserError::new("error.end_twice")
                .arg("key", "duration")
                .usage(usage));
        }
        (Some(text), None) => Some(when::read_end(text, starts_at, reader, ctx, usage)?),
        (None, end) => end,
    };
    let Some(end) = end else {
        return Ok(spec.duration);
    };
    if end <= starts_at {
        return Err(UserError::new("error.end_before_start")
            .arg("key", "end")
            .usage(usage));
    }
    if end - starts_at > TimeDelta::days(14) {
        return Err(UserError::new("error.bad_duration")
            .arg("key", "end")
            .arg("value", "> 14d"));
    }
    Ok(Some(end - starts_at))
}

impl Reply {
    /// The start and end as understood, written in full, and what was filled in: a misread
    /// time is seen at once.
    fn with_understood(mut self, ctx: &Ctx<'_>, e: &Event, notes: &[time::Note]) -> Reply {
        self.text.push('\n');
        self.text.push_str(&ctx.t(
            "event.understood",
            &[
                ("start", &time::marker(e.starts_at)),
                ("end", &time::marker(e.starts_at + e.duration)),
            ],
        ));
        self.text.push_str(&ctx.notes(notes));
        self
    }
}

/// Reminders (each worth sending until the start) and, for a repeating event, the roll-over at
/// the start that schedules the next occurrence. Reminders already past are not created.
fn schedule_jobs(e: &Event, occurrence: DateTime<Utc>, now: DateTime<Utc>) -> Vec<NewJob> {
    let mut jobs = Vec::new();
    for before in &e.remind {
        let due = occurrence - *before;
        if due < now {
            continue;
        }
        jobs.push(NewJob {
            community_id: e.community_id,
            member_id: None,
            event_id: Some(e.id),
            payload: Payload::Reminder {
                event: e.id,
                occurrence,
                before_minutes: before.num_minutes(),
            },
            key: format!(
                "rem:{}:{}:{}",
                e.id,
                occurrence.timestamp(),
                before.num_minutes()
            ),
            due_at: due,
            valid_until: Some(occurrence),
        });
    }
    if e.rrule.is_some() {
        jobs.push(NewJob {
            community_id: e.community_id,
            member_id: None,
            event_id: Some(e.id),
            payload: Payload::Roll {
                event: e.id,
                occurrence,
            },
            key: format!("roll:{}:{}", e.id, occurrence.timestamp()),
            due_at: occurrence,
            valid_until: None,
        });
    }
    jobs
}

/// The post for an occurrence: one per event, or one per occurrence when it repeats.
fn announce_key(e: &Event, occurrence: DateTime<Utc>) -> String {
    if e.rrule.is_some() {
        format!("ann:{}:{}", e.id, occurrence.timestamp())
    } else {
        format!("ann:{}", e.id)
    }
}

fn announcement_job(
    c: &Community,
    e: &Event,
    occurrence: DateTime<Utc>,
    counts: RsvpCounts,
    now: DateTime<Utc>,
) -> NewJob {
    let reply = event_card(c.locale, e, occurrence, &counts).in_tz(community_tz(c));
    NewJob {
        community_id: c.id,
        member_id: None,
        event_id: Some(e.id),
        payload: Payload::Notify {
            to: Target::Channel(e.channel.clone()),
            reply: rsvp_buttons(reply, e, occurrence),
        },
        key: announce_key(e, occurrence),
        due_at: now,
        valid_until: Some(occurrence + e.duration),
    }
}

/// Re-render the announcement of `announced` (showing `occurrence`) when it runs.
fn refresh_job(
    e: &Event,
    announced: DateTime<Utc>,
    occurrence: DateTime<Utc>,
    now: DateTime<Utc>,
) -> NewJob {
    NewJob {
        community_id: e.community_id,
        member_id: None,
        event_id: Some(e.id),
        payload: Payload::Refresh {
            event: e.id,
            announced,
            occurrence,
        },
        key: format!("refresh:{}:{}", e.id, announced.timestamp()),
        due_at: now,
        valid_until: Some(occurrence + e.duration),
    }
}

fn promoted_notices(
    c: &Community,
    event: EventId,
    occurrence: DateTime<Utc>,
    members: &[Member],
    now: DateTime<Utc>,
) -> Vec<NewJob> {
    members
        .iter()
        .map(|m| {
            let locale = m.locale_or(c);
            let text = i18n::t(
                locale,
                "rsvp.promoted",
                &[
                    ("id", &event.to_string()),
                    ("when", &time::marker(occurrence)),
                ],
            );
            let mut job = NewJob::notify_member(
                c.id,
                m.id,
                format!(
                    "promo:{event}:{}:m{}:{}",
                    occurrence.timestamp(),
                    m.id,
                    now.timestamp_micros()
                ),
                Reply::text(locale, text).in_tz(m.tz_or(c)),
                now,
            );
            job.event_id = Some(event);
            job
        })
        .collect()
}

fn reminder_reply(
    locale: Locale,
    e: &Event,
    occurrence: DateTime<Utc>,
    before: TimeDelta,
) -> Reply {
    let before = time::say_duration(before, locale);
    let mut text = i18n::t(
        locale,
        "event.reminder",
        &[
            ("title", &e.title),
            ("when", &time::marker(occurrence)),
            ("before", &before),
            ("id", &e.id.to_string()),
        ],
    );
    if let Some(location) = &e.location {
        text.push('\n');
        text.push_str(&i18n::t(locale, "event.where", &[("where", location)]));
    }
    Reply::text(locale, text)
}

fn rsvp_buttons(reply: Reply, e: &Event, occurrence: DateTime<Utc>) -> Reply {
    let locale = reply.locale;
    let mut reply = reply;
    for (choice, style) in [
        (RsvpChoice::Going, ButtonStyle::Primary),
        (RsvpChoice::Maybe, ButtonStyle::Secondary),
        (RsvpChoice::No, ButtonStyle::Secondary),
    ] {
        reply = reply.button(
            i18n::t(locale, &format!("button.{}", choice.as_str()), &[]),
            Action::Rsvp {
                event: e.id,
                occurrence: occurrence.timestamp(),
                choice,
            }
            .encode_in(e.community_id),
            style,
        );
    }
    reply
}

fn counts_line(locale: Locale, c: &RsvpCounts, capacity: Option<u32>) -> String {
    let mut line = i18n::t(
        locale,
        "event.counts",
        &[
            ("going", &c.going.to_string()),
            ("maybe", &c.maybe.to_string()),
        ],
    );
    if let Some(cap) = capacity {
        line.push_str(&i18n::t(
            locale,
            "event.capacity_suffix",
            &[
                ("capacity", &cap.to_string()),
                ("waitlist", &c.waitlist.to_string()),
            ],
        ));
    }
    line
}

/// An event as a card: title, when, where, how long, repeat, counts.
fn event_card(locale: Locale, e: &Event, occurrence: DateTime<Utc>, counts: &RsvpCounts) -> Reply {
    let t = |k: &str| i18n::t(locale, k, &[]);
    let mut reply = Reply::text(
        locale,
        i18n::t(locale, "event.card_hint", &[("id", &e.id.to_string())]),
    )
    .titled(format!("#{} {}", e.id, e.title))
    .field(
        t("event.when"),
        format!(
            "{} ({})",
            time::marker(occurrence),
            time::format_duration(e.duration)
        ),
    );
    if e.cancelled {
        reply = reply.field(t("event.status"), t("event.status_cancelled"));
    }
    if let Some(location) = &e.location {
        reply = reply.field(t("event.where_label"), location.clone());
    }
    if let Some(rule) = &e.rrule {
        reply = reply.field(t("event.repeat"), repeat_label(locale, rule));
    }
    reply.field(t("event.rsvps"), counts_line(locale, counts, e.capacity))
}

fn repeat_label(locale: Locale, rule: &str) -> String {
    let key = match rule {
        "FREQ=DAILY" => "event.repeat_daily",
        "FREQ=WEEKLY" => "event.repeat_weekly",
        "FREQ=WEEKLY;INTERVAL=2" => "event.repeat_biweekly",
        "FREQ=MONTHLY" => "event.repeat_monthly",
        _ => return format!("RRULE:{rule}"),
    };
    i18n::t(locale, key, &[])
}
