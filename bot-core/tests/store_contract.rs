//! The `Store` contract, run against both backends: a real SQLite file and a real PostgreSQL
//! database. Every check is one `async fn check_*(store: &dyn Store, raw: &Raw)`; the
//! `contract!` macro turns each into `sqlite::<name>` and `postgres::<name>` tests, so a
//! failure names the backend.
//!
//! PostgreSQL tests skip (with a loud warning) when the server is unreachable, unless
//! `ALUMNI_REQUIRE_PG=1`.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Arc, Mutex};

use bot_core::action::Action;
use bot_core::domain::{
    Community, CommunityId, Field, Identity, Member, MemberId, MemberStatus, OpenTo, Platform,
    Profile, Role,
};
use bot_core::i18n::Locale;
use bot_core::jobs::{Job, JobState, NewJob, Payload, Target};
use bot_core::reply::{ButtonStyle, Reply};
use bot_core::store::{
    NewCommunity, NewMember, PgStore, SEARCH_COUNT_LIMIT, SearchQuery, SqliteStore, Store,
};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};

// ---------------------------------------------------------------------------------------------
// Harness

/// Raw SQL access to the backend under test, to see what the `Store` API cannot show.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Raw {
    /// Runs a `SELECT COUNT(*) ...` with one `$1` parameter bound to `arg`.
    async fn count(&self, sql: &'static str, arg: i64) -> i64 {
        let n: Result<i64, sqlx::Error> = match self {
            Raw::Sqlite(pool) => sqlx::query_scalar(sql).bind(arg).fetch_one(pool).await,
            Raw::Pg(pool) => sqlx::query_scalar(sql).bind(arg).fetch_one(pool).await,
        };
        n.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// `count` with a query per backend.
    async fn count_by(&self, sqlite: &'static str, postgres: &'static str, arg: i64) -> i64 {
        match self {
            Raw::Sqlite(_) => self.count(sqlite, arg).await,
            Raw::Pg(_) => self.count(postgres, arg).await,
        }
    }

    fn is_sqlite(&self) -> bool {
        matches!(self, Raw::Sqlite(_))
    }
}

async fn with_sqlite<F, Fut>(label: &str, check: F)
where
    F: FnOnce(SqliteStore, Raw) -> Fut,
    Fut: Future<Output = ()>,
{
    let db = TempSqlite::new(label);
    let store = SqliteStore::connect(&db.url())
        .await
        .expect("open the SQLite test file");
    let raw = Raw::Sqlite(store.pool().clone());
    check(store, raw).await;
}

async fn with_postgres<F, Fut>(label: &str, check: F)
where
    F: FnOnce(PgStore, Raw) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(db) = TempPostgres::create(label).await else {
        return;
    };
    let store = match PgStore::connect(&db.url).await {
        Ok(store) => store,
        Err(e) => {
            db.drop_db().await;
            panic!("connect to the PostgreSQL test database: {e}");
        }
    };
    let pool = store.pool().clone();
    let raw = Raw::Pg(pool.clone());
    // Run the check as its own task so a failed assertion still drops the database.
    let outcome = tokio::spawn(check(store, raw)).await;
    pool.close().await;
    db.drop_db().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// `name => check_fn;` generates `sqlite::name` and `postgres::name`. Attributes before a line
/// apply to both tests; `@sqlite #[attr]` / `@postgres #[attr]` to one (to mark known bugs).
macro_rules! contract {
    ($(
        $(#[$attr:meta])*
        $(@sqlite #[$sqlite_attr:meta])*
        $(@postgres #[$pg_attr:meta])*
        $name:ident => $check:ident;
    )*) => {
        mod sqlite {
            use super::*;
            $(
                $(#[$attr])*
                $(#[$sqlite_attr])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    with_sqlite(stringify!($name), |store, raw| async move {
                        $check(&store, &raw).await
                    })
                    .await;
                }
            )*
        }

        mod postgres {
            use super::*;
            $(
                $(#[$attr])*
                $(#[$pg_attr])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    with_postgres(stringify!($name), |store, raw| async move {
                        $check(&store, &raw).await
                    })
                    .await;
                }
            )*

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_claimers_take_each_job_once() {
                with_postgres("concurrent_claims", |store, raw| async move {
                    check_concurrent_claims(store, &raw).await
                })
                .await;
            }
        }

        /// PostgreSQL searching in SQL (the GIN index), as it does for a community too large
        /// for memory: the same contract as the in-memory search.
        mod postgres_sql_search {
            use super::*;
            $(
                $(#[$attr])*
                $(#[$pg_attr])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    with_postgres(stringify!($name), |store, raw| async move {
                        $check(&store.with_sql_search(), &raw).await
                    })
                    .await;
                }
            )*
        }
    };
}

contract! {
    community_for_space_creates_once => check_community_for_space;
    insert_and_look_up_members => check_insert_member;
    transition_happens_once => check_transition;
    profile_role_and_handle_round_trip => check_profile_and_role;
    communities_are_isolated => check_isolation;
    erase_member_removes_everything => check_erase;
    // An old button (`v1.ap.<id>`) must never act on a newcomer: ids are never reused.
    erased_member_ids_are_not_reused => check_ids_not_reused;
    jobs_claim_lease_finish_retry => check_jobs;
    // (PostgreSQL only: `postgres::concurrent_claimers_take_each_job_once`, see the macro.)
    search_directory => check_search;
    search_follows_profile_and_role => check_search_follows_profile;
    search_is_isolated_by_community => check_search_isolation;
    search_ranks_name_above_bio => check_search_ranking;
    search_full_name_without_space => check_search_full_name_without_space;
    search_counts_up_to_the_limit_then_pages_newest_first => check_search_count_limit;
    search_never_finds_a_member_by_a_year_they_hide => check_search_hidden_years;
    search_leaves_out_excluded_members_and_keeps_pages_full => check_search_exclude;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// A fixed instant: job times are explicit, so tests never depend on the clock.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap()
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

fn defaults(name: &str) -> NewCommunity {
    NewCommunity {
        name: name.into(),
        locale: Locale::Ja,
        timezone: "Asia/Tokyo".into(),
        requires_approval: true,
    }
}

async fn community(store: &dyn Store, space: &str) -> CommunityId {
    store
        .community_for_space(Platform::Discord, space, &defaults(space))
        .await
        .expect("community_for_space")
        .id
}

fn named(name: &str) -> Profile {
    Profile {
        name: name.into(),
        ..Profile::default()
    }
}

fn identity(user_id: &str, handle: &str) -> Identity {
    Identity {
        platform: Platform::Discord,
        space_id: "guild".into(),
        user_id: user_id.into(),
        handle: handle.into(),
    }
}

fn new_member(user_id: &str, handle: &str, status: MemberStatus, profile: Profile) -> NewMember {
    NewMember {
        identity: identity(user_id, handle),
        status,
        role: Role::Member,
        profile,
        locale: None,
        timezone: None,
    }
}

fn no_jobs(_: &Member) -> Vec<NewJob> {
    Vec::new()
}

/// Inserts a member whose handle is their user id, without jobs.
async fn add(
    store: &dyn Store,
    c: CommunityId,
    user_id: &str,
    status: MemberStatus,
    profile: Profile,
) -> Member {
    store
        .insert_member(
            c,
            &new_member(user_id, user_id, status, profile),
            &no_jobs,
            chrono::Utc::now(),
        )
        .await
        .expect("insert_member")
}

async fn get(store: &dyn Store, c: CommunityId, id: MemberId) -> Option<Member> {
    store.member(c, id).await.expect("member")
}

/// A notification job; about `member` (to them) or, without one, a channel post.
fn job(c: CommunityId, member: Option<MemberId>, key: &str, due_at: DateTime<Utc>) -> NewJob {
    let to = member.map_or_else(|| Target::Channel("general".into()), Target::Member);
    let mut reply = Reply::text(Locale::Ja, format!("本文 {key}"));
    if let Some(id) = member {
        reply = reply.button("承認", Action::Approve(id).encode(), ButtonStyle::Primary);
    }
    NewJob {
        community_id: c,
        member_id: member,
        event_id: None,
        payload: Payload::Notify { to, reply },
        key: key.into(),
        due_at,
        valid_until: None,
    }
}

/// The job `claim_jobs` should hand out for `new`.
/// `new` as a claim returns it; `first_tried_at` is whatever the claim recorded (checked on its
/// own in `a_job_rate_limited_for_a_day_is_given_up`).
fn claimed(new: &NewJob, id: i64, attempts: i32) -> Job {
    Job {
        id,
        community_id: new.community_id,
        payload: new.payload.clone(),
        key: new.key.clone(),
        due_at: new.due_at,
        valid_until: new.valid_until,
        attempts,
        first_tried_at: None,
    }
}

/// A claimed job without its first-try time, to compare with [`claimed`].
fn untimed(mut job: Job) -> Job {
    assert!(
        job.first_tried_at.is_some(),
        "a claim records its first try"
    );
    job.first_tried_at = None;
    job
}

async fn claim(store: &dyn Store, now: DateTime<Utc>, worker: &str, limit: u32) -> Vec<Job> {
    store
        .claim_jobs(now, worker, now + secs(30), limit)
        .await
        .expect("claim_jobs")
}

fn keys(jobs: &[Job]) -> Vec<&str> {
    jobs.iter().map(|j| j.key.as_str()).collect()
}

fn text(s: &str) -> SearchQuery {
    SearchQuery {
        text: s.into(),
        ..SearchQuery::default()
    }
}

/// All results of `q` (best first), checking what every page must satisfy.
async fn search(store: &dyn Store, c: CommunityId, q: &SearchQuery) -> Vec<Member> {
    let page = store
        .search(c, q, 100, 0)
        .await
        .unwrap_or_else(|e| panic!("search {q:?}: {e}"));
    assert_eq!(page.total, page.members.len() as u64, "total of {q:?}");
    for m in &page.members {
        assert_eq!(
            m.community_id, c,
            "{q:?} returned another community's member"
        );
        assert_eq!(m.status, MemberStatus::Approved, "{q:?} returned {m:?}");
    }
    page.members
}

async fn ranked(store: &dyn Store, c: CommunityId, q: &SearchQuery) -> Vec<String> {
    search(store, c, q)
        .await
        .into_iter()
        .map(|m| m.profile.name)
        .collect()
}

async fn found(store: &dyn Store, c: CommunityId, q: &SearchQuery) -> BTreeSet<String> {
    ranked(store, c, q).await.into_iter().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn ids(members: &[Member]) -> Vec<MemberId> {
    members.iter().map(|m| m.id).collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Communities

async fn check_community_for_space(store: &dyn Store, raw: &Raw) {
    let first = store
        .community_for_space(Platform::Discord, "guild-1", &defaults("Acme OB会"))
        .await
        .unwrap();
    assert_eq!(first.name, "Acme OB会");
    assert_eq!(first.locale, Locale::Ja);
    assert_eq!(first.timezone, "Asia/Tokyo");
    assert!(first.requires_approval);

    let other_defaults = NewCommunity {
        name: "Someone else".into(),
        locale: Locale::En,
        timezone: "UTC".into(),
        requires_approval: false,
    };
    let again = store
        .community_for_space(Platform::Discord, "guild-1", &other_defaults)
        .await
        .unwrap();
    assert_eq!(
        again, first,
        "a known space keeps its community and ignores new defaults"
    );

    let second = store
        .community_for_space(Platform::Discord, "guild-2", &other_defaults)
        .await
        .unwrap();
    assert_ne!(second.id, first.id);
    assert_eq!(second.name, "Someone else");
    assert!(!second.requires_approval);

    let slack = store
        .community_for_space(Platform::Slack, "guild-1", &other_defaults)
        .await
        .unwrap();
    assert!(
        slack.id != first.id && slack.id != second.id,
        "the same space id on another platform is another space"
    );
    let all_communities = "SELECT COUNT(*) FROM communities WHERE id > $1";
    assert_eq!(raw.count(all_communities, 0).await, 3);

    let updated = Community {
        name: "Acme Alumni".into(),
        locale: Locale::En,
        timezone: "Europe/London".into(),
        requires_approval: false,
        ..first.clone()
    };
    store.update_community(&updated).await.unwrap();
    let d = defaults("ignored");
    assert_eq!(
        store
            .community_for_space(Platform::Discord, "guild-1", &d)
            .await
            .unwrap(),
        updated
    );
    assert_eq!(
        store
            .community_for_space(Platform::Discord, "guild-2", &d)
            .await
            .unwrap(),
        second,
        "updating one community leaves the others alone"
    );

    // Several instances seeing a new space at once agree on one community.
    let race = || store.community_for_space(Platform::Discord, "guild-race", &d);
    let (a, b, c, e) = tokio::join!(race(), race(), race(), race());
    let race_ids: BTreeSet<CommunityId> = [a, b, c, e].into_iter().map(|r| r.unwrap().id).collect();
    assert_eq!(
        race_ids.len(),
        1,
        "concurrent first sight created {race_ids:?}"
    );
    assert_eq!(raw.count(all_communities, 0).await, 4);
}

// ---------------------------------------------------------------------------------------------
// 2. Inserting and finding members

async fn check_insert_member(store: &dyn Store, _raw: &Raw) {
    let c = community(store, "guild").await;
    let t = t0();
    let seen: Arc<Mutex<Option<Member>>> = Arc::default();
    let jobs = {
        let seen = Arc::clone(&seen);
        move |m: &Member| {
            *seen.lock().unwrap() = Some(m.clone());
            vec![
                job(c, Some(m.id), &format!("welcome-{}", m.id), t),
                NewJob {
                    payload: Payload::Notify {
                        to: Target::Channel("admins".into()),
                        reply: Reply::text(Locale::Ja, format!("承認待ち #{}", m.id)),
                    },
                    ..job(c, Some(m.id), &format!("review-{}", m.id), t - secs(5))
                },
            ]
        }
    };
    let new = NewMember {
        identity: identity("U0AbC", "Yosuke.Sato"),
        status: MemberStatus::Pending,
        role: Role::Member,
        profile: Profile {
            name: "佐藤 洋介".into(),
            company: Some("Mercari".into()),
            skills: vec!["Rust".into(), "Go".into()],
            open_to: vec![OpenTo::Rehire],
            ..Profile::default()
        },
        locale: Some(Locale::En),
        timezone: Some("America/New_York".into()),
    };
    let m = store
        .insert_member(c, &new, &jobs, chrono::Utc::now())
        .await
        .unwrap();
    assert!(m.id > 0);
    assert_eq!(m.community_id, c);
    assert_eq!(m.status, MemberStatus::Pending);
    assert_eq!(m.role, Role::Member);
    assert_eq!(m.profile, new.profile);
    assert!(m.hidden.is_empty());
    assert_eq!(m.locale, Some(Locale::En));
    assert_eq!(m.timezone.as_deref(), Some("America/New_York"));
    assert_eq!(m.handle, "Yosuke.Sato");
    assert_eq!(
        seen.lock().unwrap().as_ref(),
        Some(&m),
        "the jobs closure sees the new member, id included"
    );

    assert_eq!(get(store, c, m.id).await, Some(m.clone()));
    let by_identity = |p, u: &'static str| store.member_by_identity(c, p, u);
    assert_eq!(
        by_identity(Platform::Discord, "U0AbC").await.unwrap(),
        Some(m.clone())
    );
    assert_eq!(by_identity(Platform::Slack, "U0AbC").await.unwrap(), None);
    assert_eq!(
        by_identity(Platform::Discord, "u0abc").await.unwrap(),
        None,
        "platform user ids are exact"
    );

    for handle in ["Yosuke.Sato", "yosuke.sato", "YOSUKE.SATO", "U0AbC"] {
        let got = store.member_by_handle(c, handle).await.unwrap();
        assert_eq!(
            got.map(|g| g.id),
            Some(m.id),
            "member_by_handle({handle:?})"
        );
    }
    for handle in ["u0abc", "yosuke", "nobody", ""] {
        let got = store.member_by_handle(c, handle).await.unwrap();
        assert_eq!(got, None, "member_by_handle({handle:?})");
    }
    assert_eq!(
        store.identities(c, m.id).await.unwrap(),
        vec![new.identity.clone()]
    );

    let welcome = jobs(&m);
    let got = claim(store, t, "worker", 10).await;
    assert_eq!(got.len(), 2, "the member's jobs were written: {got:?}");
    assert_eq!(untimed(got[0].clone()), claimed(&welcome[1], got[0].id, 1));
    assert_eq!(untimed(got[1].clone()), claimed(&welcome[0], got[1].id, 1));

    // The same identity again fails, and writes neither a member nor its jobs.
    let dup_jobs = move |m: &Member| vec![job(c, Some(m.id), "duplicate-welcome", t)];
    let dup = NewMember {
        profile: named("Impostor"),
        ..new.clone()
    };
    assert!(
        store
            .insert_member(c, &dup, &dup_jobs, chrono::Utc::now())
            .await
            .is_err()
    );
    let pending = store
        .members_with_status(c, MemberStatus::Pending, 100)
        .await
        .unwrap();
    assert_eq!(
        ids(&pending),
        vec![m.id],
        "a failed insert left a member behind"
    );
    assert_eq!(
        claim(store, t, "worker", 10).await,
        vec![],
        "a failed insert left jobs"
    );

    // Another platform's user with the same user id is another member.
    let on_slack = NewMember {
        identity: Identity {
            platform: Platform::Slack,
            space_id: "T1".into(),
            ..new.identity.clone()
        },
        profile: named("Slack Sato"),
        ..new.clone()
    };
    let s = store
        .insert_member(c, &on_slack, &no_jobs, chrono::Utc::now())
        .await
        .unwrap();
    assert_ne!(s.id, m.id);
    assert_eq!(
        by_identity(Platform::Slack, "U0AbC")
            .await
            .unwrap()
            .map(|x| x.id),
        Some(s.id)
    );
    assert_eq!(
        by_identity(Platform::Discord, "U0AbC")
            .await
            .unwrap()
            .map(|x| x.id),
        Some(m.id)
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Status transitions

async fn check_transition(store: &dyn Store, _raw: &Raw) {
    let c = community(store, "guild").await;
    let t = t0();
    let m = add(store, c, "u1", MemberStatus::Pending, named("Taro")).await;
    let (pending, approved) = (MemberStatus::Pending, MemberStatus::Approved);

    let first = [job(c, Some(m.id), "approved-1", t)];
    assert!(
        store
            .transition(c, m.id, pending, approved, &first, chrono::Utc::now())
            .await
            .unwrap()
    );
    assert_eq!(get(store, c, m.id).await.unwrap().status, approved);

    let second = [job(c, Some(m.id), "approved-2", t)];
    assert!(
        !store
            .transition(c, m.id, pending, approved, &second, chrono::Utc::now())
            .await
            .unwrap(),
        "a second approval must report that nothing changed"
    );
    let wrong_from = [job(c, Some(m.id), "left-1", t)];
    let (rejected, left) = (MemberStatus::Rejected, MemberStatus::Left);
    assert!(
        !store
            .transition(c, m.id, rejected, left, &wrong_from, chrono::Utc::now())
            .await
            .unwrap()
    );
    assert_eq!(get(store, c, m.id).await.unwrap().status, approved);
    let got = claim(store, t, "w", 10).await;
    assert_eq!(
        keys(&got),
        ["approved-1"],
        "only the real transition writes jobs"
    );

    // Two admins pressing "approve" at the same moment: one wins, one notification.
    let n = add(store, c, "u2", MemberStatus::Pending, named("Hanako")).await;
    let jobs: Vec<[NewJob; 1]> = (0..4)
        .map(|i| [job(c, Some(n.id), &format!("race-{i}"), t)])
        .collect();
    let go = |i: usize| store.transition(c, n.id, pending, approved, &jobs[i], chrono::Utc::now());
    let (a, b, d, e) = tokio::join!(go(0), go(1), go(2), go(3));
    let wins = [a, b, d, e]
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(wins, 1, "concurrent approvals");
    assert_eq!(claim(store, t, "w", 10).await.len(), 1, "one notification");
    assert_eq!(get(store, c, n.id).await.unwrap().status, approved);
    // Further transitions from the new state work.
    assert!(
        store
            .transition(c, n.id, approved, left, &[], chrono::Utc::now())
            .await
            .unwrap()
    );
    assert_eq!(get(store, c, n.id).await.unwrap().status, left);
}

// ---------------------------------------------------------------------------------------------
// 4. Profile, role and handle

async fn check_profile_and_role(store: &dyn Store, _raw: &Raw) {
    let c = community(store, "guild").await;
    let m = add(store, c, "u1", MemberStatus::Approved, named("Placeholder")).await;

    let full = Member {
        profile: Profile {
            name: "佐藤 洋介".into(),
            department: Some("開発本部".into()),
            joined: Some(2012),
            left: Some(2019),
            company: Some("Acme, Inc.".into()),
            title: Some("Staff Engineer".into()),
            industry: Some("IT".into()),
            location: Some("東京".into()),
            skills: vec!["Rust".into(), "C++".into(), "PostgreSQL".into()],
            interests: vec!["囲碁".into(), "trail running".into()],
            open_to: vec![OpenTo::Rehire, OpenTo::SideProject, OpenTo::Mentoring],
            bio: Some("Two lines:\nbackend & data — \"quotes\" and 'apostrophes'".into()),
        },
        hidden: vec![Field::Company, Field::Skills, Field::OpenTo],
        locale: Some(Locale::En),
        timezone: Some("Europe/London".into()),
        ..m.clone()
    };
    store
        .update_profile(&full, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(get(store, c, m.id).await, Some(full.clone()));
    assert_eq!(
        store
            .member_by_identity(c, Platform::Discord, "u1")
            .await
            .unwrap(),
        Some(full.clone())
    );

    // Clearing every field (and the locale) persists too.
    let cleared = Member {
        profile: named("Yosuke Sato"),
        hidden: vec![],
        locale: None,
        timezone: None,
        ..m.clone()
    };
    store
        .update_profile(&cleared, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(get(store, c, m.id).await, Some(cleared.clone()));
    let ja = Member {
        locale: Some(Locale::Ja),
        hidden: vec![Field::Bio],
        ..cleared.clone()
    };
    store.update_profile(&ja, chrono::Utc::now()).await.unwrap();
    assert_eq!(get(store, c, m.id).await, Some(ja.clone()));

    store
        .set_role(c, m.id, Role::Admin, chrono::Utc::now())
        .await
        .unwrap();
    let admin = get(store, c, m.id).await.unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert_eq!(admin.profile, ja.profile, "set_role keeps the profile");
    assert_eq!(
        ids(&store.members_with_role(c, Role::Admin).await.unwrap()),
        vec![m.id]
    );
    assert!(
        store
            .members_with_role(c, Role::Member)
            .await
            .unwrap()
            .is_empty()
    );

    // A profile edit based on a member read before a role change (the member edits while an
    // admin changes their role) keeps the new role.
    let before_role_change = admin.clone();
    store
        .set_role(c, m.id, Role::Supporter, chrono::Utc::now())
        .await
        .unwrap();
    let edited = Member {
        profile: Profile {
            bio: Some("edited".into()),
            ..before_role_change.profile.clone()
        },
        ..before_role_change
    };
    store
        .update_profile(&edited, chrono::Utc::now())
        .await
        .unwrap();
    let now = get(store, c, m.id).await.unwrap();
    assert_eq!(now.role, Role::Supporter);
    assert_eq!(now.profile.bio.as_deref(), Some("edited"));

    // People rename themselves on the platform.
    store
        .update_handle(c, &identity("u1", "NewHandle"))
        .await
        .unwrap();
    assert_eq!(get(store, c, m.id).await.unwrap().handle, "NewHandle");
    let by_new = store.member_by_handle(c, "newhandle").await.unwrap();
    assert_eq!(by_new.map(|x| x.id), Some(m.id));
    assert_eq!(
        store.identities(c, m.id).await.unwrap(),
        vec![identity("u1", "NewHandle")]
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Directory search

async fn check_search(store: &dyn Store, _raw: &Raw) {
    let c = community(store, "guild").await;
    let approved = MemberStatus::Approved;
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();

    let sato = add(
        store,
        c,
        "sato",
        approved,
        Profile {
            name: "佐藤 洋介".into(),
            company: Some("Mercari".into()),
            industry: Some("IT".into()),
            skills: s(&["Rust", "Go"]),
            open_to: vec![OpenTo::Rehire],
            joined: Some(2010),
            left: Some(2018),
            bio: Some("バックエンド開発".into()),
            ..Profile::default()
        },
    )
    .await;
    add(
        store,
        c,
        "taro",
        approved,
        Profile {
            name: "田中 太郎".into(),
            industry: Some("Finance".into()),
            skills: s(&["Python"]),
            open_to: vec![OpenTo::Mentoring],
            joined: Some(2012),
            left: Some(2020),
            ..Profile::default()
        },
    )
    .await;
    let hanako = add(
        store,
        c,
        "hanako",
        approved,
        Profile {
            name: "田中 花子".into(),
            industry: Some("IT".into()),
            skills: s(&["Rust"]),
            open_to: vec![OpenTo::Coffee, OpenTo::Rehire],
            joined: Some(2015),
            left: Some(2021),
            ..Profile::default()
        },
    )
    .await;
    add(
        store,
        c,
        "sho",
        approved,
        Profile {
            name: "中田 翔".into(),
            industry: Some("Manufacturing".into()),
            skills: s(&["Java", "C++"]),
            joined: Some(2008),
            left: Some(2015),
            ..Profile::default()
        },
    )
    .await;
    add(
        store,
        c,
        "alice",
        approved,
        Profile {
            name: "Alice Johnson".into(),
            company: Some("Stripe".into()),
            industry: Some("IT".into()),
            location: Some("Tokyo".into()),
            skills: s(&["TypeScript", "Rust"]),
            joined: Some(2016),
            left: Some(2022),
            ..Profile::default()
        },
    )
    .await;
    add(
        store,
        c,
        "mika",
        approved,
        Profile {
            name: "Mika Ono".into(),
            bio: Some("Worked with Hayashi on the payments team".into()),
            ..Profile::default()
        },
    )
    .await;
    add(
        store,
        c,
        "ken",
        approved,
        Profile {
            name: "Ken Hayashi".into(),
            title: Some("Designer".into()),
            ..Profile::default()
        },
    )
    .await;
    // Not approved: never in the directory, whatever matches.
    let rust_it = Profile {
        skills: s(&["Rust"]),
        industry: Some("IT".into()),
        open_to: vec![OpenTo::Rehire],
        company: Some("Mercari".into()),
        joined: Some(2010),
        left: Some(2018),
        ..Profile::default()
    };
    let pending = |name: &str| Profile {
        name: name.into(),
        ..rust_it.clone()
    };
    add(store, c, "p1", MemberStatus::Pending, pending("佐藤 健")).await;
    add(store, c, "p2", MemberStatus::Left, pending("田中 一郎")).await;
    add(
        store,
        c,
        "p3",
        MemberStatus::Rejected,
        pending("Alice Rejected"),
    )
    .await;
    let carol = add(
        store,
        c,
        "carol",
        MemberStatus::Pending,
        Profile {
            skills: s(&["Elixir"]),
            ..named("Carol Late")
        },
    )
    .await;
    store
        .set_role(c, hanako.id, Role::Supporter, chrono::Utc::now())
        .await
        .unwrap();

    let rustaceans = set(&["佐藤 洋介", "田中 花子", "Alice Johnson"]);
    let q = |f: fn(&mut SearchQuery)| {
        let mut q = SearchQuery::default();
        f(&mut q);
        q
    };

    // Japanese names: bigrams find two-character surnames, and not their anagrams.
    assert_eq!(found(store, c, &text("佐藤")).await, set(&["佐藤 洋介"]));
    assert_eq!(found(store, c, &text("洋介")).await, set(&["佐藤 洋介"]));
    assert_eq!(found(store, c, &text("藤")).await, set(&["佐藤 洋介"]));
    assert_eq!(
        found(store, c, &text("田中")).await,
        set(&["田中 太郎", "田中 花子"])
    );
    assert_eq!(
        found(store, c, &text("田中 花子")).await,
        set(&["田中 花子"])
    );
    assert_eq!(found(store, c, &text("中田")).await, set(&["中田 翔"]));
    assert_eq!(
        found(store, c, &text("健")).await,
        set(&[]),
        "pending member"
    );
    assert_eq!(
        found(store, c, &text("一郎")).await,
        set(&[]),
        "member who left"
    );

    // Latin words: case-insensitive prefixes, full-width folded, all words required.
    for t in ["rust", "Rust", "RUST", "rus", "Ｒｕｓｔ"] {
        assert_eq!(found(store, c, &text(t)).await, rustaceans, "text {t:?}");
    }
    assert_eq!(found(store, c, &text("merc")).await, set(&["佐藤 洋介"]));
    assert_eq!(
        found(store, c, &text("rust tokyo")).await,
        set(&["Alice Johnson"])
    );
    assert_eq!(
        found(store, c, &text("alice")).await,
        set(&["Alice Johnson"])
    );
    assert_eq!(found(store, c, &text("cobol")).await, set(&[]));
    assert_eq!(
        found(store, c, &text("バックエンド")).await,
        set(&["佐藤 洋介"])
    );

    // Structured filters are exact (after normalising case and symbols).
    assert_eq!(
        found(store, c, &q(|q| q.skills = vec!["rust".into()])).await,
        rustaceans
    );
    assert_eq!(
        found(
            store,
            c,
            &q(|q| q.skills = vec!["Rust".into(), "Go".into()])
        )
        .await,
        set(&["佐藤 洋介"])
    );
    assert_eq!(
        found(store, c, &q(|q| q.skills = vec!["c++".into()])).await,
        set(&["中田 翔"])
    );
    assert_eq!(
        found(store, c, &q(|q| q.skills = vec!["C".into()])).await,
        set(&[])
    );
    assert_eq!(
        found(store, c, &q(|q| q.skills = vec!["Rus".into()])).await,
        set(&[])
    );
    assert_eq!(
        found(store, c, &q(|q| q.open_to = vec![OpenTo::Rehire])).await,
        set(&["佐藤 洋介", "田中 花子"])
    );
    assert_eq!(
        found(
            store,
            c,
            &q(|q| q.open_to = vec![OpenTo::Rehire, OpenTo::Coffee])
        )
        .await,
        set(&["田中 花子"])
    );
    assert_eq!(
        found(store, c, &q(|q| q.industry = Some("it".into()))).await,
        rustaceans
    );
    assert_eq!(
        found(store, c, &q(|q| q.industry = Some("Finance".into()))).await,
        set(&["田中 太郎"])
    );
    assert_eq!(
        found(store, c, &q(|q| q.role = Some(Role::Supporter))).await,
        set(&["田中 花子"])
    );
    let members = found(store, c, &q(|q| q.role = Some(Role::Member))).await;
    assert_eq!(members.len(), 6);
    assert!(!members.contains("田中 花子"), "role filter after set_role");

    // Year ranges are inclusive, alone (browsing) or with terms (searching).
    assert_eq!(
        found(store, c, &q(|q| q.left = Some((2018, 2020)))).await,
        set(&["佐藤 洋介", "田中 太郎"])
    );
    assert_eq!(
        found(store, c, &q(|q| q.left = Some((2019, 2019)))).await,
        set(&[])
    );
    assert_eq!(
        found(store, c, &q(|q| q.joined = Some((2010, 2012)))).await,
        set(&["佐藤 洋介", "田中 太郎"])
    );
    let mut tanaka_recent = text("田中");
    tanaka_recent.left = Some((2021, 2030));
    assert_eq!(found(store, c, &tanaka_recent).await, set(&["田中 花子"]));
    let mut rust_joined = q(|q| q.skills = vec!["Rust".into()]);
    rust_joined.joined = Some((2014, 2020));
    assert_eq!(
        found(store, c, &rust_joined).await,
        set(&["田中 花子", "Alice Johnson"])
    );
    let mut everything = text("rust");
    everything.industry = Some("IT".into());
    everything.open_to = vec![OpenTo::Rehire];
    everything.left = Some((2018, 2021));
    everything.joined = Some((2010, 2015));
    assert_eq!(
        found(store, c, &everything).await,
        set(&["佐藤 洋介", "田中 花子"])
    );

    // An empty query lists approved members, newest first.
    let newest_first = [
        "Ken Hayashi",
        "Mika Ono",
        "Alice Johnson",
        "中田 翔",
        "田中 花子",
        "田中 太郎",
        "佐藤 洋介",
    ];
    assert_eq!(
        ranked(store, c, &SearchQuery::default()).await,
        newest_first
    );

    // Pages: limit and offset walk the same order; `total` counts all matches.
    for query in [SearchQuery::default(), text("rust")] {
        let all = ids(&search(store, c, &query).await);
        let mut walked = Vec::new();
        for offset in (0..all.len() as u32).step_by(2) {
            let page = store.search(c, &query, 2, offset).await.unwrap();
            assert_eq!(
                page.total,
                all.len() as u64,
                "total of {query:?} at {offset}"
            );
            assert!(page.members.len() <= 2);
            walked.extend(ids(&page.members));
        }
        assert_eq!(walked, all, "pages of {query:?}");
        let past = store.search(c, &query, 2, all.len() as u32).await.unwrap();
        assert!(past.members.is_empty());
    }

    // Approval makes a member findable.
    assert_eq!(found(store, c, &text("elixir")).await, set(&[]));
    assert!(
        store
            .transition(
                c,
                carol.id,
                MemberStatus::Pending,
                approved,
                &[],
                chrono::Utc::now()
            )
            .await
            .unwrap()
    );
    assert_eq!(found(store, c, &text("elixir")).await, set(&["Carol Late"]));
    assert_eq!(
        ranked(store, c, &SearchQuery::default())
            .await
            .first()
            .map(String::as_str),
        Some("Carol Late"),
        "newest first"
    );

    // What a member hides is not searchable; showing it again makes it searchable.
    let hiding = Member {
        hidden: vec![Field::Company, Field::Skills, Field::OpenTo],
        ..sato.clone()
    };
    store
        .update_profile(&hiding, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        found(store, c, &text("mercari")).await,
        set(&[]),
        "hidden company"
    );
    assert_eq!(
        found(store, c, &q(|q| q.skills = vec!["Go".into()])).await,
        set(&[])
    );
    assert_eq!(
        found(store, c, &text("rust")).await,
        set(&["田中 花子", "Alice Johnson"]),
        "hidden skills"
    );
    assert_eq!(
        found(store, c, &q(|q| q.open_to = vec![OpenTo::Rehire])).await,
        set(&["田中 花子"]),
        "hidden open_to"
    );
    assert_eq!(
        found(store, c, &text("佐藤")).await,
        set(&["佐藤 洋介"]),
        "name stays"
    );
    assert_eq!(
        found(store, c, &q(|q| q.industry = Some("IT".into()))).await,
        rustaceans,
        "industry was not hidden"
    );
    store
        .update_profile(&sato, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(found(store, c, &text("mercari")).await, set(&["佐藤 洋介"]));
    assert_eq!(
        found(store, c, &q(|q| q.skills = vec!["Go".into()])).await,
        set(&["佐藤 洋介"])
    );
}

/// The search entry follows profile edits and role changes.
async fn check_search_exclude(store: &dyn Store, _raw: &Raw) {
    let c = community(store, "guild").await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let p = Profile {
            name: format!("Dev {i:02}"),
            skills: vec!["Rust".into()],
            ..Profile::default()
        };
        ids.push(
            add(store, c, &format!("u{i}"), MemberStatus::Approved, p)
                .await
                .id,
        );
    }
    // The two newest (who would head the page) blocked the searcher.
    let q = SearchQuery {
        text: "rust".into(),
        exclude: vec![ids[11], ids[10]],
        ..SearchQuery::default()
    };
    for q in [
        q.clone(),
        SearchQuery {
            text: String::new(),
            ..q
        },
    ] {
        let page = store.search(c, &q, 10, 0).await.unwrap();
        let names: Vec<String> = page
            .members
            .iter()
            .map(|m| m.profile.name.clone())
            .collect();
        assert_eq!(page.total, 10, "{q:?}: {names:?}");
        assert!(page.total_exact);
        assert_eq!(names.len(), 10, "a full page: {names:?}");
        assert_eq!(names[0], "Dev 09");
        assert!(
            !names.iter().any(|n| n == "Dev 11" || n == "Dev 10"),
            "{names:?}"
        );
    }
}

async fn check_search_hidden_years(store: &dyn Store, _raw: &Raw) {
    let c = community(store, "guild").await;
    let profile = |name: &str| Profile {
        name: name.into(),
        joined: Some(2008),
        left: Some(2016),
        ..Profile::default()
    };
    add(
        store,
        c,
        "open",
        MemberStatus::Approved,
        profile("Open Book"),
    )
    .await;
    let private = add(
        store,
        c,
        "priv",
        MemberStatus::Approved,
        profile("Private Person"),
    )
    .await;
    let left = SearchQuery {
        left: Some((2015, 2017)),
        ..SearchQuery::default()
    };
    let joined = SearchQuery {
        joined: Some((2008, 2008)),
        ..SearchQuery::default()
    };
    let both = set(&["Open Book", "Private Person"]);
    assert_eq!(found(store, c, &left).await, both);

    // Hiding the year they left: a range over it no longer finds them (it would reveal it);
    // the year they joined, still shown, still does.
    let hidden = Member {
        hidden: vec![Field::Left],
        ..private.clone()
    };
    store
        .update_profile(&hidden, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(found(store, c, &left).await, set(&["Open Book"]));
    assert_eq!(found(store, c, &joined).await, both);
    let person = SearchQuery {
        text: "private".into(),
        ..left.clone()
    };
    assert_eq!(found(store, c, &person).await, set(&[]));

    // Shown again, found again.
    store
        .update_profile(&private, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(found(store, c, &left).await, both);
}

async fn check_search_follows_profile(store: &dyn Store, _raw: &Raw) {
    let c = community(store, "guild").await;
    let m = add(store, c, "u1", MemberStatus::Approved, named("Placeholder")).await;
    assert_eq!(
        found(store, c, &text("placeholder")).await,
        set(&["Placeholder"])
    );

    let edited = Member {
        profile: Profile {
            name: "佐藤 洋介".into(),
            skills: vec!["Rust".into()],
            ..Profile::default()
        },
        ..m.clone()
    };
    store
        .update_profile(&edited, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(found(store, c, &text("佐藤")).await, set(&["佐藤 洋介"]));
    assert_eq!(found(store, c, &text("rust")).await, set(&["佐藤 洋介"]));
    assert_eq!(
        found(store, c, &text("placeholder")).await,
        set(&[]),
        "old name"
    );

    let role = |r: Role| SearchQuery {
        role: Some(r),
        ..SearchQuery::default()
    };
    assert_eq!(
        found(store, c, &role(Role::Member)).await,
        set(&["佐藤 洋介"])
    );
    store
        .set_role(c, m.id, Role::Admin, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        found(store, c, &role(Role::Admin)).await,
        set(&["佐藤 洋介"])
    );
    assert_eq!(found(store, c, &role(Role::Member)).await, set(&[]));
    assert_eq!(found(store, c, &text("rust")).await, set(&["佐藤 洋介"]));

    // The member edits their profile (read before) while an admin changes their role: search
    // must follow the stored role, like `members_with_role` does.
    let read_before = get(store, c, m.id).await.unwrap();
    store
        .set_role(c, m.id, Role::Supporter, chrono::Utc::now())
        .await
        .unwrap();
    let bio = Member {
        profile: Profile {
            bio: Some("backend".into()),
            ..read_before.profile.clone()
        },
        ..read_before
    };
    store
        .update_profile(&bio, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(found(store, c, &text("backend")).await, set(&["佐藤 洋介"]));
    assert_eq!(
        ids(&store.members_with_role(c, Role::Supporter).await.unwrap()),
        vec![m.id]
    );
    assert_eq!(
        found(store, c, &role(Role::Supporter)).await,
        set(&["佐藤 洋介"]),
        "search indexed the role from a stale member value"
    );
    assert_eq!(found(store, c, &role(Role::Admin)).await, set(&[]));
}

/// A name match ranks above a bio match.
async fn check_search_ranking(store: &dyn Store, _raw: &Raw) {
    let c = community(store, "guild").await;
    // Inserted first, so a lower id: only ranking can put Ken first.
    let bio = Profile {
        bio: Some("Worked with Hayashi on the payments team".into()),
        ..named("Mika Ono")
    };
    add(store, c, "mika", MemberStatus::Approved, bio).await;
    let name = Profile {
        title: Some("Designer".into()),
        ..named("Ken Hayashi")
    };
    add(store, c, "ken", MemberStatus::Approved, name).await;
    assert_eq!(
        ranked(store, c, &text("hayashi")).await,
        ["Ken Hayashi", "Mika Ono"]
    );
}

/// Japanese names are written with or without a space between family and given name; either
/// spelling of the query should find either spelling of the profile.
async fn check_search_full_name_without_space(store: &dyn Store, _raw: &Raw) {
    let c = community(store, "guild").await;
    add(store, c, "u1", MemberStatus::Approved, named("佐藤 洋介")).await;
    add(store, c, "u2", MemberStatus::Approved, named("田中太郎")).await;
    assert_eq!(
        found(store, c, &text("田中 太郎")).await,
        set(&["田中太郎"])
    );
    assert_eq!(found(store, c, &text("田中太郎")).await, set(&["田中太郎"]));
    assert_eq!(
        found(store, c, &text("佐藤 洋介")).await,
        set(&["佐藤 洋介"])
    );
    assert_eq!(
        found(store, c, &text("佐藤洋介")).await,
        set(&["佐藤 洋介"])
    );
}

/// Past `SEARCH_COUNT_LIMIT` matches the store stops counting ("200+"), and pages run newest
/// first without repeats; at or under it the count is exact. Browsing (no query) is the same.
async fn check_search_count_limit(store: &dyn Store, _raw: &Raw) {
    let c = community(store, "guild").await;
    let limit = SEARCH_COUNT_LIMIT as usize;
    let skilled = |i: usize, skill: &str| Profile {
        skills: vec![skill.into()],
        ..named(&format!("Member {i}"))
    };
    let mut rust = Vec::new();
    for i in 0..limit + 5 {
        let m = add(
            store,
            c,
            &format!("r{i}"),
            MemberStatus::Approved,
            skilled(i, "Rust"),
        )
        .await;
        rust.push(m.id);
    }
    for i in 0..limit {
        add(
            store,
            c,
            &format!("g{i}"),
            MemberStatus::Approved,
            skilled(i, "Go"),
        )
        .await;
    }
    add(
        store,
        c,
        "waiting",
        MemberStatus::Pending,
        skilled(0, "Rust"),
    )
    .await;
    let newest_rust: Vec<MemberId> = rust.iter().rev().copied().collect();

    let mut seen = Vec::new();
    for offset in [0, 10, 20] {
        let page = store
            .search(c, &text("rust"), 10, offset)
            .await
            .expect("search");
        assert_eq!(page.total, SEARCH_COUNT_LIMIT, "count stops at the limit");
        assert!(!page.total_exact, "more than the limit is not exact");
        seen.extend(ids(&page.members));
    }
    assert_eq!(
        seen,
        newest_rust[..30],
        "pages run newest first, no repeats"
    );

    let page = store.search(c, &text("go"), 10, 0).await.expect("search");
    assert_eq!((page.total, page.total_exact), (SEARCH_COUNT_LIMIT, true));

    let everyone = store
        .search(c, &SearchQuery::default(), 10, 0)
        .await
        .expect("browse");
    assert!(!everyone.total_exact);
    assert_eq!(everyone.total, SEARCH_COUNT_LIMIT);
    assert_eq!(everyone.members.len(), 10);
    assert!(
        everyone.members.windows(2).all(|w| w[0].id > w[1].id),
        "browsing is newest first"
    );
    assert!(
        everyone
            .members
            .iter()
            .all(|m| m.status == MemberStatus::Approved)
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Community isolation

/// Two communities with look-alike members: the same name, user ids and handles.
struct Twins {
    ca: CommunityId,
    cb: CommunityId,
    /// (approved, pending) in each community.
    a: (Member, Member),
    b: (Member, Member),
}

async fn twins(store: &dyn Store) -> Twins {
    let (ca, cb) = (
        community(store, "guild-a").await,
        community(store, "guild-b").await,
    );
    assert_ne!(ca, cb);
    let taro = Profile {
        skills: vec!["Rust".into()],
        ..named("田中 太郎")
    };
    let mut pairs = Vec::new();
    for c in [ca, cb] {
        let approved = store
            .insert_member(
                c,
                &new_member("U1", "Taro", MemberStatus::Approved, taro.clone()),
                &no_jobs,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        let pending = store
            .insert_member(
                c,
                &new_member("U2", "hanako", MemberStatus::Pending, named("田中 花子")),
                &no_jobs,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        pairs.push((approved, pending));
    }
    let b = pairs.pop().unwrap();
    let a = pairs.pop().unwrap();
    assert_ne!(a.0.id, b.0.id);
    Twins { ca, cb, a, b }
}

async fn check_isolation(store: &dyn Store, raw: &Raw) {
    let Twins { ca, cb, a, b } = twins(store).await;
    let ((a1, a2), (b1, b2)) = (a, b);

    for (c, mine, theirs) in [(ca, &a1, &b1), (cb, &b1, &a1)] {
        assert_eq!(get(store, c, mine.id).await.as_ref(), Some(mine));
        assert_eq!(get(store, c, theirs.id).await, None);
        assert_eq!(store.identities(c, theirs.id).await.unwrap(), vec![]);
        let by_identity = store.member_by_identity(c, Platform::Discord, "U1");
        assert_eq!(by_identity.await.unwrap().map(|m| m.id), Some(mine.id));
        for handle in ["taro", "U1"] {
            let by_handle = store.member_by_handle(c, handle).await.unwrap();
            assert_eq!(by_handle.map(|m| m.id), Some(mine.id), "handle {handle:?}");
        }
        assert_eq!(
            ids(&store.members_with_role(c, Role::Member).await.unwrap()),
            vec![mine.id]
        );
        let approved = store
            .members_with_status(c, MemberStatus::Approved, 100)
            .await
            .unwrap();
        assert_eq!(ids(&approved), vec![mine.id]);
    }
    let pending_b = store
        .members_with_status(cb, MemberStatus::Pending, 100)
        .await
        .unwrap();
    assert_eq!(ids(&pending_b), vec![b2.id]);
    let by_handle = store.member_by_handle(cb, "hanako").await.unwrap();
    assert_eq!(by_handle.map(|m| m.id), Some(b2.id));

    // Writes addressed to the wrong community change nothing in the right one.
    let (pending, approved) = (MemberStatus::Pending, MemberStatus::Approved);
    let notify = [job(cb, Some(a2.id), "cross-approve", t0())];
    assert!(
        !store
            .transition(cb, a2.id, pending, approved, &notify, chrono::Utc::now())
            .await
            .unwrap()
    );
    assert_eq!(get(store, ca, a2.id).await.unwrap().status, pending);
    assert_eq!(
        claim(store, t0(), "w", 10).await,
        vec![],
        "no job for a failed transition"
    );

    store
        .set_role(cb, a1.id, Role::Admin, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(get(store, ca, a1.id).await.unwrap().role, Role::Member);

    store
        .update_handle(cb, &identity("U1", "Renamed"))
        .await
        .unwrap();
    assert_eq!(get(store, ca, a1.id).await.unwrap().handle, "Taro");
    assert_eq!(get(store, cb, b1.id).await.unwrap().handle, "Renamed");

    // A member value claiming the wrong community must not touch the real member, nor (seen
    // here in the raw index) their search entry.
    let forged = Member {
        community_id: cb,
        profile: named("Hijacked"),
        ..a1.clone()
    };
    store
        .update_profile(&forged, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(get(store, ca, a1.id).await, Some(a1.clone()));
    let hijacked = raw
        .count_by(
            "SELECT COUNT(*) FROM member_search WHERE member_search MATCH 'hijacked' \
             AND rowid = $1",
            "SELECT COUNT(*) FROM members WHERE search @@ 'hijacked'::tsquery AND id = $1",
            a1.id,
        )
        .await;
    assert_eq!(
        hijacked, 0,
        "update_profile rewrote another community's search entry"
    );

    store.erase_member(cb, a1.id).await.unwrap();
    assert_eq!(get(store, ca, a1.id).await, Some(a1.clone()));
    assert_eq!(store.identities(ca, a1.id).await.unwrap().len(), 1);
}

/// Search never crosses communities, even for look-alike members.
async fn check_search_isolation(store: &dyn Store, _raw: &Raw) {
    let Twins { ca, cb, a, b } = twins(store).await;
    let (a1, b1) = (a.0, b.0);
    for (c, mine) in [(ca, &a1), (cb, &b1)] {
        for query in [
            text("田中"),
            text("太郎"),
            SearchQuery::default(),
            SearchQuery {
                skills: vec!["rust".into()],
                ..SearchQuery::default()
            },
        ] {
            assert_eq!(
                ids(&search(store, c, &query).await),
                vec![mine.id],
                "{query:?} in community {c}"
            );
        }
    }

    // A member value claiming the wrong community leaves the real member's entry alone.
    let forged = Member {
        community_id: cb,
        profile: named("Hijacked"),
        ..a1.clone()
    };
    store
        .update_profile(&forged, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(ids(&search(store, ca, &text("田中")).await), vec![a1.id]);
    let nobody = Vec::<MemberId>::new();
    assert_eq!(ids(&search(store, cb, &text("hijacked")).await), nobody);
    assert_eq!(ids(&search(store, ca, &text("hijacked")).await), nobody);

    store.erase_member(cb, a1.id).await.unwrap();
    assert_eq!(ids(&search(store, ca, &text("太郎")).await), vec![a1.id]);
}

// ---------------------------------------------------------------------------------------------
// 7. Erasure

async fn check_erase(store: &dyn Store, raw: &Raw) {
    let c = community(store, "guild").await;
    let other = community(store, "guild-other").await;
    let t = t0();
    let welcome = move |m: &Member| vec![job(c, Some(m.id), &format!("welcome-{}", m.id), t)];
    let profile = |name: &str| Profile {
        skills: vec!["Rust".into()],
        bio: Some("消える予定".into()),
        ..named(name)
    };
    let x = store
        .insert_member(
            c,
            &new_member(
                "ux",
                "EraseMe",
                MemberStatus::Approved,
                profile("消去 太郎"),
            ),
            &welcome,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let y = store
        .insert_member(
            c,
            &new_member(
                "uy",
                "StayHere",
                MemberStatus::Approved,
                profile("残留 花子"),
            ),
            &welcome,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    store
        .enqueue(&[
            job(c, Some(x.id), "x-reminder", t + secs(3600)),
            job(c, None, "channel-post", t),
        ])
        .await
        .unwrap();
    // One of x's jobs is being delivered (leased) when they are erased.
    let leased = claim(store, t, "w", 1).await;
    assert_eq!(keys(&leased), [format!("welcome-{}", x.id)]);

    let members = "SELECT COUNT(*) FROM members WHERE id = $1";
    let identities = "SELECT COUNT(*) FROM identities WHERE member_id = $1";
    let jobs = "SELECT COUNT(*) FROM jobs WHERE member_id = $1";
    let fts = "SELECT COUNT(*) FROM member_search WHERE rowid = $1";
    let channel_jobs = "SELECT COUNT(*) FROM jobs WHERE member_id IS NULL AND id > $1";
    let counts = async |id: MemberId| {
        let mut v = vec![
            raw.count(members, id).await,
            raw.count(identities, id).await,
            raw.count(jobs, id).await,
        ];
        if raw.is_sqlite() {
            v.push(raw.count(fts, id).await);
        }
        v
    };
    let present = if raw.is_sqlite() {
        vec![1, 1, 1, 1]
    } else {
        vec![1, 1, 1]
    };
    let x_before = {
        let mut v = present.clone();
        v[2] = 2;
        v
    };
    assert_eq!(counts(x.id).await, x_before);
    assert_eq!(counts(y.id).await, present);

    // Erasing through another community is a no-op.
    store.erase_member(other, x.id).await.unwrap();
    assert_eq!(counts(x.id).await, x_before);

    store.erase_member(c, x.id).await.unwrap();
    assert_eq!(
        counts(x.id).await,
        vec![0; present.len()],
        "member, identities, jobs{} remain",
        if raw.is_sqlite() {
            ", search entry"
        } else {
            ""
        }
    );
    assert_eq!(get(store, c, x.id).await, None);
    let by_identity = store.member_by_identity(c, Platform::Discord, "ux").await;
    assert_eq!(by_identity.unwrap(), None);
    assert_eq!(store.member_by_handle(c, "eraseme").await.unwrap(), None);
    assert_eq!(store.identities(c, x.id).await.unwrap(), vec![]);
    let lost = store
        .finish_job(leased[0].id, "w", JobState::Done, None, t)
        .await
        .unwrap();
    assert!(!lost, "the erased member's leased job is gone");

    // Everyone else is untouched.
    assert_eq!(counts(y.id).await, present);
    assert_eq!(get(store, c, y.id).await, Some(y.clone()));
    assert_eq!(raw.count(channel_jobs, 0).await, 1);
    assert_eq!(
        keys(&claim(store, t + secs(7200), "w", 10).await),
        [format!("welcome-{}", y.id), "channel-post".to_owned()],
        "x's reminder is gone; y's welcome and the channel post remain"
    );

    // Erasing twice (or an unknown id) is fine.
    store.erase_member(c, x.id).await.unwrap();
    store.erase_member(c, 987_654).await.unwrap();
}

/// Member ids end up in buttons (`Action::Approve(id)`) that stay clickable in old messages,
/// so an erased member's id must never be given to someone else.
async fn check_ids_not_reused(store: &dyn Store, _raw: &Raw) {
    let c = community(store, "guild").await;
    let first = add(store, c, "u1", MemberStatus::Pending, named("First")).await;
    let newest = add(store, c, "u2", MemberStatus::Pending, named("Erased")).await;
    store.erase_member(c, newest.id).await.unwrap();
    let next = add(store, c, "u3", MemberStatus::Pending, named("Newcomer")).await;
    assert!(next.id != newest.id && next.id != first.id);
    assert!(
        !store
            .transition(
                c,
                newest.id,
                MemberStatus::Pending,
                MemberStatus::Approved,
                &[],
                chrono::Utc::now()
            )
            .await
            .unwrap(),
        "an old approve button for the erased member approved the newcomer"
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Jobs

async fn check_jobs(store: &dyn Store, _raw: &Raw) {
    let c = community(store, "guild").await;
    let t = t0();
    assert_eq!(store.next_wake().await.unwrap(), None);

    let a = job(c, None, "a", t - secs(10));
    let b = NewJob {
        valid_until: Some(t + secs(3600)),
        ..job(c, None, "b", t)
    };
    let j_c = job(c, None, "c", t + secs(1));
    let d = job(c, None, "d", t + secs(60));
    store
        .enqueue(&[d.clone(), j_c.clone(), b.clone(), a.clone()])
        .await
        .unwrap();
    assert_eq!(store.next_wake().await.unwrap(), Some(t - secs(10)));

    // Only due jobs (due_at <= now), earliest first, leased to the claimer.
    let got = store.claim_jobs(t, "w1", t + secs(30), 10).await.unwrap();
    assert_eq!(keys(&got), ["a", "b"]);
    assert_eq!(untimed(got[0].clone()), claimed(&a, got[0].id, 1));
    assert_eq!(untimed(got[1].clone()), claimed(&b, got[1].id, 1));
    let (ja, jb) = (got[0].id, got[1].id);
    assert_eq!(
        claim(store, t, "w2", 10).await,
        vec![],
        "leased jobs are not claimed twice"
    );
    assert_eq!(
        store.next_wake().await.unwrap(),
        Some(t + secs(1)),
        "next due job, before the leases expire"
    );

    let done = JobState::Done;
    assert!(
        !store.finish_job(ja, "w2", done, None, t).await.unwrap(),
        "wrong worker"
    );
    assert!(store.finish_job(ja, "w1", done, None, t).await.unwrap());
    assert!(
        !store.finish_job(ja, "w1", done, None, t).await.unwrap(),
        "finished twice"
    );

    // w1 crashed: after its lease expires, b is due again for another worker.
    let later = t + secs(31);
    let got = store
        .claim_jobs(later, "w2", t + secs(90), 10)
        .await
        .unwrap();
    assert_eq!(keys(&got), ["b", "c"]);
    assert_eq!(
        untimed(got[0].clone()),
        claimed(&b, jb, 2),
        "attempts count the second claim"
    );
    assert_eq!(
        got[0].first_tried_at,
        Some(t),
        "the first try is remembered across claims"
    );
    let jc = got[1].id;
    assert!(
        !store.finish_job(jb, "w1", done, None, later).await.unwrap(),
        "lease lost"
    );

    // retry_job gives the job back for later.
    assert!(
        !store
            .retry_job(jc, "w1", t + secs(300), "nope")
            .await
            .unwrap()
    );
    assert!(
        store
            .retry_job(jc, "w2", t + secs(300), "rate limited")
            .await
            .unwrap()
    );
    let got = store
        .claim_jobs(t + secs(61), "w3", t + secs(120), 10)
        .await
        .unwrap();
    assert_eq!(
        keys(&got),
        ["d"],
        "c was moved to t+300s, b is still leased"
    );
    let jd = got[0].id;
    assert_eq!(
        store.next_wake().await.unwrap(),
        Some(t + secs(90)),
        "earliest of b's lease (t+90s), d's lease (t+120s) and c (t+300s)"
    );
    let skipped = JobState::Skipped;
    assert!(
        store
            .finish_job(jb, "w2", skipped, Some("stale"), later)
            .await
            .unwrap()
    );
    let failed = JobState::Failed;
    assert!(
        store
            .finish_job(jd, "w3", failed, Some("gone"), later)
            .await
            .unwrap()
    );
    assert_eq!(store.next_wake().await.unwrap(), Some(t + secs(300)));
    assert_eq!(claim(store, t + secs(299), "w4", 10).await, vec![]);
    let got = claim(store, t + secs(300), "w4", 10).await;
    let retried = NewJob {
        due_at: t + secs(300),
        ..j_c.clone()
    };
    let got: Vec<Job> = got.into_iter().map(untimed).collect();
    assert_eq!(got, vec![claimed(&retried, jc, 2)]);
    assert!(store.finish_job(jc, "w4", done, None, t).await.unwrap());
    assert_eq!(store.next_wake().await.unwrap(), None);
    assert_eq!(claim(store, t + secs(86_400), "w5", 10).await, vec![]);

    // The limit takes the earliest due jobs first, whatever the insertion order.
    let base = t + secs(1000);
    let batch: Vec<NewJob> = (1..=5)
        .rev()
        .map(|i| job(c, None, &format!("e{i}"), base + secs(i)))
        .collect();
    store.enqueue(&batch).await.unwrap();
    let now = base + secs(10);
    assert_eq!(keys(&claim(store, now, "w", 2).await), ["e1", "e2"]);
    assert_eq!(keys(&claim(store, now, "w", 2).await), ["e3", "e4"]);
    assert_eq!(keys(&claim(store, now, "w", 2).await), ["e5"]);
    assert_eq!(claim(store, now, "w", 2).await, vec![]);

    // Replayed changes: a key is written once, the first version kept.
    let first = job(c, None, "k1", t);
    let replayed = Payload::Notify {
        to: Target::Channel("general".into()),
        reply: Reply::text(Locale::En, "replayed"),
    };
    let again = NewJob {
        payload: replayed,
        ..first.clone()
    };
    store
        .enqueue(&[first.clone(), again.clone()])
        .await
        .unwrap();
    store
        .enqueue(&[again, job(c, None, "k2", t)])
        .await
        .unwrap();
    let m = store
        .insert_member(
            c,
            &new_member("u1", "u1", MemberStatus::Pending, named("M")),
            &move |_: &Member| vec![job(c, None, "k2", t)],
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    assert!(m.id > 0);
    let got = claim(store, t, "w", 10).await;
    assert_eq!(keys(&got), ["k1", "k2"]);
    assert_eq!(
        untimed(got[0].clone()),
        claimed(&first, got[0].id, 1),
        "the first version is kept"
    );
}

// ---------------------------------------------------------------------------------------------
// 9. Concurrent claimers (PostgreSQL: several bot instances share one database)

async fn check_concurrent_claims(store: PgStore, raw: &Raw) {
    const JOBS: usize = 2_000;
    let c = community(&store, "guild").await;
    let t = t0();
    let jobs: Vec<NewJob> = (0..JOBS)
        .map(|i| job(c, None, &format!("bulk-{i}"), t - secs((i % 50) as i64)))
        .collect();
    store.enqueue(&jobs).await.unwrap();
    assert_eq!(
        raw.count("SELECT COUNT(*) FROM jobs WHERE id > $1", 0)
            .await,
        JOBS as i64
    );

    let store = Arc::new(store);
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let worker = format!("worker-{w}");
                let mut mine = Vec::new();
                loop {
                    let got = store
                        .claim_jobs(t, &worker, t + secs(600), 25)
                        .await
                        .expect("claim_jobs");
                    if got.is_empty() {
                        break;
                    }
                    for j in got {
                        assert_eq!(j.attempts, 1, "job {} claimed before", j.key);
                        let ok = store
                            .finish_job(j.id, &worker, JobState::Done, None, t)
                            .await
                            .expect("finish_job");
                        assert!(ok, "{worker} lost the lease of {}", j.key);
                        mine.push(j.id);
                    }
                }
                mine
            })
        })
        .collect();
    let mut claimed_ids = Vec::new();
    for w in workers {
        claimed_ids.extend(w.await.expect("worker task"));
    }
    let unique: BTreeSet<i64> = claimed_ids.iter().copied().collect();
    assert_eq!(unique.len(), claimed_ids.len(), "a job was claimed twice");
    assert_eq!(unique.len(), JOBS, "some jobs were never claimed");
    let done = "SELECT COUNT(*) FROM jobs WHERE state = 'done' AND attempts = $1";
    assert_eq!(raw.count(done, 1).await, JOBS as i64);
    assert_eq!(store.next_wake().await.unwrap(), None);
}
