//! SQLite: the embedded default. One file, WAL, a busy timeout; FTS5 for the directory.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

use super::live::LiveView;
use super::sqlite_feed::Commits;

use super::live::LivePage;
use super::rows::member_columns;
use super::search_sql::{Majority, Years};
use super::shared::impl_store;
use super::{SEARCH_COUNT_LIMIT, SearchPage, SearchQuery, StoreResult};
use crate::domain::{CommunityId, Member, MemberId};
use crate::search::{self, Document, QueryTerm};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

#[derive(Clone)]
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    /// Which communities hold most of the directory, and since when we know (see
    /// `scope_by_term`).
    majority: Majority,
    /// What commands read on every request, in memory (see `live`).
    pub(super) live: Arc<LiveView>,
    /// How far this process's commits have written the change log (see `sqlite_feed`).
    pub(super) commits: Arc<Commits>,
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
        let commits = Commits::for_file(options.get_filename());
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .after_connect(commits.hooks())
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        let store = SqliteStore {
            pool,
            majority: Majority::default(),
            live: Arc::default(),
            commits,
        };
        store.reindex_search().await?;
        Ok(store)
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The name's terms go in twice, as themselves and as [`search::name_marker`]s, so "name
    /// matches first" is a lookup of a few short doclists, not a scan of every hit's columns.
    async fn write_search(conn: &mut sqlx::SqliteConnection, member: &Member) -> StoreResult<()> {
        Self::delete_search(conn, member.id).await?;
        let doc = Document::of(member);
        let markers = doc.name.iter().map(|t| search::name_marker(t));
        let name = doc.name.iter().cloned().chain(markers).collect::<Vec<_>>();
        sqlx::query(
            "INSERT INTO member_search (rowid, name_tokens, other_tokens) VALUES ($1, $2, $3)",
        )
        .bind(member.id)
        .bind(name.join(" "))
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

    /// Search in memory; in SQL while the community loads.
    async fn search_page(
        &self,
        community: CommunityId,
        query: &SearchQuery,
        limit: u32,
        offset: u32,
    ) -> StoreResult<SearchPage> {
        match self
            .live
            .search(self, community, query, limit, offset)
            .await?
        {
            Some(page) => self.read_page(community, page).await,
            None => self.search_page_sql(community, query, limit, offset).await,
        }
    }

    /// The page's members, in the order the index gave (those shown lately from memory).
    async fn read_page(&self, community: CommunityId, page: LivePage) -> StoreResult<SearchPage> {
        let fetch = |ids: Vec<MemberId>| async move {
            let list = (0..ids.len())
                .map(|i| format!("${}", i + 2))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                concat!(
                    "SELECT ",
                    member_columns!(),
                    " FROM members m WHERE m.community_id = $1 AND m.status = 'approved' \
                     AND m.id IN ({})"
                ),
                list
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(community);
            for id in &ids {
                q = q.bind(id);
            }
            let rows = q.fetch_all(&self.pool).await?;
            rows.iter()
                .map(Self::member_from_row)
                .collect::<StoreResult<Vec<Member>>>()
        };
        self.live.page_members(self, community, page, fetch).await
    }

    /// Loads every community's directory into memory, so the first searches need not go to
    /// SQL (the binary runs it in the background at start).
    pub async fn warm_search(&self) -> StoreResult<()> {
        let communities: Vec<CommunityId> = sqlx::query_scalar("SELECT id FROM communities")
            .fetch_all(&self.pool)
            .await?;
        for community in communities {
            self.live.warm(self, community).await?;
        }
        Ok(())
    }

    /// One statement: count the matches up to the limit; walk the tiers newest first for the
    /// ids the page needs (with few matches, members whose name has every word of the text,
    /// then the rest; with many, everyone matching); read only the page's members. Every step
    /// follows the full-text index in id order and stops early, so a term matching half the
    /// directory costs what a rare one does.
    async fn search_page_sql(
        &self,
        community: CommunityId,
        query: &SearchQuery,
        limit: u32,
        offset: u32,
    ) -> StoreResult<SearchPage> {
        let terms = query.terms();
        let years = Years::of(query);
        if terms.is_empty() {
            return self.years_page(community, &years, limit, offset).await;
        }
        let text = search::query_terms(&query.text);
        let filters = &terms[text.len()..];
        let cm = self.scope_by_term(community).await?.then(|| {
            fts5_term(&QueryTerm {
                text: Document::community_term(community),
                prefix: false,
            })
        });
        let all = fts5_and(cm.iter().cloned().chain(terms.iter().map(fts5_term)));
        // Tiers, each an FTS query and when it runs. Ranked (name matches first) only when the
        // matches could all be counted; past the limit, newest first.
        let cap = SEARCH_COUNT_LIMIT;
        let tiers: Vec<(String, String)> = if text.is_empty() {
            vec![(all.clone(), "1".to_owned())]
        } else {
            let in_name = fts5_and(text.iter().map(|t| {
                fts5_term(&QueryTerm {
                    text: search::name_marker(&t.text),
                    prefix: t.prefix,
                })
            }));
            let named = cm
                .into_iter()
                .chain(filters.iter().map(fts5_term))
                .chain([in_name.clone()]);
            let few = format!("(SELECT n FROM cnt) <= {cap}");
            vec![
                (fts5_and(named), few.clone()),
                (format!("{all} NOT {in_name}"), few),
                (all.clone(), format!("(SELECT n FROM cnt) > {cap}")),
            ]
        };

        // $1 community, then the years, the FTS queries (all, then each tier's), and the
        // numbers: ids wanted per tier, limit, offset.
        let fts_at = 2 + 2 * years.bounds.len();
        let n_at = fts_at + 1 + tiers.len();
        let from = |p: usize| {
            // CROSS JOIN keeps this order: the FTS cursor drives and each hit is looked up by
            // id (left to itself the planner may walk the community's members and run the FTS
            // query once per member), in the small index of approved members' filter columns
            // rather than in the wide rows.
            format!(
                "FROM member_search s \
                 CROSS JOIN members m INDEXED BY members_search_filter ON m.id = s.rowid \
                 WHERE s.member_search MATCH ${p} AND m.community_id = $1 \
                 AND m.status = 'approved'{}",
                years.sql(2, false)
            )
        };
        let mut sql = format!(
            "WITH cnt(n) AS (SELECT COUNT(*) FROM (SELECT 1 {} LIMIT {})), ",
            from(fts_at),
            cap + 1
        );
        for (i, (_, runs)) in tiers.iter().enumerate() {
            // A later tier runs only when the earlier ones are short of the page. The condition
            // is in the LIMIT (0 when it fails), which SQLite checks before walking anything.
            let earlier = (0..i)
                .map(|j| format!(" AND (SELECT COUNT(*) FROM t{j}) < ${n_at}"))
                .collect::<String>();
            sql.push_str(&format!(
                "t{i} AS (SELECT s.rowid AS id {} ORDER BY s.rowid DESC \
                 LIMIT CASE WHEN {runs}{earlier} THEN ${n_at} ELSE 0 END), ",
                from(fts_at + 1 + i)
            ));
        }
        let union = (0..tiers.len())
            .map(|i| format!("SELECT id, {i} FROM t{i}"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        sql.push_str(&format!(
            concat!(
                "page(id, tier) AS ({union}) SELECT (SELECT n FROM cnt) AS found, ",
                member_columns!(),
                " FROM page p CROSS JOIN members m ON m.id = p.id \
                 ORDER BY p.tier, p.id DESC LIMIT ${limit} OFFSET ${offset}"
            ),
            union = union,
            limit = n_at + 1,
            offset = n_at + 2,
        ));
        let mut q = years.bind(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(community));
        for fts in std::iter::once(&all).chain(tiers.iter().map(|(fts, _)| fts)) {
            q = q.bind(fts.clone());
        }
        let rows = q
            .bind(i64::from(offset) + i64::from(limit))
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(&self.pool)
            .await?;
        let found = match rows.first() {
            Some(row) => row.try_get::<i64, _>("found")?,
            None if offset == 0 && limit > 0 => 0,
            // Past the last page (or no page asked for): count on its own.
            None => {
                let sql = format!(
                    "SELECT COUNT(*) FROM (SELECT 1 {} LIMIT {})",
                    from(fts_at),
                    SEARCH_COUNT_LIMIT + 1
                );
                let q = years.bind(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(community));
                q.bind(all).fetch_one(&self.pool).await?.try_get(0)?
            }
        };
        Self::page(&rows, found)
    }

    /// No terms, year ranges or none (browsing the directory): count first (in the ranges' index), then either walk the community
    /// newest first testing each member's years (many matches: the page is near) or read the
    /// matches from the ranges' index and sort them (few).
    async fn years_page(
        &self,
        community: CommunityId,
        years: &Years,
        limit: u32,
        offset: u32,
    ) -> StoreResult<SearchPage> {
        let mut conn = self.pool.acquire().await?;
        let from = |walk| {
            format!(
                "FROM members m WHERE m.community_id = $1 AND m.status = 'approved'{}",
                years.sql(2, walk)
            )
        };
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 {} LIMIT {})",
            from(false),
            SEARCH_COUNT_LIMIT + 1
        );
        let q = years.bind(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(community));
        let found: i64 = q.fetch_one(&mut *conn).await?.try_get(0)?;
        if found == 0 {
            return Self::page(&[], 0);
        }
        let n_at = 2 + 2 * years.bounds.len();
        let sql = format!(
            concat!(
                "SELECT ",
                member_columns!(),
                " FROM (SELECT m.id {from} ORDER BY m.id DESC LIMIT ${limit} OFFSET ${offset}) p \
                 CROSS JOIN members m ON m.id = p.id ORDER BY m.id DESC"
            ),
            from = from(found > SEARCH_COUNT_LIMIT as i64),
            limit = n_at,
            offset = n_at + 1,
        );
        let rows = years
            .bind(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(community))
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(&mut *conn)
            .await?;
        Self::page(&rows, found)
    }
}

/// `"佐藤"`, `"internationalization"*`: quoted, so user text is never FTS5 syntax.
fn fts5_term(t: &QueryTerm) -> String {
    let mut q = format!("\"{}\"", t.text.replace('"', "\"\""));
    if t.prefix {
        q.push('*');
    }
    q
}

/// `(a AND b AND c)`.
fn fts5_and(parts: impl IntoIterator<Item = String>) -> String {
    format!("({})", parts.into_iter().collect::<Vec<_>>().join(" AND "))
}

impl_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow, "");

super::events::impl_event_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);

super::social::impl_social_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
super::slack::impl_slack_store!(SqliteStore, sqlx::sqlite::SqliteRow);
super::privacy::impl_privacy_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
super::roster::impl_roster_store!(SqliteStore, sqlx::Sqlite, sqlx::sqlite::SqliteRow);
super::broadcast::impl_broadcast_store!(SqliteStore, sqlx::sqlite::SqliteRow);
super::jobs_board::impl_jobs_board_store!(SqliteStore, sqlx::sqlite::SqliteRow);
super::stats::impl_stats_store!(SqliteStore);
