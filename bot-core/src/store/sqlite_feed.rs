//! SQLite's side of the live view: its change log, and knowing without a statement whether the
//! view is behind. Every connection of this process reports, from SQLite's update and commit
//! hooks, the highest change-log `seq` it committed; the view reads the log only when that is
//! past what it applied, and once a second for other processes writing the same file (the
//! command-line tools). A search with nothing changed touches the database only for its page.

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use sqlx::Row;
use sqlx::pool::PoolConnectionMetadata;
use sqlx::sqlite::{SqliteConnection, SqliteOperation};

use super::StoreResult;
use super::live::{Change, ChangeFeed, DirectoryBuilder, KEEP_CHANGES_HOURS, OwnedDoc};
use super::sqlite::SqliteStore;
use super::term_index::TermIndex;
use crate::domain::{CommunityId, MemberId};

/// Members read per statement when loading a directory.
const LOAD_CHUNK: i64 = 5000;
/// Another process's writes are seen within this long.
const OTHER_PROCESSES: Duration = Duration::from_secs(1);
/// The years a range can find a member by: none that they hide (see `search_sql::Years`).
const YEARS: &str = "CASE WHEN m.hidden NOT LIKE '%joined%' THEN m.joined_year END, \
                     CASE WHEN m.hidden NOT LIKE '%left%' THEN m.left_year END";

/// The highest change-log `seq` committed by this process to one database file (shared by
/// every store open on it, so two stores in one process see each other's writes at once).
#[derive(Default)]
pub(super) struct Commits {
    committed: AtomicI64,
    /// A commit whose log rows never became visible (the commit failed after its hook ran):
    /// the view stops waiting for it.
    given_up: AtomicI64,
}

type Hook = Box<
    dyn for<'c> Fn(
            &'c mut SqliteConnection,
            PoolConnectionMetadata,
        ) -> Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + 'c>>
        + Send
        + Sync,
>;

impl Commits {
    pub fn for_file(path: &Path) -> Arc<Commits> {
        static FILES: OnceLock<Mutex<HashMap<PathBuf, Arc<Commits>>>> = OnceLock::new();
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        FILES
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .clone()
    }

    /// Installs the hooks on each new connection: the update hook notes the log rows the open
    /// transaction wrote, the commit hook publishes them, a rollback forgets them.
    pub fn hooks(self: &Arc<Self>) -> Hook {
        let commits = self.clone();
        Box::new(move |conn, _| {
            let commits = commits.clone();
            Box::pin(async move {
                let pending = Arc::new(AtomicI64::new(0));
                let mut handle = conn.lock_handle().await?;
                let noted = pending.clone();
                handle.set_update_hook(move |change| {
                    if change.table == "changes"
                        && matches!(change.operation, SqliteOperation::Insert)
                    {
                        noted.fetch_max(change.rowid, Ordering::SeqCst);
                    }
                });
                let published = pending.clone();
                handle.set_commit_hook(move || {
                    let seq = published.swap(0, Ordering::SeqCst);
                    if seq > 0 {
                        commits.committed.fetch_max(seq, Ordering::SeqCst);
                    }
                    true
                });
                handle.set_rollback_hook(move || pending.store(0, Ordering::SeqCst));
                Ok(())
            })
        })
    }

    fn target(&self) -> i64 {
        self.committed.load(Ordering::SeqCst)
    }
}

fn change_of(row: &sqlx::sqlite::SqliteRow) -> StoreResult<Change> {
    let status: Option<String> = row.try_get(3)?;
    let doc = if status.as_deref() == Some("approved") {
        Some(doc_at(row, 4)?)
    } else {
        None
    };
    Ok(Change {
        community: row.try_get(1)?,
        member: row.try_get(2)?,
        doc,
    })
}

/// The document whose name and other tokens start at column `at`, the years after them.
fn doc_at(row: &sqlx::sqlite::SqliteRow, at: usize) -> StoreResult<OwnedDoc> {
    let name: Option<&str> = row.try_get(at)?;
    let other: Option<&str> = row.try_get(at + 1)?;
    Ok(OwnedDoc {
        terms: name
            .into_iter()
            .chain(other)
            .flat_map(str::split_whitespace)
            .map(str::to_owned)
            .collect(),
        joined: row.try_get(at + 2)?,
        left: row.try_get(at + 3)?,
    })
}

impl ChangeFeed for SqliteStore {
    async fn mark_now(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM changes")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn changes_since(&self, mark: i64) -> StoreResult<(i64, Vec<Change>)> {
        let sql = format!(
            "SELECT c.seq, c.community_id, c.member_id, m.status, s.name_tokens, \
                    s.other_tokens, {YEARS} \
             FROM changes c LEFT JOIN members m ON m.id = c.member_id \
             LEFT JOIN member_search s ON s.rowid = c.member_id \
             WHERE c.seq > $1 ORDER BY c.seq"
        );
        let target = self.commits.target();
        let mut waited = 0;
        loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(mark)
                .fetch_all(&self.pool)
                .await?;
            let next = match rows.last() {
                Some(row) => row.try_get(0)?,
                None => mark,
            };
            // The commit hook runs just before the commit is visible: wait out that moment.
            if next < target && waited < 20 {
                waited += 1;
                tokio::time::sleep(Duration::from_micros(200)).await;
                continue;
            }
            if next < target {
                self.commits.given_up.fetch_max(target, Ordering::SeqCst);
            }
            let changes = rows.iter().map(change_of).collect::<StoreResult<_>>()?;
            return Ok((next, changes));
        }
    }

    fn must_read(&self, mark: i64, read_at: Instant) -> bool {
        let known = mark.max(self.commits.given_up.load(Ordering::SeqCst));
        self.commits.target() > known || read_at.elapsed() > OTHER_PROCESSES
    }

    async fn directory(&self, community: CommunityId) -> StoreResult<Option<TermIndex>> {
        // One read transaction: one snapshot, read a chunk at a time.
        let mut tx = self.pool.begin().await?;
        let mut builder = DirectoryBuilder::default();
        let mut after: MemberId = 0;
        loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT m.id, s.name_tokens, s.other_tokens, {YEARS} \
                 FROM members m JOIN member_search s ON s.rowid = m.id \
                 WHERE m.community_id = $1 AND m.status = 'approved' AND m.id > $2 \
                 ORDER BY m.id LIMIT {LOAD_CHUNK}"
            )))
            .bind(community)
            .bind(after)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get(0)?;
            for row in &rows {
                let name: Option<&str> = row.try_get(1)?;
                let other: Option<&str> = row.try_get(2)?;
                let terms = name
                    .into_iter()
                    .chain(other)
                    .flat_map(str::split_whitespace)
                    .map(Cow::Borrowed)
                    .collect();
                builder.add(row.try_get(0)?, terms, (row.try_get(3)?, row.try_get(4)?));
            }
        }
        tx.commit().await?;
        Ok(builder.finish())
    }

    async fn prune(&self) -> StoreResult<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM changes WHERE at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', \
             '-{KEEP_CHANGES_HOURS} hours')"
        )))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
