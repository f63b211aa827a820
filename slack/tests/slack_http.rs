//! The Slack adapter end to end: the real router on a random port with a real store, requests
//! signed and shaped exactly as Slack sends them (form-encoded slash commands, `payload=` JSON
//! interactions, JSON events), the real slack-morphism client calling a fake Slack Web API, and
//! the scheduler delivering through the Slack messenger.

mod support;

use std::time::Duration;

use chrono::{TimeDelta, Timelike, Utc};
use serde_json::{Value, json};
use support::{ADMIN, GENERAL, Rig, TEAM, all_text, buttons};

/// The single button whose action id starts with `prefix`.
fn button(message: &Value, prefix: &str) -> String {
    let found: Vec<_> = buttons(message)
        .into_iter()
        .filter(|(_, id)| id.starts_with(prefix))
        .collect();
    assert!(!found.is_empty(), "no {prefix} button in {message:#}");
    found[0].1.clone()
}

async fn join(rig: &Rig, user: &str, handle: &str, name: &str) -> Value {
    rig.command_json(
        user,
        handle,
        "/alumni",
        &format!("join name:\"{name}\" company:Globex skills:Rust"),
    )
    .await
}

async fn approve(rig: &Rig, user: &str, handle: &str) {
    let reply = rig
        .command_json(
            ADMIN,
            "admin",
            "/alumni",
            &format!("approve <@{user}|{handle}>"),
        )
        .await;
    assert!(all_text(&reply).contains("is now a member"), "{reply:#}");
}

#[tokio::test]
async fn join_then_admin_approves_with_the_dm_button_then_search_finds_her() {
    let rig = Rig::sqlite("join_button").await;

    // aiko's Slack locale is ja-JP (users.info): the core answers her in Japanese, only to her.
    let reply = join(&rig, "UAIKO", "aiko", "Aiko Tanaka").await;
    assert_eq!(reply["response_type"], "ephemeral", "{reply:#}");
    assert!(
        all_text(&reply).contains("ありがとうございます"),
        "{reply:#}"
    );
    let info = rig.fake.calls_to("users.info");
    assert_eq!(info[0].body["include_locale"], "true");
    assert_eq!(
        info[0].authorization.as_deref(),
        Some("Bearer xoxb-single-workspace")
    );

    // The scheduler DMs the admin with Approve / Decline buttons, carrying the delivery key.
    let stats = rig.deliver_due().await;
    assert_eq!(stats.delivered, 1, "{stats:?}");
    let open = rig.fake.calls_to("conversations.open");
    assert_eq!(open[0].body["users"], ADMIN);
    let dm = &rig.fake.messages(&format!("D{ADMIN}"))[0];
    assert!(all_text(dm).contains("Aiko Tanaka"), "{dm:#}");
    assert_eq!(dm["metadata"]["event_type"], "alumni_delivery");
    assert!(
        dm["metadata"]["event_payload"]["key"]
            .as_str()
            .is_some_and(|k| !k.is_empty())
    );
    let approve_id = button(dm, "v1.ap.");

    // The admin presses Approve: 200 at once, the DM is replaced through response_url.
    let pressed = rig.click(ADMIN, "admin", &approve_id, "approve-1").await;
    assert_eq!(pressed.status, 200);
    let answer = &rig.fake.wait_for("response_url", 1).await[0].body;
    assert_eq!(answer["id"], "approve-1");
    assert_eq!(answer["body"]["replace_original"], true);
    assert!(
        all_text(&answer["body"]).contains("Aiko Tanaka is now a member"),
        "{answer:#}"
    );

    // aiko is told, in Japanese, in her DM.
    rig.deliver_due().await;
    let told = rig.fake.messages("DUAIKO");
    assert!(all_text(told.last().unwrap()).contains("承認"), "{told:#?}");

    // And she can search now.
    let found = rig
        .command_json("UAIKO", "aiko", "/alumni", "search Aiko")
        .await;
    assert!(all_text(&found).contains("Aiko Tanaka"), "{found:#}");
    rig.finish().await;
}

#[tokio::test]
async fn approve_by_command_and_search_on_postgres() {
    let Some(rig) = Rig::postgres("slack_approve_pg").await else {
        return;
    };
    join(&rig, "UBEN", "ben", "Ben Brown").await;
    let pending = rig
        .command_json("UBEN", "ben", "/alumni", "search Ben")
        .await;
    assert!(
        all_text(&pending).contains("still waiting for approval"),
        "{pending:#}"
    );
    approve(&rig, "UBEN", "ben").await;
    let found = rig
        .command_json("UBEN", "ben", "/alumni", "search globex")
        .await;
    assert!(all_text(&found).contains("Ben Brown (@ben)"), "{found:#}");
    rig.finish().await;
}

#[tokio::test]
async fn event_announcement_rsvp_button_and_reminder_reach_slack() {
    let rig = Rig::sqlite("event_rsvp").await;
    join(&rig, "UBEN", "ben", "Ben Brown").await;
    approve(&rig, "UBEN", "ben").await;
    rig.deliver_due().await;

    let start = (Utc::now() + TimeDelta::days(2))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap();
    let at = start.format("%Y-%m-%d %H:%M").to_string();
    let created = rig
        .command_json(
            ADMIN,
            "admin",
            "/event",
            &format!("create title:\"Year-end drinks\" at:\"{at}\" where:Shibuya remind:1h"),
        )
        .await;
    assert!(
        all_text(&created).contains("Year-end drinks"),
        "{created:#}"
    );

    // The announcement goes to the community channel with RSVP buttons.
    rig.deliver_due().await;
    // (#general also has ben's welcome.)
    let announcement: Vec<Value> = rig
        .fake
        .messages("general")
        .into_iter()
        .filter(|m| all_text(m).contains("Year-end drinks"))
        .collect();
    assert_eq!(announcement.len(), 1, "{announcement:#?}");
    assert!(
        all_text(&announcement[0]).contains("going 0 · maybe 0"),
        "{:#}",
        announcement[0]
    );
    let going = button(&announcement[0], "v1.rs.");
    assert!(going.contains(".g@"), "{going}");

    // ben presses Going: answered only to him; the announcement's counts are edited in place.
    rig.click("UBEN", "ben", &going, "rsvp-1").await;
    let answer = &rig.fake.wait_for("response_url", 1).await[0].body["body"];
    assert_eq!(answer["response_type"], "ephemeral", "{answer:#}");
    assert_eq!(answer["replace_original"], false);
    assert!(all_text(answer).contains("going"), "{answer:#}");
    rig.deliver_due().await;
    let update = rig.fake.wait_for("chat.update", 1).await;
    assert_eq!(update[0].body["channel"], GENERAL);
    assert_eq!(update[0].body["ts"], announcement[0]["ts"]);
    assert!(
        all_text(&update[0].body).contains("going 1 · maybe 0"),
        "{:#}",
        update[0].body
    );
    // What #general shows now is the edited post, still one.
    let shown: Vec<Value> = rig
        .fake
        .messages("general")
        .into_iter()
        .filter(|m| all_text(m).contains("Year-end drinks"))
        .collect();
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert!(
        all_text(&shown[0]).contains("going 1 · maybe 0"),
        "{:#}",
        shown[0]
    );

    // An hour before the start, ben gets his reminder by DM.
    rig.clock
        .advance(start.with_timezone(&Utc) - Utc::now() - TimeDelta::minutes(59));
    rig.deliver_due().await;
    let dms = rig.fake.messages("DUBEN");
    let reminder = dms.last().unwrap();
    assert!(all_text(reminder).contains("Year-end drinks"), "{dms:#?}");
    assert_ne!(
        reminder["metadata"]["event_payload"]["key"],
        announcement[0]["metadata"]["event_payload"]["key"]
    );
    rig.finish().await;
}

#[tokio::test]
async fn intro_request_accepted_with_the_button_opens_a_group_dm() {
    let rig = Rig::sqlite("intro_accept").await;
    join(&rig, "UAIKO", "aiko", "Aiko Tanaka").await;
    join(&rig, "UBEN", "ben", "Ben Brown").await;
    approve(&rig, "UAIKO", "aiko").await;
    approve(&rig, "UBEN", "ben").await;
    rig.deliver_due().await;

    let asked = rig
        .command_json(
            "UAIKO",
            "aiko",
            "/intro",
            "<@UBEN|ben> why:\"We both write Rust\"",
        )
        .await;
    assert_eq!(asked["response_type"], "ephemeral", "{asked:#}");
    rig.deliver_due().await;
    let request = rig.fake.messages("DUBEN");
    let request = request.last().unwrap();
    assert!(
        all_text(request).contains("We both write Rust"),
        "{request:#}"
    );
    let accept = button(request, "v1.in.");
    assert!(accept.contains(".y@"), "{accept}");

    rig.click("UBEN", "ben", &accept, "intro-1").await;
    rig.fake.wait_for("response_url", 1).await;
    rig.deliver_due().await;
    // Both are put in one conversation.
    let opened = rig.fake.calls_to("conversations.open");
    let group = opened
        .iter()
        .find(|c| c.body["users"].as_str().is_some_and(|u| u.contains(',')))
        .unwrap_or_else(|| panic!("no group DM opened: {opened:#?}"));
    let users = group.body["users"].as_str().unwrap();
    assert!(users.contains("UAIKO") && users.contains("UBEN"), "{users}");
    rig.finish().await;
}

#[tokio::test]
async fn app_home_shows_profile_events_and_intros() {
    let rig = Rig::sqlite("app_home").await;
    join(&rig, "UBEN", "ben", "Ben Brown").await;
    approve(&rig, "UBEN", "ben").await;
    let at = (Utc::now() + TimeDelta::days(3))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%d 19:00")
        .to_string();
    rig.command_json(
        ADMIN,
        "admin",
        "/event",
        &format!("create title:\"Home party\" at:\"{at}\""),
    )
    .await;
    let opened = rig
        .event("Ev-home-1", json!({ "type": "app_home_opened", "user": "UBEN", "channel": "DUBEN", "tab": "home", "event_ts": "1" }))
        .await;
    assert_eq!(opened.status, 200);
    let publish = rig.fake.wait_for("views.publish", 1).await;
    assert_eq!(publish[0].body["user_id"], "UBEN");
    assert_eq!(publish[0].body["view"]["type"], "home");
    let home = all_text(&json!({ "blocks": publish[0].body["view"]["blocks"] }));
    assert!(home.contains("Ben Brown"), "{home}");
    assert!(home.contains("Globex"), "{home}");
    assert!(home.contains("Home party"), "{home}");
    let rsvp = button(
        &json!({ "blocks": publish[0].body["view"]["blocks"] }),
        "v1.rs.",
    );

    // RSVP from the Home tab: confirmed in the app's DM, and the Home is published again.
    let payload = json!({
        "type": "block_actions",
        "team": { "id": TEAM },
        "user": { "id": "UBEN", "username": "ben", "team_id": TEAM },
        "trigger_id": "trig.2",
        "view": { "id": "VHOME", "type": "home" },
        "actions": [{ "type": "button", "action_id": rsvp, "value": rsvp }],
    });
    assert_eq!(rig.interaction(payload).await.status, 200);
    rig.fake.wait_for("views.publish", 2).await;
    let dm = rig.fake.messages("DUBEN");
    assert!(
        all_text(dm.last().unwrap()).contains("Home party"),
        "{dm:#?}"
    );
    rig.finish().await;
}

#[tokio::test]
async fn a_retried_event_is_handled_once() {
    let rig = Rig::sqlite("event_retry").await;
    let event =
        json!({ "type": "app_home_opened", "user": "UBEN", "tab": "home", "event_ts": "1" });
    assert_eq!(rig.event("Ev-dup", event.clone()).await.status, 200);
    rig.fake.wait_for("views.publish", 1).await;

    // Slack retries with X-Slack-Retry-Num when it missed our 200: answered, not redone.
    let body =
        json!({ "type": "event_callback", "team_id": TEAM, "event_id": "Ev-dup", "event": event })
            .to_string();
    let ts = Utc::now().timestamp().to_string();
    let sig = alumni_slack::signature::sign(support::SECRET.as_bytes(), &ts, body.as_bytes());
    let retry = rig
        .request(
            "POST",
            "/slack/events",
            &[
                ("content-type", "application/json".into()),
                ("x-slack-request-timestamp", ts),
                ("x-slack-signature", sig),
                ("x-slack-retry-num", "1".into()),
                ("x-slack-retry-reason", "http_timeout".into()),
            ],
            body.into_bytes(),
        )
        .await;
    assert_eq!(retry.status, 200);

    // A different event id is new work: aiko's Home, asked after the retry, is published...
    let aiko =
        json!({ "type": "app_home_opened", "user": "UAIKO", "tab": "home", "event_ts": "2" });
    rig.event("Ev-other", aiko).await;
    let publishes = rig.fake.wait_for("views.publish", 2).await;
    assert_eq!(publishes[1].body["user_id"], "UAIKO", "{publishes:#?}");
    // ... and by then the retry has published ben's Home no second time.
    let publishes = rig.fake.calls_to("views.publish");
    let ben = publishes
        .iter()
        .filter(|c| c.body["user_id"] == "UBEN")
        .count();
    assert_eq!((publishes.len(), ben), (2, 1), "{publishes:#?}");
    rig.finish().await;
}

#[tokio::test]
async fn url_verification_echoes_the_challenge() {
    let rig = Rig::sqlite("url_verification").await;
    let body = json!({ "token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification" });
    let answer = rig
        .signed("/slack/events", "application/json", body.to_string())
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json()["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
    rig.finish().await;
}

#[tokio::test]
async fn unsigned_forged_altered_or_stale_requests_get_401_and_change_nothing() {
    let rig = Rig::sqlite("signatures").await;
    let body = support::slash_body(
        "UAIKO",
        "aiko",
        "/alumni",
        "join name:\"Mallory\"",
        "http://127.0.0.1:1/x",
    );
    let form = "application/x-www-form-urlencoded";
    let now = Utc::now().timestamp();
    let sign = |ts: i64, b: &str| {
        alumni_slack::signature::sign(support::SECRET.as_bytes(), &ts.to_string(), b.as_bytes())
    };

    type Headers = Vec<(&'static str, String)>;
    let cases: Vec<(&str, Headers, String)> = vec![
        (
            "missing signature",
            vec![("x-slack-request-timestamp", now.to_string())],
            body.clone(),
        ),
        (
            "wrong signature",
            vec![
                ("x-slack-request-timestamp", now.to_string()),
                (
                    "x-slack-signature",
                    alumni_slack::signature::sign(
                        b"another-secret",
                        &now.to_string(),
                        body.as_bytes(),
                    ),
                ),
            ],
            body.clone(),
        ),
        (
            "body altered after signing",
            vec![
                ("x-slack-request-timestamp", now.to_string()),
                ("x-slack-signature", sign(now, &body)),
            ],
            body.replace("Mallory", "Mallorz"),
        ),
        (
            "six minutes old",
            vec![
                ("x-slack-request-timestamp", (now - 360).to_string()),
                ("x-slack-signature", sign(now - 360, &body)),
            ],
            body.clone(),
        ),
    ];
    for path in ["/slack/commands", "/slack/interactions", "/slack/events"] {
        for (what, headers, body) in &cases {
            let mut headers = headers.clone();
            headers.push(("content-type", form.into()));
            let answer = rig
                .request("POST", path, &headers, body.clone().into_bytes())
                .await;
            assert_eq!(answer.status, 401, "{what} on {path}: {}", answer.body);
        }
    }

    // A captured request replayed later: its old timestamp no longer passes.
    let captured_at = now - 400;
    let replay = rig
        .signed_at(
            "/slack/commands",
            form,
            body.clone(),
            &captured_at.to_string(),
        )
        .await;
    assert_eq!(replay.status, 401);

    // Nothing was processed: no member row, no call to Slack.
    let pending = rig.command_json(ADMIN, "admin", "/alumni", "pending").await;
    assert!(!all_text(&pending).contains("Mallory"), "{pending:#}");
    assert!(rig.fake.calls_to("chat.postMessage").is_empty());
    assert_eq!(rig.deliver_due().await.delivered, 0);
    rig.finish().await;
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let rig = Rig::sqlite("body_limit").await;
    let big = "a".repeat(2 * 1024 * 1024);
    let answer = rig.signed("/slack/events", "application/json", big).await;
    assert_eq!(answer.status, 413);
    rig.finish().await;
}

#[tokio::test]
async fn health_check_answers() {
    let rig = Rig::sqlite("healthz").await;
    let answer = rig.request("GET", "/healthz", &[], Vec::new()).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "ok"));
    rig.finish().await;
}

#[tokio::test]
async fn a_rate_limited_delivery_is_sent_after_retry_after_not_lost() {
    let rig = Rig::sqlite("rate_limit").await;
    rig.fake.throttle("chat.postMessage", 1);
    join(&rig, "UAIKO", "aiko", "Aiko Tanaka").await;

    let first = rig.deliver_due().await;
    assert_eq!((first.delivered, first.retried), (0, 1), "{first:?}");
    assert!(rig.fake.messages(&format!("D{ADMIN}")).is_empty());

    // Retry-After: 1 — due again a second later, then delivered once.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = rig.deliver_due().await;
    assert_eq!(second.delivered, 1, "{second:?}");
    assert_eq!(rig.fake.messages(&format!("D{ADMIN}")).len(), 1);
    rig.finish().await;
}

#[tokio::test]
async fn a_post_whose_response_was_lost_is_not_posted_twice() {
    let rig = Rig::sqlite("lost_response").await;
    // Slack posts the message but the answer never arrives (here: a 500 after posting).
    rig.fake.lose_responses("chat.postMessage", 1);
    join(&rig, "UAIKO", "aiko", "Aiko Tanaka").await;
    let first = rig.deliver_due().await;
    assert_eq!(first.retried, 1, "{first:?}");
    assert_eq!(rig.fake.messages(&format!("D{ADMIN}")).len(), 1);

    // The retry finds its key in the DM's history and stops there.
    rig.clock.advance(TimeDelta::hours(1));
    let second = rig.deliver_due().await;
    assert_eq!(second.delivered, 1, "{second:?}");
    let history = rig.fake.calls_to("conversations.history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].body["include_all_metadata"], "true");
    assert_eq!(
        rig.fake.messages(&format!("D{ADMIN}")).len(),
        1,
        "posted twice"
    );
    rig.finish().await;
}

/// A busy channel: the announcement was posted but its answer lost, and 250 messages came after
/// it before the retry (after a restart, nothing in memory). The retry must still find it.
#[tokio::test]
async fn a_lost_post_in_a_busy_channel_is_not_posted_twice() {
    let mut rig = Rig::sqlite("lost_in_busy_channel").await;
    let at = (Utc::now() + TimeDelta::days(3))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%d 19:00")
        .to_string();
    rig.command_json(
        ADMIN,
        "admin",
        "/event",
        &format!("create title:\"Busy night\" at:\"{at}\""),
    )
    .await;
    rig.fake.lose_responses("chat.postMessage", 1);
    let first = rig.deliver_due().await;
    assert_eq!(first.retried, 1, "{first:?}");
    for i in 0..250 {
        rig.fake
            .add_message(GENERAL, "UBEN", &format!("chatter {i}"));
    }

    rig.restart_delivery();
    rig.clock.advance(TimeDelta::hours(1));
    let second = rig.deliver_due().await;
    assert_eq!(second.delivered, 1, "{second:?}");
    let copies: Vec<Value> = rig
        .fake
        .messages(GENERAL)
        .into_iter()
        .filter(|m| all_text(m).contains("Busy night"))
        .collect();
    assert_eq!(copies.len(), 1, "posted twice: {copies:#?}");
    // Read back page by page from a bounded start, not just the latest messages.
    let history = rig.fake.calls_to("conversations.history");
    assert_eq!(history.len(), 2, "{history:#?}");
    assert!(history.iter().all(|c| c.body["oldest"].is_string()));
    rig.finish().await;
}

/// A workspace whose token Slack no longer accepts (rotated, or the uninstall event was
/// missed): its deliveries fail with Slack's reason, nothing is posted, and the bot goes on
/// serving: a command still answers and the next delivery is tried.
#[tokio::test]
async fn a_token_slack_no_longer_accepts_fails_the_delivery_and_posts_nothing() {
    let rig = Rig::sqlite("revoked_token").await;
    rig.fake.revoke_token(support::BOT_TOKEN);
    let joined = join(&rig, "UBEN", "ben", "Ben Brown").await;
    assert!(all_text(&joined).contains("Ben Brown"), "{joined:#}");
    let stats = rig.deliver_due().await;
    assert_eq!((stats.delivered, stats.failed), (0, 1), "{stats:?}");
    assert!(rig.fake.messages(&format!("D{ADMIN}")).is_empty());
    // Refused by Slack (token_revoked), not given up for want of a token: it was tried.
    let tried = rig.fake.calls_to("conversations.open");
    assert_eq!(tried.len(), 1, "{tried:#?}");

    // The admin still gets an answer; nothing is posted with the bad token.
    let pending = rig.command_json(ADMIN, "admin", "/alumni", "pending").await;
    assert!(all_text(&pending).contains("Ben Brown"), "{pending:#}");
    assert!(rig.fake.messages(&format!("D{ADMIN}")).is_empty());
    rig.finish().await;
}

#[tokio::test]
async fn decline_button_opens_a_modal_and_its_submission_runs_the_form_command() {
    let rig = Rig::sqlite("modal").await;
    join(&rig, "UBEN", "ben", "Ben Brown").await;
    rig.deliver_due().await;
    let dm = rig.fake.messages(&format!("D{ADMIN}"));
    let decline = button(&dm[0], "v1.rj.");

    rig.click(ADMIN, "admin", &decline, "decline-1").await;
    let opened = rig.fake.wait_for("views.open", 1).await;
    let view = opened[0].body["view"].clone();
    assert_eq!(opened[0].body["trigger_id"], "trig.1");
    assert_eq!(view["type"], "modal");
    let command = view["private_metadata"].as_str().unwrap().to_owned();
    assert!(command.starts_with("/alumni reject"), "{command}");
    let field = view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "input")
        .expect("an input")["block_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut submitted = view.clone();
    submitted["id"] = json!("V1");
    submitted["state"] = json!({ "values": { field.clone(): { field.clone(): { "type": "plain_text_input", "value": "Not on the roster" } } } });
    let payload = json!({
        "type": "view_submission",
        "team": { "id": TEAM },
        "user": { "id": ADMIN, "username": "admin", "team_id": TEAM },
        "view": submitted,
    });
    let answer = rig.interaction(payload).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.is_empty(), "modal closes: {}", answer.body);
    let confirm = rig.fake.messages(&format!("D{ADMIN}"));
    assert!(
        all_text(confirm.last().unwrap()).contains("Ben Brown"),
        "{confirm:#?}"
    );

    rig.deliver_due().await;
    let told = rig.fake.messages("DUBEN");
    assert!(
        all_text(told.last().unwrap()).contains("Not on the roster"),
        "{told:#?}"
    );
    rig.finish().await;
}

#[tokio::test]
async fn an_invalid_modal_answer_is_shown_on_its_field() {
    let rig = Rig::sqlite("modal_errors").await;
    let payload = json!({
        "type": "view_submission",
        "team": { "id": TEAM },
        "user": { "id": "UBEN", "username": "ben", "team_id": TEAM },
        "view": {
            "type": "modal",
            "private_metadata": "/alumni join",
            "blocks": [
                { "type": "input", "block_id": "name" },
                { "type": "input", "block_id": "joined" },
            ],
            "state": { "values": {
                "name": { "name": { "type": "plain_text_input", "value": "Ben" } },
                "joined": { "joined": { "type": "plain_text_input", "value": "20211" } },
            } },
        },
    });
    let answer = rig.interaction(payload).await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(body["response_action"], "errors", "{body:#}");
    assert!(
        body["errors"]["joined"].as_str().unwrap().contains("20211"),
        "{body:#}"
    );
    // Nothing joined.
    let pending = rig.command_json(ADMIN, "admin", "/alumni", "pending").await;
    assert!(!all_text(&pending).contains("Ben"), "{pending:#}");
    rig.finish().await;
}

#[tokio::test]
async fn a_bare_join_opens_a_modal_in_her_language_and_submitting_it_joins() {
    let rig = Rig::sqlite("join_modal").await;
    let answer = rig.command("UAIKO", "aiko", "/alumni", "join").await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.is_empty(),
        "nothing posted in the channel: {}",
        answer.body
    );
    let opened = rig.fake.wait_for("views.open", 1).await;
    let view = opened[0].body["view"].clone();
    assert_eq!(view["private_metadata"], "/alumni join");
    assert_eq!(view["blocks"][0]["label"]["text"], "名前");
    assert_eq!(view["blocks"][0]["optional"], false);

    let mut submitted = view;
    submitted["state"] = json!({ "values": {
        "name": { "name": { "type": "plain_text_input", "value": "田中 愛子" } },
        "company": { "company": { "type": "plain_text_input", "value": "Globex" } },
    } });
    let payload = json!({
        "type": "view_submission",
        "team": { "id": TEAM },
        "user": { "id": "UAIKO", "username": "aiko", "team_id": TEAM },
        "view": submitted,
    });
    let closed = rig.interaction(payload).await;
    assert_eq!((closed.status, closed.body.as_str()), (200, ""));
    let confirm = rig.fake.messages("DUAIKO");
    assert!(all_text(&confirm[0]).contains("田中 愛子"), "{confirm:#?}");

    // She is now waiting for approval: the admin hears about it.
    rig.deliver_due().await;
    let notice = rig.fake.messages(&format!("D{ADMIN}"));
    assert!(all_text(&notice[0]).contains("田中 愛子"), "{notice:#?}");
    assert!(all_text(&notice[0]).contains("Globex"), "{notice:#?}");
    rig.finish().await;
}

#[tokio::test]
async fn a_lost_channel_post_named_by_channel_name_is_found_by_its_retry() {
    let rig = Rig::sqlite("lost_channel_post").await;
    join(&rig, "UBEN", "ben", "Ben Brown").await;
    rig.deliver_due().await;
    // Approval sends ben a DM and a welcome to #general (given by name); both posts land but
    // their answers are lost.
    rig.fake.lose_responses("chat.postMessage", 2);
    approve(&rig, "UBEN", "ben").await;
    let first = rig.deliver_due().await;
    assert_eq!(first.retried, 2, "{first:?}");

    rig.clock.advance(TimeDelta::hours(1));
    let second = rig.deliver_due().await;
    assert_eq!((second.delivered, second.failed), (2, 0), "{second:?}");
    let welcomes: Vec<Value> = rig
        .fake
        .messages("general")
        .into_iter()
        .filter(|m| all_text(m).contains("Welcome Ben Brown"))
        .collect();
    assert_eq!(welcomes.len(), 1, "welcome posted twice: {welcomes:#?}");
    // The name was resolved to the channel's id, whose history can be read.
    let mut history: Vec<String> = rig
        .fake
        .calls_to("conversations.history")
        .iter()
        .map(|c| c.body["channel"].as_str().unwrap().to_owned())
        .collect();
    history.sort();
    assert_eq!(history, [GENERAL, "DUBEN"]);
    // One conversations.list for the workspace, then the cached id.
    assert_eq!(rig.fake.calls_to("conversations.list").len(), 1);
    let approved_dms = rig.fake.messages("DUBEN");
    assert_eq!(approved_dms.len(), 1, "{approved_dms:#?}");
    rig.finish().await;
}

#[tokio::test]
async fn a_lost_post_retried_after_a_restart_is_not_posted_twice() {
    let mut rig = Rig::sqlite("lost_then_restart").await;
    rig.fake.lose_responses("chat.postMessage", 1);
    join(&rig, "UAIKO", "aiko", "Aiko Tanaka").await;
    let first = rig.deliver_due().await;
    assert_eq!(first.retried, 1, "{first:?}");
    assert_eq!(rig.fake.messages(&format!("D{ADMIN}")).len(), 1);
    // A first attempt posts without reading history.
    assert!(rig.fake.calls_to("conversations.history").is_empty());

    // The process dies; a new one, knowing nothing of the lost answer, takes the job over.
    rig.restart_delivery();
    rig.clock.advance(TimeDelta::hours(1));
    let second = rig.deliver_due().await;
    assert_eq!(second.delivered, 1, "{second:?}");
    let history = rig.fake.calls_to("conversations.history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].body["include_all_metadata"], "true");
    assert_eq!(
        rig.fake.messages(&format!("D{ADMIN}")).len(),
        1,
        "the admin got the join request twice"
    );
    assert_eq!(rig.fake.calls_to("chat.postMessage").len(), 1);
    rig.finish().await;
}

#[tokio::test]
async fn a_bare_event_create_opens_a_modal_whose_submission_plans_the_event() {
    let rig = Rig::sqlite("event_modal").await;
    // A member who may not plan events is told so, not handed a form.
    let refused = rig.command("UBEN", "ben", "/event", "create").await;
    assert!(!refused.body.is_empty(), "{}", refused.body);
    assert!(rig.fake.calls_to("views.open").is_empty());

    let answer = rig.command(ADMIN, "admin", "/event", "create").await;
    // Nothing posted in the channel: the modal is the answer.
    assert_eq!((answer.status, answer.body.as_str()), (200, ""));
    let opened = rig.fake.wait_for("views.open", 1).await;
    let view = opened[0].body["view"].clone();
    assert_eq!(view["private_metadata"], "/event create");
    assert_eq!(view["title"]["text"], "Plan an event");
    assert!(all_text(&view).contains("Asia/Tokyo"), "{view:#}");
    let inputs: Vec<&Value> = view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "input")
        .collect();
    let keys: Vec<&str> = inputs
        .iter()
        .map(|b| b["block_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "title", "at", "duration", "end", "where", "capacity", "remind", "channel"
        ]
    );
    assert_eq!(inputs[0]["label"]["text"], "Title");
    assert_eq!(inputs[0]["optional"], false);
    assert_eq!(inputs[1]["optional"], false);
    assert_eq!(inputs[2]["optional"], true);

    let start = (Utc::now() + TimeDelta::days(3))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%d 19:00")
        .to_string();
    let submit = |values: Value| {
        let mut submitted = view.clone();
        submitted["id"] = json!("V9");
        submitted["state"] = json!({ "values": values });
        json!({
            "type": "view_submission",
            "team": { "id": TEAM },
            "user": { "id": ADMIN, "username": "admin", "team_id": TEAM },
            "view": submitted,
        })
    };
    let field = |v: &str| json!({ "type": "plain_text_input", "value": v });

    // A bad answer is shown on its field; the modal stays open and nothing is planned.
    let bad = rig
        .interaction(submit(json!({
            "title": { "title": field("Year-end drinks") },
            "at": { "at": field(&start) },
            "duration": { "duration": field("forever") },
        })))
        .await;
    let body = bad.json();
    assert_eq!(body["response_action"], "errors", "{body:#}");
    assert!(
        body["errors"]["duration"]
            .as_str()
            .unwrap_or_else(|| panic!("{body:#}"))
            .contains("forever"),
        "{body:#}"
    );
    rig.deliver_due().await;
    assert!(
        !rig.fake
            .messages("general")
            .iter()
            .any(|m| all_text(m).contains("Year-end drinks"))
    );

    let good = rig
        .interaction(submit(json!({
            "title": { "title": field("Year-end drinks") },
            "at": { "at": field(&start) },
            "duration": { "duration": field("") },
            "where": { "where": field("Shibuya \"Hub\"") },
            "capacity": { "capacity": field("30") },
        })))
        .await;
    assert_eq!((good.status, good.body.as_str()), (200, ""));
    let confirm = rig.fake.messages(&format!("D{ADMIN}"));
    assert!(
        all_text(confirm.last().unwrap()).contains("Year-end drinks"),
        "{confirm:#?}"
    );
    rig.deliver_due().await;
    let announced: Vec<Value> = rig
        .fake
        .messages("general")
        .into_iter()
        .filter(|m| all_text(m).contains("Year-end drinks"))
        .collect();
    assert_eq!(announced.len(), 1, "{announced:#?}");
    assert!(all_text(&announced[0]).contains("Shibuya \"Hub\""));
    assert!(button(&announced[0], "v1.rs.").contains(".g@"));
    rig.finish().await;
}
