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
    /// The adapter's own state (guilds, screening), for checks on what it keeps in memory.
    pub app: Arc<alumni_discord::DiscordApp>,
    bot: tokio::task::JoinHandle<()>,
    db: Db,
    /// The gateway connection's shards, to close them on [`Rig::restart`].
    shards: Arc<alumni_discord::serenity::all::ShardManager>,
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
        Rig::build_on(fake, store, db).await
    }

    /// A bot over `store` connected to `fake`.
    async fn build_on(fake: Arc<FakeDiscord>, store: Arc<dyn Store>, db: Db) -> Rig {
        let clock = Arc::new(OffsetClock::new());
        let core = Arc::new(Core::new(
            store.clone(),
            clock.clone(),
            CoreConfig {
                // ADMIN also administers the second server some tests add (`GUILD:USER`).
                bootstrap_admins: vec![ADMIN.to_string(), format!("{GUILD2}:{ADMIN}")],
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
        let shards = bot.client.shard_manager.clone();
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
            app,
            bot,
            db,
            shards,
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
        payload["data"]["resolved"]["attachments"] = serde_json::json!({ file_id.clone(): file });
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

/// A second server using the bot (its own owner and `#general`), for people in both.
pub const GUILD2: u64 = 800_000_000_000_000_002;
pub const OWNER2: u64 = 700_000_000_000_000_101;
pub const GENERAL2: u64 = 600_000_000_000_000_002;

/// GUILD_CREATE for [`GUILD2`]: the first guild's shape with its own ids.
pub fn second_guild_payload() -> Value {
    let mut guild = guild_payload();
    guild["id"] = serde_json::json!(GUILD2.to_string());
    guild["name"] = serde_json::json!("Globex Alumni");
    guild["owner_id"] = serde_json::json!(OWNER2.to_string());
    guild["system_channel_id"] = serde_json::json!(GENERAL2.to_string());
    guild["roles"][0]["id"] = serde_json::json!(GUILD2.to_string());
    guild["channels"][0]["id"] = serde_json::json!(GENERAL2.to_string());
    guild["channels"][0]["guild_id"] = serde_json::json!(GUILD2.to_string());
    guild
}

/// An interaction built for the first guild, as sent from `guild`'s `channel` instead.
pub fn in_guild(mut interaction: Value, guild: u64, channel: u64) -> Value {
    let (guild, channel) = (guild.to_string(), channel.to_string());
    interaction["guild_id"] = serde_json::json!(guild);
    interaction["channel_id"] = serde_json::json!(channel);
    interaction["channel"]["id"] = serde_json::json!(channel);
    interaction["channel"]["guild_id"] = serde_json::json!(guild);
    interaction["authorizing_integration_owners"]["0"] = serde_json::json!(guild);
    if interaction["data"]["guild_id"].is_string() {
        interaction["data"]["guild_id"] = serde_json::json!(guild);
    }
    interaction
}

impl Rig {
    /// The bot joins another guild (GUILD_CREATE after READY, as when it is added to a
    /// server); returns once the adapter knows it (the admin `GUILD2:ADMIN` names there is
    /// written last).
    pub async fn add_guild(&self, guild: Value) -> bot_core::domain::CommunityId {
        let space = guild["id"].as_str().unwrap().to_owned();
        self.fake.dispatch("GUILD_CREATE", guild);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let community = self.community_in(&space).await;
            let admin = self
                .store
                .member_by_identity(
                    community.id,
                    bot_core::domain::Platform::Discord,
                    &ADMIN.to_string(),
                )
                .await
                .unwrap();
            if admin.is_some() {
                return community.id;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "GUILD_CREATE for {space} not handled"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The community of guild `space`.
    pub async fn community_in(&self, space: &str) -> bot_core::domain::Community {
        self.store
            .community_for_space(
                bot_core::domain::Platform::Discord,
                space,
                self.core.community_defaults(),
            )
            .await
            .unwrap()
    }

    /// The member linked to Discord user `user` in guild `space`'s community.
    pub async fn member_in(&self, space: &str, user: u64) -> Option<bot_core::domain::Member> {
        let community = self.community_in(space).await.id;
        self.store
            .member_by_identity(
                community,
                bot_core::domain::Platform::Discord,
                &user.to_string(),
            )
            .await
            .unwrap()
    }

    /// A slash command in another guild's channel; returns the interaction id.
    pub fn slash_in(
        &self,
        guild: u64,
        channel: u64,
        who: &Value,
        command: &str,
        sub: &str,
        options: Value,
    ) -> String {
        let id = self.fake.next_id();
        let payload = slash(id, who, "en-US", command, sub, options);
        self.fake
            .dispatch("INTERACTION_CREATE", in_guild(payload, guild, channel));
        id.to_string()
    }

    /// A modal submitted in another guild's channel; returns the interaction id.
    pub fn submit_in(
        &self,
        guild: u64,
        channel: u64,
        who: &Value,
        custom_id: &str,
        fields: &[(&str, &str)],
    ) -> String {
        let id = self.fake.next_id();
        let payload = modal_submit(id, who, "en-US", custom_id, fields);
        self.fake
            .dispatch("INTERACTION_CREATE", in_guild(payload, guild, channel));
        id.to_string()
    }

    /// Every message the bot posted in its DM with `user`.
    pub fn dms_to(&self, user: u64) -> Vec<fake_discord::Call> {
        self.fake
            .calls_to("POST", &format!("/channels/{}/messages", dm_channel(user)))
    }

    /// The custom id of the first button starting with `prefix` and ending with `suffix` on
    /// a DM the bot sent `user` whose text contains `text`.
    pub fn button_in_dm(&self, user: u64, text: &str, prefix: &str, suffix: &str) -> String {
        let dms = self.dms_to(user);
        dms.iter()
            .filter(|c| all_text(&c.body).contains(text))
            .flat_map(|c| buttons(&c.body))
            .find(|b| b.starts_with(prefix) && b.ends_with(suffix))
            .unwrap_or_else(|| {
                panic!("no {prefix}…{suffix} button on a DM with {text:?}: {dms:#?}")
            })
    }

    /// The callback to interaction `id` (waits for it), checked to have come within
    /// Discord's 3 seconds.
    pub async fn answered_in_time(&self, id: &str) -> Value {
        let callback = self.callback(id).await;
        let delay = self.fake.answer_delay(id).unwrap();
        assert!(
            delay < std::time::Duration::from_secs(3),
            "interaction {id} answered after {delay:?}"
        );
        callback
    }
}

impl Rig {
    /// The bot restarted on the same database and the same Discord: its gateway connection
    /// closed, then a new core, adapter and scheduler (nothing kept in memory) connected.
    pub async fn restart(self) -> Rig {
        self.bot.abort();
        self.shards.shutdown_all().await;
        Rig::build_on(self.fake, self.store, self.db).await
    }
}
