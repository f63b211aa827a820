//! The end-to-end rig: a real SQLite store, the core, the real serenity client connected to
//! the fake Discord (REST + gateway) on random ports, and a scheduler delivering through the
//! Discord messenger.

#![allow(dead_code)]

pub mod fake_discord;

use std::sync::Arc;

use alumni_discord::{DiscordBot, DiscordConfig, DiscordMessenger};
use bot_core::clock::OffsetClock;
use bot_core::i18n::Locale;
use bot_core::scheduler::{RunStats, Scheduler};
use bot_core::service::{Core, CoreConfig};
use bot_core::store::{NewCommunity, PgStore, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use serde_json::Value;

pub use fake_discord::FakeDiscord;
use fake_discord::*;

/// A bootstrap admin (`ALUMNI_ADMINS` holds Discord user ids).
pub const ADMIN: u64 = 700_000_000_000_000_002;
pub const AIKO: u64 = 700_000_000_000_000_003;
pub const BEN: u64 = 700_000_000_000_000_004;
/// `DISCORD_MEMBER_ROLE`.
pub const MEMBER_ROLE: u64 = 650_000_000_000_000_001;

pub struct Rig {
    pub fake: Arc<FakeDiscord>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<OffsetClock>,
    pub core: Arc<Core>,
    pub messenger: Arc<DiscordMessenger>,
    pub scheduler: Scheduler,
    bot: tokio::task::JoinHandle<()>,
    db: Db,
}

/// The database a rig runs on; a PostgreSQL one is dropped by [`Rig::finish`].
pub enum Db {
    Sqlite(TempSqlite),
    Pg(TempPostgres),
}

impl Rig {
    /// On a fresh SQLite file.
    pub async fn start(label: &str) -> Rig {
        let db = TempSqlite::new(label);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&db.url()).await.unwrap());
        Rig::build(store, Db::Sqlite(db)).await
    }

    /// On a fresh PostgreSQL database; `None` (with a loud warning) when PostgreSQL is
    /// unreachable and `ALUMNI_REQUIRE_PG` is not set.
    pub async fn postgres(label: &str) -> Option<Rig> {
        let db = TempPostgres::create(label).await?;
        let store: Arc<dyn Store> = Arc::new(PgStore::connect(&db.url).await.unwrap());
        Some(Rig::build(store, Db::Pg(db)).await)
    }

    async fn build(store: Arc<dyn Store>, db: Db) -> Rig {
        let fake = Arc::new(FakeDiscord::start().await);
        let clock = Arc::new(OffsetClock::new());
        let core = Arc::new(Core::new(
            store.clone(),
            clock.clone(),
            CoreConfig {
                bootstrap_admins: vec![ADMIN.to_string()],
                community_defaults: NewCommunity {
                    name: "Acme Alumni".into(),
                    locale: Locale::En,
                    timezone: "Asia/Tokyo".into(),
                    requires_approval: true,
                },
            },
        ));
        let env = [
            ("DISCORD_API_BASE", fake.base.clone()),
            ("DISCORD_GUILD_ID", GUILD.to_string()),
            ("DISCORD_MEMBER_ROLE", MEMBER_ROLE.to_string()),
        ];
        let config = DiscordConfig::from_lookup(TOKEN.into(), |k| {
            env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        })
        .unwrap();
        let identified = fake.identified.notified();
        let bot = DiscordBot::new(core.clone(), config).await.unwrap();
        let messenger = bot.messenger.clone();
        let app = bot.app.clone();
        let bot = tokio::spawn(async move {
            if let Err(e) = bot.run().await {
                panic!("the bot stopped: {e}");
            }
        });
        tokio::time::timeout(std::time::Duration::from_secs(10), identified)
            .await
            .expect("the bot identified on the fake gateway");
        // GUILD_CREATE follows READY; wait until the adapter learned the guild.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while app
            .directory
            .owner(alumni_discord::serenity::all::GuildId::new(GUILD))
            .is_none()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "GUILD_CREATE not handled"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let scheduler = Scheduler::new(core.clone(), messenger.clone());
        Rig {
            fake,
            store,
            clock,
            core,
            messenger,
            scheduler,
            bot,
            db,
        }
    }

    pub async fn deliver_due(&self) -> RunStats {
        self.scheduler.run_due().await.unwrap()
    }

    /// Push a slash command; returns the interaction id.
    pub fn slash(
        &self,
        who: &Value,
        locale: &str,
        command: &str,
        sub: &str,
        options: Value,
    ) -> String {
        let id = self.fake.next_id();
        self.fake.dispatch(
            "INTERACTION_CREATE",
            slash(id, who, locale, command, sub, options),
        );
        id.to_string()
    }

    /// Push a slash command with a file option: `file` is an object from
    /// [`FakeDiscord::attach`], passed as option `option`.
    pub fn slash_with_file(
        &self,
        who: &Value,
        command: &str,
        sub: &str,
        option: &str,
        file: &Value,
        mut options: Vec<Value>,
    ) -> String {
        let id = self.fake.next_id();
        let file_id = file["id"].as_str().unwrap().to_owned();
        options.push(serde_json::json!({ "name": option, "type": 11, "value": file_id }));
        let mut payload = slash(id, who, "en-US", command, sub, Value::Array(options));
        payload["data"]["resolved"] =
            serde_json::json!({ "attachments": { file_id.clone(): file } });
        self.fake.dispatch("INTERACTION_CREATE", payload);
        id.to_string()
    }

    pub fn press(&self, who: &Value, locale: &str, custom_id: &str) -> String {
        let id = self.fake.next_id();
        self.fake
            .dispatch("INTERACTION_CREATE", button(id, who, locale, custom_id));
        id.to_string()
    }

    pub fn submit(
        &self,
        who: &Value,
        locale: &str,
        custom_id: &str,
        fields: &[(&str, &str)],
    ) -> String {
        let id = self.fake.next_id();
        self.fake.dispatch(
            "INTERACTION_CREATE",
            modal_submit(id, who, locale, custom_id, fields),
        );
        id.to_string()
    }

    /// Press a button on a message in the bot's DM with `who`: shaped as Discord sends it
    /// there (no guild, no member).
    pub fn press_in_dm(&self, who: &Value, locale: &str, custom_id: &str) -> String {
        let id = self.fake.next_id();
        self.fake
            .dispatch("INTERACTION_CREATE", dm_button(id, who, locale, custom_id));
        id.to_string()
    }

    /// Submit a modal opened from the bot's DM with `who`.
    pub fn submit_in_dm(
        &self,
        who: &Value,
        locale: &str,
        custom_id: &str,
        fields: &[(&str, &str)],
    ) -> String {
        let id = self.fake.next_id();
        self.fake.dispatch(
            "INTERACTION_CREATE",
            dm_modal_submit(id, who, locale, custom_id, fields),
        );
        id.to_string()
    }

    /// The callback Discord got for interaction `id` (waits for it).
    pub async fn callback(&self, id: &str) -> Value {
        let path = format!("/interactions/{id}/");
        self.fake.wait_for("POST", &path, 1).await[0].body.clone()
    }

    /// The edit of interaction `id`'s original response (waits for it).
    pub async fn edited(&self, id: &str) -> Value {
        let path = format!("/itoken-{id}/messages/@original");
        self.fake.wait_for("PATCH", &path, 1).await[0].body.clone()
    }

    /// The answer to a deferred interaction `id` (waits for it): the edited original, or the
    /// follow-up that replaced it. The bool says whether only the asker sees it.
    pub async fn answer(&self, id: &str) -> (Value, bool) {
        let token = format!("/itoken-{id}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            for call in self.fake.calls() {
                if !call.path.contains(&token) {
                    continue;
                }
                if call.method == "PATCH" {
                    let ephemeral = self.callback_flags(id) & 64 != 0;
                    return (call.body, ephemeral);
                }
                if call.method == "POST" && call.path.starts_with("/api/v10/webhooks/") {
                    let ephemeral = call.body["flags"].as_u64().unwrap_or(0) & 64 != 0;
                    return (call.body, ephemeral);
                }
            }
            assert!(std::time::Instant::now() < deadline, "no answer to {id}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    fn callback_flags(&self, id: &str) -> u64 {
        self.fake
            .calls_to("POST", &format!("/interactions/{id}/"))
            .first()
            .and_then(|c| c.body["data"]["flags"].as_u64())
            .unwrap_or(0)
    }

    /// The guild's community, as the core stores it.
    pub async fn community(&self) -> bot_core::domain::Community {
        self.store
            .community_for_space(
                bot_core::domain::Platform::Discord,
                &GUILD.to_string(),
                self.core.community_defaults(),
            )
            .await
            .unwrap()
    }

    /// The member linked to Discord user `user`, if any.
    pub async fn member(&self, user: u64) -> Option<bot_core::domain::Member> {
        let community = self.community().await.id;
        self.store
            .member_by_identity(
                community,
                bot_core::domain::Platform::Discord,
                &user.to_string(),
            )
            .await
            .unwrap()
    }

    /// `who` joins as `name` and the guild owner approves them with `/alumni approve`.
    pub async fn join_approved(&self, who: &Value, name: &str) {
        let user: u64 = who["user"]["id"].as_str().unwrap().parse().unwrap();
        let id = self.slash(
            who,
            "en-US",
            "alumni",
            "join",
            serde_json::json!([{ "name": "name", "type": 3, "value": name }]),
        );
        self.answer(&id).await;
        let id = self.slash(
            &owner(),
            "en-US",
            "alumni",
            "approve",
            serde_json::json!([{ "name": "member", "type": 6, "value": user.to_string() }]),
        );
        self.answer(&id).await;
        assert!(
            self.member(user).await.is_some_and(|m| m.is_approved()),
            "{name} approved"
        );
    }

    pub async fn finish(self) {
        self.bot.abort();
        if let Db::Pg(db) = self.db {
            db.drop_db().await;
        }
    }
}

pub fn admin() -> Value {
    member(ADMIN, "hr", "0", false)
}

pub fn aiko() -> Value {
    member(AIKO, "aiko", "0", false)
}

pub fn ben() -> Value {
    member(BEN, "ben", "0", false)
}

/// The guild owner, who holds no Administrator bit but is an admin anyway.
pub fn owner() -> Value {
    member(OWNER, "owner", "0", false)
}

/// All the text of a message body: content, embed title, description, fields.
pub fn all_text(body: &Value) -> String {
    let mut out = body["content"].as_str().unwrap_or_default().to_owned();
    let embeds = body["embeds"]
        .as_array()
        .or_else(|| body["data"]["embeds"].as_array())
        .cloned()
        .unwrap_or_default();
    for e in embeds {
        for k in ["title", "description"] {
            if let Some(s) = e[k].as_str() {
                out.push('\n');
                out.push_str(s);
            }
        }
        for f in e["fields"].as_array().into_iter().flatten() {
            out.push_str(&format!("\n{}: {}", f["name"], f["value"]));
        }
    }
    out
}

/// Every button custom id in a message body.
pub fn buttons(body: &Value) -> Vec<String> {
    let rows = body["components"]
        .as_array()
        .or_else(|| body["data"]["components"].as_array())
        .cloned()
        .unwrap_or_default();
    rows.iter()
        .flat_map(|r| r["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["custom_id"].as_str().map(str::to_owned))
        .collect()
}
