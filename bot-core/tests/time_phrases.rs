//! Times as people type them (#20), phrase by phrase: each with the instant it must be read as,
//! or the refusal it must get. "Now" is fixed: Wednesday 2026-12-02 10:00 in Tokyo
//! (this week runs Mon Nov 30 – Sun Dec 6, next week Dec 7–13).
//!
//! An expectation is `YYYY-MM-DD HH:MM` on the reader's wall clock (`…Z`: in UTC), optionally
//! `~ YYYY-MM-DD HH:MM` for the end a range sets, then ` +year` / ` +month` / ` +tomorrow` for
//! the note saying what was filled in; or `!unreadable`, `!impossible`, `!notime`, `!weekday`,
//! `!zone`, `!ambiguous FIRST SECOND` (dates), `!skipped A B` / `!repeated A B` (instants).

use bot_core::time::{self, DateOrder, Note, Reader, TimeError};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap()
}

const JA: &[(&str, &str)] = &[
    // Days
    ("今日 19時", "2026-12-02 19:00"),
    ("明日 19時", "2026-12-03 19:00"),
    ("明後日 19時", "2026-12-04 19:00"),
    ("あした 19時", "2026-12-03 19:00"),
    ("あさって 10時", "2026-12-04 10:00"),
    ("本日 19時", "2026-12-02 19:00"),
    ("今夜 8時", "2026-12-02 20:00"),
    ("今夜8時半", "2026-12-02 20:30"),
    ("今晩 9時", "2026-12-02 21:00"),
    ("今夜 11時", "2026-12-02 23:00"),
    ("今日 9時", "2026-12-02 09:00"),
    // Weekdays
    ("来週金曜 19:30", "2026-12-11 19:30"),
    ("来週金曜 夜7時半", "2026-12-11 19:30"),
    ("来週の金曜 19時", "2026-12-11 19:00"),
    ("来週金曜日 19時", "2026-12-11 19:00"),
    ("来週金 19時", "2026-12-11 19:00"),
    ("来週月 10時", "2026-12-07 10:00"),
    ("来週日 10時", "2026-12-13 10:00"),
    ("再来週月曜 9時", "2026-12-14 09:00"),
    ("次の金曜 19時", "2026-12-04 19:00"),
    ("今度の金曜 19時", "2026-12-04 19:00"),
    ("次の水曜 19時", "2026-12-09 19:00"),
    ("今週土曜 10時", "2026-12-05 10:00"),
    ("今週月曜 10時", "2026-11-30 10:00"),
    ("今週の日曜 18時", "2026-12-06 18:00"),
    ("金曜 19時", "2026-12-04 19:00"),
    ("金曜日 19時", "2026-12-04 19:00"),
    ("水曜 19時", "2026-12-02 19:00"),
    ("月曜 19時", "2026-12-07 19:00"),
    ("来週水曜日の朝10時", "2026-12-09 10:00"),
    // Dates
    ("12月18日 19時", "2026-12-18 19:00"),
    ("12月18日 19:00", "2026-12-18 19:00"),
    ("12月18日19時", "2026-12-18 19:00"),
    ("12/18 19:00", "2026-12-18 19:00"),
    ("12/18 19時", "2026-12-18 19:00"),
    ("2026年12月18日 19時", "2026-12-18 19:00"),
    ("2026/12/18 19:00", "2026-12-18 19:00"),
    ("2026-12-18 19:00", "2026-12-18 19:00"),
    ("2026-12-18T19:00", "2026-12-18 19:00"),
    ("2026.12.18 19:00", "2026-12-18 19:00"),
    ("2026-12-18 19:00:00", "2026-12-18 19:00"),
    ("12月18日(金) 19:00", "2026-12-18 19:00"),
    ("12/18(金) 19:00", "2026-12-18 19:00"),
    ("2026年12月18日(金) 19:00 JST", "2026-12-18 19:00"),
    ("12月18日 19時 JST", "2026-12-18 19:00"),
    ("12月2日 19時", "2026-12-02 19:00"),
    ("18日 19時", "2026-12-18 19:00"),
    ("2027年1月5日 10時", "2027-01-05 10:00"),
    // Year, month and day filled in, and said
    ("1月5日 10時", "2027-01-05 10:00 +year"),
    ("12月1日 10時", "2027-12-01 10:00 +year"),
    ("12/1 19時", "2027-12-01 19:00 +year"),
    ("1/5 19時", "2027-01-05 19:00 +year"),
    ("1日 19時", "2027-01-01 19:00 +month"),
    ("9時", "2026-12-03 09:00 +tomorrow"),
    ("午前9時", "2026-12-03 09:00 +tomorrow"),
    ("朝9時", "2026-12-03 09:00 +tomorrow"),
    ("午前0時", "2026-12-03 00:00 +tomorrow"),
    // Times of day
    ("19時", "2026-12-02 19:00"),
    ("19時30分", "2026-12-02 19:30"),
    ("19時半", "2026-12-02 19:30"),
    ("夜7時", "2026-12-02 19:00"),
    ("午後7時半", "2026-12-02 19:30"),
    ("午後7時", "2026-12-02 19:00"),
    ("正午", "2026-12-02 12:00"),
    ("午後0時", "2026-12-02 12:00"),
    ("明日 正午", "2026-12-03 12:00"),
    ("明日 朝9時", "2026-12-03 09:00"),
    ("明日 午後3時", "2026-12-03 15:00"),
    ("明日 昼1時", "2026-12-03 13:00"),
    ("明日 昼12時", "2026-12-03 12:00"),
    ("明日 夕方6時", "2026-12-03 18:00"),
    ("明日 夜12時", "2026-12-04 00:00"),
    ("明日 夜1時", "2026-12-04 01:00"),
    ("明日 深夜2時", "2026-12-04 02:00"),
    ("明日の19時", "2026-12-03 19:00"),
    ("明日19時ごろ", "2026-12-03 19:00"),
    ("明日 夜の7時", "2026-12-03 19:00"),
    // Full-width digits and spaces
    ("来週金曜夜７時半", "2026-12-11 19:30"),
    ("１２月１８日　１９時", "2026-12-18 19:00"),
    ("明日　１９：３０", "2026-12-03 19:30"),
    ("２０２６年１２月１８日 １９時", "2026-12-18 19:00"),
    ("１９時〜２１時", "2026-12-02 19:00 ~ 2026-12-02 21:00"),
    // Ranges: the end
    ("19時〜21時", "2026-12-02 19:00 ~ 2026-12-02 21:00"),
    ("明日 19時〜21時", "2026-12-03 19:00 ~ 2026-12-03 21:00"),
    ("明日 19:00〜21:30", "2026-12-03 19:00 ~ 2026-12-03 21:30"),
    ("明日 19〜21時", "2026-12-03 19:00 ~ 2026-12-03 21:00"),
    ("明日 夜7〜9時", "2026-12-03 19:00 ~ 2026-12-03 21:00"),
    ("明日 22時〜1時", "2026-12-03 22:00 ~ 2026-12-04 01:00"),
    (
        "明日 19時から21時まで",
        "2026-12-03 19:00 ~ 2026-12-03 21:00",
    ),
    ("明日 19:00-21:00", "2026-12-03 19:00 ~ 2026-12-03 21:00"),
    ("明日 19:00~21:00", "2026-12-03 19:00 ~ 2026-12-03 21:00"),
    (
        "12月18日 19時～12月19日 2時",
        "2026-12-18 19:00 ~ 2026-12-19 02:00",
    ),
    (
        "12月18日(金)19時〜21時",
        "2026-12-18 19:00 ~ 2026-12-18 21:00",
    ),
    (
        "来週金曜 夜7時半〜9時半",
        "2026-12-11 19:30 ~ 2026-12-11 21:30",
    ),
    // Lengths of time from now
    ("2時間後", "2026-12-02 12:00"),
    ("30分後", "2026-12-02 10:30"),
    ("1時間半後", "2026-12-02 11:30"),
    ("1時間30分後", "2026-12-02 11:30"),
    ("3日後 19時", "2026-12-05 19:00"),
    ("1週間後 19時", "2026-12-09 19:00"),
    // ISO 8601 with an offset: an instant, whatever the zone
    ("2026-12-18T19:00:00+09:00", "2026-12-18 19:00"),
    ("2026-12-18T10:00Z", "2026-12-18 19:00"),
    ("2026-12-18 19:00+09:00", "2026-12-18 19:00"),
    ("2026-12-18 10:00 +00:00", "2026-12-18 19:00"),
    // Refused
    ("明日", "!notime"),
    ("今夜", "!notime"),
    ("来週金曜", "!notime"),
    ("12月18日", "!notime"),
    ("2026-02-30 19:00", "!impossible"),
    ("2月30日 19時", "!impossible"),
    ("25時", "!impossible"),
    ("19時61分", "!impossible"),
    ("13月1日 19時", "!impossible"),
    ("午後13時", "!impossible"),
    ("朝13時", "!impossible"),
    ("12月18日(木) 19:00", "!weekday"),
    ("明日 19時 PST", "!zone"),
    ("明日 19時 明後日", "!unreadable"),
    ("19時 20時", "!unreadable"),
    ("19時〜", "!unreadable"),
    ("〜21時", "!unreadable"),
    ("19時〜20時〜21時", "!unreadable"),
    ("そのうち", "!unreadable"),
    ("明日 7", "!unreadable"),
    ("来週", "!unreadable"),
    ("来週 19時", "!unreadable"),
    ("", "!unreadable"),
    ("　", "!unreadable"),
    ("19時 夜", "!unreadable"),
    ("2時間後 19時", "!unreadable"),
];

const EN: &[(&str, &str)] = &[
    ("tomorrow 7pm", "2026-12-03 19:00"),
    ("tomorrow at 7pm", "2026-12-03 19:00"),
    ("Tomorrow 7 PM", "2026-12-03 19:00"),
    ("tomorrow 7:30 p.m.", "2026-12-03 19:30"),
    ("tomorrow 7.30pm", "2026-12-03 19:30"),
    ("tomorrow 19:30", "2026-12-03 19:30"),
    ("7pm tomorrow", "2026-12-03 19:00"),
    ("tmrw 7pm", "2026-12-03 19:00"),
    ("today 7pm", "2026-12-02 19:00"),
    ("tonight at 8pm", "2026-12-02 20:00"),
    ("tonight 8:30", "2026-12-02 20:30"),
    ("next Friday 19:30", "2026-12-04 19:30"),
    ("next friday at 7:30pm", "2026-12-04 19:30"),
    ("this friday 7pm", "2026-12-04 19:00"),
    ("friday 7pm", "2026-12-04 19:00"),
    ("Fri 7pm", "2026-12-04 19:00"),
    ("wednesday 7pm", "2026-12-02 19:00"),
    ("next wednesday 7pm", "2026-12-09 19:00"),
    ("on monday at 9am", "2026-12-07 09:00"),
    ("Dec 18 7:30pm", "2026-12-18 19:30"),
    ("December 18th 7:30pm", "2026-12-18 19:30"),
    ("Dec. 18, 7:30pm", "2026-12-18 19:30"),
    ("18 Dec 19:30", "2026-12-18 19:30"),
    ("the 18th of December at 7:30pm", "2026-12-18 19:30"),
    ("Dec 18, 2026 7:30pm", "2026-12-18 19:30"),
    ("Fri, Dec 18, 2026 19:30 JST", "2026-12-18 19:30"),
    ("Jan 5 10am", "2027-01-05 10:00 +year"),
    ("in 2 hours", "2026-12-02 12:00"),
    ("in 90 minutes", "2026-12-02 11:30"),
    ("in 1h30m", "2026-12-02 11:30"),
    ("in 1 hour and 30 minutes", "2026-12-02 11:30"),
    ("in 3 days at 7pm", "2026-12-05 19:00"),
    ("in 2 weeks at 10am", "2026-12-16 10:00"),
    ("noon", "2026-12-02 12:00"),
    ("tomorrow noon", "2026-12-03 12:00"),
    ("tomorrow at noon", "2026-12-03 12:00"),
    ("tomorrow midnight", "2026-12-03 00:00"),
    ("7pm", "2026-12-02 19:00"),
    ("9am", "2026-12-03 09:00 +tomorrow"),
    ("12am tomorrow", "2026-12-03 00:00"),
    ("12pm tomorrow", "2026-12-03 12:00"),
    ("tomorrow 7-9pm", "2026-12-03 19:00 ~ 2026-12-03 21:00"),
    ("tomorrow 7pm to 9pm", "2026-12-03 19:00 ~ 2026-12-03 21:00"),
    ("tomorrow 7pm-9pm", "2026-12-03 19:00 ~ 2026-12-03 21:00"),
    (
        "tomorrow 10pm to 1am",
        "2026-12-03 22:00 ~ 2026-12-04 01:00",
    ),
    ("tomorrow 11-1pm", "2026-12-03 11:00 ~ 2026-12-03 13:00"),
    ("day after tomorrow 7pm", "2026-12-04 19:00"),
    ("the day after tomorrow at 7pm", "2026-12-04 19:00"),
    ("12/18 7pm", "2026-12-18 19:00"),
    ("18/12 7pm", "2026-12-18 19:00"),
    ("12/12 7pm", "2026-12-12 19:00"),
    ("12/18/2026 7pm", "2026-12-18 19:00"),
    ("12/1 7pm", "!ambiguous 2027-12-01 2027-01-12"),
    ("1/12 7pm", "!ambiguous 2027-01-12 2027-12-01"),
    ("tomorrow", "!notime"),
    ("tonight", "!notime"),
    ("next friday", "!notime"),
    ("13pm", "!impossible"),
    ("0am", "!impossible"),
    ("tomorrow 25:00", "!impossible"),
    ("Feb 30 7pm", "!impossible"),
    ("Thu, Dec 18, 2026 19:30", "!weekday"),
    ("soon", "!unreadable"),
    ("in", "!unreadable"),
    ("in hours", "!unreadable"),
    ("next", "!unreadable"),
    ("next week", "!unreadable"),
    ("tomorrow tomorrow 7pm", "!unreadable"),
    ("7", "!unreadable"),
    ("at 7", "!unreadable"),
    ("yesterday 7pm", "!unreadable"),
    ("tomorrow-ish", "!unreadable"),
];

/// New York: daylight saving ends 2027-11-07 (01:00–02:00 twice) and starts 2027-03-14
/// (02:00–03:00 skipped). Now is Tuesday Dec 1, 20:00 EST there.
const NEW_YORK: &[(&str, &str)] = &[
    (
        "2027-03-14 02:30",
        "!skipped 2027-03-14 06:30Z 2027-03-14 07:30Z",
    ),
    (
        "Mar 14 2:30am",
        "!skipped 2027-03-14 06:30Z 2027-03-14 07:30Z",
    ),
    (
        "2027-11-07 01:30",
        "!repeated 2027-11-07 05:30Z 2027-11-07 06:30Z",
    ),
    (
        "Nov 7, 2027 1:30am",
        "!repeated 2027-11-07 05:30Z 2027-11-07 06:30Z",
    ),
    ("2027-11-07 01:30 EDT", "2027-11-07 05:30Z"),
    ("2027-11-07 01:30 EST", "2027-11-07 06:30Z"),
    ("2027-11-07 01:30-04:00", "2027-11-07 05:30Z"),
    ("2027-11-07 01:30 -05:00", "2027-11-07 06:30Z"),
    ("Sun, Nov 7, 2027 01:30 EST", "2027-11-07 06:30Z"),
    ("2027-03-14 03:30", "2027-03-14 07:30Z"),
    ("2027-03-14 01:59", "2027-03-14 06:59Z"),
    ("tomorrow 7pm", "2026-12-03 00:00Z"),
    ("7pm", "2026-12-03 00:00Z +tomorrow"),
    ("tonight 9pm", "2026-12-02 02:00Z"),
    ("Dec 18 7:30pm JST", "!zone"),
    ("12/1 7pm", "!ambiguous 2026-12-01 2027-01-12"),
];

fn local(text: &str, tz: Tz) -> DateTime<Utc> {
    if let Some(utc) = text.strip_suffix('Z') {
        let naive = NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M").unwrap();
        return Utc.from_utc_datetime(&naive);
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .unwrap_or_else(|e| panic!("expectation {text:?}: {e}"));
    tz.from_local_datetime(&naive)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// What `time::read` gives: the start, the end a range set, and what was filled in.
type Reading = (DateTime<Utc>, Option<DateTime<Utc>>, Vec<Note>);

/// `expect` as a result of `time::read`.
fn expected(expect: &str, tz: Tz) -> Result<Reading, TimeError> {
    if let Some(refusal) = expect.strip_prefix('!') {
        let words: Vec<&str> = refusal.split(' ').collect();
        let pair = |k: usize| format!("{} {}", words[k], words[k + 1]);
        return Err(match words[0] {
            "unreadable" => TimeError::Unreadable,
            "impossible" => TimeError::Impossible,
            "notime" => TimeError::NoTime,
            "ambiguous" => TimeError::AmbiguousDate {
                first: date(words[1]),
                second: date(words[2]),
            },
            "skipped" => TimeError::Skipped {
                earlier: local(&pair(1), tz),
                later: local(&pair(3), tz),
            },
            "repeated" => TimeError::Repeated {
                earlier: local(&pair(1), tz),
                later: local(&pair(3), tz),
            },
            // Checked by kind below: their details are the reader's, not the table's.
            "weekday" => TimeError::WeekdayMismatch {
                date: NaiveDate::MIN,
            },
            "zone" => TimeError::ZoneMismatch {
                given: String::new(),
            },
            other => panic!("unknown refusal {other}"),
        });
    }
    let (times, note) = match expect.split_once(" +") {
        Some((times, note)) => (times, Some(note)),
        None => (expect, None),
    };
    let (at, end) = match times.split_once(" ~ ") {
        Some((at, end)) => (local(at, tz), Some(local(end, tz))),
        None => (local(times, tz), None),
    };
    let notes = match note {
        Some("year") => vec![Note::NextYear(at.with_timezone(&tz).year())],
        Some("month") => vec![Note::NextMonth],
        Some("tomorrow") => vec![Note::Tomorrow],
        Some(other) => panic!("unknown note {other}"),
        None => vec![],
    };
    Ok((at, end, notes))
}

fn check(table: &[(&str, &str)], tz: Tz, order: DateOrder) -> usize {
    let reader = Reader::new(tz, now(), order);
    let mut failures = Vec::new();
    for (text, expect) in table {
        let got = time::read(text, &reader).map(|r| (r.at, r.end, r.notes));
        let want = expected(expect, tz);
        let same = match (&got, &want) {
            (Err(TimeError::WeekdayMismatch { .. }), Err(TimeError::WeekdayMismatch { .. }))
            | (Err(TimeError::ZoneMismatch { .. }), Err(TimeError::ZoneMismatch { .. })) => true,
            _ => got == want,
        };
        if !same {
            failures.push(format!("{text:?}: got {got:?}, want {expect}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    table.len()
}

#[test]
fn phrases_are_read_as_people_mean_them() {
    let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
    let new_york: Tz = "America/New_York".parse().unwrap();
    let count = check(JA, tokyo, DateOrder::MonthFirst)
        + check(EN, tokyo, DateOrder::Ask)
        + check(NEW_YORK, new_york, DateOrder::Ask);
    assert!(count >= 150, "only {count} phrases");
}

/// `end:` alone: a time is on the start's day, or the next when not after the start.
#[test]
fn an_end_time_alone_follows_the_start() {
    let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
    let reader = Reader::new(tokyo, now(), DateOrder::MonthFirst);
    let start = local("2026-12-11 19:00", tokyo);
    for (text, want) in [
        ("21時", Ok(local("2026-12-11 21:00", tokyo))),
        ("21:30", Ok(local("2026-12-11 21:30", tokyo))),
        ("9pm", Ok(local("2026-12-11 21:00", tokyo))),
        ("1時", Ok(local("2026-12-12 01:00", tokyo))),
        ("夜1時", Ok(local("2026-12-12 01:00", tokyo))),
        ("12月12日 2時", Ok(local("2026-12-12 02:00", tokyo))),
        ("2026-12-11 23:00", Ok(local("2026-12-11 23:00", tokyo))),
        ("19時〜21時", Err(TimeError::Unreadable)),
        ("夕方", Err(TimeError::NoTime)),
    ] {
        assert_eq!(time::read_end(text, start, &reader), want, "{text}");
    }
}

/// `until:`: a date, in both languages; a time or a range is not a date.
#[test]
fn until_dates_are_read_as_people_mean_them() {
    let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
    let ja = Reader::new(tokyo, now(), DateOrder::MonthFirst);
    let en = Reader::new(tokyo, now(), DateOrder::Ask);
    let d = |s: &str| date(s);
    for (reader, text, want) in [
        (&ja, "2027-01-31", Ok((d("2027-01-31"), vec![]))),
        (&ja, "2027/1/31", Ok((d("2027-01-31"), vec![]))),
        (
            &ja,
            "1月31日",
            Ok((d("2027-01-31"), vec![Note::NextYear(2027)])),
        ),
        (&ja, "12月31日", Ok((d("2026-12-31"), vec![]))),
        (&ja, "１２月３１日", Ok((d("2026-12-31"), vec![]))),
        (&ja, "来週金曜", Ok((d("2026-12-11"), vec![]))),
        (&ja, "明日", Ok((d("2026-12-03"), vec![]))),
        (&ja, "3日後", Ok((d("2026-12-05"), vec![]))),
        (
            &ja,
            "12/1",
            Ok((d("2027-12-01"), vec![Note::NextYear(2027)])),
        ),
        (&en, "next friday", Ok((d("2026-12-04"), vec![]))),
        (
            &en,
            "Jan 31",
            Ok((d("2027-01-31"), vec![Note::NextYear(2027)])),
        ),
        (&en, "in 3 days", Ok((d("2026-12-05"), vec![]))),
        (&en, "in 2 weeks", Ok((d("2026-12-16"), vec![]))),
        (
            &en,
            "3/4",
            Err(TimeError::AmbiguousDate {
                first: d("2027-03-04"),
                second: d("2027-04-03"),
            }),
        ),
        (&ja, "2027-02-30", Err(TimeError::Impossible)),
        (&ja, "明日 19時", Err(TimeError::Unreadable)),
        (&en, "in 2 hours", Err(TimeError::Unreadable)),
        (&ja, "そのうち", Err(TimeError::Unreadable)),
    ] {
        assert_eq!(time::read_date(text, reader), want, "{text}");
    }
}
