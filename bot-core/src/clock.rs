//! Time comes from a `Clock`, so tests and the shell move it instead of sleeping.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Real time shifted by an offset that only grows or is set: the shell's clock, so `:clock +2h`
/// makes reminders due without waiting.
pub struct OffsetClock(Mutex<Duration>);

impl OffsetClock {
    pub fn new() -> Self {
        OffsetClock(Mutex::new(Duration::zero()))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }

    /// Jump to `at` (never backwards: jobs already delivered stay delivered).
    pub fn jump_to(&self, at: DateTime<Utc>) {
        let mut offset = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let wanted = at - Utc::now();
        if wanted > *offset {
            *offset = wanted;
        }
    }
}

impl Default for OffsetClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
