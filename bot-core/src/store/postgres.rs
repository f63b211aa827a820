//! PostgreSQL: for several bot instances sharing state. The directory is searched in memory,
//! kept current from the database's change log (`live`, `pg_feed`); the tsvector column built
//! from our own terms feeds it, and its GIN index serves the SQL search kept for a community
//! that cannot be held in memory. `FOR UPDATE SKIP LOCKED` so instances never claim the same
//! job.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres, Row};

use super::live::{LivePage, LiveView};
use super::rows::member_columns;
use super::search_sql::{Majority, Years};
use super::shared::impl_store;
use super::{SEARCH_COUNT_LIMIT, SearchPage, SearchQuery, StoreResult};
use crate::domain::{CommunityId, Member, MemberId};
use crate::search::{self, Document, QueryTerm};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Clone)]
pub struct PgStore {
    pub(super) pool: PgPool,
    /// Which communities hold most of the directory, and since when we know (see
    /// `scope_by_term`).
    majority: Majority,
    /// What commands read on every request, in memory (see `live`).
    pub(super) live: Arc<LiveView>,
    /// Whether searches use the directory in memory (else SQL only, for tests and benchmarks).
    search_in_memory: bool,
}

impl PgStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        let store = PgStore {
            pool,
            majority: Majority::default(),
            live: Arc::default(),
            search_in_memory: true,
        };
        store.reindex_search().await?;
        Ok(store)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The same store searching in SQL only (the GIN index), as it does for a community that
    /// cannot be held in memory: for tests that compare the two and for the benchmark.
    #[doc(hidden)]
    pub fn with_sql_search(mut self) -> Self {
        self.search_in_memory = false;
        self
    }

    /// Loads every community's directory into memory (see `live`), so searches
    /// after it never take the SQL path for want of a load. The binary runs it in the
    /// background at start.
    pub async fn warm_search(&self) -> StoreResult<()> {
        let communities: Vec<CommunityId> = sqlx::query_scalar("SELECT id FROM communities")
            .fetch_all(&self.pool)
            .await?;
        for community in communities {
            self.live.warm(self, community).await?;
        }
        Ok(())
    }

    /// Search in memory; in SQL while the community loads or when it cannot be held there.
    async fn search_page(
        &self,
        community: CommunityId,
        query: &SearchQuery,
        limit: u32,
        offset: u32,
    ) -> StoreResult<SearchPage> {
        if self.search_in_memory
            && let Some(page) = self
                .live
                .search(self, community, query, limit, offset)
                .await?
        {
            return self.read_page(community, page).await;
        }
        self.search_page_sql(community, query, limit, offset).await
    }

    /// The page's members, in the order the index gave (those shown lately from memory).
    async fn read_page(&self, community: CommunityId, page: LivePage) -> StoreResult<SearchPage> {
        let fetch = |ids: Vec<MemberId>| async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                member_columns!(),
                " FROM members m WHERE m.id = ANY($1) AND m.community_id = $2 \
                 AND m.status = 'approved'"
            ))
            .bind(&ids)
            .bind(community)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(Self::member_from_row)
                .collect::<StoreResult<Vec<Member>>>()
        };
        self.live.page_members(self, community, page, fetch).await
    }

    /// The document as lexemes (no positions, so no weights): the name's terms are there twice,
    /// as themselves and as [`search::name_marker`]s, so "name matches first" is an index lookup.
    async fn write_search(conn: &mut sqlx::PgConnection, member: &Member) -> StoreResult<()> {
        let doc = Document::of(member);
        let mut lexemes: Vec<String> = doc.other;
        lexemes.extend(doc.name.iter().map(|t| search::name_marker(t)));
        lexemes.extend(doc.name);
        lexemes.sort();
        lexemes.dedup();
        sqlx::query("UPDATE members SET search = array_to_tsvector($2::text[]) WHERE id = $1")
            .bind(member.id)
            .bind(&lexemes)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn delete_search(_conn: &mut sqlx::PgConnection, _member: MemberId) -> StoreResult<()> {
        // The search vector is a column of the member row, deleted with it.
        Ok(())
    }

    /// Two statements. The count, up to the limit, planned with its values (not as a generic
    /// prepared plan): whether to look the terms up in the GIN index or walk the community
    /// newest first testing each row, until the limit, depends on how common they are. Then
    /// the page: with few matches, the tiers (members whose name has every word of the text,
    /// then the rest) looked up and sorted newest first; with many, a walk newest first that
    /// stops at the page. Only the page's members are read in full.
    async fn search_page_sql(
        &self,
        community: CommunityId,
        query: &SearchQuery,
        limit: u32,
        offset: u32,
    ) -> StoreResult<SearchPage> {
        let terms = query.terms();
        let years = Years::of(query);
        let text = search::query_terms(&query.text);
        let filters = &terms[text.len()..];
        let cm = if !terms.is_empty() && self.scope_by_term(community).await? {
            Some(tsquery_term(&QueryTerm {
                text: Document::community_term(community),
                prefix: false,
            }))
        } else {
            None
        };
        let all = (!terms.is_empty())
            .then(|| tsquery_and(cm.iter().cloned().chain(terms.iter().map(tsquery_term))));
        let tiers = if text.is_empty() {
            vec![all.clone()]
        } else {
            let in_name = tsquery_and(text.iter().map(|t| {
                tsquery_term(&QueryTerm {
                    text: search::name_marker(&t.text),
                    prefix: t.prefix,
                })
            }));
            let named = cm
                .into_iter()
                .chain(filters.iter().map(tsquery_term))
                .chain([in_name.clone()]);
            let named = tsquery_and(named);
            let rest = format!("{} & !{in_name}", all.as_deref().unwrap_or_default());
            vec![Some(named), Some(rest)]
        };

        // `walk`: the row is tested where it stands (the function form of `@@` and `+ 0` on
        // the years keep the GIN and year indexes out), so the only plan left is to walk the
        // community newest first and stop at the page. Otherwise the planner is free to look
        // the terms up and sort the (few) matches; `id + 0` keeps it from walking instead.
        // Parameters: $1 community, then the years, then the tsqueries.
        let first = 2 + 2 * years.bounds.len();
        let from = |p: Option<usize>, walk: bool| {
            let search = match (p, walk) {
                (Some(p), false) => format!(" AND m.search @@ CAST(${p} AS tsquery)"),
                (Some(p), true) => format!(" AND ts_match_vq(m.search, CAST(${p} AS tsquery))"),
                (None, _) => String::new(),
            };
            format!(
                "FROM members m WHERE m.community_id = $1 AND m.status = 'approved'{search}{}",
                years.sql(2, walk)
            )
        };
        let mut conn = self.pool.acquire().await?;

        // Count first (planned with the values: GIN for rare terms, a walk that stops at the
        // limit for common ones); the count then decides how to page.
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 {} LIMIT {}) c",
            from(all.as_ref().map(|_| first), false),
            SEARCH_COUNT_LIMIT + 1
        );
        let mut q = years.bind(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .persistent(false)
                .bind(community),
        );
        if let Some(all) = &all {
            q = q.bind(all.clone());
        }
        let found: i64 = q.fetch_one(&mut *conn).await?.try_get(0)?;
        if found == 0 || limit == 0 {
            return Self::page(&[], found);
        }
        // Ranked (name matches first) only when the matches could all be counted: then they
        // are few, and each tier is looked up and sorted. Past the limit, newest first: a walk
        // that stops at the page.
        let many = found > SEARCH_COUNT_LIMIT as i64;
        let tiers = if many { vec![all] } else { tiers };

        // The page: each tier's newest ids (a later tier only when the earlier ones are short
        // of the page), then the page's members.
        let n_at = first + tiers.iter().flatten().count();
        let mut next = first;
        let mut sql = String::from("WITH ");
        for (i, tier) in tiers.iter().enumerate() {
            let p = tier.as_ref().map(|_| {
                next += 1;
                next - 1
            });
            let earlier = (0..i)
                .map(|j| format!(" AND (SELECT COUNT(*) FROM t{j}) < ${n_at}"))
                .collect::<String>();
            let order = if many { "m.id" } else { "m.id + 0" };
            sql.push_str(&format!(
                "t{i} AS (SELECT m.id {}{earlier} ORDER BY {order} DESC LIMIT ${n_at}), ",
                from(p, many)
            ));
        }
        let union = (0..tiers.len())
            .map(|i| format!("SELECT id, {i} AS tier FROM t{i}"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        sql.push_str(&format!(
            concat!(
                "page AS ({union}) SELECT ",
                member_columns!(),
                " FROM page p JOIN members m ON m.id = p.id \
                 ORDER BY p.tier, p.id DESC LIMIT ${limit} OFFSET ${offset}"
            ),
            union = union,
            limit = n_at + 1,
            offset = n_at + 2,
        ));
        // A look-up is prepared and kept: the SQL fixes the strategy, so a generic plan is as
        // good as a fresh one and saves planning on every search. A walk is planned with its
        // values: which index to walk depends on the community's size.
        let mut q = years.bind(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .persistent(!many)
                .bind(community),
        );
        for tsquery in tiers.iter().flatten() {
            q = q.bind(tsquery.clone());
        }
        let rows = q
            .bind(i64::from(offset) + i64::from(limit))
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(&mut *conn)
            .await?;
        Self::page(&rows, found)
    }
}

/// `'佐藤'`, `'internationalization':*` as tsquery input: quoted lexemes are taken literally,
/// so no text-search parser (and no locale) decides how Japanese is split.
fn tsquery_term(t: &QueryTerm) -> String {
    let mut q = format!("'{}'", t.text.replace('\\', "\\\\").replace('\'', "''"));
    if t.prefix {
        q.push_str(":*");
    }
    q
}

/// `(a & b & c)`.
fn tsquery_and(parts: impl IntoIterator<Item = String>) -> String {
    format!("({})", parts.into_iter().collect::<Vec<_>>().join(" & "))
}

impl_store!(
    PgStore,
    Postgres,
    sqlx::postgres::PgRow,
    "FOR UPDATE SKIP LOCKED"
);

super::events::impl_event_store!(PgStore, Postgres, sqlx::postgres::PgRow);

super::social::impl_social_store!(PgStore, Postgres, sqlx::postgres::PgRow);
super::slack::impl_slack_store!(PgStore, sqlx::postgres::PgRow);
super::privacy::impl_privacy_store!(PgStore, Postgres, sqlx::postgres::PgRow);
super::roster::impl_roster_store!(PgStore, sqlx::Postgres, sqlx::postgres::PgRow);
super::broadcast::impl_broadcast_store!(PgStore, sqlx::postgres::PgRow);
super::jobs_board::impl_jobs_board_store!(PgStore, sqlx::postgres::PgRow);
super::stats::impl_stats_store!(PgStore);
