//! What the adapter does with each kind of Slack input, independent of how it arrived (HTTP
//! request or Socket Mode envelope): slash commands, interactions (buttons, modal submissions)
//! and Events API callbacks. Each turns into an `Actor` plus a text line or action id for the
//! core, and the `Reply` goes back as Block Kit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bot_core::action::Action;
use bot_core::command::Command;
use bot_core::command::admin::Admin;
use bot_core::command::event::RsvpChoice;
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::{self, Locale};
use bot_core::reply::{ButtonStyle, Reply};
use bot_core::service::{Actor, Core};
use bot_core::store::NewCommunity;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{ApiError, SlackApi};
use crate::blocks;
use crate::config::SlackConfig;
use crate::tokens::Tokens;
use crate::{import, modal};

/// Slack wants an answer within 3 s; past this the command is acknowledged and finished later
/// through `response_url`.
pub const INLINE_BUDGET: Duration = Duration::from_millis(2000);
/// Blocks for each of the Home tab's three parts: (100 - 2 dividers) / 3.
const HOME_BLOCKS_EACH: usize = 32;
/// Upcoming events given RSVP buttons in App Home.
const HOME_EVENTS: usize = 5;
/// Most people whose `users.info` is kept (a few hundred bytes each).
pub const MAX_PROFILES: usize = 10_000;
/// How long a looked-up locale / admin flag is trusted.
const PROFILE_TTL: Duration = Duration::from_secs(3600);

/// A slash command as Slack posts it (form fields).
#[derive(Debug, Clone, Deserialize)]
pub struct SlashCommand {
    pub team_id: String,
    pub user_id: String,
    #[serde(default)]
    pub user_name: String,
    pub command: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub response_url: String,
    #[serde(default)]
    pub trigger_id: String,
    #[serde(default)]
    pub channel_id: String,
}

#[derive(Clone)]
struct Profile {
    handle: String,
    locale: Option<Locale>,
    admin: bool,
    at: std::time::Instant,
}

pub struct SlackApp {
    pub core: Arc<Core>,
    pub api: Arc<SlackApi>,
    pub config: SlackConfig,
    pub tokens: Tokens,
    /// users.info results by (team, user), so a command costs no extra call.
    profiles: Mutex<HashMap<(String, String), Profile>>,
}

impl SlackApp {
    pub fn new(core: Arc<Core>, api: Arc<SlackApi>, config: SlackConfig) -> Arc<SlackApp> {
        let tokens = Tokens::new(
            core.store().clone(),
            config.bot_token.clone(),
            config.sealer.clone(),
        );
        Arc::new(SlackApp {
            core,
            api,
            config,
            tokens,
            profiles: Mutex::new(HashMap::new()),
        })
    }

    /// How many people's `users.info` is cached (bounded by `MAX_PROFILES`).
    pub fn cached_profiles(&self) -> usize {
        self.profiles.lock().expect("profile cache").len()
    }

    /// The actor for a Slack user: handle, locale and workspace-admin flag from `users.info`
    /// (cached); without a token or on failure, what the payload said.
    pub async fn actor(&self, team: &str, user: &str, handle_hint: &str) -> Actor {
        self.checked_actor(team, user, handle_hint).await.0
    }

    /// [`SlackApp::actor`], and whether Slack said who they are (else their admin flag is
    /// unknown, and must not demote a workspace admin).
    async fn checked_actor(&self, team: &str, user: &str, handle_hint: &str) -> (Actor, bool) {
        let key = (team.to_owned(), user.to_owned());
        let cached = self
            .profiles
            .lock()
            .expect("profile cache")
            .get(&key)
            .filter(|p| p.at.elapsed() < PROFILE_TTL)
            .cloned();
        let profile = match cached {
            Some(p) => Some(p),
            None => self.look_up(team, user).await.inspect(|p| {
                let mut profiles = self.profiles.lock().expect("profile cache");
                remember(&mut profiles, key, p.clone(), MAX_PROFILES);
            }),
        };
        let handle = match &profile {
            Some(p) if !p.handle.is_empty() => p.handle.clone(),
            _ if !handle_hint.is_empty() => handle_hint.to_owned(),
            _ => user.to_owned(),
        };
        let actor = Actor {
            identity: Identity {
                platform: Platform::Slack,
                space_id: team.to_owned(),
                user_id: user.to_owned(),
                handle,
            },
            locale: profile.as_ref().and_then(|p| p.locale),
            platform_admin: profile.as_ref().is_some_and(|p| p.admin),
        };
        (actor, profile.is_some())
    }

    /// A typed line or form for the core; when `users.info` failed the admin flag is unknown.
    async fn run_text(&self, (actor, known): &(Actor, bool), line: &str) -> Reply {
        if *known {
            self.core.handle_text(actor, line).await
        } else {
            self.core.handle_text_unsure(actor, line).await
        }
    }

    /// Slack says a member's data changed (`user_change`, e.g. made or no longer a workspace
    /// admin): forget the cached `users.info`, so their next command asks again.
    fn forget_profile(&self, team: &str, user: &str) {
        self.profiles
            .lock()
            .expect("profile cache")
            .remove(&(team.to_owned(), user.to_owned()));
    }

    async fn look_up(&self, team: &str, user: &str) -> Option<Profile> {
        let token = self.tokens.for_team(team).await?;
        let info = self
            .api
            .get(
                &token,
                "users.info",
                &[("user", user), ("include_locale", "true")],
            )
            .await
            .map_err(|e| tracing::warn!(error = %e, "users.info failed"))
            .ok()?;
        let u = &info["user"];
        Some(Profile {
            handle: u["name"].as_str().unwrap_or_default().to_owned(),
            locale: u["locale"].as_str().and_then(Locale::from_tag),
            admin: u["is_admin"].as_bool().unwrap_or(false)
                || u["is_owner"].as_bool().unwrap_or(false),
            at: std::time::Instant::now(),
        })
    }

    /// A slash command: the JSON body to answer Slack with (possibly just an acknowledgement,
    /// with the reply following through `response_url`).
    pub async fn command(self: &Arc<Self>, cmd: SlashCommand) -> Value {
        let Some(typed) = command_line(&cmd) else {
            let command = blocks::escape(&cmd.command);
            return json!({ "response_type": "ephemeral", "text": format!("Unknown command {command}") });
        };
        if let (Some(line), false) = (
            modal::bare_form_command(&cmd.command, &cmd.text),
            cmd.trigger_id.is_empty(),
        ) {
            let actor = self.actor(&cmd.team_id, &cmd.user_id, &cmd.user_name).await;
            let locale = actor
                .locale
                .unwrap_or(self.core.community_defaults().locale);
            let form = modal::profile_form(line, locale);
            let intro = Reply::text(locale, "");
            if self
                .open_modal(&cmd.team_id, &cmd.trigger_id, &form, &intro)
                .await
            {
                return json!({});
            }
            // No modal (no token, Slack refused): the typed command answers with its usage.
        }
        if let (Some(skip), false) = (import_request(&typed), cmd.trigger_id.is_empty()) {
            // Only an admin gets the file form; anyone else is answered by the core below.
            let actor = self.actor(&cmd.team_id, &cmd.user_id, &cmd.user_name).await;
            if self.core.is_admin(&actor).await {
                let locale = actor
                    .locale
                    .unwrap_or(self.core.community_defaults().locale);
                let line = if skip {
                    "/admin import skip_bad:yes"
                } else {
                    "/admin import"
                };
                if self
                    .open_view(&cmd.team_id, &cmd.trigger_id, import::view(line, locale))
                    .await
                {
                    return json!({});
                }
            }
        }
        let app = self.clone();
        let mut work = tokio::spawn(async move {
            let actor = app
                .checked_actor(&cmd.team_id, &cmd.user_id, &cmd.user_name)
                .await;
            let reply = app.run_text(&actor, &typed).await;
            (app, cmd, reply)
        });
        let finish = |app: Arc<SlackApp>, cmd: SlashCommand, reply: Reply| async move {
            if let (Some(form), false) = (&reply.form, cmd.trigger_id.is_empty())
                && app
                    .open_modal(&cmd.team_id, &cmd.trigger_id, form, &reply)
                    .await
            {
                return None;
            }
            if reply.attachment.is_some() {
                let (app, cmd, reply) = (app.clone(), cmd.clone(), reply.clone());
                tokio::spawn(async move { app.send_file(&cmd, &reply).await });
            }
            Some(response(&reply))
        };
        // A zero budget always acknowledges first (however quick the answer would be).
        let inline = if self.config.inline_budget.is_zero() {
            Err(())
        } else {
            tokio::time::timeout(self.config.inline_budget, &mut work)
                .await
                .map_err(|_| ())
        };
        match inline {
            Ok(Ok((app, cmd, reply))) => finish(app, cmd, reply).await.unwrap_or_else(|| json!({})),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "slash command task failed");
                json!({ "response_type": "ephemeral", "text": "Something went wrong." })
            }
            Err(_) => {
                // Too slow to answer inline: acknowledge now, finish through response_url.
                tokio::spawn(async move {
                    let Ok((app, cmd, reply)) = work.await else {
                        return;
                    };
                    let url = cmd.response_url.clone();
                    if let Some(body) = finish(app.clone(), cmd, reply).await
                        && let Err(e) = app.api.respond(&url, &body).await
                    {
                        tracing::warn!(error = %e, "posting a late reply to response_url");
                    }
                });
                // An empty 200 is Slack's plain acknowledgement.
                json!({})
            }
        }
    }

    /// Open a modal for a `Form` (join, profile edit, a decline reason); false if it could not
    /// be opened, so the caller shows the reply as a message instead.
    pub async fn open_modal(
        &self,
        team: &str,
        trigger_id: &str,
        form: &bot_core::reply::Form,
        reply: &Reply,
    ) -> bool {
        self.open_view(team, trigger_id, modal::view(form, reply))
            .await
    }

    async fn open_view(&self, team: &str, trigger_id: &str, view: Value) -> bool {
        let Some(token) = self.tokens.for_team(team).await else {
            tracing::warn!(team, "no token to open a modal");
            return false;
        };
        let body = json!({ "trigger_id": trigger_id, "view": view });
        match self.api.post(&token, "views.open", &body).await {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(error = %e, "views.open failed");
                false
            }
        }
    }

    /// An interaction payload (the JSON in `payload=`). Returns the HTTP body Slack expects
    /// right away: `None` for an empty 200.
    pub async fn interaction(self: &Arc<Self>, payload: Value) -> Option<Value> {
        let InteractionHead {
            kind,
            team,
            user,
            hint,
        } = interaction_head(&payload);
        match kind {
            InteractionKind::BlockActions => {
                let app = self.clone();
                // Buttons are answered through response_url / views, so the 200 goes back now.
                tokio::spawn(async move { app.block_actions(&team, &user, &hint, payload).await });
                None
            }
            InteractionKind::ViewSubmission => {
                let actor = self.checked_actor(&team, &user, &hint).await;
                self.view_submission(&actor, &payload).await
            }
            InteractionKind::Other => None,
        }
    }

    async fn block_actions(&self, team: &str, user: &str, hint: &str, payload: Value) {
        let actor = self.actor(team, user, hint).await;
        for id in action_ids(&payload) {
            let reply = self.core.handle_action(&actor, id).await;
            if let (Some(form), Some(trigger)) = (&reply.form, payload["trigger_id"].as_str())
                && self.open_modal(team, trigger, form, &reply).await
            {
                continue;
            }
            if payload["view"]["type"].as_str() == Some("home") {
                // A button in App Home: show the result in the app's DM and refresh the Home.
                self.post_to_user(team, user, &reply).await;
                self.publish_home(team, user).await;
                continue;
            }
            match payload["response_url"].as_str() {
                Some(url) => {
                    let mut body = blocks::message(&reply);
                    if reply.ephemeral {
                        body["response_type"] = json!("ephemeral");
                        body["replace_original"] = json!(false);
                    } else {
                        body["replace_original"] = json!(true);
                    }
                    if let Err(e) = self.api.respond(url, &body).await {
                        tracing::warn!(error = %e, "answering a button through response_url");
                    }
                }
                None => self.post_to_user(team, user, &reply).await,
            }
        }
    }

    async fn view_submission(
        self: &Arc<Self>,
        checked: &(Actor, bool),
        payload: &Value,
    ) -> Option<Value> {
        let (actor, _) = checked;
        let view = &payload["view"];
        if import::is_import(view) {
            return self.import_submission(checked, view).await;
        }
        let (line, keys) = modal::submission_line(view)?;
        let reply = self.run_text(checked, &line).await;
        if reply.error {
            // Shown on the field in the modal, which stays open.
            let key = modal::field_for_error(&keys, reply.error_key.as_deref());
            let mut errors = serde_json::Map::new();
            errors.insert(key, json!(modal::field_error_text(&reply.text)));
            return Some(json!({ "response_action": "errors", "errors": errors }));
        }
        self.post_to_user(&actor.identity.space_id, &actor.identity.user_id, &reply)
            .await;
        None
    }

    /// The import modal submitted: what can be refused at once (no file, not an admin, too
    /// large) stays on the modal's file field; otherwise the modal closes within Slack's 3 s
    /// and the file is downloaded (bounded) and imported in the background, the result (with
    /// any bad rows by line) sent to the admin's DM.
    async fn import_submission(
        self: &Arc<Self>,
        checked: &(Actor, bool),
        view: &Value,
    ) -> Option<Value> {
        let (actor, known) = checked;
        let locale = actor
            .locale
            .unwrap_or(self.core.community_defaults().locale);
        let (line, upload) = import::submission(view);
        let skip_bad = import_request(&line).unwrap_or(false);
        let say = |key: &str| Some(import::field_error(&i18n::t(locale, key, &[])));
        let Some(upload) = upload else {
            return say("roster.attach_file");
        };
        if !self.core.is_admin(actor).await {
            // The core's own refusal, with nothing downloaded.
            let reply = self.run_text(checked, &line).await;
            return Some(import::field_error(&reply.text));
        }
        if upload.size > import::MAX_BYTES {
            return say("slack.file_too_large");
        }
        let team = actor.identity.space_id.clone();
        let Some(token) = self.tokens.for_team(&team).await else {
            return say("error.try_again");
        };
        let (app, actor, known) = (self.clone(), actor.clone(), *known);
        tokio::spawn(async move {
            let reply = match app
                .api
                .download(&token, &upload.url, import::MAX_BYTES)
                .await
            {
                Ok(csv) => {
                    let command = Command::Admin(Admin::Import {
                        csv: Some(csv),
                        skip_bad,
                    });
                    if known {
                        app.core.handle(&actor, command).await
                    } else {
                        app.core.handle_unsure(&actor, command).await
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "downloading the roster file");
                    Reply::text(locale, i18n::t(locale, "slack.file_unreadable", &[])).private()
                }
            };
            app.post_to_user(&team, &actor.identity.user_id, &reply)
                .await;
        });
        None
    }

    /// A reply's file into the conversation it was asked in, or the asker's DM when the reply
    /// is only for them. A file Slack refuses gets a clear answer in the DM, not silence.
    async fn send_file(&self, cmd: &SlashCommand, reply: &Reply) {
        let Some(file) = &reply.attachment else {
            return;
        };
        let locale = reply.locale;
        let Some(token) = self.tokens.for_team(&cmd.team_id).await else {
            return;
        };
        let channel = if reply.ephemeral || cmd.channel_id.is_empty() {
            let opened = self
                .api
                .post(
                    &token,
                    "conversations.open",
                    &json!({ "users": cmd.user_id }),
                )
                .await;
            match opened
                .ok()
                .and_then(|o| o["channel"]["id"].as_str().map(str::to_owned))
            {
                Some(dm) => dm,
                None => {
                    tracing::warn!("conversations.open failed for a file");
                    return;
                }
            }
        } else {
            cmd.channel_id.clone()
        };
        if let Err(e) = crate::files::share(&self.api, &token, &channel, file).await {
            tracing::warn!(error = %e, file = %file.filename, "sharing a file failed");
            let why = match &e {
                ApiError::Slack(code)
                    if code == "missing_scope" || code == "not_allowed_token_type" =>
                {
                    i18n::t(locale, "slack.file_scope", &[])
                }
                ApiError::Slack(code)
                    if code.contains("too_large") || code == "invalid_arguments" =>
                {
                    i18n::t(locale, "slack.file_refused_size", &[])
                }
                _ => i18n::t(locale, "error.try_again", &[]),
            };
            let text = i18n::t(
                locale,
                "slack.file_not_sent",
                &[("file", &file.filename), ("why", &why)],
            );
            self.post_to_user(
                &cmd.team_id,
                &cmd.user_id,
                &Reply::text(locale, text).private(),
            )
            .await;
        }
    }

    /// A message in the app's DM with this user.
    pub async fn post_to_user(&self, team: &str, user: &str, reply: &Reply) {
        let Some(token) = self.tokens.for_team(team).await else {
            return;
        };
        let mut body = blocks::message(reply);
        body["channel"] = json!(user);
        if let Err(e) = self.api.post(&token, "chat.postMessage", &body).await {
            tracing::warn!(error = %e, "posting to a user");
        }
    }

    /// An Events API envelope (already verified, deduplicated by the caller).
    pub async fn event(&self, envelope: &Value) {
        let (team, event) = read_event(envelope);
        match event {
            SlackEvent::HomeOpened { user } => self.publish_home(team, user).await,
            SlackEvent::MemberJoined { user } => self.welcome(team, user).await,
            SlackEvent::UserChanged { user } => self.forget_profile(team, user),
            SlackEvent::Revoked => match self.core.store().revoke_slack_installation(team).await {
                Ok(true) => tracing::info!(team, "Slack installation revoked"),
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "revoking an installation"),
            },
            SlackEvent::Ignored(other) => tracing::debug!(?other, "ignored event"),
        }
    }

    /// App Home: my profile, upcoming events (with their RSVP buttons), pending intros.
    pub async fn publish_home(&self, team: &str, user: &str) {
        let Some(token) = self.tokens.for_team(team).await else {
            return;
        };
        let actor = self.checked_actor(team, user, "").await;
        let mut home = Vec::new();
        for line in ["/alumni profile", "/event list", "/intro list"] {
            let mut reply = self.run_text(&actor, line).await;
            if line == "/event list" && !reply.error {
                reply = self.with_rsvp_buttons(team, reply).await;
            }
            if !home.is_empty() {
                home.push(json!({ "type": "divider" }));
            }
            // A Home tab takes 100 blocks: a third each (beside two dividers), packed
            // densely rather than cut off at the end.
            home.extend(blocks::blocks_within(&reply, HOME_BLOCKS_EACH));
        }
        let body = json!({ "user_id": user, "view": { "type": "home", "blocks": home } });
        if let Err(e) = self.api.post(&token, "views.publish", &body).await {
            tracing::warn!(error = %e, "views.publish failed");
        }
    }

    /// The event list with Going / Maybe / Can't go buttons for the next few events (the list
    /// itself only names them; the core checks each press like any RSVP button).
    async fn with_rsvp_buttons(&self, team: &str, mut reply: Reply) -> Reply {
        let store = self.core.store();
        let now = self.core.clock().now();
        let events = match store
            .community_for_space(Platform::Slack, team, &self.community_defaults())
            .await
        {
            Ok(c) => store.upcoming_events(c.id, now).await,
            Err(e) => Err(e),
        };
        let events = match events {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!(error = %e, "App Home: upcoming events");
                return reply;
            }
        };
        let locale = reply.locale;
        for event in events.iter().take(HOME_EVENTS) {
            let Some(occurrence) = event.next_occurrence(now) else {
                continue;
            };
            for (choice, style) in [
                (RsvpChoice::Going, ButtonStyle::Primary),
                (RsvpChoice::Maybe, ButtonStyle::Secondary),
                (RsvpChoice::No, ButtonStyle::Secondary),
            ] {
                let label = format!(
                    "#{} {}",
                    event.id,
                    i18n::t(locale, &format!("button.{}", choice.as_str()), &[])
                );
                let action = Action::Rsvp {
                    event: event.id,
                    occurrence: occurrence.timestamp(),
                    choice,
                };
                reply = reply.button(label, action.encode_in(event.community_id), style);
            }
        }
        reply
    }

    /// Someone joined a channel the bot is in: if they are not a member yet, tell them how.
    async fn welcome(&self, team: &str, user: &str) {
        let actor = self.actor(team, user, "").await;
        let store = self.core.store();
        let community = match store
            .community_for_space(Platform::Slack, team, &self.community_defaults())
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "welcome: community");
                return;
            }
        };
        match store
            .member_by_identity(community.id, Platform::Slack, user)
            .await
        {
            Ok(None) => {
                let reply = self.core.handle_text(&actor, "/alumni help").await;
                self.post_to_user(team, user, &reply).await;
            }
            Ok(Some(_)) => {}
            Err(e) => tracing::error!(error = %e, "welcome: member"),
        }
    }

    pub fn community_defaults(&self) -> NewCommunity {
        self.core.community_defaults().clone()
    }
}

/// Cache a profile, bounded: when full, expired entries go first, then the oldest.
fn remember(
    profiles: &mut HashMap<(String, String), Profile>,
    key: (String, String),
    profile: Profile,
    cap: usize,
) {
    if profiles.len() >= cap {
        profiles.retain(|_, p| p.at.elapsed() < PROFILE_TTL);
    }
    while profiles.len() >= cap {
        let Some(oldest) = profiles
            .iter()
            .min_by_key(|(_, p)| p.at)
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        profiles.remove(&oldest);
    }
    profiles.insert(key, profile);
}

/// `Some(skip_bad)` when a line is `/admin import` without a file (a slash command never has one).
fn import_request(line: &str) -> Option<bool> {
    // Only `/admin` lines can be one: every other command is parsed once, by the core.
    if !line.starts_with("/admin ") {
        return None;
    }
    match bot_core::command::parse(line) {
        Ok(Command::Admin(Admin::Import {
            csv: None,
            skip_bad,
        })) => Some(skip_bad),
        _ => None,
    }
}

/// The grammar line a slash command stands for; `None` for a command the app does not
/// register. Pure (no store, no API), like the readers below: the fuzz target calls them too.
pub fn command_line(cmd: &SlashCommand) -> Option<String> {
    let name = cmd.command.strip_prefix('/')?;
    bot_core::command::spec::command(name).map(|_| {
        format!("{} {}", cmd.command, unescape(cmd.text.trim()))
            .trim()
            .to_owned()
    })
}

/// Slack sends `&`, `<` and `>` typed in a command as `&amp;`, `&lt;` and `&gt;` (its own
/// mentions, `<@U…|name>`, arrive unescaped): the grammar reads what was typed, so "R&D"
/// stays "R&D".
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InteractionKind {
    BlockActions,
    ViewSubmission,
    Other,
}

/// Who sent an interaction, and what kind it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionHead {
    pub kind: InteractionKind,
    pub team: String,
    pub user: String,
    /// The handle the payload gives, used when `users.info` cannot be asked.
    pub hint: String,
}

pub fn interaction_head(payload: &Value) -> InteractionHead {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    InteractionHead {
        kind: match payload["type"].as_str() {
            Some("block_actions") => InteractionKind::BlockActions,
            Some("view_submission") => InteractionKind::ViewSubmission,
            _ => InteractionKind::Other,
        },
        team: payload["team"]["id"]
            .as_str()
            .or(payload["user"]["team_id"].as_str())
            .unwrap_or_default()
            .to_owned(),
        user: text(&payload["user"]["id"]),
        hint: payload["user"]["username"]
            .as_str()
            .or(payload["user"]["name"].as_str())
            .unwrap_or_default()
            .to_owned(),
    }
}

/// The `action_id` of each pressed element of a `block_actions` payload, in order (empty for
/// an action without one; the core refuses it like any unknown id).
pub fn action_ids(payload: &Value) -> Vec<&str> {
    payload["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a["action_id"].as_str().unwrap_or_default())
        .collect()
}

/// An Events API event the app acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlackEvent<'a> {
    HomeOpened {
        user: &'a str,
    },
    MemberJoined {
        user: &'a str,
    },
    /// `user_change`: a member's data (their admin flag among it) changed.
    UserChanged {
        user: &'a str,
    },
    /// `app_uninstalled` or `tokens_revoked`.
    Revoked,
    /// Anything else (its type, if it had one).
    Ignored(Option<&'a str>),
}

/// The team an envelope is for, and what its event asks.
pub fn read_event(envelope: &Value) -> (&str, SlackEvent<'_>) {
    let team = envelope["team_id"].as_str().unwrap_or_default();
    let event = &envelope["event"];
    let user = || event["user"].as_str().unwrap_or_default();
    let what = match event["type"].as_str() {
        Some("app_home_opened") if event["tab"].as_str().unwrap_or("home") == "home" => {
            SlackEvent::HomeOpened { user: user() }
        }
        Some("member_joined_channel") => SlackEvent::MemberJoined { user: user() },
        // Here `user` is the whole user object.
        Some("user_change") if event["user"]["id"].is_string() => SlackEvent::UserChanged {
            user: event["user"]["id"].as_str().unwrap_or_default(),
        },
        Some("app_uninstalled") | Some("tokens_revoked") => SlackEvent::Revoked,
        other => SlackEvent::Ignored(other),
    };
    (team, what)
}

/// A reply as a slash-command / response_url body.
pub fn response(reply: &Reply) -> Value {
    let mut body = blocks::message(reply);
    body["response_type"] = json!(if reply.ephemeral {
        "ephemeral"
    } else {
        "in_channel"
    });
    body
}

impl From<ApiError> for bot_core::messenger::DeliveryError {
    fn from(e: ApiError) -> Self {
        use bot_core::messenger::DeliveryError;
        match e {
            ApiError::RateLimited(d) => DeliveryError::RateLimited(d),
            ApiError::Slack(code) if TRANSIENT_CODES.contains(&code.as_str()) => {
                DeliveryError::Transient(code)
            }
            ApiError::Slack(code) => DeliveryError::Permanent(code),
            ApiError::Invalid(m) => DeliveryError::Permanent(m),
            other => DeliveryError::Transient(other.to_string()),
        }
    }
}

/// Slack error codes that say "try again later" rather than "this will never work".
const TRANSIENT_CODES: &[&str] = &[
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(age: Duration) -> Profile {
        Profile {
            handle: "x".into(),
            locale: None,
            admin: false,
            at: std::time::Instant::now() - age,
        }
    }

    #[test]
    fn typed_ampersands_and_brackets_are_read_as_typed() {
        let cmd = SlashCommand {
            team_id: "T1".into(),
            user_id: "U1".into(),
            user_name: "ann".into(),
            command: "/alumni".into(),
            text: "profile set company:\"R&amp;D &lt;Tokyo&gt;\" title:&amp;amp;".into(),
            response_url: String::new(),
            trigger_id: String::new(),
            channel_id: String::new(),
        };
        assert_eq!(
            command_line(&cmd).unwrap(),
            "/alumni profile set company:\"R&D <Tokyo>\" title:&amp;"
        );
    }

    /// The users.info cache never holds more than its cap: expired entries go first, then the
    /// oldest (it used to keep every person ever seen).
    #[test]
    fn the_profile_cache_is_bounded() {
        let mut cache = HashMap::new();
        let key = |i: usize| ("T1".to_owned(), format!("U{i}"));
        for i in 0..250 {
            // Every other one is past its TTL.
            let age = if i % 2 == 0 {
                PROFILE_TTL * 2
            } else {
                Duration::from_secs(i as u64)
            };
            remember(&mut cache, key(i), profile(age), 100);
            assert!(cache.len() <= 100);
        }
        assert_eq!(cache.len(), 100);
        assert!(cache.contains_key(&key(249)), "the newest is kept");
        assert!(
            cache.values().all(|p| p.at.elapsed() < PROFILE_TTL),
            "expired ones went first"
        );
    }
}
