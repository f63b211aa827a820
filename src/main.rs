//! alumni-bot: a company's alumni network inside Discord and Slack.

mod config;
mod db;
mod file_messenger;
mod shell;
mod slack;

use std::sync::Arc;

use anyhow::{Result, bail};
use bot_core::clock::{Clock, OffsetClock, SystemClock};
use bot_core::scheduler::Scheduler;
use bot_core::service::{Core, CoreConfig};
use bot_core::store::{NewCommunity, Store};
use chrono::TimeDelta;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "alumni-bot",
    version,
    about = "A closed alumni network for companies, inside Discord and Slack"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start every adapter whose settings are present, with the scheduler; the shell when no
    /// platform is configured (the default command).
    Run,
    /// Force the local shell: type commands as any member (`:as NAME`).
    Shell {
        /// Who types first (default: the first of ALUMNI_ADMINS, else "guest").
        #[arg(long = "as")]
        user: Option<String>,
    },
    /// Only run the database migrations, then exit.
    Migrate,
    /// Deliver due jobs to a file instead of a platform (batch runs, crash tests, benchmarks).
    Deliver {
        /// Append each delivery here, one line each.
        #[arg(long)]
        log: std::path::PathBuf,
        /// Drop a delivery whose key is already in the file (as the platforms' nonces do).
        #[arg(long)]
        dedupe: bool,
        /// Exit once nothing is due or leased, instead of waiting for more.
        #[arg(long)]
        until_idle: bool,
        /// Seconds a claimed job stays leased before another process may take it over.
        #[arg(long, default_value_t = 60)]
        lease_secs: i64,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let config = Config::load()?;
    tracing::debug!(?config, "configuration");
    match cli.command.unwrap_or(Cmd::Run) {
        Cmd::Migrate => {
            db::open(&config.database_url).await?;
            println!("migrated {}", config::redact_url(&config.database_url));
            Ok(())
        }
        Cmd::Shell { user } => run_shell(&config, user).await,
        Cmd::Deliver {
            log,
            dedupe,
            until_idle,
            lease_secs,
        } => {
            let core = Arc::new(core(
                &config,
                db::open(&config.database_url).await?,
                Arc::new(SystemClock),
            ));
            let messenger = Arc::new(file_messenger::FileMessenger::open(&log, dedupe)?);
            let scheduler =
                Scheduler::new(core, messenger).with_lease(TimeDelta::seconds(lease_secs.max(1)));
            if until_idle {
                let stats = scheduler.run_until_idle().await?;
                println!("{stats:?}");
            } else {
                scheduler.run().await;
            }
            Ok(())
        }
        Cmd::Run => {
            if let Some(slack) = config.slack()? {
                return slack::run(&config, slack).await;
            }
            if config.has_platform() {
                bail!(
                    "DISCORD_TOKEN is set, but this build has no Discord adapter yet; unset it \
                     to use the shell"
                );
            }
            run_shell(&config, None).await
        }
    }
}

fn core(config: &Config, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Core {
    Core::new(
        store,
        clock,
        CoreConfig {
            bootstrap_admins: config.admins.clone(),
            community_defaults: NewCommunity {
                name: config.community_name.clone(),
                locale: config.shell_locale.unwrap_or_default(),
                timezone: config.timezone.clone(),
                requires_approval: config.approval,
            },
        },
    )
}

async fn run_shell(config: &Config, user: Option<String>) -> Result<()> {
    let store = db::open(&config.database_url).await?;
    let clock = Arc::new(OffsetClock::new());
    let core = Arc::new(core(config, store, clock.clone()));
    let user = user
        .or_else(|| config.admins.first().cloned())
        .unwrap_or_else(|| "guest".to_owned());
    let tz = config.timezone.parse().unwrap_or(chrono_tz::Asia::Tokyo);
    shell::Shell::new(core, clock, user, config.shell_locale, tz)
        .run()
        .await
}
