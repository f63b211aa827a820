//! Discord's documented limits on what a bot posts, which the fake enforces on every message
//! create and edit, interaction response and follow-up: Discord answers a payload past any of
//! them with 400 `Invalid Form Body` (code 50035) and shows nothing, so the fake does too.
//!
//! Messages: content ≤ 2,000 characters; ≤ 10 embeds, whose titles, descriptions, field names
//! and values, footer texts and author names together hold ≤ 6,000 characters; per embed a
//! title ≤ 256, description ≤ 4,096, ≤ 25 fields (name 1–256, value 1–1,024), footer ≤ 2,048,
//! author name ≤ 256; ≤ 5 action rows of 1–5 buttons, a button's label ≤ 80 and custom id
//! 1–100 characters, custom ids unique in the message. Modals: custom id 1–100, title 1–45,
//! 1–5 action rows each holding exactly one text input (custom id 1–100, label 1–45, style 1
//! or 2, placeholder ≤ 100, value ≤ 4,000, min_length 0–4,000, max_length 1–4,000).
//! Characters are Unicode code points, as Discord counts them.

use std::collections::HashSet;

use serde_json::{Value, json};

// Discord answers a broken limit the way it answers a broken registration.
pub use super::registration::{Problem, error_body};
use super::registration::{path, problem};

pub const CONTENT: usize = 2000;
pub const EMBEDS: usize = 10;
pub const EMBED_TOTAL: usize = 6000;
pub const EMBED_TITLE: usize = 256;
pub const EMBED_DESCRIPTION: usize = 4096;
pub const EMBED_FIELDS: usize = 25;
pub const FIELD_NAME: usize = 256;
pub const FIELD_VALUE: usize = 1024;
pub const FOOTER: usize = 2048;
pub const AUTHOR_NAME: usize = 256;
pub const ACTION_ROWS: usize = 5;
pub const ROW_BUTTONS: usize = 5;
pub const BUTTON_LABEL: usize = 80;
pub const CUSTOM_ID: usize = 100;
pub const MODAL_TITLE: usize = 45;
pub const MODAL_ROWS: usize = 5;
pub const INPUT_LABEL: usize = 45;
pub const INPUT_PLACEHOLDER: usize = 100;
pub const INPUT_VALUE: usize = 4000;

/// Interaction callback types that carry a message, and the modal.
const CALLBACK_MESSAGE: u64 = 4;
const CALLBACK_UPDATE: u64 = 7;
const CALLBACK_MODAL: u64 = 9;

/// Discord's 400 for a request to `path`, if its body breaks a limit; `None` for anything
/// that is not a message or modal the bot sends.
pub fn check(method: &str, path: &str, body: &Value) -> Option<Value> {
    let segments: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    let body = payload(body)?;
    let problems = match (method, segments.as_slice()) {
        ("POST", ["channels", _, "messages"])
        | ("PATCH", ["channels", _, "messages", _])
        | ("POST", ["webhooks", _, _])
        | ("PATCH", ["webhooks", _, _, "messages", _]) => check_message(&body, &[]),
        ("POST", ["interactions", _, _, "callback"]) => check_callback(&body),
        _ => return None,
    };
    (!problems.is_empty()).then(|| error_body(&problems))
}

/// The JSON of a request: the body itself, or a multipart body's `payload_json` part (a
/// message with a file).
pub fn payload(body: &Value) -> Option<Value> {
    match body {
        Value::Object(_) => Some(body.clone()),
        Value::String(raw) => {
            let at = raw.find("name=\"payload_json\"")?;
            let rest = &raw[at..];
            let start = rest.find("\r\n\r\n")? + 4;
            let end = rest[start..].find("\r\n--")? + start;
            serde_json::from_str(&rest[start..end]).ok()
        }
        _ => None,
    }
}

/// An interaction response: a message (type 4 or 7) or a modal (type 9), under `data`.
pub fn check_callback(body: &Value) -> Vec<Problem> {
    let data = &body["data"];
    match body["type"].as_u64() {
        Some(CALLBACK_MESSAGE | CALLBACK_UPDATE) => check_message(data, &["data"]),
        Some(CALLBACK_MODAL) => check_modal(data, &["data"]),
        _ => Vec::new(),
    }
}

/// A message create or edit (also a follow-up or an edited interaction response).
pub fn check_message(body: &Value, at: &[&str]) -> Vec<Problem> {
    let mut out = Vec::new();
    let at: Vec<String> = at.iter().map(|s| (*s).to_owned()).collect();
    if let Some(content) = body["content"].as_str() {
        max_len(&mut out, &path(&at, &["content"]), content, CONTENT);
    }
    if let Some(embeds) = body["embeds"].as_array() {
        let here = path(&at, &["embeds"]);
        if embeds.len() > EMBEDS {
            too_many(&mut out, &here, EMBEDS);
        }
        let mut total = 0;
        for (i, embed) in embeds.iter().enumerate() {
            total += check_embed(&mut out, &path(&here, &[&i.to_string()]), embed);
        }
        if total > EMBED_TOTAL {
            problem(
                &mut out,
                &here,
                "MAX_EMBED_SIZE_EXCEEDED",
                format!("Embed size exceeds maximum size of {EMBED_TOTAL}"),
            );
        }
    }
    if let Some(rows) = body["components"].as_array() {
        check_rows(&mut out, &path(&at, &["components"]), rows);
    }
    out
}

/// One embed's own limits; returns the characters it counts towards the message's 6,000.
fn check_embed(out: &mut Vec<Problem>, at: &[String], embed: &Value) -> usize {
    let mut total = 0;
    let mut text = |out: &mut Vec<Problem>, value: &Value, keys: &[&str], max: usize| {
        if let Some(s) = value.as_str() {
            total += chars(s);
            max_len(out, &path(at, keys), s, max);
        }
    };
    text(out, &embed["title"], &["title"], EMBED_TITLE);
    text(
        out,
        &embed["description"],
        &["description"],
        EMBED_DESCRIPTION,
    );
    text(out, &embed["footer"]["text"], &["footer", "text"], FOOTER);
    text(
        out,
        &embed["author"]["name"],
        &["author", "name"],
        AUTHOR_NAME,
    );
    if let Some(fields) = embed["fields"].as_array() {
        if fields.len() > EMBED_FIELDS {
            too_many(out, &path(at, &["fields"]), EMBED_FIELDS);
        }
        for (i, field) in fields.iter().enumerate() {
            let i = i.to_string();
            for (key, max) in [("name", FIELD_NAME), ("value", FIELD_VALUE)] {
                let here = path(at, &["fields", &i, key]);
                match field[key].as_str() {
                    Some(s) => {
                        text(out, &field[key], &["fields", &i, key], max);
                        if s.is_empty() {
                            required(out, &here);
                        }
                    }
                    None => required(out, &here),
                }
            }
        }
    }
    total
}

fn check_rows(out: &mut Vec<Problem>, at: &[String], rows: &[Value]) {
    if rows.len() > ACTION_ROWS {
        between(out, at, 0, ACTION_ROWS);
    }
    let mut ids = HashSet::new();
    for (r, row) in rows.iter().enumerate() {
        let here = path(at, &[&r.to_string()]);
        if row["type"].as_u64() != Some(1) {
            problem(
                out,
                &path(&here, &["type"]),
                "UNION_TYPE_CHOICES",
                "Value of field \"type\" must be one of (1,).".into(),
            );
            continue;
        }
        let components = row["components"].as_array().cloned().unwrap_or_default();
        let inner = path(&here, &["components"]);
        if components.is_empty() || components.len() > ROW_BUTTONS {
            between(out, &inner, 1, ROW_BUTTONS);
        }
        for (c, component) in components.iter().enumerate() {
            let here = path(&inner, &[&c.to_string()]);
            if component["type"].as_u64() != Some(2) {
                continue;
            }
            if let Some(label) = component["label"].as_str() {
                max_len(out, &path(&here, &["label"]), label, BUTTON_LABEL);
            }
            // Link buttons (style 5) carry a URL instead of a custom id.
            if component["style"].as_u64() == Some(5) {
                continue;
            }
            let id_at = path(&here, &["custom_id"]);
            match component["custom_id"].as_str() {
                Some(id) => {
                    id_length(out, &id_at, id);
                    if !ids.insert(id.to_owned()) {
                        problem(
                            out,
                            &id_at,
                            "COMPONENT_CUSTOM_ID_DUPLICATED",
                            "Component custom id cannot be duplicated".into(),
                        );
                    }
                }
                None => required(out, &id_at),
            }
        }
    }
}

/// A modal: its id and title, and 1–5 action rows of exactly one text input each.
pub fn check_modal(body: &Value, at: &[&str]) -> Vec<Problem> {
    let mut out = Vec::new();
    let at: Vec<String> = at.iter().map(|s| (*s).to_owned()).collect();
    let out_ref = &mut out;
    match body["custom_id"].as_str() {
        Some(id) => id_length(out_ref, &path(&at, &["custom_id"]), id),
        None => required(out_ref, &path(&at, &["custom_id"])),
    }
    match body["title"].as_str() {
        Some(t) if !t.is_empty() => max_len(out_ref, &path(&at, &["title"]), t, MODAL_TITLE),
        _ => required(out_ref, &path(&at, &["title"])),
    }
    let rows = body["components"].as_array().cloned().unwrap_or_default();
    let here = path(&at, &["components"]);
    if rows.is_empty() || rows.len() > MODAL_ROWS {
        between(out_ref, &here, 1, MODAL_ROWS);
    }
    for (r, row) in rows.iter().enumerate() {
        let row_at = path(&here, &[&r.to_string(), "components"]);
        let inputs = row["components"].as_array().cloned().unwrap_or_default();
        if row["type"].as_u64() != Some(1) || inputs.len() != 1 {
            between(out_ref, &row_at, 1, 1);
            continue;
        }
        let input = &inputs[0];
        let input_at = path(&row_at, &["0"]);
        if input["type"].as_u64() != Some(4) {
            problem(
                out_ref,
                &path(&input_at, &["type"]),
                "COMPONENT_TYPE_INVALID",
                "Only text inputs are allowed in a modal's action rows here.".into(),
            );
            continue;
        }
        match input["custom_id"].as_str() {
            Some(id) => id_length(out_ref, &path(&input_at, &["custom_id"]), id),
            None => required(out_ref, &path(&input_at, &["custom_id"])),
        }
        match input["label"].as_str() {
            Some(l) if !l.is_empty() => {
                max_len(out_ref, &path(&input_at, &["label"]), l, INPUT_LABEL);
            }
            _ => required(out_ref, &path(&input_at, &["label"])),
        }
        if !matches!(input["style"].as_u64(), Some(1 | 2)) {
            problem(
                out_ref,
                &path(&input_at, &["style"]),
                "ENUM_TYPE_COERCE",
                format!("Value \"{}\" is not a valid enum value.", input["style"]),
            );
        }
        if let Some(p) = input["placeholder"].as_str() {
            max_len(
                out_ref,
                &path(&input_at, &["placeholder"]),
                p,
                INPUT_PLACEHOLDER,
            );
        }
        if let Some(v) = input["value"].as_str() {
            max_len(out_ref, &path(&input_at, &["value"]), v, INPUT_VALUE);
        }
        for (key, min) in [("min_length", 0), ("max_length", 1)] {
            if let Some(n) = input[key].as_u64()
                && !(min..=INPUT_VALUE as u64).contains(&n)
            {
                problem(
                    out_ref,
                    &path(&input_at, &[key]),
                    "NUMBER_TYPE_MAX",
                    format!("int value should be between {min} and {INPUT_VALUE}."),
                );
            }
        }
    }
    out
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn max_len(out: &mut Vec<Problem>, at: &[String], s: &str, max: usize) {
    if chars(s) > max {
        problem(
            out,
            at,
            "BASE_TYPE_MAX_LENGTH",
            format!("Must be {max} or fewer in length."),
        );
    }
}

fn id_length(out: &mut Vec<Problem>, at: &[String], id: &str) {
    if id.is_empty() || chars(id) > CUSTOM_ID {
        between(out, at, 1, CUSTOM_ID);
    }
}

fn too_many(out: &mut Vec<Problem>, at: &[String], max: usize) {
    problem(
        out,
        at,
        "BASE_TYPE_MAX_LENGTH",
        format!("Must be {max} or fewer in length."),
    );
}

fn between(out: &mut Vec<Problem>, at: &[String], min: usize, max: usize) {
    problem(
        out,
        at,
        "BASE_TYPE_BAD_LENGTH",
        format!("Must be between {min} and {max} in length."),
    );
}

fn required(out: &mut Vec<Problem>, at: &[String]) {
    problem(
        out,
        at,
        "BASE_TYPE_REQUIRED",
        "This field is required".into(),
    );
}

#[cfg(test)]
mod tests {
    //! The fake must be able to refuse: each limit, one payload just past it.
    use super::*;

    fn button(id: &str, label: &str) -> Value {
        json!({ "type": 2, "style": 1, "custom_id": id, "label": label })
    }

    fn rows_of(n: usize) -> Value {
        let buttons: Vec<Value> = (0..n).map(|i| button(&format!("b{i}"), "x")).collect();
        Value::Array(
            buttons
                .chunks(ROW_BUTTONS)
                .map(|r| json!({ "type": 1, "components": r }))
                .collect(),
        )
    }

    fn refused_at(body: &Value, at: &[&str]) -> String {
        let error = check("POST", "/api/v10/channels/1/messages", body)
            .unwrap_or_else(|| panic!("accepted: {body:#}"));
        assert_eq!(error["code"], 50035, "{error:#}");
        let mut node = &error["errors"];
        for part in at {
            node = &node[*part];
        }
        node["_errors"][0]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error at {at:?}: {error:#}"))
            .to_owned()
    }

    #[test]
    fn a_message_at_every_limit_passes_and_one_past_any_is_refused() {
        // At the limits: 6,000 characters across two embeds, 25 buttons.
        let at_limit = json!({
            "content": "c".repeat(CONTENT),
            "embeds": [
                { "title": "t".repeat(256), "description": "d".repeat(4096) },
                { "fields": [
                    { "name": "n".repeat(256), "value": "v".repeat(1024) },
                    { "name": "n".repeat(112), "value": "v".repeat(256) },
                ] },
            ],
            "components": rows_of(25),
        });
        assert!(
            check("POST", "/api/v10/channels/1/messages", &at_limit).is_none(),
            "exactly at the limits"
        );
        // 6,001 characters across the embeds of one message.
        let mut total = at_limit.clone();
        total["embeds"][1]["footer"] = json!({ "text": "f" });
        assert_eq!(refused_at(&total, &["embeds"]), "MAX_EMBED_SIZE_EXCEEDED");
        let mut desc = json!({ "embeds": [{ "description": "d".repeat(4097) }] });
        assert_eq!(
            refused_at(&desc, &["embeds", "0", "description"]),
            "BASE_TYPE_MAX_LENGTH"
        );
        desc["embeds"][0] = json!({ "fields": vec![json!({ "name": "n", "value": "v" }); 26] });
        assert_eq!(
            refused_at(&desc, &["embeds", "0", "fields"]),
            "BASE_TYPE_MAX_LENGTH"
        );
        let value =
            json!({ "embeds": [{ "fields": [{ "name": "n", "value": "v".repeat(1025) }] }] });
        assert_eq!(
            refused_at(&value, &["embeds", "0", "fields", "0", "value"]),
            "BASE_TYPE_MAX_LENGTH"
        );
        let empty = json!({ "embeds": [{ "fields": [{ "name": "n", "value": "" }] }] });
        assert_eq!(
            refused_at(&empty, &["embeds", "0", "fields", "0", "value"]),
            "BASE_TYPE_REQUIRED"
        );
        assert_eq!(
            refused_at(&json!({ "content": "c".repeat(2001) }), &["content"]),
            "BASE_TYPE_MAX_LENGTH"
        );
        // A sixth row of buttons; six in a row; a long label; a long or repeated custom id.
        assert_eq!(
            refused_at(&json!({ "components": rows_of(26) }), &["components"]),
            "BASE_TYPE_BAD_LENGTH"
        );
        let six = json!({ "components": [{ "type": 1, "components": vec![button("a", "x"); 6] }] });
        assert_eq!(
            refused_at(&six, &["components", "0", "components"]),
            "BASE_TYPE_BAD_LENGTH"
        );
        let label =
            json!({ "components": [{ "type": 1, "components": [button("a", &"l".repeat(81))] }] });
        assert_eq!(
            refused_at(&label, &["components", "0", "components", "0", "label"]),
            "BASE_TYPE_MAX_LENGTH"
        );
        let id =
            json!({ "components": [{ "type": 1, "components": [button(&"i".repeat(101), "x")] }] });
        assert_eq!(
            refused_at(&id, &["components", "0", "components", "0", "custom_id"]),
            "BASE_TYPE_BAD_LENGTH"
        );
        let twice = json!({ "components": [{ "type": 1, "components": [button("a", "x"), button("a", "y")] }] });
        assert_eq!(
            refused_at(&twice, &["components", "0", "components", "1", "custom_id"]),
            "COMPONENT_CUSTOM_ID_DUPLICATED"
        );
    }

    #[test]
    fn interaction_responses_follow_ups_and_modals_are_checked() {
        let callback = "/api/v10/interactions/5/itoken-5/callback";
        let long =
            json!({ "type": 4, "data": { "embeds": [{ "description": "d".repeat(4097) }] } });
        let error = check("POST", callback, &long).expect("refused");
        assert_eq!(
            error["errors"]["data"]["embeds"]["0"]["description"]["_errors"][0]["code"],
            "BASE_TYPE_MAX_LENGTH"
        );
        // A follow-up and an edit of the original response.
        let too_big = json!({ "embeds": [
            { "description": "d".repeat(4000) }, { "description": "d".repeat(2001) },
        ] });
        for (method, path) in [
            ("POST", "/api/v10/webhooks/9/itoken-5"),
            ("PATCH", "/api/v10/webhooks/9/itoken-5/messages/@original"),
            ("PATCH", "/api/v10/channels/1/messages/2"),
        ] {
            let error = check(method, path, &too_big).unwrap_or_else(|| panic!("{path}"));
            assert_eq!(
                error["errors"]["embeds"]["_errors"][0]["code"],
                "MAX_EMBED_SIZE_EXCEEDED"
            );
        }
        let input = |id: &str| {
            json!({ "type": 1, "components": [
                { "type": 4, "custom_id": id, "style": 1, "label": "Label" },
            ] })
        };
        let modal = |rows: Vec<Value>, title: &str| json!({ "type": 9, "data": { "custom_id": "/event create", "title": title, "components": rows } });
        let five: Vec<Value> = (0..5).map(|i| input(&format!("k{i}"))).collect();
        assert!(check("POST", callback, &modal(five.clone(), "Plan an event")).is_none());
        let six: Vec<Value> = (0..6).map(|i| input(&format!("k{i}"))).collect();
        let error = check("POST", callback, &modal(six, "Plan an event")).expect("six inputs");
        assert_eq!(
            error["errors"]["data"]["components"]["_errors"][0]["code"],
            "BASE_TYPE_BAD_LENGTH"
        );
        let error = check("POST", callback, &modal(five.clone(), &"t".repeat(46))).unwrap();
        assert_eq!(
            error["errors"]["data"]["title"]["_errors"][0]["code"],
            "BASE_TYPE_MAX_LENGTH"
        );
        let mut long_label = five;
        long_label[2]["components"][0]["label"] = json!("l".repeat(46));
        let error = check("POST", callback, &modal(long_label, "x")).unwrap();
        assert_eq!(
            error["errors"]["data"]["components"]["2"]["components"]["0"]["label"]["_errors"][0]["code"],
            "BASE_TYPE_MAX_LENGTH"
        );
        // A message with a file: its multipart `payload_json` is read.
        let multipart = format!(
            "--b\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\r\n{}\r\n--b--\r\n",
            json!({ "content": "c".repeat(2001) })
        );
        assert!(check("POST", "/api/v10/webhooks/9/t", &Value::String(multipart)).is_some());
        // Anything else (a defer, a registration) is not this module's business.
        assert!(
            check(
                "POST",
                callback,
                &json!({ "type": 5, "data": { "flags": 64 } })
            )
            .is_none()
        );
    }
}
