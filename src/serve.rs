//! `alumni-bot run` with Discord, Slack or both: one core, one scheduler, each configured
//! adapter started by its crate's own `start`, and a `Messenger` that routes each delivery to
//! the platform it belongs to.

use std::sync::Arc;

use alumni_discord::{Directory, DiscordConfig, DiscordMessenger};
use alumni_slack::{SlackConfig, SlackMessenger};
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
    discord: Option<(Arc<DiscordMessenger>, Arc<Directory>)>,
    slack: Option<Arc<SlackMessenger>>,
}

impl RoutingMessenger {
    fn pick(&self, delivery: &Delivery) -> Option<&dyn Messenger> {
        let platform = match &delivery.to {
            Address::Direct(who) => Some(who.platform),
            Address::Group(people) => people.first().map(|p| p.platform),
            Address::Channel(_) => None,
        };
        let to_discord = match (platform, &self.discord) {
            (Some(p), _) => p == Platform::Discord,
            (None, Some((_, guilds))) => guilds.guild(delivery.community_id).is_some(),
            (None, None) => false,
        };
        match (&self.discord, &self.slack, to_discord) {
            (Some((discord, _)), _, true) => Some(discord.as_ref()),
            (_, Some(slack), false) => Some(slack.as_ref()),
            // Only one platform runs: everything goes there.
            (Some((discord, _)), None, false) => Some(discord.as_ref()),
            (None, Some(slack), true) => Some(slack.as_ref()),
            (None, None, _) => None,
        }
    }
}

#[async_trait]
impl Messenger for RoutingMessenger {
    async fn deliver(&self, delivery: &Delivery) -> Result<Option<String>, DeliveryError> {
        match self.pick(delivery) {
            Some(m) => m.deliver(delivery).await,
            None => Err(DeliveryError::Permanent("no platform is running".into())),
        }
    }

    async fn update(&self, delivery: &Delivery, message_ref: &str) -> Result<(), DeliveryError> {
        match self.pick(delivery) {
            Some(m) => m.update(delivery, message_ref).await,
            None => Err(DeliveryError::Permanent("no platform is running".into())),
        }
    }
}

pub async fn run(
    config: &Config,
    discord: Option<DiscordConfig>,
    slack: Option<SlackConfig>,
) -> Result<()> {
    let store = db::open_serving(&config.database_url).await?;
    let core = Arc::new(core(config, store.clone(), Arc::new(SystemClock)));
    let mut services = Vec::new();
    let mut messenger = RoutingMessenger {
        discord: None,
        slack: None,
    };
    if let Some(discord) = discord {
        let started = alumni_discord::start(core.clone(), discord)
            .await
            .context("starting Discord")?;
        messenger.discord = Some((started.messenger, started.directory));
        services.extend(started.services);
    }
    if let Some(slack) = slack {
        let started = alumni_slack::start(core.clone(), store.clone(), slack)
            .await
            .context("starting Slack")?;
        messenger.slack = Some(started.messenger);
        services.extend(started.services);
    }
    // Each platform connection runs on its own: one that fails (Discord unreachable, a Slack
    // token refused) is reported in /healthz and retried with backoff while the rest serve.
    let mut tasks = tokio::task::JoinSet::new();
    for service in services {
        tasks.spawn(bot_core::health::supervise(service, core.health().clone()));
    }
    let scheduler = Scheduler::new(core, Arc::new(messenger));
    tasks.spawn(async move { scheduler.run().await });
    tokio::select! {
        _ = tokio::signal::ctrl_c() => eprintln!("stopping"),
        _ = tasks.join_next() => anyhow::bail!("a task stopped"),
    }
    Ok(())
}
