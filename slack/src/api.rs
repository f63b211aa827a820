//! The Slack Web API through slack-morphism's hyper client, with JSON bodies we build ourselves
//! (Block Kit comes from `blocks`, payloads are plain `serde_json::Value`s). The base URL is
//! `$SLACK_API_URL` so tests reach a fake on `http://127.0.0.1`.

use std::time::Duration;

use serde_json::Value;
use slack_morphism::errors::SlackClientError;
use slack_morphism::hyper_tokio::SlackClientHyperHttpsConnector;
use slack_morphism::prelude::*;
use url::Url;

pub const DEFAULT_API_URL: &str = "https://slack.com/api";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("rate limited, retry after {0:?}")]
    RateLimited(Duration),
    /// Slack answered `ok: false` with this code.
    #[error("slack error {0}")]
    Slack(String),
    /// An HTTP status Slack should not send (5xx): worth retrying.
    #[error("http status {0}")]
    Status(u16),
    /// The request may or may not have reached Slack (connection reset, timeout).
    #[error("transport: {0}")]
    Transport(String),
    #[error("bad request: {0}")]
    Invalid(String),
}

impl ApiError {
    /// Whether the call may have taken effect although we saw an error.
    pub fn ambiguous(&self) -> bool {
        matches!(self, ApiError::Transport(_) | ApiError::Status(_))
    }
}

impl From<SlackClientError> for ApiError {
    fn from(e: SlackClientError) -> Self {
        match e {
            SlackClientError::RateLimitError(r) => {
                ApiError::RateLimited(r.retry_after.unwrap_or(Duration::from_secs(1)))
            }
            SlackClientError::ApiError(a) if a.code == "ratelimited" => {
                ApiError::RateLimited(Duration::from_secs(1))
            }
            SlackClientError::ApiError(a) => ApiError::Slack(a.code),
            SlackClientError::HttpError(h) => ApiError::Status(h.status_code.as_u16()),
            other => ApiError::Transport(other.to_string()),
        }
    }
}

type Https = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

pub struct SlackApi {
    client: SlackClient<SlackClientHyperHttpsConnector>,
    /// Plain GETs of files (slack-morphism's client only reads JSON).
    files: hyper_util::client::legacy::Client<Https, http_body_util::Full<bytes::Bytes>>,
    base: String,
}

impl SlackApi {
    /// `base` is the Web API root, e.g. `https://slack.com/api` (no trailing slash needed).
    pub fn new(base: &str) -> Result<SlackApi, ApiError> {
        let base = base.trim_end_matches('/').to_owned();
        // `SlackClientHyperConnector::new()` is https-only; the fake in tests is plain http.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| ApiError::Transport(format!("loading CA roots: {e}")))?
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        let files =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(https.clone());
        let connector = SlackClientHyperHttpsConnector::from(https).with_slack_api_url(&base);
        Ok(SlackApi {
            client: SlackClient::new(connector),
            files,
            base,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// POST a JSON body to `$base/{method}` with the bot token.
    pub async fn post(&self, token: &str, method: &str, body: &Value) -> Result<Value, ApiError> {
        let token = SlackApiToken::new(SlackApiTokenValue::new(token.to_owned()));
        let session = self.client.open_session(&token);
        Ok(session
            .http_session_api
            .http_post(method, body, None)
            .await?)
    }

    /// GET `$base/{method}?params` with the bot token.
    pub async fn get(
        &self,
        token: &str,
        method: &str,
        params: &[(&str, &str)],
    ) -> Result<Value, ApiError> {
        let token = SlackApiToken::new(SlackApiTokenValue::new(token.to_owned()));
        let session = self.client.open_session(&token);
        let params: Vec<(&str, Option<&str>)> =
            params.iter().map(|(k, v)| (*k, Some(*v))).collect();
        Ok(session
            .http_session_api
            .http_get(method, &params, None)
            .await?)
    }

    /// A private file's bytes (`url_private_download`), with the bot token; at most `max`
    /// bytes, else `Invalid` without reading the rest.
    pub async fn download(&self, token: &str, url: &str, max: u64) -> Result<Vec<u8>, ApiError> {
        use http_body_util::BodyExt;
        let request = hyper::Request::get(url)
            .header("Authorization", format!("Bearer {token}"))
            .body(http_body_util::Full::default())
            .map_err(|e| ApiError::Invalid(format!("file url: {e}")))?;
        let response = self
            .files
            .request(request)
            .await
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        if !response.status().is_success() {
            return Err(ApiError::Status(response.status().as_u16()));
        }
        let limited = http_body_util::Limited::new(response.into_body(), max as usize);
        let body = limited
            .collect()
            .await
            .map_err(|e| ApiError::Invalid(format!("file: {e}")))?;
        Ok(body.to_bytes().to_vec())
    }

    /// POST a file's bytes to the upload URL `files.getUploadURLExternal` gave (no token: the
    /// URL is the credential).
    pub async fn upload(
        &self,
        url: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<(), ApiError> {
        let request = hyper::Request::post(url)
            .header("Content-Type", content_type)
            .body(http_body_util::Full::new(bytes::Bytes::from(bytes)))
            .map_err(|e| ApiError::Invalid(format!("upload url: {e}")))?;
        let response = self
            .files
            .request(request)
            .await
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        if !response.status().is_success() {
            return Err(ApiError::Status(response.status().as_u16()));
        }
        Ok(())
    }

    /// POST to a `response_url` (no token: the URL is the credential).
    pub async fn respond(&self, response_url: &str, body: &Value) -> Result<(), ApiError> {
        let url: Url = response_url
            .parse()
            .map_err(|e| ApiError::Invalid(format!("response_url: {e}")))?;
        let span = tracing::Span::current();
        let context = SlackClientApiCallContext {
            rate_control_params: None,
            token: None,
            tracing_span: &span,
            // The URL itself is a secret: slack-morphism logs a hash of it instead.
            is_sensitive_url: true,
        };
        let _: Value = self
            .client
            .http_api
            .connector
            .http_post_uri(url, body, context)
            .await?;
        Ok(())
    }

    /// `oauth.v2.access`: trade an install `code` for the workspace's bot token.
    pub async fn oauth_access(
        &self,
        client_id: &str,
        client_secret: &str,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<Value, ApiError> {
        let mut url: Url = format!("{}/oauth.v2.access", self.base)
            .parse()
            .map_err(|e| ApiError::Invalid(format!("SLACK_API_URL: {e}")))?;
        url.query_pairs_mut().append_pair("code", code);
        if let Some(r) = redirect_uri {
            url.query_pairs_mut().append_pair("redirect_uri", r);
        }
        let id = SlackClientId::new(client_id.to_owned());
        let secret = SlackClientSecret::new(client_secret.to_owned());
        Ok(self
            .client
            .http_api
            .connector
            .http_get_with_client_secret(url, &id, &secret)
            .await?)
    }
}
