//! The `time_phrase` property, shared by the fuzz target and the stable replay test
//! (`bot-core/tests/fuzz_seeds.rs`): any text typed as a time (`at:`, `end:`, `until:`,
//! `:clock`) gets a reading or a refusal that renders in both languages, never a panic; what
//! is read, written back in full, reads back as the same instant.

use bot_core::i18n::{self, Locale};
use bot_core::service::when;
use bot_core::time::{self, DateOrder, Reader};
use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

/// Wednesday 2026-12-02 01:00 UTC, in a zone without and one with daylight saving.
fn readers() -> [(Reader, Locale); 2] {
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap();
    [
        (
            Reader::new(Tz::Asia__Tokyo, now, DateOrder::MonthFirst),
            Locale::Ja,
        ),
        (
            Reader::new(Tz::America__New_York, now, DateOrder::Ask),
            Locale::En,
        ),
    ]
}

pub fn check(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        check_text(text);
    }
}

/// Whether `text` is read as an instant by the Tokyo reader (the seeds' test uses it).
pub fn reads(text: &str) -> bool {
    time::read(text, &readers()[0].0).is_ok()
}

pub fn check_text(text: &str) {
    for (reader, locale) in readers() {
        match time::read(text, &reader) {
            Ok(reading) => {
                let written = time::format_local(reading.at, reader.tz, locale);
                let again = time::read(&written, &reader).map(|r| r.at);
                assert_eq!(again, Ok(reading.at), "{text:?} written as {written:?}");
                if let Some(end) = reading.end {
                    assert!(
                        end > reading.at,
                        "{text:?}: end {end} before {}",
                        reading.at
                    );
                }
            }
            Err(e) => {
                let refusal = when::refusal(e, "at", text, reader.tz, locale, None);
                assert!(i18n::has(refusal.key), "{} missing", refusal.key);
                assert!(!refusal.render(locale).is_empty());
            }
        }
        let _ = time::read_date(text, &reader);
        let _ = time::read_end(text, reader.now, &reader);
    }
}
