//! One community's directory as posting lists in memory: term → the approved members whose
//! document has it, ascending ids. PostgreSQL's GIN index cannot stop early and every match
//! it tests costs a visit to the members heap (1–3 µs a row), so a common term such as "rust"
//! cost milliseconds per search; here a search intersects sorted lists newest first and stops
//! as soon as it has what the page and the capped count need. `live` keeps one of
//! these per community current with the database; this module is pure data.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{SEARCH_COUNT_LIMIT, SearchQuery};
use crate::search::{self, QueryTerm};

/// Member ids as stored in the lists: `u32` halves the memory of `i64`. A community whose ids
/// do not fit is searched in SQL instead (see `live`).
pub(super) type Slot = u32;

/// One approved member's document as the index needs it.
pub(super) struct Doc<'a> {
    pub id: Slot,
    pub terms: Vec<Cow<'a, str>>,
    pub joined: Option<i32>,
    pub left: Option<i32>,
}

#[derive(Default)]
pub(super) struct TermIndex {
    ids: HashMap<Box<str>, u32>,
    postings: Vec<Vec<Slot>>,
    /// Every member in the index, with the years a query can range over.
    years: HashMap<Slot, (Option<i32>, Option<i32>)>,
    /// Every member in the index, ascending (the browse order, and the walk for year-only
    /// queries).
    all: Vec<Slot>,
}

/// What a search found: the page's ids in order, and the matches counted up to the limit and
/// one past it (so `SEARCH_COUNT_LIMIT + 1` means "more").
#[derive(Debug, PartialEq)]
pub(super) struct Found {
    pub page: Vec<Slot>,
    pub counted: u64,
}

impl TermIndex {
    #[cfg(test)]
    pub fn build<'a>(docs: impl IntoIterator<Item = Doc<'a>>) -> TermIndex {
        let mut index = TermIndex::default();
        for doc in docs {
            for term in &doc.terms {
                let t = index.term_id(term);
                index.postings[t as usize].push(doc.id);
            }
            index.years.insert(doc.id, (doc.joined, doc.left));
            index.all.push(doc.id);
        }
        for list in &mut index.postings {
            list.sort_unstable();
            list.dedup();
        }
        index.all.sort_unstable();
        index.all.dedup();
        index
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    /// Gives back the room lists grew into while loading (a list grows by doubling; most
    /// terms, CJK bigrams especially, have a handful of members).
    pub fn compact(&mut self) {
        for list in &mut self.postings {
            list.shrink_to_fit();
        }
        self.postings.shrink_to_fit();
        self.all.shrink_to_fit();
        self.ids.shrink_to_fit();
        self.years.shrink_to_fit();
    }

    /// Postings held, for the memory estimate in logs.
    pub fn postings(&self) -> usize {
        self.postings.iter().map(Vec::len).sum()
    }

    /// Takes a member out (left, rejected, erased, or about to be re-added). Without a list of
    /// each member's terms (that would double the memory), every list is searched: a binary
    /// search per distinct term, microseconds for a real vocabulary.
    pub fn remove(&mut self, id: Slot) {
        if self.years.remove(&id).is_none() {
            return;
        }
        for list in self.postings.iter_mut().chain([&mut self.all]) {
            if let Ok(at) = list.binary_search(&id) {
                list.remove(at);
            }
        }
    }

    /// Adds or replaces a member's document.
    pub fn upsert(&mut self, doc: Doc<'_>) {
        self.remove(doc.id);
        for term in &doc.terms {
            let t = self.term_id(term) as usize;
            insert_sorted(&mut self.postings[t], doc.id);
        }
        self.years.insert(doc.id, (doc.joined, doc.left));
        insert_sorted(&mut self.all, doc.id);
    }

    fn term_id(&mut self, term: &str) -> u32 {
        if let Some(&t) = self.ids.get(term) {
            return t;
        }
        let t = u32::try_from(self.postings.len()).expect("fewer than 2^32 distinct terms");
        self.ids.insert(term.into(), t);
        self.postings.push(Vec::new());
        t
    }

    /// The members a term finds: one list, or for a prefix term (a word longer than the
    /// indexed prefixes) the union of every term it starts.
    fn list(&self, term: &QueryTerm) -> Cow<'_, [Slot]> {
        if !term.prefix {
            return match self.ids.get(term.text.as_str()) {
                Some(&t) => self.postings[t as usize].as_slice().into(),
                None => (&[] as &[Slot]).into(),
            };
        }
        let mut union: Vec<Slot> = self
            .ids
            .iter()
            .filter(|(text, _)| text.starts_with(term.text.as_str()))
            .flat_map(|(_, &t)| self.postings[t as usize].iter().copied())
            .collect();
        union.sort_unstable();
        union.dedup();
        union.into()
    }

    /// The same answer as the SQL search: up to the count limit, members whose name has every
    /// word of the text first, then the rest, newest first within each; past the limit,
    /// newest first.
    pub fn search(&self, query: &SearchQuery, limit: u32, offset: u32) -> Found {
        let terms = query.terms();
        let text = search::query_terms(&query.text);
        let mut lists: Vec<_> = terms.iter().map(|t| self.list(t)).collect();
        lists.sort_by_key(|l| l.len());
        let (walk, tests): (&[Slot], &[_]) = match lists.split_first() {
            Some((first, rest)) => (first, rest),
            None => (&self.all, &[]),
        };
        let in_range = |value: Option<i32>, range: Option<(i32, i32)>| match range {
            None => true,
            Some((from, to)) => value.is_some_and(|v| (from..=to).contains(&v)),
        };
        // Every id in a list is in the index: the years are looked up only when asked about.
        let ranged = query.joined.is_some() || query.left.is_some();
        let matches = |id: &Slot| {
            !query.exclude.contains(&i64::from(*id))
                && tests.iter().all(|l| l.binary_search(id).is_ok())
                && (!ranged
                    || self.years.get(id).is_some_and(|&(joined, left)| {
                        in_range(joined, query.joined) && in_range(left, query.left)
                    }))
        };

        let want = (offset as usize).saturating_add(limit as usize);
        let cap = SEARCH_COUNT_LIMIT as usize + 1;
        let found: Vec<Slot> = walk
            .iter()
            .rev()
            .filter(|id| matches(id))
            .take(want.max(cap))
            .copied()
            .collect();
        let counted = found.len().min(cap) as u64;
        let ordered = if found.len() < cap && !text.is_empty() {
            let names: Vec<_> = text
                .iter()
                .map(|t| {
                    self.list(&QueryTerm {
                        text: search::name_marker(&t.text),
                        prefix: t.prefix,
                    })
                })
                .collect();
            let (named, rest): (Vec<Slot>, Vec<Slot>) = found
                .into_iter()
                .partition(|id| names.iter().all(|l| l.binary_search(id).is_ok()));
            named.into_iter().chain(rest).collect()
        } else {
            found
        };
        Found {
            page: ordered
                .into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .collect(),
            counted,
        }
    }
}

fn insert_sorted(list: &mut Vec<Slot>, id: Slot) {
    if let Err(at) = list.binary_search(&id) {
        list.insert(at, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: Slot, terms: &[&'static str], left: Option<i32>) -> Doc<'static> {
        Doc {
            id,
            terms: terms.iter().map(|t| Cow::Borrowed(*t)).collect(),
            joined: None,
            left,
        }
    }

    fn query(text: &str) -> SearchQuery {
        SearchQuery {
            text: text.into(),
            ..SearchQuery::default()
        }
    }

    #[test]
    fn name_matches_come_first_then_newest() {
        let index = TermIndex::build([
            doc(1, &["rust", "nm_rust"], None),
            doc(2, &["rust"], None),
            doc(3, &["rust"], None),
            doc(4, &["go"], None),
        ]);
        let found = index.search(&query("rust"), 10, 0);
        assert_eq!(found.page, vec![1, 3, 2]);
        assert_eq!(found.counted, 3);
    }

    #[test]
    fn every_term_and_the_years_must_match() {
        let index = TermIndex::build([
            doc(1, &["rust", "go"], Some(2016)),
            doc(2, &["rust"], Some(2016)),
            doc(3, &["rust", "go"], Some(2021)),
        ]);
        let mut q = query("rust go");
        q.left = Some((2015, 2018));
        assert_eq!(index.search(&q, 10, 0).page, vec![1]);
        assert_eq!(index.search(&query("rust go"), 10, 0).page, vec![3, 1]);
        assert_eq!(index.search(&query("cobol"), 10, 0).counted, 0);
    }

    #[test]
    fn past_the_limit_newest_first_and_counted_as_more() {
        let n = SEARCH_COUNT_LIMIT as u32 + 50;
        let index = TermIndex::build((1..=n).map(|id| doc(id, &["rust"], None)));
        let found = index.search(&query("rust"), 10, 20);
        assert_eq!(found.counted, SEARCH_COUNT_LIMIT + 1);
        assert_eq!(found.page, ((n - 29)..=(n - 20)).rev().collect::<Vec<_>>());
        // Browsing (no terms) walks everyone the same way.
        assert_eq!(index.search(&query(""), 1, 0).page, vec![n]);
    }

    #[test]
    fn changes_replace_and_remove_documents() {
        let mut index = TermIndex::build([doc(1, &["rust"], None), doc(2, &["rust"], None)]);
        index.upsert(doc(1, &["go"], None));
        assert_eq!(index.search(&query("rust"), 10, 0).page, vec![2]);
        assert_eq!(index.search(&query("go"), 10, 0).page, vec![1]);
        index.remove(2);
        assert_eq!(index.search(&query("rust"), 10, 0).counted, 0);
        assert_eq!(index.len(), 1);
    }

    #[test]
    fn a_long_word_matches_every_term_it_starts() {
        let long = "internationalization";
        let index = TermIndex::build([
            doc(1, &["internationalizations"], None),
            doc(2, &["internationalization"], None),
            doc(3, &["international"], None),
        ]);
        assert_eq!(index.search(&query(long), 10, 0).page, vec![2, 1]);
    }
}
