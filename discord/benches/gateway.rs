//! The Discord adapter against the fake Discord: resident memory of the bot connected with one
//! guild of 10,000 members, and interaction round trips (INTERACTION_CREATE pushed down the
//! gateway → callback received, → final answer received) one at a time and in a burst.
//!
//! The bot runs in a child process (this same binary, `ALUMNI_BENCH_DISCORD_BOT=1`) so its
//! memory is measured apart from the fake's: the real serenity client with its cache, the
//! adapter, the core and the scheduler on a SQLite file, as `alumni-bot run` starts them.
//!
//! `cargo bench -p alumni-discord --bench gateway`
//! (`ALUMNI_BENCH_GUILD_MEMBERS`, default 10000; `ALUMNI_BENCH_INTERACTIONS`, default 200).

#![recursion_limit = "256"]

#[path = "../tests/support/fake_discord.rs"]
#[allow(dead_code, unused_imports)]
mod fake_discord;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alumni_discord::{DiscordBot, DiscordConfig};
use bot_core::i18n::Locale;
use bot_core::scheduler::Scheduler;
use bot_core::service::{Core, CoreConfig};
use bot_core::store::{NewCommunity, SqliteStore, Store};
use bot_core::testing::TempSqlite;
use fake_discord::*;
use serde_json::{Value, json};

const CHILD: &str = "ALUMNI_BENCH_DISCORD_BOT";
const AIKO: u64 = 700_000_000_000_000_003;
/// Discord's deadline for the first response to an interaction.
const DEADLINE: Duration = Duration::from_secs(3);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if std::env::var_os(CHILD).is_some() {
        runtime.block_on(bot());
    } else {
        runtime.block_on(bench());
    }
}

/// The child: the bot as `alumni-bot run` wires it (core, Discord client, scheduler).
async fn bot() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.expect("store"));
    let core = Arc::new(Core::new(
        store,
        Arc::new(bot_core::clock::SystemClock),
        CoreConfig {
            bootstrap_admins: Vec::new(),
            community_defaults: NewCommunity {
                name: "Acme Alumni".into(),
                locale: Locale::En,
                timezone: "Asia/Tokyo".into(),
                requires_approval: true,
            },
        },
    ));
    let config = DiscordConfig::from_lookup(TOKEN.into(), |k| std::env::var(k).ok())
        .expect("DISCORD_* settings");
    let bot = DiscordBot::new(core.clone(), config).await.expect("client");
    tokio::spawn(Scheduler::new(core, bot.messenger.clone()).run());
    bot.run().await.expect("gateway");
}

struct Bot {
    child: Child,
    fake: FakeDiscord,
    _db: TempSqlite,
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Bot {
    /// Start the child against a fake serving `guild`; returns once it answered a command
    /// (so READY and GUILD_CREATE, which come first on the one shard, are handled).
    async fn start(guild: Value) -> Bot {
        let fake = FakeDiscord::start_with_guild(guild).await;
        let db = TempSqlite::new("bench_discord");
        let identify = fake.identified.clone();
        let identified = identify.notified();
        let child = Command::new(std::env::current_exe().expect("this binary"))
            .env(CHILD, "1")
            .env("DATABASE_URL", db.url())
            .env("DISCORD_API_BASE", &fake.base)
            .env("DISCORD_GUILD_ID", GUILD.to_string())
            .env_remove("DISCORD_MEMBER_ROLE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the bot");
        let bot = Bot {
            child,
            fake,
            _db: db,
        };
        tokio::time::timeout(Duration::from_secs(60), identified)
            .await
            .expect("the bot identified");
        let id = bot.push(&owner(), "help", json!([]));
        bot.done(&[id]).await;
        bot
    }

    fn push(&self, who: &Value, sub: &str, options: Value) -> String {
        let id = self.fake.next_id();
        self.fake.dispatch(
            "INTERACTION_CREATE",
            slash(id, who, "en-US", "alumni", sub, options),
        );
        id.to_string()
    }

    /// Wait until every interaction got its final answer.
    async fn done(&self, ids: &[String]) {
        let deadline = Instant::now() + Duration::from_secs(120);
        for id in ids {
            while self.fake.completion_delay(id).is_none() {
                assert!(Instant::now() < deadline, "no answer to interaction {id}");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }

    /// (resident now, peak) in MiB, from /proc.
    fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/PID/status");
        let kib = |field: &str| -> f64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        (kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0)
    }

    /// Resident memory once it stopped moving (the allocator settles after the burst of
    /// parsing): the last of a few samples a quarter second apart.
    async fn settled_memory(&self) -> (f64, f64) {
        let mut last = self.memory();
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            last = self.memory();
        }
        last
    }
}

fn owner() -> Value {
    member(OWNER, "owner", "0", false)
}

fn aiko() -> Value {
    member(AIKO, "aiko", "0", false)
}

struct Delays {
    ack: Vec<Duration>,
    done: Vec<Duration>,
}

impl Delays {
    fn of(bot: &Bot, ids: &[String]) -> Delays {
        let mut ack: Vec<Duration> = ids
            .iter()
            .map(|id| bot.fake.answer_delay(id).expect("acknowledged"))
            .collect();
        let mut done: Vec<Duration> = ids
            .iter()
            .map(|id| bot.fake.completion_delay(id).expect("answered"))
            .collect();
        ack.sort();
        done.sort();
        Delays { ack, done }
    }

    fn line(&self, what: &str) -> String {
        let ms = |v: &[Duration], p: usize| {
            let i = (v.len() * p / 100).min(v.len() - 1);
            v[i].as_secs_f64() * 1000.0
        };
        let late = self.ack.iter().filter(|d| **d >= DEADLINE).count();
        format!(
            "| {what} | {} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {late} |",
            self.ack.len(),
            ms(&self.ack, 50),
            ms(&self.ack, 99),
            ms(&self.ack, 100),
            ms(&self.done, 50),
            ms(&self.done, 99),
            ms(&self.done, 100),
        )
    }
}

async fn bench() {
    let members: u64 = std::env::var("ALUMNI_BENCH_GUILD_MEMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let n: usize = std::env::var("ALUMNI_BENCH_INTERACTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);

    // The same bot with the fake's 3-member guild, for what the members themselves cost.
    let small = Bot::start(guild_payload()).await;
    let (small_rss, small_peak) = small.settled_memory().await;
    drop(small);

    let payload = guild_with_members(members);
    let bytes = payload.to_string().len();
    let bot = Bot::start(payload).await;
    let (rss, peak) = bot.settled_memory().await;

    // One approved member, who then searches the directory (a deferred, database-backed
    // command answered by editing the original response).
    let id = bot.push(
        &aiko(),
        "join",
        json!([{ "name": "name", "type": 3, "value": "Aiko Tanaka" }]),
    );
    bot.done(&[id]).await;
    let id = bot.push(
        &owner(),
        "approve",
        json!([{ "name": "member", "type": 6, "value": AIKO.to_string() }]),
    );
    bot.done(&[id]).await;
    let search = || json!([{ "name": "query", "type": 3, "value": "Aiko" }]);
    for _ in 0..20 {
        let id = bot.push(&aiko(), "search", search());
        bot.done(&[id]).await;
    }

    // One at a time: each pushed once the previous one was answered.
    let mut sequential = Vec::with_capacity(n);
    for _ in 0..n {
        let id = bot.push(&aiko(), "search", search());
        bot.done(std::slice::from_ref(&id)).await;
        sequential.push(id);
    }
    // A burst: all pushed at once, as when a channel announcement is clicked by many.
    let burst: Vec<String> = (0..n)
        .map(|_| bot.push(&aiko(), "search", search()))
        .collect();
    bot.done(&burst).await;
    let (rss_after, peak_after) = bot.settled_memory().await;

    println!("## Discord adapter: bot process memory and interaction round trips\n");
    println!(
        "GUILD_CREATE with {members} members ({:.1} MiB of JSON); serenity's cache off, as the \
         adapter runs it.\n",
        bytes as f64 / (1024.0 * 1024.0)
    );
    println!("| bot process | resident MiB | peak MiB |");
    println!("|---|---|---|");
    println!("| connected, guild of 3 members | {small_rss:.1} | {small_peak:.1} |");
    println!("| connected, guild of {members} members | {rss:.1} | {peak:.1} |");
    println!(
        "| after {} interactions | {rss_after:.1} | {peak_after:.1} |\n",
        2 * n + 23
    );
    println!(
        "| `/alumni search` interactions | n | ack ms p50 / p99 / max | answer ms p50 / p99 / max | acks ≥ 3 s |"
    );
    println!("|---|---|---|---|---|");
    println!("{}", Delays::of(&bot, &sequential).line("one at a time"));
    println!(
        "{}",
        Delays::of(&bot, &burst).line("burst, all pushed at once")
    );
}
