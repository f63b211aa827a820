//! Findings of the security review (#15), through the signed endpoints and the fake Slack.

mod support;

use serde_json::Value;
use support::{ADMIN, Rig};

/// Every text Slack parses for mentions: the top-level `text` and each mrkdwn `text`
/// (plain_text, e.g. a button label, shows `<!channel>` as it is).
fn parsed_texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            let plain = map.get("type").and_then(Value::as_str) == Some("plain_text");
            for (k, child) in map {
                match (k.as_str(), child) {
                    ("text", Value::String(t)) if !plain => out.push(t.clone()),
                    _ => parsed_texts(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| parsed_texts(i, out)),
        _ => {}
    }
}

/// A name such as `<!channel> Bob` never reaches Slack as a mention: the blocks were escaped,
/// but the top-level `text` (what notifications show) carried it raw (#15 item 10).
#[tokio::test]
async fn a_mention_in_a_name_is_escaped_in_every_text_field() {
    let rig = Rig::sqlite("mention_escape").await;
    let answer = rig
        .command_json(
            "UBEN",
            "ben",
            "/alumni",
            "join name:\"<!channel> Bob\" company:Globex",
        )
        .await;
    let text = answer["text"].as_str().unwrap_or_default();
    assert!(text.contains("&lt;!channel&gt; Bob"), "{answer:#}");
    let approved = rig
        .command_json(ADMIN, "admin", "/alumni", "approve <@UBEN|ben>")
        .await;
    assert!(!approved.to_string().contains("<!channel>"), "{approved:#}");
    // The admin's notice, the member's DM and the channel's welcome post.
    rig.deliver_due().await;
    let posts = rig.fake.calls_to("chat.postMessage");
    assert!(posts.len() >= 2, "{posts:#?}");
    for post in posts {
        let mut raw = Vec::new();
        parsed_texts(&post.body, &mut raw);
        assert!(
            raw.iter().all(|t| !t.contains("<!channel>")),
            "a raw mention reached Slack: {raw:?}"
        );
    }
    rig.finish().await;
}
