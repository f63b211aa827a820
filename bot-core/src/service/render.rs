//! How members and help look in a `Reply`, in the reader's language.

use crate::command::spec;
use crate::domain::{Field, Member, Profile, join_list};
use crate::i18n::{self, Locale};
use crate::reply::Reply;

pub fn field_label(locale: Locale, field: Field) -> String {
    i18n::t(locale, &format!("field.{}", field.as_str()), &[])
}

fn open_to_labels(locale: Locale, profile: &Profile) -> Vec<String> {
    profile
        .open_to
        .iter()
        .map(|o| i18n::t(locale, &format!("open_to.{}", o.as_str()), &[]))
        .collect()
}

/// One line: title at company · years · skills · open to.
pub fn summary_line(locale: Locale, p: &Profile) -> String {
    let mut parts = Vec::new();
    match (&p.title, &p.company) {
        (Some(t), Some(c)) => parts.push(i18n::t(
            locale,
            "profile.title_at",
            &[("title", t), ("company", c)],
        )),
        (Some(x), None) | (None, Some(x)) => parts.push(x.clone()),
        (None, None) => {}
    }
    if let Some(d) = &p.department {
        parts.push(d.clone());
    }
    match (p.joined, p.left) {
        (Some(j), Some(l)) => parts.push(format!("{j}–{l}")),
        (None, Some(l)) => parts.push(i18n::t(
            locale,
            "profile.left_in",
            &[("year", &l.to_string())],
        )),
        _ => {}
    }
    if !p.skills.is_empty() {
        parts.push(join_list(&p.skills));
    }
    let open = open_to_labels(locale, p);
    if !open.is_empty() {
        parts.push(i18n::t(
            locale,
            "profile.open_to_short",
            &[("list", &join_list(&open))],
        ));
    }
    if parts.is_empty() {
        i18n::t(locale, "profile.empty", &[])
    } else {
        parts.join(" · ")
    }
}

/// A full profile. Fields in `hidden` are shown with a "(hidden)" mark (the owner's own view).
pub fn profile_card(locale: Locale, member: &Member, p: &Profile, hidden: &[Field]) -> Reply {
    let mut reply =
        Reply::text(locale, String::new()).titled(format!("{} (@{})", p.name, member.handle));
    let mark = |f: Field, value: String| {
        if hidden.contains(&f) {
            format!("{value} {}", i18n::t(locale, "profile.hidden_mark", &[]))
        } else {
            value
        }
    };
    let texts = [
        (Field::Company, p.company.clone()),
        (Field::Title, p.title.clone()),
        (Field::Industry, p.industry.clone()),
        (Field::Location, p.location.clone()),
        (Field::Department, p.department.clone()),
        (Field::Joined, p.joined.map(|y| y.to_string())),
        (Field::Left, p.left.map(|y| y.to_string())),
        (
            Field::Skills,
            (!p.skills.is_empty()).then(|| join_list(&p.skills)),
        ),
        (
            Field::Interests,
            (!p.interests.is_empty()).then(|| join_list(&p.interests)),
        ),
        (
            Field::OpenTo,
            (!p.open_to.is_empty()).then(|| join_list(&open_to_labels(locale, p))),
        ),
        (Field::Bio, p.bio.clone()),
    ];
    for (field, value) in texts {
        if let Some(v) = value {
            reply = reply.field(field_label(locale, field), mark(field, v));
        }
    }
    let role = i18n::t(locale, &format!("role.{}", member.role.as_str()), &[]);
    reply.field(i18n::t(locale, "profile.role", &[]), role)
}

/// `/alumni help [topic]`: every command, or one (`search`, `event rsvp`, `rsvp`, `admin stats`),
/// both read from the command spec so help can never miss a command.
pub fn help(locale: Locale, topic: Option<&str>) -> Reply {
    if let Some(topic) = topic {
        let wanted = topic
            .trim_start_matches('/')
            .trim_start_matches("alumni")
            .trim()
            .to_lowercase();
        if let Some(sub) = help_topic(&wanted) {
            let usage = sub.usage_line(locale);
            let about = i18n::t(locale, sub.help, &[]);
            return Reply::text(locale, format!("{usage}\n{about}")).private();
        }
    }
    let mut reply = Reply::text(locale, i18n::t(locale, "help.intro", &[])).private();
    for command in spec::COMMANDS {
        let lines: Vec<String> = command
            .subs
            .iter()
            .map(|s| {
                let typed = format!("/{} {}", command.name, s.words);
                format!("`{}` {}", typed.trim_end(), s.description(command, locale))
            })
            .collect();
        reply = reply.field(
            format!("/{} · {}", command.name, command.description(locale)),
            lines.join("\n"),
        );
    }
    reply.field(
        i18n::t(locale, "help.more_heading", &[]),
        i18n::t(locale, "help.more", &[]),
    )
}

/// The subcommand a help topic names: `event rsvp` exactly, else `rsvp` alone (an `/alumni`
/// subcommand first), else a command's name (`intro`, `coffee`: its first subcommand).
fn help_topic(wanted: &str) -> Option<&'static spec::Sub> {
    let full = |c: &spec::Command, s: &spec::Sub| format!("{} {}", c.name, s.words);
    let all = || {
        spec::COMMANDS
            .iter()
            .flat_map(|c| c.subs.iter().map(move |s| (c, s)))
    };
    all()
        .find(|(c, s)| full(c, s).trim_end() == wanted)
        .or_else(|| all().find(|(_, s)| !s.words.is_empty() && s.words == wanted))
        .or_else(|| all().find(|(c, _)| c.name == wanted))
        .map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use crate::domain::{Field, MemberStatus, OpenTo, Role};
    use crate::i18n;

    /// Help names every subcommand of the spec (so a new command is never missing from it),
    /// and a topic finds its own usage.
    #[test]
    fn help_lists_every_command_of_the_spec() {
        for locale in [i18n::Locale::Ja, i18n::Locale::En] {
            let all = super::help(locale, None);
            let text = format!("{all:?}");
            for c in crate::command::spec::COMMANDS {
                for s in c.subs {
                    let typed = format!("/{} {}", c.name, s.words);
                    assert!(text.contains(typed.trim_end()), "{typed} missing from help");
                }
            }
            for (topic, usage) in [
                ("event rsvp", "/event rsvp"),
                ("rsvp", "/event rsvp"),
                ("search", "/alumni search"),
                ("admin stats", "/admin stats"),
                ("job post", "/job post"),
                ("intro", "/intro @"),
            ] {
                let one = format!("{:?}", super::help(locale, Some(topic)));
                assert!(one.contains(usage), "{topic}: {one}");
            }
        }
    }

    /// Keys built at run time from enum values must exist in the catalogs.
    #[test]
    fn every_dynamic_message_key_exists() {
        let mut keys: Vec<String> = Vec::new();
        keys.extend(Field::ALL.iter().map(|f| format!("field.{}", f.as_str())));
        keys.extend(Role::ALL.iter().map(|r| format!("role.{}", r.as_str())));
        keys.extend(
            MemberStatus::ALL
                .iter()
                .map(|s| format!("status.{}", s.as_str())),
        );
        keys.extend(
            OpenTo::ALL
                .iter()
                .map(|o| format!("open_to.{}", o.as_str())),
        );
        for state in ["going", "maybe", "no", "waitlist"] {
            keys.push(format!("rsvp.{state}"));
        }
        for choice in ["going", "maybe", "no"] {
            keys.push(format!("button.{choice}"));
        }
        for status in ["pending", "connected", "declined", "expired"] {
            keys.push(format!("intro.status_{status}"));
        }
        for n in 1..=5 {
            keys.push(format!("coffee.starter_{n}"));
        }
        keys.push("event.reminder_you_going".into());
        keys.push("event.reminder_you_maybe".into());
        for key in keys {
            assert!(i18n::has(&key), "missing message {key}");
        }
    }
}
