//! `alumni-bot run` with `DISCORD_TOKEN`: the real binary connects to a fake Discord
//! (`DISCORD_API_BASE`), registers its commands, answers a slash command, and its scheduler
//! delivers the admin's notice as a Discord DM. (The adapter in depth: `discord/tests`.)

#![recursion_limit = "256"]

#[path = "../discord/tests/support/fake_discord.rs"]
#[allow(dead_code)]
mod fake_discord;

use std::process::{Child, Command, Stdio};

use bot_core::testing::TempSqlite;
use fake_discord::*;
use serde_json::json;

const ADMIN: u64 = 700_000_000_000_000_002;
const AIKO: u64 = 700_000_000_000_000_003;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn run_with_a_discord_token_serves_discord_and_delivers_through_it() {
    let db = TempSqlite::new("discord_binary");
    let fake = FakeDiscord::start().await;
    let _bot = Running(
        Command::new(env!("CARGO_BIN_EXE_alumni-bot"))
            .arg("run")
            .env("DATABASE_URL", db.url())
            .env_remove("ALUMNI_CONFIG")
            .env("ALUMNI_ADMINS", ADMIN.to_string())
            .env("DISCORD_TOKEN", TOKEN)
            .env("DISCORD_API_BASE", &fake.base)
            .env("DISCORD_GUILD_ID", GUILD.to_string())
            .env_remove("SLACK_SIGNING_SECRET")
            .env_remove("SLACK_APP_TOKEN")
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    fake.wait_for("PUT", &format!("/guilds/{GUILD}/commands"), 1)
        .await;

    let id = fake.next_id();
    let aiko = member(AIKO, "aiko", "0", false);
    fake.dispatch(
        "INTERACTION_CREATE",
        slash(
            id,
            &aiko,
            "en-US",
            "alumni",
            "join",
            json!([{ "name": "name", "type": 3, "value": "Aiko Tanaka" }]),
        ),
    );
    let callback = fake
        .wait_for("POST", &format!("/interactions/{id}/"), 1)
        .await;
    assert_eq!(callback[0].body["type"], 5, "deferred");

    // The scheduler runs in the binary: the admin's notice arrives as a DM with a nonce.
    let opened = fake.wait_for("POST", "/users/@me/channels", 1).await;
    assert_eq!(opened[0].body["recipient_id"], ADMIN.to_string());
    let posts = fake.wait_for("POST", "/messages", 1).await;
    let notice = posts
        .iter()
        .find(|c| {
            c.path.contains("/channels/") && c.body["embeds"].to_string().contains("Aiko Tanaka")
        })
        .unwrap_or_else(|| panic!("{posts:#?}"));
    assert_eq!(notice.body["enforce_nonce"], true);
}
