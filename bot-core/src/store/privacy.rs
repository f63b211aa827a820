//! Privacy rights, for both backends (same SQL): the stated purpose and consents, the audit
//! log, the broadcast opt-out, a member's data as JSON, and erasure from every table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::{CommunityId, MemberId};

/// One version of a community's stated purpose.
#[derive(Debug, Clone, PartialEq)]
pub struct Purpose {
    pub version: i64,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

/// An audit entry to write. `detail` holds kinds and counts, never names.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAudit {
    pub community: CommunityId,
    pub actor: Option<MemberId>,
    pub action: String,
    pub target: Option<MemberId>,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// A stored audit entry; actor and target are `None` once that member erased their data.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub actor: Option<MemberId>,
    pub action: String,
    pub target: Option<MemberId>,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// How a column of a member's data is read (the backends store times and integers differently).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Col {
    Int,
    Text,
    Bool,
    Time,
}

/// A `MY_DATA` entry: (section name, SQL, columns).
pub(crate) type Section = (&'static str, &'static str, &'static [(&'static str, Col)]);

/// Every table holding rows about a member, as (section name, SQL with `$1` = community and
/// `$2` = member, columns). `bot-core/tests/privacy.rs` lists the tables that reference
/// `members` from the schema itself and fails if one is missing here. Blocks *against* the
/// member are left out on purpose: revealing them would break the blocker's privacy.
pub(crate) const MY_DATA: &[Section] = &[
    (
        "identities",
        "SELECT platform, space_id, user_id, handle FROM identities \
         WHERE community_id = $1 AND member_id = $2 ORDER BY platform, user_id",
        &[
            ("platform", Col::Text),
            ("space_id", Col::Text),
            ("user_id", Col::Text),
            ("handle", Col::Text),
        ],
    ),
    (
        "consents",
        "SELECT version, consented_at FROM consents \
         WHERE community_id = $1 AND member_id = $2 ORDER BY version",
        &[("version", Col::Int), ("consented_at", Col::Time)],
    ),
    (
        "member_settings",
        "SELECT broadcasts FROM member_settings WHERE community_id = $1 AND member_id = $2",
        &[("broadcasts", Col::Bool)],
    ),
    (
        "events",
        "SELECT id, title, starts_at, created_at FROM events \
         WHERE community_id = $1 AND created_by = $2 ORDER BY id",
        &[
            ("id", Col::Int),
            ("title", Col::Text),
            ("starts_at", Col::Time),
            ("created_at", Col::Time),
        ],
    ),
    (
        "rsvps",
        "SELECT event_id, occurrence, state, since FROM rsvps \
         WHERE community_id = $1 AND member_id = $2 ORDER BY event_id, occurrence",
        &[
            ("event_id", Col::Int),
            ("occurrence", Col::Time),
            ("state", Col::Text),
            ("since", Col::Time),
        ],
    ),
    (
        "blocks",
        "SELECT blocked_id, created_at FROM blocks \
         WHERE community_id = $1 AND blocker_id = $2 ORDER BY created_at",
        &[("blocked_id", Col::Int), ("created_at", Col::Time)],
    ),
    (
        "intros",
        "SELECT id, CASE WHEN requester_id = $2 THEN 'requester' ELSE 'asked' END AS my_part, \
         why, status, CASE WHEN first_id = $2 THEN first_answer \
         WHEN second_id = $2 THEN second_answer END AS my_answer, created_at, decided_at \
         FROM intros WHERE community_id = $1 \
         AND (requester_id = $2 OR first_id = $2 OR second_id = $2) ORDER BY id",
        &[
            ("id", Col::Int),
            ("my_part", Col::Text),
            ("why", Col::Text),
            ("status", Col::Text),
            ("my_answer", Col::Text),
            ("created_at", Col::Time),
            ("decided_at", Col::Time),
        ],
    ),
    (
        "coffee_members",
        "SELECT active, paused_until, ignored_rounds, joined_at FROM coffee_members \
         WHERE community_id = $1 AND member_id = $2",
        &[
            ("active", Col::Bool),
            ("paused_until", Col::Time),
            ("ignored_rounds", Col::Int),
            ("joined_at", Col::Time),
        ],
    ),
    (
        "coffee_skips",
        "SELECT round_at FROM coffee_skips WHERE community_id = $1 AND member_id = $2 \
         ORDER BY round_at",
        &[("round_at", Col::Time)],
    ),
    (
        "coffee_group_members",
        "SELECT g.round_at, m.met FROM coffee_group_members m \
         JOIN coffee_groups g ON g.id = m.group_id \
         WHERE g.community_id = $1 AND m.member_id = $2 ORDER BY g.round_at",
        &[("round_at", Col::Time), ("met", Col::Text)],
    ),
    (
        "jobs",
        "SELECT kind, state, due_at FROM jobs WHERE community_id = $1 AND member_id = $2 \
         ORDER BY id",
        &[
            ("kind", Col::Text),
            ("state", Col::Text),
            ("due_at", Col::Time),
        ],
    ),
    (
        "roster",
        "SELECT name, email, handle, department, joined_year, left_year, role, imported_at \
         FROM roster WHERE community_id = $1 AND member_id = $2 ORDER BY id",
        &[
            ("name", Col::Text),
            ("email", Col::Text),
            ("handle", Col::Text),
            ("department", Col::Text),
            ("joined_year", Col::Int),
            ("left_year", Col::Int),
            ("role", Col::Text),
            ("imported_at", Col::Time),
        ],
    ),
    (
        "opportunities",
        "SELECT id, title, kind, details, created_at FROM opportunities \
         WHERE community_id = $1 AND poster_id = $2 ORDER BY id",
        &[
            ("id", Col::Int),
            ("title", Col::Text),
            ("kind", Col::Text),
            ("details", Col::Text),
            ("created_at", Col::Time),
        ],
    ),
    (
        "opportunity_interest",
        "SELECT opportunity_id, created_at FROM opportunity_interest \
         WHERE community_id = $1 AND member_id = $2 ORDER BY opportunity_id",
        &[("opportunity_id", Col::Int), ("created_at", Col::Time)],
    ),
    (
        "audit_log",
        "SELECT CASE WHEN actor_id = $2 THEN 'actor' ELSE 'subject' END AS my_part, action, \
         detail, created_at FROM audit_log \
         WHERE community_id = $1 AND (actor_id = $2 OR target_id = $2) ORDER BY id",
        &[
            ("my_part", Col::Text),
            ("action", Col::Text),
            ("detail", Col::Text),
            ("created_at", Col::Time),
        ],
    ),
];

/// What erasure deletes besides the member row, identities and search entry (in this order;
/// `$1` = community, `$2` = member). Counts are taken first (see `ANON_COUNTS`).
pub(crate) const ERASE: &[&str] = &[
    "DELETE FROM rsvps WHERE community_id = $1 AND member_id = $2",
    "DELETE FROM intros WHERE community_id = $1 \
     AND (requester_id = $2 OR first_id = $2 OR second_id = $2)",
    "DELETE FROM blocks WHERE community_id = $1 AND (blocker_id = $2 OR blocked_id = $2)",
    "DELETE FROM coffee_skips WHERE community_id = $1 AND member_id = $2",
    "DELETE FROM coffee_group_members WHERE member_id = $2 \
     AND group_id IN (SELECT id FROM coffee_groups WHERE community_id = $1)",
    "DELETE FROM coffee_members WHERE community_id = $1 AND member_id = $2",
    "DELETE FROM opportunity_interest WHERE community_id = $1 AND member_id = $2",
    "UPDATE opportunities SET poster_id = NULL WHERE community_id = $1 AND poster_id = $2",
    "DELETE FROM consents WHERE community_id = $1 AND member_id = $2",
    "DELETE FROM member_settings WHERE community_id = $1 AND member_id = $2",
    "UPDATE events SET created_by = NULL WHERE community_id = $1 AND created_by = $2",
    "UPDATE audit_log SET actor_id = NULL WHERE community_id = $1 AND actor_id = $2",
    "UPDATE audit_log SET target_id = NULL WHERE community_id = $1 AND target_id = $2",
    "DELETE FROM jobs WHERE community_id = $1 AND member_id = $2",
    // HR's roster row is HR's own record and stays; it loses its link to them and its code.
    "UPDATE roster SET member_id = NULL, code = NULL WHERE community_id = $1 AND member_id = $2",
    // Wrong invite codes they typed (by identity, so before the identities go).
    "DELETE FROM roster_code_failures WHERE community_id = $1 AND user_id IN \
     (SELECT user_id FROM identities i WHERE i.community_id = $1 AND i.member_id = $2 \
     AND i.platform = roster_code_failures.platform)",
];

/// Totals kept after erasure: (name prefix, SQL returning (suffix, count)).
pub(crate) const ANON_COUNTS: &[(&str, &str)] = &[
    (
        "rsvps.",
        "SELECT state, COUNT(*) FROM rsvps WHERE community_id = $1 AND member_id = $2 \
         GROUP BY state",
    ),
    (
        "intros.",
        "SELECT status, COUNT(*) FROM intros WHERE community_id = $1 AND requester_id = $2 \
         GROUP BY status",
    ),
    (
        "job_interest.",
        "SELECT 'count', COUNT(*) FROM opportunity_interest \
         WHERE community_id = $1 AND member_id = $2 HAVING COUNT(*) > 0",
    ),
    (
        "coffee.met.",
        "SELECT COALESCE(m.met, 'unanswered'), COUNT(*) FROM coffee_group_members m \
         JOIN coffee_groups g ON g.id = m.group_id WHERE g.community_id = $1 \
         AND m.member_id = $2 GROUP BY COALESCE(m.met, 'unanswered')",
    ),
];

#[async_trait]
pub trait PrivacyStore: Send + Sync {
    /// The newest version of the community's stated purpose.
    async fn purpose(&self, community: CommunityId) -> StoreResult<Option<Purpose>>;
    /// Publish a new version (the previous number + 1); the admin who wrote it consents to it.
    async fn publish_purpose(
        &self,
        community: CommunityId,
        text: &str,
        by: MemberId,
        now: DateTime<Utc>,
    ) -> StoreResult<Purpose>;
    /// The newest purpose version the member consented to.
    async fn consented_version(
        &self,
        community: CommunityId,
        member: MemberId,
    ) -> StoreResult<Option<i64>>;
    async fn record_consent(
        &self,
        community: CommunityId,
        member: MemberId,
        version: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    async fn audit(&self, entry: &NewAudit) -> StoreResult<()>;
    /// Newest first.
    async fn audit_entries(
        &self,
        community: CommunityId,
        limit: u32,
        offset: u32,
    ) -> StoreResult<Vec<AuditEntry>>;

    /// Whether the member receives admins' broadcasts (yes unless they turned them off).
    async fn broadcasts_on(&self, community: CommunityId, member: MemberId) -> StoreResult<bool>;
    async fn set_broadcasts(
        &self,
        community: CommunityId,
        member: MemberId,
        on: bool,
    ) -> StoreResult<()>;

    /// Every row about the member outside the member row itself, by table (see [`MY_DATA`]).
    async fn my_data(
        &self,
        community: CommunityId,
        member: MemberId,
    ) -> StoreResult<serde_json::Map<String, serde_json::Value>>;

    /// Erase a member from every table in one transaction, adding what they contributed to
    /// the community's anonymous counts. Pending notices to others that name them (by
    /// `names`: display name and handles) are dropped too.
    async fn erase_everywhere(
        &self,
        community: CommunityId,
        member: MemberId,
        names: &[String],
    ) -> StoreResult<()>;
    /// The community's anonymous totals, by name.
    async fn anonymous_counts(&self, community: CommunityId) -> StoreResult<Vec<(String, i64)>>;
}

macro_rules! impl_privacy_store {
    ($store:ty, $db:ty, $row:ty) => {
        impl $store {
            fn my_data_value(
                row: &$row,
                name: &str,
                col: $crate::store::privacy::Col,
            ) -> $crate::store::StoreResult<serde_json::Value> {
                use $crate::store::privacy::Col;
                use serde_json::Value;
                use sqlx::Row;
                Ok(match col {
                    Col::Text => row
                        .try_get::<Option<String>, _>(name)?
                        .map_or(Value::Null, Value::String),
                    // PostgreSQL INTEGER columns are 32-bit; SQLite's are all 64-bit.
                    Col::Int => match row.try_get::<Option<i64>, _>(name) {
                        Ok(v) => v.map_or(Value::Null, Value::from),
                        Err(_) => row
                            .try_get::<Option<i32>, _>(name)?
                            .map_or(Value::Null, Value::from),
                    },
                    Col::Bool => row
                        .try_get::<Option<bool>, _>(name)?
                        .map_or(Value::Null, Value::Bool),
                    Col::Time => row
                        .try_get::<Option<chrono::DateTime<chrono::Utc>>, _>(name)?
                        .map_or(Value::Null, |t| Value::String(t.to_rfc3339())),
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::PrivacyStore for $store {
            async fn purpose(
                &self,
                community: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::Purpose>> {
                use sqlx::Row;
                let fetch = async {
                    let row = sqlx::query(
                        "SELECT version, text, created_at FROM community_purposes \
                         WHERE community_id = $1 ORDER BY version DESC LIMIT 1",
                    )
                    .bind(community)
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(|r| {
                        Ok($crate::store::Purpose {
                            version: r.try_get("version")?,
                            text: r.try_get("text")?,
                            created_at: r.try_get("created_at")?,
                        })
                    })
                    .transpose()
                };
                self.live
                    .read_through(
                        self,
                        |v| v.purpose(community),
                        fetch,
                        |w, found| w.purpose(community, found),
                    )
                    .await
            }

            async fn publish_purpose(
                &self,
                community: i64,
                text: &str,
                by: i64,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<$crate::store::Purpose> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let version: i64 = sqlx::query_scalar(
                    "INSERT INTO community_purposes (community_id, version, text, created_at) \
                     SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3 FROM community_purposes \
                     WHERE community_id = $1 RETURNING version",
                )
                .bind(community)
                .bind(text)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO consents (community_id, member_id, version, consented_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (member_id, version) DO NOTHING",
                )
                .bind(community)
                .bind(by)
                .bind(version)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok($crate::store::Purpose {
                    version,
                    text: text.to_owned(),
                    created_at: now,
                })
            }

            async fn consented_version(
                &self,
                community: i64,
                member: i64,
            ) -> $crate::store::StoreResult<Option<i64>> {
                let fetch = async {
                    Ok(sqlx::query_scalar(
                        "SELECT MAX(version) FROM consents WHERE community_id = $1 AND member_id = $2",
                    )
                    .bind(community)
                    .bind(member)
                    .fetch_one(&self.pool)
                    .await?)
                };
                self.live
                    .read_through(
                        self,
                        |v| v.consent(member),
                        fetch,
                        |w, found: &Option<i64>| w.consent(member, *found),
                    )
                    .await
            }

            async fn record_consent(
                &self,
                community: i64,
                member: i64,
                version: i64,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO consents (community_id, member_id, version, consented_at) \
                     SELECT $1, $2, $3, $4 WHERE EXISTS \
                     (SELECT 1 FROM members WHERE id = $2 AND community_id = $1) \
                     ON CONFLICT (member_id, version) DO NOTHING",
                )
                .bind(community)
                .bind(member)
                .bind(version)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn audit(
                &self,
                e: &$crate::store::NewAudit,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO audit_log (community_id, actor_id, action, target_id, detail, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(e.community)
                .bind(e.actor)
                .bind(&e.action)
                .bind(e.target)
                .bind(&e.detail)
                .bind(e.at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn audit_entries(
                &self,
                community: i64,
                limit: u32,
                offset: u32,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AuditEntry>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, actor_id, action, target_id, detail, created_at FROM audit_log \
                     WHERE community_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
                )
                .bind(community)
                .bind(i64::from(limit))
                .bind(i64::from(offset))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::store::AuditEntry {
                            id: r.try_get("id")?,
                            actor: r.try_get("actor_id")?,
                            action: r.try_get("action")?,
                            target: r.try_get("target_id")?,
                            detail: r.try_get("detail")?,
                            at: r.try_get("created_at")?,
                        })
                    })
                    .collect()
            }

            async fn broadcasts_on(
                &self,
                community: i64,
                member: i64,
            ) -> $crate::store::StoreResult<bool> {
                let on: Option<bool> = sqlx::query_scalar(
                    "SELECT broadcasts FROM member_settings \
                     WHERE community_id = $1 AND member_id = $2",
                )
                .bind(community)
                .bind(member)
                .fetch_optional(&self.pool)
                .await?;
                Ok(on.unwrap_or(true))
            }

            async fn set_broadcasts(
                &self,
                community: i64,
                member: i64,
                on: bool,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO member_settings (member_id, community_id, broadcasts) \
                     SELECT $2, $1, $3 WHERE EXISTS \
                     (SELECT 1 FROM members WHERE id = $2 AND community_id = $1) \
                     ON CONFLICT (member_id) DO UPDATE SET broadcasts = excluded.broadcasts",
                )
                .bind(community)
                .bind(member)
                .bind(on)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn my_data(
                &self,
                community: i64,
                member: i64,
            ) -> $crate::store::StoreResult<serde_json::Map<String, serde_json::Value>> {
                let mut out = serde_json::Map::new();
                for (section, sql, cols) in $crate::store::privacy::MY_DATA {
                    let rows = sqlx::query(*sql)
                        .bind(community)
                        .bind(member)
                        .fetch_all(&self.pool)
                        .await?;
                    let mut list = Vec::with_capacity(rows.len());
                    for row in &rows {
                        let mut obj = serde_json::Map::new();
                        for (name, col) in *cols {
                            obj.insert((*name).to_owned(), Self::my_data_value(row, name, *col)?);
                        }
                        list.push(serde_json::Value::Object(obj));
                    }
                    out.insert((*section).to_owned(), serde_json::Value::Array(list));
                }
                Ok(out)
            }

            async fn erase_everywhere(
                &self,
                community: i64,
                member: i64,
                names: &[String],
            ) -> $crate::store::StoreResult<()> {
                use sqlx::Row;
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                if !Self::member_in(&mut tx, community, member).await? {
                    return Ok(());
                }
                let mut counts: Vec<(String, i64)> = vec![("erased".to_owned(), 1)];
                for (prefix, sql) in $crate::store::privacy::ANON_COUNTS {
                    let rows = sqlx::query(*sql)
                        .bind(community)
                        .bind(member)
                        .fetch_all(&mut *tx)
                        .await?;
                    for r in rows {
                        let what: String = r.try_get(0)?;
                        let n: i64 = r.try_get(1)?;
                        counts.push((format!("{prefix}{what}"), n));
                    }
                }
                for (what, n) in &counts {
                    sqlx::query(
                        "INSERT INTO anonymous_counts (community_id, what, n) VALUES ($1, $2, $3) \
                         ON CONFLICT (community_id, what) DO UPDATE \
                         SET n = anonymous_counts.n + excluded.n",
                    )
                    .bind(community)
                    .bind(what)
                    .bind(n)
                    .execute(&mut *tx)
                    .await?;
                }
                for sql in $crate::store::privacy::ERASE {
                    sqlx::query(*sql)
                        .bind(community)
                        .bind(member)
                        .execute(&mut *tx)
                        .await?;
                }
                // Notices still to be sent to others that name them ("X asks to join",
                // an introduction with their summary). Finished jobs keep no payload.
                for name in names.iter().filter(|n| n.chars().count() >= 2) {
                    let pattern = format!(
                        "%{}%",
                        name.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
                    );
                    sqlx::query(
                        "DELETE FROM jobs WHERE community_id = $1 AND state = 'pending' \
                         AND payload LIKE $2 ESCAPE '\\'",
                    )
                    .bind(community)
                    .bind(pattern)
                    .execute(&mut *tx)
                    .await?;
                }
                Self::delete_member_rows(&mut tx, community, member).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn anonymous_counts(
                &self,
                community: i64,
            ) -> $crate::store::StoreResult<Vec<(String, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT what, n FROM anonymous_counts WHERE community_id = $1 ORDER BY what",
                )
                .bind(community)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

pub(crate) use impl_privacy_store;
