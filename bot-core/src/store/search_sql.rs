//! Search parts both backends share: the year-range conditions and the cache of which
//! communities hold most of the directory. The full-text parts differ (FTS5 vs GIN) and live
//! in each backend.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::query::Query;
use sqlx::{Database, Encode, Type};

use super::SearchQuery;
use crate::domain::CommunityId;

/// How long a "does this community hold most of the directory" answer stays fresh:
/// communities grow slowly.
const MAJORITY_TTL: Duration = Duration::from_secs(300);

/// Which communities hold most of the directory, and since when we know. A small community's
/// search carries the community's term (so it never walks the others' matches); in the
/// majority community the term would only add its own huge posting list to every lookup.
#[derive(Clone, Default)]
pub(super) struct Majority(Arc<Mutex<HashMap<CommunityId, (bool, Instant)>>>);

impl Majority {
    pub fn known(&self, community: CommunityId) -> Option<bool> {
        let map = self.0.lock().expect("lock");
        map.get(&community)
            .filter(|(_, at)| at.elapsed() < MAJORITY_TTL)
            .map(|(majority, _)| *majority)
    }

    pub fn remember(&self, community: CommunityId, majority: bool) {
        let mut map = self.0.lock().expect("lock");
        map.insert(community, (majority, Instant::now()));
    }
}

/// The inclusive year ranges of a query, as SQL conditions on `m`, and the members it leaves
/// out. A member who hides a year is never found by a range over it: the filter would reveal
/// it.
pub(super) struct Years {
    /// (column, the profile field that hides it, from, to)
    pub bounds: Vec<(&'static str, &'static str, i32, i32)>,
    /// Ids written into the SQL as numbers (no parameters, so the numbering stays the years').
    exclude: Vec<i64>,
}

impl Years {
    pub fn of(query: &SearchQuery) -> Years {
        let mut bounds = Vec::new();
        if let Some((from, to)) = query.left {
            bounds.push(("m.left_year", "left", from, to));
        }
        if let Some((from, to)) = query.joined {
            bounds.push(("m.joined_year", "joined", from, to));
        }
        Years {
            bounds,
            exclude: query.exclude.clone(),
        }
    }

    /// ` AND m.left_year BETWEEN $n AND $n+1 …` from parameter `first` on; `walk` keeps them
    /// off their indexes (`+ 0`), so the query follows the id order instead.
    pub fn sql(&self, first: usize, walk: bool) -> String {
        let mut sql = String::new();
        for (i, (column, field, _, _)) in self.bounds.iter().enumerate() {
            let n = first + 2 * i;
            let plus = if walk { " + 0" } else { "" };
            sql.push_str(&format!(
                " AND {column}{plus} BETWEEN ${n} AND ${} AND {}",
                n + 1,
                visible_year(field)
            ));
        }
        if !self.exclude.is_empty() {
            let ids: Vec<String> = self.exclude.iter().map(i64::to_string).collect();
            sql.push_str(&format!(" AND m.id NOT IN ({})", ids.join(", ")));
        }
        sql
    }

    pub fn bind<'q, DB: Database>(
        &self,
        mut q: Query<'q, DB, DB::Arguments>,
    ) -> Query<'q, DB, DB::Arguments>
    where
        i32: Encode<'q, DB> + Type<DB>,
    {
        for (_, _, from, to) in &self.bounds {
            q = q.bind(*from).bind(*to);
        }
        q
    }
}

/// SQL true when the member shows `field` (`hidden` is a comma-separated list of field names;
/// no other field's name contains "left" or "joined").
pub(super) fn visible_year(field: &str) -> String {
    format!("m.hidden NOT LIKE '%{field}%'")
}
