//! HR's roster as a funnel: importing a CSV (from `/admin import` or the `roster import`
//! CLI), personal invite codes (exported for HR's mail merge, renewed when lost), joining with
//! one, the funnel's counts (`/admin roster`, `/admin stats`), and exporting members with
//! their shared fields.
//!
//! Only what a joiner cannot type proves who they are: their personal code, or a platform
//! handle or user id HR listed (in communities that require approval). Names and emails are
//! typed by the joiner and prove nothing, so they never approve anyone. A wrong code gets the
//! same answer whether or not it exists, and after `MAX_CODE_FAILURES` of them in a row the
//! person is refused for `CODE_LOCKOUT` (counted in the database, so a restart does not reset
//! it).

use chrono::TimeDelta;

use super::{Core, Ctx};
use crate::command::ProfilePatch;
use crate::domain::{Community, JoinStatus, MemberId, MemberStatus, Profile};
use crate::error::{CoreError, UserError};
use crate::i18n::{self, Locale};
use crate::invite_code;
use crate::reply::{Attachment, Reply};
use crate::roster::{self, RowError};
use crate::store::{NewAudit, RosterEntry, RosterFunnel};

/// Wrong codes in a row after which a person is refused for a while.
pub const MAX_CODE_FAILURES: u32 = 5;
/// How long, from their last wrong code.
pub const CODE_LOCKOUT: TimeDelta = TimeDelta::hours(1);
/// "Active" in the funnel: did something in this many last days.
const ACTIVE_DAYS: i64 = 90;
/// Not-joined people an `/admin roster` page lists.
const ROSTER_PAGE: u32 = 25;

/// Most row errors a reply lists; the rest are counted.
const ERRORS_SHOWN: usize = 20;
/// Most members an export holds.
const EXPORT_LIMIT: u32 = 1_000_000;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Rows written (0 when refused).
    pub imported: u64,
    /// Every bad row, with its line.
    pub errors: Vec<RowError>,
    /// Nothing was written because of `errors` (no `--skip-bad`).
    pub refused: bool,
    pub shift_jis: bool,
}

impl ImportOutcome {
    /// The outcome as text in `locale`, listing (up to a limit) the bad rows.
    pub fn render(&self, locale: Locale) -> String {
        let mut out = if self.refused {
            i18n::t(
                locale,
                "roster.refused",
                &[("errors", &self.errors.len().to_string())],
            )
        } else {
            i18n::t(
                locale,
                "roster.imported",
                &[
                    ("rows", &self.imported.to_string()),
                    ("skipped", &self.errors.len().to_string()),
                ],
            )
        };
        for e in self.errors.iter().take(ERRORS_SHOWN) {
            out.push('\n');
            out.push_str(&e.render(locale));
        }
        if self.errors.len() > ERRORS_SHOWN {
            out.push('\n');
            out.push_str(&i18n::t(
                locale,
                "roster.more_errors",
                &[("count", &(self.errors.len() - ERRORS_SHOWN).to_string())],
            ));
        }
        out
    }
}

impl Core {
    /// Import a roster file into `community`: all rows in one transaction, or none if any row
    /// is bad, unless `skip_bad`. `actor` is the admin (`None`: the command line).
    pub async fn import_roster(
        &self,
        community: &Community,
        actor: Option<MemberId>,
        bytes: &[u8],
        skip_bad: bool,
    ) -> Result<ImportOutcome, CoreError> {
        let parsed = roster::parse(bytes);
        let refused = !parsed.errors.is_empty() && (!skip_bad || parsed.rows.is_empty());
        let imported = if refused {
            0
        } else {
            self.store
                .import_roster(community.id, &parsed.rows, self.now())
                .await?
        };
        if !refused {
            self.store
                .audit(&NewAudit {
                    community: community.id,
                    actor,
                    action: "import".into(),
                    target: None,
                    detail: format!(
                        "{imported} rows, {} skipped{}",
                        parsed.errors.len(),
                        if actor.is_none() { " (cli)" } else { "" }
                    ),
                    at: self.now(),
                })
                .await?;
            tracing::info!(community = community.id, imported, "roster imported");
        }
        Ok(ImportOutcome {
            imported,
            errors: parsed.errors,
            refused,
            shift_jis: parsed.shift_jis,
        })
    }

    /// Approved members and their shared fields as CSV (UTF-8 with BOM), audit-logged.
    pub async fn export_members(
        &self,
        community: &Community,
        actor: Option<MemberId>,
        locale: Locale,
    ) -> Result<String, CoreError> {
        let members = self
            .store
            .members_with_status(community.id, MemberStatus::Approved, EXPORT_LIMIT)
            .await?;
        self.store
            .audit(&NewAudit {
                community: community.id,
                actor,
                action: "export".into(),
                target: None,
                detail: format!(
                    "{} members{}",
                    members.len(),
                    if actor.is_none() { " (cli)" } else { "" }
                ),
                at: self.now(),
            })
            .await?;
        Ok(roster::export_csv(locale, &members))
    }

    /// The community of a platform space (created with the defaults on first sight), for
    /// the command line.
    pub async fn community_of(
        &self,
        platform: crate::domain::Platform,
        space_id: &str,
    ) -> Result<Community, CoreError> {
        Ok(self
            .store
            .community_for_space_at(
                platform,
                space_id,
                &self.config.community_defaults,
                self.now(),
            )
            .await?)
    }

    /// `/admin import` with the CSV the adapter attached.
    pub(super) async fn admin_import(
        &self,
        ctx: &Ctx<'_>,
        csv: Option<Vec<u8>>,
        skip_bad: bool,
    ) -> Result<Reply, CoreError> {
        let admin = ctx.require_admin()?;
        let Some(csv) = csv else {
            return Err(UserError::new("roster.attach_file")
                .usage("admin.import")
                .into());
        };
        let outcome = self
            .import_roster(&ctx.community, Some(admin.id), &csv, skip_bad)
            .await?;
        let mut reply = Reply::text(ctx.locale, outcome.render(ctx.locale)).private();
        reply.error = outcome.refused;
        Ok(reply)
    }

    /// `/admin export`: the CSV as a file only the admin sees.
    pub(super) async fn admin_export(&self, ctx: &Ctx<'_>) -> Result<Reply, CoreError> {
        let admin = ctx.require_admin()?;
        let csv = self
            .export_members(&ctx.community, Some(admin.id), ctx.locale)
            .await?;
        let mut reply = ctx.reply("roster.exported", &[]).private();
        reply.attachment = Some(Attachment {
            filename: "members.csv".into(),
            content_type: "text/csv; charset=utf-8".into(),
            content: csv,
        });
        Ok(reply)
    }

    /// Every roster row (only those in `status`, if given) with its status and invite code,
    /// as CSV for HR's mail merge (UTF-8 with BOM, formula-safe). The codes it hands out count
    /// as invitations; the export is in the audit log.
    pub async fn export_roster(
        &self,
        community: &Community,
        actor: Option<MemberId>,
        locale: Locale,
        status: Option<JoinStatus>,
    ) -> Result<String, CoreError> {
        let mut rows = self.store.roster(community.id).await?;
        if let Some(status) = status {
            rows.retain(|r| JoinStatus::of(r.member_status) == status);
        }
        let coded: Vec<i64> = rows
            .iter()
            .filter(|r| r.code.is_some())
            .map(|r| r.id)
            .collect();
        self.store
            .mark_invited(community.id, &coded, self.now())
            .await?;
        self.store
            .audit(&NewAudit {
                community: community.id,
                actor,
                action: "export_roster".into(),
                target: None,
                detail: format!(
                    "{} rows{}, {} codes{}",
                    rows.len(),
                    status.map(|s| format!(" ({s})")).unwrap_or_default(),
                    coded.len(),
                    if actor.is_none() { " (cli)" } else { "" }
                ),
                at: self.now(),
            })
            .await?;
        Ok(roster::export_roster_csv(locale, &rows))
    }

    /// New codes for the not-joined rows whose email or handle is in `who` (all of them when
    /// `who` is empty); the old ones stop working. Returns the rows with their new codes, and
    /// the `who` that matched no such row (nothing is renewed then).
    pub async fn renew_codes(
        &self,
        community: &Community,
        who: &[String],
    ) -> Result<Result<Vec<RosterEntry>, Vec<String>>, CoreError> {
        let open: Vec<RosterEntry> = self
            .store
            .roster(community.id)
            .await?
            .into_iter()
            .filter(|r| r.member.is_none())
            .collect();
        let matches = |w: &String, v: &Option<String>| {
            v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case(w))
        };
        let unknown: Vec<String> = who
            .iter()
            .filter(|w| {
                !open
                    .iter()
                    .any(|r| matches(w, &r.email) || matches(w, &r.handle))
            })
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Ok(Err(unknown));
        }
        let renewed = self
            .store
            .renew_codes(community.id, who, self.now())
            .await?;
        self.store
            .audit(&NewAudit {
                community: community.id,
                actor: None,
                action: "renew_codes".into(),
                target: None,
                detail: format!("{} codes (cli)", renewed.len()),
                at: self.now(),
            })
            .await?;
        Ok(Ok(renewed))
    }

    /// `/admin export roster [status:…]`: the roster with codes, as a file only the admin sees.
    pub(super) async fn admin_export_roster(
        &self,
        ctx: &Ctx<'_>,
        status: Option<JoinStatus>,
    ) -> Result<Reply, CoreError> {
        let admin = ctx.require_admin()?;
        let csv = self
            .export_roster(&ctx.community, Some(admin.id), ctx.locale, status)
            .await?;
        let mut reply = ctx.reply("roster.exported_codes", &[]).private();
        reply.attachment = Some(Attachment {
            filename: "roster.csv".into(),
            content_type: "text/csv; charset=utf-8".into(),
            content: csv,
        });
        Ok(reply)
    }

    /// The funnel's counts, "active" meaning in the last `ACTIVE_DAYS` days.
    pub(super) async fn funnel(&self, community: &Community) -> Result<RosterFunnel, CoreError> {
        Ok(self
            .store
            .roster_funnel(community.id, self.now() - TimeDelta::days(ACTIVE_DAYS))
            .await?)
    }

    /// `/admin roster [page:N]`: the funnel, then a page of the people who have not joined.
    pub(super) async fn admin_roster(&self, ctx: &Ctx<'_>, page: u32) -> Result<Reply, CoreError> {
        ctx.require_admin()?;
        let f = self.funnel(&ctx.community).await?;
        if f.on_roster == 0 {
            return Ok(ctx.reply("roster.none", &[]).private());
        }
        let not_joined = f.on_roster - f.joined;
        let pages = not_joined.div_ceil(u64::from(ROSTER_PAGE)).max(1);
        let rows = self
            .store
            .roster_not_joined(
                ctx.community.id,
                (page - 1).saturating_mul(ROSTER_PAGE),
                ROSTER_PAGE,
            )
            .await?;
        let mut reply = ctx
            .reply("roster.funnel_heading", &[])
            .private()
            .field(ctx.t("stats.funnel", &[]), funnel_line(ctx.locale, &f));
        let list = rows
            .iter()
            .map(|r| {
                let years = match (r.joined, r.left) {
                    (None, None) => String::new(),
                    (j, l) => format!(
                        " {}–{}",
                        j.map(|y| y.to_string()).unwrap_or_default(),
                        l.map(|y| y.to_string()).unwrap_or_default()
                    ),
                };
                let dept = r
                    .department
                    .as_deref()
                    .map(|d| format!(" · {d}"))
                    .unwrap_or_default();
                format!("{}{dept}{years}", r.name)
            })
            .collect::<Vec<_>>()
            .join("\n");
        reply = reply.field(
            ctx.t(
                "roster.not_joined",
                &[
                    ("count", &not_joined.to_string()),
                    ("page", &page.to_string()),
                    ("pages", &pages.to_string()),
                ],
            ),
            if list.is_empty() {
                "—".to_owned()
            } else {
                list
            },
        );
        if u64::from(page) < pages {
            reply = reply.field(
                String::new(),
                ctx.t("roster.next_page", &[("page", &(page + 1).to_string())]),
            );
        }
        Ok(reply)
    }

    /// The unclaimed roster row a typed code names: refused the same way whether the code is
    /// malformed, unknown, used, renewed or another community's, and refused outright after
    /// too many wrong ones. A wrong code is counted.
    pub(super) async fn roster_for_code(
        &self,
        ctx: &Ctx<'_>,
        typed: &str,
    ) -> Result<RosterEntry, CoreError> {
        let who = &ctx.actor.identity;
        let now = self.now();
        if let Some((failures, last)) = self.store.code_failures(ctx.community.id, who).await?
            && failures >= MAX_CODE_FAILURES
            && last + CODE_LOCKOUT > now
        {
            let minutes = ((last + CODE_LOCKOUT - now).num_seconds() + 59) / 60;
            return Err(UserError::new("join.code_rate_limited")
                .arg("minutes", minutes.to_string())
                .arg("key", "code")
                .into());
        }
        let entry = match invite_code::normalize(typed) {
            Some(code) => self.store.roster_by_code(ctx.community.id, &code).await?,
            None => None,
        };
        match entry {
            Some(entry) => Ok(entry),
            None => {
                self.store
                    .record_code_failure(ctx.community.id, who, now - CODE_LOCKOUT, now)
                    .await?;
                tracing::info!(community = ctx.community.id, "wrong invite code");
                Err(code_refused().into())
            }
        }
    }

    /// The roster row vouching for the asker's platform identity, if any.
    pub(super) async fn roster_verified(
        &self,
        ctx: &Ctx<'_>,
    ) -> Result<Option<RosterEntry>, CoreError> {
        let id = &ctx.actor.identity;
        Ok(self
            .store
            .roster_for_handle(ctx.community.id, &[&id.handle, &id.user_id])
            .await?)
    }
}

/// The one answer to a code that cannot be used, whatever the reason.
fn code_refused() -> UserError {
    UserError::new("join.code_refused").arg("key", "code")
}

/// A roster claim lost to someone else meanwhile: a code is refused like any unusable one.
pub(super) fn claim_lost(patch: &ProfilePatch) -> UserError {
    if patch.code.is_some() {
        code_refused()
    } else {
        UserError::new("error.changed_meanwhile")
    }
}

/// Department and years from the roster where the joiner gave none. Whether any was filled.
pub(super) fn fill_from_roster(profile: &mut Profile, entry: &RosterEntry) -> bool {
    let mut filled = false;
    if profile.department.is_none() && entry.department.is_some() {
        profile.department = entry.department.clone();
        filled = true;
    }
    if profile.joined.is_none() && entry.joined.is_some() {
        profile.joined = entry.joined;
        filled = true;
    }
    if profile.left.is_none() && entry.left.is_some() {
        profile.left = entry.left;
        filled = true;
    }
    filled
}

/// The joined reply with what the roster filled in, and how to change or hide it.
pub(super) fn with_roster_note(reply: Reply, locale: Locale, profile: &Profile) -> Reply {
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "—".to_owned());
    let note = i18n::t(
        locale,
        "join.from_roster",
        &[
            ("department", &or_dash(profile.department.clone())),
            ("joined", &or_dash(profile.joined.map(|y| y.to_string()))),
            ("left", &or_dash(profile.left.map(|y| y.to_string()))),
        ],
    );
    let mut reply = reply;
    reply.text.push('\n');
    reply.text.push_str(&note);
    reply
}

/// The funnel in one line: on the roster → invited → joined → approved → active.
pub(crate) fn funnel_line(locale: Locale, f: &RosterFunnel) -> String {
    i18n::t(
        locale,
        "stats.funnel_value",
        &[
            ("roster", &f.on_roster.to_string()),
            ("invited", &f.invited.to_string()),
            ("joined", &f.joined.to_string()),
            ("approved", &f.approved.to_string()),
            ("active", &f.active.to_string()),
        ],
    )
}
