//! PostgreSQL's side of the live view (`live`): its change log, read once per command, so
//! several bot instances on one database each answer from memory and still agree.
//!
//! Triggers (migration 0090) note every change in `changes`, stamped with the writing
//! transaction's id. The view reads the changes at or after its watermark: the oldest
//! transaction still running when it last looked (`pg_snapshot_xmin`). Transaction ids are
//! handed out before commit, so a plain "greater than the last id seen" would miss a
//! transaction that began earlier and committed later; everything at or after the snapshot's
//! xmin cannot have been missed, at the price of re-reading a few recent changes. One round
//! trip per command, with the changed members' directory documents joined on.

use std::borrow::Cow;
use std::time::Instant;

use sqlx::Row;
use sqlx::postgres::PgRow;

use super::StoreResult;
use super::live::{self, Change, ChangeFeed, DirectoryBuilder, KEEP_CHANGES_HOURS, OwnedDoc};
use super::postgres::PgStore;
use super::term_index::TermIndex;
use crate::domain::{CommunityId, MemberId};

/// The years a range can find a member by: none that they hide (see `search_sql::Years`).
const YEARS: &str = "CASE WHEN m.hidden NOT LIKE '%joined%' THEN m.joined_year END, \
                     CASE WHEN m.hidden NOT LIKE '%left%' THEN m.left_year END";
/// Members read per round trip when loading a directory.
const LOAD_CHUNK: i64 = 5000;

impl ChangeFeed for PgStore {
    async fn mark_now(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn changes_since(&self, mark: i64) -> StoreResult<(i64, Vec<Change>)> {
        // Always one row, carrying the new watermark; the changes (if any) joined on.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, c.community_id, \
                    c.member_id, m.status, m.search::text, {YEARS} \
             FROM (SELECT 1) one \
             LEFT JOIN (SELECT DISTINCT community_id, member_id FROM changes \
                        WHERE xid >= $1::text::xid8) c ON true \
             LEFT JOIN members m ON m.id = c.member_id"
        )))
        .bind(mark.to_string())
        .fetch_all(&self.pool)
        .await?;
        let next = rows[0].try_get(0)?;
        let mut changes = Vec::new();
        for row in &rows {
            let Some(community) = row.try_get::<Option<CommunityId>, _>(1)? else {
                continue;
            };
            let approved = row.try_get::<Option<&str>, _>(3)? == Some("approved");
            changes.push(Change {
                community,
                member: row.try_get(2)?,
                doc: if approved {
                    Some(doc_at(row, 4)?)
                } else {
                    None
                },
            });
        }
        Ok((next, changes))
    }

    fn must_read(&self, _mark: i64, _read_at: Instant) -> bool {
        // Another instance may have written: read once in each command.
        !live::read_in_this_command()
    }

    fn read_done(&self, _mark: i64) {
        live::mark_read_in_this_command();
    }

    /// Every approved member of the community, read in id order in one snapshot.
    async fn directory(&self, community: CommunityId) -> StoreResult<Option<TermIndex>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let mut builder = DirectoryBuilder::default();
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
                let text: Option<&str> = row.try_get(1)?;
                builder.add(
                    row.try_get(0)?,
                    lexemes(text.unwrap_or_default()),
                    (row.try_get(2)?, row.try_get(3)?),
                );
            }
        }
        tx.commit().await?;
        Ok(builder.finish())
    }

    async fn prune(&self) -> StoreResult<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM changes WHERE at < now() - interval '{KEEP_CHANGES_HOURS} hours'"
        )))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// The document whose search text starts at column `at`, the years after it.
fn doc_at(row: &PgRow, at: usize) -> StoreResult<OwnedDoc> {
    let text: Option<&str> = row.try_get(at)?;
    Ok(OwnedDoc {
        terms: lexemes(text.unwrap_or_default())
            .into_iter()
            .map(Cow::into_owned)
            .collect(),
        joined: row.try_get(at + 1)?,
        left: row.try_get(at + 2)?,
    })
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
