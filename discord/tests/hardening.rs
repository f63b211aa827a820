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
