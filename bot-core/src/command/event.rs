//! `/event …`: create, list, show, edit, cancel, rsvp, attendees, ics.
//! Times are kept as typed here: reading them needs the community's zone and the clock, which
//! the core has.

use chrono::TimeDelta;

use super::args::{Args, MAX_BIO, MAX_TEXT};
use super::lexer::Token;
use crate::error::UserError;
use crate::{recurrence, time};

/// Most reminders an event may have.
pub const MAX_REMINDERS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsvpChoice {
    Going,
    Maybe,
    No,
}

impl RsvpChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            RsvpChoice::Going => "going",
            RsvpChoice::Maybe => "maybe",
            RsvpChoice::No => "no",
        }
    }

    pub fn parse(s: &str) -> Option<RsvpChoice> {
        match s.trim().to_lowercase().as_str() {
            "going" | "yes" | "参加" => Some(RsvpChoice::Going),
            "maybe" | "未定" => Some(RsvpChoice::Maybe),
            "no" | "not" | "不参加" => Some(RsvpChoice::No),
            _ => None,
        }
    }
}

/// The keys of `create` and `edit`. `None` = not given; `Some(None)` = cleared (`capacity:none`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventSpec {
    pub title: Option<String>,
    pub at: Option<String>,
    pub end: Option<String>,
    pub tz: Option<String>,
    pub duration: Option<TimeDelta>,
    pub location: Option<Option<String>>,
    pub capacity: Option<Option<u32>>,
    pub remind: Option<Vec<TimeDelta>>,
    pub repeat: Option<Option<String>>,
    pub channel: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Create(EventSpec),
    /// A bare `/event create`: answered with a form (a modal on Slack and Discord).
    CreateForm,
    List,
    Show(i64),
    Edit(i64, EventSpec),
    Cancel {
        id: i64,
        reason: Option<String>,
    },
    Rsvp {
        id: i64,
        choice: RsvpChoice,
    },
    Attendees(i64),
    Ics(i64),
}

pub(crate) fn parse(mut tokens: Vec<Token>) -> Result<Event, UserError> {
    let sub = match tokens.first() {
        Some(Token::Word(w)) => w.to_lowercase(),
        _ => "list".to_owned(),
    };
    if !tokens.is_empty() {
        tokens.remove(0);
    }
    if sub == "create" && tokens.is_empty() {
        return Ok(Event::CreateForm);
    }
    let sub_spec = super::spec::select("event", &sub, None)?;
    let mut args = Args::for_sub(sub_spec, tokens)?;
    let event = match sub.as_str() {
        "create" => {
            let spec = spec(&mut args)?;
            if spec.title.is_none() {
                return Err(args.err("error.missing_key").arg("key", "title"));
            }
            if spec.at.is_none() {
                return Err(args.err("error.missing_key").arg("key", "at"));
            }
            Event::Create(spec)
        }
        "list" => Event::List,
        "show" => Event::Show(id(&mut args)?),
        "edit" => {
            let id = id(&mut args)?;
            let spec = spec(&mut args)?;
            if spec == EventSpec::default() {
                return Err(args.err("error.nothing_to_set"));
            }
            Event::Edit(id, spec)
        }
        "cancel" => {
            let id = id(&mut args)?;
            let reason = match args.take("reason") {
                Some(r) => args.text("reason", r, MAX_BIO)?,
                None => None,
            };
            Event::Cancel { id, reason }
        }
        "rsvp" => {
            let id = id(&mut args)?;
            let word = args
                .word()
                .ok_or_else(|| args.err("error.missing_key").arg("key", "going|maybe|no"))?;
            let choice = RsvpChoice::parse(&word).ok_or_else(|| {
                args.err("error.bad_choice")
                    .arg("key", "rsvp")
                    .arg("value", word.clone())
                    .arg("choices", "going, maybe, no")
            })?;
            Event::Rsvp { id, choice }
        }
        "attendees" => Event::Attendees(id(&mut args)?),
        "ics" => Event::Ics(id(&mut args)?),
        _ => unreachable!("matched above"),
    };
    args.finish()?;
    Ok(event)
}

fn id(args: &mut Args) -> Result<i64, UserError> {
    let word = args
        .word()
        .ok_or_else(|| args.err("error.missing_event_id"))?;
    word.trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| args.err("error.bad_event_id").arg("value", word))
}

fn none_word(v: &str) -> bool {
    matches!(
        v.trim().to_lowercase().as_str(),
        "" | "none" | "off" | "なし"
    )
}

fn spec(args: &mut Args) -> Result<EventSpec, UserError> {
    let mut s = EventSpec::default();
    if let Some(v) = args.take("title") {
        s.title = Some(
            args.text("title", v, MAX_TEXT)?
                .ok_or_else(|| args.err("error.missing_key").arg("key", "title"))?,
        );
    }
    s.at = args.take("at");
    s.end = args.take("end");
    if let Some(v) = args.take("tz") {
        if v.parse::<chrono_tz::Tz>().is_err() {
            return Err(args
                .err("error.bad_timezone")
                .arg("key", "tz")
                .arg("value", v));
        }
        s.tz = Some(v);
    }
    if let Some(v) = args.take("duration") {
        match time::parse_duration(&v) {
            Some(d) if d > TimeDelta::zero() && d <= TimeDelta::days(14) => s.duration = Some(d),
            Some(_) => return Err(args.err("error.end_before_start").arg("key", "duration")),
            None => {
                return Err(args
                    .err("error.bad_duration")
                    .arg("key", "duration")
                    .arg("value", v));
            }
        }
    }
    if let Some(v) = args.take("where") {
        s.location = Some(args.text("where", v, MAX_TEXT)?);
    }
    if let Some(v) = args.take("capacity") {
        s.capacity = Some(if none_word(&v) {
            None
        } else {
            match v.trim().parse::<u32>() {
                Ok(n) if (1..=100_000).contains(&n) => Some(n),
                _ => return Err(args.err("error.bad_capacity").arg("value", v)),
            }
        });
    }
    if let Some(v) = args.take("remind") {
        let mut offsets = Vec::new();
        if !none_word(&v) {
            for item in args.list("remind", &v)? {
                match time::parse_duration(&item) {
                    Some(d) if d > TimeDelta::zero() && d <= TimeDelta::days(30) => offsets.push(d),
                    _ => {
                        return Err(args
                            .err("error.bad_duration")
                            .arg("key", "remind")
                            .arg("value", item));
                    }
                }
            }
        }
        if offsets.len() > MAX_REMINDERS {
            return Err(args
                .err("error.too_many")
                .arg("key", "remind")
                .arg("max", MAX_REMINDERS.to_string()));
        }
        offsets.sort_by(|a, b| b.cmp(a));
        offsets.dedup();
        s.remind = Some(offsets);
    }
    if let Some(v) = args.take("repeat") {
        s.repeat = Some(if none_word(&v) {
            None
        } else {
            Some(recurrence::parse_repeat(&v).map_err(|e| {
                let key = match e {
                    recurrence::RepeatError::Unusable => "error.bad_repeat",
                    recurrence::RepeatError::TooOften => "error.repeat_too_often",
                };
                args.err(key).arg("value", v)
            })?)
        });
    }
    if let Some(v) = args.take("channel") {
        let c = v.trim().trim_start_matches('#').to_owned();
        if c.is_empty() {
            return Err(args.err("error.missing_key").arg("key", "channel"));
        }
        s.channel = Some(c);
    }
    // A channel typed as `#general` (or Slack's <#C1|general>) arrives as a word.
    if s.channel.is_none()
        && let Some(w) = args.peek_channel()
    {
        s.channel = Some(w);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::super::{Command, parse};
    use super::*;

    fn event(line: &str) -> Event {
        match parse(line) {
            Ok(Command::Event(e)) => e,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn create_reads_every_key() {
        let Event::Create(s) = event(
            r#"/event create title:"年末アルムナイ交流会" at:"2026-12-18 19:00" tz:Asia/Tokyo duration:2h where:"渋谷" capacity:30 remind:1h,1d repeat:monthly channel:#events"#,
        ) else {
            panic!()
        };
        assert_eq!(s.title.as_deref(), Some("年末アルムナイ交流会"));
        assert_eq!(s.at.as_deref(), Some("2026-12-18 19:00"));
        assert_eq!(
            s.remind,
            Some(vec![TimeDelta::days(1), TimeDelta::hours(1)])
        );
        assert_eq!(s.repeat, Some(Some("FREQ=MONTHLY".into())));
        assert_eq!(s.capacity, Some(Some(30)));
        assert_eq!(s.channel.as_deref(), Some("events"));
    }

    #[test]
    fn a_bare_create_asks_for_a_form() {
        assert_eq!(event("/event create"), Event::CreateForm);
        assert_eq!(event("/event  CREATE "), Event::CreateForm);
    }

    #[test]
    fn errors() {
        let e = |l: &str| parse(l).unwrap_err().key;
        assert_eq!(
            e("/event create at:\"2026-12-18 19:00\""),
            "error.missing_key"
        );
        assert_eq!(
            e("/event create title:x at:x tz:Mars/Base"),
            "error.bad_timezone"
        );
        assert_eq!(
            e("/event create title:x at:x duration:forever"),
            "error.bad_duration"
        );
        assert_eq!(
            e("/event create title:x at:x capacity:-3"),
            "error.bad_capacity"
        );
        assert_eq!(
            e("/event create title:x at:x repeat:RRULE:FREQ=MINUTELY"),
            "error.repeat_too_often"
        );
        assert_eq!(
            e("/event create title:x at:x repeat:RRULE:FREQ=SOMETIMES"),
            "error.bad_repeat"
        );
        assert_eq!(e("/event rsvp 3 perhaps"), "error.bad_choice");
        assert_eq!(e("/event show abc"), "error.bad_event_id");
        assert_eq!(e("/event edit 3"), "error.nothing_to_set");
        assert_eq!(e("/event party"), "error.unknown_subcommand");
        assert_eq!(
            event("/event rsvp 3 going"),
            Event::Rsvp {
                id: 3,
                choice: RsvpChoice::Going
            }
        );
        assert_eq!(
            event("/event edit 3 capacity:none"),
            Event::Edit(
                3,
                EventSpec {
                    capacity: Some(None),
                    ..Default::default()
                }
            )
        );
    }
}
