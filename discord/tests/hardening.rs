//! Findings of the security review (#15), through the fake Discord.

#![recursion_limit = "256"]

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::fake_discord::{GUILD, member, user};
use support::*;

/// Wait until `check` holds (the gateway is asynchronous), failing after a while.
async fn until(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Someone waiting on membership screening who leaves the server is forgotten (#15 item 6: the
/// set only grew; it is also capped).
#[tokio::test]
async fn a_member_who_leaves_during_screening_is_forgotten() {
    let rig = Rig::start("dc_screening_leave").await;
    let mut joined = member(AIKO, "aiko", "0", true);
    joined["guild_id"] = json!(GUILD.to_string());
    rig.fake.dispatch("GUILD_MEMBER_ADD", joined);
    until("screening remembered", || rig.app.screening.len() == 1).await;
    rig.fake.dispatch(
        "GUILD_MEMBER_REMOVE",
        json!({ "guild_id": GUILD.to_string(), "user": user(AIKO, "aiko") }),
    );
    until("screening forgotten", || rig.app.screening.is_empty()).await;
    rig.finish().await;
}

/// `/admin import` from someone who is not an admin: refused by the core, and the attached
/// file is never fetched (it used to be downloaded before the check).
#[tokio::test]
async fn a_non_admins_import_fetches_nothing() {
    let rig = Rig::start("dc_import_non_admin").await;
    rig.join_approved(&aiko(), "Aiko Tanaka").await;
    let file = rig
        .fake
        .attach("roster.csv", "text/csv", b"name,handle\nEve,eve\n");
    let id = rig.slash_with_file(&aiko(), "admin", "import", "file", &file, vec![]);
    let (refused, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral, "{refused:#}");
    assert!(all_text(&refused).contains("admin"), "{refused:#}");
    assert!(rig.fake.calls_to("GET", "/attachments/").is_empty());
    let community = rig.community().await;
    assert!(rig.store.roster(community.id).await.unwrap().is_empty());
    rig.finish().await;
}

/// A role option as Discord sends it: the id, and the role itself under `resolved.roles`.
fn role_option(id: u64, name: &str, permissions: &str) -> (serde_json::Value, serde_json::Value) {
    let id = id.to_string();
    (
        json!([{ "name": "member_role", "type": 8, "value": id }]),
        json!({ "roles": { id.clone(): support::fake_discord::role(&id, name, permissions) } }),
    )
}

/// `member_role` is set only by a Discord admin, and never to a role with moderator or admin
/// permissions (#15 item 15: any bot admin could make approval grant a moderator role).
#[tokio::test]
async fn member_role_is_a_plain_role_chosen_by_a_discord_admin() {
    let rig = Rig::start("dc_member_role_guard").await;
    const MODS: u64 = 650_000_000_000_000_901;
    const ALUMNI: u64 = 650_000_000_000_000_902;
    // A bot admin (ALUMNI_ADMINS) who holds no Discord permission.
    let send = |who: &serde_json::Value, id: u64, name: &str, perms: &str| {
        let (options, resolved) = role_option(id, name, perms);
        let n = rig.fake.next_id();
        let mut payload = support::fake_discord::slash(n, who, "en-US", "alumni", "setup", options);
        payload["data"]["resolved"] = resolved;
        rig.fake.dispatch("INTERACTION_CREATE", payload);
        n.to_string()
    };
    let id = send(&admin(), ALUMNI, "Alumni", "0");
    let (refused, ephemeral) = rig.answer(&id).await;
    assert!(
        ephemeral && all_text(&refused).contains("Discord admin"),
        "{refused:#}"
    );
    assert_eq!(rig.community().await.member_role, None);

    // The owner, to a role that can kick and ban: refused, naming it.
    let kick_ban = (1u64 << 1 | 1 << 2).to_string();
    let id = send(&owner(), MODS, "Moderators", &kick_ban);
    let (refused, _) = rig.answer(&id).await;
    assert!(all_text(&refused).contains("Moderators"), "{refused:#}");
    assert_eq!(rig.community().await.member_role, None);

    // The owner, to a plain role: set.
    let id = send(&owner(), ALUMNI, "Alumni", "0");
    rig.answer(&id).await;
    assert_eq!(rig.community().await.member_role, Some(ALUMNI.to_string()));
    rig.finish().await;
}
