//! What the bot does with what Discord sends: learns guilds on GUILD_CREATE, and turns
//! interactions (slash commands from poise, buttons, modal submissions) into an `Actor` plus a
//! text line or action id for the core, answering within Discord's 3 seconds.

use std::sync::Arc;
use std::time::Duration;

use bot_core::action::Action;
use bot_core::command::Command;
use bot_core::command::admin::Admin;
use bot_core::domain::{CommunityId, Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::reply::Reply;
use bot_core::service::{Actor, Core};
use serenity::all::{
    ActionRowComponent, Attachment, CommandInteraction, ComponentInteraction, Context,
    CreateAutocompleteResponse, CreateInteractionResponse, CreateInteractionResponseMessage,
    EditInteractionResponse, Guild, GuildId, GuildMemberUpdateEvent, Member, ModalInteraction,
    Permissions, User,
};

use crate::commands;
use crate::config::DiscordConfig;
use crate::directory::{Directory, GuildInfo};
use crate::render;
use crate::roles::Screening;

/// A button press is answered inline when the core is this quick (so a form can still open
/// as a modal); past it the press is acknowledged and answered by a follow-up.
const INLINE_BUDGET: Duration = Duration::from_millis(2000);
/// The largest roster downloaded (100,000 rows of HR's CSV are a few MiB).
const MAX_ROSTER_BYTES: u32 = 16 * 1024 * 1024;
/// Discord shows at most 25 suggestions.
const AUTOCOMPLETE_CHOICES: usize = 25;

pub struct DiscordApp {
    pub core: Arc<Core>,
    pub config: DiscordConfig,
    pub directory: Arc<Directory>,
    pub screening: Screening,
    /// REST for what is not an interaction's answer (a rolled-over event's scheduled event,
    /// made while delivering its announcement).
    pub http: Arc<serenity::all::Http>,
    /// Forms of more than five fields, asked page by page.
    pub form_pages: crate::modal_pages::FormPages,
}

/// How a command's first answer goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deferral {
    /// Deferred privately: the channel never learns which command was used.
    Private,
    /// Deferred publicly (an answer for the channel); an error still goes only to the asker.
    Public,
    /// No options on a form-opening command: answered with a modal, which must be the first
    /// response (so no defer), within the inline budget.
    MayOpenForm,
}

impl DiscordApp {
    pub(crate) fn community_of(&self, guild: GuildId) -> Option<bot_core::domain::CommunityId> {
        self.directory.community_of(guild)
    }

    pub(crate) async fn learn_guild(&self, guild: &Guild) {
        let space = guild.id.to_string();
        let community = match self
            .core
            .store()
            .community_for_space(Platform::Discord, &space, self.core.community_defaults())
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, guild = %guild.id, "loading the guild's community");
                return;
            }
        };
        let channels = guild
            .channels
            .values()
            .map(|c| (c.name.clone(), c.id))
            .collect();
        self.directory.insert(
            community.id,
            GuildInfo {
                guild_id: guild.id,
                owner_id: guild.owner_id,
                channels,
            },
        );
        // DISCORD_GUILD_ID was made a home space at start; any other server only gets the
        // ALUMNI_ADMINS written for it (`GUILD:USER`).
        if let Err(e) = self.core.space_seen(Platform::Discord, &space).await {
            tracing::error!(error = %e, "setting up ALUMNI_ADMINS");
        }
    }

    /// Who is asking: the interaction's user locale (`ja` → Japanese, else English), and
    /// whether they own the guild or hold Administrator.
    fn actor(
        &self,
        guild: Option<GuildId>,
        user: &User,
        member: Option<&Member>,
        locale: &str,
    ) -> Option<Actor> {
        let guild = guild?;
        if let Some(m) = member {
            self.screening.set(guild, user.id, m.pending);
        }
        let administrator = member
            .and_then(|m| m.permissions)
            .is_some_and(|p| p.contains(Permissions::ADMINISTRATOR));
        let owner = self.directory.owner(guild) == Some(user.id);
        Some(Actor {
            identity: Identity {
                platform: Platform::Discord,
                space_id: guild.to_string(),
                user_id: user.id.to_string(),
                handle: user.name.clone(),
            },
            locale: Some(Locale::from_tag(locale).unwrap_or(Locale::En)),
            platform_admin: administrator || owner,
        })
    }

    pub(crate) fn actor_of_command(&self, cmd: &CommandInteraction) -> Option<Actor> {
        self.actor(cmd.guild_id, &cmd.user, cmd.member.as_deref(), &cmd.locale)
    }

    /// Screening passed (`pending` went false): an approved member gets their role now.
    pub(crate) async fn member_updated(&self, ctx: &Context, event: &GuildMemberUpdateEvent) {
        let was_pending = self.screening.is_pending(event.guild_id, event.user.id);
        self.screening
            .set(event.guild_id, event.user.id, event.pending);
        if was_pending && !event.pending {
            self.sync_role(&ctx.http, event.guild_id, event.user.id)
                .await;
        }
    }

    /// A short private answer as the first response (a cooldown, a misuse).
    pub(crate) async fn say_privately(&self, ctx: &Context, cmd: &CommandInteraction, text: &str) {
        let response = CreateInteractionResponse::Message(
            CreateInteractionResponseMessage::new()
                .content(text)
                .ephemeral(true),
        );
        if let Err(e) = cmd.create_response(&ctx.http, response).await {
            tracing::warn!(error = %e, "answering a command privately");
        }
    }

    /// A reply the adapter itself gives (no core call): deferred privately, then edited, the
    /// same shape as every other private answer.
    pub(crate) async fn answer_deferred(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
        reply: &Reply,
    ) {
        let deferred = cmd
            .create_response(
                &ctx.http,
                CreateInteractionResponse::Defer(
                    CreateInteractionResponseMessage::new().ephemeral(true),
                ),
            )
            .await;
        if let Err(e) = deferred {
            tracing::warn!(error = %e, "deferring a refusal");
            return;
        }
        finish_deferred(ctx, cmd, reply, true).await;
    }

    /// A form as the first response to a command.
    pub(crate) async fn open_form(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
        form: &bot_core::reply::Form,
    ) {
        if let Some(modal) = self.form_pages.open(cmd.user.id, form)
            && let Err(e) = cmd
                .create_response(&ctx.http, CreateInteractionResponse::Modal(modal))
                .await
        {
            tracing::warn!(error = %e, "opening a modal");
        }
    }

    /// One command, as the grammar's line: answered, then its effects on Discord (scheduled
    /// events), as the reply says. A deferred answer (Discord waits 15 minutes for it) comes once the member roles
    /// the command touches are settled, so what the asker sees is already true: when
    /// "approved" shows, the role was given or held back for screening. Returns whether it did
    /// something (not an error), for cooldowns.
    pub(crate) async fn run_command(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
        actor: Actor,
        line: &str,
        file: Option<&Attachment>,
        deferral: Deferral,
    ) -> bool {
        let reply = match deferral {
            Deferral::MayOpenForm => match self.form_or_reply(ctx, cmd, actor, line).await {
                Some(reply) => reply,
                None => return true,
            },
            Deferral::Private | Deferral::Public => {
                // Every command reads or writes the database: acknowledge first, then edit.
                let private = deferral == Deferral::Private;
                if let Err(e) = cmd
                    .create_response(
                        &ctx.http,
                        CreateInteractionResponse::Defer(
                            CreateInteractionResponseMessage::new().ephemeral(private),
                        ),
                    )
                    .await
                {
                    tracing::warn!(error = %e, "deferring a command");
                    return false;
                }
                let reply = match file {
                    Some(file) => self.with_file(&actor, line, file).await,
                    None => self.core.handle_text(&actor, line).await,
                };
                self.sync_standing(&ctx.http, cmd.guild_id, &reply.effects)
                    .await;
                finish_deferred(ctx, cmd, &reply, private).await;
                reply
            }
        };
        if deferral == Deferral::MayOpenForm {
            // Answered inline (a modal must be the first response): roles after it.
            self.sync_standing(&ctx.http, cmd.guild_id, &reply.effects)
                .await;
        }
        if let Some(guild) = cmd.guild_id {
            self.mirror_events(&ctx.http, guild, &reply.effects).await;
        }
        !reply.error
    }

    /// A bare form-opening command: the profile form for `join` / `profile set`, else the
    /// core's own form (`/event create`), answered as a modal; anything else as a message.
    /// `None` when a modal was opened (its submission is the command).
    async fn form_or_reply(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
        actor: Actor,
        line: &str,
    ) -> Option<Reply> {
        let locale = actor.locale.unwrap_or_default();
        if line == "/alumni join" || line == "/alumni profile set" {
            self.open_form(ctx, cmd, &form_for(line, locale)).await;
            return None;
        }
        let core = self.core.clone();
        let owned = line.to_owned();
        let work = tokio::spawn(async move { core.handle_text(&actor, &owned).await });
        let reply = match tokio::time::timeout(INLINE_BUDGET, work).await {
            Ok(Ok(reply)) => reply,
            _ => Reply::text(locale, bot_core::i18n::t(locale, "error.try_again", &[])).private(),
        };
        if let Some(form) = &reply.form {
            self.open_form(ctx, cmd, form).await;
            return None;
        }
        let response = CreateInteractionResponse::Message(message(&reply, reply.ephemeral));
        match cmd.create_response(&ctx.http, response).await {
            Ok(()) => render::send_rest(&ctx.http, &cmd.token, &reply, reply.ephemeral).await,
            Err(e) => tracing::warn!(error = %e, "answering a form command"),
        }
        Some(reply)
    }

    /// `/admin import` with its attached CSV: the file's bytes go to the core with the
    /// command (a line cannot carry them). Any other command ignores an attachment.
    async fn with_file(&self, actor: &Actor, line: &str, file: &Attachment) -> Reply {
        let Ok(Command::Admin(Admin::Import { skip_bad, .. })) = bot_core::command::parse(line)
        else {
            return self.core.handle_text(actor, line).await;
        };
        // Without the bytes the core answers "attach the roster as a CSV file"; anyone but an
        // admin gets the core's refusal with nothing fetched.
        let csv = if !self.core.is_admin(actor).await {
            None
        } else if file.size > MAX_ROSTER_BYTES {
            tracing::warn!(size = file.size, "roster file too large; not downloaded");
            None
        } else {
            match download(&file.url).await {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    tracing::warn!(error = %e.without_url(), "downloading the attached roster");
                    None
                }
            }
        };
        let command = Command::Admin(Admin::Import { csv, skip_bad });
        self.core.handle(actor, command).await
    }

    /// The guild an interaction acts in: its own, or for one in a DM (which names no guild)
    /// the guild of the community its button or form was issued in.
    fn acting_guild(
        &self,
        guild: Option<GuildId>,
        community: Option<CommunityId>,
    ) -> Option<GuildId> {
        guild.or_else(|| Some(self.directory.guild(community?)?.guild_id))
    }

    pub(crate) async fn component(&self, ctx: &Context, press: ComponentInteraction) {
        // "Continue" to a form's next page: the adapter's own button, not the core's.
        if let Some(response) = self.form_pages.press(&press) {
            if let Err(e) = press.create_response(&ctx.http, response).await {
                tracing::warn!(error = %e, "opening a form's next page");
            }
            return;
        }
        let community = Action::community_of(&press.data.custom_id);
        let guild = self.acting_guild(press.guild_id, community);
        let Some(actor) = self.actor(guild, &press.user, press.member.as_ref(), &press.locale)
        else {
            // A DM press whose id names no community this bot serves: refused, not left to
            // fail ("This interaction failed").
            let refusal = unknown_id(&press.locale, &press.data.custom_id);
            if let Err(e) = press.create_response(&ctx.http, refusal).await {
                tracing::warn!(error = %e, "refusing a button of no known community");
            }
            return;
        };
        let core = self.core.clone();
        let action = press.data.custom_id.clone();
        // A form opened from a DM keeps its community in the modal's id, for its submission.
        let scope = community.filter(|_| press.guild_id.is_none());
        let mut work = tokio::spawn(async move { core.handle_action(&actor, &action).await });
        let reply = match tokio::time::timeout(INLINE_BUDGET, &mut work).await {
            Ok(Ok(reply)) => {
                let form = reply.form.clone().map(|mut form| {
                    if let Some(c) = scope {
                        form.command = scoped_form_id(c, &form.command);
                    }
                    form
                });
                let response = match form
                    .as_ref()
                    .and_then(|f| self.form_pages.open(press.user.id, f))
                {
                    Some(modal) => CreateInteractionResponse::Modal(modal),
                    None => CreateInteractionResponse::Message(message(&reply, true)),
                };
                let inline = matches!(response, CreateInteractionResponse::Message(_));
                match press.create_response(&ctx.http, response).await {
                    Ok(()) if inline => {
                        render::send_rest(&ctx.http, &press.token, &reply, true).await;
                    }
                    Ok(()) => {}
                    Err(e) => tracing::warn!(error = %e, "answering a button"),
                }
                Some(reply)
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "button task failed");
                None
            }
            Err(_) => {
                let deferred = press
                    .create_response(
                        &ctx.http,
                        CreateInteractionResponse::Defer(
                            CreateInteractionResponseMessage::new().ephemeral(true),
                        ),
                    )
                    .await;
                // The work goes on whether or not the answer can still be shown.
                let reply = work.await.ok();
                if let (Ok(()), Some(reply)) = (deferred, &reply) {
                    let edit = edit(reply);
                    match press.edit_response(&ctx.http, edit).await {
                        Ok(_) => render::send_rest(&ctx.http, &press.token, reply, true).await,
                        Err(e) => tracing::warn!(error = %e, "late answer to a button"),
                    }
                }
                reply
            }
        };
        if let Some(reply) = reply {
            self.sync_standing(&ctx.http, guild, &reply.effects).await;
        }
    }

    /// Event ids: the upcoming events whose id or title contains what was typed so far,
    /// offered only to approved members (titles are the community's business).
    pub(crate) async fn event_choices(
        &self,
        typing: &CommandInteraction,
        typed: &str,
    ) -> CreateAutocompleteResponse {
        let mut choices = CreateAutocompleteResponse::new();
        let typed = typed.to_lowercase();
        let Some(actor) = self.actor_of_command(typing) else {
            return choices;
        };
        let Some(community) = typing.guild_id.and_then(|g| self.community_of(g)) else {
            return choices;
        };
        let member = self
            .core
            .store()
            .member_by_identity(community, Platform::Discord, &actor.identity.user_id)
            .await;
        if !matches!(member, Ok(Some(m)) if m.status == bot_core::domain::MemberStatus::Approved) {
            return choices;
        }
        let events = self
            .core
            .store()
            .upcoming_events(community, self.core.clock().now())
            .await
            .unwrap_or_default();
        for event in events
            .iter()
            .filter(|e| {
                typed.is_empty()
                    || e.id.to_string().starts_with(&typed)
                    || e.title.to_lowercase().contains(&typed)
            })
            .take(AUTOCOMPLETE_CHOICES)
        {
            let label = render::cut(&format!("#{} {}", event.id, event.title), 100);
            choices = choices.add_int_choice(label, event.id);
        }
        choices
    }

    pub(crate) async fn modal(&self, ctx: &Context, submit: ModalInteraction) {
        let (community, _) = split_form_id(&submit.data.custom_id);
        let guild = self.acting_guild(submit.guild_id, community);
        let Some(actor) = self.actor(guild, &submit.user, submit.member.as_ref(), &submit.locale)
        else {
            let refusal = unknown_id(&submit.locale, &submit.data.custom_id);
            if let Err(e) = submit.create_response(&ctx.http, refusal).await {
                tracing::warn!(error = %e, "refusing a form of no known community");
            }
            return;
        };
        let line = match self.form_pages.submitted(&submit) {
            crate::modal_pages::Submitted::Whole => submission_line(&submit),
            crate::modal_pages::Submitted::Complete(line) => line,
            // A page before the last: kept, and answered with the button to the next one.
            crate::modal_pages::Submitted::Answer(response) => {
                if let Err(e) = submit.create_response(&ctx.http, *response).await {
                    tracing::warn!(error = %e, "answering a form page");
                }
                return;
            }
        };
        if let Err(e) = submit
            .create_response(
                &ctx.http,
                CreateInteractionResponse::Defer(
                    CreateInteractionResponseMessage::new().ephemeral(true),
                ),
            )
            .await
        {
            tracing::warn!(error = %e, "deferring a modal submission");
            return;
        }
        // A form submitted in a DM carries no member permissions: whether they still run the
        // server is unknown there, and must not demote a server admin.
        let reply = if submit.member.is_some() {
            self.core.handle_text(&actor, &line).await
        } else {
            self.core.handle_text_unsure(&actor, &line).await
        };
        // Roles before the (deferred) answer, as for a command.
        self.sync_standing(&ctx.http, guild, &reply.effects).await;
        match submit.edit_response(&ctx.http, edit(&reply)).await {
            Ok(_) => render::send_rest(&ctx.http, &submit.token, &reply, true).await,
            Err(e) => tracing::warn!(error = %e, "answering a modal submission"),
        }
        // An event made with the form is mirrored as a typed one is.
        if let Some(guild) = guild {
            self.mirror_events(&ctx.http, guild, &reply.effects).await;
        }
    }
}

/// A file from Discord's CDN. (serenity's `Attachment::download` would hand back an error
/// page's body as the file.)
async fn download(url: &str) -> Result<Vec<u8>, reqwest::Error> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let response = client.get(url).send().await?.error_for_status()?;
    Ok(response.bytes().await?.to_vec())
}

/// The form's command with each answer appended as `key:"value"`: the same grammar as typing.
pub fn submission_line(submit: &ModalInteraction) -> String {
    let mut line = split_form_id(&submit.data.custom_id).1.to_owned();
    for row in &submit.data.components {
        for component in &row.components {
            if let ActionRowComponent::InputText(input) = component {
                let value = input.value.as_deref().unwrap_or_default().trim();
                if !value.is_empty() {
                    line.push_str(&format!(" {}:{}", input.custom_id, commands::quote(value)));
                }
            }
        }
    }
    line
}

/// A form's modal id when opened from a DM: `c3|/alumni reject @bob`, so its submission (which
/// names no guild either) acts in community 3. The core still checks the submitter there.
fn scoped_form_id(community: CommunityId, command: &str) -> String {
    format!("c{community}|{command}")
}

/// A modal id's community (if scoped) and its command line.
pub(crate) fn split_form_id(id: &str) -> (Option<CommunityId>, &str) {
    if let Some((scope, command)) = id.split_once('|')
        && let Some(community) = scope.strip_prefix('c').and_then(|c| c.parse().ok())
    {
        return (Some(community), command);
    }
    (None, id)
}

/// The private error for a button or form id that names no community this bot knows a
/// guild of (forged, or issued before ids named their community), pressed outside a guild.
fn unknown_id(locale: &str, id: &str) -> CreateInteractionResponse {
    let locale = Locale::from_tag(locale).unwrap_or(Locale::En);
    let text = bot_core::i18n::t(
        locale,
        "error.bad_action",
        &[("id", &id.chars().take(100).collect::<String>())],
    );
    let mut reply = Reply::text(locale, text).private();
    reply.error = true;
    CreateInteractionResponse::Message(message(&reply, true))
}

/// The profile form a bare `/alumni join` or `/alumni profile set` opens: one modal, so
/// joining asks for HR's invite code in place of `open_to` (set later with profile set).
fn form_for(line: &str, locale: Locale) -> bot_core::reply::Form {
    const FIELDS: [(&str, &str, bool); render::MODAL_INPUTS] = [
        ("name", "field.name", false),
        ("company", "field.company", false),
        ("skills", "field.skills", false),
        ("open_to", "field.open_to", false),
        ("bio", "field.bio", true),
    ];
    const JOIN_FIELDS: [(&str, &str, bool); render::MODAL_INPUTS] = [
        ("name", "field.name", false),
        ("code", "field.code", false),
        ("company", "field.company", false),
        ("skills", "field.skills", false),
        ("bio", "field.bio", true),
    ];
    let joining = line == "/alumni join";
    bot_core::reply::Form {
        title: line.trim_start_matches('/').to_owned(),
        command: line.to_owned(),
        fields: (if joining { JOIN_FIELDS } else { FIELDS })
            .iter()
            .map(|(key, label, long)| bot_core::reply::FormField {
                key: (*key).to_owned(),
                label: bot_core::i18n::t(locale, label, &[]),
                required: joining && *key == "name",
                long: *long,
            })
            .collect(),
    }
}

/// The first message of a reply; [`render::send_rest`] sends the others.
fn message(reply: &Reply, ephemeral: bool) -> CreateInteractionResponseMessage {
    render::response_message(reply, ephemeral)
}

fn edit(reply: &Reply) -> EditInteractionResponse {
    render::response_edit(reply)
}

/// After a private defer the answer edits the placeholder. After a public one, a public reply
/// edits it; a private one (an error, your own data) replaces it with an ephemeral follow-up,
/// so only the asker sees it.
async fn finish_deferred(ctx: &Context, cmd: &CommandInteraction, reply: &Reply, private: bool) {
    let result = if reply.ephemeral && !private {
        let followup = render::first_followup(reply, true);
        match cmd.delete_response(&ctx.http).await {
            Ok(()) => cmd.create_followup(&ctx.http, followup).await.map(|_| ()),
            Err(e) => Err(e),
        }
    } else {
        cmd.edit_response(&ctx.http, edit(reply)).await.map(|_| ())
    };
    match result {
        Ok(()) => render::send_rest(&ctx.http, &cmd.token, reply, private || reply.ephemeral).await,
        Err(e) => tracing::warn!(error = %e, "answering a deferred command"),
    }
}
