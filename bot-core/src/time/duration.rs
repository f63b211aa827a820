//! Durations as typed (`2h`, `1h30m`, `2時間`) and as written back.

use chrono::TimeDelta;

use crate::i18n::Locale;

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
