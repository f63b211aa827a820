//! Replies too long for one Block Kit field, section or modal title reach Slack within its
//! limits (the fake refuses anything past them, `Rig::finish` fails on any refusal) and lose
//! nothing a member wrote: a long value goes on in further fields, not cut off with "…".

mod support;

use bot_core::domain::{Identity, Platform};
use bot_core::service::Actor;
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use support::slack_limits::{FIELD_TEXT, SECTION_TEXT, VIEW_TITLE};
use support::{ADMIN, Rig, TEAM, all_text};

fn actor(user: &str, handle: &str) -> Actor {
    Actor {
        identity: Identity {
            platform: Platform::Slack,
            space_id: TEAM.into(),
            user_id: user.into(),
            handle: handle.into(),
        },
        locale: None,
        platform_admin: false,
    }
}

/// Every text object in a message or view is within Slack's limits for its kind.
fn assert_within_limits(blocks: &Value) {
    for block in blocks.as_array().unwrap() {
        if let Some(t) = block["text"]["text"].as_str() {
            assert!(t.chars().count() <= SECTION_TEXT, "{block:#}");
        }
        for f in block["fields"].as_array().into_iter().flatten() {
            let n = f["text"].as_str().unwrap().chars().count();
            assert!(n <= FIELD_TEXT, "{n}: {block:#}");
        }
    }
}

/// A bio typed in the profile modal (no escaping there) full of `&`, `<`, `>`: escaped for
/// Slack it is over 4,000 characters, twice a field's 2,000. Before, the field was cut at
/// 2,000 with "…" and the end of the bio was lost; now it goes on in a second field.
#[tokio::test]
async fn a_long_bio_with_escapes_is_shown_whole() {
    let rig = Rig::sqlite("long_bio").await;
    rig.command_json("UBEN", "ben", "/alumni", "join name:\"Ben Brown\"")
        .await;
    rig.command_json(ADMIN, "admin", "/alumni", "approve <@UBEN|ben>")
        .await;
    let mut bio = String::new();
    let mut n = 0;
    while bio.chars().count() < 960 {
        bio.push_str(&format!("R&D<{n}> "));
        n += 1;
    }
    bio.push_str("THE-END");
    let payload = json!({
        "type": "view_submission",
        "team": { "id": TEAM },
        "user": { "id": "UBEN", "username": "ben", "team_id": TEAM },
        "view": {
            "type": "modal",
            "private_metadata": "/alumni profile set",
            "blocks": [{ "type": "input", "block_id": "bio" }],
            "state": { "values": { "bio": { "bio": { "type": "plain_text_input", "value": bio } } } },
        },
    });
    let saved = rig.interaction(payload).await;
    assert_eq!(saved.status, 200, "{}", saved.body);

    let shown = rig.command_json("UBEN", "ben", "/alumni", "profile").await;
    assert_within_limits(&shown["blocks"]);
    let text = all_text(&json!({ "blocks": shown["blocks"] }));
    assert!(
        text.contains("THE-END"),
        "the end of the bio is lost: {shown:#}"
    );
    for i in [0, n / 2, n - 1] {
        assert!(
            text.contains(&format!("R&amp;D&lt;{i}&gt; ")),
            "item {i}: {shown:#}"
        );
    }
    assert!(!text.contains('…'), "{shown:#}");
    rig.finish().await;
}

/// 60 people going to an event, each with a long name: the attendee list is about 6,000
/// characters, three fields' worth. Before, it was cut at 2,000 with "…" and two thirds of the
/// people were missing; now every one of them is listed.
#[tokio::test]
async fn every_attendee_of_a_big_event_is_listed() {
    let rig = Rig::sqlite("many_attendees").await;
    let core = &rig.core;
    let admin = actor(ADMIN, "admin");
    let at = (Utc::now() + TimeDelta::days(5))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%d 19:00")
        .to_string();
    let created = core
        .handle_text(
            &admin,
            &format!("/event create title:\"Reunion\" at:\"{at}\""),
        )
        .await;
    assert!(!created.error, "{created:?}");
    let names: Vec<String> = (0..60)
        .map(|i| format!("Member {i:02} with a rather long family name Wolfeschlegelstein"))
        .collect();
    for (i, name) in names.iter().enumerate() {
        let (user, handle) = (format!("UM{i:04}"), format!("m{i:02}"));
        let me = actor(&user, &handle);
        let joined = core
            .handle_text(&me, &format!("/alumni join name:\"{name}\""))
            .await;
        assert!(!joined.error, "{joined:?}");
        let approved = core
            .handle_text(&admin, &format!("/alumni approve <@{user}|{handle}>"))
            .await;
        assert!(!approved.error, "{approved:?}");
        let going = core.handle_text(&me, "/event rsvp 1 going").await;
        assert!(!going.error, "{going:?}");
    }

    let list = rig
        .command_json(ADMIN, "admin", "/event", "attendees 1")
        .await;
    assert_within_limits(&list["blocks"]);
    let text = all_text(&json!({ "blocks": list["blocks"] }));
    for name in &names {
        assert!(text.contains(name.as_str()), "{name} is missing: {list:#}");
    }
    rig.finish().await;
}

/// The event form's modal in Japanese: its title, counted in characters, fits Slack's 24, and
/// the fake (which refuses a longer one) opened it.
#[tokio::test]
async fn the_japanese_event_form_opens_within_the_modal_limits() {
    let rig = Rig::sqlite("ja_event_modal").await;
    rig.fake.add_user(ADMIN, "admin", "ja-JP", false);
    let answer = rig.command(ADMIN, "admin", "/event", "create").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let opened = rig.fake.wait_for("views.open", 1).await;
    let view = &opened[0].body["view"];
    let title = view["title"]["text"].as_str().unwrap();
    assert_eq!(title, "イベントを作成");
    assert!(title.chars().count() <= VIEW_TITLE);
    let labels: Vec<&str> = view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["label"]["text"].as_str())
        .collect();
    assert!(labels.len() >= 2, "{view:#}");
    rig.finish().await;
}
