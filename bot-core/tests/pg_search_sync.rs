//! PostgreSQL searches the directory in memory, per bot instance. These tests run two
//! instances (two stores) on one real database: what one writes, the other finds on its very
//! next search, including a write that committed late; and the in-memory answers are the SQL
//! search's answers, page for page.

use bot_core::domain::{
    CommunityId, Identity, Member, MemberStatus, OpenTo, Platform, Profile, Role,
};
use bot_core::i18n::Locale;
use bot_core::store::{NewCommunity, NewMember, PgStore, SearchQuery, Store};
use bot_core::testing::TempPostgres;
use sqlx::Connection;

async fn community(store: &PgStore) -> CommunityId {
    store
        .community_for_space(
            Platform::Shell,
            "acme",
            &NewCommunity {
                name: "Acme".into(),
                locale: Locale::Ja,
                timezone: "Asia/Tokyo".into(),
                requires_approval: true,
            },
        )
        .await
        .expect("community")
        .id
}

async fn add(
    store: &PgStore,
    c: CommunityId,
    user: &str,
    status: MemberStatus,
    profile: Profile,
) -> Member {
    let new = NewMember {
        identity: Identity {
            platform: Platform::Shell,
            space_id: "acme".into(),
            user_id: user.into(),
            handle: user.into(),
        },
        status,
        role: Role::Member,
        profile,
        locale: None,
        timezone: None,
    };
    store
        .insert_member(c, &new, &|_: &Member| Vec::new(), chrono::Utc::now())
        .await
        .expect("insert_member")
}

fn text(q: &str) -> SearchQuery {
    SearchQuery {
        text: q.into(),
        ..SearchQuery::default()
    }
}

async fn names(store: &PgStore, c: CommunityId, q: &SearchQuery) -> Vec<String> {
    let page = store.search(c, q, 50, 0).await.expect("search");
    page.members.into_iter().map(|m| m.profile.name).collect()
}

/// Runs `check` on a fresh database, dropping it afterwards even when the check fails.
async fn with_db<F, Fut>(label: &str, check: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Some(db) = TempPostgres::create(label).await else {
        return;
    };
    let outcome = tokio::spawn(check(db.url.clone())).await;
    db.drop_db().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_sees_every_change_on_its_next_search() {
    with_db("livesync", |url| async move {
        let writer = PgStore::connect(&url).await.expect("connect");
        let reader = PgStore::connect(&url).await.expect("connect");
        let c = community(&writer).await;
        let sato = Profile {
            name: "佐藤 洋介".into(),
            skills: vec!["Rust".into()],
            ..Profile::default()
        };
        // The reader holds the (empty) directory in memory before anyone joins: from here on
        // it only catches up.
        reader.warm_search().await.unwrap();
        assert!(names(&reader, c, &text("佐藤")).await.is_empty());

        let member = add(&writer, c, "sato", MemberStatus::Pending, sato).await;
        assert!(
            names(&reader, c, &text("佐藤")).await.is_empty(),
            "a pending member is not in the directory"
        );
        assert!(
            writer
                .transition(
                    c,
                    member.id,
                    MemberStatus::Pending,
                    MemberStatus::Approved,
                    &[],
                    chrono::Utc::now()
                )
                .await
                .unwrap()
        );
        assert_eq!(names(&reader, c, &text("佐藤")).await, ["佐藤 洋介"]);
        assert_eq!(names(&reader, c, &text("rust")).await, ["佐藤 洋介"]);

        // A profile edit: the old skill no longer finds them, the new one does.
        let mut edited = writer.member(c, member.id).await.unwrap().unwrap();
        edited.profile.skills = vec!["Go".into()];
        writer
            .update_profile(&edited, chrono::Utc::now())
            .await
            .unwrap();
        assert!(names(&reader, c, &text("rust")).await.is_empty());
        assert_eq!(names(&reader, c, &text("go")).await, ["佐藤 洋介"]);

        // Leaving takes them out; erasing (the row deleted) keeps them out.
        writer
            .transition(
                c,
                member.id,
                MemberStatus::Approved,
                MemberStatus::Left,
                &[],
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        assert!(names(&reader, c, &text("佐藤")).await.is_empty());
        let back = add(
            &writer,
            c,
            "sato2",
            MemberStatus::Approved,
            Profile {
                name: "佐藤 花子".into(),
                ..Profile::default()
            },
        )
        .await;
        assert_eq!(names(&reader, c, &text("佐藤")).await, ["佐藤 花子"]);
        writer.erase_member(c, back.id).await.unwrap();
        assert!(names(&reader, c, &text("佐藤")).await.is_empty());
        writer.pool().close().await;
        reader.pool().close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_commits_after_a_later_one_is_not_missed() {
    with_db("livelate", |url| async move {
        let store = PgStore::connect(&url).await.expect("connect");
        let c = community(&store).await;
        store.warm_search().await.unwrap();
        let early = add(
            &store,
            c,
            "early",
            MemberStatus::Pending,
            Profile {
                name: "Early Bird".into(),
                ..Profile::default()
            },
        )
        .await;
        assert!(names(&store, c, &text("bird")).await.is_empty());

        // The early transaction takes its id first and stays open...
        let mut slow = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query("BEGIN").execute(&mut slow).await.unwrap();
        sqlx::query("UPDATE members SET status = 'approved' WHERE id = $1")
            .bind(early.id)
            .execute(&mut slow)
            .await
            .unwrap();
        // ...while a later one commits and is seen by a search.
        add(
            &store,
            c,
            "late",
            MemberStatus::Approved,
            Profile {
                name: "Late Bird".into(),
                ..Profile::default()
            },
        )
        .await;
        assert_eq!(names(&store, c, &text("bird")).await, ["Late Bird"]);

        sqlx::query("COMMIT").execute(&mut slow).await.unwrap();
        assert_eq!(
            names(&store, c, &text("bird")).await,
            ["Late Bird", "Early Bird"],
            "the early write, committed last, must still reach the index"
        );
        store.pool().close().await;
    })
    .await;
}

/// A small deterministic directory with common and rare terms, names in both languages,
/// years and filters; more than the count limit match "engineer".
fn profile(i: u64) -> Profile {
    let pick = |list: &[&str], salt: u64| {
        let x = i
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(salt as u32 * 7)
            ^ salt;
        list[(x % list.len() as u64) as usize].to_owned()
    };
    let surnames = ["田中", "佐藤", "鈴木", "Smith", "Johnson", "高橋"];
    let given = ["太郎", "花子", "John", "Emily", "洋介"];
    let titles = [
        "Engineer",
        "Backend Engineer",
        "Designer",
        "営業",
        "Engineering Manager",
    ];
    let skills = ["Rust", "Go", "TypeScript", "COBOL", "経理", "Python"];
    Profile {
        name: format!("{} {}", pick(&surnames, 1), pick(&given, 2)),
        title: Some(pick(&titles, 3)),
        // Some companies carry a surname, so a name search has matches outside names too.
        company: Some(pick(
            &[
                "Acme",
                "日立製作所",
                "Globex",
                "Smith Consulting",
                "田中商事",
            ],
            4,
        )),
        skills: vec![pick(&skills, 5), pick(&skills, 6)],
        open_to: if i.is_multiple_of(3) {
            vec![OpenTo::Rehire]
        } else {
            vec![]
        },
        left: Some(2010 + (i % 12) as i32),
        joined: Some(2000 + (i % 9) as i32),
        bio: i
            .is_multiple_of(4)
            .then(|| "Rust と Go で決済基盤を作っていました".to_owned()),
        ..Profile::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_and_sql_give_the_same_pages() {
    with_db("livediff", |url| async move {
        let live = PgStore::connect(&url).await.expect("connect");
        let sql = PgStore::connect(&url)
            .await
            .expect("connect")
            .with_sql_search();
        let c = community(&live).await;
        for i in 0..450 {
            let status = if i % 10 == 7 {
                MemberStatus::Pending
            } else {
                MemberStatus::Approved
            };
            add(&live, c, &format!("u{i}"), status, profile(i)).await;
        }
        live.warm_search().await.unwrap();
        let mut queries: Vec<SearchQuery> = [
            "",
            "田中",
            "田中 太郎",
            "john smith",
            "rust",
            "typ",
            "engineer",
            "cobol",
            "決済",
            "internationalization",
            "nobody",
        ]
        .iter()
        .map(|q| text(q))
        .collect();
        queries.push(SearchQuery {
            text: "engineer".into(),
            skills: vec!["Go".into()],
            open_to: vec![OpenTo::Rehire],
            ..SearchQuery::default()
        });
        queries.push(SearchQuery {
            left: Some((2015, 2018)),
            ..SearchQuery::default()
        });
        queries.push(SearchQuery {
            text: "佐藤".into(),
            joined: Some((2003, 2005)),
            left: Some((2012, 2020)),
            ..SearchQuery::default()
        });
        let mut saw_more_than_the_limit = false;
        for q in &queries {
            for (limit, offset) in [(10, 0), (10, 10), (25, 190), (5, 400)] {
                let a = live.search(c, q, limit, offset).await.unwrap();
                let b = sql.search(c, q, limit, offset).await.unwrap();
                let ids = |p: &bot_core::store::SearchPage| {
                    p.members.iter().map(|m| m.id).collect::<Vec<_>>()
                };
                assert_eq!(
                    (ids(&a), a.total, a.total_exact),
                    (ids(&b), b.total, b.total_exact),
                    "query {q:?}, limit {limit}, offset {offset}"
                );
                saw_more_than_the_limit |= !a.total_exact;
            }
        }
        assert!(
            saw_more_than_the_limit,
            "some query must pass the count limit"
        );
        live.pool().close().await;
        sql.pool().close().await;
    })
    .await;
}
