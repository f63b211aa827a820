//! Joining, approval, roles, leaving (with erasure), community setup.

use super::{Core, Ctx, render};
use crate::action::Action;
use crate::command::{CommunityPatch, MemberRef, ProfilePatch};
use crate::domain::{CommunityId, Member, MemberId, MemberStatus, Profile, Role};
use crate::error::{CoreError, UserError};
use crate::i18n;
use crate::jobs::NewJob;
use crate::reply::{ButtonStyle, Effect, Form, FormField, Reply};
use crate::store::{NewMember, RosterEntry};

/// Most rows a list reply shows; the rest are counted.
const LIST_LIMIT: u32 = 25;

impl Core {
    pub(super) async fn join(
        &self,
        ctx: &Ctx<'_>,
        patch: ProfilePatch,
    ) -> Result<Reply, CoreError> {
        if let Some(existing) = &ctx.member {
            match existing.status {
                MemberStatus::Approved => return Err(UserError::new("error.already_member").into()),
                // A personal code approves someone already waiting.
                MemberStatus::Pending if patch.code.is_none() => {
                    return Err(UserError::new("error.already_pending").into());
                }
                _ => {}
            }
        }
        // HR's roster vouches for a joiner by their personal code or, where approval is
        // required, by their platform handle.
        let verified = match &patch.code {
            Some(code) => Some(self.roster_for_code(ctx, code).await?),
            None if ctx.member.is_none() && ctx.community.requires_approval => {
                self.roster_verified(ctx).await?
            }
            None => None,
        };
        let status = if ctx.community.requires_approval && verified.is_none() {
            MemberStatus::Pending
        } else {
            MemberStatus::Approved
        };
        if let Some(existing) = &ctx.member {
            return self
                .rejoin(ctx, existing.clone(), patch, status, verified)
                .await;
        }
        let consent = self.join_consent(ctx, patch.agree).await?;
        let mut profile = Profile::default();
        patch.apply(&mut profile);
        let filled = verified
            .as_ref()
            .is_some_and(|e| super::roster::fill_from_roster(&mut profile, e));
        let role = verified.as_ref().map_or(Role::Member, |e| e.role);
        let new = NewMember {
            identity: ctx.actor.identity.clone(),
            status,
            role,
            profile,
            locale: patch.locale.or(ctx.actor.locale),
            timezone: patch.timezone.clone(),
        };
        let admins = self
            .store
            .members_with_role(ctx.community.id, Role::Admin)
            .await?;
        let now = self.now();
        let community = ctx.community.clone();
        // An open community welcomes at once; people to meet are chosen from the profile.
        let suggestions = if status == MemberStatus::Approved {
            let provisional = Member {
                id: 0,
                community_id: ctx.community.id,
                status,
                role,
                profile: new.profile.clone(),
                hidden: Vec::new(),
                locale: new.locale,
                handle: new.identity.handle.clone(),
                timezone: None,
                created_at: now,
            };
            self.suggestions(&ctx.community, &provisional).await?
        } else {
            Vec::new()
        };
        let jobs = move |m: &Member| {
            if m.status == MemberStatus::Pending {
                waiting_notices(&community, m, &admins, now)
            } else {
                super::intros::welcome_jobs(&community, m, &suggestions, now)
            }
        };
        let member = match &verified {
            None => {
                self.store
                    .insert_member(ctx.community.id, &new, &jobs, now)
                    .await?
            }
            Some(entry) => self
                .store
                .insert_claiming_member(ctx.community.id, &new, &entry.claim(), &jobs, now)
                .await?
                .ok_or_else(|| super::roster::claim_lost(&patch))?,
        };
        self.record_join_consent(&member, consent).await?;
        self.jobs_written.notify_one();
        let locale = member.locale_or(&ctx.community);
        let mut reply = joined_reply(locale, &member, &ctx.community.name);
        if filled {
            reply = super::roster::with_roster_note(reply, locale, &member.profile);
        }
        self.with_standing(reply, ctx.community.id, &member).await
    }

    /// A join that made someone a member at once (an open community, a roster match) changes
    /// the role they should hold; a pending one does not yet.
    async fn with_standing(
        &self,
        reply: Reply,
        community: CommunityId,
        member: &Member,
    ) -> Result<Reply, CoreError> {
        Ok(if member.is_approved() {
            reply.with_effect(self.standing(community, member.id).await?)
        } else {
            reply
        })
    }

    /// `member`'s standing changed: named with the identities they have now (read before an
    /// erasure, which leaves none).
    pub(super) async fn standing(
        &self,
        community: CommunityId,
        member: MemberId,
    ) -> Result<Effect, CoreError> {
        Ok(Effect::StandingChanged {
            member,
            identities: self.store.identities(community, member).await?,
        })
    }

    async fn rejoin(
        &self,
        ctx: &Ctx<'_>,
        mut member: Member,
        patch: ProfilePatch,
        status: MemberStatus,
        verified: Option<RosterEntry>,
    ) -> Result<Reply, CoreError> {
        let consent = self.join_consent(ctx, patch.agree).await?;
        patch.apply(&mut member.profile);
        let filled = verified
            .as_ref()
            .is_some_and(|e| super::roster::fill_from_roster(&mut member.profile, e));
        if patch.locale.is_some() {
            member.locale = patch.locale;
        }
        self.store.update_profile(&member, self.now()).await?;
        let admins = self
            .store
            .members_with_role(ctx.community.id, Role::Admin)
            .await?;
        member.status = status;
        let jobs = if status == MemberStatus::Pending {
            waiting_notices(&ctx.community, &member, &admins, self.now())
        } else {
            Vec::new()
        };
        let from = ctx.member.as_ref().map_or(MemberStatus::Left, |m| m.status);
        match &verified {
            None => {
                if !self
                    .store
                    .transition(ctx.community.id, member.id, from, status, &jobs, self.now())
                    .await?
                {
                    return Err(UserError::new("error.changed_meanwhile").into());
                }
            }
            Some(entry) => {
                member.role = entry.role;
                if !self
                    .store
                    .approve_claiming_member(
                        ctx.community.id,
                        member.id,
                        &ctx.actor.identity,
                        from,
                        &entry.claim(),
                        self.now(),
                    )
                    .await?
                {
                    return Err(super::roster::claim_lost(&patch).into());
                }
            }
        }
        self.record_join_consent(&member, consent).await?;
        self.jobs_written.notify_one();
        let locale = member.locale_or(&ctx.community);
        let mut reply = joined_reply(locale, &member, &ctx.community.name);
        if filled {
            reply = super::roster::with_roster_note(reply, locale, &member.profile);
        }
        self.with_standing(reply, ctx.community.id, &member).await
    }

    pub(super) async fn pending(&self, ctx: &Ctx<'_>) -> Result<Reply, CoreError> {
        ctx.require_staff()?;
        let waiting = self
            .store
            .members_with_status(ctx.community.id, MemberStatus::Pending, LIST_LIMIT + 1)
            .await?;
        if waiting.is_empty() {
            return Ok(ctx.reply("pending.none", &[]).private());
        }
        let shown = waiting.len().min(LIST_LIMIT as usize);
        let mut reply = ctx
            .reply("pending.heading", &[("count", &waiting.len().to_string())])
            .private();
        let can_decide = ctx.require_admin().is_ok();
        for m in &waiting[..shown] {
            reply = reply.field(
                format!("{} (@{})", m.profile.name, m.handle),
                render::summary_line(ctx.locale, &m.profile),
            );
            if can_decide {
                reply = decision_buttons(reply, ctx.locale, m);
            }
        }
        Ok(reply)
    }

    pub(super) async fn approve(&self, ctx: &Ctx<'_>, who: &MemberRef) -> Result<Reply, CoreError> {
        ctx.require_admin()?;
        let target = self.find(ctx, who).await?;
        self.approve_member(ctx, target).await
    }

    pub(super) async fn approve_by_id(
        &self,
        ctx: &Ctx<'_>,
        id: MemberId,
    ) -> Result<Reply, CoreError> {
        ctx.require_admin()?;
        let target = self.find_by_id(ctx, id).await?;
        self.approve_member(ctx, target).await
    }

    async fn approve_member(&self, ctx: &Ctx<'_>, target: Member) -> Result<Reply, CoreError> {
        let name = target.profile.name.clone();
        if target.status != MemberStatus::Pending {
            return Err(not_pending(&target).into());
        }
        let locale = target.locale_or(&ctx.community);
        let notice = Reply::text(
            locale,
            i18n::t(
                locale,
                "approve.notice",
                &[("community", &ctx.community.name)],
            ),
        );
        let job = NewJob::notify_member(
            ctx.community.id,
            target.id,
            format!("approved:{}:{}", target.id, self.now().timestamp_micros()),
            notice,
            self.now(),
        );
        let suggestions = self.suggestions(&ctx.community, &target).await?;
        let mut jobs = vec![job];
        jobs.extend(super::intros::welcome_jobs(
            &ctx.community,
            &target,
            &suggestions,
            self.now(),
        ));
        if !self
            .store
            .transition(
                ctx.community.id,
                target.id,
                MemberStatus::Pending,
                MemberStatus::Approved,
                &jobs,
                self.now(),
            )
            .await?
        {
            return Err(UserError::new("error.changed_meanwhile").into());
        }
        self.jobs_written.notify_one();
        self.audit(ctx, "approve", Some(target.id), String::new())
            .await?;
        let standing = self.standing(ctx.community.id, target.id).await?;
        Ok(ctx
            .reply("approve.done", &[("name", &name)])
            .with_effect(standing))
    }

    pub(super) async fn reject(
        &self,
        ctx: &Ctx<'_>,
        who: &MemberRef,
        reason: Option<String>,
    ) -> Result<Reply, CoreError> {
        ctx.require_admin()?;
        let target = self.find(ctx, who).await?;
        if target.status != MemberStatus::Pending {
            return Err(not_pending(&target).into());
        }
        let locale = target.locale_or(&ctx.community);
        let mut text = i18n::t(
            locale,
            "reject.notice",
            &[("community", &ctx.community.name)],
        );
        if let Some(reason) = &reason {
            text.push('\n');
            text.push_str(&i18n::t(locale, "reject.reason", &[("reason", reason)]));
        }
        let job = NewJob::notify_member(
            ctx.community.id,
            target.id,
            format!("rejected:{}:{}", target.id, self.now().timestamp_micros()),
            Reply::text(locale, text),
            self.now(),
        );
        if !self
            .store
            .transition(
                ctx.community.id,
                target.id,
                MemberStatus::Pending,
                MemberStatus::Rejected,
                &[job],
                self.now(),
            )
            .await?
        {
            return Err(UserError::new("error.changed_meanwhile").into());
        }
        self.jobs_written.notify_one();
        self.audit(ctx, "reject", Some(target.id), reason.unwrap_or_default())
            .await?;
        let standing = self.standing(ctx.community.id, target.id).await?;
        Ok(ctx
            .reply("reject.done", &[("name", &target.profile.name)])
            .with_effect(standing))
    }

    /// The Reject button asks for an optional reason first (a modal on the platforms).
    pub(super) async fn reject_form(
        &self,
        ctx: &Ctx<'_>,
        id: MemberId,
    ) -> Result<Reply, CoreError> {
        ctx.require_admin()?;
        let target = self.find_by_id(ctx, id).await?;
        if target.status != MemberStatus::Pending {
            return Err(not_pending(&target).into());
        }
        // By id: a handle may be shared, or renamed before the form comes back.
        let reference = self.reference(ctx, &target).await?;
        let mut reply = ctx
            .reply("reject.form_intro", &[("name", &target.profile.name)])
            .private();
        reply.form = Some(Form {
            title: ctx.t("reject.form_title", &[]),
            command: format!("/alumni reject {reference}"),
            fields: vec![FormField {
                key: "reason".into(),
                label: ctx.t("reject.form_reason", &[]),
                required: false,
                long: true,
            }],
        });
        Ok(reply)
    }

    pub(super) async fn set_role(
        &self,
        ctx: &Ctx<'_>,
        who: &MemberRef,
        role: Role,
    ) -> Result<Reply, CoreError> {
        let me = ctx.require_admin()?;
        let target = self.find(ctx, who).await?;
        if !target.is_approved() {
            return Err(UserError::new("error.target_not_approved")
                .arg("name", target.profile.name)
                .into());
        }
        if target.id == me.id && role != Role::Admin {
            let admins = self
                .store
                .members_with_role(ctx.community.id, Role::Admin)
                .await?;
            if admins.len() <= 1 {
                return Err(UserError::new("error.last_admin").into());
            }
        }
        self.store
            .set_role(ctx.community.id, target.id, role, self.now())
            .await?;
        // Role keys, localized when the log is read.
        let change = format!("{} → {}", target.role.as_str(), role.as_str());
        self.audit(ctx, "role", Some(target.id), change).await?;
        let role_name = ctx.t(&format!("role.{}", role.as_str()), &[]);
        let standing = self.standing(ctx.community.id, target.id).await?;
        Ok(ctx
            .reply(
                "role.done",
                &[("name", &target.profile.name), ("role", &role_name)],
            )
            .with_effect(standing))
    }

    pub(super) async fn leave(&self, ctx: &Ctx<'_>, delete: bool) -> Result<Reply, CoreError> {
        let Some(me) = &ctx.member else {
            return Err(UserError::new("error.not_a_member").into());
        };
        if me.role == Role::Admin {
            let admins = self
                .store
                .members_with_role(ctx.community.id, Role::Admin)
                .await?;
            if admins.len() <= 1 && me.is_approved() {
                return Err(UserError::new("error.last_admin").into());
            }
        }
        if delete {
            let identities = self.erase_me(ctx, me).await?;
            tracing::info!(community = ctx.community.id, "member erased their data");
            return Ok(ctx.reply("leave.erased", &[]).private().with_effect(
                Effect::StandingChanged {
                    member: me.id,
                    identities,
                },
            ));
        }
        if me.status == MemberStatus::Left {
            return Err(UserError::new("error.not_a_member").into());
        }
        self.store
            .transition(
                ctx.community.id,
                me.id,
                me.status,
                MemberStatus::Left,
                &[],
                self.now(),
            )
            .await?;
        let standing = self.standing(ctx.community.id, me.id).await?;
        Ok(ctx.reply("leave.done", &[]).private().with_effect(standing))
    }

    pub(super) async fn setup(
        &self,
        ctx: &Ctx<'_>,
        patch: CommunityPatch,
    ) -> Result<Reply, CoreError> {
        ctx.require_admin()?;
        let mut c = ctx.community.clone();
        if !patch.is_empty() {
            let detail = setup_detail(&patch);
            if let Some(name) = patch.name {
                c.name = name;
            }
            if let Some(approval) = patch.approval {
                c.requires_approval = approval;
            }
            if let Some(locale) = patch.locale {
                c.locale = locale;
            }
            if let Some(tz) = patch.timezone {
                c.timezone = tz;
            }
            if let Some(days) = patch.intro_days {
                c.intro_days = days;
            }
            if let Some(limit) = patch.intro_limit {
                c.intro_limit = limit;
            }
            if let Some(on) = patch.employee_intros {
                c.employee_intros = on;
            }
            if let Some(days) = patch.nudge_days {
                c.nudge_days = days;
            }
            if let Some(channel) = patch.welcome_channel {
                c.welcome_channel = channel;
            }
            if let Some(role) = patch.member_role {
                c.member_role = Some(role).filter(|r| !r.is_empty());
            }
            self.store.update_community(&c).await?;
            self.audit(ctx, "setup", None, detail).await?;
        }
        let approval = ctx.t(
            if c.requires_approval {
                "setup.approval_on"
            } else {
                "setup.approval_off"
            },
            &[],
        );
        let reply = ctx
            .reply("setup.heading", &[])
            .private()
            .field(ctx.t("setup.name", &[]), c.name.clone())
            .field(ctx.t("setup.approval", &[]), approval)
            .field(ctx.t("setup.locale", &[]), c.locale.as_str())
            .field(ctx.t("setup.timezone", &[]), c.timezone.clone())
            .field(
                ctx.t("setup.intros", &[]),
                ctx.t(
                    "setup.intros_value",
                    &[
                        ("days", &c.intro_days.to_string()),
                        ("limit", &c.intro_limit.to_string()),
                        (
                            "employees",
                            &ctx.t(
                                if c.employee_intros {
                                    "setup.yes"
                                } else {
                                    "setup.no"
                                },
                                &[],
                            ),
                        ),
                    ],
                ),
            )
            .field(
                ctx.t("setup.nudge", &[]),
                ctx.t("setup.nudge_value", &[("days", &c.nudge_days.to_string())]),
            )
            .field(
                ctx.t("setup.welcome", &[]),
                format!("#{}", c.welcome_channel),
            );
        Ok(match &c.member_role {
            // A role mention, which Discord (the only platform with roles) shows by name.
            Some(role) => reply.field(ctx.t("setup.member_role", &[]), format!("<@&{role}>")),
            None => reply,
        })
    }

    /// A member of this community by `@handle` or platform id.
    pub(super) async fn find(&self, ctx: &Ctx<'_>, who: &MemberRef) -> Result<Member, CoreError> {
        let found = if who.by_id {
            let id = &ctx.actor.identity;
            self.store
                .member_by_identity(ctx.community.id, id.platform, &who.name)
                .await?
        } else {
            let mut all = self
                .store
                .members_by_handle(ctx.community.id, &who.name, MAX_CHOICES)
                .await?;
            if all.len() > 1 {
                return Err(self.ambiguous(ctx, &who.name, &all).await?.into());
            }
            all.pop()
        };
        found.ok_or_else(|| {
            UserError::new("error.no_such_member")
                .arg("name", who.name.clone())
                .into()
        })
    }

    /// `@handle` names more than one member: never guess (the oldest was picked before);
    /// list them, each with the reference that names only them.
    async fn ambiguous(
        &self,
        ctx: &Ctx<'_>,
        handle: &str,
        members: &[Member],
    ) -> Result<UserError, CoreError> {
        let mut choices = Vec::new();
        for m in members {
            let reference = self.reference(ctx, m).await?;
            choices.push(format!("{} (@{}) — {reference}", m.profile.name, m.handle));
        }
        Ok(UserError::new("error.ambiguous_member")
            .arg("name", handle)
            .arg("choices", choices.join("\n")))
    }

    /// A mention naming exactly this member in a command the asker types or submits: their
    /// platform id (`<@U123>`, what Slack and Discord write for a picked user) on the
    /// asker's platform.
    async fn reference(&self, ctx: &Ctx<'_>, m: &Member) -> Result<String, CoreError> {
        let ids = self.store.identities(ctx.community.id, m.id).await?;
        let platform = ctx.actor.identity.platform;
        Ok(ids
            .iter()
            .find(|i| i.platform == platform)
            .map_or_else(|| format!("@{}", m.handle), |i| format!("<@{}>", i.user_id)))
    }

    async fn find_by_id(&self, ctx: &Ctx<'_>, id: MemberId) -> Result<Member, CoreError> {
        self.store
            .member(ctx.community.id, id)
            .await?
            .ok_or_else(|| {
                UserError::new("error.no_such_member")
                    .arg("name", format!("#{id}"))
                    .into()
            })
    }
}

/// Members an ambiguous `@handle` error lists.
const MAX_CHOICES: u32 = 10;

fn not_pending(target: &Member) -> UserError {
    UserError::new("error.not_pending")
        .arg("name", target.profile.name.clone())
        .arg("status", target.status.as_str())
}

fn decision_buttons(reply: Reply, locale: i18n::Locale, m: &Member) -> Reply {
    reply
        .button(
            format!(
                "{} {}",
                i18n::t(locale, "button.approve", &[]),
                m.profile.name
            ),
            Action::Approve(m.id).encode_in(m.community_id),
            ButtonStyle::Primary,
        )
        .button(
            format!(
                "{} {}",
                i18n::t(locale, "button.reject", &[]),
                m.profile.name
            ),
            Action::Reject(m.id).encode_in(m.community_id),
            ButtonStyle::Danger,
        )
}

/// "Someone waits for approval", to each admin in their own language, with the buttons.
fn waiting_notices(
    community: &crate::domain::Community,
    member: &Member,
    admins: &[Member],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<NewJob> {
    admins
        .iter()
        .map(|admin| {
            let locale = admin.locale_or(community);
            let text = i18n::t(
                locale,
                "join.admin_notice",
                &[("name", &member.profile.name), ("handle", &member.handle)],
            );
            let reply = decision_buttons(Reply::text(locale, text), locale, member).field(
                i18n::t(locale, "profile.summary", &[]),
                render::summary_line(locale, &member.profile),
            );
            let mut job = NewJob::notify_member(
                community.id,
                admin.id,
                // One notice per joiner per admin per day: a join / leave loop cannot flood
                // the admins (a repeat today keeps the first; its buttons still act).
                format!("waiting:{}:{}:{}", member.id, admin.id, now.date_naive()),
                reply,
                now,
            );
            // The notice is about the joiner: erasing them erases it too.
            job.member_id = Some(member.id);
            job
        })
        .collect()
}

fn joined_reply(locale: i18n::Locale, member: &Member, community: &str) -> Reply {
    let key = if member.status == MemberStatus::Pending {
        "join.pending"
    } else {
        "join.welcome"
    };
    Reply::text(
        locale,
        i18n::t(
            locale,
            key,
            &[("name", &member.profile.name), ("community", community)],
        ),
    )
    .private()
}

/// A setup change for the audit log, in the command's own `key:value` terms (the same in
/// either language).
fn setup_detail(p: &CommunityPatch) -> String {
    let on_off = |b: bool| if b { "on" } else { "off" };
    let mut parts = Vec::new();
    if let Some(v) = &p.name {
        parts.push(format!("name:\"{v}\""));
    }
    if let Some(v) = p.approval {
        parts.push(format!("approval:{}", on_off(v)));
    }
    if let Some(v) = p.locale {
        parts.push(format!("locale:{}", v.as_str()));
    }
    if let Some(v) = &p.timezone {
        parts.push(format!("timezone:{v}"));
    }
    if let Some(v) = p.intro_days {
        parts.push(format!("intro_days:{v}"));
    }
    if let Some(v) = p.intro_limit {
        parts.push(format!("intro_limit:{v}"));
    }
    if let Some(v) = p.employee_intros {
        parts.push(format!("employee_intros:{}", on_off(v)));
    }
    if let Some(v) = p.nudge_days {
        parts.push(format!("nudge_days:{v}"));
    }
    if let Some(v) = &p.welcome_channel {
        parts.push(format!("welcome_channel:#{v}"));
    }
    if let Some(v) = &p.member_role {
        parts.push(format!(
            "member_role:{}",
            if v.is_empty() { "none" } else { v }
        ));
    }
    parts.join(" ")
}
