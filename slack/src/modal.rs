//! A core `Form` as a Slack modal, and a submitted modal back to a command line: the form's
//! `command` followed by `key:"value"` for every answered field, through the one grammar.

use bot_core::i18n::{self, Locale};
use bot_core::reply::{Form, FormField, Reply};
use serde_json::{Value, json};

use crate::blocks;

/// Modal title, submit and close: 24 characters (a Japanese character counts one).
const MAX_TITLE: usize = 24;
const MAX_SECTION: usize = 3000;
const MAX_LABEL: usize = 2000;
const MAX_VIEW_BLOCKS: usize = 100;

pub fn view(form: &Form, reply: &Reply) -> Value {
    let mut view_blocks = Vec::new();
    // The intro goes on over several sections (3,000 characters each), within the modal's 100
    // blocks beside the inputs.
    let room = MAX_VIEW_BLOCKS.saturating_sub(form.fields.len()).max(1);
    for piece in blocks::split(&blocks::mrkdwn(&reply.text), MAX_SECTION)
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .take(room)
    {
        view_blocks.push(json!({ "type": "section", "text": { "type": "mrkdwn", "text": piece } }));
    }
    for f in &form.fields {
        view_blocks.push(json!({
            "type": "input",
            "block_id": f.key,
            "optional": !f.required,
            "label": { "type": "plain_text", "text": cut(&f.label, MAX_LABEL) },
            "element": { "type": "plain_text_input", "action_id": f.key, "multiline": f.long },
        }));
    }
    json!({
        "type": "modal",
        "callback_id": "alumni_form",
        "private_metadata": form.command,
        "title": { "type": "plain_text", "text": cut(&form.title, MAX_TITLE) },
        "submit": { "type": "plain_text", "text": if reply.locale == Locale::Ja { "送信" } else { "Submit" } },
        "blocks": view_blocks,
    })
}

/// Profile fields a join / profile modal asks for: (key, label key, long).
const PROFILE_FIELDS: &[(&str, &str, bool)] = &[
    ("name", "setup.name", false),
    ("company", "field.company", false),
    ("title", "field.title", false),
    ("department", "field.department", false),
    ("joined", "field.joined", false),
    ("left", "field.left", false),
    ("skills", "field.skills", false),
    ("open_to", "field.open_to", false),
    ("bio", "field.bio", true),
];

/// Joining also asks for HR's personal invite code, after the name.
const CODE_FIELD: (&str, &str, bool) = ("code", "field.code", false);

/// A bare `/alumni join` or `/alumni profile set` typed on Slack opens a form instead of
/// answering with the usage. Returns the form's command.
pub fn bare_form_command(command: &str, text: &str) -> Option<&'static str> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match (command, words.as_slice()) {
        ("/alumni", ["join"]) => Some("/alumni join"),
        ("/alumni", ["profile", "set"]) => Some("/alumni profile set"),
        _ => None,
    }
}

/// The profile form for `line` (from `bare_form_command`); its answers run through the same
/// grammar as typed text. Joining needs a name; editing needs nothing.
pub fn profile_form(line: &str, locale: Locale) -> Form {
    let joining = line == "/alumni join";
    Form {
        title: line.trim_start_matches('/').to_owned(),
        command: line.to_owned(),
        fields: PROFILE_FIELDS
            .iter()
            .take(1)
            .chain(joining.then_some(&CODE_FIELD))
            .chain(PROFILE_FIELDS.iter().skip(1))
            .map(|(key, label, long)| FormField {
                key: (*key).to_owned(),
                label: i18n::t(locale, label, &[]),
                required: joining && *key == "name",
                long: *long,
            })
            .collect(),
    }
}

/// The command line a submitted view stands for, and the field keys in form order.
pub fn submission_line(view: &Value) -> Option<(String, Vec<String>)> {
    let command = view["private_metadata"].as_str()?.trim().to_owned();
    if command.is_empty() {
        return None;
    }
    let mut line = command;
    let mut keys = Vec::new();
    // Keep the form's order (the blocks), not the map's.
    for block in view["blocks"].as_array().into_iter().flatten() {
        let Some(key) = block["block_id"].as_str() else {
            continue;
        };
        if block["type"].as_str() != Some("input") {
            continue;
        }
        keys.push(key.to_owned());
        let value = view["state"]["values"][key][key]["value"]
            .as_str()
            .unwrap_or_default()
            .trim();
        if !value.is_empty() {
            line.push_str(&format!(" {key}:\"{}\"", escape(value)));
        }
    }
    Some((line, keys))
}

/// Which field an error belongs on: the key the core says it is about (`Reply::error_key`)
/// when the form has that field, else the first field.
pub fn field_for_error(keys: &[String], error_key: Option<&str>) -> String {
    keys.iter()
        .find(|k| Some(k.as_str()) == error_key)
        .or(keys.first())
        .cloned()
        .unwrap_or_default()
}

/// The part of an error worth showing under a field: its first line.
pub fn field_error_text(message: &str) -> String {
    cut(message.lines().next().unwrap_or_default().trim(), 300)
}

/// Quotes for the grammar's lexer, which closes a value at any of `"`, `“` or `”` (Japanese
/// input methods type the curly ones), so each gets a backslash.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '"' | '“' | '”') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        Form {
            title: "Join".into(),
            command: "/alumni join".into(),
            fields: vec![
                FormField {
                    key: "name".into(),
                    label: "Name".into(),
                    required: true,
                    long: false,
                },
                FormField {
                    key: "bio".into(),
                    label: "Bio".into(),
                    required: false,
                    long: true,
                },
            ],
        }
    }

    #[test]
    fn a_submitted_modal_becomes_the_forms_command_with_quoted_answers() {
        let mut v = view(&form(), &Reply::text(Locale::En, ""));
        v["state"] = json!({ "values": {
            "name": { "name": { "type": "plain_text_input", "value": "Aiko \"Ai\" Tanaka" } },
            "bio": { "bio": { "type": "plain_text_input", "value": null } },
        }});
        let (line, keys) = submission_line(&v).unwrap();
        assert_eq!(line, r#"/alumni join name:"Aiko \"Ai\" Tanaka""#);
        assert_eq!(keys, ["name", "bio"]);
        assert_eq!(v["blocks"][1]["optional"], json!(true));
        assert_eq!(v["blocks"][1]["element"]["multiline"], json!(true));
    }

    /// Found by the `slack_payload` fuzz target: a bio with curly quotes ended the quoted
    /// value early, so the modal saved a cut-off bio or refused the submission.
    #[test]
    fn curly_quotes_in_an_answer_survive_the_grammar() {
        let mut v = view(&form(), &Reply::text(Locale::Ja, ""));
        let bio = r#"彼は“天才”だ \ "quoted" ”"#;
        v["state"] = json!({ "values": {
            "name": { "name": { "value": "佐藤" } },
            "bio": { "bio": { "value": bio } },
        }});
        let (line, _) = submission_line(&v).unwrap();
        let tokens = bot_core::command::lexer::tokenize(&line).unwrap();
        assert_eq!(
            tokens.last(),
            Some(&bot_core::command::lexer::Token::Pair(
                "bio".into(),
                bio.trim().into()
            ))
        );
    }

    #[test]
    fn only_a_bare_join_or_profile_set_opens_a_form() {
        assert_eq!(bare_form_command("/alumni", " join "), Some("/alumni join"));
        assert_eq!(
            bare_form_command("/alumni", "profile  set"),
            Some("/alumni profile set")
        );
        assert_eq!(bare_form_command("/alumni", "join name:Ann"), None);
        assert_eq!(bare_form_command("/event", "join"), None);
        let join = profile_form("/alumni join", Locale::Ja);
        assert_eq!(
            (join.fields[0].key.as_str(), join.fields[0].label.as_str()),
            ("name", "名前")
        );
        assert!(join.fields[0].required);
        let set = profile_form("/alumni profile set", Locale::En);
        assert!(set.fields.iter().all(|f| !f.required));
    }

    #[test]
    fn a_long_intro_goes_on_over_sections_and_the_title_fits() {
        let intro = "長い説明です。".repeat(1000);
        let mut f = form();
        f.title = "とても長いタイトルのイベント作成フォームです".repeat(2);
        let v = view(&f, &Reply::text(Locale::Ja, intro.clone()));
        let sections: Vec<&str> = v["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b["text"]["text"].as_str())
            .collect();
        assert!(sections.len() >= 3, "{}", sections.len());
        assert!(sections.iter().all(|s| s.chars().count() <= MAX_SECTION));
        assert_eq!(sections.concat(), intro);
        let title = v["title"]["text"].as_str().unwrap();
        assert_eq!(title.chars().count(), MAX_TITLE);
        assert!(title.ends_with('…'));
    }

    #[test]
    fn errors_land_on_the_field_they_name() {
        let keys = vec!["name".to_owned(), "left".to_owned()];
        assert_eq!(field_for_error(&keys, Some("left")), "left");
        let usage = "\"left\" must be a year\nUsage: /alumni join name:\"…\" left:YEAR";
        assert_eq!(field_error_text(usage), "\"left\" must be a year");
        assert_eq!(field_for_error(&keys, None), "name");
        assert_eq!(
            field_for_error(&keys, Some("going|maybe|no")),
            "name",
            "not a field"
        );
        assert_eq!(field_for_error(&[], Some("left")), "");
    }
}
