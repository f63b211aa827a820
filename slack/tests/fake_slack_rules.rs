//! The fake Slack is as strict as Slack's documentation: a payload at every Block Kit limit is
//! accepted and one past any is refused; only tokens Slack issued work; conversations.history
//! pages by `limit`, `cursor`, `oldest` / `latest` and `inclusive`. (The fake could refuse none
//! of this before, so a test through it could pass where Slack would fail.)

mod support;

use alumni_slack::SlackApi;
use alumni_slack::api::ApiError;
use serde_json::{Value, json};
use support::FakeSlack;
use support::slack_limits::{check_message, check_view};

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })
}

fn button(label: &str, id: &str, value: &str) -> Value {
    json!({ "type": "button", "text": { "type": "plain_text", "text": label }, "action_id": id, "value": value })
}

/// A message with every limit reached exactly.
fn full_message() -> Value {
    let mut blocks = vec![
        json!({ "type": "header", "text": { "type": "plain_text", "text": "h".repeat(150) } }),
        json!({ "type": "section", "block_id": "b".repeat(255), "fields": (0..10).map(|_| json!({ "type": "mrkdwn", "text": "f".repeat(2000) })).collect::<Vec<_>>() }),
        json!({ "type": "actions", "elements": (0..25).map(|i| button(&"l".repeat(75), &format!("{i:0>255}"), &"v".repeat(2000))).collect::<Vec<_>>() }),
        json!({ "type": "context", "elements": (0..10).map(|_| json!({ "type": "mrkdwn", "text": "c" })).collect::<Vec<_>>() }),
    ];
    while blocks.len() < 50 {
        // Japanese text counts characters, not bytes.
        blocks.push(section(&"年".repeat(3000)));
    }
    json!({ "text": "fallback", "blocks": blocks })
}

fn full_modal() -> Value {
    let mut blocks = vec![section(&"x".repeat(3000))];
    while blocks.len() < 100 {
        let key = format!("k{}", blocks.len());
        blocks.push(json!({
            "type": "input", "block_id": key,
            "label": { "type": "plain_text", "text": "l".repeat(2000) },
            "element": { "type": "plain_text_input", "action_id": key,
                         "placeholder": { "type": "plain_text", "text": "p".repeat(150) } },
        }));
    }
    json!({
        "type": "modal",
        "callback_id": "c".repeat(255),
        "private_metadata": "m".repeat(3000),
        "title": { "type": "plain_text", "text": "イ".repeat(24) },
        "submit": { "type": "plain_text", "text": "s".repeat(24) },
        "close": { "type": "plain_text", "text": "c".repeat(24) },
        "blocks": blocks,
    })
}

#[test]
fn a_message_at_every_limit_passes_and_one_past_any_is_refused() {
    let full = full_message();
    assert_eq!(check_message(&full), Vec::<String>::new());

    type Edit = fn(&mut Value);
    let past: &[(&str, Edit)] = &[
        ("51 blocks", |m| {
            m["blocks"]
                .as_array_mut()
                .unwrap()
                .push(section("one more"))
        }),
        ("header 151", |m| {
            m["blocks"][0]["text"]["text"] = json!("h".repeat(151))
        }),
        ("block_id 256", |m| {
            m["blocks"][1]["block_id"] = json!("b".repeat(256))
        }),
        ("11 fields", |m| {
            m["blocks"][1]["fields"]
                .as_array_mut()
                .unwrap()
                .push(json!({ "type": "mrkdwn", "text": "f" }))
        }),
        ("field 2001", |m| {
            m["blocks"][1]["fields"][0]["text"] = json!("f".repeat(2001))
        }),
        ("26 buttons", |m| {
            m["blocks"][2]["elements"]
                .as_array_mut()
                .unwrap()
                .push(button("x", "extra", "x"))
        }),
        ("button text 76", |m| {
            m["blocks"][2]["elements"][0]["text"]["text"] = json!("l".repeat(76))
        }),
        ("action_id 256", |m| {
            m["blocks"][2]["elements"][0]["action_id"] = json!("a".repeat(256))
        }),
        ("button value 2001", |m| {
            m["blocks"][2]["elements"][0]["value"] = json!("v".repeat(2001))
        }),
        ("duplicate action_id in a block", |m| {
            m["blocks"][2]["elements"][1]["action_id"] =
                m["blocks"][2]["elements"][0]["action_id"].clone()
        }),
        ("11 context elements", |m| {
            m["blocks"][3]["elements"]
                .as_array_mut()
                .unwrap()
                .push(json!({ "type": "mrkdwn", "text": "c" }))
        }),
        ("section text 3001", |m| {
            m["blocks"][4]["text"]["text"] = json!("年".repeat(3001))
        }),
        ("empty section text", |m| {
            m["blocks"][4]["text"]["text"] = json!("")
        }),
    ];
    for (what, edit) in past {
        let mut m = full.clone();
        edit(&mut m);
        let errors = check_message(&m);
        assert!(!errors.is_empty(), "{what} was accepted");
        assert!(
            errors
                .iter()
                .all(|e| e.starts_with("[ERROR] ") && e.contains("[json-pointer:/blocks")),
            "{what}: {errors:?}"
        );
    }
}

#[test]
fn a_modal_at_every_limit_passes_and_one_past_any_is_refused() {
    let full = full_modal();
    assert_eq!(check_view(&full), Vec::<String>::new());
    type Edit = fn(&mut Value);
    let past: &[(&str, Edit)] = &[
        ("title 25", |v| v["title"]["text"] = json!("イ".repeat(25))),
        ("submit 25", |v| v["submit"]["text"] = json!("s".repeat(25))),
        ("close 25", |v| v["close"]["text"] = json!("c".repeat(25))),
        ("101 blocks", |v| {
            v["blocks"].as_array_mut().unwrap().push(section("x"))
        }),
        ("section 3001", |v| {
            v["blocks"][0]["text"]["text"] = json!("x".repeat(3001))
        }),
        ("label 2001", |v| {
            v["blocks"][1]["label"]["text"] = json!("l".repeat(2001))
        }),
        ("placeholder 151", |v| {
            v["blocks"][1]["element"]["placeholder"]["text"] = json!("p".repeat(151))
        }),
        ("private_metadata 3001", |v| {
            v["private_metadata"] = json!("m".repeat(3001))
        }),
        ("callback_id 256", |v| {
            v["callback_id"] = json!("c".repeat(256))
        }),
        ("duplicate block_id", |v| {
            v["blocks"][2]["block_id"] = v["blocks"][1]["block_id"].clone()
        }),
    ];
    for (what, edit) in past {
        let mut v = full.clone();
        edit(&mut v);
        assert!(!check_view(&v).is_empty(), "{what} was accepted");
    }
}

#[tokio::test]
async fn the_web_api_refuses_past_limits_and_unknown_or_revoked_tokens() {
    let fake = FakeSlack::start().await;
    fake.accept_token("xoxb-good");
    fake.add_channel("CCHAN00001", "chan");
    let api = SlackApi::new(&fake.api_url).unwrap();
    let mut too_long =
        json!({ "channel": "CCHAN00001", "text": "t", "blocks": [section(&"x".repeat(3001))] });
    assert_eq!(
        api.post("xoxb-good", "chat.postMessage", &too_long).await,
        Err(ApiError::Slack("invalid_blocks".into()))
    );
    let modal = json!({ "trigger_id": "t", "view": { "type": "modal", "title": { "type": "plain_text", "text": "t".repeat(25) }, "blocks": [] } });
    assert_eq!(
        api.post("xoxb-good", "views.open", &modal).await,
        Err(ApiError::Slack("invalid_arguments".into()))
    );
    let refusals = fake.refusals();
    assert_eq!(refusals.len(), 2, "{refusals:#?}");
    assert!(
        refusals[0].1[0].contains("[json-pointer:/blocks/0/text/text]"),
        "{refusals:#?}"
    );
    assert!(
        refusals[1].1[0].contains("[json-pointer:/view/title/text]"),
        "{refusals:#?}"
    );
    assert!(fake.messages("CCHAN00001").is_empty());

    too_long["blocks"] = json!([section(&"x".repeat(3000))]);
    assert!(
        api.post("xoxb-good", "chat.postMessage", &too_long)
            .await
            .is_ok()
    );
    for (token, error) in [("xoxb-never-issued", "invalid_auth"), ("", "not_authed")] {
        assert_eq!(
            api.post(token, "chat.postMessage", &too_long).await,
            Err(ApiError::Slack(error.into())),
            "{token:?}"
        );
    }
    fake.revoke_token("xoxb-good");
    assert_eq!(
        api.post("xoxb-good", "chat.postMessage", &too_long).await,
        Err(ApiError::Slack("token_revoked".into()))
    );
    assert_eq!(fake.messages("CCHAN00001").len(), 1);
}

#[tokio::test]
async fn history_pages_newest_first_within_oldest_and_latest() {
    let fake = FakeSlack::start().await;
    fake.accept_token("xoxb-good");
    for i in 0..250 {
        fake.add_message("CBUSY00001", "UBEN", &format!("m{i}"));
    }
    let all = fake.messages("CBUSY00001");
    let ts = |i: usize| all[i]["ts"].as_str().unwrap().to_owned();
    let api = SlackApi::new(&fake.api_url).unwrap();
    let texts = |page: &Value| -> Vec<String> {
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect()
    };

    // No limit: Slack's default of 100, newest first, and a cursor to the rest.
    let first = api
        .get(
            "xoxb-good",
            "conversations.history",
            &[("channel", "CBUSY00001")],
        )
        .await
        .unwrap();
    assert_eq!(texts(&first).len(), 100);
    assert_eq!(texts(&first)[0], "m249");
    assert_eq!(first["has_more"], true);
    let cursor = first["response_metadata"]["next_cursor"].as_str().unwrap();
    let second = api
        .get(
            "xoxb-good",
            "conversations.history",
            &[
                ("channel", "CBUSY00001"),
                ("limit", "200"),
                ("cursor", cursor),
            ],
        )
        .await
        .unwrap();
    assert_eq!(texts(&second).len(), 150);
    assert_eq!(texts(&second)[0], "m149");
    assert_eq!(second["has_more"], false);
    assert_eq!(second["response_metadata"]["next_cursor"], "");

    // oldest / latest are exclusive unless inclusive.
    let (oldest, latest) = (ts(10), ts(20));
    let range = |inclusive: &'static str| {
        let (oldest, latest) = (oldest.clone(), latest.clone());
        let api = &api;
        async move {
            api.get(
                "xoxb-good",
                "conversations.history",
                &[
                    ("channel", "CBUSY00001"),
                    ("oldest", &oldest),
                    ("latest", &latest),
                    ("inclusive", inclusive),
                ],
            )
            .await
            .unwrap()
        }
    };
    let exclusive = texts(&range("false").await);
    assert_eq!((exclusive.len(), exclusive[0].as_str()), (9, "m19"));
    let inclusive = texts(&range("true").await);
    assert_eq!(
        (
            inclusive.len(),
            inclusive[0].as_str(),
            inclusive[10].as_str()
        ),
        (11, "m20", "m10")
    );
}
