//! Directory search terms, computed in Rust so SQLite and PostgreSQL index the same thing.
//!
//! Latin text becomes lowercase words, indexed with their prefixes (`rust` as `ru`, `rus`,
//! `rust`), so a word typed into search is one exact index lookup that also finds longer words
//! (`rus` finds Rust): no prefix scan over the index, which costs in proportion to every
//! posting under the prefix. Japanese and other non-Latin runs become unigrams and bigrams, so a
//! 2-character surname such as 田中 is one indexed term (trigram indexes cannot find it).
//! Structured filters become qualified terms (`sk_rust`, `ot_rehire`), so a filter is an index
//! lookup, not a scan.
//!
//! Documents written under older rules are rebuilt when a store opens (see [`INDEX_VERSION`]).

use crate::domain::{CommunityId, Member, OpenTo, Role};

/// Bump when the terms a document is made of change: a store rebuilds every document written
/// under an older version when it opens. 1: words without their prefixes (the first release).
pub const INDEX_VERSION: i64 = 2;

/// Latin words are indexed with their prefixes up to this many letters. A longer query word
/// matches as a prefix of the full words (which are indexed too): rare, and still correct.
pub const MAX_PREFIX: usize = 16;

/// The terms of one member's document, split into the name (ranked higher) and the rest.
/// Only what others may see goes in, so a hidden field is never searchable.
pub struct Document {
    pub name: Vec<String>,
    pub other: Vec<String>,
}

impl Document {
    pub fn of(member: &Member) -> Document {
        let p = member.profile.visible(&member.hidden);
        let mut other = Vec::new();
        for text in [
            &p.company,
            &p.title,
            &p.industry,
            &p.location,
            &p.department,
            &p.bio,
        ]
        .into_iter()
        .flatten()
        {
            push_text_terms(text, &mut other);
        }
        for item in p.skills.iter().chain(&p.interests) {
            push_text_terms(item, &mut other);
        }
        for skill in &p.skills {
            other.push(filter_term("sk", skill));
        }
        for o in &p.open_to {
            other.push(filter_term("ot", o.as_str()));
        }
        if let Some(industry) = &p.industry {
            other.push(filter_term("in", industry));
        }
        other.push(filter_term("ro", member.role.as_str()));
        other.push(Document::community_term(member.community_id));
        other.sort();
        other.dedup();
        let mut name = Vec::new();
        push_text_terms(&p.name, &mut name);
        // "佐藤洋介" typed without the space must still find "佐藤 洋介" (Latin words are
        // separate words either way).
        let joined: String = p.name.split_whitespace().collect();
        for run in runs(&joined) {
            if let Run::Wide(chars) = run {
                push_grams(&chars, &mut name);
            }
        }
        name.sort();
        name.dedup();
        Document { name, other }
    }
}

impl Document {
    /// Every document carries its community, so the index itself never mixes tenants.
    pub fn community_term(community: CommunityId) -> String {
        format!("cm_{community}")
    }
}

/// The term marking `term` as part of a member's name, for a backend that tells the name apart
/// by term rather than by column (PostgreSQL): `nm_田中`.
pub fn name_marker(term: &str) -> String {
    format!("nm_{term}")
}

/// One term of a query: all terms must match (AND).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTerm {
    pub text: String,
    /// Match every indexed term starting with `text`. Only Latin words longer than
    /// [`MAX_PREFIX`]: shorter ones find longer words through their indexed prefixes.
    pub prefix: bool,
}

/// Terms for free text typed into search.
pub fn query_terms(text: &str) -> Vec<QueryTerm> {
    let mut terms = Vec::new();
    for run in runs(text) {
        match run {
            Run::Latin(word) => terms.push(QueryTerm {
                prefix: word.len() > MAX_PREFIX,
                text: word,
            }),
            Run::Wide(chars) if chars.len() == 1 => terms.push(QueryTerm {
                text: chars[0].to_string(),
                prefix: false,
            }),
            Run::Wide(chars) => {
                for pair in chars.windows(2) {
                    terms.push(QueryTerm {
                        text: pair.iter().collect(),
                        prefix: false,
                    });
                }
            }
        }
    }
    terms.dedup();
    terms
}

pub fn skill_filter(skill: &str) -> QueryTerm {
    exact(filter_term("sk", skill))
}

pub fn open_to_filter(o: OpenTo) -> QueryTerm {
    exact(filter_term("ot", o.as_str()))
}

pub fn industry_filter(industry: &str) -> QueryTerm {
    exact(filter_term("in", industry))
}

pub fn role_filter(role: Role) -> QueryTerm {
    exact(filter_term("ro", role.as_str()))
}

fn exact(text: String) -> QueryTerm {
    QueryTerm {
        text,
        prefix: false,
    }
}

/// `prefix_value`, normalised so `C++`, `c++` and `Ｃ＋＋` are one term and symbols survive
/// tokenizers that split on punctuation.
fn filter_term(prefix: &str, value: &str) -> String {
    let mut out = String::from(prefix);
    out.push('_');
    for c in value
        .trim()
        .chars()
        .map(narrow)
        .flat_map(char::to_lowercase)
    {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            '+' => out.push_str("plus"),
            '#' => out.push_str("sharp"),
            '.' => out.push_str("dot"),
            c if !c.is_ascii() && !c.is_whitespace() => out.push(c),
            _ => out.push('_'),
        }
    }
    out
}

fn push_text_terms(text: &str, out: &mut Vec<String>) {
    for run in runs(text) {
        match run {
            Run::Latin(word) => {
                // Prefixes start at two letters; a single letter stays a word of its own, so a
                // one-letter query finds the language C, not half the directory.
                let n = word.len();
                out.extend((2..=n.min(MAX_PREFIX)).map(|k| word[..k].to_owned()));
                if n == 1 || n > MAX_PREFIX {
                    out.push(word);
                }
            }
            Run::Wide(chars) => push_grams(&chars, out),
        }
    }
}

/// Unigrams and bigrams.
fn push_grams(chars: &[char], out: &mut Vec<String>) {
    out.extend(chars.iter().map(char::to_string));
    out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
}

enum Run {
    Latin(String),
    Wide(Vec<char>),
}

/// Full-width ASCII (Ｒｕｓｔ, ２０２０) as plain ASCII.
fn narrow(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Split text into lowercase ASCII words and runs of non-ASCII letters; drop punctuation.
fn runs(text: &str) -> Vec<Run> {
    let mut out = Vec::new();
    let mut latin = String::new();
    let mut wide: Vec<char> = Vec::new();
    for c in text.chars().map(narrow) {
        if c.is_ascii_alphanumeric() {
            flush_wide(&mut wide, &mut out);
            latin.push(c.to_ascii_lowercase());
        } else if !c.is_ascii() && c.is_alphanumeric() {
            flush_latin(&mut latin, &mut out);
            wide.extend(c.to_lowercase());
        } else {
            flush_latin(&mut latin, &mut out);
            flush_wide(&mut wide, &mut out);
        }
    }
    flush_latin(&mut latin, &mut out);
    flush_wide(&mut wide, &mut out);
    out
}

fn flush_latin(latin: &mut String, out: &mut Vec<Run>) {
    if !latin.is_empty() {
        out.push(Run::Latin(std::mem::take(latin)));
    }
}

fn flush_wide(wide: &mut Vec<char>, out: &mut Vec<Run>) {
    if !wide.is_empty() {
        out.push(Run::Wide(std::mem::take(wide)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(terms: &[QueryTerm]) -> Vec<&str> {
        terms.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn japanese_names_index_unigrams_and_bigrams() {
        let mut out = Vec::new();
        push_text_terms("佐藤 洋介", &mut out);
        assert_eq!(out, ["佐", "藤", "佐藤", "洋", "介", "洋介"]);
        assert_eq!(texts(&query_terms("佐藤")), ["佐藤"]);
        assert_eq!(texts(&query_terms("田中太郎")), ["田中", "中太", "太郎"]);
        assert_eq!(texts(&query_terms("藤")), ["藤"]);
    }

    #[test]
    fn latin_words_are_indexed_with_prefixes_and_full_width_is_narrowed() {
        let q = query_terms("Rust ＧＯ, backend-engineer");
        assert_eq!(texts(&q), ["rust", "go", "backend", "engineer"]);
        assert!(q.iter().all(|t| !t.prefix), "prefixes are indexed");

        let mut out = Vec::new();
        push_text_terms("Rust C", &mut out);
        assert_eq!(out, ["ru", "rus", "rust", "c"]);

        // Longer than MAX_PREFIX: indexed prefixes stop there and the full word is kept; a
        // query word that long matches as a prefix of full words.
        let long = "internationalization";
        let mut out = Vec::new();
        push_text_terms(long, &mut out);
        assert_eq!(out.len(), MAX_PREFIX);
        assert!(out.contains(&long[..MAX_PREFIX].to_owned()));
        assert!(out.contains(&long.to_owned()));
        assert!(query_terms(long)[0].prefix);
        assert!(!query_terms(&long[..MAX_PREFIX])[0].prefix);
    }

    fn name_terms(name: &str) -> Vec<String> {
        let member = crate::domain::Member {
            id: 1,
            community_id: 1,
            status: crate::domain::MemberStatus::Approved,
            role: Role::Member,
            profile: crate::domain::Profile {
                name: name.to_owned(),
                ..Default::default()
            },
            hidden: Vec::new(),
            locale: None,
            handle: String::new(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            timezone: None,
        };
        Document::of(&member).name
    }

    #[test]
    fn names_are_also_indexed_without_their_spaces() {
        // 藤洋 spans the space: the name typed without it asks for that bigram.
        assert!(name_terms("佐藤 洋介").contains(&"藤洋".to_owned()));
        // Latin words stay words: no "kenhayashi" (nor its prefixes).
        let latin = name_terms("Ken Hayashi");
        assert!(latin.contains(&"hayashi".to_owned()));
        assert!(!latin.iter().any(|t| t.starts_with("kenh")), "{latin:?}");
    }

    #[test]
    fn filters_keep_symbols_apart() {
        assert_eq!(filter_term("sk", "C++"), "sk_cplusplus");
        assert_eq!(filter_term("sk", "C#"), "sk_csharp");
        assert_eq!(filter_term("sk", "Ｃ＋＋"), "sk_cplusplus");
        assert_ne!(filter_term("sk", "c"), filter_term("sk", "c++"));
        assert_eq!(filter_term("in", "経理 財務"), "in_経理_財務");
    }
}
