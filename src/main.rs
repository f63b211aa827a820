//! alumni-bot: a company's alumni network inside Discord and Slack.

mod config;
mod db;
mod file_messenger;
mod serve;
mod shell;

use std::sync::Arc;

use anyhow::{Context, Result};
use bot_core::clock::{Clock, OffsetClock, SystemClock};
use bot_core::scheduler::Scheduler;
use bot_core::service::{Core, CoreConfig};
use bot_core::store::{NewCommunity, Store};
use bot_core::{i18n, invite_code};
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
        /// Start the shell's clock at this instant instead of now, e.g. 2026-12-01T10:00+09:00
        /// (ISO 8601; without an offset, in the community's time zone). It runs on from there
        /// and `:clock` moves it, so a script runs on the dates it was written for.
        #[arg(long, value_name = "TIME")]
        clock: Option<String>,
    },
    /// Only run the database migrations, then exit.
    Migrate,
    /// Deliver due jobs to a file instead of a platform (batch runs, crash tests, benchmarks).
    Deliver {
        /// Append each delivery here, one line each.
        #[arg(long)]
        log: std::path::PathBuf,
        /// Drop a send whose key was sent within the dedupe window, as Discord's nonce does
        /// (the dropped attempt is still logged, as `dropped:KEY…`).
        #[arg(long)]
        dedupe: bool,
        /// How long a sent key is remembered with --dedupe (Discord: "the past few minutes").
        #[arg(long, default_value_t = 60, value_name = "SECS")]
        dedupe_window_secs: i64,
        /// Answer each delivery this long after logging it, as a platform's response arrives
        /// after the message is posted (crash tests: a kill in between leaves it posted).
        #[arg(long, default_value_t = 0, value_name = "MS")]
        latency_ms: u64,
        /// Exit once nothing is due or leased, instead of waiting for more.
        #[arg(long)]
        until_idle: bool,
        /// Seconds a claimed job stays leased before another process may take it over.
        #[arg(long, default_value_t = 60)]
        lease_secs: i64,
    },
    /// HR's roster: import a CSV of people who left, export it with invite codes and each
    /// person's status, renew lost codes.
    Roster {
        #[command(subcommand)]
        action: RosterCmd,
        /// The community's platform (`shell`, `slack`, `discord`).
        #[arg(long, global = true, default_value = "shell")]
        platform: String,
        /// The community's platform space (Slack team id; the shell's is `local`).
        #[arg(long, global = true, default_value = "local")]
        space: String,
    },
    /// Seal every stored Slack workspace token with ALUMNI_SECRET_KEY: tokens sealed with
    /// ALUMNI_OLD_SECRET_KEY (a key being replaced) or stored before sealing are re-sealed.
    RotateSecretKey,
    /// Print the Slack app manifest (paste it in "Create New App → From a manifest"): every
    /// slash command, scope, bot event, interactivity and the OAuth redirect.
    SlackManifest {
        /// The public base URL the app is served at, e.g. https://alumni.example.com.
        #[arg(long)]
        url: String,
        /// The app's name in Slack.
        #[arg(long, default_value = "alumni-bot")]
        name: String,
        /// Socket Mode (no request URLs; needs an app-level token, SLACK_APP_TOKEN).
        #[arg(long)]
        socket_mode: bool,
    },
}

#[derive(Subcommand)]
enum RosterCmd {
    /// Import a CSV (UTF-8 or Shift_JIS; Japanese or English headers). All rows or none.
    Import {
        file: std::path::PathBuf,
        /// Import the good rows even if some are bad (each bad row is still reported).
        #[arg(long)]
        skip_bad: bool,
    },
    /// Write every roster row with its status (not joined, pending, approved, left) and invite
    /// code as CSV (UTF-8 with BOM) for a mail merge; it imports back as a roster.
    Export {
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Only the rows with this status (a reminder wave: not-joined).
        #[arg(long, value_parser = ["not-joined", "pending", "approved", "left"])]
        status: Option<String>,
        /// Write approved members and their shared fields instead of the roster.
        #[arg(long, conflicts_with = "status")]
        members: bool,
    },
    /// Invite codes: `--renew` gives new ones (the old stop working) to the people named by
    /// email or handle, or to everyone not joined yet if no one is named; prints them.
    Codes {
        /// Renew (required: codes are only ever replaced, never shown again as they were).
        #[arg(long, required = true)]
        renew: bool,
        /// Emails or handles of people on the roster who have not joined.
        who: Vec<String>,
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
    if let Some(Cmd::SlackManifest {
        url,
        name,
        socket_mode,
    }) = &cli.command
    {
        // Needs no configuration or database.
        let manifest = alumni_slack::manifest::manifest(url, name, *socket_mode);
        println!("{}", serde_json::to_string_pretty(&manifest)?);
        return Ok(());
    }
    let config = Config::load()?;
    tracing::debug!(?config, "configuration");
    match cli.command.unwrap_or(Cmd::Run) {
        Cmd::Migrate => {
            db::open(&config.database_url).await?;
            println!("migrated {}", config::redact_url(&config.database_url));
            Ok(())
        }
        Cmd::Shell { user, clock } => run_shell(&config, user, clock.as_deref()).await,
        Cmd::SlackManifest { .. } => unreachable!("answered before the configuration"),
        Cmd::RotateSecretKey => rotate_secret_key(&config).await,
        Cmd::Deliver {
            log,
            dedupe,
            dedupe_window_secs,
            latency_ms,
            until_idle,
            lease_secs,
        } => {
            let core = Arc::new(core(
                &config,
                db::open(&config.database_url).await?,
                Arc::new(SystemClock),
            ));
            let messenger = Arc::new(file_messenger::FileMessenger::open(
                &log,
                dedupe.then(|| TimeDelta::seconds(dedupe_window_secs.max(0))),
                std::time::Duration::from_millis(latency_ms),
            )?);
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
        Cmd::Roster {
            action,
            platform,
            space,
        } => run_roster(&config, action, &platform, &space).await,
        Cmd::Run => {
            let (discord, slack) = (config.discord()?, config.slack()?);
            if discord.is_none() && slack.is_none() {
                return run_shell(&config, None, None).await;
            }
            serve::run(&config, discord, slack).await
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

async fn run_shell(config: &Config, user: Option<String>, start: Option<&str>) -> Result<()> {
    let tz = config.timezone.parse().unwrap_or(chrono_tz::Asia::Tokyo);
    // Read before anything is opened: a mistyped start changes nothing.
    let start = start
        .map(|text| {
            shell::parse_time(text, tz, chrono::Utc::now()).with_context(|| {
                format!("--clock {text:?} is not a time: use e.g. 2026-12-01T10:00+09:00")
            })
        })
        .transpose()?;
    let store = db::open_serving(&config.database_url).await?;
    let clock = Arc::new(OffsetClock::new());
    let core = Arc::new(core(config, store, clock.clone()));
    let user = user
        .or_else(|| config.admins.first().cloned())
        .unwrap_or_else(|| "guest".to_owned());
    let shell = shell::Shell::new(core, clock, user, config.shell_locale, tz);
    match start {
        Some(at) => shell.starting_at(at).run().await,
        None => shell.run().await,
    }
}

async fn run_roster(config: &Config, action: RosterCmd, platform: &str, space: &str) -> Result<()> {
    let platform: bot_core::domain::Platform = platform
        .parse()
        .map_err(|()| anyhow::anyhow!("unknown platform {platform:?}: shell, slack or discord"))?;
    let core = core(
        config,
        db::open(&config.database_url).await?,
        Arc::new(SystemClock),
    );
    let community = core.community_of(platform, space).await?;
    let locale = config.shell_locale.unwrap_or(community.locale);
    match action {
        RosterCmd::Import { file, skip_bad } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let outcome = core
                .import_roster(&community, None, &bytes, skip_bad)
                .await?;
            if outcome.refused {
                eprintln!("{}", outcome.render(locale));
                std::process::exit(1);
            }
            println!("{}", outcome.render(locale));
            Ok(())
        }
        RosterCmd::Export {
            out,
            status,
            members,
        } => {
            let csv = if members {
                core.export_members(&community, None, locale).await?
            } else {
                let status = status.map(|s| s.parse()).transpose().map_err(|()| {
                    anyhow::anyhow!("--status: not-joined, pending, approved or left")
                })?;
                core.export_roster(&community, None, locale, status).await?
            };
            match out {
                Some(path) => std::fs::write(&path, csv)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
                None => print!("{csv}"),
            }
            Ok(())
        }
        RosterCmd::Codes { renew: _, who } => match core.renew_codes(&community, &who).await? {
            Ok(renewed) => {
                for r in &renewed {
                    let code = r.code.as_deref().map(invite_code::display);
                    let contact = r.email.as_deref().or(r.handle.as_deref()).unwrap_or("");
                    println!("{}\t{contact}\t{}", r.name, code.unwrap_or_default());
                }
                let count = renewed.len().to_string();
                eprintln!(
                    "{}",
                    i18n::t(locale, "roster.renewed", &[("count", &count)])
                );
                Ok(())
            }
            Err(unknown) => {
                let who = unknown.join(", ");
                eprintln!(
                    "{}",
                    i18n::t(locale, "roster.unknown_people", &[("who", &who)])
                );
                std::process::exit(1);
            }
        },
    }
}

/// `alumni-bot rotate-secret-key`: every installation's token opened (old key, or plain) and
/// sealed with the new key, each saved in place. Stops at the first token that does not open,
/// so a wrong old key changes nothing more.
async fn rotate_secret_key(config: &Config) -> Result<()> {
    let new = config::secret_key()?.context("set ALUMNI_SECRET_KEY to the new key")?;
    let old = config::named_key("ALUMNI_OLD_SECRET_KEY")?;
    let store = db::open(&config.database_url).await?;
    let mut sealed = 0;
    for mut installation in store.all_slack_installations().await? {
        let token = alumni_slack::sealed::open(old.as_ref(), &installation.bot_token)
            .or_else(|_| alumni_slack::sealed::open(Some(&new), &installation.bot_token))
            .with_context(|| format!("opening the token of team {}", installation.team_id))?;
        installation.bot_token = new.seal(&token);
        store.save_slack_installation(&installation).await?;
        sealed += 1;
    }
    println!("sealed {sealed} workspace token(s) with ALUMNI_SECRET_KEY");
    Ok(())
}
