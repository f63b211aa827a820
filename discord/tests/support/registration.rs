//! Discord's rules for registering application commands (Bulk Overwrite, global or per guild),
//! as its Application Commands documentation states them. Discord refuses the WHOLE list over
//! one broken command with 400 `Invalid Form Body` (code 50035) and registers nothing, so the
//! fake refuses it the same way: a registration the fake accepts is one Discord accepts.
//!
//! Checked: names (Discord's regex, lowercase where the script has case; context menus may use
//! spaces and capitals), descriptions 1–100 (none on context menus), localizations (only
//! Discord's locale codes, values under the same rules), at most 25 options and 25 choices,
//! required options before optional ones, subcommands and groups not mixed with plain options
//! and nested only as documented, unique names, option-type-only fields (choices, limits,
//! channel types, autocomplete — never with choices), integers within ±(2^53−1), 8000
//! characters per slash command, and per scope 100 slash commands, 5 user, 5 message menus.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

/// Discord's locale codes (Reference › Locales); no other key is accepted in a localization.
pub const LOCALES: &[&str] = &[
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
    "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th",
    "zh-CN", "ja", "zh-TW", "ko",
];

/// INTEGER options: "any integer between -2^53+1 and 2^53-1".
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// One character of a `CHAT_INPUT` command or option name: Discord's
/// `^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$` (unicode flag; the current docs also allow
/// the apostrophe). Without a regex crate here: `\p{L}` ∪ `\p{N}` is `is_alphabetic` ∪
/// `is_numeric` but for Other_Alphabetic marks of scripts other than Devanagari and Thai,
/// which this lets through; letters, digits, punctuation, symbols and spaces are exact.
fn name_char(c: char) -> bool {
    let devanagari =
        matches!(c, '\u{0900}'..='\u{097F}' | '\u{A8E0}'..='\u{A8FF}' | '\u{11B00}'..='\u{11B5F}');
    let thai = matches!(c, '\u{0E01}'..='\u{0E3A}' | '\u{0E40}'..='\u{0E5B}');
    matches!(c, '-' | '_' | '\'') || c.is_alphabetic() || c.is_numeric() || devanagari || thai
}

const CHAT_INPUT: u64 = 1;
const USER: u64 = 2;
const MESSAGE: u64 = 3;

const SUB_COMMAND: u64 = 1;
const SUB_COMMAND_GROUP: u64 = 2;
const STRING: u64 = 3;
const INTEGER: u64 = 4;
const CHANNEL: u64 = 7;
const NUMBER: u64 = 10;
const ATTACHMENT: u64 = 11;

/// One reason Discord gives, at its place in the request body (`["3", "options", "0", "name"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: Vec<String>,
    pub code: &'static str,
    pub message: String,
}

/// Everything wrong with a bulk overwrite body (an array of commands); empty when Discord
/// would accept it.
pub fn check_bulk(body: &Value) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(commands) = body.as_array() else {
        problem(&mut out, &[], "BASE_TYPE_ARRAY", "Must be an array.".into());
        return out;
    };
    let mut per_type: HashMap<u64, usize> = HashMap::new();
    let mut names: HashSet<(u64, String)> = HashSet::new();
    for (i, command) in commands.iter().enumerate() {
        let at = vec![i.to_string()];
        let kind = command["type"].as_u64().unwrap_or(CHAT_INPUT);
        *per_type.entry(kind).or_default() += 1;
        if let Some(name) = command["name"].as_str()
            && !names.insert((kind, name.to_owned()))
        {
            problem(
                &mut out,
                &path(&at, &["name"]),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                format!("Application command names must be unique: {name}"),
            );
        }
        check_command(command, kind, &at, &mut out);
    }
    for (kind, limit) in [(CHAT_INPUT, 100), (USER, 5), (MESSAGE, 5)] {
        let n = per_type.get(&kind).copied().unwrap_or(0);
        if n > limit {
            problem(
                &mut out,
                &[],
                "BASE_TYPE_MAX_LENGTH",
                format!("Must be {limit} or fewer commands of type {kind} (got {n})."),
            );
        }
    }
    out
}

/// Discord's answer to a refused registration.
pub fn error_body(problems: &[Problem]) -> Value {
    let mut errors = Map::new();
    for p in problems {
        let mut node = &mut errors;
        for part in &p.path {
            node = node
                .entry(part.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("an object at every step");
        }
        node.entry("_errors")
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("_errors is a list")
            .push(json!({ "code": p.code, "message": p.message }));
    }
    json!({ "code": 50035, "message": "Invalid Form Body", "errors": errors })
}

pub(crate) fn problem(out: &mut Vec<Problem>, at: &[String], code: &'static str, message: String) {
    out.push(Problem {
        path: at.to_vec(),
        code,
        message,
    });
}

pub(crate) fn path(at: &[String], more: &[&str]) -> Vec<String> {
    at.iter()
        .cloned()
        .chain(more.iter().map(|s| (*s).to_owned()))
        .collect()
}

fn check_command(command: &Value, kind: u64, at: &[String], out: &mut Vec<Problem>) {
    if !command.is_object() {
        problem(
            out,
            at,
            "DICT_TYPE_CONVERT",
            "Only dictionaries may be used.".into(),
        );
        return;
    }
    if !matches!(kind, CHAT_INPUT | USER | MESSAGE) {
        problem(
            out,
            &path(at, &["type"]),
            "ENUM_TYPE_COERCE",
            format!("Value \"{kind}\" is not a valid enum value."),
        );
        return;
    }
    let chat_input = kind == CHAT_INPUT;
    check_name(&command["name"], chat_input, &path(at, &["name"]), out);
    check_localized(
        &command["name_localizations"],
        &path(at, &["name_localizations"]),
        out,
        |v, p, out| check_name(v, chat_input, p, out),
    );
    if chat_input {
        check_description(&command["description"], &path(at, &["description"]), out);
        check_localized(
            &command["description_localizations"],
            &path(at, &["description_localizations"]),
            out,
            check_description,
        );
        let options = &command["options"];
        if !options.is_null() {
            check_options(options, Level::Command, &path(at, &["options"]), out);
        }
        let size = characters(command);
        if size > 8000 {
            problem(
                out,
                at,
                "APPLICATION_COMMAND_TOO_LARGE",
                format!("Command exceeds maximum size (8000): {size}"),
            );
        }
    } else {
        // "The description field is not allowed when creating user [and message] commands."
        let described = command["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
            || command["description_localizations"]
                .as_object()
                .is_some_and(|m| !m.is_empty());
        if described {
            problem(
                out,
                &path(at, &["description"]),
                "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                "Context menu commands cannot have description".into(),
            );
        }
        if command["options"].as_array().is_some_and(|o| !o.is_empty()) {
            problem(
                out,
                &path(at, &["options"]),
                "APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS",
                "Context menu commands cannot have options".into(),
            );
        }
    }
}

/// Where an option list sits: a command's own options may be subcommands, groups or plain
/// options; a group holds only subcommands; a subcommand only plain options.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Command,
    Group,
    Sub,
}

fn check_options(options: &Value, level: Level, at: &[String], out: &mut Vec<Problem>) {
    let Some(list) = options.as_array() else {
        problem(out, at, "BASE_TYPE_ARRAY", "Must be an array.".into());
        return;
    };
    if list.len() > 25 {
        problem(
            out,
            at,
            "BASE_TYPE_MAX_LENGTH",
            format!("Must be 25 or fewer in length (got {}).", list.len()),
        );
    }
    let nesting = |o: &Value| matches!(o["type"].as_u64(), Some(SUB_COMMAND | SUB_COMMAND_GROUP));
    if list.iter().any(nesting) && !list.iter().all(nesting) {
        problem(
            out,
            at,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-command and sub-command group option types are mutually exclusive to all other \
             types"
                .into(),
        );
    }
    let mut names = HashSet::new();
    let mut localized: HashSet<(String, String)> = HashSet::new();
    let mut optional_seen = false;
    for (i, option) in list.iter().enumerate() {
        let here = path(at, &[&i.to_string()]);
        if !option.is_object() {
            problem(
                out,
                &here,
                "DICT_TYPE_CONVERT",
                "Only dictionaries may be used.".into(),
            );
            continue;
        }
        let name = option["name"].as_str().unwrap_or_default();
        if !names.insert(name.to_owned()) {
            problem(
                out,
                &path(&here, &["name"]),
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                format!("Option name {name} is already used in these options"),
            );
        }
        for (locale, value) in option["name_localizations"]
            .as_object()
            .into_iter()
            .flatten()
        {
            if let Some(v) = value.as_str()
                && !localized.insert((locale.clone(), v.to_owned()))
            {
                problem(
                    out,
                    &path(&here, &["name_localizations", locale]),
                    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                    format!("Localized option name {v} is already used in these options"),
                );
            }
        }
        let kind = option["type"].as_u64().unwrap_or(0);
        let allowed = match level {
            Level::Command => (SUB_COMMAND..=ATTACHMENT).contains(&kind),
            Level::Group => kind == SUB_COMMAND,
            Level::Sub => (STRING..=ATTACHMENT).contains(&kind),
        };
        if !allowed {
            problem(
                out,
                &path(&here, &["type"]),
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                format!("Option type {kind} is not allowed here"),
            );
            continue;
        }
        if kind != SUB_COMMAND && kind != SUB_COMMAND_GROUP {
            let required = option["required"].as_bool().unwrap_or(false);
            if required && optional_seen {
                problem(
                    out,
                    &path(&here, &["required"]),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options".into(),
                );
            }
            optional_seen |= !required;
        }
        check_option(option, kind, &here, out);
    }
}

fn check_option(option: &Value, kind: u64, at: &[String], out: &mut Vec<Problem>) {
    check_name(&option["name"], true, &path(at, &["name"]), out);
    check_localized(
        &option["name_localizations"],
        &path(at, &["name_localizations"]),
        out,
        |v, p, out| check_name(v, true, p, out),
    );
    check_description(&option["description"], &path(at, &["description"]), out);
    check_localized(
        &option["description_localizations"],
        &path(at, &["description_localizations"]),
        out,
        check_description,
    );
    match kind {
        SUB_COMMAND | SUB_COMMAND_GROUP => {
            let level = if kind == SUB_COMMAND {
                Level::Sub
            } else {
                Level::Group
            };
            if !option["options"].is_null() {
                check_options(&option["options"], level, &path(at, &["options"]), out);
            }
            return;
        }
        _ if option["options"].as_array().is_some_and(|o| !o.is_empty()) => problem(
            out,
            &path(at, &["options"]),
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Only subcommands and groups have options".into(),
        ),
        _ => {}
    }
    let only = |field: &str, ok: bool, out: &mut Vec<Problem>| {
        let set = match &option[field] {
            Value::Null => false,
            Value::Array(a) => !a.is_empty(),
            Value::Bool(b) => *b,
            _ => true,
        };
        if set && !ok {
            problem(
                out,
                &path(at, &[field]),
                "APPLICATION_COMMAND_OPTION_FIELD_INVALID",
                format!("{field} is not allowed on an option of type {kind}"),
            );
        }
    };
    let choosable = matches!(kind, STRING | INTEGER | NUMBER);
    only("choices", choosable, out);
    only("autocomplete", choosable, out);
    only("min_value", matches!(kind, INTEGER | NUMBER), out);
    only("max_value", matches!(kind, INTEGER | NUMBER), out);
    only("min_length", kind == STRING, out);
    only("max_length", kind == STRING, out);
    only("channel_types", kind == CHANNEL, out);

    let choices = option["choices"].as_array().cloned().unwrap_or_default();
    if option["autocomplete"] == true && !choices.is_empty() {
        problem(
            out,
            &path(at, &["autocomplete"]),
            "APPLICATION_COMMAND_AUTOCOMPLETE_CHOICES_INVALID",
            "Autocomplete cannot be set on an option with choices".into(),
        );
    }
    if choices.len() > 25 {
        problem(
            out,
            &path(at, &["choices"]),
            "BASE_TYPE_MAX_LENGTH",
            format!("Must be 25 or fewer in length (got {}).", choices.len()),
        );
    }
    for (i, choice) in choices.iter().enumerate() {
        let here = path(at, &["choices", &i.to_string()]);
        check_length(&choice["name"], 1, 100, &path(&here, &["name"]), out);
        check_localized(
            &choice["name_localizations"],
            &path(&here, &["name_localizations"]),
            out,
            |v, p, out| check_length(v, 1, 100, p, out),
        );
        let value = &choice["value"];
        let fits = match kind {
            STRING => value.as_str().is_some_and(|s| s.chars().count() <= 100),
            INTEGER => value.as_i64().is_some_and(|n| n.abs() <= MAX_SAFE_INTEGER),
            _ => value.as_f64().is_some(),
        };
        if !fits {
            problem(
                out,
                &path(&here, &["value"]),
                "APPLICATION_COMMAND_OPTION_CHOICE_VALUE_INVALID",
                format!("Invalid choice value for an option of type {kind}: {value}"),
            );
        }
    }
    if kind == INTEGER {
        for field in ["min_value", "max_value"] {
            let value = &option[field];
            let fits =
                value.is_null() || value.as_i64().is_some_and(|n| n.abs() <= MAX_SAFE_INTEGER);
            if !fits {
                problem(
                    out,
                    &path(at, &[field]),
                    "NUMBER_TYPE_MAX",
                    format!("int value should be within ±{MAX_SAFE_INTEGER}: {value}"),
                );
            }
        }
    }
    if let (Some(min), Some(max)) = (option["min_value"].as_f64(), option["max_value"].as_f64())
        && min > max
    {
        problem(
            out,
            &path(at, &["min_value"]),
            "APPLICATION_COMMAND_OPTION_MIN_MAX_INVALID",
            "min_value must not exceed max_value".into(),
        );
    }
    for (field, low) in [("min_length", 0), ("max_length", 1)] {
        let value = &option[field];
        let fits = value.is_null() || value.as_u64().is_some_and(|n| (low..=6000).contains(&n));
        if !fits {
            problem(
                out,
                &path(at, &[field]),
                "NUMBER_TYPE_OUT_OF_RANGE",
                format!("{field} must be between {low} and 6000: {value}"),
            );
        }
    }
}

/// A command or option name: chat-input names match the regex and use lowercase wherever a
/// letter has one; context-menu names are any 1–32 characters.
fn check_name(name: &Value, chat_input: bool, at: &[String], out: &mut Vec<Problem>) {
    let Some(text) = name.as_str() else {
        problem(
            out,
            at,
            "BASE_TYPE_REQUIRED",
            "This field is required".into(),
        );
        return;
    };
    let n = text.chars().count();
    if !(1..=32).contains(&n) {
        problem(
            out,
            at,
            "BASE_TYPE_BAD_LENGTH",
            format!("Must be between 1 and 32 in length: {text:?}"),
        );
        return;
    }
    if chat_input {
        let lowercase = text.chars().all(|c| c.to_lowercase().eq([c]));
        if !text.chars().all(name_char) || !lowercase {
            problem(
                out,
                at,
                "APPLICATION_COMMAND_INVALID_NAME",
                format!("Command name is invalid: {text:?}"),
            );
        }
    }
}

fn check_description(description: &Value, at: &[String], out: &mut Vec<Problem>) {
    check_length(description, 1, 100, at, out);
}

fn check_length(text: &Value, min: usize, max: usize, at: &[String], out: &mut Vec<Problem>) {
    let Some(text) = text.as_str() else {
        problem(
            out,
            at,
            "BASE_TYPE_REQUIRED",
            "This field is required".into(),
        );
        return;
    };
    let n = text.chars().count();
    if !(min..=max).contains(&n) {
        problem(
            out,
            at,
            "BASE_TYPE_BAD_LENGTH",
            format!("Must be between {min} and {max} in length (got {n}): {text:?}"),
        );
    }
}

/// A localization dictionary: null, or Discord's locale codes mapped to values that follow
/// the field's own rules.
fn check_localized(
    map: &Value,
    at: &[String],
    out: &mut Vec<Problem>,
    each: impl Fn(&Value, &[String], &mut Vec<Problem>),
) {
    let entries = match map {
        Value::Null => return,
        Value::Object(entries) => entries,
        _ => {
            problem(
                out,
                at,
                "DICT_TYPE_CONVERT",
                "Only dictionaries may be used.".into(),
            );
            return;
        }
    };
    for (locale, value) in entries {
        let here = path(at, &[locale]);
        if !LOCALES.contains(&locale.as_str()) {
            problem(
                out,
                &here,
                "ENUM_TYPE_COERCE",
                format!("Value \"{locale}\" is not a valid enum value."),
            );
            continue;
        }
        each(value, &here, out);
    }
}

/// A slash command's size as Discord counts it: names, descriptions and choice names and
/// values of the command, its options and choices, each field at its longest localization.
fn characters(command: &Value) -> usize {
    fn longest(v: &Value, field: &str) -> usize {
        let own = v[field].as_str().map_or(0, |s| s.chars().count());
        let localized = v[format!("{field}_localizations").as_str()]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(_, s)| s.as_str())
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0);
        own.max(localized)
    }
    fn node(v: &Value) -> usize {
        let mut n = longest(v, "name") + longest(v, "description");
        for choice in v["choices"].as_array().into_iter().flatten() {
            n += longest(choice, "name");
            n += match &choice["value"] {
                Value::String(s) => s.chars().count(),
                other => other.to_string().len(),
            };
        }
        n + v["options"]
            .as_array()
            .into_iter()
            .flatten()
            .map(node)
            .sum::<usize>()
    }
    node(command)
}
