//! How a Discord invocation becomes the grammar's line.
//!
//! Typed options are turned back into the one text grammar (`key:"value"`, `<@id>` mentions)
//! and run through `Core::handle_text`, rather than building `Command` values here: the
//! grammar already validates every key, so a Discord option can never accept what typing
//! would refuse, and the two cannot drift apart. Option names are the spec's keys, in the
//! spec's order (`framework.rs` registers them from the same spec).

use bot_core::command::spec::{self, Kind};
use serenity::all::{Attachment, ResolvedOption, ResolvedValue, Unresolved};

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
