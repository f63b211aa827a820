//! `alumni-bot run` with Slack settings: the real binary serves the Slack endpoints on
//! `ALUMNI_HTTP_ADDR`, answers a signed slash command and refuses an unsigned one. (The
//! adapter's behaviour in depth is tested in `slack/tests` against a fake Slack.)

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bot_core::testing::TempSqlite;

const SECRET: &str = "binary-test-secret";

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 exchange; returns (status, body).
fn http(port: u16, request: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request.as_bytes())?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Ok((status, body.to_owned()))
}

fn post(port: u16, path: &str, body: &str, headers: &[(&str, String)]) -> (u16, String) {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    http(port, &req).unwrap()
}

#[test]
fn run_serves_signed_slack_commands_on_the_configured_address() {
    let db = TempSqlite::new("slack_binary");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_alumni-bot"))
        .arg("run")
        .env("DATABASE_URL", db.url())
        .env_remove("ALUMNI_CONFIG")
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("SLACK_BOT_TOKEN", "xoxb-unused")
        // Nothing listens there: Web API calls fail, and the commands still answer.
        .env("SLACK_API_URL", "http://127.0.0.1:9/api")
        .env("ALUMNI_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env_remove("SLACK_APP_TOKEN")
        .env_remove("DISCORD_TOKEN")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _running = Running(child);

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let health = http(
            port,
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        );
        match health {
            Ok((200, body)) if body == "ok" => break,
            _ if Instant::now() > deadline => panic!("no /healthz within 30 s: {health:?}"),
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }

    let body = "team_id=T1&user_id=U1&user_name=ann&command=%2Falumni&text=help&response_url=http%3A%2F%2F127.0.0.1%3A9%2Fr&trigger_id=t";
    let ts = chrono::Utc::now().timestamp().to_string();
    let signature = alumni_slack::signature::sign(SECRET.as_bytes(), &ts, body.as_bytes());

    let (status, _) = post(port, "/slack/commands", body, &[]);
    assert_eq!(status, 401, "unsigned");

    let (status, reply) = post(
        port,
        "/slack/commands",
        body,
        &[
            ("X-Slack-Request-Timestamp", ts),
            ("X-Slack-Signature", signature),
        ],
    );
    assert_eq!(status, 200, "{reply}");
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert!(reply["blocks"].is_array(), "{reply:#}");
    assert!(
        reply["text"].as_str().unwrap().contains("/alumni join"),
        "{reply:#}"
    );
}
