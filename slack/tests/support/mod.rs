//! The end-to-end rig: a real store (SQLite file or PostgreSQL database), the core, the
//! adapter's real router on 127.0.0.1:0, the fake Slack Web API, and a client that signs its
//! requests the way Slack does.

#![allow(dead_code)]

pub mod fake_slack;
pub mod slack_limits;

use std::sync::Arc;

use alumni_slack::{SlackApi, SlackApp, SlackConfig, SlackMessenger, signature};
use bot_core::clock::OffsetClock;
use bot_core::i18n::Locale;
use bot_core::scheduler::{RunStats, Scheduler};
use bot_core::service::{Core, CoreConfig};
use bot_core::store::{NewCommunity, PgStore, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

pub use fake_slack::FakeSlack;

pub const SECRET: &str = "test-signing-secret";
pub const TEAM: &str = "T1";
pub const BOT_TOKEN: &str = "xoxb-single-workspace";
/// The conversation id of #general, where welcomes and announcements go by name.
pub const GENERAL: &str = "CGENERAL1";
/// Bootstrap admin (`ALUMNI_ADMINS` holds Slack user ids).
pub const ADMIN: &str = "UADMIN";

pub enum Db {
    Sqlite(TempSqlite),
    Pg(Option<TempPostgres>),
}

pub struct Rig {
    pub fake: Arc<FakeSlack>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<OffsetClock>,
    pub core: Arc<Core>,
    pub app: Arc<SlackApp>,
    pub scheduler: Scheduler,
    /// `http://127.0.0.1:port` of the adapter.
    pub base: String,
    client: Client<HttpConnector, Full<Bytes>>,
    bot_token: Option<String>,
    db: Db,
    server: tokio::task::JoinHandle<()>,
}

pub struct Answer {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

pub struct Options {
    pub single_workspace_token: bool,
    pub oauth: bool,
    pub inline_budget: Option<std::time::Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            single_workspace_token: true,
            oauth: false,
            inline_budget: None,
        }
    }
}

impl Rig {
    pub async fn sqlite(label: &str) -> Rig {
        Rig::sqlite_with(label, Options::default()).await
    }

    pub async fn sqlite_with(label: &str, options: Options) -> Rig {
        let db = TempSqlite::new(label);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&db.url()).await.unwrap());
        let fake = Arc::new(FakeSlack::start().await);
        Rig::build(store, Db::Sqlite(db), options, fake).await
    }

    /// `None` when PostgreSQL is unreachable and not required.
    pub async fn postgres(label: &str) -> Option<Rig> {
        Rig::postgres_with(label, Options::default()).await
    }

    pub async fn postgres_with(label: &str, options: Options) -> Option<Rig> {
        let db = TempPostgres::create(label).await?;
        let store: Arc<dyn Store> = Arc::new(PgStore::connect(&db.url).await.unwrap());
        let fake = Arc::new(FakeSlack::start().await);
        Some(Rig::build(store, Db::Pg(Some(db)), options, fake).await)
    }

    /// A second instance (own process state, own port) on the same PostgreSQL database and
    /// the same fake Slack, as behind a load balancer.
    pub async fn another_instance(&self, options: Options) -> Rig {
        let Db::Pg(Some(db)) = &self.db else {
            panic!("another instance needs the PostgreSQL rig");
        };
        let store: Arc<dyn Store> = Arc::new(PgStore::connect(&db.url).await.unwrap());
        Rig::build(store, Db::Pg(None), options, self.fake.clone()).await
    }

    async fn build(store: Arc<dyn Store>, db: Db, options: Options, fake: Arc<FakeSlack>) -> Rig {
        fake.add_user(ADMIN, "admin", "en-US", false);
        fake.add_user("UAIKO", "aiko", "ja-JP", false);
        fake.add_user("UBEN", "ben", "en-US", false);
        fake.add_channel(GENERAL, "general");
        fake.accept_token(BOT_TOKEN);
        let clock = Arc::new(OffsetClock::new());
        let core = Arc::new(Core::new(
            store.clone(),
            clock.clone(),
            CoreConfig {
                bootstrap_admins: vec![ADMIN.to_owned()],
                community_defaults: NewCommunity {
                    name: "Acme Alumni".into(),
                    locale: Locale::En,
                    timezone: "Asia/Tokyo".into(),
                    requires_approval: true,
                },
            },
        ));
        let mut config = SlackConfig::new(SECRET);
        config.api_url = fake.api_url.clone();
        if options.single_workspace_token {
            config.bot_token = Some(BOT_TOKEN.to_owned());
        }
        // Workspace tokens are sealed at rest with this key (ALUMNI_SECRET_KEY).
        config.sealer = Some(test_sealer());
        if options.oauth {
            config.client_id = Some(fake_slack::CLIENT_ID.to_owned());
            config.client_secret = Some(fake_slack::CLIENT_SECRET.to_owned());
        }
        if let Some(budget) = options.inline_budget {
            config.inline_budget = budget;
        }
        config.authorize_url = format!("{}/authorize", fake.respond_url);
        let api = Arc::new(SlackApi::new(&config.api_url).unwrap());
        let messenger = Arc::new(
            SlackMessenger::new(api.clone(), store.clone(), config.bot_token.clone())
                .sealed_with(config.sealer.clone()),
        );
        let bot_token = config.bot_token.clone();
        let app = SlackApp::new(core.clone(), api, config);
        core.bootstrap(bot_core::domain::Platform::Slack, TEAM)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server_app = app.clone();
        let server = tokio::spawn(async move {
            alumni_slack::http::serve(listener, server_app)
                .await
                .unwrap();
        });
        let scheduler = Scheduler::new(core.clone(), messenger);
        Rig {
            fake,
            store,
            clock,
            core,
            app,
            scheduler,
            base,
            client: Client::builder(TokioExecutor::new()).build_http(),
            bot_token,
            db,
            server,
        }
    }

    /// Ends the test: Slack must have refused no message or view for its limits.
    pub async fn finish(self) {
        let refused = self.fake.refusals();
        assert!(refused.is_empty(), "Slack refused: {refused:#?}");
        self.server.abort();
        if let Db::Pg(Some(db)) = self.db {
            drop(self.store);
            drop(self.app);
            drop(self.scheduler);
            drop(self.core);
            db.drop_db().await;
        }
    }

    /// As after a crash and restart: a fresh Slack messenger (nothing in memory) and scheduler
    /// on the same database and fake Slack.
    pub fn restart_delivery(&mut self) {
        let api = Arc::new(SlackApi::new(&self.fake.api_url).unwrap());
        let messenger = Arc::new(
            SlackMessenger::new(api, self.store.clone(), self.bot_token.clone())
                .sealed_with(Some(test_sealer())),
        );
        self.scheduler = Scheduler::new(self.core.clone(), messenger);
    }

    /// Deliver every job due now through the Slack messenger to the fake.
    pub async fn deliver_due(&self) -> RunStats {
        self.scheduler.run_due().await.unwrap()
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Answer {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let res = self
            .client
            .request(req.body(Full::new(Bytes::from(body))).unwrap())
            .await
            .unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// A POST signed with the current time, as Slack sends it.
    pub async fn signed(&self, path: &str, content_type: &str, body: String) -> Answer {
        let ts = chrono::Utc::now().timestamp().to_string();
        self.signed_at(path, content_type, body, &ts).await
    }

    pub async fn signed_at(
        &self,
        path: &str,
        content_type: &str,
        body: String,
        ts: &str,
    ) -> Answer {
        let sig = signature::sign(SECRET.as_bytes(), ts, body.as_bytes());
        self.request(
            "POST",
            path,
            &[
                ("content-type", content_type.to_owned()),
                ("x-slack-request-timestamp", ts.to_owned()),
                ("x-slack-signature", sig),
            ],
            body.into_bytes(),
        )
        .await
    }

    /// A slash command: `command("UAIKO", "aiko", "/alumni", "join name:\"Aiko\"")`.
    pub async fn command(&self, user: &str, name: &str, command: &str, text: &str) -> Answer {
        let body = slash_body(
            user,
            name,
            command,
            text,
            &format!("{}/cmd", self.fake.respond_url),
        );
        self.signed("/slack/commands", "application/x-www-form-urlencoded", body)
            .await
    }

    /// The JSON reply of a slash command answered inline, which Slack shows only if it is
    /// within Block Kit's limits.
    pub async fn command_json(&self, user: &str, name: &str, command: &str, text: &str) -> Value {
        let answer = self.command(user, name, command, text).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let json = answer.json();
        if json.as_object().is_some_and(|o| !o.is_empty()) {
            let refused = slack_limits::check_message(&json);
            assert!(
                refused.is_empty(),
                "Slack would refuse {json:#}: {refused:#?}"
            );
        }
        json
    }

    /// A block_actions payload for a button pressed in a message.
    pub async fn click(&self, user: &str, name: &str, action_id: &str, respond_id: &str) -> Answer {
        let payload = json!({
            "type": "block_actions",
            "team": { "id": TEAM, "domain": "acme" },
            "user": { "id": user, "username": name, "name": name, "team_id": TEAM },
            "api_app_id": "A1",
            "trigger_id": "trig.1",
            "container": { "type": "message", "message_ts": "1700000000.000001", "channel_id": "D1" },
            "channel": { "id": "D1" },
            "response_url": format!("{}/{respond_id}", self.fake.respond_url),
            "actions": [{ "type": "button", "action_id": action_id, "block_id": "b", "value": action_id, "action_ts": "1" }],
        });
        self.interaction(payload).await
    }

    pub async fn interaction(&self, payload: Value) -> Answer {
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        self.signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            body,
        )
        .await
    }

    pub async fn event(&self, event_id: &str, event: Value) -> Answer {
        let body = json!({
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1_700_000_000,
            "event": event,
        });
        self.signed("/slack/events", "application/json", body.to_string())
            .await
    }
}

pub fn slash_body(user: &str, name: &str, command: &str, text: &str, response_url: &str) -> String {
    serde_urlencoded::to_string([
        ("token", "legacy"),
        ("team_id", TEAM),
        ("team_domain", "acme"),
        ("channel_id", "C1"),
        ("channel_name", "general"),
        ("user_id", user),
        ("user_name", name),
        ("command", command),
        ("text", text),
        ("api_app_id", "A1"),
        ("response_url", response_url),
        ("trigger_id", "13345224609.738474920.8088930838d88f008e0"),
    ])
    .unwrap()
}

/// Every button action id in a Block Kit message, with its label.
pub fn buttons(message: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for block in message["blocks"].as_array().into_iter().flatten() {
        for el in block["elements"].as_array().into_iter().flatten() {
            if el["type"] == "button" {
                out.push((
                    el["text"]["text"].as_str().unwrap_or_default().to_owned(),
                    el["action_id"].as_str().unwrap_or_default().to_owned(),
                ));
            }
        }
    }
    out
}

/// All the text in a Block Kit message (sections, fields, headers, the fallback).
pub fn all_text(message: &Value) -> String {
    let mut out = message["text"].as_str().unwrap_or_default().to_owned();
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::String(s) => {
                out.push('\n');
                out.push_str(s);
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(&message["blocks"], &mut out);
    out
}

/// The rig's ALUMNI_SECRET_KEY.
pub const SECRET_KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

pub fn test_sealer() -> Arc<alumni_slack::sealed::Sealer> {
    Arc::new(alumni_slack::sealed::Sealer::from_key(SECRET_KEY).unwrap())
}
