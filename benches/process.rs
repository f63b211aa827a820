//! The running bot as an operator sees it: start-up time to ready, resident memory idle and
//! after load, and the Slack endpoint under a fixed offered rate of signed slash commands.
//!
//! `cargo bench --bench process`. Starts the real `alumni-bot run` (Slack over HTTP) against a
//! stub Slack Web API on 127.0.0.1, on:
//! - `ALUMNI_BENCH_DB`: a copy of an existing SQLite file (e.g. the 100,000-member one the
//!   search bench keeps with `ALUMNI_BENCH_KEEP=1`), or a fresh empty database without it;
//!   Its first community is attached to the benchmark's Slack team (`TBENCH`, with the
//!   `sqlite3` tool), so the searches run over its members;
//! - `ALUMNI_BENCH_RATE` requests/s (default 100) for `ALUMNI_BENCH_SECS` (default 10): a
//!   third each `/alumni search 田中`, `/alumni search rust` and `/alumni profile`, from 200
//!   members who joined first (`ALUMNI_BENCH_SEARCH_ONLY=1`: only the two searches).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SECRET: &str = "bench-signing-secret";

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

fn main() {
    let rate = env_u64("ALUMNI_BENCH_RATE", 100);
    let secs = env_u64("ALUMNI_BENCH_SECS", 10);
    let search_only = std::env::var("ALUMNI_BENCH_SEARCH_ONLY").is_ok_and(|v| v == "1");
    let dir = std::env::temp_dir().join(format!("alumni-bench-process-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db: PathBuf = dir.join("alumni.db");
    let source = std::env::var("ALUMNI_BENCH_DB").ok();
    if let Some(src) = &source {
        std::fs::copy(src, &db).expect("copy ALUMNI_BENCH_DB");
        let attach = Command::new("sqlite3")
            .arg(&db)
            .arg("INSERT OR REPLACE INTO spaces VALUES ('slack', 'TBENCH', 1)")
            .status();
        assert!(
            attach.is_ok_and(|s| s.success()),
            "attaching community 1 to the Slack team needs the sqlite3 tool"
        );
    }
    let stub = stub_slack();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_alumni-bot"))
        .arg("run")
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("SLACK_BOT_TOKEN", "xoxb-bench")
        .env("SLACK_API_URL", format!("http://127.0.0.1:{stub}/api"))
        .env("ALUMNI_HTTP_ADDR", addr.to_string())
        .env("ALUMNI_ADMINS", "UADMIN")
        .env_remove("DISCORD_TOKEN")
        .env_remove("SLACK_APP_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start alumni-bot");
    while get(addr, "/healthz") != Some(200) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "not ready in 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let ready = started.elapsed();
    std::thread::sleep(Duration::from_secs(3));
    let idle = rss_mib(&child);

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
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(0u64));
    let total = rate * secs;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let load_start = Instant::now();
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
    let elapsed = load_start.elapsed().as_secs_f64();
    let after = rss_mib(&child);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);

    let mut ms = latencies.lock().unwrap().clone();
    ms.sort_by(f64::total_cmp);
    let ok = ms.len();
    println!(
        "database: {}",
        source.as_deref().unwrap_or("new, empty SQLite file")
    );
    println!("| measure | value |");
    println!("|---|---:|");
    println!(
        "| start-up to ready (`/healthz` 200) | {:.0} ms |",
        ready.as_secs_f64() * 1000.0
    );
    println!("| resident memory, idle after start | {idle:.1} MiB |");
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
}
