//! Tokens → what the phrase says, before any calendar is consulted: a date (absolute, relative
//! or a weekday), a time of day, an end after 〜, a length of time (`in 2 hours`, `2時間後`).
//! Each step looks at a bounded number of tokens and consumes at least one, so this is linear.

use chrono::TimeDelta;

use super::TimeError;
use super::lex::{Tok, Word};

/// Which week a weekday is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeekdayMode {
    /// `金曜` / `friday` / `this friday`: the first such day from today on.
    Coming,
    /// `次の金曜` / `next friday`: the first such day after today.
    Next,
    /// `今週土曜`: in this week (Monday to Sunday), even if already past.
    ThisWeek,
    /// `来週金曜` (1) / `再来週金曜` (2): in the week that many weeks after this one.
    WeeksAhead(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSpec {
    Ymd(i32, u32, u32),
    /// Month and day, the year left out.
    Md(u32, u32),
    /// `a/b` (optionally `/year`): month/day in Japanese, either way round in English.
    Slash(u32, u32, Option<i32>),
    /// `18日`: a day of this month or the next.
    Day(u32),
    /// Today plus this many days.
    InDays(i64),
    Weekday(u8, WeekdayMode),
}

/// What a phrase says, field by field; `resolve` turns it into instants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phrase {
    pub date: Option<DateSpec>,
    /// Seconds after the date's midnight; past 24 h for `夜1時` (the night after the date).
    pub time: Option<u32>,
    /// After `〜` / `to`: the end's own date and time, if written.
    pub end_date: Option<DateSpec>,
    pub end_time: Option<u32>,
    pub ranged: bool,
    /// A weekday written beside a full date (`12月18日(金)`, `Fri, Dec 18`): must agree.
    pub weekday: Option<u8>,
    /// `in 2 hours`, `3日後`: from now.
    pub offset: Option<TimeDelta>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Am,
    Pm,
    Morning,
    Daytime,
    Evening,
    Night,
}

fn period_of(w: Word) -> Option<Period> {
    Some(match w {
        Word::Am => Period::Am,
        Word::Pm => Period::Pm,
        Word::Morning => Period::Morning,
        Word::Daytime => Period::Daytime,
        Word::Evening => Period::Evening,
        Word::Night => Period::Night,
        _ => return None,
    })
}

/// An hour as qualified: `7pm`, `午後7時`, `夜7時`, `19:00`, `19時`.
fn seconds(h: u32, m: u32, s: u32, period: Option<Period>) -> Result<u32, TimeError> {
    if m >= 60 || s >= 60 {
        return Err(TimeError::Impossible);
    }
    let hour = match period {
        None if h <= 23 => h,
        Some(Period::Am) if h <= 12 => h % 12,
        Some(Period::Pm) if h <= 12 => h % 12 + 12,
        Some(Period::Morning) if h <= 11 => h,
        Some(Period::Daytime) if h == 11 || h == 12 => h,
        Some(Period::Daytime) if (1..=5).contains(&h) => h + 12,
        Some(Period::Evening) if (1..=11).contains(&h) => h + 12,
        Some(Period::Evening) if (12..=23).contains(&h) => h,
        // 夜1時 is the small hours after the evening of that date.
        Some(Period::Night) if h <= 4 => h + 24,
        Some(Period::Night) if (5..=11).contains(&h) => h + 12,
        Some(Period::Night) if h == 12 => 24,
        Some(Period::Night) if h <= 23 => h,
        _ => return Err(TimeError::Impossible),
    };
    Ok(hour * 3600 + m * 60 + s)
}

struct Parser<'a> {
    toks: &'a [Tok],
    i: usize,
    phrase: Phrase,
    /// `夜` / `今夜` / `午後` waiting for the time it qualifies.
    period: Option<Period>,
    /// A bare hour before 〜 (`19〜21時`, `7-9pm`): it takes the end's qualifier.
    bare_hour: Option<u32>,
    /// A weekday with no `来週` / `next` before it: the date, unless a date is also written.
    lone_weekday: Option<u8>,
    /// How the start's hour was qualified, for an end written bare.
    start_period: Option<Period>,
}

/// Read the tokens of a phrase.
pub fn parse(toks: &[Tok]) -> Result<Phrase, TimeError> {
    let mut p = Parser {
        toks,
        i: 0,
        phrase: Phrase::default(),
        period: None,
        bare_hour: None,
        lone_weekday: None,
        start_period: None,
    };
    while p.i < toks.len() {
        p.step()?;
    }
    p.finish()
}

impl Parser<'_> {
    fn at(&self, k: usize) -> Option<Tok> {
        self.toks.get(self.i + k).copied()
    }

    fn word(&self, k: usize) -> Option<Word> {
        match self.at(k) {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn num(&self, k: usize) -> Option<(u32, usize)> {
        match self.at(k) {
            Some(Tok::Num(n, d)) => Some((n, d)),
            _ => None,
        }
    }

    fn step(&mut self) -> Result<(), TimeError> {
        if let Some(n) = self.offset() {
            return n;
        }
        if let Some((spec, used)) = self.date()? {
            self.i += used;
            return self.set_date(spec);
        }
        if let Some((secs, used)) = self.time()? {
            self.i += used;
            return self.set_time(secs);
        }
        match self.at(0) {
            Some(Tok::Word(Word::Filler) | Tok::Comma) => {
                self.i += 1;
                Ok(())
            }
            Some(Tok::Word(Word::RangeTo) | Tok::Dash) => self.range(),
            Some(Tok::Word(w)) if period_of(w).is_some() => {
                if self.period.is_some() {
                    return Err(TimeError::Unreadable);
                }
                self.period = period_of(w);
                self.i += 1;
                Ok(())
            }
            Some(Tok::Word(Word::Weekday(wd))) if !self.phrase.ranged => {
                if self.lone_weekday.replace(wd).is_some() {
                    return Err(TimeError::Unreadable);
                }
                self.i += 1;
                Ok(())
            }
            Some(Tok::Num(h, _))
                if self.bare_hour.is_none()
                    && !self.phrase.ranged
                    && matches!(self.at(1), Some(Tok::Word(Word::RangeTo) | Tok::Dash)) =>
            {
                self.bare_hour = Some(h);
                self.i += 1;
                Ok(())
            }
            _ => Err(TimeError::Unreadable),
        }
    }

    fn range(&mut self) -> Result<(), TimeError> {
        let started = self.phrase.time.is_some() || self.bare_hour.is_some();
        if self.phrase.ranged || !started {
            return Err(TimeError::Unreadable);
        }
        self.phrase.ranged = true;
        self.i += 1;
        Ok(())
    }

    fn set_date(&mut self, spec: DateSpec) -> Result<(), TimeError> {
        let slot = if self.phrase.ranged {
            &mut self.phrase.end_date
        } else {
            &mut self.phrase.date
        };
        if slot.replace(spec).is_some() {
            return Err(TimeError::Unreadable);
        }
        Ok(())
    }

    fn set_time(&mut self, secs: u32) -> Result<(), TimeError> {
        let slot = if self.phrase.ranged {
            &mut self.phrase.end_time
        } else {
            &mut self.phrase.time
        };
        if slot.replace(secs).is_some() {
            return Err(TimeError::Unreadable);
        }
        Ok(())
    }

    /// `in 2 hours`, `in 1h30m`, `2時間後`, `1時間半後`, `3日後`, `2週間後`.
    fn offset(&mut self) -> Option<Result<(), TimeError>> {
        let english = self.word(0) == Some(Word::In);
        let mut k = usize::from(english);
        let mut total = TimeDelta::zero();
        let mut parts = 0;
        while parts < 4 {
            let Some((n, _)) = self.num(k) else { break };
            let n = i64::from(n);
            let unit = match (english, self.word(k + 1)) {
                (true, Some(Word::UnitMinutes)) | (false, Some(Word::Fun)) => TimeDelta::minutes(n),
                (true, Some(Word::UnitHours)) | (false, Some(Word::Hours)) => TimeDelta::hours(n),
                (true, Some(Word::UnitDays)) | (false, Some(Word::Nichi)) => TimeDelta::days(n),
                (true, Some(Word::UnitWeeks)) | (false, Some(Word::Weeks)) => TimeDelta::weeks(n),
                _ => break,
            };
            total += unit;
            k += 2;
            parts += 1;
            if !english && self.word(k - 1) == Some(Word::Hours) && self.word(k) == Some(Word::Han)
            {
                total += TimeDelta::minutes(30);
                k += 1;
            }
            if english && self.word(k) == Some(Word::Filler) && self.num(k + 1).is_some() {
                k += 1;
            }
        }
        if parts == 0 {
            return english.then_some(Err(TimeError::Unreadable));
        }
        if !english {
            if self.word(k) != Some(Word::Later) {
                return None;
            }
            k += 1;
        }
        self.i += k;
        if self.phrase.offset.replace(total).is_some() || self.phrase.ranged {
            return Some(Err(TimeError::Unreadable));
        }
        // Ten years ahead is far enough for anything anyone schedules here.
        if total > TimeDelta::days(3660) {
            return Some(Err(TimeError::Impossible));
        }
        Some(Ok(()))
    }

    fn date(&mut self) -> Result<Option<(DateSpec, usize)>, TimeError> {
        let sep = |t: Option<Tok>| matches!(t, Some(Tok::Dash | Tok::Slash | Tok::Dot));
        let year = |n: u32| i32::try_from(n).map_err(|_| TimeError::Unreadable);
        match (self.at(0), self.at(1)) {
            // 2026-12-18, 2026/12/18, 2026.12.18
            (Some(Tok::Num(y, 4)), s1) if sep(s1) && self.at(3) == s1 => {
                if let (Some((m, _)), Some((d, _))) = (self.num(2), self.num(4)) {
                    return Ok(Some((DateSpec::Ymd(year(y)?, m, d), 5)));
                }
                Err(TimeError::Unreadable)
            }
            // 2026年12月18日
            (Some(Tok::Num(y, 4)), Some(Tok::Word(Word::Nen))) => {
                match (self.num(2), self.word(3), self.num(4), self.word(5)) {
                    (Some((m, _)), Some(Word::Gatsu), Some((d, _)), Some(Word::Nichi)) => {
                        Ok(Some((DateSpec::Ymd(year(y)?, m, d), 6)))
                    }
                    _ => Err(TimeError::Unreadable),
                }
            }
            // 12月18日 (日 may be left out)
            (Some(Tok::Num(m, _)), Some(Tok::Word(Word::Gatsu))) => {
                let Some((d, _)) = self.num(2) else {
                    return Err(TimeError::Unreadable);
                };
                let used = if self.word(3) == Some(Word::Nichi) {
                    4
                } else {
                    3
                };
                Ok(Some((DateSpec::Md(m, d), used)))
            }
            // 12/18, 12/18/2026
            (Some(Tok::Num(a, ad)), Some(Tok::Slash)) if ad <= 2 => {
                let Some((b, _)) = self.num(2).filter(|(_, d)| *d <= 2) else {
                    return Err(TimeError::Unreadable);
                };
                if self.at(3) == Some(Tok::Slash) {
                    return match self.num(4) {
                        Some((y, 4)) => Ok(Some((DateSpec::Slash(a, b, Some(year(y)?)), 5))),
                        _ => Err(TimeError::Unreadable),
                    };
                }
                Ok(Some((DateSpec::Slash(a, b, None), 3)))
            }
            // 18日 (but not 3日後, read as a length of time before this)
            (Some(Tok::Num(d, _)), Some(Tok::Word(Word::Nichi))) => Ok(Some((DateSpec::Day(d), 2))),
            // Dec 18, Dec. 18th, 2026
            (Some(Tok::Word(Word::Month(m))), _) => {
                let k = if self.at(1) == Some(Tok::Dot) { 2 } else { 1 };
                let Some((d, _)) = self.num(k).filter(|(_, dd)| *dd <= 2) else {
                    return Err(TimeError::Unreadable);
                };
                let (spec, used) = self.year_after(u32::from(m), d, k + 1)?;
                Ok(Some((spec, used)))
            }
            // 18 Dec, 18th of December 2026
            (Some(Tok::Num(d, dd)), _) if dd <= 2 => {
                let mut k = 1;
                if self.word(k) == Some(Word::Ordinal) {
                    k += 1;
                }
                if self.word(k) == Some(Word::Filler) {
                    k += 1;
                }
                let Some(Word::Month(m)) = self.word(k) else {
                    return Ok(None);
                };
                let (spec, used) = self.year_after(u32::from(m), d, k + 1)?;
                Ok(Some((spec, used)))
            }
            (Some(Tok::Word(Word::Today)), _) => Ok(Some((DateSpec::InDays(0), 1))),
            (Some(Tok::Word(Word::Tomorrow)), _) => Ok(Some((DateSpec::InDays(1), 1))),
            (Some(Tok::Word(Word::DayAfter)), _) => Ok(Some((DateSpec::InDays(2), 1))),
            (Some(Tok::Word(Word::Day)), Some(Tok::Word(Word::After)))
                if self.word(2) == Some(Word::Tomorrow) =>
            {
                Ok(Some((DateSpec::InDays(2), 3)))
            }
            (Some(Tok::Word(Word::Tonight)), _) => {
                if self.period.replace(Period::Night).is_some() {
                    return Err(TimeError::Unreadable);
                }
                Ok(Some((DateSpec::InDays(0), 1)))
            }
            (Some(Tok::Word(w)), _) => {
                let mode = match w {
                    Word::ThisWeek => WeekdayMode::ThisWeek,
                    Word::This => WeekdayMode::Coming,
                    Word::Next => WeekdayMode::Next,
                    Word::NextWeek => WeekdayMode::WeeksAhead(1),
                    Word::WeekAfterNext => WeekdayMode::WeeksAhead(2),
                    _ => return Ok(None),
                };
                let k = if self.word(1) == Some(Word::Filler) {
                    2
                } else {
                    1
                };
                let wd = match self.word(k) {
                    Some(Word::Weekday(wd)) => wd,
                    // 来週月 / 来週日: bare 月 and 日 read as weekdays after a week word.
                    Some(Word::Gatsu) => 0,
                    Some(Word::Nichi) => 6,
                    _ => return Err(TimeError::Unreadable),
                };
                Ok(Some((DateSpec::Weekday(wd, mode), k + 1)))
            }
            _ => Ok(None),
        }
    }

    /// After a month and day, an optional ordinal, comma and four-digit year.
    fn year_after(&self, m: u32, d: u32, mut k: usize) -> Result<(DateSpec, usize), TimeError> {
        if self.word(k) == Some(Word::Ordinal) {
            k += 1;
        }
        let comma = usize::from(self.at(k) == Some(Tok::Comma));
        if let Some((y, 4)) = self.num(k + comma) {
            let y = i32::try_from(y).map_err(|_| TimeError::Unreadable)?;
            return Ok((DateSpec::Ymd(y, m, d), k + comma + 1));
        }
        Ok((DateSpec::Md(m, d), k))
    }

    /// A time of day, with what qualifies it: `19:30`, `7:30pm`, `7pm`, `7.30pm`, `19時`,
    /// `19時30分`, `7時半`, `午後7時`, `正午`, `noon`, `midnight`.
    fn time(&mut self) -> Result<Option<(u32, usize)>, TimeError> {
        let (prefix, k) = match self.word(0).and_then(period_of) {
            Some(p) if self.num(1).is_some() => (Some(p), 1),
            Some(p) if self.word(1) == Some(Word::Filler) && self.num(2).is_some() => (Some(p), 2),
            _ => (None, 0),
        };
        match self.word(k) {
            Some(Word::Noon) => return Ok(Some((12 * 3600, k + 1))),
            Some(Word::Midnight) => return Ok(Some((0, k + 1))),
            _ => {}
        }
        let Some((h, _)) = self.num(k) else {
            return Ok(None);
        };
        let (m, s, mut used) = match (self.at(k + 1), self.num(k + 2)) {
            (Some(Tok::Colon), Some((m, 2))) => match (self.at(k + 3), self.num(k + 4)) {
                (Some(Tok::Colon), Some((s, 2))) => (m, s, k + 5),
                _ => (m, 0, k + 3),
            },
            (Some(Tok::Colon), _) => return Err(TimeError::Unreadable),
            (Some(Tok::Dot), Some((m, 2)))
                if matches!(self.word(k + 3), Some(Word::Am | Word::Pm)) =>
            {
                (m, 0, k + 3)
            }
            (Some(Tok::Word(Word::Ji)), _) => match (self.num(k + 2), self.word(k + 3)) {
                (Some((m, _)), Some(Word::Fun)) => (m, 0, k + 4),
                _ if self.word(k + 2) == Some(Word::Han) => (30, 0, k + 3),
                _ => (0, 0, k + 2),
            },
            (Some(Tok::Word(Word::Am | Word::Pm)), _) => (0, 0, k + 1),
            _ => return Ok(None),
        };
        let suffix = match self.word(used) {
            Some(Word::Am) => Some(Period::Am),
            Some(Word::Pm) => Some(Period::Pm),
            _ => None,
        };
        if suffix.is_some() {
            // English hours run 12, 1 … 11: there is no 0am or 13pm.
            if !(1..=12).contains(&h) {
                return Err(TimeError::Impossible);
            }
            used += 1;
        }
        let pending = self.period.take();
        let period = suffix.or(prefix).or(pending);
        let mut secs = seconds(h, m, s, period)?;
        if period.is_none() && self.phrase.ranged {
            // 夜7時半〜9時半: an end written bare is read like the start, if that is later.
            let carried = self.start_period.map(|p| seconds(h, m, s, Some(p)));
            if let (Some(Ok(carried)), Some(start)) = (carried, self.phrase.time)
                && carried > start
            {
                secs = carried;
            }
        }
        if !self.phrase.ranged {
            self.start_period = period;
        }
        if let Some(bare) = self.bare_hour.take() {
            // 19〜21時, 7-9pm: the start is read the way the end is written.
            let mut start = seconds(bare, 0, 0, period)?;
            if start >= secs && start >= 12 * 3600 && period == Some(Period::Pm) {
                start -= 12 * 3600;
            }
            self.phrase.time = Some(start);
        }
        Ok(Some((secs, used)))
    }

    fn finish(mut self) -> Result<Phrase, TimeError> {
        // A period after its time (`7時 夜`) or a bare hour with no end: not ours.
        if self.bare_hour.is_some() || (self.period.is_some() && self.phrase.time.is_some()) {
            return Err(TimeError::Unreadable);
        }
        if self.phrase.ranged && self.phrase.end_time.is_none() {
            return Err(TimeError::Unreadable);
        }
        if let Some(wd) = self.lone_weekday {
            match self.phrase.date {
                Some(DateSpec::Ymd(..) | DateSpec::Md(..) | DateSpec::Slash(..)) => {
                    self.phrase.weekday = Some(wd);
                }
                None if self.phrase.offset.is_none() => {
                    self.phrase.date = Some(DateSpec::Weekday(wd, WeekdayMode::Coming));
                }
                _ => return Err(TimeError::Unreadable),
            }
        }
        if let Some(offset) = self.phrase.offset {
            // 3日後 19時 / in 3 days at 7pm: a day, then its time.
            let whole_days = offset.num_seconds() % 86_400 == 0;
            match (self.phrase.date, self.phrase.time) {
                (None, Some(_)) if whole_days => {
                    self.phrase.date = Some(DateSpec::InDays(offset.num_days()));
                    self.phrase.offset = None;
                }
                (None, None) => {}
                _ => return Err(TimeError::Unreadable),
            }
        }
        Ok(self.phrase)
    }
}
