//! Properties of the time parser (#20): whatever instant we write out in full, in any zone and
//! either language, reads back as that instant (so a reply can be pasted back into `at:`); and
//! no input, however long or strange, makes the parser panic.

use bot_core::i18n::Locale;
use bot_core::time::{self, DateOrder, Reader};
use chrono::{DateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::{TZ_VARIANTS, Tz};
use proptest::prelude::*;

/// From 1980: before then some zones kept local mean time with seconds in their offset, which
/// a time written to the minute cannot hold.
fn first() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1980, 1, 1, 0, 0, 0).unwrap()
}

const MINUTES: i64 = 120 * 365 * 24 * 60;

fn reads_back(at: DateTime<Utc>, tz: Tz, locale: Locale) -> Result<(), String> {
    let written = time::format_local(at, tz, locale);
    let reader = Reader::new(tz, first(), DateOrder::of(locale));
    match time::read(&written, &reader) {
        Ok(r) if r.at == at && r.end.is_none() => Ok(()),
        other => Err(format!(
            "{} in {}: {written:?} read as {other:?}",
            at,
            tz.name()
        )),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Any minute from 1980 to 2100, in any zone chrono-tz knows, in either language.
    #[test]
    fn our_own_output_reads_back_as_the_same_instant(
        zone in 0..TZ_VARIANTS.len(),
        minute in 0..MINUTES,
        ja in any::<bool>(),
    ) {
        let at = first() + TimeDelta::minutes(minute);
        let locale = if ja { Locale::Ja } else { Locale::En };
        let result = reads_back(at, TZ_VARIANTS[zone], locale);
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }

    /// Long random text from the parser's own words, digits, separators and anything else:
    /// an answer (a reading or a refusal), never a panic.
    #[test]
    fn long_random_input_never_panics(
        parts in prop::collection::vec(fragment(), 0..400),
        ja in any::<bool>(),
    ) {
        let text: String = parts.concat();
        let tz: Tz = if ja { chrono_tz::Asia::Tokyo } else { chrono_tz::America::New_York };
        let reader = Reader::new(tz, first() + TimeDelta::days(17_000), DateOrder::of(
            if ja { Locale::Ja } else { Locale::En },
        ));
        let _ = time::read(&text, &reader);
        let _ = time::read_date(&text, &reader);
        let _ = time::read_end(&text, reader.now, &reader);
    }
}

fn fragment() -> impl Strategy<Value = String> {
    const WORDS: &[&str] = &[
        "明日",
        "今夜",
        "来週",
        "金曜",
        "次の",
        "年",
        "月",
        "日",
        "時",
        "分",
        "半",
        "後",
        "時間",
        "午後",
        "夜",
        "正午",
        "〜",
        "から",
        "(金)",
        "１９",
        "：",
        "　",
        "tomorrow",
        "next",
        "friday",
        "dec",
        "in",
        "hours",
        "pm",
        "am",
        "noon",
        "th",
        "to",
        "-",
        "/",
        ":",
        ".",
        ",",
        " ",
        "+09:00",
        "JST",
        "EST",
        "Z",
        "T",
        "2026",
        "12",
        "18",
        "0",
        "99999999999999999999",
        "～",
        "~",
    ];
    prop_oneof![
        prop::sample::select(WORDS).prop_map(str::to_owned),
        any::<char>().prop_map(String::from),
        "[0-9]{1,6}",
    ]
}

/// Every zone, around each change of its offset from 2024 to 2026 (where overlaps and gaps
/// are), every half hour: the instants a random sample rarely lands on.
#[test]
fn instants_around_every_offset_change_read_back() {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for tz in TZ_VARIANTS {
        let offset = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix();
        let mut day = start;
        while day.timestamp() < start.timestamp() + 3 * 365 * 86_400 {
            let next = day + TimeDelta::days(1);
            if offset(day) != offset(next) {
                let mut t = day - TimeDelta::hours(2);
                while t < next + TimeDelta::hours(2) {
                    for locale in [Locale::Ja, Locale::En] {
                        checked += 1;
                        if let Err(e) = reads_back(t, tz, locale) {
                            failures.push(e);
                        }
                    }
                    t += TimeDelta::minutes(30);
                }
            }
            day = next;
        }
    }
    assert!(checked > 10_000, "only {checked} instants near changes");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Where a zone has the same wall time twice under one name (Moscow leaving +04 for +03 in
/// 2014, both MSK), our output adds the offset, and each reads back as itself.
#[test]
fn a_repeated_hour_under_one_name_is_written_with_its_offset() {
    let moscow: Tz = "Europe/Moscow".parse().unwrap();
    let first = Utc.with_ymd_and_hms(2014, 10, 25, 21, 30, 0).unwrap();
    let second = first + TimeDelta::hours(1);
    assert_eq!(
        time::format_local(first, moscow, Locale::En),
        "Sun, Oct 26, 2014 01:30 MSK +04:00"
    );
    assert_eq!(
        time::format_local(second, moscow, Locale::Ja),
        "2014年10月26日(日) 01:30 MSK +03:00"
    );
    for at in [first, second] {
        for locale in [Locale::Ja, Locale::En] {
            assert_eq!(reads_back(at, moscow, locale), Ok(()));
        }
    }
    let new_york: Tz = "America/New_York".parse().unwrap();
    let edt = Utc.with_ymd_and_hms(2027, 11, 7, 5, 30, 0).unwrap();
    assert_eq!(
        time::format_local(edt, new_york, Locale::En),
        "Sun, Nov 7, 2027 01:30 EDT"
    );
}
