//! Reading times people type and writing times people read.
//!
//! Typed: `2026-12-18 19:00` (in a given zone), ISO 8601 with an offset, `12月18日 19:00`,
//! `2026/12/18 19:00`; durations `2h`, `90m`, `1h30m`, `1d`; offsets lists `1d,1h`.
//! Written: replies carry Discord-style markers `<t:UNIX:F>`; Discord shows them natively, Slack
//! turns them into `<!date^…>`, the shell renders them in the reader's zone with [`render`].

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::i18n::Locale;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// Not a shape we read.
    Unreadable,
    /// A shape we read, but no such date (2026-02-30, 25:00).
    Impossible,
    /// A local time that does not exist in the zone (a DST gap).
    Skipped,
}

/// Parse a start time. Without an offset it is read in `tz`; a year-less `12月18日` is the next
/// such date after `now`.
pub fn parse_datetime(text: &str, tz: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>, TimeError> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%:z",
        "%Y-%m-%d %H:%M %:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(text, f) {
            return Ok(t.with_timezone(&Utc));
        }
    }
    let naive = parse_naive(text, tz, now)?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or(TimeError::Skipped)
}

fn parse_naive(text: &str, tz: Tz, now: DateTime<Utc>) -> Result<NaiveDateTime, TimeError> {
    let normalized: String = text
        .chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' | '\u{FF1A}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '/' | '.' => '-',
            'T' => ' ',
            '　' => ' ',
            _ => c,
        })
        .collect();
    // 12月18日 19:00 / 2026年12月18日 19時 / 12月18日 19時30分
    if normalized.contains('月') {
        return parse_japanese(&normalized, tz, now);
    }
    let (date, time) = normalized.split_once(' ').ok_or(TimeError::Unreadable)?;
    let date = parse_date_parts(date)?;
    let time = parse_time_of_day(time.trim())?;
    Ok(date.and_time(time))
}

fn parse_date_parts(date: &str) -> Result<NaiveDate, TimeError> {
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(TimeError::Unreadable);
    };
    let num = |s: &str| s.parse::<u32>().map_err(|_| TimeError::Unreadable);
    let year = i32::try_from(num(y)?).map_err(|_| TimeError::Unreadable)?;
    if !(1000..=9999).contains(&year) {
        return Err(TimeError::Unreadable);
    }
    NaiveDate::from_ymd_opt(year, num(m)?, num(d)?).ok_or(TimeError::Impossible)
}

fn parse_time_of_day(time: &str) -> Result<NaiveTime, TimeError> {
    let time = time.trim_end_matches('分');
    let (h, m) = time.split_once([':', '時']).map_or((time, "0"), |(h, m)| {
        (h, if m.is_empty() { "0" } else { m })
    });
    let h: u32 = h.trim().parse().map_err(|_| TimeError::Unreadable)?;
    let m: u32 = m.trim().parse().map_err(|_| TimeError::Unreadable)?;
    NaiveTime::from_hms_opt(h, m, 0).ok_or(TimeError::Impossible)
}

fn parse_japanese(text: &str, tz: Tz, now: DateTime<Utc>) -> Result<NaiveDateTime, TimeError> {
    let (date, time) = text.split_once('日').ok_or(TimeError::Unreadable)?;
    let (year, md) = match date.split_once('年') {
        Some((y, md)) => (
            Some(y.trim().parse::<i32>().map_err(|_| TimeError::Unreadable)?),
            md,
        ),
        None => (None, date),
    };
    let (m, d) = md.split_once('月').ok_or(TimeError::Unreadable)?;
    let m: u32 = m.trim().parse().map_err(|_| TimeError::Unreadable)?;
    let d: u32 = d.trim().parse().map_err(|_| TimeError::Unreadable)?;
    let time = parse_time_of_day(time.trim())?;
    let today = now.with_timezone(&tz).date_naive();
    let date = match year {
        Some(y) => NaiveDate::from_ymd_opt(y, m, d).ok_or(TimeError::Impossible)?,
        None => {
            let this_year = NaiveDate::from_ymd_opt(today.year(), m, d);
            match this_year {
                Some(date) if date >= today => date,
                _ => {
                    NaiveDate::from_ymd_opt(today.year() + 1, m, d).ok_or(TimeError::Impossible)?
                }
            }
        }
    };
    Ok(date.and_time(time))
}

/// `2h`, `90m`, `1h30m`, `1d`, `1w`, `45min`, `2時間`, `30分`.
pub fn parse_duration(text: &str) -> Option<TimeDelta> {
    let text = text.trim().to_lowercase();
    let mut total = TimeDelta::zero();
    let mut num = String::new();
    let mut any = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&next) = chars.peek() {
            if next.is_ascii_digit() {
                break;
            }
            unit.push(next);
            chars.next();
        }
        let n: i64 = num.parse().ok()?;
        num.clear();
        total += match unit.trim() {
            "w" | "週間" | "週" => TimeDelta::weeks(n),
            "d" | "日" => TimeDelta::days(n),
            "h" | "時間" => TimeDelta::hours(n),
            "m" | "min" | "分" => TimeDelta::minutes(n),
            _ => return None,
        };
        any = true;
    }
    if !num.is_empty() || !any {
        return None;
    }
    Some(total)
}

/// Short form for a duration: `1d`, `2h`, `1h30m`, `45m`.
pub fn format_duration(d: TimeDelta) -> String {
    let mins = d.num_minutes();
    let (days, hours, minutes) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    let mut out = String::new();
    if days > 0 {
        out.push_str(&format!("{days}d"));
    }
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if minutes > 0 || out.is_empty() {
        out.push_str(&format!("{minutes}m"));
    }
    out
}

/// A duration as people say it: `1日`, `1時間30分` / `1 day`, `1h 30m`.
pub fn say_duration(d: TimeDelta, locale: Locale) -> String {
    let mins = d.num_minutes();
    let (days, hours, minutes) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    let mut parts = Vec::new();
    let (day, hour, minute) = match locale {
        Locale::Ja => ("日", "時間", "分"),
        Locale::En => (" day", " h", " min"),
    };
    if days > 0 {
        let plural = if locale == Locale::En && days > 1 {
            "s"
        } else {
            ""
        };
        parts.push(format!("{days}{day}{plural}"));
    }
    if hours > 0 {
        parts.push(format!("{hours}{hour}"));
    }
    if minutes > 0 || parts.is_empty() {
        parts.push(format!("{minutes}{minute}"));
    }
    parts.join(if locale == Locale::Ja { "" } else { " " })
}

/// A marker for a point in time, rendered by each adapter in the reader's zone.
pub fn marker(at: DateTime<Utc>) -> String {
    format!("<t:{}:F>", at.timestamp())
}

/// Replace every `<t:UNIX:STYLE>` marker with the time in `tz`, in `locale`'s format.
pub fn render(text: &str, tz: Tz, locale: Locale) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<t:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let Some(end) = after.find('>') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let unix = after[..end]
            .split(':')
            .next()
            .and_then(|s| s.parse::<i64>().ok());
        match unix.and_then(|u| Utc.timestamp_opt(u, 0).single()) {
            Some(at) => out.push_str(&format_local(at, tz, locale)),
            None => out.push_str(&rest[start..start + 3 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `2026年12月18日(金) 19:00 JST` / `Fri, Dec 18, 2026 19:00 JST`.
pub fn format_local(at: DateTime<Utc>, tz: Tz, locale: Locale) -> String {
    let local = at.with_timezone(&tz);
    match locale {
        Locale::Ja => {
            const DAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
            let wd = DAYS[local.weekday().num_days_from_monday() as usize];
            format!(
                "{}({wd}) {}",
                local.format("%Y年%-m月%-d日"),
                local.format("%H:%M %Z")
            )
        }
        Locale::En => local.format("%a, %b %-d, %Y %H:%M %Z").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Err(TimeError::Skipped)
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
