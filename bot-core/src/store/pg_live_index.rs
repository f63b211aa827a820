//! Keeps an in-memory [`TermIndex`] per community current with PostgreSQL, so that several
//! bot instances on one database each search in memory and still agree.
//!
//! A trigger (migration 0061) notes every change that can move a member in or out of the
//! directory in `search_changes`, stamped with the writing transaction's id. Before each
//! search the instance reads the changes at or after its watermark: the oldest transaction
//! still running when it last looked (`pg_snapshot_xmin`). Transaction ids are handed out
//! before commit, so a plain "greater than the last id seen" would miss a transaction that
//! began earlier and committed later; everything at or after the snapshot's xmin cannot have
//! been missed, at the price of re-reading a few recent changes. One round trip when nothing
//! changed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};

use super::term_index::{Doc, Slot, TermIndex};
use super::{SearchQuery, StoreResult};
use crate::domain::{CommunityId, MemberId};

/// Change notes are kept this long; an index not refreshed within [`RELOAD_AFTER`] loads
/// afresh instead, so it never depends on notes already pruned.
const KEEP_CHANGES: &str = "1 day";
const RELOAD_AFTER: Duration = Duration::from_secs(12 * 3600);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// The years a range can find a member by: none that they hide (see `search_sql::Years`).
const YEARS: &str = "CASE WHEN m.hidden NOT LIKE '%joined%' THEN m.joined_year END, \
                     CASE WHEN m.hidden NOT LIKE '%left%' THEN m.left_year END";

/// How long a search waits for its community to load before answering in SQL.
const INLINE_LOAD: Duration = Duration::from_millis(200);
/// Members read per round trip when loading.
const LOAD_CHUNK: i64 = 5000;

#[derive(Default)]
pub(super) struct LiveIndexes {
    communities: Mutex<HashMap<CommunityId, Cell>>,
    pruned: Mutex<Option<Instant>>,
}

type Cell = Arc<tokio::sync::Mutex<Option<State>>>;

enum State {
    /// Being read in the background; searches go to SQL meanwhile.
    Loading,
    Ready(Live),
    /// Ids past `u32`: this community is searched in SQL.
    InSql,
}

struct Live {
    index: TermIndex,
    /// `pg_snapshot_xmin` when we last read: every change at or after it is read again.
    watermark: i64,
    refreshed: Instant,
}

impl Live {
    fn page(&self, query: &SearchQuery, limit: u32, offset: u32) -> LivePage {
        let found = self.index.search(query, limit, offset);
        LivePage {
            ids: found.page.into_iter().map(MemberId::from).collect(),
            counted: found.counted,
        }
    }
}

/// A search answered from memory: the page's member ids in order and the matches counted up
/// to the limit and one past it.
pub(super) struct LivePage {
    pub ids: Vec<MemberId>,
    pub counted: u64,
}

impl LiveIndexes {
    /// `None`: search in SQL this time (the community is being loaded, or cannot be held in
    /// memory). A search never waits for a load: a community not yet in memory starts loading
    /// in the background.
    pub async fn search(
        &self,
        pool: &PgPool,
        community: CommunityId,
        query: &SearchQuery,
        limit: u32,
        offset: u32,
    ) -> StoreResult<Option<LivePage>> {
        self.prune_now_and_then(pool).await?;
        let cell = self.cell(community);
        // One search of a community at a time brings it up to date: two reads applied out of
        // order could put an older state of a member back.
        let mut state = cell.lock().await;
        if let Some(State::Ready(live)) = &mut *state
            && live.refreshed.elapsed() < RELOAD_AFTER
            && catch_up(pool, community, live).await?
        {
            return Ok(Some(live.page(query, limit, offset)));
        }
        if matches!(*state, Some(State::Loading | State::InSql)) {
            return Ok(None);
        }
        // Not loaded, not refreshed for long, or too many changes to apply one by one.
        *state = Some(State::Loading);
        drop(state);
        let (background, loaded_cell) = (pool.clone(), cell.clone());
        let loading = tokio::spawn(async move {
            let loaded = load(&background, community).await;
            let cell = loaded_cell;
            let mut state = cell.lock().await;
            *state = match loaded {
                Ok(Some(live)) => Some(State::Ready(live)),
                Ok(None) => Some(State::InSql),
                Err(e) => {
                    tracing::warn!(community, error = %e, "loading the directory into memory failed; searching in SQL");
                    None
                }
            };
        });
        // A small community loads in milliseconds: wait that long, not for a large one.
        if tokio::time::timeout(INLINE_LOAD, loading).await.is_ok() {
            let mut state = cell.lock().await;
            if let Some(State::Ready(live)) = &mut *state
                && catch_up(pool, community, live).await?
            {
                return Ok(Some(live.page(query, limit, offset)));
            }
        }
        Ok(None)
    }

    /// Loads `community` now unless it is in memory already: at start-up (so the first
    /// searches need not go to SQL) and in tests and benchmarks that time the memory path.
    pub async fn warm(&self, pool: &PgPool, community: CommunityId) -> StoreResult<()> {
        let cell = self.cell(community);
        let mut state = cell.lock().await;
        if !matches!(*state, Some(State::Ready(_) | State::InSql)) {
            *state = Some(match load(pool, community).await? {
                Some(live) => State::Ready(live),
                None => State::InSql,
            });
        }
        Ok(())
    }

    fn cell(&self, community: CommunityId) -> Cell {
        self.communities
            .lock()
            .expect("lock")
            .entry(community)
            .or_default()
            .clone()
    }

    async fn prune_now_and_then(&self, pool: &PgPool) -> StoreResult<()> {
        {
            let mut pruned = self.pruned.lock().expect("lock");
            if pruned.is_some_and(|at| at.elapsed() < PRUNE_EVERY) {
                return Ok(());
            }
            *pruned = Some(Instant::now());
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM search_changes WHERE at < now() - interval '{KEEP_CHANGES}'"
        )))
        .execute(pool)
        .await?;
        Ok(())
    }
}

/// Every approved member of the community, read in id order in one snapshot (so the lists are
/// built already sorted) together with that snapshot's watermark.
async fn load(pool: &PgPool, community: CommunityId) -> StoreResult<Option<Live>> {
    let started = Instant::now();
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let watermark: i64 =
        sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            .fetch_one(&mut *tx)
            .await?;
    let mut index = TermIndex::default();
    let mut after: MemberId = 0;
    loop {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT m.id, m.search::text, {YEARS} FROM members m \
             WHERE m.community_id = $1 AND m.status = 'approved' AND m.id > $2 \
             ORDER BY m.id LIMIT $3"
        )))
        .bind(community)
        .bind(after)
        .bind(LOAD_CHUNK)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get(0)?;
        for row in &rows {
            let Some(doc) = doc_at(row, 0, 1)? else {
                return Ok(None);
            };
            index.upsert(doc);
        }
    }
    tx.commit().await?;
    tracing::info!(
        community,
        members = index.len(),
        postings = index.postings(),
        ms = started.elapsed().as_millis() as u64,
        "directory loaded into memory"
    );
    Ok(Some(Live {
        index,
        watermark,
        refreshed: Instant::now(),
    }))
}

/// Applies the changes since the watermark. False when loading afresh is better: many
/// changes (each removal searches every list), or an id that does not fit.
async fn catch_up(pool: &PgPool, community: CommunityId, live: &mut Live) -> StoreResult<bool> {
    // Always one row, carrying the new watermark; the changed members (if any) joined on.
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, c.member_id, m.status, \
                m.search::text, {YEARS} \
         FROM (SELECT 1) one \
         LEFT JOIN (SELECT DISTINCT member_id FROM search_changes \
                    WHERE community_id = $1 AND xid >= $2::text::xid8) c ON true \
         LEFT JOIN members m ON m.id = c.member_id AND m.community_id = $1"
    )))
    .bind(community)
    .bind(live.watermark.to_string())
    .fetch_all(pool)
    .await?;
    let changed: Vec<&PgRow> = rows
        .iter()
        .filter(|r| r.try_get::<Option<i64>, _>(1).ok().flatten().is_some())
        .collect();
    if changed.len() > 100 + live.index.len() / 4 {
        return Ok(false);
    }
    for row in changed {
        let id: i64 = row.try_get(1)?;
        let Ok(slot) = Slot::try_from(id) else {
            return Ok(false);
        };
        live.index.remove(slot);
        if row.try_get::<Option<String>, _>(2)?.as_deref() == Some("approved") {
            match doc_at(row, 1, 3)? {
                Some(doc) => live.index.upsert(doc),
                None => return Ok(false),
            }
        }
    }
    live.watermark = rows[0].try_get(0)?;
    live.refreshed = Instant::now();
    Ok(true)
}

/// The document whose id is in column `id` and whose search text and years start at column
/// `search`; `None` when the id does not fit a [`Slot`].
fn doc_at(row: &PgRow, id: usize, search: usize) -> StoreResult<Option<Doc<'_>>> {
    let Ok(slot) = Slot::try_from(row.try_get::<i64, _>(id)?) else {
        return Ok(None);
    };
    let text: &str = row.try_get(search)?;
    Ok(Some(Doc {
        id: slot,
        terms: lexemes(text),
        joined: row.try_get(search + 1)?,
        left: row.try_get(search + 2)?,
    }))
}

/// The lexemes of a tsvector's text form: `'rust' 'o''brien'`. PostgreSQL doubles a quote or
/// backslash inside a lexeme; only those lexemes are copied.
fn lexemes(text: &str) -> Vec<Cow<'_, str>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('\'') {
        let body = &rest[start + 1..];
        let mut owned: Option<String> = None;
        let mut chars = body.char_indices();
        let mut end = body.len();
        while let Some((i, c)) = chars.next() {
            let escaped = match c {
                '\'' if body[i + 1..].starts_with('\'') => true,
                '\\' => true,
                '\'' => {
                    end = i;
                    break;
                }
                _ => false,
            };
            if escaped {
                let s = owned.get_or_insert_with(|| body[..i].to_owned());
                if let Some((_, next)) = chars.next() {
                    s.push(next);
                }
            } else if let Some(s) = owned.as_mut() {
                s.push(c);
            }
        }
        out.push(match owned {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(&body[..end]),
        });
        rest = body.get(end + 1..).unwrap_or("");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::lexemes;

    #[test]
    fn tsvector_text_splits_into_lexemes() {
        assert_eq!(
            lexemes(r"'cm_1' 'o''brien' 'a\\b' '田中' 'nm_田中'"),
            vec!["cm_1", "o'brien", r"a\b", "田中", "nm_田中"]
        );
        assert!(lexemes("").is_empty());
    }
}
