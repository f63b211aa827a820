//! The slash commands Discord shows, and how an invocation becomes a core command.
//!
//! Typed options are turned back into the one text grammar (`key:"value"`, `<@id>` mentions)
//! and run through `Core::handle_text`, rather than building `Command` values here: the
//! grammar already validates every key, so a Discord option can never accept what typing
//! would refuse, and the two cannot drift apart. Option names are the grammar's keys.

use serenity::all::{
    CommandDataOption, CommandDataOptionValue, CommandOptionType, CreateCommand,
    CreateCommandOption,
};

/// What an option holds, and how it is written back into a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    User,
    Channel,
    Role,
    /// A file; not written into the line (the adapter hands its bytes to the core).
    Attachment,
    Choice(&'static [&'static str]),
}

/// One option. `positional` ones are written bare in order (`approve @a`), the rest as pairs.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub positional: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Sub {
    pub name: &'static str,
    /// Japanese name shown to `ja` clients.
    pub ja: &'static str,
    pub en_desc: &'static str,
    pub ja_desc: &'static str,
    pub opts: &'static [Opt],
}

#[derive(Debug, Clone, Copy)]
pub struct Top {
    pub name: &'static str,
    pub ja: &'static str,
    pub en_desc: &'static str,
    pub ja_desc: &'static str,
    pub subs: &'static [Sub],
}

const fn key(name: &'static str, kind: Kind) -> Opt {
    Opt {
        name,
        kind,
        required: false,
        positional: false,
    }
}
const fn need(name: &'static str, kind: Kind) -> Opt {
    Opt {
        name,
        kind,
        required: true,
        positional: false,
    }
}
const fn pos(name: &'static str, kind: Kind, required: bool) -> Opt {
    Opt {
        name,
        kind,
        required,
        positional: true,
    }
}

const T: Kind = Kind::Text;
const I: Kind = Kind::Int;
const YES_NO: Kind = Kind::Choice(&["yes", "no"]);
const ON_OFF: Kind = Kind::Choice(&["on", "off"]);
const LOCALE: Kind = Kind::Choice(&["ja", "en"]);
const MEMBER: Opt = pos("member", Kind::User, true);

const PROFILE: [Opt; 13] = [
    key("department", T),
    key("joined", I),
    key("left", I),
    key("company", T),
    key("title", T),
    key("industry", T),
    key("location", T),
    key("skills", T),
    key("interests", T),
    key("open_to", T),
    key("bio", T),
    key("locale", LOCALE),
    key("timezone", T),
];

const JOIN: [Opt; 15] = [
    key("name", T),
    PROFILE[0],
    PROFILE[1],
    PROFILE[2],
    PROFILE[3],
    PROFILE[4],
    PROFILE[5],
    PROFILE[6],
    PROFILE[7],
    PROFILE[8],
    PROFILE[9],
    PROFILE[10],
    PROFILE[11],
    PROFILE[12],
    key("agree", YES_NO),
];

const PROFILE_SET: [Opt; 14] = [
    key("name", T),
    PROFILE[0],
    PROFILE[1],
    PROFILE[2],
    PROFILE[3],
    PROFILE[4],
    PROFILE[5],
    PROFILE[6],
    PROFILE[7],
    PROFILE[8],
    PROFILE[9],
    PROFILE[10],
    PROFILE[11],
    PROFILE[12],
];

const EVENT_SPEC: [Opt; 10] = [
    key("title", T),
    key("at", T),
    key("end", T),
    key("tz", T),
    key("duration", T),
    key("where", T),
    key("capacity", T),
    key("remind", T),
    key("repeat", T),
    key("channel", Kind::Channel),
];

const EVENT_CREATE: [Opt; 10] = [
    need("title", T),
    need("at", T),
    EVENT_SPEC[2],
    EVENT_SPEC[3],
    EVENT_SPEC[4],
    EVENT_SPEC[5],
    EVENT_SPEC[6],
    EVENT_SPEC[7],
    EVENT_SPEC[8],
    EVENT_SPEC[9],
];

const EVENT_ID: Opt = pos("id", I, true);

const EVENT_EDIT: [Opt; 11] = [
    EVENT_ID,
    EVENT_SPEC[0],
    EVENT_SPEC[1],
    EVENT_SPEC[2],
    EVENT_SPEC[3],
    EVENT_SPEC[4],
    EVENT_SPEC[5],
    EVENT_SPEC[6],
    EVENT_SPEC[7],
    EVENT_SPEC[8],
    EVENT_SPEC[9],
];

const fn sub(
    name: &'static str,
    ja: &'static str,
    en_desc: &'static str,
    ja_desc: &'static str,
    opts: &'static [Opt],
) -> Sub {
    Sub {
        name,
        ja,
        en_desc,
        ja_desc,
        opts,
    }
}

/// Every command the bot registers. Subcommands that are verbs in the text grammar
/// (`/alumni profile set`) are spelled `profile-set` here, since Discord cannot mix a
/// subcommand with options on one level; `words` below turns them back.
pub const COMMANDS: &[Top] = &[
    Top {
        name: "alumni",
        ja: "アルムナイ",
        en_desc: "The alumni network: join, profiles, directory",
        ja_desc: "アルムナイネットワーク: 参加・プロフィール・名簿",
        subs: &[
            sub(
                "join",
                "参加",
                "Ask to join (no options: a form)",
                "参加を申請（オプションなしでフォーム）",
                &JOIN,
            ),
            sub(
                "pending",
                "承認待ち",
                "Join requests waiting for approval",
                "承認待ちの参加申請",
                &[],
            ),
            sub(
                "approve",
                "承認",
                "Approve a join request",
                "参加申請を承認",
                &[MEMBER],
            ),
            sub(
                "reject",
                "見送り",
                "Decline a join request",
                "参加申請を見送る",
                &[MEMBER, key("reason", T)],
            ),
            sub(
                "profile",
                "プロフィール",
                "Show a profile",
                "プロフィールを表示",
                &[pos("member", Kind::User, false)],
            ),
            sub(
                "profile-set",
                "プロフィール編集",
                "Edit your profile",
                "自分のプロフィールを編集",
                &PROFILE_SET,
            ),
            sub(
                "profile-hide",
                "プロフィール非表示",
                "Hide profile fields",
                "プロフィール項目を非公開に",
                &[pos("fields", T, true)],
            ),
            sub(
                "profile-show",
                "プロフィール表示",
                "Show profile fields again",
                "プロフィール項目を公開に",
                &[pos("fields", T, true)],
            ),
            sub(
                "search",
                "検索",
                "Search the directory",
                "名簿を検索",
                &[
                    pos("query", T, false),
                    key("skills", T),
                    key("industry", T),
                    key("open_to", T),
                    key(
                        "role",
                        Kind::Choice(&["member", "employee", "supporter", "admin"]),
                    ),
                    key("left", T),
                    key("joined", T),
                    key("page", I),
                ],
            ),
            sub(
                "role",
                "ロール",
                "Set a member's role",
                "メンバーのロールを設定",
                &[
                    MEMBER,
                    pos(
                        "role",
                        Kind::Choice(&["member", "employee", "supporter", "admin"]),
                        true,
                    ),
                ],
            ),
            sub(
                "leave",
                "退会",
                "Leave the network",
                "ネットワークを退会",
                &[key("delete", YES_NO)],
            ),
            sub(
                "help",
                "ヘルプ",
                "How to use the bot",
                "使い方",
                &[pos("command", T, false)],
            ),
            sub(
                "setup",
                "設定",
                "Community settings",
                "コミュニティの設定",
                &[
                    key("name", T),
                    key("approval", ON_OFF),
                    key("locale", LOCALE),
                    key("timezone", T),
                    key("intro_days", I),
                    key("intro_limit", I),
                    key("employee_intros", ON_OFF),
                    key("nudge_days", I),
                    key("welcome_channel", Kind::Channel),
                    key("member_role", Kind::Role),
                ],
            ),
            sub(
                "block",
                "ブロック",
                "Block a member (they are not told)",
                "メンバーをブロック（相手には通知されません）",
                &[MEMBER],
            ),
            sub(
                "unblock",
                "ブロック解除",
                "Unblock a member",
                "ブロックを解除",
                &[MEMBER],
            ),
            sub(
                "mydata",
                "自分のデータ",
                "Your data as a JSON file",
                "自分のデータ（JSON）",
                &[],
            ),
            sub(
                "agree",
                "同意",
                "Agree to the stated purpose",
                "利用目的に同意",
                &[],
            ),
            sub(
                "notify",
                "通知",
                "Notifications on or off",
                "通知のオン・オフ",
                &[pos("on", ON_OFF, true)],
            ),
        ],
    },
    Top {
        name: "event",
        ja: "イベント",
        en_desc: "Alumni events",
        ja_desc: "アルムナイイベント",
        subs: &[
            sub(
                "create",
                "作成",
                "Create an event",
                "イベントを作成",
                &EVENT_CREATE,
            ),
            sub("list", "一覧", "Upcoming events", "今後のイベント", &[]),
            sub("show", "詳細", "One event", "イベントの詳細", &[EVENT_ID]),
            sub(
                "edit",
                "編集",
                "Change an event",
                "イベントを変更",
                &EVENT_EDIT,
            ),
            sub(
                "cancel",
                "中止",
                "Cancel an event",
                "イベントを中止",
                &[EVENT_ID, key("reason", T)],
            ),
            sub(
                "rsvp",
                "出欠",
                "Answer an invitation",
                "出欠を回答",
                &[
                    EVENT_ID,
                    pos("answer", Kind::Choice(&["going", "maybe", "no"]), true),
                ],
            ),
            sub(
                "attendees",
                "参加者",
                "Who is going",
                "参加者一覧",
                &[EVENT_ID],
            ),
            sub(
                "ics",
                "カレンダー",
                "An iCalendar file",
                "iCalendar ファイル",
                &[EVENT_ID],
            ),
        ],
    },
    Top {
        name: "intro",
        ja: "紹介",
        en_desc: "Introductions between members",
        ja_desc: "メンバー同士の紹介",
        subs: &[
            sub(
                "request",
                "依頼",
                "Ask to be introduced (or connect two members)",
                "紹介を依頼（または2人をつなぐ）",
                &[MEMBER, pos("member2", Kind::User, false), need("why", T)],
            ),
            sub("list", "一覧", "Your introductions", "自分の紹介一覧", &[]),
        ],
    },
    Top {
        name: "coffee",
        ja: "コーヒー",
        en_desc: "Coffee chats",
        ja_desc: "コーヒーチャット",
        subs: &[
            sub(
                "join",
                "参加",
                "Take part in coffee chats",
                "コーヒーチャットに参加",
                &[],
            ),
            sub(
                "leave",
                "退出",
                "Stop coffee chats",
                "コーヒーチャットをやめる",
                &[],
            ),
            sub(
                "pause",
                "休止",
                "Pause until a date",
                "指定日まで休止",
                &[need("until", T)],
            ),
            sub(
                "status",
                "状況",
                "Your status and the next round",
                "参加状況と次のラウンド",
                &[],
            ),
            sub(
                "setup",
                "設定",
                "Coffee chat rounds (admins)",
                "コーヒーチャットの設定（管理者）",
                &[
                    key("every", T),
                    key(
                        "day",
                        Kind::Choice(&["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                    ),
                    key("time", T),
                    key("size", I),
                    key("mix", T),
                    key("avoid", T),
                ],
            ),
        ],
    },
    Top {
        name: "admin",
        ja: "管理",
        en_desc: "HR tools (admins)",
        ja_desc: "人事向けツール（管理者）",
        subs: &[
            sub(
                "purpose",
                "利用目的",
                "The stated purpose members agree to",
                "メンバーが同意する利用目的",
                &[key("text", T)],
            ),
            sub(
                "audit",
                "監査ログ",
                "Who exported, imported, broadcast",
                "書き出し・取込・一斉送信の記録",
                &[key("page", I)],
            ),
            sub(
                "import",
                "名簿取込",
                "Import HR's roster (CSV)",
                "退職者名簿（CSV）を取り込む",
                &[need("file", Kind::Attachment), key("skip_bad", YES_NO)],
            ),
            sub(
                "export",
                "書き出し",
                "Members as a CSV file",
                "メンバーを CSV で書き出す",
                &[],
            ),
            sub("stats", "統計", "Figures and a chart", "統計とグラフ", &[]),
            sub(
                "broadcast",
                "一斉送信",
                "A DM to a saved segment",
                "保存したセグメントへ一斉 DM",
                &[need("segment", T), need("message", T)],
            ),
        ],
    },
];

/// The registration payloads, with Japanese names and descriptions.
pub fn definitions() -> Vec<CreateCommand> {
    COMMANDS.iter().map(definition).collect()
}

fn definition(top: &Top) -> CreateCommand {
    let mut cmd = CreateCommand::new(top.name)
        .description(top.en_desc)
        .name_localized("ja", top.ja)
        .description_localized("ja", top.ja_desc)
        .dm_permission(false);
    for sub in top.subs {
        let mut option =
            CreateCommandOption::new(CommandOptionType::SubCommand, sub.name, sub.en_desc)
                .name_localized("ja", sub.ja)
                .description_localized("ja", sub.ja_desc);
        for opt in sub.opts {
            option = option.add_sub_option(option_definition(opt));
        }
        cmd = cmd.add_option(option);
    }
    cmd
}

fn option_definition(opt: &Opt) -> CreateCommandOption {
    let kind = match opt.kind {
        Kind::Text | Kind::Choice(_) => CommandOptionType::String,
        Kind::Int => CommandOptionType::Integer,
        Kind::User => CommandOptionType::User,
        Kind::Channel => CommandOptionType::Channel,
        Kind::Role => CommandOptionType::Role,
        Kind::Attachment => CommandOptionType::Attachment,
    };
    let (en, ja) = describe(opt.name);
    let mut option = CreateCommandOption::new(kind, opt.name, en)
        .description_localized("ja", ja)
        .required(opt.required);
    if let Kind::Choice(choices) = opt.kind {
        for c in choices {
            option = option.add_string_choice(*c, *c);
        }
    }
    if opt.kind == Kind::Text {
        // Longer than any field the core accepts, so the core's own error names the key.
        option = option.max_length(4000);
    }
    if opt.name == EVENT_ID.name {
        // Upcoming events offered as the user types; members need none (Discord's own picker).
        option = option.set_autocomplete(true).min_int_value(1);
    }
    option
}

/// Option descriptions, by grammar key.
fn describe(key: &str) -> (&'static str, &'static str) {
    match key {
        "name" => ("Name", "名前"),
        "member" | "member2" => ("A member", "メンバー"),
        "department" => ("Department", "部署"),
        "joined" => ("Year you joined", "入社年"),
        "left" => ("Year you left", "退職年"),
        "company" => ("Company now", "現在の会社"),
        "title" => ("Title", "タイトル・役職"),
        "industry" => ("Industry", "業界"),
        "location" => ("Location", "所在地"),
        "skills" => ("Skills, comma-separated", "スキル（カンマ区切り）"),
        "interests" => ("Interests, comma-separated", "興味（カンマ区切り）"),
        "open_to" => (
            "rehire, side-project, partnership, mentoring, coffee",
            "関心（rehire など）",
        ),
        "bio" => ("About you", "自己紹介"),
        "locale" => ("Language", "言語"),
        "timezone" | "tz" => (
            "Time zone, e.g. Asia/Tokyo",
            "タイムゾーン（例: Asia/Tokyo）",
        ),
        "agree" => ("Agree to the stated purpose", "利用目的に同意"),
        "reason" => ("Reason", "理由"),
        "query" => ("Words to find", "検索語"),
        "id" => ("Event ID", "イベント ID"),
        "at" => (
            "Start, e.g. 2026-12-18 19:00",
            "開始（例: 2026-12-18 19:00）",
        ),
        "why" => ("Why you want to meet", "紹介してほしい理由"),
        "until" => ("Date, e.g. 2027-01-31", "日付（例: 2027-01-31）"),
        "text" => ("Text", "本文"),
        "file" => ("The roster as a CSV file", "名簿の CSV ファイル"),
        "skip_bad" => ("Import the good rows anyway", "不正な行を飛ばして取り込む"),
        "segment" => ("A saved segment", "保存したセグメント"),
        "message" => ("Message", "メッセージ"),
        "page" => ("Page", "ページ"),
        "member_role" => (
            "Role approved members get (instead of DISCORD_MEMBER_ROLE)",
            "承認済みメンバーに付与するロール",
        ),
        _ => ("See /alumni help", "/alumni help を参照"),
    }
}

/// A subcommand invocation as a grammar line, e.g. `/alumni approve <@42>`.
/// Returns `None` for a command or subcommand we never registered.
pub fn line(command: &str, options: &[CommandDataOption]) -> Option<String> {
    let top = COMMANDS.iter().find(|t| t.name == command)?;
    let (sub_name, values) = match options.first().map(|o| (&o.name, &o.value)) {
        Some((name, CommandDataOptionValue::SubCommand(values))) => (name.as_str(), values),
        _ => return None,
    };
    let sub = top.subs.iter().find(|s| s.name == sub_name)?;
    let mut line = format!("/{} {}", top.name, words(top.name, sub.name));
    for opt in sub.opts {
        let Some(value) = values.iter().find(|v| v.name == opt.name) else {
            continue;
        };
        let Some(text) = value_text(&value.value) else {
            continue;
        };
        line.push(' ');
        if opt.positional {
            line.push_str(&text);
        } else {
            line.push_str(&format!("{}:{}", opt.name, text));
        }
    }
    Some(line)
}

/// The grammar's words for a Discord subcommand name.
fn words(top: &str, sub: &str) -> String {
    match (top, sub) {
        ("intro", "request") => String::new(),
        ("alumni", s) if s.starts_with("profile-") => s.replacen('-', " ", 1),
        _ => sub.to_owned(),
    }
}

fn value_text(value: &CommandDataOptionValue) -> Option<String> {
    Some(match value {
        CommandDataOptionValue::String(s) => quote(s),
        CommandDataOptionValue::Integer(n) => n.to_string(),
        CommandDataOptionValue::Number(n) => n.to_string(),
        CommandDataOptionValue::Boolean(b) => if *b { "yes" } else { "no" }.to_owned(),
        CommandDataOptionValue::User(id) => format!("<@{id}>"),
        CommandDataOptionValue::Channel(id) => format!("<#{id}>"),
        CommandDataOptionValue::Role(id) => format!("<@&{id}>"),
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

/// A bare `/alumni join` or `/alumni profile-set` opens a form instead of an error.
pub fn opens_form(command: &str, options: &[CommandDataOption]) -> Option<&'static str> {
    match options.first() {
        Some(o) if command == "alumni" => match (&o.name[..], &o.value) {
            ("join", CommandDataOptionValue::SubCommand(v)) if v.is_empty() => Some("/alumni join"),
            ("profile-set", CommandDataOptionValue::SubCommand(v)) if v.is_empty() => {
                Some("/alumni profile set")
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub_option(name: &str, values: Vec<CommandDataOption>) -> Vec<CommandDataOption> {
        serde_json::from_value(serde_json::json!([{
            "name": name, "type": 1,
            "options": values.iter().map(|v| serde_json::to_value(v).unwrap()).collect::<Vec<_>>(),
        }]))
        .unwrap()
    }

    fn opt(json: serde_json::Value) -> CommandDataOption {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn typed_options_become_the_same_line_a_user_would_type() {
        let options = sub_option(
            "reject",
            vec![
                opt(serde_json::json!({"name": "reason", "type": 3, "value": "Not on \"roster\""})),
                opt(serde_json::json!({"name": "member", "type": 6, "value": "42"})),
            ],
        );
        assert_eq!(
            line("alumni", &options).unwrap(),
            r#"/alumni reject <@42> reason:"Not on \"roster\"""#
        );
        let parsed = bot_core::command::parse(&line("alumni", &options).unwrap());
        assert!(parsed.is_ok(), "{parsed:?}");
    }

    #[test]
    fn a_quote_in_a_value_cannot_add_a_key() {
        let options = sub_option(
            "join",
            vec![opt(
                serde_json::json!({"name": "name", "type": 3, "value": "Eve\" role:admin \""}),
            )],
        );
        let text = line("alumni", &options).unwrap();
        let Ok(bot_core::command::Command::Alumni(bot_core::command::Alumni::Join(patch))) =
            bot_core::command::parse(&text)
        else {
            panic!("{text}");
        };
        assert_eq!(patch.name.as_deref(), Some("Eve\" role:admin \""));
    }

    #[test]
    fn every_registered_subcommand_maps_onto_the_grammar() {
        // Each subcommand with only its required options either parses or fails on a value,
        // never as an unknown subcommand.
        for top in COMMANDS {
            for s in top.subs {
                let text = format!("/{} {}", top.name, words(top.name, s.name));
                if let Err(e) = bot_core::command::parse(&text) {
                    assert!(
                        !e.key.starts_with("error.unknown") && e.key != "error.unexpected",
                        "{text}: {e}"
                    );
                }
            }
        }
    }
}
