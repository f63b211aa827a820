//! Writing instants for people: `<t:…>` markers and the full local form they render to.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::i18n::Locale;

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

/// `2026年12月18日(金) 19:00 JST` / `Fri, Dec 18, 2026 19:00 JST`. When the zone has that wall
/// time twice under one name (a change of standard offset), the offset follows
/// (`01:30 MSK +03:00`), so every instant written here reads back as itself.
pub fn format_local(at: DateTime<Utc>, tz: Tz, locale: Locale) -> String {
    let local = at.with_timezone(&tz);
    let mut out = format!(
        "{} {}",
        format_date(local.date_naive(), locale),
        local.format("%H:%M %Z")
    );
    if let LocalResult::Ambiguous(a, b) = tz.from_local_datetime(&local.naive_local())
        && a.format("%Z").to_string() == b.format("%Z").to_string()
    {
        out.push_str(&local.format(" %:z").to_string());
    }
    out
}

/// `2026年12月18日(金)` / `Fri, Dec 18, 2026`.
pub fn format_date(date: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::Ja => {
            const DAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
            let wd = DAYS[date.weekday().num_days_from_monday() as usize];
            format!("{}({wd})", date.format("%Y年%-m月%-d日"))
        }
        Locale::En => date.format("%a, %b %-d, %Y").to_string(),
    }
}

/// An instant as one choice to type back, whatever the reader's zone: `2027-03-14 01:30-05:00`.
pub fn format_choice(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M%:z")
        .to_string()
}
