//! Property tests of what every platform feeds the core: typed lines and button ids.
//!
//! - Any text a member can type gets either a command or an error a member can read, in both
//!   languages, and never a panic (the same bodies run under cargo-fuzz: see `fuzz/`).
//! - Values round-trip through the grammar's quoting, whatever they contain: spaces, quotes,
//!   backslashes, Japanese, emoji.
//! - Button ids round-trip, and a forged or damaged id is refused, not misread.

use bot_core::action::Action;
use bot_core::command::event::RsvpChoice;
use bot_core::command::{self, Alumni, Command};
use bot_core::i18n::{self, Locale};
use proptest::prelude::*;

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
/// (quotes, colons, @, #, <, >, full-width forms) made common.
fn typed() -> impl Strategy<Value = String> {
    let symbol = prop_oneof![
        Just("\"".to_owned()),
        Just("“".to_owned()),
        Just("\\".to_owned()),
        Just(":".to_owned()),
        Just("：".to_owned()),
        Just("@".to_owned()),
        Just("#".to_owned()),
        Just("<@U1|x>".to_owned()),
        Just(" ".to_owned()),
        Just("　".to_owned()),
        Just("name:".to_owned()),
        Just("skills:".to_owned()),
        Just("left:".to_owned()),
        Just("20211".to_owned()),
        Just("佐藤".to_owned()),
        Just("join".to_owned()),
        Just("profile".to_owned()),
        Just("set".to_owned()),
        Just("search".to_owned()),
        "\\PC{0,6}",
    ];
    let head = prop_oneof![
        Just("/alumni"),
        Just("/event"),
        Just("/intro"),
        Just("/coffee"),
        Just("/nope"),
    ];
    (head, prop::collection::vec(symbol, 0..12)).prop_map(|(h, parts)| {
        let mut line = h.to_owned();
        line.push(' ');
        line.push_str(&parts.concat());
        line
    })
}

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
    fn button_ids_round_trip(id in 1i64..i64::MAX, at in -10_000_000_000i64..10_000_000_000, pick in 0u8..6) {
        let action = match pick {
            0 => Action::Approve(id),
            1 => Action::Reject(id),
            2 => Action::Rsvp { event: id, occurrence: at, choice: RsvpChoice::Maybe },
            3 => Action::IntroAnswer { intro: id, accept: at % 2 == 0 },
            4 => Action::CoffeeSkip { round: at },
            _ => Action::CoffeeMet { group: id, met: at % 2 != 0 },
        };
        let encoded = action.encode();
        // Discord and Slack both cap a button's id at well over this; keep ids short.
        prop_assert!(encoded.len() <= 100, "{encoded} is too long for a button id");
        prop_assert_eq!(Action::decode(&encoded).ok(), Some(action));
    }

    #[test]
    fn damaged_button_ids_are_refused(id in 1i64..1_000_000, cut in 1usize..6, junk in "[a-z.]{1,3}") {
        let encoded = Action::Approve(id).encode();
        let short = &encoded[..encoded.len().saturating_sub(cut).max(1)];
        if let Ok(Action::Approve(other)) = Action::decode(short) {
            // Cutting digits off the end leaves a valid, different id: that is a different
            // button, not a misread; anything else must be refused.
            let prefix = format!("v1.ap.{other}");
            prop_assert!(encoded.starts_with(&prefix));
        }
        let extended = format!("{encoded}{junk}");
        prop_assert!(Action::decode(&extended).is_err(), "{extended} was accepted");
    }
}
