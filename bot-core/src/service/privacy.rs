//! Privacy rights (Japan's APPI): consent to the community's stated purpose, a member's own
//! data as a file, the broadcast opt-out, the audit log, and erasure from every table.

use super::{Core, Ctx};
use crate::action::Action;
use crate::command::{Alumni, Command};
use crate::domain::{Member, MemberStatus};
use crate::error::{CoreError, UserError};
use crate::reply::{Attachment, ButtonStyle, Reply};
use crate::store::{NewAudit, Purpose};

/// Audit entries a page of `/admin audit` shows.
const AUDIT_PAGE: u32 = 20;

impl Core {
    /// Write an audit entry: admin reads beyond shared fields, exports, imports, broadcasts.
    pub(crate) async fn audit(
        &self,
        ctx: &Ctx<'_>,
        action: &str,
        target: Option<i64>,
        detail: String,
    ) -> Result<(), CoreError> {
        self.store
            .audit(&NewAudit {
                community: ctx.community.id,
                actor: ctx.member.as_ref().map(|m| m.id),
                action: action.to_owned(),
                target,
                detail,
                at: self.now(),
            })
            .await?;
        Ok(())
    }

    /// A member who has not consented to the current purpose is asked to, before anything
    /// else; leaving, seeing their data, help and the opt-out stay open to them.
    pub(super) async fn consent_gate(
        &self,
        ctx: &Ctx<'_>,
        command: &Command,
    ) -> Result<Option<Reply>, CoreError> {
        if matches!(
            command,
            Command::Alumni(
                Alumni::Agree
                    | Alumni::Leave { .. }
                    | Alumni::MyData
                    | Alumni::Help(_)
                    | Alumni::Notify(_)
                    | Alumni::Join(_)
            )
        ) {
            return Ok(None);
        }
        self.consent_needed(ctx).await
    }

    /// The consent request, if the asker (a joiner or member) has not agreed to the current
    /// purpose. Buttons ask it too (all but Agree): a press acts as typing would.
    pub(super) async fn consent_needed(&self, ctx: &Ctx<'_>) -> Result<Option<Reply>, CoreError> {
        let Some(me) = &ctx.member else {
            return Ok(None);
        };
        if !matches!(me.status, MemberStatus::Approved | MemberStatus::Pending) {
            return Ok(None);
        }
        let Some(purpose) = self.store.purpose(ctx.community.id).await? else {
            return Ok(None);
        };
        let agreed = self
            .store
            .consented_version(ctx.community.id, me.id)
            .await?
            .unwrap_or(0);
        if agreed >= purpose.version {
            return Ok(None);
        }
        Ok(Some(consent_request(ctx, &purpose)))
    }

    /// `join` when the community states a purpose: without `agree:yes` nothing is written and
    /// the purpose is shown; with it, the version to record once the member exists.
    pub(super) async fn join_consent(
        &self,
        ctx: &Ctx<'_>,
        agree: bool,
    ) -> Result<Option<i64>, CoreError> {
        let Some(purpose) = self.store.purpose(ctx.community.id).await? else {
            return Ok(None);
        };
        if !agree {
            return Err(UserError::new("consent.join_needs_agree")
                .arg("community", ctx.community.name.clone())
                .arg("purpose", purpose.text)
                .arg("version", purpose.version.to_string())
                .into());
        }
        Ok(Some(purpose.version))
    }

    pub(super) async fn record_join_consent(
        &self,
        member: &Member,
        version: Option<i64>,
    ) -> Result<(), CoreError> {
        if let Some(v) = version {
            self.store
                .record_consent(member.community_id, member.id, v, self.now())
                .await?;
        }
        Ok(())
    }

    /// `/alumni agree` (current version) or the Agree button (the version it showed).
    pub(super) async fn agree(
        &self,
        ctx: &Ctx<'_>,
        version: Option<i64>,
    ) -> Result<Reply, CoreError> {
        let me = ctx
            .member
            .as_ref()
            .ok_or_else(|| UserError::new("error.not_a_member"))?;
        let Some(purpose) = self.store.purpose(ctx.community.id).await? else {
            return Ok(ctx.reply("consent.no_purpose", &[]).private());
        };
        let version = version.unwrap_or(purpose.version);
        if version != purpose.version {
            // The purpose changed again since that button was shown.
            return Ok(consent_request(ctx, &purpose));
        }
        self.store
            .record_consent(ctx.community.id, me.id, version, self.now())
            .await?;
        Ok(ctx
            .reply("consent.recorded", &[("version", &version.to_string())])
            .private())
    }

    /// `/alumni mydata`: everything held about the asker, as a JSON file only they see.
    pub(super) async fn my_data(&self, ctx: &Ctx<'_>) -> Result<Reply, CoreError> {
        let me = ctx
            .member
            .as_ref()
            .ok_or_else(|| UserError::new("error.not_a_member"))?;
        let tables = self.store.my_data(ctx.community.id, me.id).await?;
        let p = &me.profile;
        let member = serde_json::json!({
            "id": me.id,
            "status": me.status.as_str(),
            "role": me.role.as_str(),
            "name": p.name,
            "department": p.department,
            "joined": p.joined,
            "left": p.left,
            "company": p.company,
            "title": p.title,
            "industry": p.industry,
            "location": p.location,
            "skills": p.skills,
            "interests": p.interests,
            "open_to": p.open_to.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
            "bio": p.bio,
            "hidden": me.hidden.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            "locale": me.locale.map(|l| l.as_str()),
            "timezone": me.timezone,
            "created_at": me.created_at.to_rfc3339(),
        });
        let doc = serde_json::json!({
            "community": ctx.community.name,
            "generated_at": self.now().to_rfc3339(),
            "member": member,
            "tables": tables,
        });
        let content = serde_json::to_string_pretty(&doc).unwrap_or_default();
        let mut reply = ctx.reply("mydata.done", &[]).private();
        reply.attachment = Some(Attachment {
            filename: "mydata.json".into(),
            content_type: "application/json".into(),
            content,
        });
        tracing::info!(community = ctx.community.id, "member downloaded their data");
        Ok(reply)
    }

    /// `/alumni notify on|off`: admins' broadcasts.
    pub(super) async fn set_notify(&self, ctx: &Ctx<'_>, on: bool) -> Result<Reply, CoreError> {
        let me = ctx.approved()?;
        self.store
            .set_broadcasts(ctx.community.id, me.id, on)
            .await?;
        Ok(ctx
            .reply(if on { "notify.on" } else { "notify.off" }, &[])
            .private())
    }

    /// `/admin purpose [text:"…"]`: show, or publish a new version (everyone is asked again).
    pub(super) async fn purpose(
        &self,
        ctx: &Ctx<'_>,
        text: Option<String>,
    ) -> Result<Reply, CoreError> {
        let admin = ctx.require_admin()?;
        let Some(text) = text else {
            return Ok(match self.store.purpose(ctx.community.id).await? {
                Some(p) => ctx
                    .reply(
                        "purpose.current",
                        &[("version", &p.version.to_string()), ("purpose", &p.text)],
                    )
                    .private(),
                None => ctx.reply("consent.no_purpose", &[]).private(),
            });
        };
        let p = self
            .store
            .publish_purpose(ctx.community.id, &text, admin.id, self.now())
            .await?;
        self.audit(ctx, "purpose", None, format!("version {}", p.version))
            .await?;
        Ok(ctx
            .reply("purpose.published", &[("version", &p.version.to_string())])
            .private())
    }

    /// `/admin audit [page:N]`: newest first.
    pub(super) async fn audit_log(&self, ctx: &Ctx<'_>, page: u32) -> Result<Reply, CoreError> {
        ctx.require_admin()?;
        let entries = self
            .store
            .audit_entries(
                ctx.community.id,
                AUDIT_PAGE,
                (page - 1).saturating_mul(AUDIT_PAGE),
            )
            .await?;
        if entries.is_empty() {
            return Ok(ctx.reply("audit.none", &[]).private());
        }
        let mut reply = ctx
            .reply("audit.heading", &[("page", &page.to_string())])
            .private();
        for e in entries {
            let actor = self.audit_name(ctx, e.actor).await?;
            let target = match e.target {
                Some(_) => format!(" → {}", self.audit_name(ctx, e.target).await?),
                None => String::new(),
            };
            let action = ctx.t(&format!("audit.action.{}", e.action), &[]);
            reply = reply.field(
                format!("<t:{}:f>", e.at.timestamp()),
                format!("{actor}: {action}{target}{}", audit_detail(ctx, &e)),
            );
        }
        Ok(reply)
    }

    /// `@handle` of an audit entry's member; erased members are no longer named.
    async fn audit_name(&self, ctx: &Ctx<'_>, id: Option<i64>) -> Result<String, CoreError> {
        let member = match id {
            Some(id) => self.store.member(ctx.community.id, id).await?,
            None => None,
        };
        Ok(match member {
            Some(m) => format!("@{}", m.handle),
            None => ctx.t("audit.erased", &[]),
        })
    }

    /// `/alumni leave delete:yes`: erase the asker from every table. Returns the identities
    /// they had (the platforms still hold their account and maybe a member role).
    pub(super) async fn erase_me(
        &self,
        ctx: &Ctx<'_>,
        me: &Member,
    ) -> Result<Vec<crate::domain::Identity>, CoreError> {
        let identities = self.store.identities(ctx.community.id, me.id).await?;
        let mut names = vec![me.profile.name.clone()];
        for id in &identities {
            names.push(format!("@{}", id.handle));
            names.push(id.user_id.clone());
        }
        self.store
            .erase_everywhere(ctx.community.id, me.id, &names)
            .await?;
        Ok(identities)
    }
}

/// What follows an audit line's action and target, in the reader's language.
fn audit_detail(ctx: &Ctx<'_>, e: &crate::store::AuditEntry) -> String {
    if e.detail.is_empty() {
        return String::new();
    }
    match e.action.as_str() {
        // "member → supporter", stored as role keys.
        "role" => {
            let roles: Vec<String> = e
                .detail
                .split(" → ")
                .map(|r| ctx.t(&format!("role.{r}"), &[]))
                .collect();
            format!(" ({})", roles.join(" → "))
        }
        "reject" => format!(" ({})", ctx.t("reject.reason", &[("reason", &e.detail)])),
        // Settings as the command's key:value pairs.
        "setup" | "coffee_setup" => format!(": {}", e.detail),
        _ => format!(" {}", e.detail),
    }
}

/// The purpose and an Agree button.
fn consent_request(ctx: &Ctx<'_>, purpose: &Purpose) -> Reply {
    ctx.reply(
        "consent.ask",
        &[
            ("community", &ctx.community.name),
            ("purpose", &purpose.text),
            ("version", &purpose.version.to_string()),
        ],
    )
    .private()
    .button(
        ctx.t("consent.button", &[]),
        Action::Agree {
            version: purpose.version,
        }
        .encode_in(ctx.community.id),
        ButtonStyle::Primary,
    )
}
