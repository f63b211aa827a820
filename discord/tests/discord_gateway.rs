//! The real serenity client against the fake Discord: commands registered, slash commands,
//! buttons and modals answered, deliveries posted with nonces.

#![recursion_limit = "256"]

mod support;

use std::time::Duration;

use bot_core::domain::MemberStatus;
use bot_core::i18n::{self, Locale};
use serde_json::json;
use support::fake_discord::{GENERAL, GUILD, dm_channel};
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
    // Every command of the core's spec, then the two member context menus.
    let mut expected: Vec<&str> = bot_core::command::spec::COMMANDS
        .iter()
        .map(|c| c.name)
        .collect();
    expected.extend(["Alumni profile", "Introduce me"]);
    assert_eq!(names, expected);
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
    rig.finish().await;
}

/// Discord refuses a whole bulk registration over one broken command (400, code 50035) and
/// then no command exists on the server. The fake checks every documented rule
/// (`support/registration.rs`), so this fails if anything we build from the spec breaks one.
#[tokio::test]
async fn discord_accepts_and_stores_every_command_we_register() {
    let rig = Rig::start("dc_register_valid").await;
    let stored = rig
        .fake
        .registration(Some(GUILD))
        .await
        .unwrap_or_else(|refusal| panic!("Discord refused our commands: {refusal:#}"));
    let sent = rig
        .fake
        .wait_for("PUT", &format!("/guilds/{GUILD}/commands"), 1)
        .await;
    assert_eq!(stored.len(), sent[0].body.as_array().unwrap().len());
    let mut expected: Vec<&str> = bot_core::command::spec::COMMANDS
        .iter()
        .map(|c| c.name)
        .collect();
    expected.extend(["Alumni profile", "Introduce me"]);
    let names: Vec<&str> = stored.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, expected);
    // Every subcommand with every key of the spec is on the server.
    for c in bot_core::command::spec::COMMANDS {
        let command = stored.iter().find(|s| s["name"] == c.name).unwrap();
        for sub in c.subs {
            let registered = command["options"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["name"] == sub.name)
                .unwrap_or_else(|| panic!("/{} {}", c.name, sub.name));
            let mut keys: Vec<&str> = registered["options"]
                .as_array()
                .map(|o| o.iter().map(|k| k["name"].as_str().unwrap()).collect())
                .unwrap_or_default();
            let mut wanted: Vec<&str> = sub.keys.iter().map(|k| k.name).collect();
            keys.sort_unstable();
            wanted.sort_unstable();
            assert_eq!(keys, wanted, "/{} {}", c.name, sub.name);
        }
    }
    rig.finish().await;
}

/// The validating fake can fail: our own registration with `/intro request`'s optional
/// `member2` put before the required `why` (the order Discord refused) is answered 400 with
/// code 50035 naming that option, through serenity as the bot sends it, and changes nothing.
#[tokio::test]
async fn discord_refuses_an_optional_option_before_a_required_one() {
    use alumni_discord::serenity::all::{ApplicationId, GuildId, HttpBuilder};
    let fake = FakeDiscord::start().await;
    let http = HttpBuilder::new(support::fake_discord::TOKEN)
        .proxy(fake.base.clone())
        .ratelimiter_disabled(true)
        .application_id(ApplicationId::new(support::fake_discord::APP_ID))
        .build();
    let ours: Vec<serde_json::Value> =
        alumni_discord::framework::definitions(&alumni_discord::framework::commands())
            .iter()
            .map(|d| serde_json::to_value(d).unwrap())
            .collect();
    http.create_guild_commands(GuildId::new(GUILD), &ours)
        .await
        .expect("our own set is accepted");

    let mut swapped = ours.clone();
    let intro = swapped.iter().position(|c| c["name"] == "intro").unwrap();
    let request = swapped[intro]["options"]
        .as_array()
        .unwrap()
        .iter()
        .position(|o| o["name"] == "request")
        .unwrap();
    let options = swapped[intro]["options"][request]["options"]
        .as_array_mut()
        .unwrap();
    let why = options.iter().position(|o| o["name"] == "why").unwrap();
    let member2 = options.iter().position(|o| o["name"] == "member2").unwrap();
    options.swap(why, member2);
    let (first, second) = (why.min(member2), why.max(member2));
    assert_eq!(options[first]["name"], "member2");
    assert_eq!(options[second]["required"], true);

    let refused = http
        .create_guild_commands(GuildId::new(GUILD), &swapped)
        .await
        .expect_err("Discord refuses a required option after an optional one");
    let alumni_discord::serenity::Error::Http(
        alumni_discord::serenity::all::HttpError::UnsuccessfulRequest(answer),
    ) = refused
    else {
        panic!("{refused:?}");
    };
    assert_eq!(answer.status_code.as_u16(), 400);
    assert_eq!(answer.error.code, 50035, "{answer:?}");
    assert_eq!(answer.error.message, "Invalid Form Body");
    let paths: Vec<&str> = answer
        .error
        .errors
        .iter()
        .map(|e| e.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [format!(
            "{intro}.options.{request}.options.{second}.required"
        )],
        "{answer:?}"
    );
    // Refused whole: what was registered before is still there, unchanged.
    let kept = fake.registered(Some(GUILD)).unwrap();
    assert_eq!(kept.len(), ours.len());
    let kept_intro = &kept[intro]["options"][request]["options"];
    assert_eq!(kept_intro, &ours[intro]["options"][request]["options"]);
}

/// Each documented rule on its own: a valid command broken in one way is refused with 50035
/// at that place; names Discord allows (Japanese, Devanagari, a context menu's spaces and
/// capitals) are accepted.
#[tokio::test]
async fn each_registration_rule_of_discords_docs_is_enforced() {
    use alumni_discord::serenity::all::{ApplicationId, GuildId, HttpBuilder};
    use serde_json::Value;
    let fake = FakeDiscord::start().await;
    let http = HttpBuilder::new(support::fake_discord::TOKEN)
        .proxy(fake.base.clone())
        .ratelimiter_disabled(true)
        .application_id(ApplicationId::new(support::fake_discord::APP_ID))
        .build();
    let base = || {
        json!([{
            "name": "probe", "description": "A probe", "type": 1,
            "options": [{ "type": 3, "name": "text", "description": "Text" }],
        }])
    };
    let option = |i: usize| json!({ "type": 3, "name": format!("o{i}"), "description": "d" });
    let choice = |i: usize| json!({ "name": format!("c{i}"), "value": format!("v{i}") });
    type Break = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Break, &str)> = vec![
        (
            "uppercase",
            Box::new(|c| c[0]["name"] = json!("Probe")),
            "0.name",
        ),
        (
            "a space",
            Box::new(|c| c[0]["name"] = json!("my probe")),
            "0.name",
        ),
        (
            "33 characters",
            Box::new(|c| c[0]["name"] = json!("p".repeat(33))),
            "0.name",
        ),
        (
            "fullwidth capital",
            Box::new(|c| c[0]["name_localizations"] = json!({ "ja": "Ｐ" })),
            "0.name_localizations.ja",
        ),
        (
            "unknown locale",
            Box::new(|c| c[0]["name_localizations"] = json!({ "jp": "試験" })),
            "0.name_localizations.jp",
        ),
        (
            "101-character description",
            Box::new(|c| c[0]["description"] = json!("x".repeat(101))),
            "0.description",
        ),
        (
            "empty description",
            Box::new(|c| c[0]["description"] = json!("")),
            "0.description",
        ),
        (
            "long localized description",
            Box::new(|c| c[0]["description_localizations"] = json!({ "ja": "説".repeat(101) })),
            "0.description_localizations.ja",
        ),
        (
            "uppercase option",
            Box::new(|c| c[0]["options"][0]["name"] = json!("Text")),
            "0.options.0.name",
        ),
        (
            "26 options",
            Box::new(move |c| c[0]["options"] = (0..26).map(option).collect()),
            "0.options",
        ),
        (
            "26 choices",
            Box::new(move |c| c[0]["options"][0]["choices"] = (0..26).map(choice).collect()),
            "0.options.0.choices",
        ),
        (
            "autocomplete with choices",
            Box::new(move |c| {
                c[0]["options"][0]["choices"] = json!([choice(0)]);
                c[0]["options"][0]["autocomplete"] = json!(true);
            }),
            "0.options.0.autocomplete",
        ),
        (
            "required after optional",
            Box::new(move |c| {
                let mut needed = option(1);
                needed["required"] = json!(true);
                c[0]["options"].as_array_mut().unwrap().push(needed);
            }),
            "0.options.1.required",
        ),
        (
            "subcommand beside an option",
            Box::new(|c| {
                c[0]["options"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({ "type": 1, "name": "sub", "description": "d" }));
            }),
            "0.options",
        ),
        (
            "integer past 2^53-1",
            Box::new(|c| {
                c[0]["options"][0] = json!({ "type": 4, "name": "n", "description": "d", "max_value": 9_007_199_254_740_992_u64 });
            }),
            "0.options.0.max_value",
        ),
        (
            "user command with a description",
            Box::new(|c| {
                c.as_array_mut().unwrap().push(json!({ "name": "Alumni profile", "type": 2, "description": "Shows a profile" }));
            }),
            "1.description",
        ),
        (
            "the same name twice",
            Box::new(|c| {
                let again = c[0].clone();
                c.as_array_mut().unwrap().push(again);
            }),
            "1.name",
        ),
    ];
    for (what, break_it, at) in &cases {
        let mut body = base();
        break_it(&mut body);
        let refused = http
            .create_guild_commands(GuildId::new(GUILD), &body)
            .await
            .expect_err(what);
        let alumni_discord::serenity::Error::Http(
            alumni_discord::serenity::all::HttpError::UnsuccessfulRequest(answer),
        ) = refused
        else {
            panic!("{what}: {refused:?}");
        };
        assert_eq!(answer.error.code, 50035, "{what}");
        let paths: Vec<&str> = answer
            .error
            .errors
            .iter()
            .map(|e| e.path.as_str())
            .collect();
        assert_eq!(paths, [*at], "{what}: {answer:?}");
    }
    // 101 slash commands in one scope.
    let many: Vec<Value> = (0..101)
        .map(|i| json!({ "name": format!("c{i}"), "description": "d" }))
        .collect();
    let refused = http.create_guild_commands(GuildId::new(GUILD), &many).await;
    assert!(refused.is_err(), "101 slash commands");
    assert!(
        fake.registered(Some(GUILD)).is_none(),
        "nothing was registered"
    );

    // Allowed: lowercase-less scripts, Devanagari signs, a context menu's spaces and capitals.
    let mut fine = base();
    fine[0]["name_localizations"] = json!({ "ja": "アルムナイ", "hi": "सदस्य", "th": "สมาชิก" });
    fine.as_array_mut()
        .unwrap()
        .push(json!({ "name": "Alumni profile", "type": 2, "name_localizations": { "ja": "プロフィール" } }));
    http.create_guild_commands(GuildId::new(GUILD), &fine)
        .await
        .expect("all allowed");
    assert_eq!(fake.registered(Some(GUILD)).unwrap().len(), 2);
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

    // Someone who is not an admin presses it: refused, and aiko is still waiting in the
    // database, and her DMs hold nothing.
    let id = rig.press(&ben(), "en-US", &approve);
    let refused = rig.callback(&id).await;
    assert_eq!(refused["type"], MESSAGE);
    let forbidden = i18n::t(Locale::En, "error.forbidden", &[]);
    assert!(
        all_text(&refused["data"]).contains(&forbidden),
        "ben is told why, in his language: {refused:#}"
    );
    let status = |m: Option<bot_core::domain::Member>| m.map(|m| m.status);
    assert_eq!(status(rig.member(AIKO).await), Some(MemberStatus::Pending));
    rig.deliver_due().await;
    let to_aiko = rig.fake.messages_in(dm_channel(AIKO));
    assert!(to_aiko.is_empty(), "aiko was sent nothing: {to_aiko:#?}");

    // The guild owner presses it: aiko is approved and gets exactly the approval notice, in
    // her language.
    let id = rig.press(&owner(), "en-US", &approve);
    let answer = rig.callback(&id).await;
    assert_eq!(answer["type"], MESSAGE);
    assert!(
        all_text(&answer["data"]).contains("田中 愛子"),
        "{answer:#}"
    );
    assert_eq!(status(rig.member(AIKO).await), Some(MemberStatus::Approved));
    rig.deliver_due().await;
    let to_aiko = rig.fake.messages_in(dm_channel(AIKO));
    let notice = i18n::t(
        Locale::Ja,
        "approve.notice",
        &[("community", &rig.community().await.name)],
    );
    assert_eq!(to_aiko.len(), 1, "{to_aiko:#?}");
    assert!(all_text(&to_aiko[0]).contains(&notice), "{to_aiko:#?}");
    rig.finish().await;
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
    rig.finish().await;
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
    rig.finish().await;
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
    rig.finish().await;
}

/// Discord dedupes a nonce only "in the past few minutes". A DM that Discord posted but whose
/// answer was lost (500), retried after that window, must still reach the member exactly once:
/// the retry reads the DM channel back and finds its own post instead of posting again.
#[tokio::test]
async fn a_post_whose_answer_was_lost_is_not_repeated_after_the_nonce_window() {
    let rig = Rig::start("dc_lost_answer").await;
    rig.join_approved(&aiko(), "Aiko").await;
    let to_aiko = format!("/api/v10/channels/{}/messages", dm_channel(AIKO));
    rig.fake.lose_answers(&to_aiko, 1);
    let first = rig.deliver_due().await;
    assert!(first.retried >= 1, "the lost answer is retried: {first:?}");
    let held = rig.fake.messages_in(dm_channel(AIKO));
    assert_eq!(held.len(), 1, "Discord did post it: {held:#?}");

    // The retry comes after Discord forgot the nonce.
    rig.fake
        .pass_nonce_time(support::fake_discord::NONCE_WINDOW + Duration::from_secs(60));
    rig.clock.advance(chrono::TimeDelta::minutes(10));
    let second = rig.deliver_due().await;
    assert!(
        second.delivered >= 1 && second.retried == 0 && second.failed == 0,
        "{second:?}"
    );
    let held = rig.fake.messages_in(dm_channel(AIKO));
    let notice = i18n::t(
        Locale::En,
        "approve.notice",
        &[("community", &rig.community().await.name)],
    );
    assert_eq!(held.len(), 1, "aiko sees the notice once: {held:#?}");
    assert!(all_text(&held[0]).contains(&notice), "{held:#?}");
    // The retry read her DM channel back before deciding.
    assert!(!rig.fake.calls_to("GET", &to_aiko).is_empty());

    // A retried post that never reached Discord is still sent, though the bot's earlier (other)
    // message is in the channel it reads back.
    rig.join_approved(&ben(), "Ben").await;
    rig.deliver_due().await;
    let id = rig.slash(
        &ben(),
        "en-US",
        "intro",
        "request",
        json!([
            { "name": "member", "type": 6, "value": AIKO.to_string() },
            { "name": "why", "type": 3, "value": "We both ran the Osaka office" },
        ]),
    );
    rig.answer(&id).await;
    rig.fake.throttle(&to_aiko, 1);
    let refused = rig.deliver_due().await;
    assert!(refused.retried >= 1, "{refused:?}");
    assert_eq!(rig.fake.messages_in(dm_channel(AIKO)).len(), 1);
    rig.clock.advance(chrono::TimeDelta::minutes(10));
    rig.deliver_due().await;
    let held = rig.fake.messages_in(dm_channel(AIKO));
    assert_eq!(held.len(), 2, "{held:#?}");
    assert!(all_text(&held[1]).contains("We both ran the Osaka office"));
    rig.finish().await;
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
        .find(|b| b.starts_with("v1.rs.") && b.contains(".g@"))
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
    rig.finish().await;
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
    // The answer comes once the role was decided (given, or held back for screening).
    let (approved, _) = rig.answer(&id).await;
    assert!(all_text(&approved).contains("Aiko"), "{approved:#}");
    assert_eq!(
        rig.member(AIKO).await.map(|m| m.status),
        Some(MemberStatus::Approved)
    );
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
    rig.finish().await;
}

#[tokio::test]
async fn an_intro_asked_with_a_slash_command_connects_both_when_the_other_accepts() {
    let rig = Rig::start("dc_intro").await;
    rig.join_approved(&aiko(), "Aiko Tanaka").await;
    rig.join_approved(&ben(), "Ben Brown").await;
    rig.deliver_due().await;

    // aiko asks to be introduced to ben.
    let id = rig.slash(
        &aiko(),
        "en-US",
        "intro",
        "request",
        json!([
            { "name": "member", "type": 6, "value": BEN.to_string() },
            { "name": "why", "type": 3, "value": "Both of us build payment systems" },
        ]),
    );
    let (sent, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral, "the request is only for the asker: {sent:#}");
    assert!(all_text(&sent).contains("Ben Brown"), "{sent:#}");

    // ben gets a DM with Accept / Decline.
    rig.deliver_due().await;
    let to_ben = format!("/channels/{}/messages", dm_channel(BEN));
    let asked = rig.fake.calls_to("POST", &to_ben);
    let ask = asked
        .iter()
        .find(|c| all_text(&c.body).contains("Both of us build payment systems"))
        .unwrap_or_else(|| panic!("{asked:#?}"));
    assert!(
        all_text(&ask.body).contains("Aiko Tanaka"),
        "{:#}",
        ask.body
    );
    let accept = buttons(&ask.body)
        .into_iter()
        .find(|b| b.starts_with("v1.in.") && b.contains(".y@"))
        .unwrap_or_else(|| panic!("{:#}", ask.body));

    // aiko cannot answer for ben with his button: refused to her only, nobody connected.
    let id = rig.press(&aiko(), "en-US", &accept);
    let refused = rig.callback(&id).await;
    assert_eq!(refused["type"], MESSAGE);
    assert_eq!(refused["data"]["flags"], EPHEMERAL, "{refused:#}");
    assert!(
        all_text(&refused["data"]).contains("not waiting for your answer"),
        "{refused:#}"
    );
    rig.deliver_due().await;
    let connected = |channel: u64| {
        rig.fake
            .calls_to("POST", &format!("/channels/{channel}/messages"))
            .into_iter()
            .filter(|c| all_text(&c.body).contains("connected"))
            .collect::<Vec<_>>()
    };
    assert!(connected(dm_channel(AIKO)).is_empty() && connected(dm_channel(BEN)).is_empty());

    // ben accepts: told at once, and both get the same message with each other's contact.
    let id = rig.press(&ben(), "en-US", &accept);
    let accepted = rig.callback(&id).await;
    assert_eq!(accepted["data"]["flags"], EPHEMERAL, "{accepted:#}");
    assert!(
        all_text(&accepted["data"]).contains("now in a conversation together"),
        "{accepted:#}"
    );
    rig.deliver_due().await;
    for channel in [dm_channel(AIKO), dm_channel(BEN)] {
        let got = connected(channel);
        assert_eq!(got.len(), 1, "one message each: {got:#?}");
        let text = all_text(&got[0].body);
        assert!(
            text.contains("Both of us build payment systems")
                && text.contains("Aiko Tanaka (@aiko)")
                && text.contains("Ben Brown (@ben)"),
            "{text}"
        );
    }
    let nonces: std::collections::HashSet<String> = [dm_channel(AIKO), dm_channel(BEN)]
        .iter()
        .map(|c| connected(*c)[0].body["nonce"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(nonces.len(), 2, "one nonce per recipient");

    // Pressing Accept again changes nothing and sends nothing more.
    let id = rig.press(&ben(), "en-US", &accept);
    assert_eq!(rig.callback(&id).await["data"]["flags"], EPHEMERAL);
    rig.deliver_due().await;
    assert_eq!(connected(dm_channel(AIKO)).len(), 1);
    rig.finish().await;
}

/// Sends `/command sub options…` as `who` and returns the answer, which must be an
/// ephemeral error containing every one of `mentions`.
async fn refused(
    rig: &Rig,
    who: &serde_json::Value,
    command: &str,
    sub: &str,
    options: serde_json::Value,
    mentions: &[&str],
) {
    let id = rig.slash(who, "en-US", command, sub, options);
    let (answer, ephemeral) = rig.answer(&id).await;
    let text = all_text(&answer);
    assert!(
        ephemeral,
        "/{command} {sub}: only the asker sees it: {answer:#}"
    );
    assert_eq!(
        answer["embeds"][0]["color"], 0xd9_3f_3f,
        "/{command} {sub}: shown as an error: {answer:#}"
    );
    for m in mentions {
        assert!(text.contains(m), "/{command} {sub}: {m:?} in {text}");
    }
    assert!(
        rig.fake.answer_delay(&id).unwrap() < Duration::from_secs(3),
        "acknowledged within Discord's deadline"
    );
}

#[tokio::test]
async fn option_values_out_of_range_get_an_ephemeral_error_and_change_nothing() {
    out_of_range_options(Rig::start("dc_bad_options").await).await;
}

#[tokio::test]
async fn option_values_out_of_range_change_nothing_on_postgres() {
    if let Some(rig) = Rig::postgres("dc_bad_options_pg").await {
        out_of_range_options(rig).await;
    }
}

async fn out_of_range_options(rig: Rig) {
    // Joining with a five-digit year or an unknown open_to: refused, no member row, and no
    // notice to the admins.
    refused(
        &rig,
        &aiko(),
        "alumni",
        "join",
        json!([
            { "name": "name", "type": 3, "value": "Aiko" },
            { "name": "joined", "type": 4, "value": 20211 },
        ]),
        &["joined", "20211"],
    )
    .await;
    refused(
        &rig,
        &aiko(),
        "alumni",
        "join",
        json!([
            { "name": "name", "type": 3, "value": "Aiko" },
            { "name": "open_to", "type": 3, "value": "rehire,astronaut" },
        ]),
        &["astronaut", "open_to"],
    )
    .await;
    assert!(rig.member(AIKO).await.is_none(), "no member was written");
    rig.deliver_due().await;
    assert!(
        rig.fake.calls_to("POST", "/messages").is_empty(),
        "nobody was told about a join"
    );

    // A member's profile edit with an impossible year: the profile stays as it was.
    rig.join_approved(&aiko(), "Aiko").await;
    let before = rig.member(AIKO).await.unwrap();
    refused(
        &rig,
        &aiko(),
        "alumni",
        "profile-set",
        json!([
            { "name": "company", "type": 3, "value": "Globex" },
            { "name": "left", "type": 4, "value": -2021 },
        ]),
        &["left", "-2021"],
    )
    .await;
    assert_eq!(rig.member(AIKO).await.unwrap().profile, before.profile);

    // Events with an impossible date, a negative capacity or a start in the past: no event,
    // no scheduled event in the server.
    let tomorrow = (chrono::Utc::now() + chrono::TimeDelta::days(1))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%d 19:00")
        .to_string();
    for (options, mentions) in [
        (
            json!([
                { "name": "title", "type": 3, "value": "Drinks" },
                { "name": "at", "type": 3, "value": "2027-02-30 19:00" },
            ]),
            vec!["2027-02-30"],
        ),
        (
            json!([
                { "name": "title", "type": 3, "value": "Drinks" },
                { "name": "at", "type": 3, "value": tomorrow },
                { "name": "capacity", "type": 3, "value": "-3" },
            ]),
            vec!["capacity", "-3"],
        ),
        (
            json!([
                { "name": "title", "type": 3, "value": "Drinks" },
                { "name": "at", "type": 3, "value": "2020-01-01 19:00" },
            ]),
            vec!["passed"],
        ),
    ] {
        refused(&rig, &admin(), "event", "create", options, &mentions).await;
    }
    let community = rig.community().await;
    assert!(
        rig.store
            .upcoming_events(
                community.id,
                chrono::Utc::now() - chrono::TimeDelta::days(3650)
            )
            .await
            .unwrap()
            .is_empty(),
        "no event was written"
    );
    assert!(
        rig.fake.calls_to("POST", "/scheduled-events").is_empty(),
        "no scheduled event"
    );

    // Settings out of range: the community is unchanged.
    refused(
        &rig,
        &owner(),
        "alumni",
        "setup",
        json!([
            { "name": "name", "type": 3, "value": "Renamed" },
            { "name": "intro_days", "type": 4, "value": 999 },
        ]),
        &["intro_days", "999"],
    )
    .await;
    assert_eq!(rig.community().await, community);
    rig.finish().await;
}

#[tokio::test]
async fn setup_member_role_overrides_the_configured_role_for_this_guild() {
    setup_member_role(Rig::start("dc_setup_role").await).await;
}

#[tokio::test]
async fn setup_member_role_overrides_the_configured_role_on_postgres() {
    if let Some(rig) = Rig::postgres("dc_setup_role_pg").await {
        setup_member_role(rig).await;
    }
}

async fn setup_member_role(rig: Rig) {
    const ALUMNI_ROLE: u64 = 650_000_000_000_000_777;

    // Only admins may change it.
    refused(
        &rig,
        &ben(),
        "alumni",
        "setup",
        json!([{ "name": "member_role", "type": 8, "value": ALUMNI_ROLE.to_string() }]),
        &[],
    )
    .await;
    assert_eq!(rig.community().await.member_role, None);

    let id = rig.slash(
        &owner(),
        "en-US",
        "alumni",
        "setup",
        json!([{ "name": "member_role", "type": 8, "value": ALUMNI_ROLE.to_string() }]),
    );
    let (settings, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral, "{settings:#}");
    assert!(
        all_text(&settings).contains(&format!("<@&{ALUMNI_ROLE}>")),
        "the settings show the role: {settings:#}"
    );
    assert_eq!(
        rig.community().await.member_role,
        Some(ALUMNI_ROLE.to_string())
    );

    // Approval now gives the guild's role, not DISCORD_MEMBER_ROLE; leaving takes it away.
    rig.join_approved(&aiko(), "Aiko").await;
    let role_path = format!("/guilds/{GUILD}/members/{AIKO}/roles/{ALUMNI_ROLE}");
    rig.fake.wait_for("PUT", &role_path, 1).await;
    assert!(
        rig.fake
            .calls_to("PUT", &format!("/roles/{MEMBER_ROLE}"))
            .is_empty(),
        "the default role is not given"
    );
    let id = rig.slash(&aiko(), "en-US", "alumni", "leave", json!([]));
    rig.answer(&id).await;
    rig.fake.wait_for("DELETE", &role_path, 1).await;
    rig.finish().await;
}

#[tokio::test]
async fn admin_import_hands_the_attached_csv_to_the_core() {
    let rig = Rig::start("dc_import").await;
    let role_path = format!("/guilds/{GUILD}/members/{AIKO}/roles/{MEMBER_ROLE}");

    // A file the CDN no longer serves: the error page is not taken for the roster.
    let mut gone = rig.fake.attach("roster.csv", "text/csv", b"name\nAiko\n");
    gone["url"] = json!(format!("{}/attachments/{GUILD}/1/gone", rig.fake.base));
    let id = rig.slash_with_file(&admin(), "admin", "import", "file", &gone, vec![]);
    let (refused, ephemeral) = rig.answer(&id).await;
    assert!(
        ephemeral && all_text(&refused).contains("Attach the roster"),
        "{refused:#}"
    );

    // A file with a bad row: every bad line named, nothing imported.
    let bad = rig.fake.attach(
        "roster.csv",
        "text/csv",
        b"name,handle,left\nAiko Tanaka,aiko,2021\nBen,ben,20211\n",
    );
    let id = rig.slash_with_file(&admin(), "admin", "import", "file", &bad, vec![]);
    let (refused, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral, "{refused:#}");
    assert!(
        all_text(&refused).contains("Nothing was imported") && all_text(&refused).contains("3"),
        "{refused:#}"
    );

    // HR's Japanese CSV: imported, and aiko (her Discord username is on it) is approved the
    // moment she joins, and gets the member role.
    let roster = "名前,ハンドル,退職\n田中 愛子,aiko,2021\n";
    let good = rig
        .fake
        .attach("退職者名簿.csv", "text/csv", roster.as_bytes());
    let id = rig.slash_with_file(&admin(), "admin", "import", "file", &good, vec![]);
    let (imported, ephemeral) = rig.answer(&id).await;
    assert!(
        ephemeral && all_text(&imported).contains("Imported 1"),
        "{imported:#}"
    );
    assert_eq!(rig.fake.calls_to("GET", "/attachments/").len(), 3);

    let id = rig.slash(
        &aiko(),
        "en-US",
        "alumni",
        "join",
        json!([{ "name": "name", "type": 3, "value": "田中 愛子" }]),
    );
    rig.answer(&id).await;
    assert!(
        rig.member(AIKO).await.is_some_and(|m| m.is_approved()),
        "pre-verified by the roster"
    );
    rig.fake.wait_for("PUT", &role_path, 1).await;
    rig.finish().await;
}
