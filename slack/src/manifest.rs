//! The Slack app manifest (the JSON that "Create New App → From a manifest" takes): every slash
//! command of the core's spec, the scopes and bot events the adapter uses, interactivity and
//! the OAuth redirect, all pointing at one public URL. Generated, so it cannot miss a command.

use bot_core::command::spec;
use bot_core::i18n::Locale;
use serde_json::{Value, json};

/// Bot token scopes, each for something the adapter does.
pub const SCOPES: &[&str] = &[
    // slash commands
    "commands",
    // posts, DMs and group DMs
    "chat:write",
    "im:write",
    "mpim:write",
    // a member's language and whether they are a workspace admin
    "users:read",
    // channel names to ids, and looking back for a post whose answer was lost
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    // `/admin import`'s file input, and files sent (mydata, .ics, exports, charts)
    "files:read",
    "files:write",
];

/// The bot events `app.rs` acts on.
pub const BOT_EVENTS: &[&str] = &[
    "app_home_opened",
    "member_joined_channel",
    "app_uninstalled",
    "tokens_revoked",
    // A workspace admin's role changing: their cached users.info is dropped.
    "user_change",
];

/// The manifest for an app served at `base` (`https://alumni.example.com`), or for Socket
/// Mode (no request URLs) when `socket_mode`.
pub fn manifest(base: &str, name: &str, socket_mode: bool) -> Value {
    let base = base.trim_end_matches('/');
    let url = |path: &str| format!("{base}{path}");
    let commands: Vec<Value> = spec::COMMANDS
        .iter()
        .map(|c| {
            let mut command = json!({
                "command": format!("/{}", c.name),
                // Slack allows 2,000 characters here; the spec's are short.
                "description": c.description(Locale::En),
                "usage_hint": usage_hint(c),
                // Members then arrive as `<@U123|name>`, which the grammar reads.
                "should_escape": true,
            });
            if !socket_mode {
                command["url"] = json!(url("/slack/commands"));
            }
            command
        })
        .collect();
    let mut events = json!({ "bot_events": BOT_EVENTS });
    let mut interactivity = json!({ "is_enabled": true });
    if !socket_mode {
        events["request_url"] = json!(url("/slack/events"));
        interactivity["request_url"] = json!(url("/slack/interactions"));
    }
    json!({
        "_metadata": { "major_version": 1, "minor_version": 1 },
        "display_information": {
            "name": name,
            "description": spec::command("alumni").map(|c| c.description(Locale::En)).unwrap_or_default(),
        },
        "features": {
            "app_home": {
                "home_tab_enabled": true,
                "messages_tab_enabled": true,
                "messages_tab_read_only_enabled": false,
            },
            "bot_user": { "display_name": name, "always_online": true },
            "slash_commands": commands,
        },
        "oauth_config": {
            "redirect_urls": [url("/slack/oauth/callback")],
            "scopes": { "bot": SCOPES },
        },
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": false,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": false,
        },
    })
}

/// `join | profile | search | …`: the first words of the subcommands (Slack shows it as the
/// user types; at most 1,000 characters).
fn usage_hint(c: &spec::Command) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if c.subs.iter().any(|s| s.words.is_empty()) {
        // `/intro @name why:"…"`: a subcommand without a word of its own.
        parts.push("@name why:\"…\"");
    }
    parts.extend(c.first_words());
    parts.join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_of_the_spec_is_in_the_manifest_with_its_url() {
        let m = manifest("https://alumni.example.com/", "alumni-bot", false);
        let commands = m["features"]["slash_commands"].as_array().unwrap();
        assert_eq!(commands.len(), spec::COMMANDS.len());
        for (c, json) in spec::COMMANDS.iter().zip(commands) {
            assert_eq!(json["command"], format!("/{}", c.name));
            assert_eq!(json["url"], "https://alumni.example.com/slack/commands");
            assert!(!json["usage_hint"].as_str().unwrap().is_empty());
        }
        assert_eq!(
            m["settings"]["interactivity"]["request_url"],
            "https://alumni.example.com/slack/interactions"
        );
        assert_eq!(
            m["oauth_config"]["redirect_urls"][0],
            "https://alumni.example.com/slack/oauth/callback"
        );
        let scopes = m["oauth_config"]["scopes"]["bot"].as_array().unwrap();
        assert!(scopes.iter().any(|s| s == "files:read"));
    }

    #[test]
    fn socket_mode_has_no_request_urls() {
        let m = manifest("https://unused", "alumni-bot", true);
        assert_eq!(m["settings"]["socket_mode_enabled"], true);
        assert!(m["settings"]["event_subscriptions"]["request_url"].is_null());
        assert!(m["features"]["slash_commands"][0]["url"].is_null());
    }
}
