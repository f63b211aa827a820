//! Opening the store named by `DATABASE_URL`: PostgreSQL for `postgres://`, else SQLite.

use std::sync::Arc;

use anyhow::{Context, Result};
use bot_core::store::{PgStore, SqliteStore, Store};

use crate::config::redact_url;

/// For one-off commands (migrate, deliver, roster): nothing loaded ahead.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    open_with(url, false).await
}

/// For the bot answering people (run, shell): the directory also goes into memory, in the
/// background.
pub async fn open_serving(url: &str) -> Result<Arc<dyn Store>> {
    open_with(url, true).await
}

async fn open_with(url: &str, serving: bool) -> Result<Arc<dyn Store>> {
    let shown = redact_url(url);
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PgStore::connect(url)
            .await
            .with_context(|| format!("opening PostgreSQL at {shown}"))?;
        tracing::info!(database = %shown, "PostgreSQL ready (migrated)");
        // Until the directory is in memory, searches are answered in SQL, so start-up does
        // not wait for it.
        if serving {
            let warm = store.clone();
            tokio::spawn(async move {
                if let Err(e) = warm.warm_search().await {
                    tracing::warn!(error = %e, "loading the directory into memory failed");
                }
            });
        }
        Ok(Arc::new(store))
    } else {
        let store = SqliteStore::connect(url)
            .await
            .with_context(|| format!("opening SQLite at {shown}"))?;
        tracing::info!(database = %shown, "SQLite ready (migrated)");
        if serving {
            let warm = store.clone();
            tokio::spawn(async move {
                if let Err(e) = warm.warm_search().await {
                    tracing::warn!(error = %e, "loading the directory into memory failed");
                }
            });
        }
        Ok(Arc::new(store))
    }
}
