//! A Slack workspace admin is an alumni admin only while Slack says so (#15 item 16): a
//! `user_change` event drops their cached users.info, and once Slack no longer calls them an
//! admin their next command is a member's.

mod support;

use bot_core::domain::{Platform, Role};
use serde_json::json;
use support::{Rig, TEAM, all_text};

async fn stored_role(rig: &Rig, user: &str) -> Role {
    let community = rig
        .store
        .community_for_space(Platform::Slack, TEAM, rig.core.community_defaults())
        .await
        .unwrap();
    rig.store
        .member_by_identity(community.id, Platform::Slack, user)
        .await
        .unwrap()
        .expect("a member row")
        .role
}

async fn check(rig: Rig) {
    rig.fake.add_user("UBOSS", "boss", "en-US", true);
    let first = rig
        .command_json("UBOSS", "boss", "/alumni", "pending")
        .await;
    assert!(!all_text(&first).contains("Only admins"), "{first:#}");
    assert_eq!(stored_role(&rig, "UBOSS").await, Role::Admin);

    // Slack: no longer a workspace admin, and it says so with a user_change event.
    rig.fake.set_admin("UBOSS", false);
    let changed = rig
        .event(
            "Ev-user-change-1",
            json!({
                "type": "user_change",
                "user": {
                    "id": "UBOSS", "team_id": TEAM, "name": "boss", "deleted": false,
                    "is_admin": false, "is_owner": false, "profile": { "display_name": "boss" }
                },
                "cache_ts": 1_700_000_000,
                "event_ts": "1700000000.000100"
            }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);

    let after = rig
        .command_json("UBOSS", "boss", "/alumni", "pending")
        .await;
    assert!(all_text(&after).contains("Only admins"), "{after:#}");
    assert_eq!(stored_role(&rig, "UBOSS").await, Role::Member);
    let asked = rig
        .fake
        .calls_to("users.info")
        .into_iter()
        .filter(|c| c.body["user"] == "UBOSS")
        .count();
    assert_eq!(asked, 2, "users.info asked again after user_change");
    rig.finish().await;
}

#[tokio::test]
async fn a_workspace_admin_who_loses_the_role_is_no_longer_an_admin_on_sqlite() {
    check(Rig::sqlite("platform_admins").await).await;
}

#[tokio::test]
async fn a_workspace_admin_who_loses_the_role_is_no_longer_an_admin_on_postgres() {
    let Some(rig) = Rig::postgres("platform_admins").await else {
        return;
    };
    check(rig).await;
}
