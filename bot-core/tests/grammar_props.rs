//! Property tests of what every platform feeds the core: typed lines and button ids.
//!
//! - Any text a member can type, after any command (`/alumni`, `/event`, `/intro`, `/coffee`,
//!   `/job`, `/admin`), gets either a command or an error a member can read, in both languages,
//!   and never a panic (the same bodies run under cargo-fuzz: see `fuzz/`).
//! - Every subcommand of the command spec (`command::spec`), written with valid values for any
//!   of its keys, is read as that subcommand; with a key it does not take, or under a
//!   subcommand name it does not have, it is refused, in every command family.
//! - Values round-trip through the grammar's quoting, whatever they contain: spaces, quotes,
//!   backslashes, Japanese, emoji.
//! - Button ids of every action kind round-trip, and a forged or damaged id of any kind is
//!   refused, not misread.

use bot_core::action::Action;
use bot_core::command::admin::Admin;
use bot_core::command::event::RsvpChoice;
use bot_core::command::spec::{self, Key, Kind, Sub};
use bot_core::command::{self, Alumni, Command};
use bot_core::i18n::{self, Locale};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

/// Writes a value the way a member (or an adapter building a line) would: quoted, with `\`
/// before quotes and backslashes.
fn quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        if matches!(c, '"' | '“' | '”' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Text a member might type: any printable characters, with the grammar's own symbols
/// (quotes, colons, @, #, <, >, full-width forms) and every command's subcommand words and
/// keys made common.
fn typed() -> impl Strategy<Value = String> {
    let mut words: Vec<String> = Vec::new();
    for c in spec::COMMANDS {
        for s in c.subs {
            words.extend(
                s.words
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned),
            );
            words.extend(s.keys.iter().map(|k| format!("{}:", k.name)));
        }
    }
    words.sort();
    words.dedup();
    let symbol = prop_oneof![
        Just("\"".to_owned()),
        Just("“".to_owned()),
        Just("\\".to_owned()),
        Just(":".to_owned()),
        Just("：".to_owned()),
        Just("@".to_owned()),
        Just("#".to_owned()),
        Just("<@U1|x>".to_owned()),
        Just("<@&42>".to_owned()),
        Just(" ".to_owned()),
        Just("　".to_owned()),
        Just("20211".to_owned()),
        Just("2027-01-31".to_owned()),
        Just("佐藤".to_owned()),
        prop::sample::select(words),
        "\\PC{0,6}",
    ];
    let mut heads: Vec<String> = spec::COMMANDS
        .iter()
        .map(|c| format!("/{}", c.name))
        .collect();
    heads.push("/nope".to_owned());
    (
        prop::sample::select(heads),
        prop::collection::vec(symbol, 0..12),
    )
        .prop_map(|(h, parts)| format!("{h} {}", parts.concat()))
}

/// Printable text that is not only spaces, quoted.
fn text(max: usize) -> BoxedStrategy<String> {
    let max = max.min(60);
    proptest::string::string_regex(&format!("[^\\p{{C}}]{{1,{max}}}"))
        .expect("a valid pattern")
        .prop_filter("not blank", |t| !t.trim().is_empty())
        .prop_map(|t| quote(&t))
        .boxed()
}

fn handle() -> BoxedStrategy<String> {
    prop_oneof![
        "[a-z][a-z0-9_.]{0,15}".prop_map(|h| format!("@{h}")),
        "U[A-Z0-9]{8}".prop_map(|id| format!("<@{id}>")),
        ("U[A-Z0-9]{8}", "[a-z]{1,8}").prop_map(|(id, h)| format!("<@{id}|{h}>")),
    ]
    .boxed()
}

fn date() -> BoxedStrategy<String> {
    (2000i32..2100, 1u32..13, 1u32..29, any::<bool>())
        .prop_map(|(y, m, d, slash)| {
            if slash {
                format!("{y}/{m:02}/{d:02}")
            } else {
                format!("{y}-{m:02}-{d:02}")
            }
        })
        .boxed()
}

fn words() -> BoxedStrategy<String> {
    prop::collection::vec("[\\p{L}\\p{N}]{1,12}", 0..4)
        .prop_map(|w| w.join(" "))
        .boxed()
}

/// A valid value for `key` of `/command sub`, as a member would type it. Keys whose spec kind
/// is free text but whose grammar checks more (time zones, repeat rules, a time of day) get
/// values of that shape; every other key gets any value of its kind.
fn value(command: &str, key: &Key) -> BoxedStrategy<String> {
    match (command, key.name, key.kind) {
        (_, "tz" | "timezone", _) => prop::sample::select(vec![
            "Asia/Tokyo",
            "UTC",
            "Europe/London",
            "America/New_York",
        ])
        .prop_map(str::to_owned)
        .boxed(),
        ("event", "capacity", _) => prop_oneof![
            Just("none".to_owned()),
            (1u32..=100_000).prop_map(|n| n.to_string())
        ]
        .boxed(),
        ("event", "repeat", _) => prop::sample::select(vec![
            "none",
            "daily",
            "weekly",
            "biweekly",
            "monthly",
            "毎週",
            "RRULE:FREQ=WEEKLY;BYDAY=TH",
        ])
        .prop_map(str::to_owned)
        .boxed(),
        ("event", "duration", _) => prop::sample::select(vec!["30m", "2h", "1d", "90m", "1h30m"])
            .prop_map(str::to_owned)
            .boxed(),
        ("event", "remind", _) => {
            prop::sample::select(vec!["1d", "1h", "1d,1h", "none", "30m,2h,1d", "2日"])
                .prop_map(str::to_owned)
                .boxed()
        }
        ("coffee", "every", _) => prop::sample::select(vec!["1w", "2w", "7d", "14d", "30d"])
            .prop_map(str::to_owned)
            .boxed(),
        ("coffee", "time", _) => (0u32..24, 0u32..60)
            .prop_map(|(h, m)| format!("{h}:{m:02}"))
            .boxed(),
        ("coffee", "mix", _) => prop::sample::select(vec!["alumni-employee", "none", "off"])
            .prop_map(str::to_owned)
            .boxed(),
        ("coffee", "avoid", _) => prop::sample::select(vec!["same-department", "none", "off"])
            .prop_map(str::to_owned)
            .boxed(),
        // A segment is named by one word.
        ("admin", "segment", _) => "[a-z0-9_-]{1,20}".boxed(),
        // The help topic is one word: a command or subcommand name.
        ("alumni", "command", _) => prop::sample::select(
            spec::COMMANDS
                .iter()
                .flat_map(|c| std::iter::once(c.name).chain(c.subs.iter().map(|s| s.name)))
                .collect::<Vec<_>>(),
        )
        .prop_map(str::to_owned)
        .boxed(),
        (_, _, Kind::Text { max }) => text(max),
        (_, _, Kind::Int { min, max }) => (min..=max).prop_map(|n| n.to_string()).boxed(),
        (_, _, Kind::Year) => (1950i32..=2100).prop_map(|y| y.to_string()).boxed(),
        (_, _, Kind::YearRange) => prop_oneof![
            (1950i32..=2100).prop_map(|y| y.to_string()),
            (1950i32..=2100, 1950i32..=2100).prop_map(|(a, b)| format!(
                "{}-{}",
                a.min(b),
                a.max(b)
            )),
        ]
        .boxed(),
        (_, _, Kind::Date) => date(),
        (_, _, Kind::Time) => (date(), 0u32..24, 0u32..60)
            .prop_map(|(d, h, m)| quote(&format!("{d} {h:02}:{m:02}")))
            .boxed(),
        (_, _, Kind::Duration) => prop::sample::select(vec!["2h", "1d", "30m"])
            .prop_map(str::to_owned)
            .boxed(),
        (_, _, Kind::Member) => handle(),
        (_, _, Kind::Channel) => "#[a-z][a-z0-9-]{0,20}".boxed(),
        (_, _, Kind::Role) => prop_oneof![
            (1u64..u64::MAX).prop_map(|n| format!("<@&{n}>")),
            (1u64..u64::MAX).prop_map(|n| n.to_string()),
            Just("none".to_owned()),
        ]
        .boxed(),
        (_, _, Kind::List) => prop::collection::vec("[\\p{L}\\p{N}+#.]{1,12}", 1..5)
            .prop_map(|items| items.join(","))
            .boxed(),
        (_, _, Kind::Choice(words)) => prop::sample::select(words.to_vec())
            .prop_map(str::to_owned)
            .boxed(),
        (_, _, Kind::Choices(words)) => prop::sample::subsequence(words.to_vec(), 1..=words.len())
            .prop_map(|w| w.join(","))
            .boxed(),
        (_, _, Kind::Words) => words(),
        (_, _, Kind::File) => unreachable!("files come from the adapter, not the line"),
    }
}

/// Subcommands that refuse a line with no optional key ("nothing to change").
fn needs_a_change(command: &str, sub: &Sub) -> bool {
    matches!(
        (command, sub.name),
        ("alumni", "profile-set") | ("event", "edit")
    )
}

/// A line of `/command sub` with its required keys and any of its optional ones, every value
/// valid: positionals in the spec's order, then `key:value` pairs.
fn line_of(command: &'static str, sub: &'static Sub) -> BoxedStrategy<String> {
    let keys: Vec<&'static Key> = sub.keys.iter().filter(|k| k.kind != Kind::File).collect();
    let picks: Vec<BoxedStrategy<Option<String>>> = keys
        .iter()
        .map(|k| {
            let v = value(command, k);
            if k.required {
                v.prop_map(Some).boxed()
            } else {
                prop::option::of(v).boxed()
            }
        })
        .collect();
    picks
        .prop_filter_map("a line the grammar can read", move |values| {
            let chosen: Vec<(&Key, String)> = keys
                .iter()
                .zip(values)
                .filter_map(|(k, v)| Some((*k, v?)))
                .collect();
            if needs_a_change(command, sub) && !chosen.iter().any(|(k, _)| !k.required) {
                return None;
            }
            let get = |name: &str| chosen.iter().find(|(k, _)| k.name == name).map(|(_, v)| v);
            // Two people to introduce are two different people.
            if let (Some(a), Some(b)) = (get("member"), get("member2"))
                && a == b
            {
                return None;
            }
            // A join-status filter is for the roster export, not the member export.
            if (command, sub.name) == ("admin", "export")
                && get("status").is_some()
                && get("what").map(String::as_str) != Some("roster")
            {
                return None;
            }
            // Nobody leaves before joining.
            if let (Some(j), Some(l)) = (get("joined"), get("left"))
                && j.parse::<i32>().ok()? > l.parse::<i32>().ok()?
            {
                return None;
            }
            let mut line = format!("/{command}");
            if !sub.words.is_empty() {
                line.push(' ');
                line.push_str(sub.words);
            }
            for (_, v) in chosen.iter().filter(|(k, _)| k.positional) {
                if !v.is_empty() {
                    line.push(' ');
                    line.push_str(v);
                }
            }
            for (k, v) in chosen.iter().filter(|(k, _)| !k.positional) {
                line.push_str(&format!(" {}:{v}", k.name));
            }
            Some(line)
        })
        .boxed()
}

/// Every `(command, subcommand)` of the spec.
fn every_sub() -> Vec<(&'static str, &'static Sub)> {
    spec::COMMANDS
        .iter()
        .flat_map(|c| c.subs.iter().map(move |s| (c.name, s)))
        .collect()
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Every subcommand of every command, `/job` and `/admin` included, with valid values for any
/// of its keys, is read as that subcommand.
#[test]
fn every_subcommand_of_the_spec_with_valid_values_is_read_as_itself() {
    let subs = every_sub();
    assert!(
        subs.iter().any(|(c, _)| *c == "admin") && subs.iter().any(|(c, _)| *c == "job"),
        "the spec lists /admin and /job"
    );
    for (command, sub) in subs {
        let mut runner = runner(256);
        let result = runner.run(&line_of(command, sub), |line| {
            let parsed = command::parse(&line);
            let Ok(c) = parsed else {
                return Err(TestCaseError::fail(format!("{line:?} refused: {parsed:?}")));
            };
            prop_assert_eq!(
                c.spec_name(),
                (command, sub.name),
                "{:?} read as {:?}",
                line,
                c
            );
            Ok(())
        });
        if let Err(e) = result {
            panic!("/{command} {}: {e}", sub.name);
        }
    }
}

/// A key a subcommand does not take is refused by name, never ignored: in every subcommand of
/// every family.
#[test]
fn a_key_a_subcommand_does_not_take_is_refused() {
    for (command, sub) in every_sub() {
        let taken: Vec<&str> = sub.pair_keys().collect();
        // `http:` and `https:` start links, not keys (`lexer::is_key`).
        let stranger = "[a-z][a-z_]{1,12}".prop_filter("a key it does not take", move |k| {
            !taken.contains(&k.as_str()) && !matches!(k.as_str(), "http" | "https")
        });
        let mut runner = runner(128);
        let result = runner.run(
            &(line_of(command, sub), stranger, "[a-z0-9]{1,8}"),
            |(line, key, v)| {
                let bad = format!("{line} {key}:{v}");
                match command::parse(&bad) {
                    Err(e) => prop_assert_eq!(e.key, "error.unknown_key", "{}", bad),
                    Ok(c) => return Err(TestCaseError::fail(format!("{bad:?} read as {c:?}"))),
                }
                Ok(())
            },
        );
        if let Err(e) = result {
            panic!("/{command} {}: {e}", sub.name);
        }
    }
}

/// A subcommand name a command does not have is refused as such (and lists the real ones), in
/// every family that has named subcommands (`/intro`'s request has none: `/intro @a`).
#[test]
fn an_unknown_subcommand_is_refused_in_every_family() {
    for c in spec::COMMANDS {
        let first: Vec<&'static str> = c.first_words();
        if first.is_empty() {
            continue;
        }
        let known = first.clone();
        let stranger =
            "[a-z]{1,12}".prop_filter("not a subcommand", move |w| !known.contains(&w.as_str()));
        let mut runner = runner(64);
        let result = runner.run(&stranger, |word| {
            let line = format!("/{} {word}", c.name);
            match command::parse(&line) {
                // `/intro` reads any other word as the start of a request.
                Ok(Command::Intro(_)) | Err(_) if c.name == "intro" => {}
                Err(e) => {
                    prop_assert_eq!(e.key, "error.unknown_subcommand", "{}", line);
                    for locale in [Locale::Ja, Locale::En] {
                        let shown = e.render(locale);
                        for sub in &first {
                            prop_assert!(shown.contains(sub), "{line}: {shown} lacks {sub}");
                        }
                    }
                }
                Ok(other) => {
                    return Err(TestCaseError::fail(format!("{line:?} read as {other:?}")));
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("/{}: {e}", c.name);
        }
    }
}

/// Text full of what quoting has to get right: quotes (straight and curly), backslashes,
/// spaces, commas.
fn tricky_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!["\"", "“", "”", "\\", " ", ",", "a", "日", "x:y"]),
        1..8,
    )
    .prop_map(|parts| parts.concat())
    .prop_filter("not blank", |t| !t.trim().is_empty())
}

fn search_of(line: &str) -> Result<bot_core::store::SearchQuery, TestCaseError> {
    match command::parse(line) {
        Ok(Command::Alumni(Alumni::Search { query, .. })) => Ok(query),
        other => Err(TestCaseError::fail(format!("{line:?} gave {other:?}"))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// A segment is kept as text and read again with `/alumni search`'s grammar when used: it
    /// must mean exactly what the same search typed means, whatever its values hold.
    #[test]
    fn a_saved_segment_means_what_its_search_means(
        words in prop_oneof![Just(String::new()), "[a-z]{1,8}", tricky_text().prop_map(|t| quote(&t))],
        industry in tricky_text(),
        skill in tricky_text(),
    ) {
        let filters = format!("industry:{} skills:{}", quote(&industry), quote(&skill));
        let typed = search_of(&format!("/alumni search {words} {filters}"))?;
        let line = format!("/admin segment save seg {words} {filters}");
        let saved = match command::parse(&line) {
            Ok(Command::Admin(Admin::SegmentSave { query, .. })) => query,
            other => return Err(TestCaseError::fail(format!("{line:?} gave {other:?}"))),
        };
        let used = search_of(&format!("/alumni search {saved}"))?;
        prop_assert_eq!(used, typed, "{} saved as {:?}", line, saved);
    }
}

/// Any action of any kind.
fn action() -> impl Strategy<Value = Action> {
    let id = 1i64..i64::MAX;
    let at = -10_000_000_000i64..10_000_000_000;
    let choice = prop::sample::select(vec![RsvpChoice::Going, RsvpChoice::Maybe, RsvpChoice::No]);
    prop_oneof![
        id.clone().prop_map(Action::Approve),
        id.clone().prop_map(Action::Reject),
        (id.clone(), at.clone(), choice).prop_map(|(event, occurrence, choice)| Action::Rsvp {
            event,
            occurrence,
            choice
        }),
        (id.clone(), any::<bool>())
            .prop_map(|(intro, accept)| Action::IntroAnswer { intro, accept }),
        at.prop_map(|round| Action::CoffeeSkip { round }),
        (id.clone(), any::<bool>()).prop_map(|(group, met)| Action::CoffeeMet { group, met }),
        id.clone().prop_map(|version| Action::Agree { version }),
        id.clone().prop_map(|id| Action::Broadcast { id }),
        id.prop_map(|id| Action::JobInterest { id }),
    ]
}

/// The id code of an action's kind. Exhaustive: a new kind does not compile until it is here,
/// and `action()` above is then checked to make it.
fn code(a: Action) -> &'static str {
    match a {
        Action::Approve(_) => "ap",
        Action::Reject(_) => "rj",
        Action::Rsvp { .. } => "rs",
        Action::IntroAnswer { .. } => "in",
        Action::CoffeeSkip { .. } => "cs",
        Action::CoffeeMet { .. } => "cm",
        Action::Agree { .. } => "ag",
        Action::Broadcast { .. } => "bc",
        Action::JobInterest { .. } => "ji",
    }
}

const CODES: &[&str] = &["ap", "rj", "rs", "in", "cs", "cm", "ag", "bc", "ji"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_typed_line_parses_or_gets_a_readable_error(line in typed()) {
        if let Err(e) = command::parse(&line) {
            prop_assert!(i18n::has(e.key), "error key {} missing from the catalogs", e.key);
            for locale in [Locale::Ja, Locale::En] {
                let text = e.render(locale);
                prop_assert!(!text.trim().is_empty());
                // Errors quote what was typed; a brace the member did not type is a
                // placeholder the message forgot to fill.
                if !line.contains('{') {
                    prop_assert!(!text.contains('{'), "unfilled placeholder in {text:?}");
                }
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(line in "\\PC{0,80}") {
        let _ = command::parse(&line);
        let _ = Action::decode(&line);
    }

    #[test]
    fn quoted_values_round_trip(
        bio in "[^\\p{C}]{1,200}",
        company in "[^\\p{C}]{1,60}",
    ) {
        // The grammar trims values and has no way to write a value that is only spaces.
        prop_assume!(!bio.trim().is_empty() && !company.trim().is_empty());
        let line = format!("/alumni profile set bio:{} company:{}", quote(&bio), quote(&company));
        let parsed = command::parse(&line);
        let Ok(Command::Alumni(Alumni::ProfileSet(patch))) = parsed else {
            return Err(TestCaseError::fail(format!("{line:?} gave {parsed:?}")));
        };
        let mut profile = bot_core::domain::Profile::default();
        patch.apply(&mut profile);
        prop_assert_eq!(profile.bio.as_deref(), Some(bio.trim()));
        prop_assert_eq!(profile.company.as_deref(), Some(company.trim()));
    }

    #[test]
    fn button_ids_of_every_kind_round_trip(action in action()) {
        let encoded = action.encode();
        // Discord and Slack both cap a button's id at well over this; keep ids short.
        prop_assert!(encoded.len() <= 100, "{encoded} is too long for a button id");
        prop_assert!(encoded.starts_with(&format!("v1.{}.", code(action))), "{encoded}");
        prop_assert_eq!(Action::decode(&encoded).ok(), Some(action));
    }

    #[test]
    fn damaged_button_ids_of_every_kind_are_refused(
        action in action(),
        cut in 1usize..6,
        junk in "[a-z.]{1,3}",
    ) {
        let encoded = action.encode();
        let short = &encoded[..encoded.len().saturating_sub(cut).max(1)];
        if let Ok(other) = Action::decode(short) {
            // Cutting digits off the end can leave a valid id of the same kind: a different
            // button, not a misread. Anything else must be refused.
            prop_assert_eq!(code(other), code(action), "{} read as {:?}", short, other);
            prop_assert!(encoded.starts_with(&other.encode()), "{} read as {:?}", short, other);
        }
        let extended = format!("{encoded}{junk}");
        prop_assert!(Action::decode(&extended).is_err(), "{extended} was accepted");
        // Another version, or the same fields under an unknown kind, is refused too.
        let rest = &encoded[3..];
        prop_assert!(Action::decode(&format!("v2.{rest}")).is_err(), "v2.{rest} was accepted");
        let fields = &rest[3..];
        for bogus in ["zz", "a", "apx", "AP", ""] {
            let forged = format!("v1.{bogus}.{fields}");
            prop_assert!(Action::decode(&forged).is_err(), "{forged} was accepted");
        }
    }

    /// Every kind's fields are checked: a kind code with another kind's fields (a different
    /// count or shape) is refused unless those fields are valid for it too.
    #[test]
    fn ids_with_another_kinds_fields_are_refused_or_read_as_that_kind(
        action in action(),
        other in prop::sample::select(CODES.to_vec()),
    ) {
        let encoded = action.encode();
        let forged = format!("v1.{other}.{}", &encoded[6..]);
        if let Ok(read) = Action::decode(&forged) {
            prop_assert_eq!(code(read), other, "{} read as {:?}", forged, read);
            prop_assert_eq!(read.encode(), forged.clone(), "{} misread as {:?}", forged, read);
        }
    }
}

/// `action()` makes every kind (so the properties above cover every button and form).
#[test]
fn the_action_strategy_makes_every_kind() {
    let mut runner = TestRunner::deterministic();
    let mut seen: Vec<&str> = Vec::new();
    for _ in 0..2000 {
        let a = action().new_tree(&mut runner).unwrap().current();
        if !seen.contains(&code(a)) {
            seen.push(code(a));
        }
    }
    seen.sort();
    let mut all = CODES.to_vec();
    all.sort();
    assert_eq!(seen, all);
}
