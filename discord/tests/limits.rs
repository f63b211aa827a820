//! Discord's limits, end to end: the fake refuses what Discord refuses (`support/limits.rs`),
//! and the bot's answers still reach the user whole — more than 25 buttons, more than 6,000
//! characters, a form of more than five fields.

#![recursion_limit = "256"]

mod support;

use std::time::{Duration, Instant};

use bot_core::action::Action;
use bot_core::clock::Clock;
use bot_core::i18n::{self, Locale};
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use support::fake_discord::member;
use support::*;

/// Discord's interaction callback types.
const MESSAGE: u64 = 4;
const DEFERRED: u64 = 5;
const MODAL: u64 = 9;
const EPHEMERAL: u64 = 1 << 6;

/// Every message that answers interaction `id` — the edited original and each follow-up —
/// once `done` holds for them (waits up to 10 s; fails showing what the fake refused).
async fn answers_until(rig: &Rig, id: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let token = format!("/itoken-{id}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let messages: Vec<Value> = rig
            .fake
            .calls()
            .into_iter()
            .filter(|c| c.path.contains(&token) && c.path.contains("/webhooks/"))
            .filter(|c| c.method == "PATCH" || c.method == "POST")
            .map(|c| c.body)
            .collect();
        if done(&messages) {
            return messages;
        }
        assert!(
            Instant::now() < deadline,
            "the answer to {id} never arrived whole; Discord refused: {:#?}; sent: {messages:#?}",
            rig.fake.limit_refusals()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The characters of a message's embeds that count towards Discord's 6,000.
fn embed_chars(body: &Value) -> usize {
    let count = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    body["embeds"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            count(&e["title"])
                + count(&e["description"])
                + count(&e["footer"]["text"])
                + count(&e["author"]["name"])
                + e["fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| count(&f["name"]) + count(&f["value"]))
                    .sum::<usize>()
        })
        .sum()
}

fn text_option(name: &str, value: &str) -> Value {
    json!({ "name": name, "type": 3, "value": value })
}

#[tokio::test]
async fn a_reply_with_more_than_25_buttons_shows_every_button_and_discord_takes_every_post() {
    let rig = Rig::start("dl_buttons").await;
    // 14 people wait for approval: the list offers 28 Approve / Decline buttons.
    let people: Vec<u64> = (0..14).map(|i| 710_000_000_000_000_100 + i).collect();
    for (i, user) in people.iter().enumerate() {
        let who = member(*user, &format!("p{i}"), "0", false);
        let name = format!("Person {i}");
        let id = rig.slash(
            &who,
            "en-US",
            "alumni",
            "join",
            json!([text_option("name", &name)]),
        );
        rig.answer(&id).await;
    }
    let community = rig.community().await.id;
    let mut expected = Vec::new();
    for user in &people {
        let m = rig.member(*user).await.unwrap();
        expected.push(Action::Approve(m.id).encode_in(community));
        expected.push(Action::Reject(m.id).encode_in(community));
    }

    let id = rig.slash(&admin(), "en-US", "alumni", "pending", json!([]));
    let shown = answers_until(&rig, &id, |messages| {
        expected
            .iter()
            .all(|b| messages.iter().any(|m| buttons(m).contains(b)))
    })
    .await;
    assert!(rig.fake.limit_refusals().is_empty());
    assert!(shown.len() >= 2, "28 buttons need two messages: {shown:#?}");
    for follow_up in &shown[1..] {
        assert_eq!(
            follow_up["flags"].as_u64().unwrap_or(0) & EPHEMERAL,
            EPHEMERAL,
            "the list is only for the admin: {follow_up:#}"
        );
    }

    // A button that only fits in a later message works: the last person is approved.
    let last = people.last().unwrap();
    let approve = &expected[expected.len() - 2];
    assert!(
        !buttons(&shown[0]).contains(approve),
        "it is in a later message"
    );
    let press = rig.press(&admin(), "en-US", approve);
    rig.callback(&press).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !rig.member(*last).await.unwrap().is_approved() {
        assert!(Instant::now() < deadline, "Person 13 was not approved");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    rig.finish().await;
}

#[tokio::test]
async fn a_directory_page_of_long_profiles_arrives_whole_within_6000_characters_a_message() {
    let rig = Rig::start("dl_search").await;
    // Ten members with every summary field at its longest: each result is over 1,000
    // characters, a page over 10,000.
    let skills: Vec<String> = (0..20)
        .map(|i| format!("rust-{i:02}-{}", "s".repeat(32)))
        .collect();
    let mut names = Vec::new();
    for i in 0..10u64 {
        let user = 710_000_000_000_000_200 + i;
        let name = format!("Member {i:02} {}", "N".repeat(60));
        let who = member(user, &format!("m{i}"), "0", false);
        let id = rig.slash(
            &who,
            "en-US",
            "alumni",
            "join",
            json!([
                text_option("name", &name),
                text_option("title", &format!("Title{i} {}", "t".repeat(110))),
                text_option("company", &format!("Company{i} {}", "c".repeat(110))),
                text_option("department", &format!("Dept{i} {}", "d".repeat(110))),
                text_option("skills", &skills.join(",")),
            ]),
        );
        let (joined, _) = rig.answer(&id).await;
        assert!(all_text(&joined).contains("Member"), "{joined:#}");
        let id = rig.slash(
            &owner(),
            "en-US",
            "alumni",
            "approve",
            json!([{ "name": "member", "type": 6, "value": user.to_string() }]),
        );
        rig.answer(&id).await;
        assert!(rig.member(user).await.unwrap().is_approved(), "{name}");
        names.push(name);
    }

    let id = rig.slash(
        &admin(),
        "en-US",
        "alumni",
        "search",
        json!([text_option("skills", &skills[19])]),
    );
    let shown = answers_until(&rig, &id, |messages| {
        let text: String = messages.iter().map(all_text).collect();
        names.iter().all(|n| text.contains(n.as_str()))
    })
    .await;
    assert!(
        rig.fake.limit_refusals().is_empty(),
        "{:#?}",
        rig.fake.limit_refusals()
    );
    for message in &shown {
        assert!(embed_chars(message) <= 6000, "{message:#}");
    }
    // Nothing is lost: every result keeps its last skill (at the very end of its line).
    let text: String = shown.iter().map(all_text).collect();
    assert_eq!(
        text.matches(skills[19].as_str()).count(),
        10,
        "every member's whole summary: {text}"
    );
    rig.finish().await;
}

#[tokio::test]
async fn the_event_form_on_discord_lets_staff_set_capacity_remind_and_channel() {
    let rig = Rig::start("dl_form").await;
    let start = Utc::now() + TimeDelta::days(3);
    let at = start
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let answers = [
        ("title", "Year-end drinks"),
        ("at", at.as_str()),
        ("duration", "2h"),
        ("where", "Shibuya"),
        ("capacity", "30"),
        ("remind", "1d,2h"),
        ("channel", "events"),
    ];

    // A bare `/event create` opens the form; each page is filled and submitted. A page that
    // is not the last is answered (only to the admin) with a button that opens the next.
    let id = rig.slash(&admin(), "ja", "event", "create", json!([]));
    let mut modal = rig.callback(&id).await;
    let mut offered = Vec::new();
    let mut pages = 0;
    let submitted = loop {
        pages += 1;
        assert!(pages <= 3, "eight fields fit two pages");
        assert_eq!(modal["type"], MODAL, "{modal:#}");
        let keys: Vec<String> = modal["data"]["components"]
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
        let fields: Vec<(&str, &str)> = keys
            .iter()
            .map(|k| {
                let value = answers.iter().find(|(a, _)| a == k).map_or("", |(_, v)| *v);
                (k.as_str(), value)
            })
            .collect();
        offered.extend(keys.clone());
        let custom_id = modal["data"]["custom_id"].as_str().unwrap().to_owned();
        let submit = rig.submit(&admin(), "ja", &custom_id, &fields);
        let reply = rig.callback(&submit).await;
        if reply["type"] == DEFERRED {
            break submit;
        }
        assert_eq!(reply["type"], MESSAGE, "{reply:#}");
        assert_eq!(
            reply["data"]["flags"].as_u64().unwrap_or(0) & EPHEMERAL,
            EPHEMERAL
        );
        let next = buttons(&reply["data"]);
        assert_eq!(next.len(), 1, "{reply:#}");
        let label = reply["data"]["components"][0]["components"][0]["label"]
            .as_str()
            .unwrap()
            .to_owned();
        let continue_ja = i18n::t(
            Locale::Ja,
            "discord.form_continue_button",
            &[("page", "2"), ("pages", "2")],
        );
        assert_eq!(label, continue_ja, "in the admin's language");
        let press = rig.press(&admin(), "ja", &next[0]);
        modal = rig.callback(&press).await;
    };
    for key in [
        "title", "at", "duration", "end", "where", "capacity", "remind", "channel",
    ] {
        assert!(
            offered.iter().any(|k| k == key),
            "{key} is asked for: {offered:?}"
        );
    }

    // One event, with what every page said.
    let (created, _) = rig.answer(&submitted).await;
    assert!(
        all_text(&created).contains("Year-end drinks"),
        "{created:#}"
    );
    let community = rig.community().await.id;
    let events = rig
        .store
        .upcoming_events(community, rig.clock.now())
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    assert_eq!(
        (event.title.as_str(), event.location.as_deref()),
        ("Year-end drinks", Some("Shibuya"))
    );
    assert_eq!(event.capacity, Some(30));
    assert_eq!(event.remind, vec![TimeDelta::days(1), TimeDelta::hours(2)]);
    assert_eq!(event.channel, "events");
    assert!(rig.fake.limit_refusals().is_empty());
    rig.finish().await;
}
