//! A core `Reply` as a Slack message: Block Kit blocks plus the plain `text` Slack shows in
//! notifications and where blocks cannot be shown. Within Slack's limits (50 blocks; 3,000
//! characters a section, 10 fields of 2,000; 150 a header; 25 buttons an actions block, 75 a
//! label), cutting with "…" rather than failing the whole post. Times (`<t:UNIX:F>` markers)
//! become `<!date^…>` so every reader sees their own zone.

use bot_core::reply::{ButtonStyle, Reply};
use serde_json::{Value, json};

pub const MAX_BLOCKS: usize = 50;
const MAX_SECTION: usize = 3000;
const MAX_FIELDS: usize = 10;
const MAX_FIELD: usize = 2000;
const MAX_HEADER: usize = 150;
const MAX_BUTTONS: usize = 25;
const MAX_LABEL: usize = 75;
const MAX_FALLBACK: usize = 3000;

/// `{"text": …, "blocks": [...]}` for chat.postMessage / chat.update / a response_url.
pub fn message(reply: &Reply) -> Value {
    json!({ "text": fallback(reply), "blocks": blocks(reply) })
}

/// Plain text for notifications: times in UTC, cut to a safe length.
/// The top-level `text` (notifications, screen readers): escaped like the blocks, so a name
/// such as `<!channel> Bob` can never mention a channel, and without a file's bytes.
pub fn fallback(reply: &Reply) -> String {
    let mut plain = reply.clone();
    plain.buttons.clear();
    plain.attachment = None;
    plain.timezone = Some("UTC".into());
    cut(&escape(&plain.to_plain_text()), MAX_FALLBACK)
}

pub fn blocks(reply: &Reply) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(title) = &reply.title {
        out.push(json!({ "type": "header", "text": { "type": "plain_text", "text": cut(title, MAX_HEADER) } }));
    }
    for chunk in chunks(&reply.text, MAX_SECTION) {
        out.push(section(&chunk));
    }
    for group in reply.fields.chunks(MAX_FIELDS) {
        let fields: Vec<Value> = group
            .iter()
            .map(|(label, value)| json!({ "type": "mrkdwn", "text": cut(&format!("*{}*\n{}", mrkdwn(label), mrkdwn(value)), MAX_FIELD) }))
            .collect();
        out.push(json!({ "type": "section", "fields": fields }));
    }
    // Buttons are what people act on: when over the limit, the text is cut, not the buttons.
    let mut actions = Vec::new();
    for group in reply.buttons.chunks(MAX_BUTTONS).take(MAX_BLOCKS / 2) {
        let elements: Vec<Value> = group
            .iter()
            .map(|b| {
                let mut button = json!({
                    "type": "button",
                    "text": { "type": "plain_text", "text": cut(&b.label, MAX_LABEL) },
                    "action_id": b.action,
                    "value": b.action,
                });
                match b.style {
                    ButtonStyle::Primary => button["style"] = json!("primary"),
                    ButtonStyle::Danger => button["style"] = json!("danger"),
                    ButtonStyle::Secondary => {}
                }
                button
            })
            .collect();
        actions.push(json!({ "type": "actions", "elements": elements }));
    }
    if out.len() + actions.len() > MAX_BLOCKS {
        out.truncate(MAX_BLOCKS - actions.len() - 1);
        out.push(json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": "…" }] }));
    }
    out.extend(actions);
    out
}

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })
}

/// Escape `&`, `<`, `>` as Slack requires, and turn `<t:UNIX:STYLE>` markers into dates.
pub fn mrkdwn(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<t:") {
        out.push_str(&escape(&rest[..start]));
        let after = &rest[start + 3..];
        let marker = after.find('>').and_then(|end| {
            let unix: i64 = after[..end].split(':').next()?.parse().ok()?;
            Some((unix, end))
        });
        match marker {
            Some((unix, end)) => {
                let utc = chrono::DateTime::from_timestamp(unix, 0)
                    .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
                out.push_str(&format!(
                    "<!date^{unix}^{{date_short_pretty}} {{time}}|{utc}>"
                ));
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("&lt;t:");
                rest = after;
            }
        }
    }
    out.push_str(&escape(rest));
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Split into pieces of at most `max` characters, at line breaks where possible.
fn chunks(text: &str, max: usize) -> Vec<String> {
    let text = mrkdwn(text);
    if text.trim().is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        if current.chars().count() + line.chars().count() > max && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if line.chars().count() > max {
            let chars: Vec<char> = line.chars().collect();
            for piece in chars.chunks(max) {
                out.push(piece.iter().collect());
            }
        } else {
            current.push_str(line);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// At most `max` characters, ending in "…" when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use bot_core::i18n::Locale;

    #[test]
    fn renders_title_text_fields_buttons_and_native_dates() {
        let reply = Reply::text(Locale::Ja, "開始: <t:1797588000:F> & <b>")
            .titled("#1 年末交流会")
            .field("場所", "渋谷")
            .button("参加", "v1.rs.1.1797588000.g".into(), ButtonStyle::Primary);
        let m = message(&reply);
        let blocks = m["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(
            blocks[1]["text"]["text"],
            "開始: <!date^1797588000^{date_short_pretty} {time}|2026-12-18 10:00 UTC> &amp; &lt;b&gt;"
        );
        assert_eq!(blocks[2]["fields"][0]["text"], "*場所*\n渋谷");
        assert_eq!(
            blocks[3]["elements"][0]["action_id"],
            "v1.rs.1.1797588000.g"
        );
        assert_eq!(blocks[3]["elements"][0]["style"], "primary");
        assert!(
            m["text"]
                .as_str()
                .unwrap()
                .contains("2026年12月18日(金) 10:00 UTC"),
            "{}",
            m["text"]
        );
    }

    #[test]
    fn stays_within_slacks_limits() {
        let mut reply = Reply::text(Locale::En, "x".repeat(10_000)).titled("t".repeat(400));
        for i in 0..600 {
            reply = reply.field(format!("f{i}"), "v".repeat(3000));
        }
        for i in 0..60 {
            let label = "b".repeat(100);
            reply = reply.button(label, format!("v1.ap.{i}"), ButtonStyle::Secondary);
        }
        let blocks = blocks(&reply);
        assert_eq!(blocks.len(), MAX_BLOCKS);
        // The cut is marked, and every button is kept (60 buttons = 3 actions blocks).
        assert_eq!(blocks[MAX_BLOCKS - 4]["type"], "context");
        assert!(
            blocks[MAX_BLOCKS - 3..]
                .iter()
                .all(|b| b["type"] == "actions")
        );
        assert!(blocks[0]["text"]["text"].as_str().unwrap().chars().count() <= MAX_HEADER);
        for b in &blocks {
            if let Some(t) = b["text"]["text"].as_str() {
                assert!(t.chars().count() <= MAX_SECTION);
            }
            if let Some(fields) = b["fields"].as_array() {
                assert!(fields.len() <= MAX_FIELDS);
                assert!(
                    fields
                        .iter()
                        .all(|f| f["text"].as_str().unwrap().chars().count() <= MAX_FIELD)
                );
            }
            if let (Some(elements), "actions") =
                (b["elements"].as_array(), b["type"].as_str().unwrap_or(""))
            {
                assert!(elements.len() <= MAX_BUTTONS);
                for e in elements {
                    assert!(e["text"]["text"].as_str().unwrap().chars().count() <= MAX_LABEL);
                }
            }
        }
        assert!(fallback(&reply).chars().count() <= MAX_FALLBACK);
    }
}
