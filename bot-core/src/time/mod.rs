//! Reading times people type and writing times people read.
//!
//! Typed: phrases in Japanese and English (`明日 19時`, `来週金曜 夜7時半`, `12/18 19:00〜21:00`,
//! `tomorrow 7pm`, `next Friday 19:30`, `Dec 18 7:30pm`, `in 2 hours`), ISO 8601 with or without
//! an offset, and our own output (`2026年12月18日(金) 19:00 JST`) read back; durations `2h`,
//! `90m`, `1h30m`, `1d`; offsets lists `1d,1h`. One parser for every platform and the shell.
//! Written: replies carry Discord-style markers `<t:UNIX:F>`; Discord shows them natively, Slack
//! turns them into `<!date^…>`, the shell renders them in the reader's zone with [`render`].
//!
//! Our own small parser rather than `interim`: no crate reads Japanese phrases, and one
//! grammar for both languages (a tokenizer, a phrase reader, a resolver against the calendar)
//! is smaller than English through a dependency plus Japanese by hand, and answers the same
//! way (notes, refusals with both choices) in both.

mod duration;
mod format;
mod lex;
mod phrase;
mod resolve;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::i18n::Locale;

pub use duration::{format_duration, parse_duration, say_duration};
pub use format::{format_choice, format_date, format_local, marker, render};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// Not a shape we read.
    Unreadable,
    /// A shape we read, but no such date (2026-02-30, 25:00).
    Impossible,
    /// A date (or `今夜`) where a time of day is needed too.
    NoTime,
    /// A wall-clock time the zone skips (a DST gap): the two instants it could mean.
    Skipped {
        earlier: DateTime<Utc>,
        later: DateTime<Utc>,
    },
    /// A wall-clock time the zone has twice (a DST overlap).
    Repeated {
        earlier: DateTime<Utc>,
        later: DateTime<Utc>,
    },
    /// `12/1` where month/day and day/month are both dates (English communities).
    AmbiguousDate { first: NaiveDate, second: NaiveDate },
    /// A weekday written beside a date that falls on another day.
    WeekdayMismatch { date: NaiveDate },
    /// A zone name or offset written after the time that is not the zone's at that time.
    ZoneMismatch { given: String },
}

/// How a slash date `a/b` is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// Japanese: always month/day (`12/1` is 12月1日).
    MonthFirst,
    /// English: whichever way is a date; asked when both are.
    Ask,
}

impl DateOrder {
    /// The order a community writing in `locale` uses.
    pub fn of(locale: Locale) -> DateOrder {
        match locale {
            Locale::Ja => DateOrder::MonthFirst,
            Locale::En => DateOrder::Ask,
        }
    }
}

/// Where and when a phrase is read.
#[derive(Debug, Clone, Copy)]
pub struct Reader {
    pub tz: Tz,
    pub now: DateTime<Utc>,
    pub order: DateOrder,
    /// For an end: a time alone is on the start's day (or the next, if not after the start).
    pub after: Option<DateTime<Utc>>,
}

impl Reader {
    pub fn new(tz: Tz, now: DateTime<Utc>, order: DateOrder) -> Reader {
        Reader {
            tz,
            now,
            order,
            after: None,
        }
    }

    /// The same reader for an end time after `start`.
    pub fn after(self, start: DateTime<Utc>) -> Reader {
        Reader {
            after: Some(start),
            ..self
        }
    }

    fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.tz).date_naive()
    }
}

/// What the reader filled in that the text did not say; the answer says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// A date without a year already past this year: next year's.
    NextYear(i32),
    /// `18日` already past this month: next month's.
    NextMonth,
    /// A time alone already past today: tomorrow's.
    Tomorrow,
}

/// The instant a phrase names, the end it implies (`19時〜21時`), what was filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub at: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub notes: Vec<Note>,
}

/// A zone written after a time (`JST`, `+09:00`), as our own output writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Zone {
    pub abbr: Option<String>,
    /// Seconds east of UTC.
    pub offset: Option<i32>,
}

impl Zone {
    fn written(&self) -> String {
        let offset = self.offset.map(|o| {
            let sign = if o < 0 { '-' } else { '+' };
            format!("{sign}{:02}:{:02}", o.abs() / 3600, o.abs() % 3600 / 60)
        });
        [self.abbr.clone(), offset]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `+09:00`, `-05:00`: seconds east of UTC.
fn offset_word(word: &str) -> Option<i32> {
    let sign = match word.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = word[1..].split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// A zone abbreviation as chrono-tz writes them: `JST`, `CEST`, `ChST`, `+0530`, `-03`.
fn abbr_word(word: &str) -> bool {
    let letters = word.len() >= 2
        && word.len() <= 6
        && word.bytes().all(|b| b.is_ascii_alphabetic())
        && word.bytes().filter(u8::is_ascii_uppercase).count() >= 2
        && !lex::is_vocabulary(&word.to_ascii_lowercase());
    let numeric = matches!(word.len(), 3 | 5)
        && matches!(word.as_bytes()[0], b'+' | b'-')
        && word[1..].bytes().all(|b| b.is_ascii_digit());
    letters || numeric
}

/// The text without the zone words at its end, and those words.
fn peel_zone(text: &str) -> (&str, Zone) {
    let mut zone = Zone::default();
    let mut rest = text.trim_end();
    for _ in 0..2 {
        let (head, last) = match rest.rsplit_once([' ', '\u{3000}']) {
            Some((head, last)) => (head.trim_end(), last),
            None => break,
        };
        if zone.offset.is_none()
            && let Some(o) = offset_word(last)
        {
            zone.offset = Some(o);
        } else if zone.abbr.is_none() && abbr_word(last) {
            zone.abbr = Some(last.to_owned());
        } else {
            break;
        }
        rest = head;
    }
    (rest, zone)
}

/// ISO 8601 with an offset (or `Z`): an instant whatever the zone.
fn absolute(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let offset = text
        .strip_suffix(['Z', 'z'])
        .map_or(text.to_owned(), |t| format!("{t}+00:00"));
    for f in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%:z",
        "%Y-%m-%d %H:%M %:z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&offset, f) {
            return Some(t.with_timezone(&Utc));
        }
    }
    None
}

fn phrase_of(text: &str) -> Result<(phrase::Phrase, Zone), TimeError> {
    let (rest, zone) = peel_zone(text.trim());
    let normalized = lex::normalize(rest);
    let toks = lex::tokens(&normalized).ok_or(TimeError::Unreadable)?;
    if toks.is_empty() {
        return Err(TimeError::Unreadable);
    }
    Ok((phrase::parse(&toks)?, zone))
}

/// An instant (`at:`, `:clock`): a phrase, ISO 8601, or our own output read back. To the
/// minute, as it is written back: seconds typed are dropped.
pub fn read(text: &str, r: &Reader) -> Result<Reading, TimeError> {
    let mut reading = match absolute(text.trim()) {
        Some(at) => Reading {
            at,
            end: None,
            notes: Vec::new(),
        },
        None => {
            let (phrase, zone) = phrase_of(text)?;
            resolve::instant(&phrase, r, &zone)?
        }
    };
    reading.at = to_minute(reading.at);
    reading.end = reading.end.map(to_minute);
    Ok(reading)
}

fn to_minute(at: DateTime<Utc>) -> DateTime<Utc> {
    at - chrono::TimeDelta::seconds(at.timestamp().rem_euclid(60))
        - chrono::TimeDelta::nanoseconds(i64::from(at.timestamp_subsec_nanos()))
}

/// An end (`end:`): as [`read`], but a time alone is on the start's day, or the day after when
/// it is not after the start; no range.
pub fn read_end(text: &str, start: DateTime<Utc>, r: &Reader) -> Result<DateTime<Utc>, TimeError> {
    let reading = read(text, &r.after(start))?;
    if reading.end.is_some() {
        return Err(TimeError::Unreadable);
    }
    Ok(reading.at)
}

/// A calendar date (`until:`): `2027-01-31`, `1月31日`, `来週金曜`, `Jan 31`, `in 3 days`.
pub fn read_date(text: &str, r: &Reader) -> Result<(NaiveDate, Vec<Note>), TimeError> {
    let (phrase, _) = phrase_of(text)?;
    let date = match (phrase.date, phrase.offset) {
        (Some(spec), None) => spec,
        (None, Some(d)) if d.num_seconds() % 86_400 == 0 => phrase::DateSpec::InDays(d.num_days()),
        _ => return Err(TimeError::Unreadable),
    };
    if phrase.time.is_some() || phrase.ranged {
        return Err(TimeError::Unreadable);
    }
    let (date, note) = resolve::date(date, r)?;
    if let Some(wd) = phrase.weekday
        && u32::from(wd) != chrono::Datelike::weekday(&date).num_days_from_monday()
    {
        return Err(TimeError::WeekdayMismatch { date });
    }
    Ok((date, note.into_iter().collect()))
}

/// A start time read in `tz` with Japanese date order: [`read`]'s instant.
pub fn parse_datetime(text: &str, tz: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>, TimeError> {
    read(text, &Reader::new(tz, now, DateOrder::MonthFirst)).map(|r| r.at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeDelta, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 3, 0, 0).unwrap()
    }

    #[test]
    fn reads_local_iso_and_japanese_times() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let want = Utc.with_ymd_and_hms(2026, 12, 18, 10, 0, 0).unwrap();
        for text in [
            "2026-12-18 19:00",
            "2026/12/18 19:00",
            "2026-12-18T19:00",
            "2026-12-18T19:00:00+09:00",
            "2026-12-18T10:00:00Z",
            "12月18日 19:00",
            "2026年12月18日 19時",
            "１２月１８日 １９：００",
        ] {
            assert_eq!(parse_datetime(text, tokyo, now()), Ok(want), "{text}");
        }
        assert_eq!(
            parse_datetime("2026-02-30 19:00", tokyo, now()),
            Err(TimeError::Impossible)
        );
        assert_eq!(
            parse_datetime("2026-12-18 25:00", tokyo, now()),
            Err(TimeError::Impossible)
        );
        assert_eq!(
            parse_datetime("tomorrow-ish", tokyo, now()),
            Err(TimeError::Unreadable)
        );
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            parse_datetime("2027-03-14 02:30", ny, now()),
            Err(TimeError::Skipped {
                earlier: Utc.with_ymd_and_hms(2027, 3, 14, 6, 30, 0).unwrap(),
                later: Utc.with_ymd_and_hms(2027, 3, 14, 7, 30, 0).unwrap(),
            })
        );
        // A year-less date already past this year means next year.
        assert_eq!(
            parse_datetime("1月5日 10:00", tokyo, now()).unwrap().year(),
            2027
        );
    }

    #[test]
    fn durations_and_rendering() {
        assert_eq!(parse_duration("1h30m"), Some(TimeDelta::minutes(90)));
        assert_eq!(parse_duration("1d"), Some(TimeDelta::days(1)));
        assert_eq!(parse_duration("2時間"), Some(TimeDelta::hours(2)));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("3x"), None);
        assert_eq!(format_duration(TimeDelta::minutes(1530)), "1d1h30m");
        assert_eq!(
            say_duration(TimeDelta::minutes(1530), Locale::Ja),
            "1日1時間30分"
        );
        assert_eq!(say_duration(TimeDelta::days(2), Locale::En), "2 days");
        let at = Utc.with_ymd_and_hms(2026, 12, 18, 10, 0, 0).unwrap();
        let text = format!("starts {}", marker(at));
        assert_eq!(
            render(&text, "Asia/Tokyo".parse().unwrap(), Locale::Ja),
            "starts 2026年12月18日(金) 19:00 JST"
        );
        assert_eq!(
            render(&text, "Europe/London".parse().unwrap(), Locale::En),
            "starts Fri, Dec 18, 2026 10:00 GMT"
        );
    }
}
