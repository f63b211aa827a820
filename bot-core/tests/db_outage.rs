//! PostgreSQL goes away while the bot runs, then comes back: commands in between get the
//! localized "try again" reply and write nothing; the scheduler resumes by itself, and nothing
//! queued before the outage is lost or sent twice.
//!
//! Runs a private PostgreSQL server (initdb in a temp dir, a free port) so stopping it
//! disturbs nothing else. The outage lasts `ALUMNI_OUTAGE_SECS` (default 5; the 30 s
//! run is documented in BENCHMARKS.md). Skipped, loudly, where the PostgreSQL server binaries
//! are missing, unless `ALUMNI_REQUIRE_PG=1`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bot_core::clock::SystemClock;
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::{self, Locale};
use bot_core::messenger::{Address, Delivery, DeliveryError, Messenger};
use bot_core::scheduler::Scheduler;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, PgStore, Store};
use bot_core::testing::postgres_required;

/// A PostgreSQL cluster of our own, stopped and removed on drop.
struct PrivateServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PrivateServer {
    fn bin_dir() -> Option<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("pg_ctl").exists() && p.join("initdb").exists())
            .collect();
        dirs.sort();
        dirs.pop()
    }

    /// `initdb` refuses to run as root: run the server as the `postgres` user then.
    fn run(&self, program: &str, args: &[&str]) -> std::process::Output {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args).output().expect("run a PostgreSQL tool")
    }

    fn start_new() -> Option<PrivateServer> {
        let bin = Self::bin_dir()?;
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let dir = std::env::temp_dir().join(format!("alumni-outage-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        if root {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown the cluster directory to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let server = PrivateServer {
            bin,
            dir,
            port,
            as_postgres: root,
        };
        let data = server.data();
        let out = server.run(
            "initdb",
            &["-D", &data, "-U", "postgres", "-A", "trust", "--no-sync"],
        );
        assert!(out.status.success(), "initdb: {out:?}");
        server.start();
        Some(server)
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn start(&self) {
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log").display().to_string();
        let out = self.run(
            "pg_ctl",
            &["-D", &self.data(), "-o", &opts, "-l", &log, "-w", "start"],
        );
        assert!(out.status.success(), "pg_ctl start: {out:?}");
    }

    fn stop(&self) {
        let out = self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
        assert!(out.status.success(), "pg_ctl stop: {out:?}");
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Records every delivery; the platform itself never fails here.
#[derive(Default)]
struct Recorder(Mutex<Vec<Delivery>>);

#[async_trait]
impl Messenger for Recorder {
    async fn deliver(&self, d: &Delivery) -> Result<Option<String>, DeliveryError> {
        self.0.lock().unwrap().push(d.clone());
        Ok(None)
    }
    async fn update(&self, _d: &Delivery, _r: &str) -> Result<(), DeliveryError> {
        Ok(())
    }
}

impl Recorder {
    fn keys(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.key.clone())
            .collect()
    }

    /// Waits until `n` deliveries arrived (or fails after `within`).
    async fn wait_for(&self, n: usize, within: Duration) {
        let start = Instant::now();
        while self.keys().len() < n {
            assert!(
                start.elapsed() < within,
                "only {} of {n} deliveries after {within:?}",
                self.keys().len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn actor(name: &str) -> Actor {
    Actor {
        identity: Identity {
            platform: Platform::Shell,
            space_id: "outage".into(),
            user_id: name.into(),
            handle: name.into(),
        },
        locale: Some(Locale::En),
        platform_admin: false,
    }
}

async fn say(core: &Core, who: &str, line: &str) -> (bool, String) {
    let reply = core.handle_text(&actor(who), line).await;
    (reply.error, reply.to_plain_text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_say_try_again_and_the_scheduler_resumes_after_postgres_returns() {
    let Some(server) = PrivateServer::start_new() else {
        assert!(
            !postgres_required(),
            "ALUMNI_REQUIRE_PG=1 but no PostgreSQL server binaries in /usr/lib/postgresql"
        );
        eprintln!("SKIPPED db_outage: no PostgreSQL server binaries (pg_ctl, initdb)");
        return;
    };
    let outage = Duration::from_secs(
        std::env::var("ALUMNI_OUTAGE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5),
    );
    let store: Arc<dyn Store> = Arc::new(PgStore::connect(&server.url()).await.expect("connect"));
    let core = Arc::new(Core::new(
        store,
        Arc::new(SystemClock),
        CoreConfig {
            bootstrap_admins: vec!["hr".into()],
            community_defaults: NewCommunity {
                name: "Outage".into(),
                locale: Locale::En,
                timezone: "Asia/Tokyo".into(),
                requires_approval: true,
            },
        },
    ));
    core.bootstrap(Platform::Shell, "outage")
        .await
        .expect("bootstrap");
    let recorder = Arc::new(Recorder::default());
    let scheduler = tokio::spawn(Scheduler::new(core.clone(), recorder.clone()).run());

    // Before: alice waits; the admin is told.
    let (error, text) = say(&core, "alice", "/alumni join name:\"Alice Ito\"").await;
    assert!(!error, "{text}");
    recorder.wait_for(1, Duration::from_secs(20)).await;

    server.stop();
    let try_again = i18n::t(Locale::En, "error.try_again", &[]);
    let started = Instant::now();
    for (who, line) in [
        ("bob", "/alumni join name:\"Bob Sato\""),
        ("hr", "/alumni approve @alice"),
        ("hr", "/alumni pending"),
    ] {
        let (error, text) = say(&core, who, line).await;
        assert!(error, "{line} during the outage answered {text}");
        assert!(text.contains(&try_again), "{line} answered {text}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "commands should fail fast while the database is down, took {:?}",
        started.elapsed()
    );
    tokio::time::sleep(outage).await;
    server.start();

    // After: nothing of the failed commands was written (bob is not waiting, alice still is)...
    let (error, text) = say(&core, "hr", "/alumni pending").await;
    assert!(!error, "{text}");
    assert!(text.contains("Alice Ito"), "{text}");
    assert!(
        !text.contains("Bob Sato"),
        "a failed join left a row: {text}"
    );
    // ... and the same commands now work; the scheduler delivers their notices by itself.
    let (error, text) = say(&core, "hr", "/alumni approve @alice").await;
    assert!(!error, "{text}");
    let (error, text) = say(&core, "bob", "/alumni join name:\"Bob Sato\"").await;
    assert!(!error, "{text}");
    recorder.wait_for(3, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let keys = recorder.keys();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        keys.len(),
        unique.len(),
        "a delivery was sent twice: {keys:?}"
    );
    let to = |name: &str| {
        let deliveries = recorder.0.lock().unwrap();
        deliveries
            .iter()
            .filter(|d| matches!(&d.to, Address::Direct(id) if id.user_id == name))
            .count()
    };
    assert_eq!(
        to("hr"),
        2,
        "the admin hears of alice, then of bob: {keys:?}"
    );
    assert_eq!(to("alice"), 1, "alice hears she was approved: {keys:?}");
    scheduler.abort();
}
