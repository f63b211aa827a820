//! Reading the times a command was given (`at:`, `end:`, `until:`) in the community's or the
//! member's zone, and saying back what was understood: the refusals with their choices, the
//! notes on what was filled in (a year, tomorrow).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::Ctx;
use crate::error::UserError;
use crate::i18n::Locale;
use crate::time::{self, DateOrder, Note, Reader, Reading, TimeError};

impl Ctx<'_> {
    /// A reader in `tz`, reading slash dates the community's way (`12/1` is 12月1日 in Japanese).
    pub(super) fn reader(&self, tz: Tz, now: DateTime<Utc>) -> Reader {
        Reader::new(tz, now, DateOrder::of(self.community.locale))
    }

    /// Each note on what the reader filled in, one line each.
    pub(super) fn notes(&self, notes: &[Note]) -> String {
        notes
            .iter()
            .map(|n| match n {
                Note::NextYear(year) => {
                    self.t("time.note_next_year", &[("year", &year.to_string())])
                }
                Note::NextMonth => self.t("time.note_next_month", &[]),
                Note::Tomorrow => self.t("time.note_tomorrow", &[]),
            })
            .map(|line| format!("\n{line}"))
            .collect()
    }
}

/// `at:` (or `:clock`): an instant, and the end a range implies.
pub(super) fn read_at(
    key: &'static str,
    text: &str,
    r: &Reader,
    ctx: &Ctx<'_>,
    usage: &'static str,
) -> Result<Reading, UserError> {
    time::read(text, r).map_err(|e| refusal(e, key, text, r.tz, ctx.locale, Some(usage)))
}

/// `end:`: an instant after `start` (a time alone is on the start's day).
pub(super) fn read_end(
    text: &str,
    start: DateTime<Utc>,
    r: &Reader,
    ctx: &Ctx<'_>,
    usage: &'static str,
) -> Result<DateTime<Utc>, UserError> {
    time::read_end(text, start, r)
        .map_err(|e| refusal(e, "end", text, r.tz, ctx.locale, Some(usage)))
}

/// `until:`: a calendar date.
pub(super) fn read_date(
    key: &'static str,
    text: &str,
    r: &Reader,
    ctx: &Ctx<'_>,
    usage: &'static str,
) -> Result<(NaiveDate, Vec<Note>), UserError> {
    time::read_date(text, r).map_err(|e| match e {
        TimeError::Unreadable | TimeError::NoTime => UserError::new("error.bad_date")
            .arg("key", key)
            .arg("value", text)
            .usage(usage),
        e => refusal(e, key, text, r.tz, ctx.locale, Some(usage)),
    })
}

/// A time that cannot be used, said so in the reader's language; where it could mean two
/// things, both, written so that either can be typed back as it is.
pub fn refusal(
    e: TimeError,
    key: &'static str,
    text: &str,
    tz: Tz,
    locale: Locale,
    usage: Option<&'static str>,
) -> UserError {
    let choice = |t: DateTime<Utc>| {
        format!(
            "{} ({})",
            time::format_local(t, tz, locale),
            time::format_choice(t, tz)
        )
    };
    let day = |d: NaiveDate| time::format_date(d, locale);
    let err = match e {
        TimeError::Unreadable => {
            let err = UserError::new("error.bad_time");
            match usage {
                Some(topic) => err.usage(topic),
                None => err,
            }
        }
        TimeError::Impossible => UserError::new("error.impossible_date"),
        TimeError::NoTime => UserError::new("error.time_missing"),
        TimeError::Skipped { earlier, later } => UserError::new("error.time_skipped")
            .arg("zone", tz.name())
            .arg("first", choice(earlier))
            .arg("second", choice(later)),
        TimeError::Repeated { earlier, later } => UserError::new("error.time_repeated")
            .arg("zone", tz.name())
            .arg("first", choice(earlier))
            .arg("second", choice(later)),
        TimeError::AmbiguousDate { first, second } => UserError::new("error.date_ambiguous")
            .arg("first", format!("{} ({first})", day(first)))
            .arg("second", format!("{} ({second})", day(second))),
        TimeError::WeekdayMismatch { date } => {
            UserError::new("error.weekday_mismatch").arg("date", day(date))
        }
        TimeError::ZoneMismatch { given } => UserError::new("error.zone_mismatch")
            .arg("given", given)
            .arg("zone", tz.name()),
    };
    err.arg("key", key).arg("value", text)
}
