//! HR's invite codes through Discord (#17): a bare `/alumni join` opens a modal with a Code
//! field after the name; submitting it with one's code approves at once with the roster's
//! department and years; `/alumni join code:…` typed as an option does the same; a wrong code
//! is refused privately and saves nothing, and five in a row lock the person out for a while.
//! On SQLite and PostgreSQL.

#![recursion_limit = "256"]

mod support;

use bot_core::domain::MemberStatus;
use bot_core::invite_code;
use serde_json::json;
use support::*;

const MODAL: u64 = 9;

async fn joins_with_codes(rig: Rig) {
    let community = rig.community().await;
    rig.core
        .import_roster(
            &community,
            None,
            "名前,部署,入社,退職\n田中 愛子,開発部,2012,2020\nBen Brown,Sales,2010,2018\n"
                .as_bytes(),
            false,
        )
        .await
        .unwrap();
    let roster = rig.store.roster(community.id).await.unwrap();
    let code = |i: usize| invite_code::display(roster[i].code.as_deref().unwrap());

    // The modal asks for the code right after the name.
    let id = rig.slash(&aiko(), "ja", "alumni", "join", json!([]));
    let callback = rig.callback(&id).await;
    assert_eq!(callback["type"], MODAL, "{callback:#}");
    let inputs: Vec<&str> = callback["data"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["components"][0]["custom_id"].as_str().unwrap())
        .collect();
    assert_eq!(inputs[..2], ["name", "code"], "{inputs:?}");
    assert_eq!(
        callback["data"]["components"][1]["components"][0]["required"],
        false
    );

    // A wrong code in the modal: refused privately, aiko is not a member.
    let id = rig.submit(
        &aiko(),
        "ja",
        "/alumni join",
        &[("name", "田中 愛子"), ("code", "ZZZZZ-ZZZZZ")],
    );
    let (refused, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral, "{refused:#}");
    assert!(all_text(&refused).contains("招待コード"), "{refused:#}");
    assert!(rig.member(AIKO).await.is_none());

    // Her own code: approved at once, department and years from the roster.
    let id = rig.submit(
        &aiko(),
        "ja",
        "/alumni join",
        &[("name", "田中 愛子"), ("code", &code(0))],
    );
    let (joined, _) = rig.answer(&id).await;
    assert!(all_text(&joined).contains("開発部"), "{joined:#}");
    let aiko = rig.member(AIKO).await.expect("aiko joined");
    assert_eq!(aiko.status, MemberStatus::Approved);
    assert_eq!(aiko.profile.department.as_deref(), Some("開発部"));
    assert_eq!(
        (aiko.profile.joined, aiko.profile.left),
        (Some(2012), Some(2020))
    );

    // ben tries her used code and four made-up ones, then his own is refused for a while.
    let mut wrong = vec![code(0)];
    wrong.extend((1..=4).map(|n| format!("DDDDD-DDDD{n}")));
    for typed in &wrong {
        let id = rig.slash(
            &ben(),
            "en-US",
            "alumni",
            "join",
            json!([
                { "name": "name", "type": 3, "value": "Ben Brown" },
                { "name": "code", "type": 3, "value": typed },
            ]),
        );
        let (refused, _) = rig.answer(&id).await;
        assert!(
            all_text(&refused).contains("This invite code cannot be used"),
            "{refused:#}"
        );
    }
    let id = rig.slash(
        &ben(),
        "en-US",
        "alumni",
        "join",
        json!([
            { "name": "name", "type": 3, "value": "Ben Brown" },
            { "name": "code", "type": 3, "value": code(1) },
        ]),
    );
    let (limited, _) = rig.answer(&id).await;
    assert!(
        all_text(&limited).contains("Too many wrong invite codes"),
        "{limited:#}"
    );
    assert!(rig.member(BEN).await.is_none(), "nothing changed");
    assert_eq!(
        rig.store.roster(community.id).await.unwrap()[1].code,
        roster[1].code
    );
    rig.finish().await;
}

#[tokio::test]
async fn the_join_modal_takes_a_code_on_sqlite() {
    joins_with_codes(Rig::start("dc_join_code").await).await;
}

#[tokio::test]
async fn the_join_modal_takes_a_code_on_postgres() {
    let Some(rig) = Rig::postgres("dc_join_code").await else {
        return;
    };
    joins_with_codes(rig).await;
}
