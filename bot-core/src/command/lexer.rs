//! Splits a command line into tokens: bare words, quoted strings, `key:value` pairs and
//! mentions. Understands Slack's escaped mentions (`<@U123|name>`, `<#C1|general>`), full-width
//! spaces and the curly quotes Japanese input methods produce.

use crate::error::UserError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A bare word or a quoted string.
    Word(String),
    /// `key:value`; the value may have been quoted.
    Pair(String, String),
    /// `@name`, or Slack's `<@U123>` / `<@U123|name>` (then `by_id` is true).
    Mention { name: String, by_id: bool },
    /// `#name`, or Slack's `<#C123|name>` (then the id).
    Channel(String),
}

const OPEN_QUOTES: [char; 3] = ['"', '“', '”'];

fn is_quote(c: char) -> bool {
    OPEN_QUOTES.contains(&c)
}

pub fn tokenize(input: &str) -> Result<Vec<Token>, UserError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let c = chars[i];
        if is_quote(c) {
            let (text, next) = quoted(&chars, i)?;
            tokens.push(Token::Word(text));
            i = next;
            continue;
        }
        if c == '<'
            && matches!(chars.get(i + 1), Some('@' | '#'))
            && let Some(close) = chars[i..].iter().position(|&c| c == '>')
        {
            let inner: String = chars[i + 2..i + close].iter().collect();
            let id = inner.split('|').next().unwrap_or("").to_owned();
            tokens.push(if chars[i + 1] == '@' {
                Token::Mention {
                    name: id,
                    by_id: true,
                }
            } else {
                Token::Channel(id)
            });
            i += close + 1;
            continue;
        }
        // A bare run up to whitespace or a quote; `key:` may be followed by a quoted value.
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && !is_quote(chars[i]) {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        match run.split_once([':', '：']).filter(|(key, _)| is_key(key)) {
            Some((key, value)) => {
                let value = if value.is_empty() && chars.get(i).copied().is_some_and(is_quote) {
                    let (text, next) = quoted(&chars, i)?;
                    i = next;
                    text
                } else {
                    value.to_owned()
                };
                tokens.push(Token::Pair(key.to_ascii_lowercase(), value));
            }
            None => tokens.push(bare(run)),
        }
    }
    Ok(tokens)
}

fn bare(word: String) -> Token {
    if let Some(name) = word.strip_prefix('@').filter(|n| !n.is_empty()) {
        Token::Mention {
            name: name.to_owned(),
            by_id: false,
        }
    } else if let Some(name) = word.strip_prefix('#').filter(|n| !n.is_empty()) {
        Token::Channel(name.to_owned())
    } else {
        Token::Word(word)
    }
}

/// Keys are lowercase ASCII words (`open_to`, `name`); `10:00` or `https:` in free text are not.
pub fn is_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 20
        && key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && key != "http"
        && key != "https"
}

/// Read a quoted string starting at the quote `chars[at]`; `\"` escapes a quote.
fn quoted(chars: &[char], at: usize) -> Result<(String, usize), UserError> {
    let mut out = String::new();
    let mut i = at + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if chars
                .get(i + 1)
                .copied()
                .is_some_and(|c| is_quote(c) || c == '\\') =>
            {
                out.push(chars[i + 1]);
                i += 2;
            }
            c if is_quote(c) => return Ok((out, i + 1)),
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Err(UserError::new("error.unterminated_quote"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Token> {
        tokenize(s).unwrap()
    }

    #[test]
    fn reads_pairs_quotes_and_mentions() {
        assert_eq!(
            words(r#"name:"佐藤 洋介" skills:rust,go @bob <@U12|alice> <#C9|general> free"#),
            vec![
                Token::Pair("name".into(), "佐藤 洋介".into()),
                Token::Pair("skills".into(), "rust,go".into()),
                Token::Mention {
                    name: "bob".into(),
                    by_id: false
                },
                Token::Mention {
                    name: "U12".into(),
                    by_id: true
                },
                Token::Channel("C9".into()),
                Token::Word("free".into()),
            ]
        );
    }

    #[test]
    fn full_width_space_colon_and_curly_quotes() {
        assert_eq!(
            words("name：“田中 太郎”　bio:\"say \\\"hi\\\"\""),
            vec![
                Token::Pair("name".into(), "田中 太郎".into()),
                Token::Pair("bio".into(), "say \"hi\"".into()),
            ]
        );
    }

    #[test]
    fn times_and_urls_are_words() {
        assert_eq!(
            words("10:00 https://example.com"),
            vec![
                Token::Word("10:00".into()),
                Token::Word("https://example.com".into())
            ]
        );
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        assert_eq!(
            tokenize(r#"name:"佐藤"#).unwrap_err().key,
            "error.unterminated_quote"
        );
        assert!(tokenize(r#""open"#).is_err());
    }
}
