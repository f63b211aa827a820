//! Our own rate limiter for the Messenger (serenity's is off when a base URL is set): a route
//! whose last answer said `X-RateLimit-Remaining: 0`, or that got a 429, waits until its reset.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Default)]
pub struct Limiter {
    /// Route path → when it may be used again.
    blocked_until: Mutex<HashMap<String, Instant>>,
}

/// The longest we sleep in place; a longer wait is the scheduler's (it gets the 429 back).
const MAX_WAIT: Duration = Duration::from_secs(5);

impl Limiter {
    pub async fn wait(&self, bucket: &str) {
        let until = self
            .blocked_until
            .lock()
            .expect("limiter")
            .get(bucket)
            .copied();
        if let Some(until) = until {
            let now = Instant::now();
            if until > now {
                tokio::time::sleep((until - now).min(MAX_WAIT)).await;
            }
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
        self.blocked_until
            .lock()
            .expect("limiter")
            .insert(bucket.to_owned(), Instant::now() + after);
    }
}
