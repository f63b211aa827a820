//! Profiles and the directory.

use super::{Core, Ctx, render};
use crate::command::{MemberRef, ProfilePatch};
use crate::domain::{Field, Profile};
use crate::error::{CoreError, UserError};
use crate::reply::Reply;
use crate::store::SearchQuery;

/// Results per search page.
pub const PAGE_SIZE: u32 = 10;

impl Core {
    pub(super) async fn show_profile(
        &self,
        ctx: &Ctx<'_>,
        who: Option<&MemberRef>,
    ) -> Result<Reply, CoreError> {
        let Some(who) = who else {
            let me = ctx
                .member
                .as_ref()
                .ok_or_else(|| UserError::new("error.not_a_member"))?;
            let status = ctx.t(&format!("status.{}", me.status.as_str()), &[]);
            let mut reply = render::profile_card(ctx.locale, me, &me.profile, &me.hidden)
                .private()
                .field(ctx.t("profile.status", &[]), status);
            reply.text = ctx.t("profile.mine_hint", &[]);
            return Ok(reply);
        };
        let me = ctx.approved()?;
        let target = self.find(ctx, who).await?;
        // Someone who blocked you is, to you, not there (and never told).
        if !target.is_approved() || self.store.blocked_between(target.id, me.id).await? {
            return Err(UserError::new("error.no_such_member")
                .arg("name", who.name.clone())
                .into());
        }
        let visible = target.profile.visible(&target.hidden);
        Ok(render::profile_card(ctx.locale, &target, &visible, &[]).private())
    }

    pub(super) async fn set_profile(
        &self,
        ctx: &Ctx<'_>,
        patch: ProfilePatch,
    ) -> Result<Reply, CoreError> {
        let mut me = self.editable_self(ctx)?;
        let mut profile: Profile = me.profile.clone();
        patch.apply(&mut profile);
        if let (Some(j), Some(l)) = (profile.joined, profile.left)
            && l < j
        {
            return Err(UserError::new("error.left_before_joined")
                .usage("alumni.profile")
                .into());
        }
        me.profile = profile;
        if patch.locale.is_some() {
            me.locale = patch.locale;
        }
        if patch.timezone.is_some() {
            me.timezone = patch.timezone.clone();
        }
        self.store.update_profile(&me, self.now()).await?;
        let locale = me.locale.unwrap_or(ctx.locale);
        Ok(Reply::text(locale, crate::i18n::t(locale, "profile.updated", &[])).private())
    }

    pub(super) async fn set_hidden(
        &self,
        ctx: &Ctx<'_>,
        fields: &[Field],
        hide: bool,
    ) -> Result<Reply, CoreError> {
        let mut me = self.editable_self(ctx)?;
        for f in fields {
            me.hidden.retain(|h| h != f);
            if hide {
                me.hidden.push(*f);
            }
        }
        me.hidden.sort();
        self.store.update_profile(&me, self.now()).await?;
        let names: Vec<String> = fields
            .iter()
            .map(|f| render::field_label(ctx.locale, *f))
            .collect();
        let key = if hide {
            "profile.hidden"
        } else {
            "profile.shown"
        };
        Ok(ctx.reply(key, &[("fields", &names.join(", "))]).private())
    }

    pub(super) async fn search(
        &self,
        ctx: &Ctx<'_>,
        query: &SearchQuery,
        page: u32,
    ) -> Result<Reply, CoreError> {
        let me = ctx.approved()?;
        let offset = (page - 1) * PAGE_SIZE;
        // Members who blocked the searcher are not there for them (and never told): left out
        // by the store, so pages stay full and the count exact.
        let query = SearchQuery {
            exclude: self.store.blockers_of(ctx.community.id, me.id).await?,
            ..query.clone()
        };
        let found = self
            .store
            .search(ctx.community.id, &query, PAGE_SIZE, offset)
            .await?;
        if found.members.is_empty() {
            return Ok(ctx.reply("search.none", &[]).private());
        }
        let pages = found.total.div_ceil(u64::from(PAGE_SIZE));
        // Past the count limit the store stops counting: "200+ found (page 1 of 20+)".
        let more = if found.total_exact { "" } else { "+" };
        let mut reply = ctx
            .reply(
                "search.heading",
                &[
                    ("total", &format!("{}{more}", found.total)),
                    ("page", &page.to_string()),
                    ("pages", &format!("{pages}{more}")),
                ],
            )
            .private();
        for (i, m) in found.members.iter().enumerate() {
            let visible = m.profile.visible(&m.hidden);
            reply = reply.field(
                format!(
                    "{}. {} (@{})",
                    offset as usize + i + 1,
                    visible.name,
                    m.handle
                ),
                render::summary_line(ctx.locale, &visible),
            );
        }
        if u64::from(page) < pages || !found.total_exact {
            reply.text.push('\n');
            reply
                .text
                .push_str(&ctx.t("search.more", &[("next", &(page + 1).to_string())]));
        }
        Ok(reply)
    }

    /// The asking member's own row, which they may edit unless they left.
    fn editable_self(&self, ctx: &Ctx<'_>) -> Result<crate::domain::Member, UserError> {
        match &ctx.member {
            Some(m) if m.status != crate::domain::MemberStatus::Left => Ok(m.clone()),
            _ => Err(UserError::new("error.not_a_member")),
        }
    }
}
