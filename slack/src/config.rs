//! The adapter's settings. `Debug` never shows a secret.

use std::fmt;
use std::net::SocketAddr;

use crate::api::DEFAULT_API_URL;

#[derive(Clone)]
pub struct SlackConfig {
    /// `SLACK_SIGNING_SECRET`: checks that HTTP requests come from Slack.
    pub signing_secret: String,
    /// `SLACK_BOT_TOKEN`: single-workspace mode (no OAuth install).
    pub bot_token: Option<String>,
    /// `SLACK_CLIENT_ID` / `SLACK_CLIENT_SECRET`: OAuth install to many workspaces.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// `SLACK_REDIRECT_URL`: the public URL of `/slack/oauth/callback`, when Slack needs it.
    pub redirect_url: Option<String>,
    /// `SLACK_APP_TOKEN`: Socket Mode (xapp-…).
    pub app_token: Option<String>,
    /// `SLACK_API_URL`.
    pub api_url: String,
    /// `ALUMNI_HTTP_ADDR`.
    pub http_addr: SocketAddr,
    /// Where `/slack/install` sends the browser.
    pub authorize_url: String,
    /// How long a slash command may take before it is acknowledged and finished through
    /// `response_url` (Slack allows 3 s).
    pub inline_budget: std::time::Duration,
    /// `ALUMNI_SECRET_KEY`: workspace tokens are sealed with it at rest (required to install
    /// into workspaces through OAuth).
    pub sealer: Option<std::sync::Arc<crate::sealed::Sealer>>,
}

pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:3000";
pub const AUTHORIZE_URL: &str = "https://slack.com/oauth/v2/authorize";

impl SlackConfig {
    pub fn new(signing_secret: impl Into<String>) -> SlackConfig {
        SlackConfig {
            signing_secret: signing_secret.into(),
            bot_token: None,
            client_id: None,
            client_secret: None,
            redirect_url: None,
            app_token: None,
            api_url: DEFAULT_API_URL.to_owned(),
            http_addr: DEFAULT_HTTP_ADDR.parse().expect("valid default address"),
            authorize_url: AUTHORIZE_URL.to_owned(),
            inline_budget: crate::app::INLINE_BUDGET,
            sealer: None,
        }
    }
}

impl fmt::Debug for SlackConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: &Option<String>| if s.is_some() { "<set>" } else { "<unset>" };
        f.debug_struct("SlackConfig")
            .field("signing_secret", &"<set>")
            .field("bot_token", &set(&self.bot_token))
            .field("client_id", &self.client_id)
            .field("client_secret", &set(&self.client_secret))
            .field("app_token", &set(&self.app_token))
            .field("api_url", &self.api_url)
            .field("http_addr", &self.http_addr)
            .field(
                "secret_key",
                &set(&self.sealer.as_ref().map(|_| String::new())),
            )
            .finish()
    }
}
