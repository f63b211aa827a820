//! How members and help look in a `Reply`, in the reader's language.

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

/// Help topics: (catalog suffix, names a user may type).
const TOPICS: &[(&str, &str)] = &[
    ("alumni.join", "join"),
    ("alumni.profile", "profile"),
    ("alumni.search", "search"),
    ("alumni.pending", "pending"),
    ("alumni.approve", "approve"),
    ("alumni.reject", "reject"),
    ("alumni.role", "role"),
    ("alumni.leave", "leave"),
    ("alumni.setup", "setup"),
    ("alumni.help", "help"),
    ("alumni.block", "block"),
    ("alumni.unblock", "unblock"),
    ("event.create", "event create"),
    ("event.list", "event list"),
    ("event.show", "event show"),
    ("event.edit", "event edit"),
    ("event.cancel", "event cancel"),
    ("event.rsvp", "event rsvp"),
    ("event.attendees", "event attendees"),
    ("event.ics", "event ics"),
    ("intro.request", "intro"),
    ("intro.list", "intro list"),
    ("coffee.join", "coffee join"),
    ("coffee.leave", "coffee leave"),
    ("coffee.pause", "coffee pause"),
    ("coffee.status", "coffee status"),
    ("coffee.setup", "coffee setup"),
];

fn help_key(topic: &str) -> String {
    match topic.strip_prefix("alumni.") {
        Some(sub) => format!("help.{sub}"),
        None => format!("help.{topic}"),
    }
}

/// `/alumni help [topic]`: everything, or one command (`search`, `event rsvp`, `rsvp`).
pub fn help(locale: Locale, topic: Option<&str>) -> Reply {
    if let Some(topic) = topic {
        let wanted = topic
            .trim_start_matches('/')
            .trim_start_matches("alumni")
            .trim();
        let found = TOPICS
            .iter()
            .find(|(_, name)| *name == wanted || name.strip_prefix("event ") == Some(wanted));
        if let Some((key, _)) = found {
            let usage = i18n::t(locale, &format!("usage.{key}"), &[]);
            let about = i18n::t(locale, &help_key(key), &[]);
            return Reply::text(locale, format!("{usage}\n{about}")).private();
        }
    }
    let mut reply = Reply::text(locale, i18n::t(locale, "help.intro", &[])).private();
    for (key, _) in TOPICS {
        reply = reply.field(
            i18n::t(locale, &format!("usage.{key}"), &[]),
            i18n::t(locale, &help_key(key), &[]),
        );
    }
    reply
}

#[cfg(test)]
mod tests {
    use crate::domain::{Field, MemberStatus, OpenTo, Role};
    use crate::i18n;

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
        for sub in crate::command::alumni_subcommands() {
            keys.push(format!("usage.alumni.{sub}"));
            keys.push(format!("help.{sub}"));
        }
        for (topic, _) in super::TOPICS {
            keys.push(format!("usage.{topic}"));
            keys.push(super::help_key(topic));
        }
        for sub in crate::command::event::SUBCOMMANDS {
            keys.push(format!("usage.event.{sub}"));
        }
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
        for sub in crate::command::social::COFFEE_SUBCOMMANDS {
            keys.push(format!("usage.coffee.{sub}"));
        }
        keys.push("event.reminder_you_going".into());
        keys.push("event.reminder_you_maybe".into());
        for key in keys {
            assert!(i18n::has(&key), "missing message {key}");
        }
    }
}
