//! HR's invite codes through Slack (#17): a bare `/alumni join` opens a modal with a Code
//! field after the name; submitting it with one's code approves at once with the roster's
//! department and years; a wrong code is shown on the Code field and saves nothing; after five
//! wrong ones, even the right code is refused for a while. On SQLite and PostgreSQL.

mod support;

use bot_core::domain::{MemberStatus, Platform};
use bot_core::invite_code;
use serde_json::{Value, json};
use support::{Rig, TEAM};

/// Open the join modal as `user`, fill in name and code (`None`: left empty, which Slack sends
/// as a `null` value), submit it: Slack's answer.
async fn submit_join(rig: &Rig, user: &str, handle: &str, name: &str, code: Option<&str>) -> Value {
    let opened_before = rig.fake.calls_to("views.open").len();
    let answer = rig.command(user, handle, "/alumni", "join").await;
    assert_eq!(answer.status, 200);
    let opened = rig.fake.wait_for("views.open", opened_before + 1).await;
    let view = opened[opened_before].body["view"].clone();
    assert_eq!(view["private_metadata"], "/alumni join");
    // The Code field comes right after the name, and is optional.
    assert_eq!(view["blocks"][1]["block_id"], "code", "{view:#}");
    assert_eq!(view["blocks"][1]["optional"], true, "{view:#}");
    let mut submitted = view;
    submitted["state"] = json!({ "values": {
        "name": { "name": { "type": "plain_text_input", "value": name } },
        "code": { "code": { "type": "plain_text_input", "value": code } },
    } });
    let answer = rig
        .interaction(json!({
            "type": "view_submission",
            "team": { "id": TEAM },
            "user": { "id": user, "username": handle, "team_id": TEAM },
            "view": submitted,
        }))
        .await;
    assert_eq!(answer.status, 200);
    if answer.body.is_empty() {
        Value::Null
    } else {
        answer.json()
    }
}

async fn joins_with_codes(rig: Rig) {
    let community = rig.core.community_of(Platform::Slack, TEAM).await.unwrap();
    rig.core
        .import_roster(
            &community,
            None,
            "名前,部署,入社,退職\n田中 愛子,開発部,2012,2020\n山田 太郎,営業部,2010,2018\n"
                .as_bytes(),
            false,
        )
        .await
        .unwrap();
    let roster = rig.store.roster(community.id).await.unwrap();
    let code = |i: usize| invite_code::display(roster[i].code.as_deref().unwrap());

    // aiko types her code (lowercase): approved at once, department and years filled.
    let answer = submit_join(
        &rig,
        "UAIKO",
        "aiko",
        "田中 愛子",
        Some(&code(0).to_lowercase()),
    )
    .await;
    assert_eq!(answer, Value::Null, "the modal closes");
    let aiko = rig
        .store
        .member_by_handle(community.id, "aiko")
        .await
        .unwrap()
        .expect("aiko joined");
    assert_eq!(aiko.status, MemberStatus::Approved);
    assert_eq!(aiko.profile.department.as_deref(), Some("開発部"));
    assert_eq!(
        (aiko.profile.joined, aiko.profile.left),
        (Some(2012), Some(2020))
    );

    // Her code again, from someone else: refused on the Code field, nothing saved.
    let answer = submit_join(&rig, "UBEN", "ben", "Ben", Some(&code(0))).await;
    assert_eq!(answer["response_action"], "errors", "{answer:#}");
    assert!(answer["errors"]["code"].is_string(), "{answer:#}");
    let refusal = answer["errors"]["code"].clone();
    // Four more wrong ones (five in a row), then even taro's good code is refused.
    for n in 1..=4 {
        let answer = submit_join(&rig, "UBEN", "ben", "Ben", Some(&format!("CCCCC-CCCC{n}"))).await;
        assert_eq!(
            answer["errors"]["code"], refusal,
            "the same answer each time"
        );
    }
    let answer = submit_join(&rig, "UBEN", "ben", "Ben", Some(&code(1))).await;
    let limited = answer["errors"]["code"].to_string();
    assert_ne!(answer["errors"]["code"], refusal, "{answer:#}");
    assert!(limited.contains("60"), "minutes to wait: {limited}");
    assert!(
        rig.store
            .member_by_handle(community.id, "ben")
            .await
            .unwrap()
            .is_none()
    );
    let taro = rig
        .store
        .roster(community.id)
        .await
        .unwrap()
        .into_iter()
        .nth(1)
        .unwrap();
    assert_eq!((taro.member, taro.code), (None, roster[1].code.clone()));

    // Someone without a code leaves the field empty: an ordinary join, waiting for approval.
    let answer = submit_join(&rig, "UCARL", "carl", "Carl", None).await;
    assert_eq!(answer, Value::Null, "the modal closes: {answer:#}");
    let carl = rig
        .store
        .member_by_handle(community.id, "carl")
        .await
        .unwrap()
        .expect("carl joined");
    assert_eq!(carl.status, MemberStatus::Pending);
    rig.finish().await;
}

#[tokio::test]
async fn the_join_modal_takes_a_code_on_sqlite() {
    joins_with_codes(Rig::sqlite("join_code").await).await;
}

#[tokio::test]
async fn the_join_modal_takes_a_code_on_postgres() {
    let Some(rig) = Rig::postgres("join_code").await else {
        return;
    };
    joins_with_codes(rig).await;
}
