//! A refused form lands on the field the error is about, as the core names it
//! (`Reply::error_key`), not as guessed from the message (#14 item 2): a Japanese message does
//! not spell the option's name.

mod support;

use serde_json::json;
use support::*;

async fn past_start_in_japanese(rig: Rig) {
    let ja = rig
        .command_json(ADMIN, "admin", "/alumni", "profile set locale:ja")
        .await;
    assert!(!all_text(&ja).is_empty());
    // The event form, submitted with a start that has passed.
    let payload = json!({
        "type": "view_submission",
        "team": { "id": TEAM },
        "user": { "id": ADMIN, "username": "admin", "team_id": TEAM },
        "view": {
            "type": "modal",
            "private_metadata": "/event create",
            "blocks": [
                { "type": "input", "block_id": "title" },
                { "type": "input", "block_id": "at" },
                { "type": "input", "block_id": "duration" },
            ],
            "state": { "values": {
                "title": { "title": { "type": "plain_text_input", "value": "忘年会" } },
                "at": { "at": { "type": "plain_text_input", "value": "2020-12-18 19:00" } },
                "duration": { "duration": { "type": "plain_text_input", "value": "2h" } },
            } },
        },
    });
    let answer = rig.interaction(payload).await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(body["response_action"], "errors", "{body:#}");
    let errors = body["errors"].as_object().unwrap();
    assert_eq!(errors.len(), 1, "{body:#}");
    let shown = errors["at"]
        .as_str()
        .unwrap_or_else(|| panic!("not on 'at': {body:#}"));
    assert!(shown.contains("過ぎ"), "in Japanese: {shown}");
    assert!(
        !shown.contains("at"),
        "the message never names the key: {shown}"
    );
    // Nothing was created.
    let list = rig.command_json(ADMIN, "admin", "/event", "list").await;
    assert!(!all_text(&list).contains("忘年会"), "{list:#}");
    rig.finish().await;
}

/// Before: the error was placed by searching its text for a key name; the Japanese
/// "その日時はすでに過ぎています" names none, so it landed on the first field (title).
#[tokio::test]
async fn a_japanese_error_lands_on_the_field_it_is_about() {
    past_start_in_japanese(Rig::sqlite("modal_error_key").await).await;
}

#[tokio::test]
async fn a_japanese_error_lands_on_the_field_it_is_about_on_postgres() {
    if let Some(rig) = Rig::postgres("modal_error_key_pg").await {
        past_start_in_japanese(rig).await;
    }
}
