//! What a phrase says → dates and instants, with a calendar, a zone and "now". What the text
//! left out and we filled in (a year, tomorrow) comes back as a [`Note`]; what could be read
//! two ways is refused with both readings.

use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, Offset, TimeDelta,
    TimeZone, Utc,
};
use chrono_tz::Tz;

use super::phrase::{DateSpec, Phrase, WeekdayMode};
use super::{DateOrder, Note, Reader, TimeError, Zone};

/// The calendar date a spec names, and what was filled in to get it.
pub fn date(spec: DateSpec, r: &Reader) -> Result<(NaiveDate, Option<Note>), TimeError> {
    let today = r.today();
    let ymd = |y: i32, m: u32, d: u32| {
        if !(1000..=9999).contains(&y) {
            return Err(TimeError::Unreadable);
        }
        NaiveDate::from_ymd_opt(y, m, d).ok_or(TimeError::Impossible)
    };
    match spec {
        DateSpec::Ymd(y, m, d) => Ok((ymd(y, m, d)?, None)),
        DateSpec::Md(m, d) => month_day(m, d, today),
        DateSpec::Slash(a, b, year) => {
            let read = |m: u32, d: u32| match year {
                Some(y) => ymd(y, m, d).map(|date| (date, None)),
                None => month_day(m, d, today),
            };
            let month_first = read(a, b);
            if r.order == DateOrder::MonthFirst || a == b {
                return month_first;
            }
            match (month_first, read(b, a)) {
                (Ok(first), Ok(second)) => Err(TimeError::AmbiguousDate {
                    first: first.0,
                    second: second.0,
                }),
                (Ok(one), Err(_)) | (Err(_), Ok(one)) => Ok(one),
                (Err(e), Err(_)) => Err(e),
            }
        }
        DateSpec::Day(d) => {
            let this_month = today.with_day(d).filter(|date| *date >= today);
            if let Some(date) = this_month {
                return Ok((date, None));
            }
            let next = today
                .with_day(1)
                .and_then(|first| first.checked_add_months(Months::new(1)))
                .and_then(|first| first.with_day(d))
                .ok_or(TimeError::Impossible)?;
            Ok((next, Some(Note::NextMonth)))
        }
        DateSpec::InDays(n) => {
            let n = u64::try_from(n).map_err(|_| TimeError::Unreadable)?;
            let date = today
                .checked_add_days(Days::new(n))
                .ok_or(TimeError::Impossible)?;
            Ok((date, None))
        }
        DateSpec::Weekday(wd, mode) => {
            let from_monday = i64::from(today.weekday().num_days_from_monday());
            let wd = i64::from(wd);
            let ahead = match mode {
                WeekdayMode::Coming => (wd - from_monday).rem_euclid(7),
                WeekdayMode::Next => (wd - from_monday - 1).rem_euclid(7) + 1,
                WeekdayMode::ThisWeek => wd - from_monday,
                WeekdayMode::WeeksAhead(n) => wd - from_monday + 7 * n,
            };
            Ok((today + TimeDelta::days(ahead), None))
        }
    }
}

/// A month and day with no year: this year's, or next year's once this year's has passed.
fn month_day(m: u32, d: u32, today: NaiveDate) -> Result<(NaiveDate, Option<Note>), TimeError> {
    match NaiveDate::from_ymd_opt(today.year(), m, d) {
        Some(date) if date >= today => Ok((date, None)),
        _ => {
            let year = today.year() + 1;
            let date = NaiveDate::from_ymd_opt(year, m, d).ok_or(TimeError::Impossible)?;
            Ok((date, Some(Note::NextYear(year))))
        }
    }
}

/// The instant a phrase names (and the end after 〜, if any).
pub fn instant(p: &Phrase, r: &Reader, zone: &Zone) -> Result<super::Reading, TimeError> {
    let mut notes = Vec::new();
    if let Some(offset) = p.offset {
        // `in 2 hours` is from now (to the minute, as every reading).
        return Ok(super::Reading {
            at: r.now + offset,
            end: None,
            notes,
        });
    }
    let Some(secs) = p.time else {
        return Err(TimeError::NoTime);
    };
    let after = r.after.unwrap_or(r.now);
    let start_date = match p.date {
        Some(spec) => {
            let (date, note) = date(spec, r)?;
            check_weekday(p.weekday, date)?;
            notes.extend(note);
            date
        }
        None => {
            // A time alone: that time today, or tomorrow once it has passed.
            let today = after.with_timezone(&r.tz).date_naive();
            let at = local(today, secs, r.tz, zone)?;
            if at > after {
                today
            } else {
                if r.after.is_none() {
                    notes.push(Note::Tomorrow);
                }
                today + TimeDelta::days(1)
            }
        }
    };
    let at = local(start_date, secs, r.tz, zone)?;
    let end = match p.end_time {
        Some(end_secs) if p.ranged => {
            let end_date = match p.end_date {
                Some(spec) => Some(date(spec, r)?.0),
                None => None,
            };
            let mut end = local(end_date.unwrap_or(start_date), end_secs, r.tz, zone)?;
            if end <= at && end_date.is_none() {
                // 22時〜1時: the end is the next morning.
                end = local(start_date + TimeDelta::days(1), end_secs, r.tz, zone)?;
            }
            Some(end)
        }
        _ => None,
    };
    Ok(super::Reading { at, end, notes })
}

fn check_weekday(weekday: Option<u8>, date: NaiveDate) -> Result<(), TimeError> {
    match weekday {
        Some(wd) if u32::from(wd) != date.weekday().num_days_from_monday() => {
            Err(TimeError::WeekdayMismatch { date })
        }
        _ => Ok(()),
    }
}

/// `secs` after midnight of `date` on the wall clock of `tz` (past 24 h: the next day).
fn local(date: NaiveDate, secs: u32, tz: Tz, zone: &Zone) -> Result<DateTime<Utc>, TimeError> {
    let naive = date.and_time(chrono::NaiveTime::MIN) + TimeDelta::seconds(i64::from(secs));
    to_utc(naive, tz, zone)
}

/// A wall-clock time in `tz`. A zone name or offset written after it (as our own output does)
/// picks between the two readings of a repeated hour; otherwise a repeated or skipped hour is
/// refused with both choices.
pub fn to_utc(naive: NaiveDateTime, tz: Tz, zone: &Zone) -> Result<DateTime<Utc>, TimeError> {
    let fits = |t: &DateTime<Tz>| {
        zone.abbr
            .as_deref()
            .is_none_or(|a| t.format("%Z").to_string() == a)
            && zone
                .offset
                .is_none_or(|o| t.offset().fix().local_minus_utc() == o)
    };
    let candidates: Vec<DateTime<Tz>> = match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => vec![t],
        LocalResult::Ambiguous(a, b) => vec![a, b],
        LocalResult::None => {
            // In a gap: the same wall time read with the offset before and after it.
            let read = |probe: NaiveDateTime| {
                tz.offset_from_local_datetime(&probe)
                    .earliest()
                    .map(|o| naive - TimeDelta::seconds(i64::from(o.fix().local_minus_utc())))
                    .map(|utc| Utc.from_utc_datetime(&utc))
            };
            let before = read(naive - TimeDelta::days(1)).ok_or(TimeError::Impossible)?;
            let after = read(naive + TimeDelta::days(1)).ok_or(TimeError::Impossible)?;
            let (earlier, later) = (before.min(after), before.max(after));
            return Err(TimeError::Skipped { earlier, later });
        }
    };
    let matching: Vec<&DateTime<Tz>> = candidates.iter().filter(|t| fits(t)).collect();
    match matching.as_slice() {
        [one] => Ok(one.with_timezone(&Utc)),
        [a, b] => Err(TimeError::Repeated {
            earlier: a.with_timezone(&Utc),
            later: b.with_timezone(&Utc),
        }),
        _ => Err(TimeError::ZoneMismatch {
            given: zone.written(),
        }),
    }
}
