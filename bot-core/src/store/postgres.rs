//! PostgreSQL: for several bot instances sharing state. A GIN-indexed tsvector built from our
//! own terms for the directory; `FOR UPDATE SKIP LOCKED` so instances never claim the same job.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};

use super::rows::{member_columns, year_ranges};
use super::shared::impl_store;
use super::{SearchPage, SearchQuery, StoreResult};
use crate::domain::{CommunityId, Member, MemberId};
use crate::search::{Document, QueryTerm};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PgStore { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn write_search(conn: &mut sqlx::PgConnection, member: &Member) -> StoreResult<()> {
        let doc = Document::of(member);
        sqlx::query("UPDATE members SET search = CAST($2 AS tsvector) WHERE id = $1")
            .bind(member.id)
            .bind(tsvector(&doc))
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn delete_search(_conn: &mut sqlx::PgConnection, _member: MemberId) -> StoreResult<()> {
        // The search vector is a column of the member row, deleted with it.
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
        // Rank and count (id, score) pairs only; full member rows for the page alone.
        let rows = sqlx::query(concat!(
            "WITH hits AS MATERIALIZED (SELECT m.id, ts_rank(m.search, CAST($1 AS tsquery)) \
             AS score FROM members m WHERE m.search @@ CAST($1 AS tsquery) \
             AND m.community_id = $2 AND m.status = 'approved' ",
            year_ranges!(3),
            "), page AS (SELECT id, score FROM hits ORDER BY score DESC, id LIMIT $7 OFFSET $8) \
             SELECT ",
            member_columns!(),
            ", (SELECT COUNT(*) FROM hits) AS total FROM page JOIN members m ON m.id = page.id \
             ORDER BY page.score DESC, page.id"
        ))
        .bind(tsquery(community, &terms))
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

/// The document as tsvector input, `'佐藤':1A 'rust':3B …`: every lexeme with a position,
/// since without positions PostgreSQL keeps no weights and `ts_rank` cannot prefer the name.
fn tsvector(doc: &Document) -> String {
    let mut out = String::new();
    let weighted = doc
        .name
        .iter()
        .map(|t| (t, 'A'))
        .chain(doc.other.iter().map(|t| (t, 'B')));
    for (pos, (term, weight)) in weighted.enumerate() {
        if !out.is_empty() {
            out.push(' ');
        }
        // Positions are capped at 16383 by PostgreSQL.
        let pos = (pos + 1).min(16_383);
        out.push('\'');
        out.push_str(&term.replace('\\', "\\\\").replace('\'', "''"));
        out.push_str(&format!("':{pos}{weight}"));
    }
    out
}

/// `'cm_1' & '佐藤' & 'rust':*` as tsquery input: quoted lexemes are taken literally, so no
/// text-search parser (and no locale) decides how Japanese is split.
fn tsquery(community: CommunityId, terms: &[QueryTerm]) -> String {
    let mut q = format!("'{}'", Document::community_term(community));
    for t in terms {
        q.push_str(" & '");
        q.push_str(&t.text.replace('\\', "\\\\").replace('\'', "''"));
        q.push('\'');
        if t.prefix {
            q.push_str(":*");
        }
    }
    q
}

impl_store!(
    PgStore,
    Postgres,
    sqlx::postgres::PgRow,
    "FOR UPDATE SKIP LOCKED"
);

super::events::impl_event_store!(PgStore, Postgres, sqlx::postgres::PgRow);

super::social::impl_social_store!(PgStore, Postgres, sqlx::postgres::PgRow);
