//! The funnel every platform converges on: an `Actor` plus a `Command` or an `Action` in,
//! a `Reply` out. Permissions, tenancy and validation are checked here, never only in a
//! platform setting.

mod broadcast;
mod coffee;
mod events;
mod intros;
mod jobs_board;
mod membership;
mod platform_admin;
mod privacy;
mod profile;
mod render;
mod roster;
mod stats;
pub mod when;

use std::sync::Arc;

use tokio::sync::Notify;

use crate::action::Action;
use crate::clock::Clock;
use crate::command::{self, Alumni, Command};
use crate::domain::{Community, Identity, Member, MemberStatus, Platform, Profile, Role};
use crate::error::{CoreError, UserError};
use crate::i18n::{self, Locale};
use crate::reply::Reply;
use crate::store::{NewCommunity, NewMember, Store};

/// Who is asking: their platform identity, and what the platform knows about them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub identity: Identity,
    /// The platform's user locale, where it tells us (Discord interactions do).
    pub locale: Option<Locale>,
    /// The platform says this person runs the space (Discord owner or Administrator, Slack
    /// workspace admin or owner). A typed command with it false demotes an admin who was one
    /// only because of it (see [`Core::handle_text_unsure`] for when the platform cannot say).
    pub platform_admin: bool,
}

#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Who is an admin from the start (`ALUMNI_ADMINS`): a platform user id (shell: a name),
    /// an admin only in the configured single spaces ([`Core::bootstrap`]: `DISCORD_GUILD_ID`,
    /// the `SLACK_BOT_TOKEN` team, the shell), or `SPACE:USER`, an admin in that space only.
    /// Never in every server or workspace the bot is added to.
    pub bootstrap_admins: Vec<String>,
    /// How a community is set up the first time its space is seen.
    pub community_defaults: NewCommunity,
}

/// One request's context: the community, the asking member (if they have joined) and the
/// locale to answer in.
pub(crate) struct Ctx<'a> {
    pub actor: &'a Actor,
    pub community: Community,
    pub member: Option<Member>,
    pub locale: Locale,
    /// The zone the asker reads times in.
    pub tz: chrono_tz::Tz,
}

impl Ctx<'_> {
    pub fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        i18n::t(self.locale, key, args)
    }

    pub fn reply(&self, key: &str, args: &[(&str, &str)]) -> Reply {
        Reply::text(self.locale, self.t(key, args)).in_tz(self.tz)
    }

    /// The asking member, who must have joined and been approved.
    pub fn approved(&self) -> Result<&Member, UserError> {
        match &self.member {
            Some(m) if m.is_approved() => Ok(m),
            Some(m) if m.status == MemberStatus::Pending => {
                Err(UserError::new("error.still_pending"))
            }
            _ => Err(UserError::new("error.not_a_member")),
        }
    }

    /// The asking member with at least `role` (approved).
    pub fn require_role(&self, role: Role) -> Result<&Member, UserError> {
        let m = self
            .approved()
            .map_err(|_| UserError::new("error.forbidden"))?;
        if m.role >= role {
            Ok(m)
        } else {
            Err(UserError::new("error.forbidden"))
        }
    }

    pub fn require_staff(&self) -> Result<&Member, UserError> {
        self.require_role(Role::Supporter)
    }

    pub fn require_admin(&self) -> Result<&Member, UserError> {
        self.require_role(Role::Admin)
    }
}

pub struct Core {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: CoreConfig,
    /// Woken when a job is written, so the scheduler need not poll.
    pub(crate) jobs_written: Arc<Notify>,
    /// What the running parts report (platform connections, HTTP), for `/healthz`.
    health: crate::health::Health,
    /// The configured single spaces, where unscoped `ALUMNI_ADMINS` are admins.
    home_spaces: std::sync::Mutex<std::collections::HashSet<(Platform, String)>>,
}

impl Core {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: CoreConfig) -> Core {
        Core {
            store,
            clock,
            config,
            jobs_written: Arc::new(Notify::new()),
            health: crate::health::Health::default(),
            home_spaces: std::sync::Mutex::default(),
        }
    }

    /// What the running parts report about themselves (`/healthz`).
    pub fn health(&self) -> &crate::health::Health {
        &self.health
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// What a community starts with when a new space is first seen (adapters that create the
    /// community before anyone types, e.g. on a Slack install).
    pub fn community_defaults(&self) -> &NewCommunity {
        &self.config.community_defaults
    }

    /// Notified whenever a command wrote jobs; the scheduler waits on it.
    pub fn jobs_written(&self) -> Arc<Notify> {
        self.jobs_written.clone()
    }

    /// A typed line (`/alumni join …`), through the one grammar.
    pub async fn handle_text(&self, actor: &Actor, line: &str) -> Reply {
        match command::parse(line) {
            Ok(command) => self.handle(actor, command).await,
            Err(e) => self.error_reply(actor, &e).await,
        }
    }

    /// As [`Core::handle_text`], when the platform could not say whether the asker is its
    /// admin (a Discord form submitted in a DM carries no member permissions; Slack's
    /// `users.info` failed): `platform_admin: false` then means "unknown", and an admin made
    /// by the platform keeps their role.
    pub async fn handle_text_unsure(&self, actor: &Actor, line: &str) -> Reply {
        match command::parse(line) {
            Ok(command) => self.run(actor, command, false).await,
            Err(e) => self.error_reply(actor, &e).await,
        }
    }

    /// A command (from the grammar, or built by an adapter from typed options).
    pub async fn handle(&self, actor: &Actor, command: Command) -> Reply {
        self.run(actor, command, true).await
    }

    /// As [`Core::handle`], when the platform could not say whether the asker is its admin.
    pub async fn handle_unsure(&self, actor: &Actor, command: Command) -> Reply {
        self.run(actor, command, false).await
    }

    async fn run(&self, actor: &Actor, command: Command, admin_known: bool) -> Reply {
        crate::store::command_scope(self.run_scoped(actor, command, admin_known)).await
    }

    async fn run_scoped(&self, actor: &Actor, command: Command, admin_known: bool) -> Reply {
        let result = async {
            let mut ctx = self.context(actor).await?;
            if admin_known {
                self.recheck_platform_admin(&mut ctx).await?;
            }
            let reply = self.dispatch(&ctx, command).await;
            Ok::<_, CoreError>((ctx.locale, reply))
        }
        .await;
        self.finish(actor, result).await
    }

    /// A button press or form submission, by its encoded action id.
    pub async fn handle_action(&self, actor: &Actor, action_id: &str) -> Reply {
        crate::store::command_scope(self.action_scoped(actor, action_id)).await
    }

    async fn action_scoped(&self, actor: &Actor, action_id: &str) -> Reply {
        let result = async {
            let action = Action::decode(action_id)?;
            let ctx = self.context(actor).await?;
            // A button issued in another community is refused as forged, whatever it names.
            if Action::community_of(action_id).is_some_and(|c| c != ctx.community.id) {
                return Err(UserError::new("error.bad_action")
                    .arg("id", action_id.chars().take(100).collect::<String>())
                    .into());
            }
            if !matches!(action, Action::Agree { .. })
                && let Some(ask) = self.consent_needed(&ctx).await?
            {
                return Ok((ctx.locale, Ok(ask)));
            }
            let reply = match action {
                Action::Approve(id) => self.approve_by_id(&ctx, id).await,
                Action::Reject(id) => self.reject_form(&ctx, id).await,
                Action::Rsvp {
                    event,
                    occurrence,
                    choice,
                } => self.rsvp_button(&ctx, event, occurrence, choice).await,
                Action::IntroAnswer { intro, accept } => {
                    self.answer_intro(&ctx, intro, accept).await
                }
                Action::CoffeeSkip { round } => self.coffee_skip(&ctx, round).await,
                Action::CoffeeMet { group, met } => self.coffee_met(&ctx, group, met).await,
                Action::Agree { version } => self.agree(&ctx, Some(version)).await,
                Action::Broadcast { id } => self.broadcast_confirm(&ctx, id).await,
                Action::JobInterest { id } => self.job_interest(&ctx, id).await,
            };
            Ok::<_, CoreError>((ctx.locale, reply))
        }
        .await;
        self.finish(actor, result).await
    }

    async fn finish(
        &self,
        actor: &Actor,
        result: Result<(Locale, Result<Reply, CoreError>), CoreError>,
    ) -> Reply {
        match result {
            Ok((_, Ok(reply))) => reply,
            Ok((locale, Err(e))) => render_error(locale, &e),
            Err(CoreError::User(e)) => self.error_reply(actor, &e).await,
            Err(e) => render_error(actor.locale.unwrap_or_default(), &e),
        }
    }

    async fn dispatch(&self, ctx: &Ctx<'_>, command: Command) -> Result<Reply, CoreError> {
        if let Some(ask) = self.consent_gate(ctx, &command).await? {
            return Ok(ask);
        }
        let a = match command {
            Command::Admin(a) => return self.admin_command(ctx, a).await,
            Command::Job(j) => return self.job_command(ctx, j).await,
            Command::Alumni(a) => a,
            Command::Event(e) => return self.event_command(ctx, e).await,
            Command::Intro(i) => return self.intro_command(ctx, i).await,
            Command::Coffee(c) => return self.coffee_command(ctx, c).await,
        };
        match a {
            Alumni::Join(patch) => self.join(ctx, patch).await,
            Alumni::Pending => self.pending(ctx).await,
            Alumni::Approve(who) => self.approve(ctx, &who).await,
            Alumni::Reject { member, reason } => self.reject(ctx, &member, reason).await,
            Alumni::Profile(who) => self.show_profile(ctx, who.as_ref()).await,
            Alumni::ProfileSet(patch) => self.set_profile(ctx, patch).await,
            Alumni::ProfileHide(fields) => self.set_hidden(ctx, &fields, true).await,
            Alumni::ProfileShow(fields) => self.set_hidden(ctx, &fields, false).await,
            Alumni::Search { query, page } => self.search(ctx, &query, page).await,
            Alumni::Role { member, role } => self.set_role(ctx, &member, role).await,
            Alumni::Leave { delete } => self.leave(ctx, delete).await,
            Alumni::Help(topic) => Ok(render::help(ctx.locale, topic.as_deref())),
            Alumni::Setup(patch) => self.setup(ctx, patch).await,
            Alumni::Block(who) => self.block(ctx, &who, true).await,
            Alumni::Unblock(who) => self.block(ctx, &who, false).await,
            Alumni::MyData => self.my_data(ctx).await,
            Alumni::Agree => self.agree(ctx, None).await,
            Alumni::Notify(on) => self.set_notify(ctx, on).await,
        }
    }

    async fn admin_command(
        &self,
        ctx: &Ctx<'_>,
        command: command::admin::Admin,
    ) -> Result<Reply, CoreError> {
        use command::admin::Admin;
        match command {
            Admin::Purpose(text) => self.purpose(ctx, text).await,
            Admin::Audit { page } => self.audit_log(ctx, page).await,
            Admin::Import { csv, skip_bad } => self.admin_import(ctx, csv, skip_bad).await,
            Admin::Export => self.admin_export(ctx).await,
            Admin::ExportRoster { status } => self.admin_export_roster(ctx, status).await,
            Admin::Roster { page } => self.admin_roster(ctx, page).await,
            Admin::SegmentSave { name, query } => self.segment_save(ctx, name, query).await,
            Admin::SegmentList => self.segment_list(ctx).await,
            Admin::Stats => self.stats(ctx).await,
            Admin::Broadcast { segment, message } => {
                self.broadcast_preview(ctx, &segment, &message).await
            }
        }
    }

    /// Make sure a space's community exists and the `ALUMNI_ADMINS` are its admins, before
    /// anyone types: the first joiner's "someone waits" notice then has an admin to reach.
    /// An adapter calls it for each space it serves; the shell at start.
    /// Whether the actor is an approved admin of their community: adapters ask before they
    /// fetch something only an admin may hand over (an imported roster's file).
    pub async fn is_admin(&self, actor: &Actor) -> bool {
        match self.context(actor).await {
            Ok(ctx) => ctx.require_admin().is_ok(),
            Err(_) => false,
        }
    }

    /// A configured single space (`DISCORD_GUILD_ID`, the `SLACK_BOT_TOKEN` team, the shell):
    /// unscoped `ALUMNI_ADMINS` are admins here, set up now so joiners have someone to approve
    /// them before any admin has typed.
    pub async fn bootstrap(&self, platform: Platform, space_id: &str) -> Result<(), CoreError> {
        self.home_spaces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((platform, space_id.to_owned()));
        self.space_seen(platform, space_id).await
    }

    /// A space the bot was added to (a Discord server, an OAuth-installed workspace): the
    /// `ALUMNI_ADMINS` that apply there (written `SPACE:USER` for it, or unscoped in a home
    /// space) get their admin row.
    pub async fn space_seen(&self, platform: Platform, space_id: &str) -> Result<(), CoreError> {
        for admin in &self.config.bootstrap_admins {
            let user = match admin.split_once(':') {
                Some((space, user)) if space == space_id => user,
                Some(_) => continue,
                None => admin,
            };
            let actor = Actor {
                identity: Identity {
                    platform,
                    space_id: space_id.to_owned(),
                    user_id: user.to_owned(),
                    handle: user.to_owned(),
                },
                locale: None,
                platform_admin: false,
            };
            if self.is_bootstrap_admin(&actor.identity) {
                self.context(&actor).await?;
            }
        }
        Ok(())
    }

    /// The person who added the bot to a space (a Slack workspace's installer) becomes an
    /// approved admin there, as a platform admin would.
    pub async fn first_admin(
        &self,
        platform: Platform,
        space_id: &str,
        user_id: &str,
    ) -> Result<(), CoreError> {
        let actor = Actor {
            identity: Identity {
                platform,
                space_id: space_id.to_owned(),
                user_id: user_id.to_owned(),
                handle: user_id.to_owned(),
            },
            locale: None,
            platform_admin: true,
        };
        let ctx = self.context(&actor).await?;
        // The installer stays an admin whatever their workspace role becomes.
        if let Some(m) = &ctx.member {
            self.store
                .set_admin_source(ctx.community.id, m.id, None)
                .await?;
        }
        Ok(())
    }

    /// Whether `ALUMNI_ADMINS` names this person for this space.
    fn is_bootstrap_admin(&self, id: &Identity) -> bool {
        // The shell is one space by nature: its names are always at home.
        let home = || {
            id.platform == Platform::Shell
                || self
                    .home_spaces
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .contains(&(id.platform, id.space_id.clone()))
        };
        self.config
            .bootstrap_admins
            .iter()
            .any(|a| match a.split_once(':') {
                Some((space, user)) => space == id.space_id && user == id.user_id,
                None => a == &id.user_id && home(),
            })
    }

    /// Resolve the community and the asking member. Bootstrap admins get an approved admin
    /// row the first time they appear, so a new community has someone to approve joiners.
    async fn context<'a>(&self, actor: &'a Actor) -> Result<Ctx<'a>, CoreError> {
        let id = &actor.identity;
        let community = self
            .store
            .community_for_space_at(
                id.platform,
                &id.space_id,
                &self.config.community_defaults,
                self.now(),
            )
            .await?;
        let mut member = self
            .store
            .member_by_identity(community.id, id.platform, &id.user_id)
            .await?;
        let is_bootstrap = actor.platform_admin || self.is_bootstrap_admin(id);
        if member.is_none() && is_bootstrap {
            let new = NewMember {
                identity: id.clone(),
                status: MemberStatus::Approved,
                role: Role::Admin,
                profile: Profile {
                    name: id.handle.clone(),
                    ..Profile::default()
                },
                locale: actor.locale,
                timezone: None,
            };
            let m = self
                .store
                .insert_member(community.id, &new, &|_| Vec::new(), self.now())
                .await?;
            if !self.is_bootstrap_admin(id) {
                // Only the platform made them admin: losing that role there takes it away.
                self.store
                    .set_admin_source(community.id, m.id, Some(platform_admin::PLATFORM))
                    .await?;
            }
            member = Some(m);
        }
        if let Some(m) = member.as_mut() {
            // Platform admins stay admins whatever their stored role says.
            if is_bootstrap && m.is_approved() {
                m.role = Role::Admin;
            }
            if m.handle != id.handle && !id.handle.is_empty() {
                self.store.update_handle(community.id, id).await?;
                m.handle = id.handle.clone();
            }
        }
        let locale = member
            .as_ref()
            .and_then(|m| m.locale)
            .or(actor.locale)
            .unwrap_or(community.locale);
        let tz = match &member {
            Some(m) => m.tz_or(&community),
            None => community
                .timezone
                .parse()
                .unwrap_or(chrono_tz::Tz::Asia__Tokyo),
        };
        Ok(Ctx {
            actor,
            community,
            member,
            locale,
            tz,
        })
    }

    async fn error_reply(&self, actor: &Actor, e: &UserError) -> Reply {
        // Errors are answered in the asker's language; a lookup failure here must not hide
        // the original error, so fall back to the platform locale.
        let locale = match self.context(actor).await {
            Ok(ctx) => ctx.locale,
            Err(_) => actor
                .locale
                .unwrap_or(self.config.community_defaults.locale),
        };
        render_error(locale, &CoreError::User(e.clone()))
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

fn render_error(locale: Locale, e: &CoreError) -> Reply {
    let text = match e {
        CoreError::User(u) => u.render(locale),
        CoreError::Store(s) => {
            if s.is_unavailable() {
                tracing::warn!(error = %s, "database unavailable");
            } else {
                tracing::error!(error = %s, "store error");
            }
            i18n::t(locale, "error.try_again", &[])
        }
    };
    let mut reply = Reply::text(locale, text).private();
    reply.error = true;
    // The option the error is about, for forms (Slack shows it on that field).
    if let CoreError::User(u) = e {
        reply.error_key = u
            .args
            .iter()
            .find(|(name, _)| *name == "key")
            .map(|(_, key)| key.clone());
    }
    reply
}
