//! The SQL both backends share, written once. `$N` placeholders work on SQLite and PostgreSQL
//! alike; what differs (search, the claim's row lock) is passed in or lives in each backend.

/// Implements `Store` for `$store` (with a `pool` field) over database `$db`. The backend
/// provides `write_search`, `delete_search` and `search_page`; `$claim_lock` is appended to the
/// claim's inner SELECT (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
macro_rules! impl_store {
    ($store:ty, $db:ty, $row:ty, $claim_lock:literal) => {
        impl $store {
            fn member_from_row(row: &$row) -> $crate::store::StoreResult<$crate::domain::Member> {
                use sqlx::Row;
                $crate::store::rows::MemberColumns {
                    id: row.try_get("id")?,
                    community_id: row.try_get("community_id")?,
                    status: row.try_get("status")?,
                    role: row.try_get("role")?,
                    name: row.try_get("name")?,
                    department: row.try_get("department")?,
                    joined_year: row.try_get("joined_year")?,
                    left_year: row.try_get("left_year")?,
                    company: row.try_get("company")?,
                    title: row.try_get("title")?,
                    industry: row.try_get("industry")?,
                    location: row.try_get("location")?,
                    skills: row.try_get("skills")?,
                    interests: row.try_get("interests")?,
                    open_to: row.try_get("open_to")?,
                    bio: row.try_get("bio")?,
                    hidden: row.try_get("hidden")?,
                    locale: row.try_get("locale")?,
                    created_at: row.try_get("created_at")?,
                    handle: row.try_get("handle")?,
                    timezone: row.try_get("timezone")?,
                }
                .into_member()
            }

            fn community_from_row(
                row: &$row,
            ) -> $crate::store::StoreResult<$crate::domain::Community> {
                use sqlx::Row;
                let locale: String = row.try_get("locale")?;
                Ok($crate::domain::Community {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    locale: locale.parse().map_err(|_| {
                        $crate::error::StoreError::Corrupt(format!("locale {locale:?}"))
                    })?,
                    timezone: row.try_get("timezone")?,
                    requires_approval: row.try_get("requires_approval")?,
                    intro_days: i64::from(row.try_get::<i32, _>("intro_days")?),
                    intro_limit: u32::try_from(row.try_get::<i32, _>("intro_limit")?).unwrap_or(5),
                    employee_intros: row.try_get("employee_intros")?,
                    nudge_days: i64::from(row.try_get::<i32, _>("nudge_days")?),
                    welcome_channel: row.try_get("welcome_channel")?,
                    member_role: row.try_get("member_role")?,
                })
            }

            fn job_from_row(row: &$row) -> $crate::store::StoreResult<$crate::jobs::Job> {
                use sqlx::Row;
                let payload: String = row.try_get("payload")?;
                Ok($crate::jobs::Job {
                    id: row.try_get("id")?,
                    community_id: row.try_get("community_id")?,
                    payload: serde_json::from_str(&payload).map_err(|e| {
                        $crate::error::StoreError::Corrupt(format!("job payload: {e}"))
                    })?,
                    key: row.try_get("idempotency_key")?,
                    due_at: row.try_get("due_at")?,
                    valid_until: row.try_get("valid_until")?,
                    attempts: row.try_get("attempts")?,
                    first_tried_at: row.try_get("first_tried_at")?,
                })
            }

            async fn insert_jobs(
                conn: &mut <$db as sqlx::Database>::Connection,
                jobs: &[$crate::jobs::NewJob],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<()> {
                for job in jobs {
                    let payload = serde_json::to_string(&job.payload).map_err(|e| {
                        $crate::error::StoreError::Corrupt(format!("job payload: {e}"))
                    })?;
                    // A job with the same key already exists: the change was replayed
                    // (a retried request); keep the first. A coalescing job (a refresh) is
                    // instead made due again, taking it from a worker that may have rendered
                    // it already, so the last change is always shown.
                    let sql = if job.coalesces() {
                        "INSERT INTO jobs (community_id, member_id, event_id, kind, payload, \
                         idempotency_key, due_at, valid_until, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (idempotency_key) DO UPDATE SET state = 'pending', \
                         due_at = excluded.due_at, valid_until = excluded.valid_until, \
                         payload = excluded.payload, attempts = 0, first_tried_at = NULL, \
                         lease_owner = NULL, lease_until = NULL, finished_at = NULL"
                    } else {
                        "INSERT INTO jobs (community_id, member_id, event_id, kind, payload, \
                         idempotency_key, due_at, valid_until, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (idempotency_key) DO NOTHING"
                    };
                    sqlx::query(sql)
                    .bind(job.community_id)
                    .bind(job.member_id)
                    .bind(job.event_id)
                    .bind(job.kind())
                    .bind(payload)
                    .bind(&job.key)
                    .bind(job.due_at)
                    .bind(job.valid_until)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }

            /// A new member, their identity, search entry and jobs, and (with `claim`) their
            /// roster row claimed, in one transaction: `None` (nothing written) if the claim
            /// failed.
            pub(crate) async fn insert_member_claiming(
                &self,
                community: $crate::domain::CommunityId,
                new: &$crate::store::NewMember,
                claim: Option<&$crate::store::RosterClaim>,
                jobs: &$crate::store::JobsFor,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Option<$crate::domain::Member>> {
                use $crate::store::rows::stored_list;
                let p = &new.profile;
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO members (community_id, status, role, name, department, \
                     joined_year, left_year, company, title, industry, location, skills, \
                     interests, open_to, bio, hidden, locale, created_at, updated_at, timezone) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     '', $16, $17, $17, $18) RETURNING id",
                )
                .bind(community)
                .bind(new.status.as_str())
                .bind(new.role.as_str())
                .bind(&p.name)
                .bind(&p.department)
                .bind(p.joined)
                .bind(p.left)
                .bind(&p.company)
                .bind(&p.title)
                .bind(&p.industry)
                .bind(&p.location)
                .bind(stored_list(&p.skills))
                .bind(stored_list(&p.interests))
                .bind(stored_list(&p.open_to.iter().map(|o| o.as_str()).collect::<Vec<_>>()))
                .bind(&p.bio)
                .bind(new.locale.map(|l| l.as_str()))
                .bind(now)
                .bind(&new.timezone)
                .fetch_one(&mut *tx)
                .await?;
                let ident = &new.identity;
                sqlx::query(
                    "INSERT INTO identities (community_id, member_id, platform, space_id, \
                     user_id, handle, handle_lower) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(community)
                .bind(id)
                .bind(ident.platform.as_str())
                .bind(&ident.space_id)
                .bind(&ident.user_id)
                .bind(&ident.handle)
                .bind(ident.handle.to_lowercase())
                .execute(&mut *tx)
                .await?;
                if let Some(claim) = claim
                    && !Self::claim_roster_in(&mut tx, community, id, ident, claim).await?
                {
                    return Ok(None);
                }
                let member = Self::fetch_member(&mut tx, community, id)
                    .await?
                    .ok_or_else(|| $crate::error::StoreError::Corrupt("inserted member".into()))?;
                Self::write_search(&mut tx, &member).await?;
                // The jobs name the member (ids, buttons), which exists only now.
                Self::insert_jobs(&mut tx, &jobs(&member), now).await?;
                tx.commit().await?;
                Ok(Some(member))
            }

            async fn fetch_member(
                conn: &mut <$db as sqlx::Database>::Connection,
                community: $crate::domain::CommunityId,
                id: $crate::domain::MemberId,
            ) -> $crate::store::StoreResult<Option<$crate::domain::Member>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    $crate::store::rows::member_columns!(),
                    " FROM members m WHERE m.community_id = $1 AND m.id = $2"
                ))
                .bind(community)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
                row.as_ref().map(Self::member_from_row).transpose()
            }

            /// Rebuild every search document written under an older
            /// [`crate::search::INDEX_VERSION`] (the tokenizer changed), with the same
            /// `write_search` as every other write. Instances that start together may both do
            /// it; the result is the same.
            async fn reindex_search(&self) -> $crate::store::StoreResult<()> {
                let version: i64 = sqlx::query_scalar("SELECT version FROM search_index_version")
                    .fetch_one(&self.pool)
                    .await?;
                if version >= $crate::search::INDEX_VERSION {
                    return Ok(());
                }
                let mut after: $crate::domain::MemberId = 0;
                loop {
                    let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                    let rows = sqlx::query(concat!(
                        "SELECT ",
                        $crate::store::rows::member_columns!(),
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
                            .bind($crate::search::INDEX_VERSION)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    if rows.is_empty() {
                        return Ok(());
                    }
                }
            }

            /// Whether a search in `community` should carry the community's term (see
            /// `search_sql::Majority`).
            async fn scope_by_term(
                &self,
                community: $crate::domain::CommunityId,
            ) -> $crate::store::StoreResult<bool> {
                if let Some(majority) = self.majority.known(community) {
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
                self.majority.remember(community, majority);
                Ok(!majority)
            }

            /// Whether `member` belongs to `community` (erasure scoped by community).
            async fn member_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                community: $crate::domain::CommunityId,
                member: $crate::domain::MemberId,
            ) -> $crate::store::StoreResult<bool> {
                let exists: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM members WHERE community_id = $1 AND id = $2",
                )
                .bind(community)
                .bind(member)
                .fetch_optional(&mut *conn)
                .await?;
                Ok(exists.is_some())
            }

            /// The member row and what hangs on it directly: search entry, jobs addressed
            /// to them, identities. Both erasures end here.
            async fn delete_member_rows(
                conn: &mut <$db as sqlx::Database>::Connection,
                community: $crate::domain::CommunityId,
                member: $crate::domain::MemberId,
            ) -> $crate::store::StoreResult<()> {
                Self::delete_search(&mut *conn, member).await?;
                for sql in [
                    "DELETE FROM jobs WHERE community_id = $1 AND member_id = $2",
                    "DELETE FROM identities WHERE community_id = $1 AND member_id = $2",
                    "DELETE FROM members WHERE community_id = $1 AND id = $2",
                ] {
                    sqlx::query(sql)
                        .bind(community)
                        .bind(member)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            }

            /// A page of member rows, with the matches counted up to the limit.
            fn page(
                rows: &[$row],
                found: i64,
            ) -> $crate::store::StoreResult<$crate::store::SearchPage> {
                let found = u64::try_from(found).unwrap_or(0);
                let limit = $crate::store::SEARCH_COUNT_LIMIT;
                Ok($crate::store::SearchPage {
                    members: rows
                        .iter()
                        .map(Self::member_from_row)
                        .collect::<Result<_, _>>()?,
                    total: found.min(limit),
                    total_exact: found <= limit,
                })
            }

            async fn members_where(
                &self,
                sql: &'static str,
                community: $crate::domain::CommunityId,
                value: &str,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::Member>> {
                let rows = sqlx::query(sql)
                    .bind(community)
                    .bind(value)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::member_from_row).collect()
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            async fn community_for_space_at(
                &self,
                platform: $crate::domain::Platform,
                space_id: &str,
                defaults: &$crate::store::NewCommunity,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<$crate::domain::Community> {
                let fetch = async {
                    const SELECT: &str = "SELECT c.* FROM spaces s \
                        JOIN communities c ON c.id = s.community_id \
                        WHERE s.platform = $1 AND s.space_id = $2";
                    if let Some(row) = sqlx::query(SELECT)
                        .bind(platform.as_str())
                        .bind(space_id)
                        .fetch_optional(&self.pool)
                        .await?
                    {
                        return Self::community_from_row(&row);
                    }
                    let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO communities (name, locale, timezone, requires_approval, \
                         created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(&defaults.name)
                    .bind(defaults.locale.as_str())
                    .bind(&defaults.timezone)
                    .bind(defaults.requires_approval)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    let claimed = sqlx::query(
                        "INSERT INTO spaces (platform, space_id, community_id) VALUES ($1, $2, $3) \
                         ON CONFLICT (platform, space_id) DO NOTHING",
                    )
                    .bind(platform.as_str())
                    .bind(space_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if claimed == 1 {
                        tx.commit().await?;
                    } else {
                        // Another instance created it first; use theirs.
                        tx.rollback().await?;
                    }
                    let row = sqlx::query(SELECT)
                        .bind(platform.as_str())
                        .bind(space_id)
                        .fetch_one(&self.pool)
                        .await?;
                    Self::community_from_row(&row)
                };
                self.live
                    .read_through(
                        self,
                        |v| v.community(platform, space_id),
                        fetch,
                        |w, found| w.community(platform, space_id, found),
                    )
                    .await
            }

            async fn update_community(
                &self,
                c: &$crate::domain::Community,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE communities SET name = $1, locale = $2, timezone = $3, \
                     requires_approval = $4, intro_days = $6, intro_limit = $7, \
                     employee_intros = $8, nudge_days = $9, welcome_channel = $10, \
                     member_role = $11 WHERE id = $5",
                )
                .bind(&c.name)
                .bind(c.locale.as_str())
                .bind(&c.timezone)
                .bind(c.requires_approval)
                .bind(c.id)
                .bind(i32::try_from(c.intro_days).unwrap_or(7))
                .bind(i32::try_from(c.intro_limit).unwrap_or(5))
                .bind(c.employee_intros)
                .bind(i32::try_from(c.nudge_days).unwrap_or(182))
                .bind(&c.welcome_channel)
                .bind(&c.member_role)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn community(
                &self,
                id: $crate::domain::CommunityId,
            ) -> $crate::store::StoreResult<Option<$crate::domain::Community>> {
                let row = sqlx::query(
                    "SELECT * FROM communities WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::community_from_row).transpose()
            }

            async fn member(
                &self,
                community: $crate::domain::CommunityId,
                id: $crate::domain::MemberId,
            ) -> $crate::store::StoreResult<Option<$crate::domain::Member>> {
                let mut conn = self.pool.acquire().await?;
                Self::fetch_member(&mut conn, community, id).await
            }

            async fn member_by_identity(
                &self,
                community: $crate::domain::CommunityId,
                platform: $crate::domain::Platform,
                user_id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::domain::Member>> {
                let fetch = async {
                    let row = sqlx::query(concat!(
                        "SELECT ",
                        $crate::store::rows::member_columns!(),
                        " FROM identities x JOIN members m ON m.id = x.member_id \
                         WHERE x.community_id = $1 AND x.platform = $2 AND x.user_id = $3"
                    ))
                    .bind(community)
                    .bind(platform.as_str())
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await?;
                    row.as_ref().map(Self::member_from_row).transpose()
                };
                self.live
                    .read_through(
                        self,
                        |v| v.member(community, platform, user_id).map(Some),
                        fetch,
                        |w, found| {
                            if let Some(m) = found {
                                w.member(platform, user_id, m)
                            }
                        },
                    )
                    .await
            }

            async fn member_by_handle(
                &self,
                community: $crate::domain::CommunityId,
                handle: &str,
            ) -> $crate::store::StoreResult<Option<$crate::domain::Member>> {
                let found = self
                    .members_where(
                        concat!(
                            "SELECT ",
                            $crate::store::rows::member_columns!(),
                            " FROM members m WHERE m.community_id = $1 AND m.id IN \
                             (SELECT x.member_id FROM identities x WHERE x.community_id = $1 \
                              AND (x.user_id = $2 OR x.handle_lower = $2)) \
                             ORDER BY m.id LIMIT $3"
                        ),
                        community,
                        &handle.to_lowercase(),
                        1,
                    )
                    .await?;
                if let Some(m) = found.into_iter().next() {
                    return Ok(Some(m));
                }
                // Platform ids are case-sensitive (Slack U0ABC): try the exact spelling too.
                self.members_where(
                    concat!(
                        "SELECT ",
                        $crate::store::rows::member_columns!(),
                        " FROM members m WHERE m.community_id = $1 AND m.id IN \
                         (SELECT x.member_id FROM identities x WHERE x.community_id = $1 \
                          AND x.user_id = $2) ORDER BY m.id LIMIT $3"
                    ),
                    community,
                    handle,
                    1,
                )
                .await
                .map(|v| v.into_iter().next())
            }

            async fn members_by_handle(
                &self,
                community: $crate::domain::CommunityId,
                handle: &str,
                limit: u32,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::Member>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    $crate::store::rows::member_columns!(),
                    " FROM members m WHERE m.community_id = $1 AND m.id IN \
                     (SELECT x.member_id FROM identities x WHERE x.community_id = $1 \
                      AND (x.user_id = $2 OR x.user_id = $3 OR x.handle_lower = $3)) \
                     ORDER BY m.id LIMIT $4"
                ))
                .bind(community)
                .bind(handle)
                .bind(handle.to_lowercase())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::member_from_row).collect()
            }

            async fn identities(
                &self,
                community: $crate::domain::CommunityId,
                member: $crate::domain::MemberId,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::Identity>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT platform, space_id, user_id, handle FROM identities \
                     WHERE community_id = $1 AND member_id = $2 ORDER BY platform, user_id",
                )
                .bind(community)
                .bind(member)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        let platform: String = r.try_get("platform")?;
                        Ok($crate::domain::Identity {
                            platform: platform.parse().map_err(|_| {
                                $crate::error::StoreError::Corrupt(format!(
                                    "platform {platform:?}"
                                ))
                            })?,
                            space_id: r.try_get("space_id")?,
                            user_id: r.try_get("user_id")?,
                            handle: r.try_get("handle")?,
                        })
                    })
                    .collect()
            }

            async fn insert_member(
                &self,
                community: $crate::domain::CommunityId,
                new: &$crate::store::NewMember,
                jobs: &$crate::store::JobsFor,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<$crate::domain::Member> {
                self.insert_member_claiming(community, new, None, jobs, now)
                    .await?
                    .ok_or_else(|| $crate::error::StoreError::Corrupt("no claim, no refusal".into()))
            }

            async fn transition(
                &self,
                community: $crate::domain::CommunityId,
                member: $crate::domain::MemberId,
                from: $crate::domain::MemberStatus,
                to: $crate::domain::MemberStatus,
                jobs: &[$crate::jobs::NewJob],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let changed = sqlx::query(
                    "UPDATE members SET status = $1, updated_at = $2 \
                     WHERE community_id = $3 AND id = $4 AND status = $5",
                )
                .bind(to.as_str())
                .bind(now)
                .bind(community)
                .bind(member)
                .bind(from.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed != 1 {
                    return Ok(false);
                }
                Self::insert_jobs(&mut tx, jobs, now).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn set_role(
                &self,
                community: $crate::domain::CommunityId,
                member: $crate::domain::MemberId,
                role: $crate::domain::Role,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                // A role given by hand is for good: no longer only the platform's.
                sqlx::query(
                    "UPDATE members SET role = $1, updated_at = $2, admin_source = NULL \
                     WHERE community_id = $3 AND id = $4",
                )
                .bind(role.as_str())
                .bind(now)
                .bind(community)
                .bind(member)
                .execute(&mut *tx)
                .await?;
                if let Some(m) = Self::fetch_member(&mut tx, community, member).await? {
                    Self::write_search(&mut tx, &m).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn admin_source(
                &self,
                community: $crate::domain::CommunityId,
                member: $crate::domain::MemberId,
            ) -> $crate::store::StoreResult<Option<String>> {
                let fetch = async {
                    let source: Option<Option<String>> = sqlx::query_scalar(
                        "SELECT admin_source FROM members WHERE community_id = $1 AND id = $2",
                    )
                    .bind(community)
                    .bind(member)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(source.flatten())
                };
                self.live
                    .read_through(
                        self,
                        |v| v.admin_source(community, member),
                        fetch,
                        |w, found| w.admin_source(community, member, found),
                    )
                    .await
            }

            async fn set_admin_source(
                &self,
                community: $crate::domain::CommunityId,
                member: $crate::domain::MemberId,
                source: Option<&str>,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE members SET admin_source = $1 WHERE community_id = $2 AND id = $3",
                )
                .bind(source)
                .bind(community)
                .bind(member)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn update_profile(
                &self,
                m: &$crate::domain::Member,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<()> {
                use $crate::store::rows::stored_list;
                let p = &m.profile;
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                sqlx::query(
                    "UPDATE members SET name = $1, department = $2, joined_year = $3, \
                     left_year = $4, company = $5, title = $6, industry = $7, location = $8, \
                     skills = $9, interests = $10, open_to = $11, bio = $12, hidden = $13, \
                     locale = $14, updated_at = $15, timezone = $18 \
                     WHERE community_id = $16 AND id = $17",
                )
                .bind(&p.name)
                .bind(&p.department)
                .bind(p.joined)
                .bind(p.left)
                .bind(&p.company)
                .bind(&p.title)
                .bind(&p.industry)
                .bind(&p.location)
                .bind(stored_list(&p.skills))
                .bind(stored_list(&p.interests))
                .bind(stored_list(&p.open_to.iter().map(|o| o.as_str()).collect::<Vec<_>>()))
                .bind(&p.bio)
                .bind(stored_list(&m.hidden.iter().map(|f| f.as_str()).collect::<Vec<_>>()))
                .bind(m.locale.map(|l| l.as_str()))
                .bind(now)
                .bind(m.community_id)
                .bind(m.id)
                .bind(&m.timezone)
                .execute(&mut *tx)
                .await?;
                // Index the row as stored, not `m`: `m` may be stale (its role changed since it
                // was read), or not of this community (then nothing was updated, and the real
                // member's search entry must stay).
                if let Some(stored) = Self::fetch_member(&mut tx, m.community_id, m.id).await? {
                    Self::write_search(&mut tx, &stored).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn update_handle(
                &self,
                community: $crate::domain::CommunityId,
                ident: &$crate::domain::Identity,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE identities SET handle = $1, handle_lower = $2 \
                     WHERE community_id = $3 AND platform = $4 AND user_id = $5",
                )
                .bind(&ident.handle)
                .bind(ident.handle.to_lowercase())
                .bind(community)
                .bind(ident.platform.as_str())
                .bind(&ident.user_id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn members_with_status(
                &self,
                community: $crate::domain::CommunityId,
                status: $crate::domain::MemberStatus,
                limit: u32,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::Member>> {
                self.members_where(
                    concat!(
                        "SELECT ",
                        $crate::store::rows::member_columns!(),
                        " FROM members m WHERE m.community_id = $1 AND m.status = $2 \
                         ORDER BY m.created_at, m.id LIMIT $3"
                    ),
                    community,
                    status.as_str(),
                    i64::from(limit),
                )
                .await
            }

            async fn members_with_role(
                &self,
                community: $crate::domain::CommunityId,
                role: $crate::domain::Role,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::Member>> {
                self.members_where(
                    concat!(
                        "SELECT ",
                        $crate::store::rows::member_columns!(),
                        " FROM members m WHERE m.community_id = $1 AND m.role = $2 \
                         AND m.status = 'approved' ORDER BY m.id LIMIT $3"
                    ),
                    community,
                    role.as_str(),
                    1000,
                )
                .await
            }

            async fn search(
                &self,
                community: $crate::domain::CommunityId,
                query: &$crate::store::SearchQuery,
                limit: u32,
                offset: u32,
            ) -> $crate::store::StoreResult<$crate::store::SearchPage> {
                self.search_page(community, query, limit, offset).await
            }

            async fn erase_member(
                &self,
                community: $crate::domain::CommunityId,
                member: $crate::domain::MemberId,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                if Self::member_in(&mut tx, community, member).await? {
                    Self::delete_member_rows(&mut tx, community, member).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn enqueue(
                &self,
                jobs: &[$crate::jobs::NewJob],
            ) -> $crate::store::StoreResult<()> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                // Outside the core: no clock to ask.
                Self::insert_jobs(&mut tx, jobs, chrono::Utc::now()).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn claim_jobs(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                worker: &str,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::store::StoreResult<Vec<$crate::jobs::Job>> {
                let rows = sqlx::query(concat!(
                    "UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1, \
                     first_tried_at = COALESCE(first_tried_at, $3) \
                     WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND due_at <= $3 \
                     AND (lease_until IS NULL OR lease_until < $3) ORDER BY due_at, id LIMIT $4 ",
                    $claim_lock,
                    ") RETURNING id, community_id, payload, idempotency_key, due_at, \
                     valid_until, attempts, first_tried_at"
                ))
                .bind(worker)
                .bind(lease_until)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                let mut jobs = rows
                    .iter()
                    .map(Self::job_from_row)
                    .collect::<Result<Vec<_>, _>>()?;
                jobs.sort_by_key(|j| (j.due_at, j.id));
                Ok(jobs)
            }

            async fn finish_job(
                &self,
                id: i64,
                worker: &str,
                state: $crate::jobs::JobState,
                error: Option<&str>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE jobs SET state = $1, last_error = $2, finished_at = $3, payload = '{}', \
                     lease_owner = NULL, lease_until = NULL \
                     WHERE id = $4 AND lease_owner = $5 AND state = 'pending'",
                )
                .bind(state.as_str())
                .bind(error)
                .bind(now)
                .bind(id)
                .bind(worker)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn finish_delivered(
                &self,
                id: i64,
                worker: &str,
                message_ref: Option<&str>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE jobs SET state = 'done', result_ref = $1, finished_at = $2, payload = '{}', \
                     lease_owner = NULL, lease_until = NULL \
                     WHERE id = $3 AND lease_owner = $4 AND state = 'pending'",
                )
                .bind(message_ref)
                .bind(now)
                .bind(id)
                .bind(worker)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn finish_job_with(
                &self,
                id: i64,
                worker: &str,
                jobs: &[$crate::jobs::NewJob],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = $crate::store::write_tx::BeginWrite::begin_write(&self.pool).await?;
                let n = sqlx::query(
                    "UPDATE jobs SET state = 'done', finished_at = $1, payload = '{}', lease_owner = NULL, \
                     lease_until = NULL WHERE id = $2 AND lease_owner = $3 AND state = 'pending'",
                )
                .bind(now)
                .bind(id)
                .bind(worker)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Ok(false);
                }
                Self::insert_jobs(&mut tx, jobs, now).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn job_outcome(
                &self,
                key: &str,
            ) -> $crate::store::StoreResult<Option<(String, Option<String>)>> {
                use sqlx::Row;
                let row = sqlx::query("SELECT state, result_ref FROM jobs WHERE idempotency_key = $1")
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Ok((r.try_get("state")?, r.try_get("result_ref")?)))
                    .transpose()
            }

            async fn retry_job(
                &self,
                id: i64,
                worker: &str,
                at: chrono::DateTime<chrono::Utc>,
                error: &str,
            ) -> $crate::store::StoreResult<bool> {
                let n = sqlx::query(
                    "UPDATE jobs SET due_at = $1, last_error = $2, lease_owner = NULL, \
                     lease_until = NULL WHERE id = $3 AND lease_owner = $4 AND state = 'pending'",
                )
                .bind(at)
                .bind(error)
                .bind(id)
                .bind(worker)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn next_wake(
                &self,
            ) -> $crate::store::StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
                let due: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
                    "SELECT due_at FROM jobs WHERE state = 'pending' AND lease_until IS NULL \
                     ORDER BY state, due_at LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await?;
                let lease: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
                    "SELECT lease_until FROM jobs WHERE lease_until IS NOT NULL \
                     AND state = 'pending' ORDER BY lease_until LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await?;
                Ok(match (due, lease) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                })
            }
        }
    };
}

pub(crate) use impl_store;
