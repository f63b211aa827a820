//! Starting the Slack adapter: the one start-up the binary uses, alone or beside Discord.

use std::sync::Arc;

use bot_core::domain::Platform;
use bot_core::service::Core;
use bot_core::store::Store;

use bot_core::health::Service;

use crate::{SlackApi, SlackApp, SlackConfig, SlackMessenger};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("Slack Web API client: {0}")]
    Api(#[from] crate::api::ApiError),
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("setting up ALUMNI_ADMINS: {0}")]
    Bootstrap(#[from] bot_core::error::CoreError),
}

/// What a started adapter hands back: the messenger the scheduler delivers through, and its
/// long-running parts (Socket Mode, the HTTP endpoints) as restartable services for the caller
/// to supervise.
pub struct Started {
    pub messenger: Arc<SlackMessenger>,
    pub services: Vec<Service>,
}

/// Slack: the HTTP endpoints (with `SLACK_SIGNING_SECRET`; the port is bound now, so a taken
/// port is an error at once), Socket Mode (with `SLACK_APP_TOKEN`), and in single-workspace
/// mode the team's `ALUMNI_ADMINS` set up before anyone types. The scheduler is the caller's
/// (one for all platforms).
pub async fn start(
    core: Arc<Core>,
    store: Arc<dyn Store>,
    config: SlackConfig,
) -> Result<Started, StartError> {
    let api = Arc::new(SlackApi::new(&config.api_url)?);
    if let Some(token) = &config.bot_token {
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
    let messenger = Arc::new(
        SlackMessenger::new(api.clone(), store, config.bot_token.clone())
            .sealed_with(config.sealer.clone()),
    );
    let app = SlackApp::new(core, api, config.clone());
    let mut services = Vec::new();
    if let Some(app_token) = config.app_token.clone() {
        let app = app.clone();
        services.push(Service::new("slack-socket", move || {
            let (app, token) = (app.clone(), app_token.clone());
            async move {
                crate::socket::run(app, &token).await?;
                Ok(())
            }
        }));
    }
    if !config.signing_secret.is_empty() {
        let addr = config.http_addr;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Listen { addr, source })?;
        eprintln!("Slack: listening on http://{addr}");
        let first = std::sync::Mutex::new(Some(listener));
        services.push(Service::new("slack-http", move || {
            let listener = first.lock().unwrap_or_else(|e| e.into_inner()).take();
            let app = app.clone();
            async move {
                let listener = match listener {
                    Some(l) => l,
                    None => tokio::net::TcpListener::bind(addr).await?,
                };
                crate::http::serve(listener, app).await?;
                Ok(())
            }
        }));
    }
    Ok(Started {
        messenger,
        services,
    })
}
