//! The Discord adapter: slash commands (poise, from the core's command spec), buttons and
//! modals through serenity's gateway client,
//! a `Messenger` for the scheduler's deliveries, and the configuration that points both at
//! Discord (or at a fake, through `DISCORD_API_BASE`).

pub mod app;
pub mod commands;
pub mod config;
pub mod directory;
pub mod framework;
pub mod messenger;
pub mod modal_pages;
mod ratelimit;
pub mod render;
pub mod roles;
pub mod scheduled;

use std::sync::Arc;

use bot_core::service::Core;
use serenity::all::{Client, GatewayIntents, HttpBuilder};

pub use app::DiscordApp;
pub use config::{DiscordConfig, Sharding};
pub use directory::Directory;
pub use messenger::DiscordMessenger;
/// For tests and the binary: the same serenity the adapter is built on.
pub use serenity;

/// Guilds (channels, owner) and members (GUILD_MEMBER_UPDATE tells when membership screening
/// passed; a privileged intent to switch on in the developer portal).
pub fn intents() -> GatewayIntents {
    GatewayIntents::GUILDS | GatewayIntents::GUILD_MEMBERS
}

/// Nothing cached: the adapter reads what it needs (owner, channels) from GUILD_CREATE itself
/// into its `Directory`; a cached copy of a 10,000-member guild cost 4 MiB resident and 9 MiB
/// at the peak (BENCHMARKS.md).
fn cache_settings() -> serenity::cache::Settings {
    let mut settings = serenity::cache::Settings::default();
    settings.cache_guilds = false;
    settings.cache_channels = false;
    settings.cache_users = false;
    settings.max_messages = 0;
    settings
}

/// The bot: its gateway client and the messenger that shares its view of the guilds.
pub struct DiscordBot {
    pub client: Client,
    pub messenger: Arc<DiscordMessenger>,
    pub app: Arc<DiscordApp>,
}

impl DiscordBot {
    pub async fn new(
        core: Arc<Core>,
        config: DiscordConfig,
    ) -> Result<DiscordBot, serenity::Error> {
        if let Some(guild) = config.guild_id {
            // ALUMNI_ADMINS exist before the first interaction, which may beat GUILD_CREATE.
            if let Err(e) = core
                .bootstrap(bot_core::domain::Platform::Discord, &guild.to_string())
                .await
            {
                tracing::warn!(error = %e, "setting up ALUMNI_ADMINS for DISCORD_GUILD_ID");
            }
        }
        let directory = Arc::new(Directory::default());
        let messenger = Arc::new(DiscordMessenger::new(
            &config.token,
            config.api_base.clone(),
            directory.clone(),
        ));
        let app = Arc::new(DiscordApp {
            http: Arc::new(http(&config)),
            core,
            config,
            directory,
            screening: roles::Screening::default(),
            form_pages: modal_pages::FormPages::default(),
        });
        messenger.tell(&app);
        DiscordBot::over(app, messenger).await
    }

    /// A new gateway client over an existing app (after the connection was lost for good).
    pub async fn over(
        app: Arc<DiscordApp>,
        messenger: Arc<DiscordMessenger>,
    ) -> Result<DiscordBot, serenity::Error> {
        let client = serenity::all::ClientBuilder::new_with_http(http(&app.config), intents())
            .cache_settings(cache_settings())
            .framework(framework::framework(app.clone()))
            .await?;
        Ok(DiscordBot {
            client,
            messenger,
            app,
        })
    }

    /// Connect and serve until the gateway gives up.
    pub async fn run(mut self) -> Result<(), serenity::Error> {
        match self.app.config.sharding.clone() {
            Sharding::Auto => self.client.start_autosharded().await,
            Sharding::Range { ids, total } => self.client.start_shard_range(ids, total).await,
        }
    }
}

/// serenity's REST client for `config` (its token, and `DISCORD_API_BASE`).
fn http(config: &DiscordConfig) -> serenity::all::Http {
    let mut http = HttpBuilder::new(&config.token);
    if let Some(base) = &config.api_base {
        // serenity rewrites discord.com to the proxy only with its ratelimiter off.
        http = http.proxy(base.clone()).ratelimiter_disabled(true);
    }
    http.build()
}

/// What a started adapter hands back: the messenger the scheduler delivers through, the guilds
/// it knows (a channel post goes to Discord when its community is one of them), and its
/// gateway connection as a restartable service for the caller to supervise.
pub struct Started {
    pub messenger: Arc<DiscordMessenger>,
    pub directory: Arc<Directory>,
    pub services: Vec<bot_core::health::Service>,
}

/// Discord: the one start-up the binary uses, alone or beside Slack. Nothing connects yet: the
/// gateway is the returned service (the caller runs it, and runs it again if Discord is down),
/// and the scheduler is the caller's.
pub async fn start(core: Arc<Core>, config: DiscordConfig) -> Result<Started, serenity::Error> {
    let bot = DiscordBot::new(core, config).await?;
    let app = bot.app.clone();
    let (messenger, directory) = (bot.messenger.clone(), app.directory.clone());
    let first = std::sync::Mutex::new(Some(bot));
    let kept = messenger.clone();
    let gateway = bot_core::health::Service::new("discord", move || {
        // The first run uses the client built above; a restart builds a new one over the
        // same app (its guilds, screening and messenger carry over).
        let bot = first.lock().unwrap_or_else(|e| e.into_inner()).take();
        let (app, messenger) = (app.clone(), kept.clone());
        async move {
            let bot = match bot {
                Some(bot) => bot,
                None => DiscordBot::over(app, messenger).await?,
            };
            bot.run().await?;
            Ok(())
        }
    });
    Ok(Started {
        messenger,
        directory,
        services: vec![gateway],
    })
}
