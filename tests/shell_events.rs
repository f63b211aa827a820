//! Events end to end: the real binary, its shell, SQLite and PostgreSQL; and the .ics it
//! writes parsed back by an independent iCalendar parser.

mod support;

use bot_core::testing::{TempPostgres, TempSqlite};
use icalendar::{Calendar, CalendarComponent, Component, EventLike};

const TRANSCRIPT: &str = include_str!("transcripts/events.txt");
const TIMES: &str = include_str!("transcripts/times.txt");

fn env(db: &str) -> [(&'static str, String); 3] {
    [
        ("DATABASE_URL", db.to_owned()),
        ("ALUMNI_ADMINS", "hr".to_owned()),
        ("ALUMNI_LOCALE", "ja".to_owned()),
    ]
}

/// Where the `.ics` test's shell clock starts: a fixed instant, whatever today is.
const START: &str = "2026-12-01T10:00+09:00";

/// Each reminder block printed (a `>> to` line and its message), counted by recipient.
fn reminder_count(output: &str, to: &str, needle: &str) -> usize {
    output
        .split(">> to ")
        .map(|block| block.split("\n\n").next().unwrap_or(""))
        .filter(|block| block.starts_with(to) && block.contains(needle))
        .count()
}

/// The transcript on the database at `db`, then what no single step can show: each reminder
/// of event #1 arrived exactly once per recipient.
fn events_transcript(db: &str) {
    let env = env(db);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = support::check_transcript(&env, TRANSCRIPT);
    // Exactly once each: two reminders of event #1 to the channel, alice, bob, carol.
    for who in ["#general", "@alice"] {
        assert_eq!(
            reminder_count(&out, who, "年末交流会」は"),
            2,
            "{who}\n{out}"
        );
    }
    for who in ["@bob", "@carol"] {
        assert_eq!(
            reminder_count(&out, who, "\"年末交流会\" starts"),
            2,
            "{who}\n{out}"
        );
    }
    assert_eq!(reminder_count(&out, "@dave", "年末交流会"), 0, "{out}");
}

#[test]
fn events_transcript_on_sqlite() {
    let db = TempSqlite::new("events");
    events_transcript(&db.url());
}

#[tokio::test]
async fn events_transcript_on_postgres() {
    let Some(db) = TempPostgres::create("events").await else {
        return;
    };
    events_transcript(&db.url);
    db.drop_db().await;
}

/// Times as people type them (#20): phrases, the instants understood, refusals, fixing one by
/// `/event edit`. Reading a time does not touch the database, so SQLite alone runs it.
#[test]
fn times_transcript() {
    let db = TempSqlite::new("times");
    let env = env(&db.url());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    support::check_transcript(&env, TIMES);
}

#[test]
fn ics_parses_back_with_its_rrule() {
    let db = TempSqlite::new("ics");
    let url = db.url();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("ALUMNI_ADMINS", "hr"),
        ("ALUMNI_LOCALE", "en"),
    ];
    let out = support::run_shell_with(
        &["--clock", START],
        &env,
        "/event create title:\"Alumni, 交流会; 2026\" at:\"2026-12-18 19:00\" duration:90m where:\"Shibuya, Tokyo\" repeat:\"RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=4\"\n\
         /event ics 1\n",
    );
    let start = out.find("BEGIN:VCALENDAR").expect("ics in output");
    let end = out.find("END:VCALENDAR").expect("end of ics") + "END:VCALENDAR".len();
    let ics = out[start..end].replace('\n', "\r\n");
    let calendar: Calendar = ics.parse().expect("valid iCalendar");
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), 1);
    let e = events[0];
    assert_eq!(e.get_summary(), Some("Alumni, 交流会; 2026"));
    assert_eq!(e.get_location(), Some("Shibuya, Tokyo"));
    assert_eq!(e.property_value("DTSTART"), Some("20261218T100000Z"));
    assert_eq!(e.property_value("DTEND"), Some("20261218T113000Z"));
    assert_eq!(
        e.property_value("RRULE"),
        Some("FREQ=WEEKLY;BYDAY=FR;COUNT=4")
    );
    assert!(e.get_uid().is_some_and(|u| u.contains("@alumni-bot")));
}

/// A line the shell refuses fails the run: a script once set the clock to a date that had
/// passed, was told "(the clock only moves forward)", and went on to pass on the real date.
#[test]
#[should_panic(expected = "the clock only moves forward: it is 2026-12-01 10:")]
fn a_clock_moved_backwards_fails_the_run() {
    let db = TempSqlite::new("clock-back");
    let url = db.url();
    support::run_shell_with(
        &["--clock", START],
        &[("DATABASE_URL", url.as_str()), ("ALUMNI_LOCALE", "en")],
        ":clock 2026-11-30T10:00\n/alumni help\n",
    );
}
