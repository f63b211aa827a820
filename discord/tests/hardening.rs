//! Findings of the security review (#15), through the fake Discord.

#![recursion_limit = "256"]

mod support;

use support::*;

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
