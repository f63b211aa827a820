//! The Discord adapter on poise: its commands are `poise::Command` values built from the core's
//! command spec (`bot_core::command::spec`), never listed here. poise registers them (ja names
//! and descriptions from the catalogs, the spec's choices and limits as option constraints),
//! dispatches each invocation to [`run_slash`], and keeps per-user cooldowns; buttons, forms and
//! guild events come through its event handler into [`DiscordApp`].
//!
//! Typed options are written back as the grammar's line (`commands::line`), so Discord can
//! never accept what typing would refuse.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bot_core::command::spec::{self, Kind};
use bot_core::i18n::{self, Locale};
use poise::{BoxFuture, CommandParameter, CommandParameterChoice, CooldownConfig, CooldownType};
use serenity::all::{
    ChannelType, CommandOptionType, CreateAutocompleteResponse, CreateCommand, CreateCommandOption,
    CreateInteractionResponse, CreateInteractionResponseMessage, FullEvent, Interaction,
    Permissions, ResolvedValue, User,
};

use crate::app::{Deferral, DiscordApp};
use crate::commands;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Data = Arc<DiscordApp>;
pub type Command = poise::Command<Data, Error>;
type Ctx<'a> = poise::ApplicationContext<'a, Data, Error>;
type Failure<'a> = poise::FrameworkError<'a, Data, Error>;

/// Which spec entry a poise command stands for (kept in `Command::custom_data`).
#[derive(Clone, Copy)]
struct Entry {
    command: &'static spec::Command,
    sub: &'static spec::Sub,
}

/// The user context-menu commands: right-click a member.
const PROFILE_MENU: &str = "Alumni profile";
const INTRODUCE_MENU: &str = "Introduce me";

/// Every command the bot offers on Discord: the spec's slash commands and the context menus.
pub fn commands() -> Vec<Command> {
    let mut all: Vec<Command> = spec::COMMANDS.iter().map(top_command).collect();
    all.push(user_menu(PROFILE_MENU, "menu.profile", profile_menu));
    all.push(user_menu(INTRODUCE_MENU, "menu.introduce", introduce_menu));
    poise::framework::set_qualified_names(&mut all);
    all
}

/// The registration payloads: what poise builds from each command, with the context menus'
/// Japanese names (poise leaves context menus unlocalized).
pub fn definitions(commands: &[Command]) -> Vec<CreateCommand> {
    commands
        .iter()
        .filter_map(|c| match &c.context_menu_name {
            Some(_) => c.create_as_context_menu_command().map(|b| {
                let mut b = b;
                for (locale, name) in c.name_localizations.iter() {
                    b = b.name_localized(locale.as_ref(), name.as_ref());
                }
                b
            }),
            None => c.create_as_slash_command(),
        })
        .collect()
}

type Localized = std::borrow::Cow<
    'static,
    [(
        std::borrow::Cow<'static, str>,
        std::borrow::Cow<'static, str>,
    )],
>;

/// Japanese for `ja` clients (Discord's locale code).
fn ja(text: String) -> Localized {
    vec![("ja".into(), text.into())].into()
}

fn top_command(c: &'static spec::Command) -> Command {
    Command {
        name: c.name.into(),
        name_localizations: ja(c.localized_name(Locale::Ja)),
        description: Some(c.description(Locale::En).into()),
        description_localizations: ja(c.description(Locale::Ja)),
        subcommands: c.subs.iter().map(|s| sub_command(c, s)).collect(),
        subcommand_required: true,
        // Needed for poise to register it; a bare top-level command never arrives.
        slash_action: Some(run_slash),
        guild_only: true,
        ..Default::default()
    }
}

fn sub_command(c: &'static spec::Command, s: &'static spec::Sub) -> Command {
    let cooldown = CooldownConfig {
        // Per member of a server: joining two servers within a minute is not one person's spam.
        member: (s.cooldown_secs > 0).then(|| Duration::from_secs(s.cooldown_secs)),
        ..Default::default()
    };
    Command {
        name: s.name.into(),
        name_localizations: ja(s.localized_name(c, Locale::Ja)),
        description: Some(s.description(c, Locale::En).into()),
        description_localizations: ja(s.description(c, Locale::Ja)),
        parameters: commands::registration_order(s)
            .into_iter()
            .map(|k| parameter(s, k))
            .collect(),
        slash_action: Some(run_slash),
        guild_only: true,
        ephemeral: s.private,
        // `run_slash` keeps the cooldown (poise 0.7 reads only the framework-wide switch).
        manual_cooldowns: Some(true),
        cooldown_config: std::sync::RwLock::new(cooldown),
        custom_data: Box::new(Entry { command: c, sub: s }),
        ..Default::default()
    }
}

fn parameter(s: &spec::Sub, key: &'static spec::Key) -> CommandParameter<Data, Error> {
    let choices = match key.kind {
        Kind::Choice(words) => words
            .iter()
            .map(|w| CommandParameterChoice {
                name: (*w).into(),
                localizations: Vec::new().into(),
                __non_exhaustive: (),
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut param = CommandParameter {
        name: key.name.into(),
        name_localizations: Vec::new().into(),
        description: Some(key.description(Locale::En).into()),
        description_localizations: ja(key.description(Locale::Ja)),
        // A form-opening subcommand takes no required option: with none it opens the form.
        required: commands::registered_required(s, key),
        channel_types: matches!(key.kind, Kind::Channel)
            .then(|| vec![ChannelType::Text, ChannelType::News].into()),
        choices: choices.into(),
        type_setter: Some(type_setter(key.kind)),
        autocomplete_callback: None,
        __non_exhaustive: (),
    };
    if key.name == "id" && s.usage.starts_with("event.") {
        param.autocomplete_callback = Some(autocomplete_event);
    }
    param
}

/// The option type and constraints of a key. poise takes a plain `fn`, so each limit the spec
/// uses has its own instance (`limits_are_registered_as_the_spec_says` checks every one).
fn type_setter(kind: Kind) -> fn(CreateCommandOption) -> CreateCommandOption {
    match kind {
        Kind::Text { max } => match max {
            32 => text::<32>,
            50 => text::<50>,
            80 => text::<80>,
            120 => text::<120>,
            1000 => text::<1000>,
            _ => text::<4000>,
        },
        Kind::Int { min, max } => match (min, max) {
            (1, 60) => int::<1, 60>,
            (1, 50) => int::<1, 50>,
            (1, 730) => int::<1, 730>,
            (1, 1000) => int::<1, 1000>,
            (2, 4) => int::<2, 4>,
            _ => int::<1, { commands::MAX_INTEGER }>,
        },
        Kind::Year => int::<1950, 2100>,
        Kind::Member => |o| o.kind(CommandOptionType::User),
        Kind::Channel => |o| o.kind(CommandOptionType::Channel),
        Kind::Role => |o| o.kind(CommandOptionType::Role),
        Kind::File => |o| o.kind(CommandOptionType::Attachment),
        // poise sends a choice as its index; `commands::line` turns it back into the word.
        Kind::Choice(_) => |o| o.kind(CommandOptionType::Integer),
        Kind::YearRange
        | Kind::Date
        | Kind::Time
        | Kind::Duration
        | Kind::List
        | Kind::Choices(_)
        | Kind::Words => text::<4000>,
    }
}

fn text<const MAX: u16>(o: CreateCommandOption) -> CreateCommandOption {
    o.kind(CommandOptionType::String).max_length(MAX)
}

fn int<const MIN: i64, const MAX: i64>(o: CreateCommandOption) -> CreateCommandOption {
    o.kind(CommandOptionType::Integer)
        .min_int_value(MIN as u64)
        .max_int_value(MAX as u64)
}

fn user_menu(
    name: &'static str,
    ja_key: &str,
    action: for<'a> fn(Ctx<'a>, User) -> BoxFuture<'a, Result<(), Failure<'a>>>,
) -> Command {
    Command {
        name: name.into(),
        context_menu_name: Some(name.into()),
        name_localizations: ja(i18n::t(Locale::Ja, ja_key, &[])),
        context_menu_action: Some(poise::ContextMenuCommandAction::User(action)),
        guild_only: true,
        ..Default::default()
    }
}

fn entry(ctx: &Ctx<'_>) -> Option<Entry> {
    ctx.command().custom_data.downcast_ref::<Entry>().copied()
}

/// Permissions that make a role more than a member badge: approval must never hand them out.
const ELEVATED: Permissions = Permissions::ADMINISTRATOR
    .union(Permissions::MANAGE_GUILD)
    .union(Permissions::MANAGE_ROLES)
    .union(Permissions::MANAGE_CHANNELS)
    .union(Permissions::MANAGE_MESSAGES)
    .union(Permissions::MANAGE_WEBHOOKS)
    .union(Permissions::MANAGE_NICKNAMES)
    .union(Permissions::MANAGE_GUILD_EXPRESSIONS)
    .union(Permissions::MANAGE_EVENTS)
    .union(Permissions::MANAGE_THREADS)
    .union(Permissions::KICK_MEMBERS)
    .union(Permissions::BAN_MEMBERS)
    .union(Permissions::MODERATE_MEMBERS)
    .union(Permissions::MENTION_EVERYONE);

/// `/alumni setup member_role:` is Discord's business as much as ours: only a Discord admin of
/// the server (Administrator, or its owner) may set it, and only to a role without elevated
/// permissions — else a bot admin could make approval grant a moderator role.
fn member_role_refusal(
    ctx: &Ctx<'_>,
    actor: &bot_core::service::Actor,
    locale: Locale,
) -> Option<String> {
    let option = ctx.args.iter().find(|a| a.name == "member_role")?;
    if !actor.platform_admin {
        return Some(i18n::t(locale, "discord.member_role_admin_only", &[]));
    }
    // Discord resolves a role option to the role itself, with its permissions.
    if let ResolvedValue::Role(role) = &option.value
        && role.permissions.intersects(ELEVATED)
    {
        return Some(i18n::t(
            locale,
            "discord.member_role_elevated",
            &[("role", &role.name)],
        ));
    }
    None
}

/// Every slash command: the spec entry it stands for, its options as the grammar's line.
fn run_slash(ctx: Ctx<'_>) -> BoxFuture<'_, Result<(), Failure<'_>>> {
    Box::pin(async move {
        let Some(entry) = entry(&ctx) else {
            return Ok(());
        };
        let app = ctx.data().clone();
        let interaction = ctx.interaction;
        let Some(actor) = app.actor_of_command(interaction) else {
            return Ok(());
        };
        let locale = actor.locale.unwrap_or_default();
        let cooldown = Duration::from_secs(entry.sub.cooldown_secs);
        // Claimed before running, so two invocations arriving together (a double submit)
        // cannot both act.
        if let Some(wait) = claim_cooldown(&ctx, cooldown) {
            let secs = wait.as_secs().max(1).to_string();
            let text = i18n::t(locale, "discord.cooldown", &[("seconds", &secs)]);
            app.say_privately(ctx.serenity_context(), interaction, &text)
                .await;
            return Ok(());
        }
        if let Some(refusal) = member_role_refusal(&ctx, &actor, locale) {
            release_cooldown(&ctx, cooldown);
            // Answered like any refused command: deferred privately, then the reason.
            let mut reply = bot_core::reply::Reply::text(locale, refusal).private();
            reply.error = true;
            app.answer_deferred(ctx.serenity_context(), interaction, &reply)
                .await;
            return Ok(());
        }
        let line = commands::line(entry.command, entry.sub, ctx.args);
        let file = commands::attachment(ctx.args);
        let deferral = if entry.sub.form && ctx.args.is_empty() {
            Deferral::MayOpenForm
        } else if entry.sub.private {
            Deferral::Private
        } else {
            Deferral::Public
        };
        let acted = app
            .run_command(
                ctx.serenity_context(),
                interaction,
                actor,
                &line,
                file,
                deferral,
            )
            .await;
        if !acted {
            // Given back after a command that did nothing: a typo does not lock anyone out.
            release_cooldown(&ctx, cooldown);
        }
        Ok(())
    })
}

/// The asker's cooldown checked and started in one step, under the tracker's lock: `Some`
/// (the time left) if it is still running. Nothing for a command without one.
fn claim_cooldown(ctx: &Ctx<'_>, length: Duration) -> Option<Duration> {
    if length.is_zero() {
        return None;
    }
    let command = ctx.command();
    let config = command
        .cooldown_config
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let mut cooldowns = command.cooldowns.lock().unwrap_or_else(|e| e.into_inner());
    let asker = ctx.cooldown_context();
    if let Some(wait) = cooldowns.remaining_cooldown(asker.clone(), &config) {
        return Some(wait);
    }
    if let Some(guild) = asker.guild_id {
        cooldowns.set_last_invocation(CooldownType::Member((asker.user_id, guild)), Instant::now());
    }
    None
}

/// A claimed cooldown handed back: its start moved `length` into the past, so it has run out.
fn release_cooldown(ctx: &Ctx<'_>, length: Duration) {
    let Some(expired) = Instant::now()
        .checked_sub(length)
        .filter(|_| !length.is_zero())
    else {
        return;
    };
    let Some(guild) = ctx.guild_id() else {
        return;
    };
    let command = ctx.command();
    let mut cooldowns = command.cooldowns.lock().unwrap_or_else(|e| e.into_inner());
    cooldowns.set_last_invocation(CooldownType::Member((ctx.author().id, guild)), expired);
}

/// Right-click a member → their profile, only for the asker.
fn profile_menu(ctx: Ctx<'_>, target: User) -> BoxFuture<'_, Result<(), Failure<'_>>> {
    Box::pin(async move {
        let app = ctx.data().clone();
        let Some(actor) = app.actor_of_command(ctx.interaction) else {
            return Ok(());
        };
        let line = format!("/alumni profile <@{}>", target.id);
        app.run_command(
            ctx.serenity_context(),
            ctx.interaction,
            actor,
            &line,
            None,
            Deferral::Private,
        )
        .await;
        Ok(())
    })
}

/// Right-click a member → a form asking why, then the same request as `/intro @member why:…`.
fn introduce_menu(ctx: Ctx<'_>, target: User) -> BoxFuture<'_, Result<(), Failure<'_>>> {
    Box::pin(async move {
        let app = ctx.data().clone();
        let Some(actor) = app.actor_of_command(ctx.interaction) else {
            return Ok(());
        };
        let locale = actor.locale.unwrap_or_default();
        let form = bot_core::reply::Form {
            title: i18n::t(locale, "menu.introduce", &[]),
            command: format!("/intro <@{}>", target.id),
            fields: vec![bot_core::reply::FormField {
                key: "why".to_owned(),
                label: i18n::t(locale, "key.why", &[]),
                required: true,
                long: true,
            }],
        };
        app.open_form(ctx.serenity_context(), ctx.interaction, &form)
            .await;
        Ok(())
    })
}

/// Event ids as the user types: upcoming events of their community (members only).
fn autocomplete_event<'a>(
    ctx: Ctx<'a>,
    typed: &'a str,
) -> BoxFuture<'a, CreateAutocompleteResponse> {
    Box::pin(async move { ctx.data().event_choices(ctx.interaction, typed).await })
}

/// What poise reports instead of running a command.
fn on_error(error: Failure<'_>) -> BoxFuture<'_, ()> {
    Box::pin(async move {
        match error {
            poise::FrameworkError::GuildOnly { ctx, .. } => {
                if let poise::Context::Application(ctx) = ctx {
                    let locale = Locale::from_tag(&ctx.interaction.locale).unwrap_or(Locale::En);
                    let text = i18n::t(locale, "discord.guild_only", &[]);
                    let response = CreateInteractionResponse::Message(
                        CreateInteractionResponseMessage::new()
                            .content(text)
                            .ephemeral(true),
                    );
                    if let Err(e) = ctx
                        .interaction
                        .create_response(ctx.serenity_context(), response)
                        .await
                    {
                        tracing::warn!(error = %e, "answering a command outside a server");
                    }
                }
            }
            poise::FrameworkError::UnknownInteraction { interaction, .. } => {
                tracing::warn!(command = %interaction.data.name, "an unknown command");
            }
            other => tracing::warn!(error = %other, "a Discord command failed"),
        }
    })
}

/// Everything that is not a command: guilds, members, buttons and form submissions.
fn on_event<'a>(
    framework: poise::FrameworkContext<'a, Data, Error>,
    event: &'a FullEvent,
) -> BoxFuture<'a, Result<(), Error>> {
    Box::pin(async move {
        let app = framework.user_data;
        let ctx = framework.serenity_context;
        match event {
            FullEvent::GuildCreate { guild, .. } => app.learn_guild(guild).await,
            FullEvent::GuildMemberAddition { new_member } => {
                app.screening
                    .set(new_member.guild_id, new_member.user.id, new_member.pending);
            }
            FullEvent::GuildMemberUpdate { event, .. } => app.member_updated(ctx, event).await,
            FullEvent::GuildMemberRemoval { guild_id, user, .. } => {
                app.screening.forget(*guild_id, user.id);
            }
            FullEvent::InteractionCreate { interaction } => match interaction {
                Interaction::Component(press) => app.component(ctx, press.clone()).await,
                Interaction::Modal(submit) => app.modal(ctx, submit.clone()).await,
                _ => {}
            },
            _ => {}
        }
        Ok(())
    })
}

/// The poise framework over the app: commands from the spec, registered on READY (in the
/// configured guild, else globally).
pub fn framework(app: Data) -> poise::Framework<Data, Error> {
    let options = poise::FrameworkOptions {
        commands: commands(),
        on_error,
        event_handler: on_event,
        // The owners list needs an extra call at start and is not used: the core decides.
        initialize_owners: false,
        // `run_slash` claims and answers cooldowns itself: poise's own check would drop a
        // command still cooling down without any response ("the application did not respond").
        manual_cooldowns: true,
        ..Default::default()
    };
    poise::Framework::builder()
        .options(options)
        .initialize_owners(false)
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "Discord ready");
                let definitions = definitions(&framework.options().commands);
                let result = match app.config.guild_id {
                    Some(guild) => serenity::all::GuildId::new(guild)
                        .set_commands(&ctx.http, definitions)
                        .await
                        .map(|_| ()),
                    None => serenity::all::Command::set_global_commands(&ctx.http, definitions)
                        .await
                        .map(|_| ()),
                };
                if let Err(e) = result {
                    tracing::error!(error = %e, "registering slash commands failed");
                }
                Ok(app)
            })
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option_json(o: &CreateCommandOption) -> serde_json::Value {
        serde_json::to_value(o).unwrap()
    }

    /// Every command and subcommand of the spec is a poise command with a ja name, and every
    /// key an option whose type and limits are the spec's.
    #[test]
    fn limits_are_registered_as_the_spec_says() {
        let all = commands();
        for c in spec::COMMANDS {
            let top = all.iter().find(|t| t.name == c.name).expect(c.name);
            assert!(!top.name_localizations.is_empty());
            for s in c.subs {
                let sub = top
                    .subcommands
                    .iter()
                    .find(|x| x.name == s.name)
                    .expect(s.name);
                for k in s.keys {
                    let p = sub.parameters.iter().find(|p| p.name == k.name).unwrap();
                    let json = option_json(&p.create_as_slash_command_option().unwrap());
                    match k.kind {
                        Kind::Text { max } => {
                            assert_eq!(json["max_length"], max as u64, "{}", k.name)
                        }
                        Kind::Int { min, max } => {
                            assert_eq!(json["min_value"], min, "{}", k.name);
                            let max = max.min(commands::MAX_INTEGER);
                            assert_eq!(json["max_value"], max, "{}", k.name);
                        }
                        Kind::Choice(words) => {
                            assert_eq!(json["choices"].as_array().unwrap().len(), words.len())
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    #[test]
    fn context_menus_have_japanese_names() {
        let all = commands();
        let defs = definitions(&all);
        let json: Vec<serde_json::Value> = defs
            .iter()
            .map(|d| serde_json::to_value(d).unwrap())
            .collect();
        for name in [PROFILE_MENU, INTRODUCE_MENU] {
            let menu = json.iter().find(|d| d["name"] == name).expect(name);
            assert_eq!(menu["type"], 2);
            assert!(menu["name_localizations"]["ja"].is_string(), "{menu}");
        }
    }
}
