//! Opening the store named by `DATABASE_URL`: PostgreSQL for `postgres://`, else SQLite.

use std::sync::Arc;

use anyhow::{Context, Result};
use bot_core::store::{PgStore, SqliteStore, Store};

use crate::config::redact_url;

pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    let shown = redact_url(url);
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PgStore::connect(url)
            .await
            .with_context(|| format!("opening PostgreSQL at {shown}"))?;
        tracing::info!(database = %shown, "PostgreSQL ready (migrated)");
        // The directory goes into memory in the background: until it is there, searches are
        // answered in SQL, so start-up does not wait for it.
        let warm = store.clone();
        tokio::spawn(async move {
            if let Err(e) = warm.warm_search().await {
                tracing::warn!(error = %e, "loading the directory into memory failed");
            }
        });
        Ok(Arc::new(store))
    } else {
        let store = SqliteStore::connect(url)
            .await
            .with_context(|| format!("opening SQLite at {shown}"))?;
        tracing::info!(database = %shown, "SQLite ready (migrated)");
        Ok(Arc::new(store))
    }
}
