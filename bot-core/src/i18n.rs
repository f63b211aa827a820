//! Messages in Japanese and English.
//!
//! Each language has one catalog file (`locales/ja.txt`, `locales/en.txt`), embedded at compile
//! time: `key = text`, `{name}` placeholders, `\n` for a line break, `#` comments. A test checks
//! both catalogs have the same keys, so no message exists in only one language.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Ja,
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Ja => "ja",
            Locale::En => "en",
        }
    }

    /// Read a platform or POSIX locale tag: `ja`, `ja-JP`, `ja_JP.UTF-8`, `en-US`, `en_GB`.
    /// Anything that is not Japanese or English is `None`, so the community default applies.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let lang = tag
            .split(['-', '_', '.'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match lang.as_str() {
            "ja" => Some(Locale::Ja),
            "en" => Some(Locale::En),
            _ => None,
        }
    }
}

impl FromStr for Locale {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ja" => Ok(Locale::Ja),
            "en" => Ok(Locale::En),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(crate) const JA_SOURCE: &str = include_str!("../locales/ja.txt");
pub(crate) const EN_SOURCE: &str = include_str!("../locales/en.txt");

type Catalog = HashMap<&'static str, String>;

/// Parse one catalog file. Panics on a malformed line: the files are ours and embedded,
/// and the catalog test runs this at test time, so a typo fails CI rather than production.
pub(crate) fn parse_catalog(source: &'static str) -> Catalog {
    let mut map = HashMap::new();
    for (n, line) in source.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (key, text) = line
            .split_once(" = ")
            .unwrap_or_else(|| panic!("catalog line {}: expected `key = text`", n + 1));
        let previous = map.insert(key.trim(), text.replace("\\n", "\n"));
        assert!(
            previous.is_none(),
            "catalog line {}: duplicate key {key}",
            n + 1
        );
    }
    map
}

fn catalog(locale: Locale) -> &'static Catalog {
    static JA: OnceLock<Catalog> = OnceLock::new();
    static EN: OnceLock<Catalog> = OnceLock::new();
    match locale {
        Locale::Ja => JA.get_or_init(|| parse_catalog(JA_SOURCE)),
        Locale::En => EN.get_or_init(|| parse_catalog(EN_SOURCE)),
    }
}

/// Whether a key exists (in both catalogs, which the catalog test guarantees).
pub fn has(key: &str) -> bool {
    catalog(Locale::En).contains_key(key)
}

/// The message `key` in `locale` with `{name}` placeholders filled from `args`.
/// A missing key shows the key itself, so a gap is visible rather than silent.
pub fn t(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    let Some(template) = catalog(locale).get(key) else {
        tracing::error!(key, %locale, "missing message key");
        return key.to_owned();
    };
    fill(template, args)
}

fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(text: &str) -> Vec<&str> {
        let mut names: Vec<&str> = text
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(n, _)| n))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn both_catalogs_have_the_same_keys_and_placeholders() {
        let ja = parse_catalog(JA_SOURCE);
        let en = parse_catalog(EN_SOURCE);
        for (key, text) in &en {
            let other = ja.get(key).unwrap_or_else(|| panic!("ja.txt lacks {key}"));
            assert_eq!(
                placeholders(text),
                placeholders(other),
                "placeholders differ for {key}"
            );
        }
        for key in ja.keys() {
            assert!(en.contains_key(key), "en.txt lacks {key}");
        }
    }

    #[test]
    fn fills_placeholders_and_reads_locale_tags() {
        assert_eq!(fill("Hi {name}, {x}", &[("name", "佐藤")]), "Hi 佐藤, {x}");
        assert_eq!(Locale::from_tag("ja_JP.UTF-8"), Some(Locale::Ja));
        assert_eq!(Locale::from_tag("en-GB"), Some(Locale::En));
        assert_eq!(Locale::from_tag("fr"), None);
    }
}
