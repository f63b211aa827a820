//! Platform admins stay admins only while the platform says so: someone made an admin because
//! they owned or administered the Discord server or Slack workspace is a member again once a
//! typed command shows the platform no longer calls them its admin.

use super::{Core, Ctx};
use crate::domain::Role;
use crate::error::CoreError;

/// `members.admin_source` of an admin made only because of `Actor::platform_admin`.
pub(super) const PLATFORM: &str = "platform";

impl Core {
    /// Before a typed command runs: an admin whose role came only from the platform, and whom
    /// the platform (which always says for a command) no longer calls its admin, is demoted to
    /// member in the store and the audit log, and the command runs as a member.
    pub(super) async fn recheck_platform_admin(&self, ctx: &mut Ctx<'_>) -> Result<(), CoreError> {
        let actor = ctx.actor;
        if actor.platform_admin || self.is_bootstrap_admin(&actor.identity) {
            return Ok(());
        }
        let community = ctx.community.id;
        let Some(member) = ctx.member.as_mut() else {
            return Ok(());
        };
        if member.role != Role::Admin
            || self
                .store
                .admin_source(community, member.id)
                .await?
                .as_deref()
                != Some(PLATFORM)
        {
            return Ok(());
        }
        // set_role clears the source with the role.
        self.store
            .set_role(community, member.id, Role::Member, self.now())
            .await?;
        member.role = Role::Member;
        tracing::info!(
            community,
            member = member.id,
            "platform admin lost the role"
        );
        self.audit(ctx, "platform_admin_lost", None, String::new())
            .await
    }
}
