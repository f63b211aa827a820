//! A core `Reply` as a Slack message: Block Kit blocks plus the plain `text` Slack shows in
//! notifications and where blocks cannot be shown. Within Slack's limits (50 blocks; 3,000
//! characters a section, 10 fields of 2,000; 150 a header; 25 buttons an actions block, 75 a
//! label, 255 an action id), losing nothing: a long text goes on in the next section, a long
//! field value in another field of the same label (split at a line, a comma or a space, never
//! inside an escape or a `<…>` token); past 50 blocks the fields are folded into the text, and
//! only what still does not fit is cut, with a visible "…". Only a title or a label, which
//! cannot be split, is cut with "…". Times (`<t:UNIX:F>` markers) become `<!date^…>` so every
//! reader sees their own zone.

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
/// action_id and block_id.
pub const MAX_ID: usize = 255;

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
    blocks_within(reply, MAX_BLOCKS)
}

/// The blocks of `reply`, at most `max` of them (a message takes 50, a modal or Home 100).
pub fn blocks_within(reply: &Reply, max: usize) -> Vec<Value> {
    let actions = action_blocks(reply, max / 2);
    let room = max - actions.len();
    let mut out = Vec::new();
    if let Some(title) = &reply.title {
        out.push(json!({ "type": "header", "text": { "type": "plain_text", "text": cut(title, MAX_HEADER) } }));
    }
    let mut content: Vec<Value> = chunks(&reply.text, MAX_SECTION)
        .iter()
        .map(|c| section(c))
        .collect();
    let fields: Vec<Value> = reply
        .fields
        .iter()
        .flat_map(|(label, value)| field_texts(label, value))
        .map(|text| json!({ "type": "mrkdwn", "text": text }))
        .collect();
    for group in fields.chunks(MAX_FIELDS) {
        content.push(json!({ "type": "section", "fields": group }));
    }
    if out.len() + content.len() > room {
        // Too many blocks: the same words, packed densely as text sections.
        let mut text = mrkdwn(&reply.text);
        for (label, value) in &reply.fields {
            text.push_str(&format!("\n*{}*\n{}", mrkdwn(label), mrkdwn(value)));
        }
        content = split(&text, MAX_SECTION)
            .iter()
            .filter(|c| !c.trim().is_empty())
            .map(|c| section(c))
            .collect();
    }
    out.extend(content);
    if out.len() > room {
        // Beyond 140,000 characters: no Slack message holds it. Buttons are what people act
        // on, so the text is cut, visibly.
        out.truncate(room - 1);
        out.push(json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": "…" }] }));
    }
    out.extend(actions);
    out
}

/// The buttons, 25 to an actions block. An action id Slack would refuse (over 255 characters,
/// or a second button with the same id) is left out rather than losing the whole message.
fn action_blocks(reply: &Reply, max_blocks: usize) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    let usable: Vec<_> = reply
        .buttons
        .iter()
        .filter(|b| {
            let ok = !b.action.is_empty() && b.action.chars().count() <= MAX_ID;
            if !ok {
                tracing::warn!(action = %b.action, "a button id Slack cannot take; left out");
            }
            ok && seen.insert(b.action.clone())
        })
        .collect();
    usable
        .chunks(MAX_BUTTONS)
        .take(max_blocks)
        .map(|group| {
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
            json!({ "type": "actions", "elements": elements })
        })
        .collect()
}

/// A field as `*label*\nvalue` texts of at most 2,000 characters: a long value goes on in
/// further fields under the same label.
fn field_texts(label: &str, value: &str) -> Vec<String> {
    let head = format!("*{}*\n", cut(&mrkdwn(label), MAX_HEADER));
    let room = MAX_FIELD - head.chars().count();
    let pieces = split(&mrkdwn(value), room);
    if pieces.is_empty() {
        return vec![head];
    }
    pieces.into_iter().map(|p| format!("{head}{p}")).collect()
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

pub(crate) fn escape(text: &str) -> String {
    if !text.contains(['&', '<', '>']) {
        return text.to_owned();
    }
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The text as mrkdwn, in pieces of at most `max` characters.
fn chunks(text: &str, max: usize) -> Vec<String> {
    let text = mrkdwn(text);
    if text.trim().is_empty() {
        return Vec::new();
    }
    split(&text, max)
        .into_iter()
        .filter(|c| !c.trim().is_empty())
        .collect()
}

/// Split mrkdwn into pieces of at most `max` characters, losing nothing: at the last line
/// break that fits, else after a list's last ", ", else after the last space, else anywhere
/// outside an escape (`&amp;`) or a `<…>` token (a date, a mention), which would break if cut.
pub fn split(text: &str, max: usize) -> Vec<String> {
    // Most texts fit: no need to look at them character by character.
    if text.len() <= max || text.chars().count() <= max {
        return if text.is_empty() {
            Vec::new()
        } else {
            vec![text.to_owned()]
        };
    }
    let mut out = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while rest.len() > max {
        let window = &rest[..max];
        let safe = |i: usize| i > 0 && i <= max && outside_token(&rest, i);
        // Not so early that pieces get short.
        let at = (max / 2..=max)
            .rev()
            .find(|&i| window[i - 1] == '\n' && safe(i))
            .or_else(|| {
                (max / 2..=max)
                    .rev()
                    .find(|&i| i >= 2 && window[i - 2..i] == [',', ' '] && safe(i))
            })
            .or_else(|| {
                (max / 2..=max)
                    .rev()
                    .find(|&i| window[i - 1] == ' ' && safe(i))
            })
            .or_else(|| (1..=max).rev().find(|&i| safe(i)))
            .unwrap_or(max);
        out.push(rest[..at].iter().collect());
        rest.drain(..at);
    }
    if !rest.is_empty() {
        out.push(rest.into_iter().collect());
    }
    out
}

/// Whether cutting before `chars[i]` leaves every `<…>` token and `&…;` escape whole.
fn outside_token(chars: &[char], i: usize) -> bool {
    let before = &chars[..i];
    let open_angle = before.iter().rposition(|&c| c == '<');
    let close_angle = before.iter().rposition(|&c| c == '>');
    if open_angle.is_some() && open_angle > close_angle {
        return false;
    }
    // An escape is at most `&amp;`: look a few characters back for an unfinished one.
    let tail = &before[before.len().saturating_sub(4)..];
    match tail.iter().rposition(|&c| c == '&') {
        Some(amp) => tail[amp..].contains(&';'),
        None => true,
    }
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

    /// Every text object's text, in order.
    fn texts(blocks: &[Value]) -> Vec<String> {
        let mut out = Vec::new();
        for b in blocks {
            if let Some(t) = b["text"]["text"].as_str() {
                out.push(t.to_owned());
            }
            for f in b["fields"].as_array().into_iter().flatten() {
                out.push(f["text"].as_str().unwrap().to_owned());
            }
        }
        out
    }

    #[test]
    fn splitting_loses_nothing_and_never_breaks_an_escape_or_a_date() {
        let text = mrkdwn(&"a&b <t:1797588000:F> x, ".repeat(400));
        for max in [100, 333, 3000] {
            let pieces = split(&text, max);
            assert_eq!(pieces.concat(), text, "max {max}");
            for p in &pieces {
                assert!(p.chars().count() <= max);
                assert_eq!(p.matches('<').count(), p.matches('>').count(), "{p}");
                assert!(!p.ends_with('&') && !p.ends_with("&am"), "{p}");
            }
        }
    }

    #[test]
    fn a_long_field_goes_on_under_the_same_label() {
        let value = (0..300)
            .map(|i| format!("name{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let reply = Reply::text(Locale::En, "").field("Going (300)", value.clone());
        let fields = texts(&blocks(&reply));
        assert!(fields.len() >= 2, "{fields:?}");
        let mut joined = String::new();
        for f in &fields {
            assert!(f.chars().count() <= MAX_FIELD);
            joined.push_str(
                f.strip_prefix("*Going (300)*\n")
                    .expect("the label on each"),
            );
        }
        assert_eq!(joined, value);
    }

    #[test]
    fn past_50_blocks_the_fields_are_folded_into_text_and_nothing_is_lost() {
        let mut reply = Reply::text(Locale::En, "Members").titled("Directory");
        for i in 0..600 {
            reply = reply.field(format!("m{i}"), format!("value {i}"));
        }
        reply = reply.button("Next", "v1.pg.2".into(), ButtonStyle::Secondary);
        let blocks = blocks(&reply);
        assert!(blocks.len() <= MAX_BLOCKS, "{}", blocks.len());
        let all = texts(&blocks).concat();
        for i in 0..600 {
            assert!(all.contains(&format!("*m{i}*\nvalue {i}")), "m{i}");
        }
        assert!(!all.contains('…'));
        assert_eq!(blocks.last().unwrap()["type"], "actions");
    }

    #[test]
    fn buttons_slack_would_refuse_are_left_out_not_the_message() {
        let reply = Reply::text(Locale::En, "x")
            .button("A", "v1.a.1".into(), ButtonStyle::Primary)
            .button("A again", "v1.a.1".into(), ButtonStyle::Primary)
            .button("Too long", "v".repeat(MAX_ID + 1), ButtonStyle::Primary);
        let b = blocks(&reply);
        let elements = b.last().unwrap()["elements"].as_array().unwrap();
        assert_eq!(elements.len(), 1);
        assert_eq!(elements[0]["action_id"], "v1.a.1");
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
