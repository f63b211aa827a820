//! The real serenity client against the fake Discord: commands registered, slash commands,
//! buttons and modals answered, deliveries posted with nonces.

#![recursion_limit = "256"]

mod support;

use std::time::Duration;

use serde_json::json;
use support::fake_discord::{GENERAL, GUILD};
use support::*;

/// Discord's interaction callback types.
const MESSAGE: u64 = 4;
const DEFERRED: u64 = 5;
const MODAL: u64 = 9;
const EPHEMERAL: u64 = 1 << 6;

#[tokio::test]
async fn commands_are_registered_in_the_guild_with_japanese_names() {
    let rig = Rig::start("dc_register").await;
    let put = rig
        .fake
        .wait_for("PUT", &format!("/guilds/{GUILD}/commands"), 1)
        .await;
    let commands = put[0].body.as_array().unwrap().clone();
    let names: Vec<&str> = commands
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alumni", "event", "intro", "coffee"]);
    let alumni = &commands[0];
    assert_eq!(alumni["name_localizations"]["ja"], "アルムナイ");
    assert!(
        alumni["description_localizations"]["ja"]
            .as_str()
            .unwrap()
            .contains("アルムナイ")
    );
    let join = alumni["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "join")
        .unwrap();
    assert_eq!(join["name_localizations"]["ja"], "参加");
    let keys: Vec<&str> = join["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"open_to") && keys.contains(&"skills"),
        "{keys:?}"
    );
    assert!(
        rig.fake.calls_to("PUT", "/applications/").len() == 1,
        "not also globally"
    );
    rig.finish();
}

#[tokio::test]
async fn join_is_deferred_then_edited_and_an_admin_approves_with_the_button() {
    let rig = Rig::start("dc_join").await;
    let id = rig.slash(
        &aiko(),
        "ja",
        "alumni",
        "join",
        json!([
            { "name": "name", "type": 3, "value": "田中 愛子" },
            { "name": "skills", "type": 3, "value": "Rust, Go" },
        ]),
    );
    let callback = rig.callback(&id).await;
    assert_eq!(callback["type"], DEFERRED, "{callback:#}");
    let (edited, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral, "a join request is only for the asker");
    assert!(all_text(&edited).contains("田中 愛子"), "{edited:#}");
    assert!(
        all_text(&edited).contains("承認"),
        "answered in the user's locale: {edited:#}"
    );
    assert!(
        rig.fake.answer_delay(&id).unwrap() < Duration::from_secs(3),
        "acknowledged within Discord's deadline"
    );

    // The admin's notice goes out as a DM with Approve / Decline buttons, with a nonce.
    rig.deliver_due().await;
    let dm_open = rig.fake.wait_for("POST", "/users/@me/channels", 1).await;
    assert_eq!(dm_open[0].body["recipient_id"], ADMIN.to_string());
    let posts = rig.fake.calls_to("POST", "/messages");
    let notice = posts
        .iter()
        .find(|c| all_text(&c.body).contains("田中 愛子"))
        .unwrap_or_else(|| panic!("{posts:#?}"));
    assert_eq!(notice.body["enforce_nonce"], true);
    let nonce = notice.body["nonce"].as_str().unwrap();
    assert!(!nonce.is_empty() && nonce.len() <= 25, "{nonce}");
    let approve = buttons(&notice.body)
        .into_iter()
        .find(|b| b.starts_with("v1.ap."))
        .unwrap();

    // Someone who is not an admin presses it: refused, only to them, nothing changes.
    let id = rig.press(&ben(), "en-US", &approve);
    let refused = rig.callback(&id).await;
    assert_eq!(refused["type"], MESSAGE);
    assert_eq!(refused["data"]["flags"], EPHEMERAL);
    rig.deliver_due().await;
    assert!(
        !rig.fake
            .calls_to("POST", "/messages")
            .iter()
            .any(|c| all_text(&c.body).contains("approved")),
        "aiko was not told anything"
    );

    // The guild owner presses it: aiko is approved and told.
    let id = rig.press(&owner(), "en-US", &approve);
    let answer = rig.callback(&id).await;
    assert_eq!(answer["type"], MESSAGE);
    assert!(
        all_text(&answer["data"]).contains("田中 愛子"),
        "{answer:#}"
    );
    rig.deliver_due().await;
    let opened = rig.fake.calls_to("POST", "/users/@me/channels");
    assert!(
        opened
            .iter()
            .any(|c| c.body["recipient_id"].as_str().and_then(|s| s.parse().ok()) == Some(AIKO)),
        "aiko got a DM: {opened:#?}"
    );
    rig.finish();
}

#[tokio::test]
async fn a_bare_join_opens_a_modal_whose_answers_run_the_command() {
    let rig = Rig::start("dc_modal").await;
    let id = rig.slash(&ben(), "en-US", "alumni", "join", json!([]));
    let callback = rig.callback(&id).await;
    assert_eq!(callback["type"], MODAL, "{callback:#}");
    assert_eq!(callback["data"]["custom_id"], "/alumni join");
    let inputs: Vec<String> = callback["data"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row["components"][0]["custom_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(inputs[0], "name");

    // A 10,000-character field is refused with an error, and ben is not a member.
    let long = "x".repeat(10_000);
    let id = rig.submit(
        &ben(),
        "en-US",
        "/alumni join",
        &[("name", "Ben"), ("bio", &long)],
    );
    assert_eq!(rig.callback(&id).await["data"]["flags"], EPHEMERAL);
    let (refused, ephemeral) = rig.answer(&id).await;
    assert!(
        ephemeral && all_text(&refused).contains("bio"),
        "{refused:#}"
    );

    let id = rig.submit(
        &ben(),
        "en-US",
        "/alumni join",
        &[("name", "Ben Brown"), ("skills", "Go")],
    );
    let (joined, _) = rig.answer(&id).await;
    assert!(all_text(&joined).contains("Ben Brown"), "{joined:#}");
    rig.finish();
}

#[tokio::test]
async fn a_forged_button_gets_an_ephemeral_error() {
    let rig = Rig::start("dc_forged").await;
    let id = rig.press(&ben(), "en-US", "v1.ap.999999");
    let answer = rig.callback(&id).await;
    assert_eq!(answer["data"]["flags"], EPHEMERAL, "{answer:#}");
    assert!(!all_text(&answer["data"]).is_empty());
    let id = rig.press(&ben(), "en-US", "not-an-action");
    assert_eq!(rig.callback(&id).await["data"]["flags"], EPHEMERAL);
    rig.finish();
}

#[tokio::test]
async fn a_rate_limited_post_is_delivered_later_not_lost() {
    let rig = Rig::start("dc_429").await;
    let id = rig.slash(
        &aiko(),
        "en-US",
        "alumni",
        "join",
        json!([{ "name": "name", "type": 3, "value": "Aiko" }]),
    );
    rig.answer(&id).await;
    rig.fake.throttle("/api/v10/channels/", 1);
    let first = rig.deliver_due().await;
    let throttled = rig.fake.calls_to("POST", "/messages");
    assert_eq!(throttled.len(), 1, "one attempt, answered 429");
    assert!(first.retried >= 1 && first.failed == 0, "{first:?}");

    // After Retry-After the same message (same nonce) goes through once.
    rig.clock.advance(chrono::TimeDelta::seconds(2));
    rig.deliver_due().await;
    let posts = rig.fake.calls_to("POST", "/messages");
    assert_eq!(posts.len(), 2, "{posts:#?}");
    assert_eq!(posts[0].body["nonce"], posts[1].body["nonce"]);
    rig.finish();
}

#[tokio::test]
async fn an_event_is_announced_with_rsvp_buttons_and_reminded_with_nonces() {
    let rig = Rig::start("dc_event").await;
    let start = chrono::Utc::now() + chrono::TimeDelta::days(2);
    let at = start
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let id = rig.slash(
        &admin(),
        "en-US",
        "event",
        "create",
        json!([
            { "name": "title", "type": 3, "value": "Year-end drinks" },
            { "name": "at", "type": 3, "value": at },
            { "name": "remind", "type": 3, "value": "1h" },
        ]),
    );
    let (created, _) = rig.answer(&id).await;
    assert!(
        all_text(&created).contains("Year-end drinks"),
        "{created:#}"
    );
    // Mirrored to the server's native scheduled events.
    let native = rig
        .fake
        .wait_for("POST", &format!("/guilds/{GUILD}/scheduled-events"), 1)
        .await;
    assert_eq!(native[0].body["name"], "Year-end drinks");
    assert_eq!(native[0].body["entity_type"], 3);

    rig.deliver_due().await;
    let channel_posts = rig
        .fake
        .calls_to("POST", &format!("/channels/{GENERAL}/messages"));
    let announcement = channel_posts
        .iter()
        .find(|c| all_text(&c.body).contains("Year-end drinks"))
        .unwrap_or_else(|| panic!("{channel_posts:#?}"));
    let going = buttons(&announcement.body)
        .into_iter()
        .find(|b| b.starts_with("v1.rs.") && b.ends_with(".g"))
        .unwrap();

    // Typing an event id suggests upcoming events by title.
    let typing = rig.fake.next_id();
    rig.fake.dispatch(
        "INTERACTION_CREATE",
        support::fake_discord::autocomplete(typing, &admin(), "event", "show", "id", ""),
    );
    let suggested = rig.callback(&typing.to_string()).await;
    assert_eq!(suggested["type"], 8, "{suggested:#}");
    assert_eq!(suggested["data"]["choices"][0]["value"], 1);
    assert!(
        suggested["data"]["choices"][0]["name"]
            .as_str()
            .unwrap()
            .contains("Year-end drinks")
    );

    // The admin (a member) presses Going: answered to them only.
    let id = rig.press(&admin(), "en-US", &going);
    let answer = rig.callback(&id).await;
    assert_eq!(answer["data"]["flags"], EPHEMERAL, "{answer:#}");

    // An hour before the start: a channel post and a DM, each with its own nonce.
    rig.clock
        .advance(start - chrono::Utc::now() - chrono::TimeDelta::minutes(59));
    rig.deliver_due().await;
    let posts = rig.fake.calls_to("POST", "/messages");
    let reminders: Vec<_> = posts
        .iter()
        .filter(|c| all_text(&c.body).contains("Year-end drinks"))
        .skip(1)
        .collect();
    assert!(reminders.len() >= 2, "channel + DM: {reminders:#?}");
    let nonces: std::collections::HashSet<&str> = posts
        .iter()
        .map(|c| c.body["nonce"].as_str().unwrap())
        .collect();
    assert_eq!(nonces.len(), posts.len(), "every post has its own nonce");

    // Cancelled: the scheduled event is marked cancelled too.
    let id = rig.slash(
        &admin(),
        "en-US",
        "event",
        "cancel",
        json!([{ "name": "id", "type": 4, "value": 1 }]),
    );
    rig.answer(&id).await;
    let cancelled = rig
        .fake
        .wait_for("PATCH", &format!("/guilds/{GUILD}/scheduled-events/"), 1)
        .await;
    assert_eq!(cancelled[0].body["status"], 4);
    rig.finish();
}

#[tokio::test]
async fn the_member_role_waits_for_screening_and_goes_when_they_leave() {
    let rig = Rig::start("dc_roles").await;
    let role_path = format!("/guilds/{GUILD}/members/{AIKO}/roles/{MEMBER_ROLE}");
    // aiko has not passed the server's membership screening yet.
    let pending_aiko = support::fake_discord::member(AIKO, "aiko", "0", true);
    let id = rig.slash(
        &pending_aiko,
        "en-US",
        "alumni",
        "join",
        json!([{ "name": "name", "type": 3, "value": "Aiko" }]),
    );
    rig.answer(&id).await;
    let id = rig.slash(
        &owner(),
        "en-US",
        "alumni",
        "approve",
        json!([{ "name": "member", "type": 6, "value": AIKO.to_string() }]),
    );
    let (approved, _) = rig.answer(&id).await;
    assert!(all_text(&approved).contains("Aiko"), "{approved:#}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        rig.fake.calls_to("PUT", &role_path).is_empty(),
        "no role while screening is pending"
    );

    // Screening passed: Discord sends GUILD_MEMBER_UPDATE with pending false.
    rig.fake.dispatch(
        "GUILD_MEMBER_UPDATE",
        support::fake_discord::member_update(AIKO, "aiko", false),
    );
    rig.fake.wait_for("PUT", &role_path, 1).await;

    // She leaves: the role goes.
    let id = rig.slash(&aiko(), "en-US", "alumni", "leave", json!([]));
    rig.answer(&id).await;
    rig.fake.wait_for("DELETE", &role_path, 1).await;
    assert_eq!(rig.fake.calls_to("PUT", &role_path).len(), 1);
    rig.finish();
}
