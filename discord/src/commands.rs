//! How a Discord invocation becomes the grammar's line.
//!
//! Typed options are turned back into the one text grammar (`key:"value"`, `<@id>` mentions)
//! and run through `Core::handle_text`, rather than building `Command` values here: the
//! grammar already validates every key, so a Discord option can never accept what typing
//! would refuse, and the two cannot drift apart. Option names are the spec's keys; the line
//! keeps the spec's order whatever order Discord shows them in (`framework.rs` registers them
//! from the same spec, in [`registration_order`]).

use bot_core::command::spec::{self, Kind};
use serenity::all::{Attachment, ResolvedOption, ResolvedValue, Unresolved};

/// Discord's largest INTEGER option value (2^53 − 1): a registration whose `max_value` is past
/// it is refused whole (400, 50035), so no command would exist on the server.
pub const MAX_INTEGER: i64 = (1 << 53) - 1;

/// Whether a key is registered as a required option: a form-opening subcommand takes none
/// (with none it opens the form).
pub fn registered_required(sub: &spec::Sub, key: &spec::Key) -> bool {
    key.required && !sub.form
}

/// A subcommand's keys in the order Discord must get them: every required option before any
/// optional one (Discord refuses the whole registration otherwise), else the spec's order.
/// Built here rather than trusted from the spec, so a spec written in any order registers.
pub fn registration_order(sub: &'static spec::Sub) -> Vec<&'static spec::Key> {
    let mut keys: Vec<&'static spec::Key> = sub.keys.iter().collect();
    // Stable: within required and within optional keys the spec's order stays.
    keys.sort_by_key(|k| !registered_required(sub, k));
    keys
}

/// A subcommand invocation as a grammar line, e.g. `/alumni approve <@42>`.
pub fn line(command: &spec::Command, sub: &spec::Sub, args: &[ResolvedOption<'_>]) -> String {
    let mut line = format!("/{} {}", command.name, sub.words);
    for key in sub.keys {
        let Some(value) = args.iter().find(|a| a.name == key.name) else {
            continue;
        };
        let Some(text) = value_text(key, &value.value) else {
            continue;
        };
        line.push(' ');
        if key.positional {
            line.push_str(&text);
        } else {
            line.push_str(&format!("{}:{}", key.name, text));
        }
    }
    line.trim_end().to_owned()
}

/// The file attached to an option (`/admin import`'s CSV), if any.
pub fn attachment<'a>(args: &[ResolvedOption<'a>]) -> Option<&'a Attachment> {
    args.iter().find_map(|a| match a.value {
        ResolvedValue::Attachment(file) => Some(file),
        _ => None,
    })
}

fn value_text(key: &spec::Key, value: &ResolvedValue<'_>) -> Option<String> {
    Some(match value {
        // A choice arrives as its index (poise registers choices that way).
        ResolvedValue::Integer(n) if matches!(key.kind, Kind::Choice(_)) => {
            let Kind::Choice(words) = key.kind else {
                return None;
            };
            (*words.get(usize::try_from(*n).ok()?)?).to_owned()
        }
        ResolvedValue::String(s) => quote(s),
        ResolvedValue::Integer(n) => n.to_string(),
        ResolvedValue::Number(n) => n.to_string(),
        ResolvedValue::Boolean(b) => if *b { "yes" } else { "no" }.to_owned(),
        ResolvedValue::User(user, _) => format!("<@{}>", user.id),
        ResolvedValue::Channel(channel) => format!("<#{}>", channel.id),
        ResolvedValue::Role(role) => format!("<@&{}>", role.id),
        ResolvedValue::Unresolved(Unresolved::User(id)) => format!("<@{id}>"),
        ResolvedValue::Unresolved(Unresolved::Channel(id)) => format!("<#{id}>"),
        ResolvedValue::Unresolved(Unresolved::RoleId(id)) => format!("<@&{id}>"),
        _ => return None,
    })
}

/// A value as one quoted grammar word: quotes and backslashes escaped, so a value can never
/// end its own quote and smuggle in another key.
pub fn quote(value: &str) -> String {
    let escaped: String = value
        .chars()
        .flat_map(|c| match c {
            '\\' | '"' | '“' | '”' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serenity::all::CommandData;

    /// A command's data as Discord sends it in an interaction.
    fn interaction(json: serde_json::Value) -> CommandData {
        serde_json::from_value(json).unwrap()
    }

    fn leaf<'a>(data: &'a CommandData) -> Vec<ResolvedOption<'a>> {
        match data.options().into_iter().next().map(|o| o.value) {
            Some(ResolvedValue::SubCommand(options)) => options,
            other => panic!("{other:?}"),
        }
    }

    /// The issue's order: an optional option (`member2`) before a required one (`why`).
    static OUT_OF_ORDER: spec::Sub = spec::Sub {
        name: "request",
        words: "",
        usage: "intro.request",
        help: "help.intro.request",
        keys: &[
            spec::Key {
                name: "member",
                kind: Kind::Member,
                required: true,
                positional: true,
            },
            spec::Key {
                name: "member2",
                kind: Kind::Member,
                required: false,
                positional: true,
            },
            spec::Key {
                name: "why",
                kind: Kind::Text { max: 1000 },
                required: true,
                positional: false,
            },
            spec::Key {
                name: "note",
                kind: Kind::Text { max: 1000 },
                required: false,
                positional: false,
            },
        ],
        access: spec::Access::Member,
        private: true,
        form: false,
        cooldown_secs: 0,
    };

    #[test]
    fn required_keys_are_registered_first_whatever_the_spec_order() {
        let names: Vec<&str> = registration_order(&OUT_OF_ORDER)
            .iter()
            .map(|k| k.name)
            .collect();
        assert_eq!(names, ["member", "why", "member2", "note"]);
        // A form-opening subcommand registers every key optional: the spec's order stays.
        let form = spec::Sub {
            form: true,
            ..OUT_OF_ORDER
        };
        let form: &'static spec::Sub = Box::leak(Box::new(form));
        let names: Vec<&str> = registration_order(form).iter().map(|k| k.name).collect();
        assert_eq!(names, ["member", "member2", "why", "note"]);
    }

    /// Every option list of what the bot registers, walked as Discord would: required options
    /// before optional ones, integers within Discord's range. Discord refuses the whole
    /// registration over one of these, so nothing would be registered.
    #[test]
    fn the_whole_registration_keeps_discords_option_rules() {
        fn walk(options: &serde_json::Value, at: &str, checked: &mut usize) {
            let Some(list) = options.as_array() else {
                return;
            };
            let mut optional_seen = false;
            for o in list {
                let here = format!("{at} {}", o["name"].as_str().unwrap_or("?"));
                if matches!(o["type"].as_u64(), Some(1 | 2)) {
                    walk(&o["options"], &here, checked);
                    continue;
                }
                *checked += 1;
                let required = o["required"].as_bool().unwrap_or(false);
                assert!(
                    !(required && optional_seen),
                    "{here}: a required option after an optional one"
                );
                optional_seen |= !required;
                for field in ["min_value", "max_value"] {
                    if let Some(n) = o[field].as_f64() {
                        assert!(n.abs() <= MAX_INTEGER as f64, "{here}: {field} {n}");
                    }
                }
            }
        }
        let definitions = crate::framework::definitions(&crate::framework::commands());
        let mut checked = 0;
        for d in &definitions {
            let json = serde_json::to_value(d).unwrap();
            walk(
                &json["options"],
                json["name"].as_str().unwrap(),
                &mut checked,
            );
        }
        let keys: usize = spec::COMMANDS
            .iter()
            .flat_map(|c| c.subs)
            .map(|s| s.keys.len())
            .sum();
        assert_eq!(checked, keys, "every key of the spec was checked");
    }

    #[test]
    fn typed_options_become_the_same_line_a_user_would_type() {
        let cmd = interaction(serde_json::json!({
            "id": "9", "name": "alumni", "type": 1,
            "options": [{"name": "reject", "type": 1, "options": [
                {"name": "reason", "type": 3, "value": "Not on \"roster\""},
                {"name": "member", "type": 6, "value": "42"},
            ]}],
            "resolved": {"users": {"42": {"id": "42", "username": "bob", "discriminator": "0"}}},
        }));
        let args = leaf(&cmd);
        let (c, s) = (
            spec::command("alumni").unwrap(),
            spec::sub("alumni", "reject").unwrap(),
        );
        let text = line(c, s, &args);
        assert_eq!(text, r#"/alumni reject <@42> reason:"Not on \"roster\"""#);
        assert!(bot_core::command::parse(&text).is_ok());
    }

    #[test]
    fn a_choice_index_becomes_its_word_and_a_quote_cannot_add_a_key() {
        let cmd = interaction(serde_json::json!({
            "id": "9", "name": "alumni", "type": 1,
            "options": [{"name": "join", "type": 1, "options": [
                {"name": "name", "type": 3, "value": "Eve\" role:admin \""},
                {"name": "locale", "type": 4, "value": 1},
            ]}],
        }));
        let args = leaf(&cmd);
        let text = line(
            spec::command("alumni").unwrap(),
            spec::sub("alumni", "join").unwrap(),
            &args,
        );
        let Ok(bot_core::command::Command::Alumni(bot_core::command::Alumni::Join(patch))) =
            bot_core::command::parse(&text)
        else {
            panic!("{text}");
        };
        assert_eq!(patch.name.as_deref(), Some("Eve\" role:admin \""));
        assert_eq!(patch.locale, Some(bot_core::i18n::Locale::En));
    }
}
