//! Our own rate limiter for the Messenger (serenity's is off when a base URL is set).
//!
//! - Global: Discord allows a bot 50 requests a second. We keep the last `GLOBAL_PER_SECOND`
//!   requests and send the next only a second after the oldest of them was *answered*: its
//!   answer came after Discord counted it, so by Discord's clock too no second ever holds more
//!   than that many, whatever the network delay. A 429 with `global: true` pauses everything.
//! - Per route: a route whose last answer said `X-RateLimit-Remaining: 0`, or that got a 429,
//!   waits until its reset.
//!
//! A wait longer than `MAX_WAIT` is not slept here: the caller gets it back, as if Discord had
//! answered 429, and the scheduler delays the job instead.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// One a second below Discord's 50: left for the gateway app's own REST calls (roles,
/// scheduled events) that go through serenity, not through here.
pub const GLOBAL_PER_SECOND: usize = 49;
const WINDOW: Duration = Duration::from_secs(1);
/// The longest we sleep in place; a longer wait is the scheduler's.
const MAX_WAIT: Duration = Duration::from_secs(5);

pub struct Limiter {
    per_window: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Route path → when it may be used again.
    blocked_until: HashMap<String, Instant>,
    /// After a global 429.
    global_until: Option<Instant>,
    /// The latest requests, oldest first: (ticket, when answered — or sent, while in flight).
    recent: VecDeque<(u64, Instant)>,
    next_ticket: u64,
}

/// A request let through; hand it back to `done` when its answer (or error) arrived.
#[must_use]
pub struct Ticket(u64);

impl Default for Limiter {
    fn default() -> Self {
        Limiter::new(GLOBAL_PER_SECOND)
    }
}

impl Limiter {
    pub fn new(per_second: usize) -> Self {
        Limiter {
            per_window: per_second.max(1),
            state: Mutex::new(State::default()),
        }
    }

    /// Wait until `bucket` and the global budget allow a request. `Err(wait)` when that is
    /// further away than we sleep in place.
    pub async fn acquire(&self, bucket: &str) -> Result<Ticket, Duration> {
        loop {
            let wait = {
                let mut state = self.state.lock().expect("limiter");
                let now = Instant::now();
                let mut at = now;
                if let Some(&until) = state.blocked_until.get(bucket) {
                    at = at.max(until);
                }
                if let Some(until) = state.global_until {
                    at = at.max(until);
                }
                if state.recent.len() >= self.per_window {
                    let oldest = state.recent[state.recent.len() - self.per_window].1;
                    at = at.max(oldest + WINDOW);
                }
                if at <= now {
                    let ticket = state.next_ticket;
                    state.next_ticket += 1;
                    state.recent.push_back((ticket, now));
                    while state.recent.len() > self.per_window {
                        state.recent.pop_front();
                    }
                    return Ok(Ticket(ticket));
                }
                at - now
            };
            if wait > MAX_WAIT {
                return Err(wait);
            }
            // Then look again: another task may have taken the slot meanwhile.
            tokio::time::sleep(wait).await;
        }
    }

    /// The request of `ticket` was answered (or failed): it counts from now.
    pub fn done(&self, ticket: Ticket) {
        let mut state = self.state.lock().expect("limiter");
        let now = Instant::now();
        if let Some(entry) = state.recent.iter_mut().find(|(t, _)| *t == ticket.0) {
            entry.1 = now;
        }
    }

    pub fn observe(&self, bucket: &str, headers: &reqwest::header::HeaderMap) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<f64>().ok())
        };
        if number("x-ratelimit-remaining") == Some(0.0)
            && let Some(reset) = number("x-ratelimit-reset-after")
        {
            self.pause(bucket, Duration::from_secs_f64(reset.max(0.0)));
        }
    }

    pub fn pause(&self, bucket: &str, after: Duration) {
        self.state
            .lock()
            .expect("limiter")
            .blocked_until
            .insert(bucket.to_owned(), Instant::now() + after);
    }

    /// Discord said the bot as a whole is over its limit.
    pub fn pause_all(&self, after: Duration) {
        let until = Instant::now() + after;
        let mut state = self.state.lock().expect("limiter");
        state.global_until = Some(state.global_until.map_or(until, |u| u.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_second_holds_more_than_the_global_budget() {
        let limiter = Limiter::new(2);
        let mut answered = Vec::new();
        let mut sent = Vec::new();
        for _ in 0..3 {
            let ticket = limiter.acquire("r").await.unwrap();
            sent.push(Instant::now());
            limiter.done(ticket);
            answered.push(Instant::now());
        }
        assert!(sent[2] >= answered[0] + WINDOW, "{sent:?} {answered:?}");
    }

    #[tokio::test]
    async fn a_long_wait_is_handed_back() {
        let limiter = Limiter::default();
        limiter.pause("r", Duration::from_secs(30));
        assert!(limiter.acquire("r").await.is_err());
        assert!(limiter.acquire("other").await.is_ok());
        limiter.pause_all(Duration::from_secs(30));
        assert!(limiter.acquire("other").await.is_err());
    }
}
