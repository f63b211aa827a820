//! What every command reads, held in memory: the community of a space, the asking member, the
//! community's purpose and the member's consent, who blocked them, and each community's
//! directory as posting lists ([`TermIndex`]). A search then touches the database once (the
//! page's rows) or, when nothing changed, for nothing else.
//!
//! The view is kept current from the database's own change log (migration 0090): triggers note
//! every change to those rows, whoever writes them. Before a cached read the store brings the
//! view up to date ([`LiveView::fresh`]); the backend says when it must read the log
//! ([`ChangeFeed::must_read`]): SQLite only after a commit in this process (its commit hook
//! says so) or once a second for other processes on the same file; PostgreSQL once per
//! command, so a write on one instance is seen by the next command on another.
//!
//! Changes evict what they touch (never patch it): the next read goes to the database and is
//! kept only if no change was applied meanwhile (the epoch), so a slow read can never put an
//! older row back. Directory documents are re-read with the change and applied in place.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::term_index::{Doc, Slot, TermIndex};
use super::{Purpose, SEARCH_COUNT_LIMIT, SearchPage, SearchQuery, StoreResult};
use crate::domain::{Community, CommunityId, Member, MemberId, Platform};

/// An idle view reloads afresh after this long: the log keeps a day (see `prune`).
const RELOAD_AFTER: Duration = Duration::from_secs(12 * 3600);
/// Log rows are deleted after a day, by whichever instance prunes first each hour.
pub(super) const KEEP_CHANGES_HOURS: i64 = 24;
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Cached members, consents and block lists kept before the maps are emptied and refilled.
const MAX_ENTRIES: usize = 50_000;
/// How long a search waits for its community's directory to load before answering in SQL.
const INLINE_LOAD: Duration = Duration::from_millis(200);

/// One noted change, with the member's current directory entry when it names a member.
pub(super) struct Change {
    pub community: CommunityId,
    pub member: Option<MemberId>,
    /// The member's document, when they exist and are approved.
    pub doc: Option<OwnedDoc>,
}

pub(super) struct OwnedDoc {
    pub terms: Vec<String>,
    pub joined: Option<i32>,
    pub left: Option<i32>,
}

/// What a backend provides: its change log and its directory documents.
pub(super) trait ChangeFeed: Sync {
    /// The log's position now, before anything is cached (SQLite: the last `seq`; PostgreSQL:
    /// the snapshot's xmin).
    fn mark_now(&self) -> impl Future<Output = StoreResult<i64>> + Send;
    /// Changes after `mark` (PostgreSQL: at or after), with the new mark.
    fn changes_since(
        &self,
        mark: i64,
    ) -> impl Future<Output = StoreResult<(i64, Vec<Change>)>> + Send;
    /// Whether the view at `mark`, last read from the log at `read_at`, must read it again.
    fn must_read(&self, mark: i64, read_at: Instant) -> bool;
    /// The view read the log up to `mark`.
    fn read_done(&self, _mark: i64) {}
    /// Every approved member of `community` in an index, read in one snapshot (`None`: ids
    /// too large for memory). Built row by row ([`DirectoryBuilder`]), so loading holds the
    /// index and a chunk of rows, never every document at once.
    fn directory(
        &self,
        community: CommunityId,
    ) -> impl Future<Output = StoreResult<Option<TermIndex>>> + Send;
    /// Deletes log rows older than [`KEEP_CHANGES_HOURS`].
    fn prune(&self) -> impl Future<Output = StoreResult<()>> + Send;
}

type IdentityKey = (CommunityId, Platform, Box<str>);

#[derive(Default)]
struct State {
    /// Log position applied; `None` until first read.
    mark: Option<i64>,
    read_at: Option<Instant>,
    /// Bumped by every applied change: a read from the database is kept only when the epoch
    /// did not move while it ran.
    epoch: u64,
    spaces: HashMap<(Platform, Box<str>), Community>,
    members: HashMap<IdentityKey, Member>,
    keys_of: HashMap<MemberId, Vec<IdentityKey>>,
    purposes: HashMap<CommunityId, Option<Purpose>>,
    consents: HashMap<MemberId, Option<i64>>,
    blockers: HashMap<MemberId, Vec<MemberId>>,
    /// Why an admin is one (checked on each of their commands).
    admin_sources: HashMap<MemberId, (CommunityId, Option<String>)>,
    /// Approved members as search pages show them (a repeated search reads no row).
    by_id: HashMap<MemberId, Member>,
    directories: HashMap<CommunityId, Directory>,
}

enum Directory {
    /// Being read in the background; searches go to SQL meanwhile.
    Loading,
    Ready(TermIndex),
    /// Ids past `u32`: this community is searched in SQL.
    InSql,
}

#[derive(Default)]
pub(super) struct LiveView {
    state: Mutex<State>,
    /// One reader of the log at a time: two reads applied out of order could put an older
    /// directory entry back.
    reading: tokio::sync::Mutex<()>,
    pruned: Mutex<Option<Instant>>,
}

/// A search answered from memory: the page's member ids in order and the matches counted up
/// to the limit and one past it.
pub(super) struct LivePage {
    pub ids: Vec<MemberId>,
    pub counted: u64,
}

/// The epoch a database read started at, to cache its result only if nothing changed.
#[derive(Clone, Copy)]
pub(super) struct Epoch(u64);

impl LiveView {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Brings the view up to date when the backend says it may be behind.
    pub async fn fresh<F: ChangeFeed>(&self, feed: &F) -> StoreResult<Epoch> {
        let behind = {
            let s = self.lock();
            match (s.mark, s.read_at) {
                (Some(mark), Some(at)) => feed.must_read(mark, at),
                _ => true,
            }
        };
        if behind {
            let _reading = self.reading.lock().await;
            self.read_log(feed).await?;
        }
        self.prune_now_and_then(feed).await?;
        Ok(Epoch(self.lock().epoch))
    }

    /// Reads and applies the log (the caller holds `reading`).
    async fn read_log<F: ChangeFeed>(&self, feed: &F) -> StoreResult<()> {
        let (mark, read_at) = {
            let s = self.lock();
            (s.mark, s.read_at)
        };
        let stale = read_at.is_none_or(|at| at.elapsed() > RELOAD_AFTER);
        let Some(mark) = mark.filter(|_| !stale) else {
            // First read, or idle for so long the log may have been pruned: start empty.
            let now = feed.mark_now().await?;
            let mut s = self.lock();
            let epoch = s.epoch + 1;
            *s = State {
                mark: Some(now),
                read_at: Some(Instant::now()),
                epoch,
                ..State::default()
            };
            feed.read_done(now);
            return Ok(());
        };
        let (next, changes) = feed.changes_since(mark).await?;
        let mut s = self.lock();
        s.apply(changes);
        s.mark = Some(next);
        s.read_at = Some(Instant::now());
        feed.read_done(next);
        Ok(())
    }

    async fn prune_now_and_then<F: ChangeFeed>(&self, feed: &F) -> StoreResult<()> {
        {
            let mut pruned = self.pruned.lock().unwrap_or_else(|e| e.into_inner());
            if pruned.is_some_and(|at| at.elapsed() < PRUNE_EVERY) {
                return Ok(());
            }
            *pruned = Some(Instant::now());
        }
        feed.prune().await
    }

    /// A cached value, or `fetch`ed from the database and kept when nothing changed meanwhile.
    pub async fn read_through<F, T, Fut>(
        &self,
        feed: &F,
        get: impl Fn(&ViewRead<'_>) -> Option<T>,
        fetch: Fut,
        put: impl FnOnce(&mut ViewWrite<'_>, &T),
    ) -> StoreResult<T>
    where
        F: ChangeFeed,
        Fut: Future<Output = StoreResult<T>>,
    {
        let epoch = self.fresh(feed).await?;
        if let Some(hit) = get(&ViewRead(&self.lock())) {
            return Ok(hit);
        }
        let value = fetch.await?;
        let mut s = self.lock();
        if s.epoch == epoch.0 {
            s.trim();
            put(&mut ViewWrite(&mut s), &value);
        }
        Ok(value)
    }

    /// A page's approved members of `community` in the order of `ids`: from memory, the rest
    /// `fetch`ed (and kept when nothing changed meanwhile).
    pub async fn page_members<F, Fut>(
        &self,
        feed: &F,
        community: CommunityId,
        page: LivePage,
        fetch: impl FnOnce(Vec<MemberId>) -> Fut,
    ) -> StoreResult<SearchPage>
    where
        F: ChangeFeed,
        Fut: Future<Output = StoreResult<Vec<Member>>>,
    {
        let epoch = self.fresh(feed).await?;
        let (mut known, missing): (HashMap<MemberId, Member>, Vec<MemberId>) = {
            let s = self.lock();
            let mut known = HashMap::new();
            let mut missing = Vec::new();
            for id in &page.ids {
                match s.by_id.get(id).filter(|m| m.community_id == community) {
                    Some(m) => {
                        known.insert(*id, m.clone());
                    }
                    None => missing.push(*id),
                }
            }
            (known, missing)
        };
        if !missing.is_empty() {
            let fetched = fetch(missing).await?;
            let mut s = self.lock();
            let keep = s.epoch == epoch.0;
            if keep {
                s.trim();
            }
            for m in fetched {
                if keep {
                    s.by_id.insert(m.id, m.clone());
                }
                known.insert(m.id, m);
            }
        }
        let limit = SEARCH_COUNT_LIMIT;
        Ok(SearchPage {
            members: page.ids.iter().filter_map(|id| known.remove(id)).collect(),
            total: page.counted.min(limit),
            total_exact: page.counted <= limit,
        })
    }

    /// The page from memory, `None` to search in SQL this time (the community is loading, or
    /// cannot be held in memory). A community not yet in memory starts loading; a small one is
    /// waited for.
    pub async fn search<F: ChangeFeed + Clone + Send + 'static>(
        self: &Arc<Self>,
        feed: &F,
        community: CommunityId,
        query: &SearchQuery,
        limit: u32,
        offset: u32,
    ) -> StoreResult<Option<LivePage>> {
        self.fresh(feed).await?;
        {
            let mut s = self.lock();
            match s.directories.get(&community) {
                Some(Directory::Ready(index)) => {
                    return Ok(Some(page(index, query, limit, offset)));
                }
                Some(Directory::Loading | Directory::InSql) => return Ok(None),
                None => {
                    s.directories.insert(community, Directory::Loading);
                }
            }
        }
        let (view, background) = (self.clone(), feed.clone());
        let loading = tokio::spawn(async move { view.load(&background, community).await });
        // A small community loads in milliseconds: wait that long, not for a large one.
        if tokio::time::timeout(INLINE_LOAD, loading).await.is_ok() {
            self.fresh(feed).await?;
            if let Some(Directory::Ready(index)) = self.lock().directories.get(&community) {
                return Ok(Some(page(index, query, limit, offset)));
            }
        }
        Ok(None)
    }

    /// Loads `community`'s directory now unless it is in memory already (start-up, tests and
    /// benchmarks that time the memory path).
    pub async fn warm<F: ChangeFeed>(&self, feed: &F, community: CommunityId) -> StoreResult<()> {
        self.fresh(feed).await?;
        {
            let mut s = self.lock();
            if matches!(
                s.directories.get(&community),
                Some(Directory::Ready(_) | Directory::InSql)
            ) {
                return Ok(());
            }
            s.directories.insert(community, Directory::Loading);
        }
        self.load(feed, community).await
    }

    /// Reads the directory in one snapshot taken after the view's mark, then replays the log
    /// from that mark onto it: whatever committed after the snapshot is applied with the
    /// member's current document.
    async fn load<F: ChangeFeed>(&self, feed: &F, community: CommunityId) -> StoreResult<()> {
        let started = Instant::now();
        let since = {
            let _reading = self.reading.lock().await;
            self.read_log(feed).await?;
            self.lock().mark
        };
        let loaded = feed.directory(community).await;
        let _reading = self.reading.lock().await;
        let index = match loaded {
            Ok(index) => index,
            Err(e) => {
                self.lock().directories.remove(&community);
                tracing::warn!(community, error = %e, "loading the directory into memory failed; searching in SQL");
                return Err(e);
            }
        };
        let Some(index) = index else {
            self.lock().directories.insert(community, Directory::InSql);
            return Ok(());
        };
        let members = index.len();
        tracing::info!(
            community,
            members,
            postings = index.postings(),
            ms = started.elapsed().as_millis() as u64,
            "directory loaded into memory"
        );
        // Replay from before the snapshot (re-applying a change is harmless: documents are
        // current), then the log as usual.
        let replay = match since {
            Some(mark) => feed.changes_since(mark).await?.1,
            None => Vec::new(),
        };
        {
            let mut s = self.lock();
            s.directories.insert(community, Directory::Ready(index));
            s.apply(replay);
        }
        self.read_log(feed).await
    }
}

fn page(index: &TermIndex, query: &SearchQuery, limit: u32, offset: u32) -> LivePage {
    let found = index.search(query, limit, offset);
    LivePage {
        ids: found.page.into_iter().map(MemberId::from).collect(),
        counted: found.counted,
    }
}

/// Builds a directory from rows as a backend reads them.
#[derive(Default)]
pub(super) struct DirectoryBuilder {
    index: TermIndex,
    too_large: bool,
}

impl DirectoryBuilder {
    pub fn add(
        &mut self,
        id: MemberId,
        terms: Vec<std::borrow::Cow<'_, str>>,
        years: (Option<i32>, Option<i32>),
    ) {
        match Slot::try_from(id) {
            Ok(id) => self.index.upsert(Doc {
                id,
                terms,
                joined: years.0,
                left: years.1,
            }),
            Err(_) => self.too_large = true,
        }
    }

    pub fn finish(mut self) -> Option<TermIndex> {
        if self.too_large {
            return None;
        }
        self.index.compact();
        Some(self.index)
    }
}

fn borrowed(id: Slot, doc: &OwnedDoc) -> Doc<'_> {
    Doc {
        id,
        terms: doc.terms.iter().map(|t| t.as_str().into()).collect(),
        joined: doc.joined,
        left: doc.left,
    }
}

impl State {
    fn apply(&mut self, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        self.epoch += 1;
        // Many changes at once (an import): loading afresh beats removing one by one (each
        // removal searches every list).
        let mut per_community: HashMap<CommunityId, usize> = HashMap::new();
        for change in &changes {
            *per_community.entry(change.community).or_default() += 1;
        }
        for (community, n) in per_community {
            if let Some(Directory::Ready(index)) = self.directories.get(&community)
                && n > 100 + index.len() / 4
            {
                self.directories.remove(&community);
            }
        }
        // A member changed several times is applied once, with their current document.
        let mut seen: HashSet<(CommunityId, Option<MemberId>)> = HashSet::new();
        for change in changes {
            if !seen.insert((change.community, change.member)) {
                continue;
            }
            let Some(member) = change.member else {
                self.spaces.retain(|_, c| c.id != change.community);
                self.purposes.remove(&change.community);
                continue;
            };
            for key in self.keys_of.remove(&member).unwrap_or_default() {
                self.members.remove(&key);
            }
            self.consents.remove(&member);
            self.blockers.remove(&member);
            self.by_id.remove(&member);
            self.admin_sources.remove(&member);
            let Some(Directory::Ready(index)) = self.directories.get_mut(&change.community) else {
                continue;
            };
            let Ok(slot) = Slot::try_from(member) else {
                self.directories.insert(change.community, Directory::InSql);
                continue;
            };
            match &change.doc {
                Some(doc) => index.upsert(borrowed(slot, doc)),
                None => index.remove(slot),
            }
        }
    }

    /// Keeps the caches bounded: past the limit they start over (the next reads refill them).
    fn trim(&mut self) {
        if self.members.len() > MAX_ENTRIES {
            self.members.clear();
            self.keys_of.clear();
        }
        if self.consents.len() > MAX_ENTRIES {
            self.consents.clear();
        }
        if self.blockers.len() > MAX_ENTRIES {
            self.blockers.clear();
        }
        if self.admin_sources.len() > MAX_ENTRIES {
            self.admin_sources.clear();
        }
        if self.by_id.len() > MAX_ENTRIES / 4 {
            self.by_id.clear();
        }
    }
}

/// Cached reads, for [`LiveView::read_through`].
pub(super) struct ViewRead<'a>(&'a State);

impl ViewRead<'_> {
    pub fn community(&self, platform: Platform, space: &str) -> Option<Community> {
        self.0.spaces.get(&(platform, space.into())).cloned()
    }

    pub fn member(&self, community: CommunityId, platform: Platform, user: &str) -> Option<Member> {
        self.0
            .members
            .get(&(community, platform, user.into()))
            .cloned()
    }

    pub fn purpose(&self, community: CommunityId) -> Option<Option<Purpose>> {
        self.0.purposes.get(&community).cloned()
    }

    pub fn consent(&self, member: MemberId) -> Option<Option<i64>> {
        self.0.consents.get(&member).copied()
    }

    pub fn blockers(&self, member: MemberId) -> Option<Vec<MemberId>> {
        self.0.blockers.get(&member).cloned()
    }

    pub fn admin_source(&self, community: CommunityId, member: MemberId) -> Option<Option<String>> {
        match self.0.admin_sources.get(&member) {
            Some((c, source)) if *c == community => Some(source.clone()),
            _ => None,
        }
    }
}

/// Cache fills, for [`LiveView::read_through`].
pub(super) struct ViewWrite<'a>(&'a mut State);

impl ViewWrite<'_> {
    pub fn community(&mut self, platform: Platform, space: &str, community: &Community) {
        self.0
            .spaces
            .insert((platform, space.into()), community.clone());
    }

    pub fn member(&mut self, platform: Platform, user: &str, member: &Member) {
        let key: IdentityKey = (member.community_id, platform, user.into());
        self.0
            .keys_of
            .entry(member.id)
            .or_default()
            .push(key.clone());
        self.0.members.insert(key, member.clone());
    }

    pub fn purpose(&mut self, community: CommunityId, purpose: &Option<Purpose>) {
        self.0.purposes.insert(community, purpose.clone());
    }

    pub fn consent(&mut self, member: MemberId, version: Option<i64>) {
        self.0.consents.insert(member, version);
    }

    pub fn blockers(&mut self, member: MemberId, blockers: &[MemberId]) {
        self.0.blockers.insert(member, blockers.to_vec());
    }

    pub fn admin_source(
        &mut self,
        community: CommunityId,
        member: MemberId,
        source: &Option<String>,
    ) {
        self.0
            .admin_sources
            .insert(member, (community, source.clone()));
    }
}

tokio::task_local! {
    /// Set while a command runs: whether the view was brought up to date in it already.
    static COMMAND_READ_LOG: std::cell::Cell<bool>;
}

/// Runs one command: a backend that reads the log once per command (PostgreSQL) reads it at
/// the first cached read inside, not again at the next ones.
pub async fn command_scope<F: Future>(f: F) -> F::Output {
    COMMAND_READ_LOG.scope(std::cell::Cell::new(false), f).await
}

/// Whether the log was read in the running command; outside one, never (read every time).
pub(super) fn read_in_this_command() -> bool {
    COMMAND_READ_LOG.try_with(|c| c.get()).unwrap_or(false)
}

/// Notes that the running command read the log.
pub(super) fn mark_read_in_this_command() {
    let _ = COMMAND_READ_LOG.try_with(|c| c.set(true));
}
