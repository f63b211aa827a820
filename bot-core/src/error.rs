//! Errors. A `UserError` is something the person typing can fix: it is shown to them, localized,
//! and nothing was written. Everything else is ours (store, transport) and is logged.

use crate::i18n::{self, Locale};

/// A localized, user-facing error: a catalog key, its arguments, and optionally the usage line
/// of the command that was meant, so the reply shows how to do it right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key} {args:?}")]
pub struct UserError {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
    pub usage: Option<&'static str>,
}

impl UserError {
    pub fn new(key: &'static str) -> Self {
        UserError {
            key,
            args: Vec::new(),
            usage: None,
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    /// Attach the usage of `topic` (a `usage.*` catalog key suffix, e.g. `alumni.join`).
    pub fn usage(mut self, topic: &'static str) -> Self {
        self.usage = Some(topic);
        self
    }

    pub fn render(&self, locale: Locale) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut text = i18n::t(locale, self.key, &args);
        if let Some(topic) = self.usage {
            text.push('\n');
            text.push_str(&i18n::t(locale, "usage.heading", &[]));
            text.push(' ');
            text.push_str(&i18n::t(locale, &format!("usage.{topic}"), &[]));
        }
        text
    }
}

/// A storage failure. The message is for logs; the user sees a generic "try again".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the database could not be reached (as opposed to a bug or a constraint),
    /// so the user is told to try again rather than that something broke.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Database(
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
            )
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CoreError {
    fn from(e: sqlx::Error) -> Self {
        CoreError::Store(StoreError::Database(e))
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
