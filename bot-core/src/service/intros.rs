//! Introductions (double opt-in), private blocks, the welcome for new members with people to
//! meet, and the "is your profile current?" nudge.

use chrono::{DateTime, TimeDelta, Utc};

use super::{Core, Ctx, render};
use crate::action::Action;
use crate::command::MemberRef;
use crate::command::social::Intro as IntroCommand;
use crate::domain::{Community, Member, Role};
use crate::error::{CoreError, StoreError, UserError};
use crate::i18n;
use crate::jobs::{Job, NewJob, Payload, Target};
use crate::reply::{ButtonStyle, Form, FormField, Reply};
use crate::social::{Intro, IntroStatus, NewIntro};
use crate::store::SearchQuery;

/// People suggested to a newcomer.
const SUGGESTIONS: usize = 3;

impl Core {
    pub(super) async fn intro_command(
        &self,
        ctx: &Ctx<'_>,
        command: IntroCommand,
    ) -> Result<Reply, CoreError> {
        match command {
            IntroCommand::List => self.list_intros(ctx).await,
            IntroCommand::Request { members, why } => self.request_intro(ctx, &members, why).await,
        }
    }

    async fn request_intro(
        &self,
        ctx: &Ctx<'_>,
        refs: &[MemberRef],
        why: String,
    ) -> Result<Reply, CoreError> {
        let me = ctx.approved()?;
        let mut targets = Vec::new();
        for r in refs {
            let m = self.find(ctx, r).await?;
            if !m.is_approved() {
                return Err(UserError::new("error.no_such_member")
                    .arg("name", r.name.clone())
                    .into());
            }
            targets.push(m);
        }
        // Two members: a connector (staff, or an employee where allowed) introduces them.
        let (first, second) = match targets.as_slice() {
            [one] => {
                if one.id == me.id {
                    return Err(UserError::new("error.intro_self").into());
                }
                (one.clone(), me.clone())
            }
            [a, b] => {
                let allowed = me.role.is_staff()
                    || (me.role == Role::Employee && ctx.community.employee_intros);
                if !allowed {
                    return Err(UserError::new("error.forbidden").into());
                }
                (a.clone(), b.clone())
            }
            _ => {
                return Err(UserError::new("error.missing_member")
                    .usage("intro.request")
                    .into());
            }
        };
        let pending = self
            .store
            .pending_intros_by(ctx.community.id, me.id)
            .await?;
        if pending >= ctx.community.intro_limit {
            return Err(UserError::new("error.intro_limit")
                .arg("limit", ctx.community.intro_limit.to_string())
                .into());
        }
        // A block (either way) is never revealed: the request looks sent, is never shown, and
        // ends like an unanswered one.
        let suppressed = self.store.blocked_between(first.id, second.id).await?
            || self.store.blocked_between(first.id, me.id).await?
            || self.store.blocked_between(second.id, me.id).await?;
        let now = self.now();
        let expires_at = now + TimeDelta::days(ctx.community.intro_days);
        let new = NewIntro {
            community_id: ctx.community.id,
            requester: me.id,
            first: first.id,
            second: second.id,
            why: why.clone(),
            suppressed,
            expires_at,
        };
        let community = ctx.community.clone();
        let (requester, f, s) = (me.clone(), first.clone(), second.clone());
        self.store
            .insert_intro(
                &new,
                &move |intro: &Intro| {
                    let mut jobs = vec![NewJob {
                        community_id: community.id,
                        member_id: Some(requester.id),
                        event_id: None,
                        payload: Payload::IntroExpire { intro: intro.id },
                        key: format!("intro-expire:{}", intro.id),
                        due_at: intro.expires_at,
                        valid_until: None,
                    }];
                    if !intro.suppressed {
                        for (asked, other) in [(&f, &s), (&s, &f)] {
                            if intro.awaits(asked.id) {
                                jobs.push(intro_request_job(
                                    &community, intro, &requester, asked, other, now,
                                ));
                            }
                        }
                    }
                    jobs
                },
                now,
            )
            .await?;
        self.jobs_written.notify_one();
        let key = if first.id != me.id && second.id == me.id {
            "intro.sent"
        } else {
            "intro.sent_pair"
        };
        Ok(ctx
            .reply(
                key,
                &[
                    ("name", &first.profile.name),
                    ("other", &second.profile.name),
                    ("days", &ctx.community.intro_days.to_string()),
                ],
            )
            .private())
    }

    pub(super) async fn answer_intro(
        &self,
        ctx: &Ctx<'_>,
        id: i64,
        accept: bool,
    ) -> Result<Reply, CoreError> {
        let me = ctx.approved()?;
        let community = ctx.community.clone();
        let members = self.intro_people(ctx, id).await?;
        let now = self.now();
        let Some(intro) = self
            .store
            .answer_intro(
                ctx.community.id,
                id,
                me.id,
                accept,
                now,
                &move |intro: &Intro| outcome_jobs(&community, intro, &members, now),
            )
            .await?
        else {
            return Err(UserError::new("error.intro_not_yours").into());
        };
        self.jobs_written.notify_one();
        let key = match (accept, intro.status) {
            (false, _) => "intro.you_declined",
            (true, IntroStatus::Connected) => "intro.you_connected",
            _ => "intro.you_accepted_waiting",
        };
        Ok(ctx.reply(key, &[]).private())
    }

    /// The three people of an intro, for the notices its outcome sends.
    async fn intro_people(&self, ctx: &Ctx<'_>, id: i64) -> Result<IntroPeople, CoreError> {
        let intro = self
            .store
            .intro(ctx.community.id, id)
            .await?
            .ok_or_else(|| UserError::new("error.intro_not_yours"))?;
        let get = |id| async move { self.store.member(ctx.community.id, id).await };
        let (Some(requester), Some(first), Some(second)) = (
            get(intro.requester).await?,
            get(intro.first).await?,
            get(intro.second).await?,
        ) else {
            return Err(UserError::new("error.intro_not_yours").into());
        };
        Ok(IntroPeople {
            requester,
            first,
            second,
        })
    }

    async fn list_intros(&self, ctx: &Ctx<'_>) -> Result<Reply, CoreError> {
        let me = ctx.approved()?;
        let intros = self.store.intros_of(ctx.community.id, me.id, 20).await?;
        if intros.is_empty() {
            return Ok(ctx.reply("intro.none", &[]).private());
        }
        let mut reply = ctx.reply("intro.list_heading", &[]).private();
        for intro in intros {
            // The other people in it (both, when I connected two others).
            let mut names = Vec::new();
            for id in [intro.first, intro.second]
                .into_iter()
                .filter(|id| *id != me.id)
            {
                if let Some(m) = self.store.member(ctx.community.id, id).await? {
                    names.push(m.profile.name);
                }
            }
            let name = names.join(" & ");
            // A suppressed request reads as pending, then expired: never as a block.
            let status = intro.status;
            let role = if intro.requester == me.id {
                "intro.role_asked"
            } else {
                "intro.role_received"
            };
            let mut label = format!(
                "#{} {} · {}",
                intro.id,
                ctx.t(role, &[("name", &name)]),
                ctx.t(&format!("intro.status_{}", status.as_str()), &[])
            );
            if intro.awaits(me.id) && !intro.suppressed {
                label.push_str(&format!(" · {}", ctx.t("intro.awaiting_you", &[])));
                reply = reply
                    .button(
                        ctx.t("button.accept", &[]),
                        Action::IntroAnswer {
                            intro: intro.id,
                            accept: true,
                        }
                        .encode_in(ctx.community.id),
                        ButtonStyle::Primary,
                    )
                    .button(
                        ctx.t("button.decline", &[]),
                        Action::IntroAnswer {
                            intro: intro.id,
                            accept: false,
                        }
                        .encode_in(ctx.community.id),
                        ButtonStyle::Secondary,
                    );
            }
            reply = reply.field(label, intro.why.clone());
        }
        Ok(reply)
    }

    pub(super) async fn block(
        &self,
        ctx: &Ctx<'_>,
        who: &MemberRef,
        block: bool,
    ) -> Result<Reply, CoreError> {
        let me = ctx.approved()?;
        let target = self.find(ctx, who).await?;
        if target.id == me.id {
            return Err(UserError::new("error.block_self").into());
        }
        let name = &target.profile.name;
        if block {
            self.store
                .block(ctx.community.id, me.id, target.id, self.now())
                .await?;
            Ok(ctx.reply("block.done", &[("name", name)]).private())
        } else if self
            .store
            .unblock(ctx.community.id, me.id, target.id)
            .await?
        {
            Ok(ctx.reply("block.undone", &[("name", name)]).private())
        } else {
            Ok(ctx.reply("block.not_blocked", &[("name", name)]).private())
        }
    }

    /// Up to three approved members with the most in common, never anyone blocked either way.
    pub(super) async fn suggestions(
        &self,
        community: &Community,
        member: &Member,
    ) -> Result<Vec<Member>, StoreError> {
        let pool = self
            .store
            .search(community.id, &SearchQuery::default(), 500, 0)
            .await?
            .members;
        let blocks = self.store.blocks(community.id).await?;
        let blocked = |id| {
            blocks
                .iter()
                .any(|(a, b)| (*a == member.id && *b == id) || (*b == member.id && *a == id))
        };
        let mut scored: Vec<(u32, &Member)> = pool
            .iter()
            .filter(|m| m.id != member.id && !blocked(m.id))
            .map(|m| (overlap(member, m), m))
            .filter(|(score, _)| *score > 0)
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
        Ok(scored
            .into_iter()
            .take(SUGGESTIONS)
            .map(|(_, m)| m.clone())
            .collect())
    }

    pub(super) async fn expand_social(
        &self,
        job: &Job,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewJob>, StoreError> {
        match &job.payload {
            Payload::IntroExpire { intro } => {
                let Some(intro) = self
                    .store
                    .expire_intro(job.community_id, *intro, now)
                    .await?
                else {
                    return Ok(Vec::new());
                };
                let Some(requester) = self.store.member(job.community_id, intro.requester).await?
                else {
                    return Ok(Vec::new());
                };
                let community = self.community_by_id(job.community_id).await?;
                let locale = requester.locale_or(&community);
                Ok(vec![NewJob::notify_member(
                    community.id,
                    requester.id,
                    format!("intro-expired:{}", intro.id),
                    Reply::text(
                        locale,
                        i18n::t(locale, "intro.expired", &[("id", &intro.id.to_string())]),
                    ),
                    now,
                )])
            }
            Payload::ProfileNudge { member } => {
                let Some(m) = self.store.member(job.community_id, *member).await? else {
                    return Ok(Vec::new());
                };
                if !m.is_approved() {
                    return Ok(Vec::new());
                }
                let community = self.community_by_id(job.community_id).await?;
                let locale = m.locale_or(&community);
                let mut reply = render::profile_card(locale, &m, &m.profile, &m.hidden);
                reply.text = i18n::t(locale, "nudge.text", &[]);
                reply.form = Some(Form {
                    title: i18n::t(locale, "nudge.form_title", &[]),
                    command: "/alumni profile set".into(),
                    fields: ["company", "title", "location", "skills", "open_to"]
                        .into_iter()
                        .map(|k| FormField {
                            key: k.into(),
                            label: i18n::t(locale, &format!("field.{k}"), &[]),
                            required: false,
                            long: false,
                        })
                        .collect(),
                });
                Ok(vec![
                    NewJob::notify_member(
                        community.id,
                        m.id,
                        format!("nudge:{}:{}", m.id, job.due_at.timestamp()),
                        reply,
                        now,
                    ),
                    nudge_job(&community, m.id, job.due_at.max(now)),
                ])
            }
            _ => self.expand_coffee(job, now).await,
        }
    }
}

/// The welcome for a member just approved: a post in the welcome channel, a DM with people to
/// meet (`suggestions`), and the first profile nudge.
pub(super) fn welcome_jobs(
    community: &Community,
    member: &Member,
    suggestions: &[Member],
    now: DateTime<Utc>,
) -> Vec<NewJob> {
    let visible = member.profile.visible(&member.hidden);
    let locale = community.locale;
    let post = Reply::text(
        locale,
        i18n::t(
            locale,
            "welcome.post",
            &[("name", &visible.name), ("handle", &member.handle)],
        ),
    )
    .field(
        i18n::t(locale, "profile.summary", &[]),
        render::summary_line(locale, &visible),
    );
    let mut jobs = vec![NewJob {
        community_id: community.id,
        member_id: Some(member.id),
        event_id: None,
        payload: Payload::Notify {
            to: Target::Channel(community.welcome_channel.clone()),
            reply: post,
        },
        key: format!("welcome:{}", member.id),
        due_at: now,
        valid_until: None,
    }];
    if !suggestions.is_empty() {
        let locale = member.locale_or(community);
        let mut reply = Reply::text(locale, i18n::t(locale, "welcome.suggestions", &[]));
        for m in suggestions {
            let v = m.profile.visible(&m.hidden);
            reply = reply.field(
                format!("{} (@{})", v.name, m.handle),
                render::summary_line(locale, &v),
            );
        }
        jobs.push(NewJob::notify_member(
            community.id,
            member.id,
            format!("suggest:{}", member.id),
            reply,
            now,
        ));
    }
    jobs.push(nudge_job(community, member.id, now));
    jobs
}

struct IntroPeople {
    requester: Member,
    first: Member,
    second: Member,
}

/// How much two members have in common: department, overlapping years, shared skills and
/// interests (case-insensitive).
fn overlap(a: &Member, b: &Member) -> u32 {
    let (pa, pb) = (a.profile.visible(&a.hidden), b.profile.visible(&b.hidden));
    let mut score = 0;
    if pa.department.is_some() && pa.department == pb.department {
        score += 3;
    }
    if let (Some(aj), Some(al), Some(bj), Some(bl)) = (pa.joined, pa.left, pb.joined, pb.left)
        && aj <= bl
        && bj <= al
    {
        score += 2;
    }
    let shared = |x: &[String], y: &[String]| {
        x.iter()
            .filter(|s| y.iter().any(|t| t.eq_ignore_ascii_case(s)))
            .count() as u32
    };
    score + 2 * shared(&pa.skills, &pb.skills) + shared(&pa.interests, &pb.interests)
}

fn nudge_job(community: &Community, member: i64, from: DateTime<Utc>) -> NewJob {
    let due = from + TimeDelta::days(community.nudge_days);
    NewJob {
        community_id: community.id,
        member_id: Some(member),
        event_id: None,
        payload: Payload::ProfileNudge { member },
        key: format!("nudge-due:{member}:{}", due.timestamp()),
        due_at: due,
        valid_until: None,
    }
}

/// The DM asking `asked` whether to connect with `other`.
fn intro_request_job(
    c: &Community,
    intro: &Intro,
    requester: &Member,
    asked: &Member,
    other: &Member,
    now: DateTime<Utc>,
) -> NewJob {
    let locale = asked.locale_or(c);
    let visible = other.profile.visible(&other.hidden);
    let text = if intro.is_direct() {
        i18n::t(
            locale,
            "intro.request",
            &[("name", &visible.name), ("why", &intro.why)],
        )
    } else {
        i18n::t(
            locale,
            "intro.request_pair",
            &[
                ("connector", &requester.profile.name),
                ("name", &visible.name),
                ("why", &intro.why),
            ],
        )
    };
    let reply = Reply::text(locale, text)
        .field(
            format!("{} (@{})", visible.name, other.handle),
            render::summary_line(locale, &visible),
        )
        .button(
            i18n::t(locale, "button.accept", &[]),
            Action::IntroAnswer {
                intro: intro.id,
                accept: true,
            }
            .encode_in(c.id),
            ButtonStyle::Primary,
        )
        .button(
            i18n::t(locale, "button.decline", &[]),
            Action::IntroAnswer {
                intro: intro.id,
                accept: false,
            }
            .encode_in(c.id),
            ButtonStyle::Secondary,
        );
    let mut job = NewJob::notify_member(
        c.id,
        asked.id,
        format!("intro-ask:{}:m{}", intro.id, asked.id),
        reply,
        now,
    );
    job.valid_until = Some(intro.expires_at);
    job
}

/// What an answer leads to: connected (one conversation for both, with the reason and both
/// summaries), declined (the requester is told it did not work out; no reason, no name), or
/// still waiting for the other person.
fn outcome_jobs(c: &Community, intro: &Intro, p: &IntroPeople, now: DateTime<Utc>) -> Vec<NewJob> {
    match intro.status {
        IntroStatus::Connected => {
            let locale = c.locale;
            let mut reply = Reply::text(
                locale,
                i18n::t(locale, "intro.connected", &[("why", &intro.why)]),
            );
            for m in [&p.first, &p.second] {
                let v = m.profile.visible(&m.hidden);
                reply = reply.field(
                    format!("{} (@{})", v.name, m.handle),
                    render::summary_line(locale, &v),
                );
            }
            let mut jobs = vec![NewJob {
                community_id: c.id,
                member_id: Some(intro.requester),
                event_id: None,
                payload: Payload::Notify {
                    // In join order, so every platform lists them the same way.
                    to: Target::Group(if p.first.id < p.second.id {
                        vec![p.first.id, p.second.id]
                    } else {
                        vec![p.second.id, p.first.id]
                    }),
                    reply,
                },
                key: format!("intro-connected:{}", intro.id),
                due_at: now,
                valid_until: None,
            }];
            if !intro.is_direct() {
                let locale = p.requester.locale_or(c);
                jobs.push(NewJob::notify_member(
                    c.id,
                    p.requester.id,
                    format!("intro-done:{}", intro.id),
                    Reply::text(
                        locale,
                        i18n::t(
                            locale,
                            "intro.connected_connector",
                            &[("a", &p.first.profile.name), ("b", &p.second.profile.name)],
                        ),
                    ),
                    now,
                ));
            }
            jobs
        }
        IntroStatus::Declined => {
            let locale = p.requester.locale_or(c);
            vec![NewJob::notify_member(
                c.id,
                p.requester.id,
                format!("intro-declined:{}", intro.id),
                Reply::text(
                    locale,
                    i18n::t(
                        locale,
                        "intro.did_not_work_out",
                        &[("id", &intro.id.to_string())],
                    ),
                ),
                now,
            )]
        }
        _ => Vec::new(),
    }
}
