//! Configuration: environment variables, over an optional `alumni.toml` in the working
//! directory (or the file named by `ALUMNI_CONFIG`). Secrets are never logged: `Debug` redacts.

use std::fmt;

use anyhow::{Context, Result, bail};
use bot_core::i18n::Locale;
use serde::Deserialize;

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    admins: Option<Vec<String>>,
    locale: Option<String>,
    community_name: Option<String>,
    timezone: Option<String>,
    approval: Option<bool>,
    discord_token: Option<String>,
    slack_signing_secret: Option<String>,
    slack_app_token: Option<String>,
    slack_bot_token: Option<String>,
    slack_client_id: Option<String>,
    slack_client_secret: Option<String>,
    slack_redirect_url: Option<String>,
    slack_api_url: Option<String>,
    http_addr: Option<String>,
}

pub struct Config {
    pub database_url: String,
    pub admins: Vec<String>,
    /// The shell's language (`ALUMNI_LOCALE`, then `LANG`), if it is ja or en.
    pub shell_locale: Option<Locale>,
    pub community_name: String,
    pub timezone: String,
    pub approval: bool,
    pub discord_token: Option<String>,
    pub slack_signing_secret: Option<String>,
    pub slack_app_token: Option<String>,
    /// Single-workspace mode: the bot token, instead of OAuth installs.
    pub slack_bot_token: Option<String>,
    pub slack_client_id: Option<String>,
    pub slack_client_secret: Option<String>,
    pub slack_redirect_url: Option<String>,
    /// The Web API base URL (`https://slack.com/api`; a fake in tests).
    pub slack_api_url: Option<String>,
    /// Where the HTTP server listens (`ALUMNI_HTTP_ADDR`).
    pub http_addr: Option<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |s: &Option<String>| if s.is_some() { "<set>" } else { "<unset>" };
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("admins", &self.admins)
            .field("shell_locale", &self.shell_locale)
            .field("community_name", &self.community_name)
            .field("timezone", &self.timezone)
            .field("approval", &self.approval)
            .field("discord_token", &secret(&self.discord_token))
            .field("slack_signing_secret", &secret(&self.slack_signing_secret))
            .field("slack_app_token", &secret(&self.slack_app_token))
            .field("slack_bot_token", &secret(&self.slack_bot_token))
            .field("slack_client_id", &self.slack_client_id)
            .field("slack_client_secret", &secret(&self.slack_client_secret))
            .field("slack_redirect_url", &self.slack_redirect_url)
            .field("slack_api_url", &self.slack_api_url)
            .field("http_addr", &self.http_addr)
            .finish()
    }
}

/// A database URL without its password.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn load() -> Result<Config> {
        let path = env("ALUMNI_CONFIG").unwrap_or_else(|| "alumni.toml".to_owned());
        let file: FileConfig = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).with_context(|| format!("reading {path}"))?,
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound && env("ALUMNI_CONFIG").is_none() =>
            {
                FileConfig::default()
            }
            Err(e) => return Err(e).with_context(|| format!("reading {path}")),
        };
        let admins = match env("ALUMNI_ADMINS") {
            Some(list) => list
                .split(',')
                .map(|s| s.trim().trim_start_matches('@').to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            None => file.admins.unwrap_or_default(),
        };
        let shell_locale = env("ALUMNI_LOCALE")
            .or(file.locale)
            .or_else(|| env("LC_ALL"))
            .or_else(|| env("LANG"))
            .and_then(|tag| Locale::from_tag(&tag));
        let timezone = env("ALUMNI_TIMEZONE")
            .or(file.timezone)
            .unwrap_or_else(|| "Asia/Tokyo".to_owned());
        if timezone.parse::<chrono_tz::Tz>().is_err() {
            bail!(
                "ALUMNI_TIMEZONE: unknown time zone {timezone:?} (use a name such as Asia/Tokyo)"
            );
        }
        let approval = match env("ALUMNI_APPROVAL") {
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "on" | "yes" | "true" | "1" => true,
                "off" | "no" | "false" | "0" => false,
                _ => bail!("ALUMNI_APPROVAL must be on or off, not {v:?}"),
            },
            None => file.approval.unwrap_or(true),
        };
        Ok(Config {
            database_url: env("DATABASE_URL")
                .or(file.database_url)
                .unwrap_or_else(|| "sqlite://alumni.db".to_owned()),
            admins,
            shell_locale,
            community_name: env("ALUMNI_COMMUNITY_NAME")
                .or(file.community_name)
                .unwrap_or_else(|| "Alumni".to_owned()),
            timezone,
            approval,
            discord_token: env("DISCORD_TOKEN").or(file.discord_token),
            slack_signing_secret: env("SLACK_SIGNING_SECRET").or(file.slack_signing_secret),
            slack_app_token: env("SLACK_APP_TOKEN").or(file.slack_app_token),
            slack_bot_token: env("SLACK_BOT_TOKEN").or(file.slack_bot_token),
            slack_client_id: env("SLACK_CLIENT_ID").or(file.slack_client_id),
            slack_client_secret: env("SLACK_CLIENT_SECRET").or(file.slack_client_secret),
            slack_redirect_url: env("SLACK_REDIRECT_URL").or(file.slack_redirect_url),
            slack_api_url: env("SLACK_API_URL").or(file.slack_api_url),
            http_addr: env("ALUMNI_HTTP_ADDR").or(file.http_addr),
        })
    }

    /// The Slack adapter's settings, when a signing secret or an app token is set.
    pub fn slack(&self) -> Result<Option<alumni_slack::SlackConfig>> {
        if self.slack_signing_secret.is_none() && self.slack_app_token.is_none() {
            return Ok(None);
        }
        let mut slack =
            alumni_slack::SlackConfig::new(self.slack_signing_secret.clone().unwrap_or_default());
        slack.bot_token = self.slack_bot_token.clone();
        slack.client_id = self.slack_client_id.clone();
        slack.client_secret = self.slack_client_secret.clone();
        slack.redirect_url = self.slack_redirect_url.clone();
        slack.app_token = self.slack_app_token.clone();
        if let Some(url) = &self.slack_api_url {
            slack.api_url = url.clone();
        }
        if let Some(addr) = &self.http_addr {
            slack.http_addr = addr.parse().with_context(|| {
                format!("ALUMNI_HTTP_ADDR {addr:?} is not an address such as 0.0.0.0:3000")
            })?;
        }
        if slack.bot_token.is_none() && slack.client_id.is_none() {
            bail!(
                "Slack needs SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth install)"
            );
        }
        if slack.client_id.is_some() != slack.client_secret.is_some() {
            bail!("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together");
        }
        slack.sealer = secret_key()?.map(std::sync::Arc::new);
        if slack.client_id.is_some() && slack.sealer.is_none() {
            bail!(
                "OAuth install (SLACK_CLIENT_ID) stores each workspace's bot token: set ALUMNI_SECRET_KEY \
                 (32 random bytes as 64 hex digits, e.g. `openssl rand -hex 32`) so they are sealed at rest"
            );
        }
        Ok(Some(slack))
    }

    /// The Discord adapter's settings, when `DISCORD_TOKEN` is set (the other `DISCORD_*`
    /// variables come from the environment).
    pub fn discord(&self) -> Result<Option<alumni_discord::DiscordConfig>> {
        let Some(token) = &self.discord_token else {
            return Ok(None);
        };
        alumni_discord::DiscordConfig::from_lookup(token.clone(), env)
            .map(Some)
            .map_err(Into::into)
    }
}

/// `ALUMNI_SECRET_KEY`: the key workspace tokens are sealed with, if set.
pub fn secret_key() -> Result<Option<alumni_slack::sealed::Sealer>> {
    named_key("ALUMNI_SECRET_KEY")
}

/// A sealing key from the environment variable `name`, if set.
pub fn named_key(name: &str) -> Result<Option<alumni_slack::sealed::Sealer>> {
    env(name)
        .map(|k| alumni_slack::sealed::Sealer::from_key(&k).with_context(|| name.to_owned()))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact_url("postgres://bot:s3cret@db:5432/alumni"),
            "postgres://bot:***@db:5432/alumni"
        );
        assert_eq!(redact_url("sqlite://alumni.db"), "sqlite://alumni.db");
    }
}
