//! HR's roster: importing a CSV (from `/admin import` or the `roster import` CLI),
//! pre-verifying joiners it lists, and exporting members with their shared fields.
//!
//! Pre-verification trusts only the platform identity: a joiner whose handle or user id is a
//! roster row's `handle` is approved at once (in communities that require approval). Names
//! and emails are typed by the joiner and prove nothing, so they never approve anyone.

use super::{Core, Ctx};
use crate::domain::{Community, MemberId, MemberStatus};
use crate::error::{CoreError, UserError};
use crate::i18n::{self, Locale};
use crate::reply::{Attachment, Reply};
use crate::roster::{self, RowError};
use crate::store::{NewAudit, RosterEntry};

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
    pub async fn export_roster(
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
            .export_roster(&ctx.community, Some(admin.id), ctx.locale)
            .await?;
        let mut reply = ctx.reply("roster.exported", &[]).private();
        reply.attachment = Some(Attachment {
            filename: "members.csv".into(),
            content_type: "text/csv; charset=utf-8".into(),
            content: csv,
        });
        Ok(reply)
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
