//! OAuth install to another workspace (state checked, token stored per community and used by
//! the messenger), uninstall, slow commands finished through response_url, and welcomes.

mod support;

use std::time::Duration;

use chrono::TimeDelta;
use serde_json::json;
use support::fake_slack::{GOOD_CODE, INSTALLED_TEAM, INSTALLED_TOKEN};
use support::{ADMIN, Options, Rig, all_text};

fn oauth_rig_options() -> Options {
    Options {
        single_workspace_token: false,
        oauth: true,
        inline_budget: None,
    }
}

/// `/slack/install`: the state in the redirect to Slack's authorize page.
async fn start_install(rig: &Rig) -> String {
    let answer = rig.request("GET", "/slack/install", &[], Vec::new()).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let location = answer.headers["location"].to_str().unwrap().to_owned();
    let url = url::Url::parse(&location).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], support::fake_slack::CLIENT_ID);
    assert!(query["scope"].contains("chat:write") && query["scope"].contains("commands"));
    let state = query["state"].clone();
    assert_eq!(state.len(), 64, "{state}");
    state
}

async fn callback(rig: &Rig, code: &str, state: &str) -> support::Answer {
    rig.request(
        "GET",
        &format!("/slack/oauth/callback?code={code}&state={state}"),
        &[],
        Vec::new(),
    )
    .await
}

/// A slash command from the newly installed workspace.
async fn command_in_new_team(rig: &Rig, user: &str, text: &str) -> support::Answer {
    let body = support::slash_body(user, "newbie", "/alumni", text, "http://127.0.0.1:1/x")
        .replace(
            &format!("team_id={}", support::TEAM),
            &format!("team_id={INSTALLED_TEAM}"),
        );
    rig.signed("/slack/commands", "application/x-www-form-urlencoded", body)
        .await
}

#[tokio::test]
async fn install_stores_the_workspace_token_and_deliveries_use_it() {
    let rig = Rig::sqlite_with("oauth_install", oauth_rig_options()).await;
    rig.fake.add_user("UNEW", "newbie", "en-GB", false);

    let state = start_install(&rig).await;
    let done = callback(&rig, GOOD_CODE, &state).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("New Co"), "{}", done.body);

    let installed = rig
        .store
        .slack_installation(INSTALLED_TEAM)
        .await
        .unwrap()
        .expect("installation stored");
    // Sealed at rest (#15 item 20): the database holds no usable token.
    assert!(
        !installed.bot_token.contains(INSTALLED_TOKEN),
        "{}",
        installed.bot_token
    );
    assert_eq!(
        alumni_slack::sealed::open(Some(&support::test_sealer()), &installed.bot_token).unwrap(),
        INSTALLED_TOKEN
    );
    assert_eq!(installed.bot_user_id, "UBOTNEW");
    assert!(!installed.revoked);
    let access = rig.fake.calls_to("oauth.v2.access");
    assert_eq!(access.len(), 1);
    assert_eq!(access[0].body["code"], GOOD_CODE);

    // A member of the new workspace joins; the admin's notice goes out with that token.
    let joined = command_in_new_team(&rig, "UNEW", "join name:\"Nina New\"").await;
    assert_eq!(joined.status, 200, "{}", joined.body);
    assert!(
        all_text(&joined.json()).contains("Nina New"),
        "{}",
        joined.body
    );
    let stats = rig.deliver_due().await;
    assert_eq!(stats.delivered, 1, "{stats:?}");
    let post = rig.fake.calls_to("chat.postMessage");
    assert_eq!(
        post[0].authorization.as_deref(),
        Some(format!("Bearer {INSTALLED_TOKEN}").as_str())
    );
    // The installer is the new workspace's admin and gets the notice; the operator's
    // ALUMNI_ADMINS (unscoped) are not admins in someone else's workspace.
    assert_eq!(rig.fake.messages("DUINSTALLER").len(), 1);
    assert!(rig.fake.messages(&format!("D{ADMIN}")).is_empty());

    // Uninstalled: Slack revokes the token and tells us; we mark it revoked and stop using it.
    rig.fake.revoke_token(INSTALLED_TOKEN);
    let body = json!({
        "type": "event_callback",
        "team_id": INSTALLED_TEAM,
        "event_id": "Ev-uninstall",
        "event": { "type": "app_uninstalled" },
    });
    let answer = rig
        .signed("/slack/events", "application/json", body.to_string())
        .await;
    assert_eq!(answer.status, 200);
    let revoked = rig
        .store
        .slack_installation(INSTALLED_TEAM)
        .await
        .unwrap()
        .unwrap();
    assert!(revoked.revoked);
    command_in_new_team(&rig, "UOTHER", "join name:\"Otto Other\"").await;
    let after = rig.deliver_due().await;
    assert_eq!((after.delivered, after.failed), (0, 1), "{after:?}");
    assert_eq!(rig.fake.calls_to("chat.postMessage").len(), 1);
    rig.finish().await;
}

#[tokio::test]
async fn a_replayed_unknown_or_expired_state_is_refused() {
    let rig = Rig::sqlite_with("oauth_states", oauth_rig_options()).await;

    let unknown = callback(&rig, GOOD_CODE, "forged-state").await;
    assert_eq!(unknown.status, 400);

    let state = start_install(&rig).await;
    assert_eq!(callback(&rig, GOOD_CODE, &state).await.status, 200);
    let replay = callback(&rig, GOOD_CODE, &state).await;
    assert_eq!(replay.status, 400, "{}", replay.body);

    let stale = start_install(&rig).await;
    rig.clock.advance(TimeDelta::minutes(11));
    assert_eq!(callback(&rig, GOOD_CODE, &stale).await.status, 400);

    // Only the one good callback reached Slack.
    assert_eq!(rig.fake.calls_to("oauth.v2.access").len(), 1);
    rig.finish().await;
}

#[tokio::test]
async fn a_bad_install_code_stores_nothing() {
    let rig = Rig::sqlite_with("oauth_bad_code", oauth_rig_options()).await;
    let state = start_install(&rig).await;
    let answer = callback(&rig, "wrong-code", &state).await;
    assert_eq!(answer.status, 400);
    assert!(
        rig.store
            .slack_installation(INSTALLED_TEAM)
            .await
            .unwrap()
            .is_none()
    );
    rig.finish().await;
}

#[tokio::test]
async fn install_is_not_offered_without_client_credentials() {
    let rig = Rig::sqlite("oauth_off").await;
    let answer = rig.request("GET", "/slack/install", &[], Vec::new()).await;
    assert_eq!(answer.status, 404);
    rig.finish().await;
}

#[tokio::test]
async fn a_slow_command_is_acknowledged_then_answered_through_response_url() {
    // A zero budget: every command counts as slow.
    let rig = Rig::sqlite_with(
        "slow_command",
        Options {
            inline_budget: Some(Duration::ZERO),
            ..Options::default()
        },
    )
    .await;
    let answer = rig.command("UBEN", "ben", "/alumni", "help").await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.is_empty(),
        "a bare acknowledgement: {}",
        answer.body
    );
    let late = rig.fake.wait_for("response_url", 1).await;
    assert_eq!(late[0].body["id"], "cmd");
    assert!(
        all_text(&late[0].body["body"]).contains("/alumni join"),
        "{:#}",
        late[0].body
    );
    rig.finish().await;
}

#[tokio::test]
async fn someone_joining_a_channel_who_is_not_a_member_is_told_how_to_join() {
    let rig = Rig::sqlite("welcome").await;
    rig.event(
        "Ev-join-1",
        json!({ "type": "member_joined_channel", "user": "UBEN", "channel": "C1", "channel_type": "C", "team": support::TEAM }),
    )
    .await;
    let posted = rig.fake.wait_for("chat.postMessage", 1).await;
    assert_eq!(posted[0].body["channel"], "UBEN");
    assert!(
        all_text(&posted[0].body).contains("/alumni join"),
        "{:#}",
        posted[0].body
    );

    // A member joining another channel is left alone.
    rig.command_json("UBEN", "ben", "/alumni", "join name:\"Ben Brown\"")
        .await;
    rig.command_json(ADMIN, "admin", "/alumni", "approve <@UBEN>")
        .await;
    rig.event(
        "Ev-join-2",
        json!({ "type": "member_joined_channel", "user": "UBEN", "channel": "C2", "team": support::TEAM }),
    )
    .await;
    // Then aiko, not a member, joins: her welcome is the next post, and ben got no second one.
    rig.event(
        "Ev-join-3",
        json!({ "type": "member_joined_channel", "user": "UAIKO", "channel": "C2", "team": support::TEAM }),
    )
    .await;
    let posted = rig.fake.wait_for("chat.postMessage", 2).await;
    let to: Vec<&str> = posted
        .iter()
        .map(|c| c.body["channel"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(to, ["UBEN", "UAIKO"], "{posted:#?}");
    rig.finish().await;
}
