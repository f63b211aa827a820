//! The `grammar` property, shared by the fuzz target and the stable replay test
//! (`bot-core/tests/fuzz_seeds.rs`): any line a member types gets a command or an error whose
//! message exists in both catalogs and renders, never a panic.

use bot_core::i18n::{self, Locale};

pub fn check(data: &[u8]) {
    if let Ok(line) = std::str::from_utf8(data) {
        check_line(line);
    }
}

pub fn check_line(line: &str) {
    if let Err(e) = bot_core::command::parse(line) {
        assert!(i18n::has(e.key), "{} missing from the catalogs", e.key);
        for locale in [Locale::Ja, Locale::En] {
            assert!(!e.render(locale).is_empty(), "{} renders empty", e.key);
        }
    }
}
