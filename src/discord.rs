//! `alumni-bot run` with Discord (and Slack too, when both are configured): one core, one
//! scheduler, and a `Messenger` that routes each delivery to the platform it belongs to.

use std::sync::Arc;

use alumni_discord::{Directory, DiscordBot, DiscordConfig, DiscordMessenger};
use alumni_slack::{SlackApi, SlackApp, SlackConfig, SlackMessenger};
use anyhow::{Context, Result};
use async_trait::async_trait;
use bot_core::clock::SystemClock;
use bot_core::domain::Platform;
use bot_core::messenger::{Address, Delivery, DeliveryError, Messenger};
use bot_core::scheduler::Scheduler;

use crate::config::Config;
use crate::{core, db};

/// Sends each delivery through Discord or Slack. A person's identity says its platform; a
/// channel post goes to Discord when the community is a guild the bot has seen, else Slack.
pub struct RoutingMessenger {
    discord: Arc<DiscordMessenger>,
    guilds: Arc<Directory>,
    slack: Option<Arc<SlackMessenger>>,
}

impl RoutingMessenger {
    fn pick(&self, delivery: &Delivery) -> &dyn Messenger {
        let platform = match &delivery.to {
            Address::Direct(who) => Some(who.platform),
            Address::Group(people) => people.first().map(|p| p.platform),
            Address::Channel(_) => None,
        };
        let discord = match platform {
            Some(p) => p == Platform::Discord,
            None => self.guilds.guild(delivery.community_id).is_some(),
        };
        match (&self.slack, discord) {
            (Some(slack), false) => slack.as_ref(),
            _ => self.discord.as_ref(),
        }
    }
}

#[async_trait]
impl Messenger for RoutingMessenger {
    async fn deliver(&self, delivery: &Delivery) -> Result<Option<String>, DeliveryError> {
        self.pick(delivery).deliver(delivery).await
    }

    async fn update(&self, delivery: &Delivery, message_ref: &str) -> Result<(), DeliveryError> {
        self.pick(delivery).update(delivery, message_ref).await
    }
}

pub async fn run(
    config: &Config,
    discord: DiscordConfig,
    slack: Option<SlackConfig>,
) -> Result<()> {
    let store = db::open_serving(&config.database_url).await?;
    let core = Arc::new(core(config, store.clone(), Arc::new(SystemClock)));
    let bot = DiscordBot::new(core.clone(), discord)
        .await
        .context("building the Discord client")?;
    let mut tasks = tokio::task::JoinSet::new();

    let mut slack_messenger = None;
    if let Some(slack) = slack {
        let api = Arc::new(SlackApi::new(&slack.api_url).context("Slack Web API client")?);
        slack_messenger = Some(Arc::new(SlackMessenger::new(
            api.clone(),
            store.clone(),
            slack.bot_token.clone(),
        )));
        let app = SlackApp::new(core.clone(), api, slack.clone());
        if let Some(app_token) = slack.app_token.clone() {
            let app = app.clone();
            tasks.spawn(async move {
                alumni_slack::socket::run(app, &app_token)
                    .await
                    .map_err(anyhow::Error::from)
            });
        }
        if !slack.signing_secret.is_empty() {
            let listener = tokio::net::TcpListener::bind(slack.http_addr)
                .await
                .with_context(|| format!("listening on {}", slack.http_addr))?;
            eprintln!("Slack: listening on http://{}", slack.http_addr);
            tasks.spawn(async move {
                alumni_slack::http::serve(listener, app)
                    .await
                    .map_err(anyhow::Error::from)
            });
        }
    }

    let messenger = Arc::new(RoutingMessenger {
        discord: bot.messenger.clone(),
        guilds: bot.app.directory.clone(),
        slack: slack_messenger,
    });
    let scheduler = Scheduler::new(core, messenger);
    tasks.spawn(async move {
        scheduler.run().await;
        Ok(())
    });
    eprintln!("Discord: connecting");
    tasks.spawn(async move { bot.run().await.context("the Discord gateway stopped") });
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {
            eprintln!("stopping");
            Ok(())
        }
        Some(done) = tasks.join_next() => done.context("a task panicked")?,
    }
}
