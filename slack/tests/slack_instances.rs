//! Two instances behind a load balancer on one PostgreSQL database agree: an install link made
//! by one is accepted once by the other, and an event delivered to both is handled once.

mod support;

use serde_json::json;
use support::fake_slack::{GOOD_CODE, INSTALLED_TEAM, INSTALLED_TOKEN};
use support::{Options, Rig};

fn oauth() -> Options {
    Options {
        single_workspace_token: true,
        oauth: true,
        inline_budget: None,
    }
}

#[tokio::test]
async fn two_instances_share_oauth_states_installations_and_event_dedupe() {
    let Some(a) = Rig::postgres_with("slack_two_instances", oauth()).await else {
        return;
    };
    let b = a.another_instance(oauth()).await;

    // The browser starts the install on A; Slack's redirect lands on B.
    let started = a.request("GET", "/slack/install", &[], Vec::new()).await;
    assert_eq!(started.status, 303);
    let location = url::Url::parse(started.headers["location"].to_str().unwrap()).unwrap();
    let state = location
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let callback = format!("/slack/oauth/callback?code={GOOD_CODE}&state={state}");
    let done = b.request("GET", &callback, &[], Vec::new()).await;
    assert_eq!(done.status, 200, "{}", done.body);
    // ... and a replay on A is refused: the state was consumed in the shared database.
    assert_eq!(
        a.request("GET", &callback, &[], Vec::new()).await.status,
        400
    );
    let installed = a
        .store
        .slack_installation(INSTALLED_TEAM)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        alumni_slack::sealed::open(Some(&support::test_sealer()), &installed.bot_token).unwrap(),
        INSTALLED_TOKEN,
        "stored sealed, opened by either instance's key"
    );

    // Slack retries an event against whichever instance answers: handled once in total.
    let event = json!({ "type": "app_home_opened", "user": "UBEN", "tab": "home" });
    assert_eq!(a.event("Ev-shared", event.clone()).await.status, 200);
    a.fake.wait_for("views.publish", 1).await;
    assert_eq!(b.event("Ev-shared", event).await.status, 200);
    // A later, new event on B is handled: once its Home is published, B has answered the
    // retry long before, and ben's Home was published once in total.
    let aiko = json!({ "type": "app_home_opened", "user": "UAIKO", "tab": "home" });
    assert_eq!(b.event("Ev-later", aiko).await.status, 200);
    let publishes = a.fake.wait_for("views.publish", 2).await;
    assert_eq!(publishes[1].body["user_id"], "UAIKO", "{publishes:#?}");
    let publishes = a.fake.calls_to("views.publish");
    let ben: Vec<_> = publishes
        .iter()
        .filter(|c| c.body["user_id"] == "UBEN")
        .collect();
    assert_eq!((publishes.len(), ben.len()), (2, 1), "{publishes:#?}");

    b.finish().await;
    a.finish().await;
}
