//! iCalendar (RFC 5545) for one event, written by hand: it is a small, fixed shape.
//! Times are UTC (`…Z`), which every calendar app imports without a VTIMEZONE block; a
//! repeating event carries its RRULE. Lines are CRLF-terminated and folded at 75 octets.

use chrono::{DateTime, Utc};

use crate::event::Event;

pub fn calendar(e: &Event, community: &str, now: DateTime<Utc>) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//alumni-bot//events//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:event-{}-{}@alumni-bot", e.community_id, e.id),
        format!("DTSTAMP:{}", stamp(now)),
        format!("DTSTART:{}", stamp(e.starts_at)),
        format!("DTEND:{}", stamp(e.starts_at + e.duration)),
        format!("SUMMARY:{}", escape(&e.title)),
        format!("DESCRIPTION:{}", escape(&format!("{community} #{}", e.id))),
    ];
    if let Some(location) = &e.location {
        lines.push(format!("LOCATION:{}", escape(location)));
    }
    if let Some(rule) = &e.rrule {
        lines.push(format!("RRULE:{}", utc_until(rule)));
    }
    if e.cancelled {
        lines.push("STATUS:CANCELLED".to_owned());
    }
    lines.push("END:VEVENT".to_owned());
    lines.push("END:VCALENDAR".to_owned());
    lines.iter().map(|l| fold(l)).collect()
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// With a UTC DTSTART, RFC 5545 wants UNTIL in UTC too.
fn utc_until(rule: &str) -> String {
    rule.split(';')
        .map(|part| match part.strip_prefix("UNTIL=") {
            Some(v) if !v.ends_with('Z') && v.len() == 15 => format!("UNTIL={v}Z"),
            Some(v) if v.len() == 8 => format!("UNTIL={v}T235959Z"),
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Fold at 75 octets without splitting a UTF-8 character; continuation lines start with a space.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_on_character_boundaries_and_escapes() {
        let long = format!("SUMMARY:{}", "アルムナイ交流会".repeat(10));
        let folded = fold(&long);
        for l in folded.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        assert_eq!(folded.replace("\r\n ", "").trim_end(), long);
        assert_eq!(escape("a;b,c\nd"), "a\\;b\\,c\\nd");
        assert_eq!(
            utc_until("FREQ=WEEKLY;UNTIL=20270131"),
            "FREQ=WEEKLY;UNTIL=20270131T235959Z"
        );
    }
}
