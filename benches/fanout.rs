//! Reminder fan-out against the platforms' documented limits.
//!
//! `cargo bench --bench fanout`. For each platform: a fresh SQLite store, `ALUMNI_FANOUT_DMS`
//! (default 2,000) approved members going to an event, whose reminder job the real scheduler
//! expands and delivers through the real `Messenger` (Discord's or Slack's) to a fake of the
//! platform on 127.0.0.1 that enforces the limits and answers 429 past them. Reported: the
//! requests the fake accepted per second of wall time, that as a fraction of the binding
//! limit, 429s served, and duplicates (a nonce / delivery key arriving twice).
//!
//! The fakes (only the routes the messengers use):
//! - Discord: 50 requests in any second, per bot (429 `global: true`, `X-RateLimit-Global`,
//!   `Retry-After`); per-route buckets with `X-RateLimit-Limit/Remaining/Reset-After/Bucket`:
//!   messages 5 per 5 s per channel, DM opens 50 per second (Discord publishes no number).
//! - Slack: chat.postMessage 1 a second per channel (token bucket, bursts of 2), Tier 3
//!   (50 in any minute) for conversations.open / history and chat.update, Tier 2 (20 a
//!   minute) for conversations.list; 429 with `Retry-After`. Slack's workspace-wide posting
//!   limit has no published number and is not modelled.
//!
//! A second Slack case is channel-bound: `ALUMNI_FANOUT_CHANNEL_POSTS` (default 300) posts
//! spread round-robin over `ALUMNI_FANOUT_CHANNELS` (default 10) channels.
//! `ALUMNI_FANOUT_LATENCY_MS` (default 0) makes the fakes answer that much later, as a real
//! network would. `ALUMNI_FANOUT_ONLY=discord|slack` runs one platform.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alumni_discord::DiscordMessenger;
use alumni_discord::directory::{Directory, GuildInfo};
use alumni_discord::serenity::all::{ChannelId, GuildId, UserId};
use alumni_slack::api::SlackApi;
use alumni_slack::messenger::SlackMessenger;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bot_core::clock::OffsetClock;
use bot_core::domain::{Identity, MemberStatus, Platform, Profile, Role};
use bot_core::i18n::Locale;
use bot_core::jobs::{NewJob, Payload, Target};
use bot_core::messenger::Messenger;
use bot_core::reply::Reply;
use bot_core::scheduler::{RunStats, Scheduler};
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, NewMember, SqliteStore, Store};
use bot_core::testing::TempSqlite;
use chrono::{SecondsFormat, TimeDelta, Utc};
use serde_json::{Value, json};

const GUILD: u64 = 800_000_000_000_000_001;
const GENERAL: u64 = 600_000_000_000_000_001;
const DISCORD_ADMIN: u64 = 700_000_000_000_000_001;
const TEAM: &str = "TBENCH";
const SLACK_ADMIN: &str = "UADMIN0001";
const SLACK_GENERAL: &str = "C0GENERAL";
const DISCORD_GLOBAL: usize = 50;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------- limits the fakes enforce

/// At most `limit` accepted requests in any `window` (by arrival).
struct SlidingWindow {
    limit: usize,
    window: Duration,
    accepted: VecDeque<Instant>,
}

impl SlidingWindow {
    fn new(limit: usize, window: Duration) -> Self {
        SlidingWindow {
            limit,
            window,
            accepted: VecDeque::new(),
        }
    }

    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        while self
            .accepted
            .front()
            .is_some_and(|t| *t + self.window <= now)
        {
            self.accepted.pop_front();
        }
        if self.accepted.len() >= self.limit {
            return Err(self.accepted[0] + self.window - now);
        }
        self.accepted.push_back(now);
        Ok(())
    }
}

/// Discord's per-route bucket: `limit` requests, refilled `reset` after the first one.
struct FixedBucket {
    limit: u32,
    reset: Duration,
    used: u32,
    resets_at: Instant,
}

impl FixedBucket {
    /// Ok(remaining, reset after) or Err(retry after).
    fn take(&mut self, now: Instant) -> Result<(u32, Duration), Duration> {
        if now >= self.resets_at {
            self.used = 0;
            self.resets_at = now + self.reset;
        }
        if self.used >= self.limit {
            return Err(self.resets_at - now);
        }
        self.used += 1;
        Ok((self.limit - self.used, self.resets_at - now))
    }
}

/// Slack's per-channel posting: one a second, short bursts.
struct TokenBucket {
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    const BURST: f64 = 2.0;
    const PER_SECOND: f64 = 1.0;

    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        self.tokens =
            (self.tokens + (now - self.at).as_secs_f64() * Self::PER_SECOND).min(Self::BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / Self::PER_SECOND,
            ))
        }
    }
}

#[derive(Default, Clone, Debug)]
struct Counts {
    accepted: usize,
    limited_global: usize,
    limited_route: usize,
    first: Option<Instant>,
    last: Option<Instant>,
    /// Discord: DM channels opened; Slack: conversations.open calls.
    opens: usize,
    posts: usize,
    other: usize,
    /// A nonce / delivery key that arrived again.
    duplicates: usize,
    /// Destinations with at least one message.
    destinations: usize,
}

impl Counts {
    fn limited(&self) -> usize {
        self.limited_global + self.limited_route
    }
}

/// Serve `router` on a thread of its own, so the fake never waits for the measured runtime.
fn serve(router: Router) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind fake");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("fake runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, router).await.expect("fake serves");
        });
    });
    addr
}

// ---------------------------------------------------------------- fake Discord

struct DiscordState {
    global: SlidingWindow,
    buckets: HashMap<(&'static str, String), FixedBucket>,
    nonces: HashSet<(String, String)>,
    channels: HashSet<String>,
    next_id: u64,
    counts: Counts,
    latency: Duration,
}

type Shared<T> = Arc<Mutex<T>>;

fn discord_fake(latency: Duration) -> (String, Shared<DiscordState>) {
    let state = Arc::new(Mutex::new(DiscordState {
        global: SlidingWindow::new(DISCORD_GLOBAL, Duration::from_secs(1)),
        buckets: HashMap::new(),
        nonces: HashSet::new(),
        channels: HashSet::new(),
        next_id: 1_000,
        counts: Counts::default(),
        latency,
    }));
    let router = Router::new()
        .fallback(discord_rest)
        .with_state(state.clone());
    (format!("http://{}", serve(router)), state)
}

async fn discord_rest(
    State(state): State<Shared<DiscordState>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let path = uri.path().trim_start_matches("/api/v10/").to_owned();
    let segments: Vec<&str> = path.split('/').collect();
    // Which bucket and top-level resource; limit per reset.
    let route: Option<(&'static str, String, u32, Duration)> =
        match (method.as_str(), segments.as_slice()) {
            ("POST", ["users", "@me", "channels"]) => {
                Some(("dm-open", String::new(), 50, Duration::from_secs(1)))
            }
            ("POST", ["channels", c, "messages"]) => {
                Some(("msg-create", (*c).to_owned(), 5, Duration::from_secs(5)))
            }
            ("PATCH", ["channels", c, "messages", _]) => {
                Some(("msg-edit", (*c).to_owned(), 5, Duration::from_secs(5)))
            }
            _ => None,
        };
    let Some((bucket, major, limit, reset)) = route else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({ "message": "404: Not Found", "code": 0 })),
        )
            .into_response();
    };
    let (response, latency) = {
        let mut s = state.lock().unwrap();
        let now = Instant::now();
        s.counts.first.get_or_insert(now);
        s.counts.last = Some(now);
        let latency = s.latency;
        if let Err(after) = s.global.take(now) {
            s.counts.limited_global += 1;
            let secs = format!("{:.3}", after.as_secs_f64());
            let response = (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    ("retry-after", secs.clone()),
                    ("x-ratelimit-global", "true".into()),
                    ("x-ratelimit-scope", "global".into()),
                ],
                axum::Json(json!({
                    "message": "You are being rate limited.",
                    "retry_after": after.as_secs_f64(),
                    "global": true,
                })),
            )
                .into_response();
            (response, latency)
        } else {
            let taken = s
                .buckets
                .entry((bucket, major.clone()))
                .or_insert(FixedBucket {
                    limit,
                    reset,
                    used: 0,
                    resets_at: now,
                })
                .take(now);
            let headers = |remaining: u32, after: Duration| {
                [
                    ("x-ratelimit-limit", limit.to_string()),
                    ("x-ratelimit-remaining", remaining.to_string()),
                    (
                        "x-ratelimit-reset-after",
                        format!("{:.3}", after.as_secs_f64()),
                    ),
                    ("x-ratelimit-bucket", bucket.to_owned()),
                ]
            };
            let response = match taken {
                Err(after) => {
                    s.counts.limited_route += 1;
                    let mut r = (
                        StatusCode::TOO_MANY_REQUESTS,
                        headers(0, after),
                        axum::Json(json!({
                            "message": "You are being rate limited.",
                            "retry_after": after.as_secs_f64(),
                            "global": false,
                        })),
                    )
                        .into_response();
                    r.headers_mut().insert(
                        "retry-after",
                        format!("{:.3}", after.as_secs_f64()).parse().unwrap(),
                    );
                    r.headers_mut()
                        .insert("x-ratelimit-scope", "user".parse().unwrap());
                    r
                }
                Ok((remaining, after)) => {
                    s.counts.accepted += 1;
                    let id = s.next_id;
                    s.next_id += 1;
                    let answer = match bucket {
                        "dm-open" => {
                            s.counts.opens += 1;
                            let user: u64 = body["recipient_id"]
                                .as_str()
                                .and_then(|u| u.parse().ok())
                                .unwrap_or(0);
                            json!({ "id": (user / 10 + 1).to_string(), "type": 1 })
                        }
                        "msg-create" => {
                            s.counts.posts += 1;
                            if let Some(nonce) = body["nonce"].as_str()
                                && !s.nonces.insert((major.clone(), nonce.to_owned()))
                            {
                                s.counts.duplicates += 1;
                            }
                            if s.channels.insert(major.clone()) {
                                s.counts.destinations += 1;
                            }
                            json!({ "id": id.to_string(), "channel_id": major, "nonce": body["nonce"] })
                        }
                        _ => {
                            s.counts.other += 1;
                            json!({ "id": segments[3], "channel_id": major })
                        }
                    };
                    (
                        StatusCode::OK,
                        headers(remaining, after),
                        axum::Json(answer),
                    )
                        .into_response()
                }
            };
            (response, latency)
        }
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    response
}

// ---------------------------------------------------------------- fake Slack

struct SlackState {
    per_channel: HashMap<String, TokenBucket>,
    tiers: HashMap<&'static str, SlidingWindow>,
    keys: HashSet<String>,
    channels: HashSet<String>,
    ts: u64,
    counts: Counts,
    latency: Duration,
}

fn slack_fake(latency: Duration) -> (String, Shared<SlackState>) {
    let minute = Duration::from_secs(60);
    let tiers = HashMap::from([
        ("conversations.open", SlidingWindow::new(50, minute)),
        ("conversations.history", SlidingWindow::new(50, minute)),
        ("chat.update", SlidingWindow::new(50, minute)),
        ("conversations.list", SlidingWindow::new(20, minute)),
    ]);
    let state = Arc::new(Mutex::new(SlackState {
        per_channel: HashMap::new(),
        tiers,
        keys: HashSet::new(),
        channels: HashSet::new(),
        ts: 0,
        counts: Counts::default(),
        latency,
    }));
    let router = Router::new()
        .route("/api/{method}", axum::routing::any(slack_api))
        .with_state(state.clone());
    (format!("http://{}/api", serve(router)), state)
}

async fn slack_api(
    State(state): State<Shared<SlackState>>,
    axum::extract::Path(method): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer xoxb-"));
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (response, latency) = {
        let mut s = state.lock().unwrap();
        let latency = s.latency;
        let now = Instant::now();
        s.counts.first.get_or_insert(now);
        s.counts.last = Some(now);
        if !authorized {
            return axum::Json(json!({ "ok": false, "error": "not_authed" })).into_response();
        }
        // chat.postMessage to a user id posts in the app's DM with them.
        let channel = match body["channel"].as_str().unwrap_or_default() {
            "general" => SLACK_GENERAL.to_owned(),
            c if c.starts_with('U') => format!("D{c}"),
            c => c.to_owned(),
        };
        let limited = if method == "chat.postMessage" {
            s.per_channel
                .entry(channel.clone())
                .or_insert(TokenBucket {
                    tokens: TokenBucket::BURST,
                    at: now,
                })
                .take(now)
        } else if let Some(tier) = s.tiers.get_mut(method.as_str()) {
            tier.take(now)
        } else {
            Ok(())
        };
        let response = match limited {
            Err(after) => {
                if method == "chat.postMessage" {
                    s.counts.limited_route += 1;
                } else {
                    s.counts.limited_global += 1;
                }
                let secs = after.as_secs_f64().ceil().max(1.0) as u64;
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", secs.to_string())],
                    axum::Json(json!({ "ok": false, "error": "ratelimited" })),
                )
                    .into_response()
            }
            Ok(()) => {
                s.counts.accepted += 1;
                let answer = match method.as_str() {
                    "chat.postMessage" => {
                        s.counts.posts += 1;
                        if let Some(key) = body["metadata"]["event_payload"]["key"].as_str()
                            && !s.keys.insert(key.to_owned())
                        {
                            s.counts.duplicates += 1;
                        }
                        if s.channels.insert(channel.clone()) {
                            s.counts.destinations += 1;
                        }
                        s.ts += 1;
                        json!({ "ok": true, "channel": channel, "ts": format!("1700000000.{:06}", s.ts) })
                    }
                    "conversations.open" => {
                        s.counts.opens += 1;
                        let users = body["users"].as_str().unwrap_or_default();
                        json!({ "ok": true, "channel": { "id": format!("D{users}") } })
                    }
                    "conversations.list" => {
                        s.counts.other += 1;
                        json!({ "ok": true, "channels": [{ "id": SLACK_GENERAL, "name": "general" }],
                                "response_metadata": { "next_cursor": "" } })
                    }
                    "conversations.history" => {
                        s.counts.other += 1;
                        json!({ "ok": true, "messages": [] })
                    }
                    _ => {
                        s.counts.other += 1;
                        json!({ "ok": true, "channel": body["channel"], "ts": body["ts"] })
                    }
                };
                axum::Json(answer).into_response()
            }
        };
        (response, latency)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    response
}

// ---------------------------------------------------------------- the bot side

struct Bot {
    core: Arc<Core>,
    store: Arc<SqliteStore>,
    clock: Arc<OffsetClock>,
    community: i64,
    _db: TempSqlite,
}

fn defaults() -> NewCommunity {
    NewCommunity {
        name: "Fan-out Alumni".into(),
        locale: Locale::Ja,
        timezone: "Asia/Tokyo".into(),
        requires_approval: true,
    }
}

/// A store with `members` approved members (platform ids from `user`) all going to event 1,
/// whose 30-minute reminder is due an hour and a half from now.
async fn bot_with_event(
    platform: Platform,
    space: &str,
    admin: &str,
    members: usize,
    user: impl Fn(usize) -> String,
) -> Bot {
    let db = TempSqlite::new(&format!("fanout-{platform:?}"));
    let store = Arc::new(SqliteStore::connect(&db.url()).await.expect("store"));
    let dyn_store: Arc<dyn Store> = store.clone();
    let clock = Arc::new(OffsetClock::new());
    let core = Arc::new(Core::new(
        dyn_store.clone(),
        clock.clone(),
        CoreConfig {
            bootstrap_admins: vec![admin.to_owned()],
            community_defaults: defaults(),
        },
    ));
    core.bootstrap(platform, space).await.expect("bootstrap");
    let community = dyn_store
        .community_for_space(platform, space, &defaults())
        .await
        .expect("community");
    let identity = |id: String| Identity {
        platform,
        space_id: space.to_owned(),
        handle: id.to_lowercase(),
        user_id: id,
    };
    let admin = Actor {
        identity: identity(admin.to_owned()),
        locale: None,
        platform_admin: true,
    };
    let at = (Utc::now() + TimeDelta::hours(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let created = core
        .handle_text(
            &admin,
            &format!("/event create title:Fan-out at:{at} remind:30m"),
        )
        .await;
    assert!(!created.error, "{}", created.text);
    for i in 0..members {
        let id = user(i);
        dyn_store
            .insert_member(
                community.id,
                &NewMember {
                    identity: identity(id.clone()),
                    status: MemberStatus::Approved,
                    role: Role::Member,
                    profile: Profile {
                        name: format!("Member {i}"),
                        ..Profile::default()
                    },
                    locale: Some(if i % 2 == 0 { Locale::Ja } else { Locale::En }),
                    timezone: None,
                },
                &|_| Vec::new(),
                chrono::Utc::now(),
            )
            .await
            .expect("member");
        let actor = Actor {
            identity: identity(id),
            locale: None,
            platform_admin: false,
        };
        let r = core.handle_text(&actor, "/event rsvp 1 going").await;
        assert!(!r.error, "{}", r.text);
    }
    Bot {
        core,
        store,
        clock,
        community: community.id,
        _db: db,
    }
}

/// Notify jobs whose key starts with `prefix` and are not finished yet, and failed ones.
async fn open_jobs(store: &SqliteStore, prefix: &str) -> (i64, i64) {
    let pattern = format!("{prefix}%");
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE kind = 'notify' AND idempotency_key LIKE ? \
         AND state NOT IN ('done', 'failed', 'skipped')",
    )
    .bind(&pattern)
    .fetch_one(store.pool())
    .await
    .expect("count");
    let failed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE kind = 'notify' AND idempotency_key LIKE ? \
         AND state IN ('failed', 'skipped')",
    )
    .bind(&pattern)
    .fetch_one(store.pool())
    .await
    .expect("count");
    (open, failed)
}

/// Run the scheduler until every job keyed `prefix…` is finished (after the fan-out job was
/// expanded, if `expands`); the wall time it took.
async fn deliver_all(
    bot: &Bot,
    scheduler: &Scheduler,
    prefix: &str,
    expands: bool,
) -> (Duration, RunStats) {
    let started = Instant::now();
    let mut total = RunStats::default();
    loop {
        let s = scheduler.run_due().await.expect("scheduler");
        total.delivered += s.delivered;
        total.expanded += s.expanded;
        total.retried += s.retried;
        total.skipped += s.skipped;
        total.failed += s.failed;
        let (open, _) = open_jobs(&bot.store, prefix).await;
        if open == 0 && (total.expanded > 0 || !expands) {
            return (started.elapsed(), total);
        }
        assert!(started.elapsed() < Duration::from_secs(3600), "stuck");
        // What is left waits for a retry time.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

struct Outcome {
    label: String,
    delivered: usize,
    failed: i64,
    wall: Duration,
    counts: Counts,
    stats: RunStats,
    limit: f64,
    limit_text: String,
    /// Requests the limit lets through at once at the start (Discord: a second's worth;
    /// channel-bound Slack: the first post in each channel), left out of the steady rate.
    burst: usize,
}

impl Outcome {
    fn print(&self) {
        let c = &self.counts;
        let secs = self.wall.as_secs_f64();
        let rate = c.accepted as f64 / secs;
        let active = match (c.first, c.last) {
            (Some(a), Some(b)) if b > a => c.accepted as f64 / (b - a).as_secs_f64(),
            _ => f64::NAN,
        };
        println!("## {}", self.label);
        println!(
            "  delivered {} ({} failed/skipped), to {} destinations; scheduler: {:?}",
            self.delivered, self.failed, c.destinations, self.stats
        );
        println!(
            "  requests accepted {} (opens {}, posts {}, other {}); 429s {} (global/tier {}, route/channel {}); duplicates {}",
            c.accepted,
            c.opens,
            c.posts,
            c.other,
            c.limited(),
            c.limited_global,
            c.limited_route,
            c.duplicates
        );
        println!(
            "  wall {secs:.2} s; {rate:.2} requests/s over the wall time ({active:.2}/s first to last request)"
        );
        if self.limit > 0.0 {
            let steady = match (c.first, c.last) {
                (Some(a), Some(b)) if b > a => {
                    c.accepted.saturating_sub(self.burst) as f64 / (b - a).as_secs_f64()
                }
                _ => f64::NAN,
            };
            println!(
                "  binding limit: {}; achieved {:.3} of it over the wall time, {:.3} steady \
                 (after the first {} let through at once)",
                self.limit_text,
                rate / self.limit,
                steady / self.limit,
                self.burst
            );
        } else {
            println!("  binding limit: {}", self.limit_text);
        }
    }
}

async fn discord(members: usize, latency: Duration) -> Outcome {
    let (base, fake) = discord_fake(latency);
    let user = |i: usize| (700_000_000_000_100_000u64 + i as u64 * 10).to_string();
    let bot = bot_with_event(
        Platform::Discord,
        &GUILD.to_string(),
        &DISCORD_ADMIN.to_string(),
        members,
        user,
    )
    .await;
    let directory = Arc::new(Directory::default());
    directory.insert(
        bot.community,
        GuildInfo {
            guild_id: GuildId::new(GUILD),
            owner_id: UserId::new(DISCORD_ADMIN),
            channels: HashMap::from([("general".to_owned(), ChannelId::new(GENERAL))]),
        },
    );
    let messenger: Arc<dyn Messenger> =
        Arc::new(DiscordMessenger::new("bench-token", Some(base), directory));
    let scheduler = Scheduler::new(bot.core.clone(), messenger);
    // The announcement and its live-count edits, outside the measurement.
    scheduler.run_due().await.expect("setup deliveries");
    tokio::time::sleep(Duration::from_secs(5)).await;
    {
        let mut f = fake.lock().unwrap();
        f.counts = Counts::default();
        f.channels.clear();
    }
    bot.clock.advance(TimeDelta::minutes(91));
    let (wall, stats) = deliver_all(&bot, &scheduler, "rem:", true).await;
    let (_, failed) = open_jobs(&bot.store, "rem:").await;
    let counts = fake.lock().unwrap().counts.clone();
    Outcome {
        label: format!("Discord: reminder to {members} members (DMs) + the channel post"),
        delivered: stats.delivered,
        failed,
        wall,
        counts,
        stats,
        limit: DISCORD_GLOBAL as f64,
        limit_text: "global 50 requests/s (each DM is a DM-channel open + a post)".into(),
        burst: DISCORD_GLOBAL,
    }
}

async fn slack(members: usize, latency: Duration) -> (Outcome, Outcome) {
    let (base, fake) = slack_fake(latency);
    let user = |i: usize| format!("U{:08}", i + 1);
    let bot = bot_with_event(Platform::Slack, TEAM, SLACK_ADMIN, members, user).await;
    let dyn_store: Arc<dyn Store> = bot.store.clone();
    let api = Arc::new(SlackApi::new(&base).expect("slack api"));
    let messenger: Arc<dyn Messenger> = Arc::new(SlackMessenger::new(
        api,
        dyn_store.clone(),
        Some("xoxb-bench".into()),
    ));
    let scheduler = Scheduler::new(bot.core.clone(), messenger);
    scheduler.run_due().await.expect("setup deliveries");
    tokio::time::sleep(Duration::from_secs(2)).await;
    {
        let mut f = fake.lock().unwrap();
        f.counts = Counts::default();
        f.channels.clear();
    }
    bot.clock.advance(TimeDelta::minutes(91));
    let (wall, stats) = deliver_all(&bot, &scheduler, "rem:", true).await;
    let (_, failed) = open_jobs(&bot.store, "rem:").await;
    let counts = fake.lock().unwrap().counts.clone();
    let dms = Outcome {
        label: format!("Slack: reminder to {members} members (DMs) + the channel post"),
        delivered: stats.delivered,
        failed,
        wall,
        counts,
        stats,
        limit: 0.0,
        limit_text: format!(
            "none published binds: {} conversations, one message each, so 1/s per channel \
             never binds; conversations.open (Tier 3, 50/min) is kept within budget and the \
             rest are posted to the user id; the workspace-wide posting limit has no number",
            members + 1
        ),
        burst: 0,
    };

    // Channel-bound: many posts over a few channels, interleaved as a fan-out writes them.
    let posts = env_usize("ALUMNI_FANOUT_CHANNEL_POSTS", 300);
    let channels = env_usize("ALUMNI_FANOUT_CHANNELS", 10).max(1);
    let now = bot.core.clock().now();
    let jobs: Vec<NewJob> = (0..posts)
        .map(|i| NewJob {
            community_id: bot.community,
            member_id: None,
            event_id: None,
            payload: Payload::Notify {
                to: Target::Channel(format!("C{:08}", i % channels + 1)),
                reply: Reply::text(Locale::En, format!("notice {i}")),
            },
            key: format!("bench:ch:{i}"),
            due_at: now,
            valid_until: None,
        })
        .collect();
    dyn_store.enqueue(&jobs).await.expect("enqueue");
    {
        let mut f = fake.lock().unwrap();
        f.counts = Counts::default();
        f.channels.clear();
    }
    let (wall, stats) = deliver_all(&bot, &scheduler, "bench:ch:", false).await;
    let (_, failed) = open_jobs(&bot.store, "bench:ch:").await;
    let counts = fake.lock().unwrap().counts.clone();
    let bound = Outcome {
        label: format!("Slack: {posts} posts over {channels} channels"),
        delivered: stats.delivered,
        failed,
        wall,
        counts,
        stats,
        limit: channels as f64,
        limit_text: format!("1 message/s per channel × {channels} channels"),
        burst: channels,
    };
    (dms, bound)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let members = env_usize("ALUMNI_FANOUT_DMS", 2000);
    let latency = Duration::from_millis(env_usize("ALUMNI_FANOUT_LATENCY_MS", 0) as u64);
    let only = std::env::var("ALUMNI_FANOUT_ONLY").unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "fan-out: {members} members, fake latency {latency:?}, load average {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    runtime.block_on(async {
        if only.is_empty() || only == "discord" {
            discord(members, latency).await.print();
        }
        if only.is_empty() || only == "slack" {
            let (dms, bound) = slack(members, latency).await;
            dms.print();
            bound.print();
        }
    });
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average after: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
