//! SQLite: the embedded default. One file, WAL, a busy timeout; FTS5 for the directory.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

use super::rows::{member_columns, year_ranges};
use super::shared::impl_store;
use super::{SearchPage, SearchQuery, StoreResult};
use crate::domain::{CommunityId, Member, MemberId};
use crate::search::{Document, QueryTerm};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Open (creating if missing) and migrate. `url` is `sqlite://path` or a plain path.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let url = if url.starts_with("sqlite:") {
            url.to_owned()
        } else {
            format!("sqlite://{url}")
        };
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL is durable across process crashes (only an OS crash can lose the
            // last commits), and much faster than FULL.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn write_search(conn: &mut sqlx::SqliteConnection, member: &Member) -> StoreResult<()> {
        Self::delete_search(conn, member.id).await?;
        let doc = Document::of(member);
        sqlx::query(
            "INSERT INTO member_search (rowid, name_tokens, other_tokens) VALUES ($1, $2, $3)",
        )
        .bind(member.id)
        .bind(doc.name.join(" "))
        .bind(doc.other.join(" "))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    async fn delete_search(conn: &mut sqlx::SqliteConnection, member: MemberId) -> StoreResult<()> {
        sqlx::query("DELETE FROM member_search WHERE rowid = $1")
            .bind(member)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn search_page(
        &self,
        community: CommunityId,
        query: &SearchQuery,
        limit: u32,
        offset: u32,
    ) -> StoreResult<SearchPage> {
        let terms = query.terms();
        if terms.is_empty() {
            return self.browse_page(community, query, limit, offset).await;
        }
        // Rank and count (id, score) pairs only; read full member rows for the page alone, so
        // a term matching half the directory does not build half the directory's rows.
        // (bm25() may not share a SELECT with other functions: it is ranked in a subquery.)
        // CROSS JOIN fixes the order: the full-text match first, then each hit's row. Left to
        // itself the planner scans the community's members and runs the match once per member.
        let rows = sqlx::query(concat!(
            "WITH hits AS MATERIALIZED (SELECT s.rowid AS id, s.score AS score FROM \
             (SELECT rowid, bm25(member_search, 4.0, 1.0) AS score FROM member_search \
              WHERE member_search MATCH $1) s \
             CROSS JOIN members m ON m.id = s.rowid \
             WHERE m.community_id = $2 AND m.status = 'approved' ",
            year_ranges!(3),
            "), page AS (SELECT id, score FROM hits ORDER BY score, id LIMIT $7 OFFSET $8) \
             SELECT ",
            member_columns!(),
            ", (SELECT COUNT(*) FROM hits) AS total FROM page JOIN members m ON m.id = page.id \
             ORDER BY page.score, page.id"
        ))
        .bind(fts5_query(community, &terms))
        .bind(community)
        .bind(query.left.map(|r| r.0))
        .bind(query.left.map(|r| r.1))
        .bind(query.joined.map(|r| r.0))
        .bind(query.joined.map(|r| r.1))
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await?;
        Self::page_from_rows(&rows)
    }
}

/// `"cm_1" AND "佐藤" AND "rust"*`: every term quoted (so user text is never FTS syntax).
fn fts5_query(community: CommunityId, terms: &[QueryTerm]) -> String {
    let mut q = format!("\"{}\"", Document::community_term(community));
    for t in terms {
        q.push_str(" AND \"");
        q.push_str(&t.text.replace('"', "\"\""));
        q.push('"');
        if t.prefix {
            q.push('*');
        }
    }
    q
}

impl_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow, "");

super::events::impl_event_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);

super::social::impl_social_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
