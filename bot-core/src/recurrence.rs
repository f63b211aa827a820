//! Repeating events: `weekly`, `monthly`, `daily`, `biweekly`, or an RFC 5545 `RRULE:…`,
//! expanded with the `rrule` crate in the event's own time zone (so "every Thursday 19:00"
//! stays 19:00 across daylight-saving changes).

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rrule::RRuleSet;

/// Why a typed repeat is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatError {
    /// Not a name we know nor an RRULE the `rrule` crate reads.
    Unusable,
    /// Two occurrences less than a day apart: each would be announced and reminded.
    TooOften,
}

/// Closest two occurrences may be: a day, less an hour for a daylight-saving change.
const MIN_GAP: chrono::TimeDelta = chrono::TimeDelta::hours(23);
/// Occurrences checked for spacing: a rule's pattern shows within them (a week of hourly
/// BYHOURs, a month of BYMONTHDAYs).
const CHECKED: u16 = 64;

/// Normalise what a user typed into an RRULE body (`FREQ=WEEKLY`).
pub fn parse_repeat(text: &str) -> Result<String, RepeatError> {
    let t = text.trim();
    let rule = match t.to_ascii_lowercase().as_str() {
        "daily" | "毎日" => "FREQ=DAILY".to_owned(),
        "weekly" | "毎週" => "FREQ=WEEKLY".to_owned(),
        "biweekly" | "隔週" => "FREQ=WEEKLY;INTERVAL=2".to_owned(),
        "monthly" | "毎月" => "FREQ=MONTHLY".to_owned(),
        _ => {
            let body = t
                .strip_prefix("RRULE:")
                .or_else(|| t.strip_prefix("rrule:"))
                .ok_or(RepeatError::Unusable)?;
            body.trim().to_ascii_uppercase()
        }
    };
    // Reminders every minute or hour would be spam, not an event: refused before expanding.
    if ["SECONDLY", "MINUTELY", "HOURLY"]
        .iter()
        .any(|f| rule.contains(&format!("FREQ={f}")))
    {
        return Err(RepeatError::TooOften);
    }
    // Validate against a fixed start so the rule itself is checked, and its spacing: a
    // DAILY rule with BYHOUR/BYMINUTE lists fires as often as an HOURLY or MINUTELY one.
    let start = DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
        .map_err(|_| RepeatError::Unusable)?
        .with_timezone(&Utc);
    let dates = set(start, Tz::UTC, &rule)
        .ok_or(RepeatError::Unusable)?
        .all(CHECKED)
        .dates;
    if dates.windows(2).any(|w| w[1] - w[0] < MIN_GAP) {
        return Err(RepeatError::TooOften);
    }
    Ok(rule)
}

fn set(start: DateTime<Utc>, tz: Tz, rule: &str) -> Option<RRuleSet> {
    let local = start.with_timezone(&tz);
    let text = format!(
        "DTSTART;TZID={}:{}\nRRULE:{}",
        tz.name(),
        local.format("%Y%m%dT%H%M%S"),
        rule
    );
    RRuleSet::from_str(&text).ok()
}

/// The first occurrence starting at or after `from` (the start itself when not repeating).
pub fn next_occurrence(
    start: DateTime<Utc>,
    tz: Tz,
    rule: Option<&str>,
    from: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let Some(rule) = rule else {
        return (start >= from).then_some(start);
    };
    if start >= from {
        return Some(start);
    }
    let set = set(start, tz, rule)?;
    let after = (from - chrono::TimeDelta::seconds(1)).with_timezone(&rrule::Tz::UTC);
    // `after` is inclusive: ask for two and keep the first at or after `from`.
    set.after(after)
        .all(2)
        .dates
        .into_iter()
        .map(|d| d.with_timezone(&Utc))
        .find(|d| *d >= from)
}

/// Whether `at` is one of the event's occurrences (an RSVP button for a stale one is refused).
pub fn is_occurrence(start: DateTime<Utc>, tz: Tz, rule: Option<&str>, at: DateTime<Utc>) -> bool {
    next_occurrence(start, tz, rule, at) == Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn weekly_keeps_local_time_across_dst() {
        let london: Tz = "Europe/London".parse().unwrap();
        let start = london
            .with_ymd_and_hms(2026, 3, 19, 19, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let rule = parse_repeat("weekly").unwrap();
        let next = next_occurrence(
            start,
            london,
            Some(&rule),
            start + chrono::TimeDelta::days(2),
        )
        .unwrap();
        // 26 March is after the clocks go forward: still 19:00 local, so 18:00 UTC.
        assert_eq!(
            next.with_timezone(&london)
                .format("%m-%d %H:%M")
                .to_string(),
            "03-26 19:00"
        );
        assert!(is_occurrence(start, london, Some(&rule), next));
        assert!(!is_occurrence(
            start,
            london,
            Some(&rule),
            next + chrono::TimeDelta::hours(1)
        ));
    }

    #[test]
    fn parses_names_and_rrules_and_refuses_spam() {
        assert_eq!(parse_repeat("monthly").as_deref(), Ok("FREQ=MONTHLY"));
        assert_eq!(
            parse_repeat("RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=4").as_deref(),
            Ok("FREQ=WEEKLY;BYDAY=TH;COUNT=4")
        );
        assert_eq!(
            parse_repeat("RRULE:FREQ=HOURLY"),
            Err(RepeatError::TooOften)
        );
        assert_eq!(
            parse_repeat("RRULE:FREQ=DAILY;BYHOUR=0,12"),
            Err(RepeatError::TooOften)
        );
        // Two days a week at one hour: a day apart at least.
        assert!(parse_repeat("RRULE:FREQ=WEEKLY;BYDAY=MO,TU;BYHOUR=9").is_ok());
        assert_eq!(
            parse_repeat("RRULE:FREQ=MONTHLY;BYMONTHDAY=1,2;BYHOUR=0,23"),
            Err(RepeatError::TooOften)
        );
        assert_eq!(parse_repeat("RRULE:FREQ=NEVER"), Err(RepeatError::Unusable));
        assert_eq!(parse_repeat("fortnightly-ish"), Err(RepeatError::Unusable));
        let start = Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
        let rule = parse_repeat("RRULE:FREQ=WEEKLY;COUNT=2").unwrap();
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        assert_eq!(
            next_occurrence(
                start,
                tokyo,
                Some(&rule),
                start + chrono::TimeDelta::hours(1)
            ),
            Some(start + chrono::TimeDelta::weeks(1))
        );
        assert_eq!(
            next_occurrence(
                start,
                tokyo,
                Some(&rule),
                start + chrono::TimeDelta::days(8)
            ),
            None
        );
    }
}
