//! What each running part of the bot reports about itself (a platform connection, the HTTP
//! endpoints), so `/healthz` can say which one is down while the others keep serving.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Starting,
    Up,
    /// Down, with the last error (no secrets: errors never carry tokens).
    Down(String),
}

/// Shared by the adapters and the binary; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Health(Arc<Mutex<BTreeMap<String, Status>>>);

impl Health {
    pub fn set(&self, part: &str, status: Status) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(part.to_owned(), status);
    }

    /// Every part and its status, by name.
    pub fn report(&self) -> Vec<(String, Status)> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Whether every part reported so far is up.
    pub fn all_up(&self) -> bool {
        self.report().iter().all(|(_, s)| *s == Status::Up)
    }

    /// `ok` when all is up; otherwise one line per part (`discord: down (…)`).
    pub fn render(&self) -> String {
        if self.all_up() {
            return "ok".to_owned();
        }
        self.report()
            .iter()
            .map(|(part, status)| match status {
                Status::Up => format!("{part}: up"),
                Status::Starting => format!("{part}: starting"),
                Status::Down(why) => format!("{part}: down ({why})"),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// An error a service stopped with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Run = Box<
    dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), BoxError>> + Send>>
        + Send
        + Sync,
>;

/// A long-running part of an adapter (a gateway connection, an HTTP server), restartable.
pub struct Service {
    pub name: &'static str,
    run: Run,
}

impl Service {
    pub fn new<F, Fut>(name: &'static str, run: F) -> Service
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        Service {
            name,
            run: Box::new(move || Box::pin(run())),
        }
    }
}

/// Shortest and longest wait before a stopped service is started again.
const FIRST_BACKOFF: std::time::Duration = std::time::Duration::from_secs(1);
const MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(60);

/// Run a service for ever: reported up while it runs; when it stops or fails, down (with the
/// error, logged), then started again after a backoff (doubling to a minute, back to a second
/// once it ran a minute). One platform's outage never stops the others.
pub async fn supervise(service: Service, health: Health) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        health.set(service.name, Status::Up);
        let started = std::time::Instant::now();
        let why = match (service.run)().await {
            Ok(()) => "stopped".to_owned(),
            Err(e) => e.to_string(),
        };
        tracing::error!(service = service.name, error = %why, retry_in = ?backoff, "a service stopped; restarting");
        health.set(service.name, Status::Down(why));
        if started.elapsed() > MAX_BACKOFF {
            backoff = FIRST_BACKOFF;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_only_when_every_part_is_up() {
        let h = Health::default();
        assert_eq!(h.render(), "ok");
        h.set("slack", Status::Up);
        h.set("discord", Status::Down("gateway unreachable".into()));
        assert!(!h.all_up());
        assert_eq!(h.render(), "discord: down (gateway unreachable)\nslack: up");
        h.set("discord", Status::Up);
        assert_eq!(h.render(), "ok");
    }

    #[tokio::test]
    async fn a_failing_service_is_reported_down_and_started_again() {
        let h = Health::default();
        let tries = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = tries.clone();
        let service = Service::new("discord", move || {
            let n = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move {
                if n < 2 {
                    Err::<(), BoxError>("gateway unreachable".into())
                } else {
                    std::future::pending().await
                }
            }
        });
        tokio::spawn(supervise(service, h.clone()));
        let wait_for = |want: &'static str| {
            let h = h.clone();
            async move {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while h.render() != want {
                    assert!(std::time::Instant::now() < deadline, "{}", h.render());
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            }
        };
        wait_for("discord: down (gateway unreachable)").await;
        // Retried after 1 s, then 2 s of backoff: the third try stays up.
        wait_for("ok").await;
        assert_eq!(tries.load(std::sync::atomic::Ordering::SeqCst), 3);
    }
}
