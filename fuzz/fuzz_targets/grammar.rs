//! Any line a member types: a command or a localized error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        if let Err(e) = bot_core::command::parse(line) {
            assert!(bot_core::i18n::has(e.key), "{} missing from the catalogs", e.key);
            let _ = e.render(bot_core::i18n::Locale::Ja);
        }
    }
});
