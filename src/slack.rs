//! `alumni-bot run` with Slack: the HTTP server (when `SLACK_SIGNING_SECRET` is set), Socket
//! Mode (when `SLACK_APP_TOKEN` is set), and the scheduler delivering through Slack.

use std::sync::Arc;

use alumni_slack::{SlackApi, SlackApp, SlackConfig, SlackMessenger};
use anyhow::{Context, Result};
use bot_core::clock::SystemClock;
use bot_core::domain::Platform;
use bot_core::scheduler::Scheduler;

use crate::config::Config;
use crate::{core, db};

pub async fn run(config: &Config, slack: SlackConfig) -> Result<()> {
    let store = db::open_serving(&config.database_url).await?;
    let core = Arc::new(core(config, store.clone(), Arc::new(SystemClock)));
    let api = Arc::new(SlackApi::new(&slack.api_url).context("Slack Web API client")?);

    // One workspace: learn its team id so ALUMNI_ADMINS exist before anyone types.
    if let Some(token) = &slack.bot_token {
        match api.post(token, "auth.test", &serde_json::json!({})).await {
            Ok(me) => {
                if let Some(team) = me["team_id"].as_str() {
                    core.bootstrap(Platform::Slack, team).await?;
                    tracing::info!(team, "Slack workspace (single-workspace mode)");
                }
            }
            Err(e) => tracing::warn!(error = %e, "auth.test failed; is SLACK_BOT_TOKEN right?"),
        }
    }

    let messenger = Arc::new(SlackMessenger::new(
        api.clone(),
        store,
        slack.bot_token.clone(),
    ));
    let scheduler = Scheduler::new(core.clone(), messenger);
    let app = SlackApp::new(core, api, slack.clone());
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(async move {
        scheduler.run().await;
        Ok(())
    });
    if let Some(app_token) = slack.app_token.clone() {
        let app = app.clone();
        tasks.spawn(async move {
            alumni_slack::socket::run(app, &app_token)
                .await
                .map_err(Into::into)
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
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {
            eprintln!("stopping");
            Ok(())
        }
        Some(done) = tasks.join_next() => done.context("a Slack task panicked")?,
    }
}
