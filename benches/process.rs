//! The running bot as an operator sees it: start-up time to ready, resident memory idle and
//! after load, and the Slack endpoint under a fixed offered rate of signed slash commands.
//!
//! `cargo bench --bench process`. Starts the real `alumni-bot run` (Slack over HTTP) against a
//! stub Slack Web API on 127.0.0.1, on:
//! - `ALUMNI_BENCH_DB`: a copy of an existing database: a SQLite file (e.g. the
//!   100,000-member one the search bench keeps with `ALUMNI_BENCH_KEEP=1`), or a PostgreSQL
//!   URL `postgres://…/<name>` (copied with `CREATE DATABASE … TEMPLATE <name>` into a
//!   database of the bench's own, dropped at the end; `postgres://…/` alone: a new, empty
//!   one). Without it, a fresh empty SQLite file. An existing database's first community is
//!   attached to the benchmark's Slack team (`TBENCH`) and Discord guild (with the `sqlite3`
//!   or `psql` tool), so the searches run over its members;
//! - `ALUMNI_BENCH_RATE` requests/s (default 100) for `ALUMNI_BENCH_SECS` (default 10): a
//!   third each `/alumni search 田中`, `/alumni search rust` and `/alumni profile`, from 200
//!   members who joined first (`ALUMNI_BENCH_SEARCH_ONLY=1`: only the two searches);
//! - `ALUMNI_BENCH_DISCORD=1`: Discord connected too, to the fake Discord the binary test uses
//!   (REST + WebSocket gateway, in this process): 20 members join by slash command, then
//!   `ALUMNI_BENCH_DISCORD_RATE` (default 10) `/alumni search` interactions a second run
//!   through the gateway alongside the Slack load; their answer times are reported;
//! - `ALUMNI_BENCH_IDLE_SECS` (default 3): also read the idle memory this long after ready
//!   (PostgreSQL loads the directory into memory in the background after start).

#![recursion_limit = "256"]

#[path = "../discord/tests/support/fake_discord.rs"]
#[allow(dead_code, unused_imports)]
mod fake_discord;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SECRET: &str = "bench-signing-secret";
/// Discord members who join and search in the Discord mode.
const DISCORD_USERS: u64 = 20;
const DISCORD_USER_BASE: u64 = 700_000_000_000_000_100;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A Slack Web API that answers every method `ok` (users.info with a Japanese locale), on a
/// thread of its own so it never competes with the measured process's runtime.
fn stub_slack() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind stub");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let _ = read_request(&mut stream);
                let body = r#"{"ok":true,"team_id":"TBENCH","user_id":"UBOT","user":{"id":"U1","name":"bench","locale":"ja-JP","tz":"Asia/Tokyo"},"channel":{"id":"D1"},"ts":"1.1","messages":[]}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    port
}

/// Reads one HTTP/1.1 message (head + content-length body); returns the status line's code
/// for responses, 0 for requests.
fn read_request(stream: &mut TcpStream) -> std::io::Result<u16> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            match length {
                Some(len) if buf.len() >= end + 4 + len => break,
                Some(_) => continue,
                None if head.contains("transfer-encoding: chunked") => {
                    if find(&buf[end..], b"0\r\n\r\n").is_some() {
                        break;
                    }
                }
                None => break,
            }
        }
    }
    let status = String::from_utf8_lossy(&buf)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok(status)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn get(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: bench\r\nconnection: close\r\n\r\n"
    )
    .ok()?;
    read_request(&mut s).ok()
}

/// One signed `/alumni` slash command, form-encoded as Slack sends it; returns the status.
fn slash(addr: SocketAddr, user: &str, text: &str) -> u16 {
    let body = format!(
        "token=x&team_id=TBENCH&team_domain=bench&channel_id=C1&channel_name=general&user_id={user}&user_name={user}&command=%2Falumni&text={}&api_app_id=A1&response_url=http%3A%2F%2F127.0.0.1%3A1%2Fr&trigger_id=t",
        text.bytes()
            .map(|b| if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            })
            .collect::<String>()
    );
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let sig = alumni_slack::signature::sign(SECRET.as_bytes(), &ts, body.as_bytes());
    let Ok(mut s) = TcpStream::connect(addr) else {
        return 0;
    };
    let _ = write!(
        s,
        "POST /slack/commands HTTP/1.1\r\nhost: bench\r\ncontent-type: application/x-www-form-urlencoded\r\nx-slack-request-timestamp: {ts}\r\nx-slack-signature: {sig}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    read_request(&mut s).unwrap_or(0)
}

fn rss_mib(child: &Child) -> f64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// The bot, stopped however the bench ends (a failed assertion must not leave it running).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where the bot's data lives for one run, and how to clean up after it.
enum Database {
    Sqlite { dir: PathBuf, file: PathBuf },
    Postgres { server: String, name: String },
}

impl Database {
    /// Copies `ALUMNI_BENCH_DB` (or starts empty) and attaches its first community to the
    /// bench's Slack team and Discord guild.
    fn prepare(source: Option<&str>) -> Database {
        let attach = format!(
            "INSERT INTO spaces VALUES ('slack', 'TBENCH', 1), ('discord', '{}', 1) \
             ON CONFLICT (platform, space_id) DO UPDATE SET community_id = 1",
            fake_discord::GUILD
        );
        match source {
            Some(url) if url.starts_with("postgres") => {
                let (server, from) = url.rsplit_once('/').expect("postgres://host/name");
                let name = format!("alumni_bench_process_{}", std::process::id());
                let create = match from {
                    "" => format!("CREATE DATABASE {name}"),
                    from => format!("CREATE DATABASE {name} TEMPLATE {from}"),
                };
                psql(&format!("{server}/postgres"), &create);
                let db = Database::Postgres {
                    server: server.to_owned(),
                    name,
                };
                if !from.is_empty() {
                    psql(&db.url(), &attach);
                }
                db
            }
            _ => {
                let dir = std::env::temp_dir()
                    .join(format!("alumni-bench-process-{}", std::process::id()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let file = dir.join("alumni.db");
                if let Some(src) = source {
                    std::fs::copy(src, &file).expect("copy ALUMNI_BENCH_DB");
                    let status = Command::new("sqlite3").arg(&file).arg(&attach).status();
                    assert!(
                        status.is_ok_and(|s| s.success()),
                        "attaching community 1 needs the sqlite3 tool"
                    );
                }
                Database::Sqlite { dir, file }
            }
        }
    }

    fn url(&self) -> String {
        match self {
            Database::Sqlite { file, .. } => format!("sqlite://{}", file.display()),
            Database::Postgres { server, name } => format!("{server}/{name}"),
        }
    }

    fn remove(self) {
        match self {
            Database::Sqlite { dir, .. } => {
                let _ = std::fs::remove_dir_all(&dir);
            }
            Database::Postgres { server, name } => {
                psql(
                    &format!("{server}/postgres"),
                    &format!("DROP DATABASE {name}"),
                );
            }
        }
    }
}

fn psql(url: &str, sql: &str) {
    let status = Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .status();
    assert!(status.is_ok_and(|s| s.success()), "psql {url}: {sql}");
}

/// The fake Discord and the runtime its gateway and REST server run on (a thread of their
/// own, so they never compete with the measured process's runtime for a lock).
struct Discord {
    rt: tokio::runtime::Runtime,
    fake: fake_discord::FakeDiscord,
}

impl Discord {
    fn start() -> Discord {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let fake = rt.block_on(fake_discord::FakeDiscord::start());
        Discord { rt, fake }
    }

    /// One `/alumni <sub>` slash command from Discord member `n`: its id and when it was sent.
    fn slash(&self, n: u64, sub: &str, options: serde_json::Value) -> (u64, Instant) {
        let id = self.fake.next_id();
        let who = fake_discord::member(DISCORD_USER_BASE + n, &format!("d{n}"), "0", false);
        let sent = Instant::now();
        self.fake.dispatch(
            "INTERACTION_CREATE",
            fake_discord::slash(id, &who, "ja", "alumni", sub, options),
        );
        (id, sent)
    }

    /// For each of `sent` that was answered: ms to the callback (the deferral Discord's 3 s
    /// limit is about) and to the reply (the placeholder edited, or for a private reply the
    /// ephemeral follow-up that replaces it). Waits up to 30 s for the last.
    fn answers(&self, sent: &[(u64, Instant)]) -> (Vec<f64>, Vec<f64>) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let calls = self.fake.calls();
            let first = |matches: &dyn Fn(&fake_discord::Call) -> bool| {
                calls.iter().find(|c| matches(c)).map(|c| c.at)
            };
            let mut acked = Vec::new();
            let mut done = Vec::new();
            for (id, t) in sent {
                let ms = |at: Instant| (at - *t).as_secs_f64() * 1000.0;
                let callback = format!("/interactions/{id}/");
                if let Some(a) = first(&|c| c.method == "POST" && c.path.contains(&callback)) {
                    acked.push(ms(a));
                }
                let edit = format!("/itoken-{id}/messages/@original");
                let followup = format!("/itoken-{id}");
                let reply = first(&|c| {
                    (c.method == "PATCH" && c.path.contains(&edit))
                        || (c.method == "POST" && c.path.ends_with(&followup))
                });
                if let Some(r) = reply {
                    done.push(ms(r));
                }
            }
            if done.len() == sent.len() || Instant::now() > deadline {
                return (acked, done);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn main() {
    let rate = env_u64("ALUMNI_BENCH_RATE", 100);
    let secs = env_u64("ALUMNI_BENCH_SECS", 10);
    let search_only = std::env::var("ALUMNI_BENCH_SEARCH_ONLY").is_ok_and(|v| v == "1");
    let with_discord = std::env::var("ALUMNI_BENCH_DISCORD").is_ok_and(|v| v == "1");
    let discord_rate = env_u64("ALUMNI_BENCH_DISCORD_RATE", 10);
    let source = std::env::var("ALUMNI_BENCH_DB").ok();
    let db = Database::prepare(source.as_deref());
    let discord = with_discord.then(Discord::start);
    let stub = stub_slack();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut bot = Command::new(env!("CARGO_BIN_EXE_alumni-bot"));
    bot.arg("run")
        .env("DATABASE_URL", db.url())
        .env_remove("ALUMNI_CONFIG")
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("SLACK_BOT_TOKEN", "xoxb-bench")
        .env("SLACK_API_URL", format!("http://127.0.0.1:{stub}/api"))
        .env("ALUMNI_HTTP_ADDR", addr.to_string())
        .env("ALUMNI_ADMINS", "UADMIN")
        .env_remove("DISCORD_TOKEN")
        .env_remove("SLACK_APP_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(d) = &discord {
        bot.env("DISCORD_TOKEN", fake_discord::TOKEN)
            .env("DISCORD_API_BASE", &d.fake.base)
            .env("DISCORD_GUILD_ID", fake_discord::GUILD.to_string());
    }
    let started = Instant::now();
    let mut running = Running(bot.spawn().expect("start alumni-bot"));
    let child = &mut running.0;
    while get(addr, "/healthz") != Some(200) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "not ready in 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let ready = started.elapsed();
    // Discord is ready once it has registered its commands (after the gateway's READY).
    let discord_ready = discord.as_ref().map(|d| {
        d.rt.block_on(d.fake.wait_for(
            "PUT",
            &format!("/guilds/{}/commands", fake_discord::GUILD),
            1,
        ));
        started.elapsed()
    });
    std::thread::sleep(Duration::from_secs(3));
    let idle = rss_mib(child);
    // On PostgreSQL the directory loads into memory in the background after start: idle
    // again once that has had time (`ALUMNI_BENCH_IDLE_SECS`).
    let idle_secs = env_u64("ALUMNI_BENCH_IDLE_SECS", 3).max(3);
    std::thread::sleep(Duration::from_secs(idle_secs - 3));
    let settled = rss_mib(child);

    // Everyone joins first (writes), then the offered load: searches and profile views.
    let users = 200;
    for u in 0..users {
        let status = slash(
            addr,
            &format!("U{u}"),
            &format!("join name:\"ベンチ {u}\" skills:Rust"),
        );
        assert_eq!(status, 200, "join answered {status}");
    }
    if let Some(d) = &discord {
        let ids: Vec<(u64, Instant)> = (0..DISCORD_USERS)
            .map(|n| {
                d.slash(
                    n,
                    "join",
                    serde_json::json!([{ "name": "name", "type": 3, "value": format!("ディスコード {n}") }]),
                )
            })
            .collect();
        // Finished (edited), not just deferred, so their work does not spill into the load.
        assert_eq!(d.answers(&ids).1.len(), ids.len(), "Discord joins answered");
    }
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(0u64));
    let total = rate * secs;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let load_start = Instant::now();
    // Discord's share of the load runs on its own thread, at its own pace.
    let discord_ids = std::thread::scope(|scope| {
        let discord_load = discord.as_ref().map(|d| {
            scope.spawn(move || {
                let total = discord_rate * secs;
                let interval = Duration::from_secs_f64(1.0 / discord_rate.max(1) as f64);
                (0..total)
                    .map(|i| {
                        let due = load_start + interval * i as u32;
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        let query = ["田中", "rust"][i as usize % 2];
                        d.slash(
                            i % DISCORD_USERS,
                            "search",
                            serde_json::json!([{ "name": "query", "type": 3, "value": query }]),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        });
        let mut handles = Vec::new();
        for i in 0..total {
            let due = load_start + interval * i as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let (latencies, failures) = (latencies.clone(), failures.clone());
            handles.push(std::thread::spawn(move || {
                let text = if search_only {
                    ["search 田中", "search rust"][i as usize % 2]
                } else {
                    ["search 田中", "search rust", "profile"][i as usize % 3]
                };
                let t = Instant::now();
                let status = slash(addr, &format!("U{}", i % users), text);
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                if status == 200 {
                    latencies.lock().unwrap().push(ms);
                } else {
                    *failures.lock().unwrap() += 1;
                }
            }));
        }
        for h in handles {
            let _ = h.join();
        }
        discord_load.map(|h| h.join().expect("discord load"))
    });
    let elapsed = load_start.elapsed().as_secs_f64();
    let discord_ms = discord.as_ref().zip(discord_ids.as_ref()).map(|(d, ids)| {
        let (mut acked, mut done) = d.answers(ids);
        acked.sort_by(f64::total_cmp);
        done.sort_by(f64::total_cmp);
        (acked, done)
    });
    let after = rss_mib(child);
    drop(running);
    db.remove();

    let mut ms = latencies.lock().unwrap().clone();
    ms.sort_by(f64::total_cmp);
    let ok = ms.len();
    println!(
        "database: {}",
        source.as_deref().unwrap_or("new, empty SQLite file")
    );
    println!(
        "adapters: Slack (HTTP){}",
        if with_discord {
            " + Discord (gateway)"
        } else {
            ""
        }
    );
    println!("| measure | value |");
    println!("|---|---:|");
    println!(
        "| start-up to ready (`/healthz` 200) | {:.0} ms |",
        ready.as_secs_f64() * 1000.0
    );
    if let Some(t) = discord_ready {
        println!(
            "| start-up to Discord ready (commands registered) | {:.0} ms |",
            t.as_secs_f64() * 1000.0
        );
    }
    println!("| resident memory, idle 3 s after ready | {idle:.1} MiB |");
    if idle_secs > 3 {
        println!("| resident memory, idle {idle_secs} s after ready | {settled:.1} MiB |");
    }
    println!("| resident memory after the load | {after:.1} MiB |");
    println!("| offered rate | {rate} req/s for {secs} s |");
    println!(
        "| achieved | {:.1} req/s ({ok} answered 200, {} failed) |",
        ok as f64 / elapsed,
        failures.lock().unwrap()
    );
    if ok > 0 {
        println!(
            "| latency p50 / p99 / max | {:.2} / {:.2} / {:.2} ms |",
            percentile(&ms, 0.5),
            percentile(&ms, 0.99),
            ms[ok - 1]
        );
    }
    if let (Some((acked, done)), Some(ids)) = (discord_ms, discord_ids) {
        println!(
            "| Discord searches | {discord_rate}/s offered, {} of {} deferred, {} answered |",
            acked.len(),
            ids.len(),
            done.len()
        );
        for (what, ms) in [("deferral (callback)", &acked), ("answer (edit)", &done)] {
            if !ms.is_empty() {
                println!(
                    "| Discord {what} p50 / p99 / max | {:.2} / {:.2} / {:.2} ms |",
                    percentile(ms, 0.5),
                    percentile(ms, 0.99),
                    ms[ms.len() - 1]
                );
            }
        }
    }
}
