//! The tokens of one command after its subcommand, taken key by key. Whatever is left when a
//! subcommand has taken what it knows is an error naming it, with that subcommand's usage.

use std::str::FromStr;

use super::MemberRef;
use super::lexer::Token;
use crate::error::UserError;

pub const MAX_NAME: usize = 80;
pub const MAX_TEXT: usize = 120;
pub const MAX_BIO: usize = 1000;
pub const MAX_LIST_ITEMS: usize = 20;
/// Years we accept for joined/left: sanity bounds, not policy.
const MIN_YEAR: i32 = 1950;
const MAX_YEAR: i32 = 2100;

/// A format character (Unicode category Cf: bidi overrides and isolates U+202A–U+202E,
/// U+2066–U+2069, zero-width U+200B–U+200F, U+FEFF, soft hyphen, tags…): invisible, or
/// reordering what follows, so "\u{202E}nimda" reads as "admin" and one name can pass for another.
pub(crate) fn invisible(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    c.general_category() == GeneralCategory::Format
}

pub(crate) struct Args {
    /// The usage topic (`alumni.join`) shown with any error.
    pub usage: &'static str,
    words: Vec<String>,
    mentions: Vec<MemberRef>,
    pairs: Vec<(String, String)>,
}

impl Args {
    /// `allowed` lists the keys this subcommand knows: any other key is reported first, before
    /// a missing one, since it is usually a typo of the missing one.
    pub fn new(
        usage: &'static str,
        tokens: Vec<Token>,
        allowed: &[&str],
    ) -> Result<Args, UserError> {
        let mut args = Args {
            usage,
            words: Vec::new(),
            mentions: Vec::new(),
            pairs: Vec::new(),
        };
        for token in tokens {
            match token {
                Token::Word(w) => args.words.push(w),
                Token::Mention { name, by_id } => args.mentions.push(MemberRef { name, by_id }),
                Token::Channel(c) => args.words.push(format!("#{c}")),
                Token::Pair(k, v) => {
                    if !allowed.contains(&k.as_str()) {
                        return Err(args.err("error.unknown_key").arg("key", k));
                    }
                    if args.pairs.iter().any(|(seen, _)| *seen == k) {
                        return Err(args.err("error.duplicate_key").arg("key", k));
                    }
                    args.pairs.push((k, v));
                }
            }
        }
        Ok(args)
    }

    /// The arguments of one subcommand of the spec: its usage, and only its keys.
    pub fn for_sub(sub: &'static super::spec::Sub, tokens: Vec<Token>) -> Result<Args, UserError> {
        let keys: Vec<&str> = sub.pair_keys().collect();
        Args::new(sub.usage, tokens, &keys)
    }

    pub fn err(&self, key: &'static str) -> UserError {
        UserError::new(key).usage(self.usage)
    }

    pub fn take(&mut self, key: &str) -> Option<String> {
        let at = self.pairs.iter().position(|(k, _)| k == key)?;
        Some(self.pairs.remove(at).1)
    }

    pub fn require(&mut self, key: &'static str) -> Result<String, UserError> {
        self.take(key)
            .ok_or_else(|| self.err("error.missing_key").arg("key", key))
    }

    pub fn mention(&mut self) -> Option<MemberRef> {
        (!self.mentions.is_empty()).then(|| self.mentions.remove(0))
    }

    pub fn require_mention(&mut self) -> Result<MemberRef, UserError> {
        self.mention()
            .ok_or_else(|| self.err("error.missing_member"))
    }

    /// The next bare word (a subcommand, a value).
    pub fn word(&mut self) -> Option<String> {
        (!self.words.is_empty()).then(|| self.words.remove(0))
    }

    /// Take a `#channel` word, if one was given.
    pub fn peek_channel(&mut self) -> Option<String> {
        let at = self
            .words
            .iter()
            .position(|w| w.starts_with('#') && w.len() > 1)?;
        Some(self.words.remove(at)[1..].to_owned())
    }

    /// All remaining bare words, joined (free text).
    pub fn rest_text(&mut self) -> String {
        std::mem::take(&mut self.words).join(" ")
    }

    /// Fails on anything not taken: an unknown key first, then a stray word or mention.
    pub fn finish(self) -> Result<(), UserError> {
        if let Some((k, _)) = self.pairs.first() {
            return Err(self.err("error.unknown_key").arg("key", k.clone()));
        }
        if let Some(w) = self.words.first() {
            return Err(self.err("error.unexpected").arg("text", w.clone()));
        }
        if let Some(m) = self.mentions.first() {
            return Err(self
                .err("error.unexpected")
                .arg("text", format!("@{}", m.name)));
        }
        Ok(())
    }

    // ---- value readers: each names the key in its error ----

    /// Free text, trimmed, at most `max` characters; empty means "clear".
    pub fn text(&self, key: &str, value: String, max: usize) -> Result<Option<String>, UserError> {
        let value = value.trim().to_owned();
        let len = value.chars().count();
        if len > max {
            return Err(self
                .err("error.too_long")
                .arg("key", key)
                .arg("max", max.to_string())
                .arg("len", len.to_string()));
        }
        if value.chars().any(|c| c.is_control() && c != '\n') {
            return Err(self.err("error.bad_characters").arg("key", key));
        }
        if let Some(c) = value.chars().find(|&c| invisible(c)) {
            return Err(self
                .err("error.invisible_characters")
                .arg("key", key)
                .arg("char", format!("U+{:04X}", u32::from(c))));
        }
        Ok((!value.is_empty()).then_some(value))
    }

    pub fn year(&self, key: &str, value: &str) -> Result<Option<i32>, UserError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        match value.parse::<i32>() {
            Ok(y) if (MIN_YEAR..=MAX_YEAR).contains(&y) => Ok(Some(y)),
            _ => Err(self
                .err("error.bad_year")
                .arg("key", key)
                .arg("value", value)),
        }
    }

    /// `2015-2020`, or a single year `2018`.
    pub fn year_range(&self, key: &str, value: &str) -> Result<(i32, i32), UserError> {
        let bad = || {
            self.err("error.bad_year_range")
                .arg("key", key)
                .arg("value", value)
        };
        let (a, b) = value.split_once(['-', '~', '〜']).unwrap_or((value, value));
        let a = self.year(key, a).map_err(|_| bad())?.ok_or_else(bad)?;
        let b = self.year(key, b).map_err(|_| bad())?.ok_or_else(bad)?;
        if a > b {
            return Err(bad());
        }
        Ok((a, b))
    }

    /// Comma-separated (also `、` and `，`), each item trimmed and bounded.
    pub fn list(&self, key: &str, value: &str) -> Result<Vec<String>, UserError> {
        let items: Vec<String> = value
            .split([',', '、', '，'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if items.len() > MAX_LIST_ITEMS {
            return Err(self
                .err("error.too_many")
                .arg("key", key)
                .arg("max", MAX_LIST_ITEMS.to_string()));
        }
        for item in &items {
            self.text(key, item.clone(), 40)?;
        }
        let mut unique: Vec<String> = Vec::with_capacity(items.len());
        for item in items {
            if !unique.iter().any(|u| u.eq_ignore_ascii_case(&item)) {
                unique.push(item);
            }
        }
        Ok(unique)
    }

    /// A list of known words (open_to, field names): unknown ones are named with the choices.
    pub fn choices<T: FromStr + PartialEq + Copy>(
        &self,
        key: &str,
        value: &str,
        all: &[T],
        name: fn(T) -> &'static str,
    ) -> Result<Vec<T>, UserError> {
        let mut out = Vec::new();
        for item in self.list(key, value)? {
            let parsed = item.parse::<T>().map_err(|_| {
                self.err("error.bad_choice")
                    .arg("key", key)
                    .arg("value", item.clone())
                    .arg(
                        "choices",
                        all.iter().map(|c| name(*c)).collect::<Vec<_>>().join(", "),
                    )
            })?;
            if !out.contains(&parsed) {
                out.push(parsed);
            }
        }
        Ok(out)
    }

    pub fn one_of<T: FromStr + Copy>(
        &self,
        key: &str,
        value: &str,
        all: &[T],
        name: fn(T) -> &'static str,
    ) -> Result<T, UserError> {
        value.parse::<T>().map_err(|_| {
            self.err("error.bad_choice")
                .arg("key", key)
                .arg("value", value)
                .arg(
                    "choices",
                    all.iter().map(|c| name(*c)).collect::<Vec<_>>().join(", "),
                )
        })
    }

    pub fn yes_no(&self, key: &str, value: &str) -> Result<bool, UserError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "on" | "true" | "はい" => Ok(true),
            "no" | "n" | "off" | "false" | "いいえ" => Ok(false),
            _ => Err(self
                .err("error.bad_choice")
                .arg("key", key)
                .arg("value", value)
                .arg("choices", "yes, no")),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn format_characters_are_invisible_and_others_are_not() {
        for c in [
            '\u{202A}',
            '\u{202E}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{2066}',
            '\u{2069}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{061C}',
            '\u{E0041}',
        ] {
            assert!(super::invisible(c), "U+{:04X}", u32::from(c));
        }
        for c in ['a', 'é', '日', 'ｱ', '①', '\u{FE0F}', '☕', ' ', '　', '-'] {
            assert!(!super::invisible(c), "U+{:04X}", u32::from(c));
        }
    }
}
