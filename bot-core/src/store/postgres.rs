//! PostgreSQL: for several bot instances sharing state. A GIN-indexed tsvector built from our
//! own terms for the directory (approved members only); `FOR UPDATE SKIP LOCKED` so instances never claim the same job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgArguments, PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, Row};

use super::rows::member_columns;
use super::shared::impl_store;
use super::{SEARCH_COUNT_LIMIT, SearchPage, SearchQuery, StoreResult};
use crate::domain::{CommunityId, Member, MemberId};
use crate::search::{self, Document, INDEX_VERSION, QueryTerm};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Which communities hold most of the directory, and since when we know (see
    /// `scope_by_term`).
    majority: Arc<Mutex<HashMap<CommunityId, (bool, Instant)>>>,
}

/// How long `PgStore::majority` answers stay fresh: communities grow slowly.
const MAJORITY_TTL: Duration = Duration::from_secs(300);

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
            majority: Arc::default(),
        };
        store.reindex_search().await?;
        Ok(store)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
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

    /// Rebuild every search document written under an older [`INDEX_VERSION`] (the
    /// tokenizer changed), with the same `write_search` as every other write. Instances that
    /// start together may both do it; the result is the same.
    async fn reindex_search(&self) -> StoreResult<()> {
        let version: i64 = sqlx::query_scalar("SELECT version FROM search_index_version")
            .fetch_one(&self.pool)
            .await?;
        if version >= INDEX_VERSION {
            return Ok(());
        }
        let mut after: MemberId = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            let rows = sqlx::query(concat!(
                "SELECT ",
                member_columns!(),
                " FROM members m WHERE m.id > $1 ORDER BY m.id LIMIT 500"
            ))
            .bind(after)
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                let member = Self::member_from_row(row)?;
                Self::write_search(&mut tx, &member).await?;
                after = member.id;
            }
            if rows.is_empty() {
                sqlx::query("UPDATE search_index_version SET version = $1")
                    .bind(INDEX_VERSION)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            if rows.is_empty() {
                return Ok(());
            }
        }
    }

    /// Two statements. The count, up to the limit, planned with its values (not as a generic
    /// prepared plan): whether to look the terms up in the GIN index or walk the community
    /// newest first testing each row, until the limit, depends on how common they are. Then
    /// the page: with few matches, the tiers (members whose name has every word of the text,
    /// then the rest) looked up and sorted newest first; with many, a walk newest first that
    /// stops at the page. Only the page's members are read in full.
    async fn search_page(
        &self,
        community: CommunityId,
        query: &SearchQuery,
        limit: u32,
        offset: u32,
    ) -> StoreResult<SearchPage> {
        let terms = query.terms();
        let years = Years::of(query);
        if terms.is_empty() && years.bounds.is_empty() {
            return self.browse_page(community, query, limit, offset).await;
        }
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

    /// Whether a search in `community` should carry the community's term in its tsquery. The
    /// GIN index holds every community; the term keeps a small community's search from
    /// visiting the others' matches in the heap, but in a community holding most of the
    /// directory it would only add its own huge posting list to every lookup: there the
    /// `community_id` condition filters instead.
    async fn scope_by_term(&self, community: CommunityId) -> StoreResult<bool> {
        if let Some((majority, at)) = self.majority.lock().expect("lock").get(&community)
            && at.elapsed() < MAJORITY_TTL
        {
            return Ok(!majority);
        }
        let (mine, all): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM members WHERE community_id = $1), \
             (SELECT COUNT(*) FROM members)",
        )
        .bind(community)
        .fetch_one(&self.pool)
        .await?;
        let majority = 2 * mine > all;
        self.majority
            .lock()
            .expect("lock")
            .insert(community, (majority, Instant::now()));
        Ok(!majority)
    }

    fn page(rows: &[PgRow], found: i64) -> StoreResult<SearchPage> {
        let found = u64::try_from(found).unwrap_or(0);
        Ok(SearchPage {
            members: rows
                .iter()
                .map(Self::member_from_row)
                .collect::<Result<_, _>>()?,
            total: found.min(SEARCH_COUNT_LIMIT),
            total_exact: found <= SEARCH_COUNT_LIMIT,
        })
    }
}

/// The inclusive year ranges of a query, as SQL conditions on `m`.
struct Years {
    bounds: Vec<(&'static str, i32, i32)>,
}

impl Years {
    fn of(query: &SearchQuery) -> Years {
        let mut bounds = Vec::new();
        if let Some((from, to)) = query.left {
            bounds.push(("m.left_year", from, to));
        }
        if let Some((from, to)) = query.joined {
            bounds.push(("m.joined_year", from, to));
        }
        Years { bounds }
    }

    /// ` AND m.left_year BETWEEN $n AND $n+1 …` from parameter `first` on; `walk` keeps them
    /// off their indexes (`+ 0`).
    fn sql(&self, first: usize, walk: bool) -> String {
        let mut sql = String::new();
        for (i, (column, _, _)) in self.bounds.iter().enumerate() {
            let n = first + 2 * i;
            let plus = if walk { " + 0" } else { "" };
            sql.push_str(&format!(" AND {column}{plus} BETWEEN ${n} AND ${}", n + 1));
        }
        sql
    }

    fn bind<'q>(
        &self,
        mut q: sqlx::query::Query<'q, Postgres, PgArguments>,
    ) -> sqlx::query::Query<'q, Postgres, PgArguments> {
        for (_, from, to) in &self.bounds {
            q = q.bind(*from).bind(*to);
        }
        q
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
