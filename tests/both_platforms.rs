//! `alumni-bot run` with Discord and Slack both configured: each adapter is started by its own
//! crate's `start`, so Slack's single-workspace start-up (`auth.test`, then the team's
//! `ALUMNI_ADMINS`) happens beside Discord too — a copied start-up once skipped it.

#![recursion_limit = "256"]

#[path = "../discord/tests/support/fake_discord.rs"]
#[allow(dead_code)]
mod fake_discord;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::routing::post;
use bot_core::domain::{MemberStatus, Platform, Role};
use bot_core::store::{NewCommunity, SqliteStore, Store};
use bot_core::testing::TempSqlite;
use fake_discord::*;
use serde_json::json;

/// A Slack admin's user id, listed in ALUMNI_ADMINS.
const SLACK_ADMIN: &str = "UHR0001";
const TEAM: &str = "TACME01";

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Just enough of the Slack Web API for start-up: `auth.test` names the workspace.
async fn fake_slack_api() -> String {
    let app = axum::Router::new()
        .route(
            "/auth.test",
            post(|| async {
                Json(json!({ "ok": true, "team_id": TEAM, "user_id": "UBOT", "team": "Acme" }))
            }),
        )
        .fallback(|| async { Json(json!({ "ok": true })) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn both_platforms_start_and_slack_admins_are_set_up_before_anyone_types() {
    let db = TempSqlite::new("both_platforms");
    let discord = FakeDiscord::start().await;
    let slack_api = fake_slack_api().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _bot = Running(
        Command::new(env!("CARGO_BIN_EXE_alumni-bot"))
            .arg("run")
            .env("DATABASE_URL", db.url())
            .env_remove("ALUMNI_CONFIG")
            .env("ALUMNI_ADMINS", SLACK_ADMIN)
            .env("DISCORD_TOKEN", TOKEN)
            .env("DISCORD_API_BASE", &discord.base)
            .env("DISCORD_GUILD_ID", GUILD.to_string())
            .env("SLACK_SIGNING_SECRET", "both-platforms-secret")
            .env("SLACK_BOT_TOKEN", "xoxb-both-platforms")
            .env("SLACK_API_URL", &slack_api)
            .env("ALUMNI_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env_remove("SLACK_APP_TOKEN")
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Discord is served: its commands are registered.
    discord
        .wait_for("PUT", &format!("/guilds/{GUILD}/commands"), 1)
        .await;

    // Slack's workspace has its ALUMNI_ADMINS as approved admins, with nobody having typed.
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&db.url()).await.unwrap());
    let defaults = NewCommunity {
        name: "Alumni".into(),
        locale: bot_core::i18n::Locale::Ja,
        timezone: "Asia/Tokyo".into(),
        requires_approval: true,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let admin = loop {
        let community = store
            .community_for_space(Platform::Slack, TEAM, &defaults)
            .await
            .unwrap();
        if let Some(m) = store
            .member_by_identity(community.id, Platform::Slack, SLACK_ADMIN)
            .await
            .unwrap()
        {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "the Slack admin was never set up beside Discord"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(admin.status, MemberStatus::Approved);
    assert_eq!(admin.role, Role::Admin);

    // And the Slack endpoints answer: everything is up.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = get(port, "/healthz").await;
        if (status, body.as_str()) == (200, "ok") {
            break;
        }
        assert!(Instant::now() < deadline, "{status} {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Discord unreachable at start (nothing listens at its API base): the process keeps serving
/// Slack, and `/healthz` says which platform is down (503) instead of the process exiting.
#[tokio::test]
async fn an_unreachable_discord_leaves_slack_serving_and_is_reported() {
    let db = TempSqlite::new("discord_down");
    let slack_api = fake_slack_api().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut bot = Running(
        Command::new(env!("CARGO_BIN_EXE_alumni-bot"))
            .arg("run")
            .env("DATABASE_URL", db.url())
            .env_remove("ALUMNI_CONFIG")
            .env("ALUMNI_ADMINS", SLACK_ADMIN)
            .env("DISCORD_TOKEN", TOKEN)
            .env("DISCORD_API_BASE", format!("http://127.0.0.1:{closed}"))
            .env("DISCORD_GUILD_ID", GUILD.to_string())
            .env("SLACK_SIGNING_SECRET", "both-platforms-secret")
            .env("SLACK_BOT_TOKEN", "xoxb-both-platforms")
            .env("SLACK_API_URL", &slack_api)
            .env("ALUMNI_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env_remove("SLACK_APP_TOKEN")
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let report = loop {
        let (status, body) = get(port, "/healthz").await;
        if status == 503 && body.contains("discord: down") {
            break body;
        }
        assert!(Instant::now() < deadline, "{status} {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(report.contains("slack-http: up"), "{report}");
    // Still running a few retries later, still serving Slack.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(bot.0.try_wait().unwrap().is_none(), "the process exited");
    let (status, _) = get(port, "/healthz").await;
    assert_eq!(status, 503);
}

/// GET a path on 127.0.0.1:port (retrying while the server starts): status and body.
async fn get(port: u16, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut raw = String::new();
            stream.read_to_string(&mut raw).await.unwrap();
            let status = raw
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let body = raw
                .split_once("\r\n\r\n")
                .map(|(_, b)| b.to_owned())
                .unwrap_or_default();
            return (status, body);
        }
        assert!(Instant::now() < deadline, "no HTTP server on {port}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
