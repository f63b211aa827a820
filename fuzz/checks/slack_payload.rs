//! The `slack_payload` property, shared by the fuzz target and the stable replay test
//! (`slack/tests/fuzz_seeds.rs`): whatever bytes reach the Slack endpoints, each pure step the
//! handlers take (signature check, form and JSON parsing, reading the interaction or event,
//! a submitted modal back to a command line, that line through the grammar) either reads the
//! input or refuses it, never panics; and a submitted modal's answers reach the grammar
//! unchanged, whatever quotes or backslashes they hold.
//!
//! The first byte picks what the rest is (seeds start with the digit): `0` a slash-command
//! form body, `1` an interactions form body (`payload=`), `2` an interaction's JSON (as Socket
//! Mode delivers it), `3` an Events API body, `4` a signed request (`timestamp\nsignature\nbody`);
//! anything else runs the rest through every parser.

use alumni_slack::app::{self, InteractionKind, SlackEvent, SlashCommand};
use alumni_slack::http::{self, EventBody};
use alumni_slack::{modal, signature};
use axum::http::{HeaderMap, HeaderValue};
use bot_core::command::lexer::{self, Token};
use bot_core::i18n::{self, Locale};
use serde_json::Value;

const SECRET: &[u8] = b"fuzz-signing-secret";

pub fn check(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode & 7 {
        0 => command_body(rest),
        1 => interaction_body(rest),
        2 => interaction_json(rest),
        3 => event_body(rest),
        4 => signed(rest),
        _ => {
            command_body(rest);
            interaction_body(rest);
            interaction_json(rest);
            event_body(rest);
        }
    }
}

fn command_body(body: &[u8]) {
    if let Ok(cmd) = http::parse_command(body) {
        command(&cmd);
    }
}

fn command(cmd: &SlashCommand) {
    if let Some(form) = modal::bare_form_command(&cmd.command, &cmd.text) {
        assert!(form.starts_with(&cmd.command));
    }
    match app::command_line(cmd) {
        Some(line) => {
            assert!(line.starts_with(&cmd.command), "{line:?}");
            grammar(&line);
        }
        None => assert!(
            cmd.command
                .strip_prefix('/')
                .and_then(bot_core::command::spec::command)
                .is_none()
        ),
    }
}

fn interaction_body(body: &[u8]) {
    if let Ok(payload) = http::parse_interaction(body) {
        interaction(&payload);
    }
}

fn interaction_json(body: &[u8]) {
    if let Ok(payload) = serde_json::from_slice::<Value>(body) {
        interaction(&payload);
        // Socket Mode's `slash_commands` envelope carries the command as JSON.
        if let Ok(cmd) = serde_json::from_value::<SlashCommand>(payload) {
            command(&cmd);
        }
    }
}

fn interaction(payload: &Value) {
    let head = app::interaction_head(payload);
    match head.kind {
        InteractionKind::BlockActions => {
            for id in app::action_ids(payload) {
                if let Ok(action) = bot_core::action::Action::decode(id) {
                    let again = bot_core::action::Action::decode(&action.encode());
                    assert_eq!(again.ok(), Some(action));
                }
            }
        }
        InteractionKind::ViewSubmission => view_submission(&payload["view"]),
        InteractionKind::Other => {}
    }
}

fn view_submission(view: &Value) {
    let Some((line, keys)) = modal::submission_line(view) else {
        return;
    };
    let command = view["private_metadata"].as_str().unwrap_or_default().trim();
    assert!(line.starts_with(command), "{line:?}");
    answers_round_trip(view, command, &line, &keys);
    // What the app does with an error: the message goes on the field its key names.
    if let Err(e) = bot_core::command::parse(&line) {
        assert!(i18n::has(e.key), "{} missing from the catalogs", e.key);
        for locale in [Locale::Ja, Locale::En] {
            let text = e.render(locale);
            let about = e
                .args
                .iter()
                .find(|(k, _)| *k == "key")
                .map(|(_, v)| v.as_str());
            let field = modal::field_for_error(&keys, about);
            assert!(keys.contains(&field) || (keys.is_empty() && field.is_empty()));
            assert!(modal::field_error_text(&text).chars().count() <= 300);
        }
    }
}

/// Each answered field comes out of the lexer as `key:value` with the value as typed
/// (trimmed), after the form's own command. Checked when the command and keys are ones the
/// bot writes (plain words, grammar keys); Slack echoes those back, it does not invent them.
fn answers_round_trip(view: &Value, command: &str, line: &str, keys: &[String]) {
    let plain_command = !command.contains(['"', '“', '”', '\\', '<', ':', '：']);
    if !plain_command || !keys.iter().all(|k| lexer::is_key(k)) {
        return;
    }
    let Ok(head) = lexer::tokenize(command) else {
        return;
    };
    let mut expected = Vec::new();
    for key in keys {
        let value = view["state"]["values"][key][key]["value"]
            .as_str()
            .unwrap_or_default()
            .trim();
        if !value.is_empty() {
            expected.push(Token::Pair(key.to_ascii_lowercase(), value.to_owned()));
        }
    }
    let tokens = lexer::tokenize(line).unwrap_or_else(|e| panic!("{line:?}: {}", e.key));
    assert_eq!(&tokens[..head.len()], &head[..], "{line:?}");
    assert_eq!(tokens[head.len()..], expected[..], "{line:?}");
}

fn event_body(body: &[u8]) {
    match http::parse_event(body) {
        Ok(EventBody::Callback(envelope)) => {
            assert_eq!(envelope["type"], "event_callback");
            let (_team, event) = app::read_event(&envelope);
            if let SlackEvent::Ignored(Some(kind)) = event {
                assert!(!matches!(
                    kind,
                    "member_joined_channel" | "app_uninstalled" | "tokens_revoked"
                ));
            }
        }
        Ok(EventBody::UrlVerification { .. } | EventBody::Other) | Err(_) => {}
    }
}

/// A request as `timestamp\nsignature\nbody`: checked through the headers as the handlers
/// do; never accepted unless signed with the secret; and the same body signed properly is
/// accepted, then refused when stale or altered.
fn signed(data: &[u8]) {
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let (Some(ts), Some(sig), body) = (parts.next(), parts.next(), parts.next().unwrap_or(b""))
    else {
        return;
    };
    // The handlers' clock is the wall clock; the request's own time is checked too, so the
    // signature comparison runs and not only the window.
    let claimed = std::str::from_utf8(ts)
        .ok()
        .and_then(|t| t.trim().parse::<i64>().ok());
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(ts) {
        headers.insert("x-slack-request-timestamp", v);
    }
    if let Ok(v) = HeaderValue::from_bytes(sig) {
        headers.insert("x-slack-signature", v);
    }
    for now in [Some(1_700_000_000), claimed].into_iter().flatten() {
        if http::verify_headers(SECRET, &headers, body, now).is_ok() {
            let ts = headers["x-slack-request-timestamp"]
                .to_str()
                .unwrap()
                .trim();
            let sig = headers["x-slack-signature"].to_str().unwrap().trim();
            let expected = signature::sign(SECRET, ts, body);
            assert!(sig.eq_ignore_ascii_case(&expected), "forged: {sig}");
        }
    }
    let Ok(ts) = std::str::from_utf8(ts) else {
        return;
    };
    let Ok(at) = ts.parse::<i64>() else {
        return;
    };
    let good = signature::sign(SECRET, ts, body);
    assert_eq!(
        signature::verify(SECRET, Some(ts), Some(&good), body, at),
        Ok(())
    );
    if let Some(late) = at.checked_add(signature::MAX_SKEW_SECS + 1) {
        assert_eq!(
            signature::verify(SECRET, Some(ts), Some(&good), body, late),
            Err(signature::SignatureError::Stale)
        );
    }
    let mut altered = body.to_vec();
    altered.push(b'x');
    assert_eq!(
        signature::verify(SECRET, Some(ts), Some(&good), &altered, at),
        Err(signature::SignatureError::Mismatch)
    );
}

fn grammar(line: &str) {
    if let Err(e) = bot_core::command::parse(line) {
        assert!(i18n::has(e.key), "{} missing from the catalogs", e.key);
        for locale in [Locale::Ja, Locale::En] {
            assert!(!e.render(locale).is_empty());
        }
    }
}
