//! Socket Mode against a fake WebSocket endpoint: apps.connections.open (with the app-level
//! token) returns its ws:// URL; envelopes are acknowledged with their envelope_id, slash
//! command answers ride in the ack, events run the same handlers as over HTTP.

mod support;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::{Rig, TEAM, all_text};
use tokio_tungstenite::tungstenite::Message;

async fn next_json<S>(ws: &mut S) -> Value
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("an ack within 10 s")
            .expect("socket open")
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test]
async fn socket_mode_acks_envelopes_and_runs_the_same_handlers() {
    let rig = Rig::sqlite("socket_mode").await;
    rig.fake.accept_token("xapp-1-test");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    rig.fake
        .set_socket_url(&format!("ws://{}/link", listener.local_addr().unwrap()));

    let app = rig.app.clone();
    let client =
        tokio::spawn(async move { alumni_slack::socket::connect_once(&app, "xapp-1-test").await });
    let (stream, _) = listener.accept().await.unwrap();
    let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
    let open = rig.fake.calls_to("apps.connections.open");
    assert_eq!(open[0].authorization.as_deref(), Some("Bearer xapp-1-test"));

    ws.send(Message::Text(
        json!({ "type": "hello", "num_connections": 1 })
            .to_string()
            .into(),
    ))
    .await
    .unwrap();

    // A slash command: its answer is the ack's payload.
    let command = json!({
        "envelope_id": "env-1",
        "type": "slash_commands",
        "accepts_response_payload": true,
        "payload": {
            "team_id": TEAM, "user_id": "UBEN", "user_name": "ben", "command": "/alumni",
            "text": "join name:\"Ben Brown\"", "response_url": "http://127.0.0.1:1/x", "trigger_id": "t",
        },
    });
    ws.send(Message::Text(command.to_string().into()))
        .await
        .unwrap();
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["envelope_id"], "env-1");
    assert_eq!(ack["payload"]["response_type"], "ephemeral");
    assert!(all_text(&ack["payload"]).contains("Ben Brown"), "{ack:#}");

    // An event: acked, then handled (App Home published).
    let event = json!({
        "envelope_id": "env-2",
        "type": "events_api",
        "accepts_response_payload": false,
        "retry_attempt": 0,
        "payload": {
            "type": "event_callback", "team_id": TEAM, "event_id": "Ev-socket-1",
            "event": { "type": "app_home_opened", "user": "UBEN", "tab": "home" },
        },
    });
    ws.send(Message::Text(event.to_string().into()))
        .await
        .unwrap();
    let ack = next_json(&mut ws).await;
    assert_eq!(ack, json!({ "envelope_id": "env-2" }));
    let publish = rig.fake.wait_for("views.publish", 1).await;
    assert_eq!(publish[0].body["user_id"], "UBEN");

    // A modal submitted with a bad answer: the field error rides in the ack.
    let submission = json!({
        "envelope_id": "env-3",
        "type": "interactive",
        "accepts_response_payload": true,
        "payload": {
            "type": "view_submission",
            "team": { "id": TEAM },
            "user": { "id": "UBEN", "username": "ben", "team_id": TEAM },
            "view": {
                "type": "modal",
                "private_metadata": "/alumni profile set",
                "blocks": [{ "type": "input", "block_id": "left" }],
                "state": { "values": { "left": { "left": { "type": "plain_text_input", "value": "someday" } } } },
            },
        },
    });
    ws.send(Message::Text(submission.to_string().into()))
        .await
        .unwrap();
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["envelope_id"], "env-3");
    assert_eq!(ack["payload"]["response_action"], "errors", "{ack:#}");
    assert!(
        ack["payload"]["errors"]["left"]
            .as_str()
            .unwrap()
            .contains("someday"),
        "{ack:#}"
    );

    // Slack asks for a reconnect: the connection ends cleanly.
    ws.send(Message::Text(
        json!({ "type": "disconnect", "reason": "refresh_requested" })
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(10), client).await;
    assert!(matches!(ended, Ok(Ok(Ok(())))), "{ended:?}");
    rig.finish().await;
}
