//! Tenancy through the core: two communities (two platform spaces) on one real database, with
//! the same handles and names in both. Nothing asked in one ever reads or changes the other,
//! whatever ids a crafted button or command carries.

use std::sync::Arc;

use bot_core::clock::ManualClock;
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, SqliteStore, Store};
use bot_core::testing::TempSqlite;
use chrono::{TimeZone, Utc};

fn actor(space: &str, name: &str) -> Actor {
    Actor {
        identity: Identity {
            platform: Platform::Shell,
            space_id: space.into(),
            user_id: name.into(),
            handle: name.into(),
        },
        locale: Some(Locale::En),
        platform_admin: false,
    }
}

async fn say(core: &Core, space: &str, name: &str, line: &str) -> String {
    let r = core.handle_text(&actor(space, name), line).await;
    r.to_plain_text()
}

#[tokio::test]
async fn one_community_never_sees_or_changes_another() {
    let db = TempSqlite::new("tenancy");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&db.url()).await.unwrap());
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(),
    ));
    let core = Core::new(
        store.clone(),
        clock,
        CoreConfig {
            bootstrap_admins: vec!["hr".into()],
            community_defaults: NewCommunity {
                name: "Alumni".into(),
                locale: Locale::En,
                timezone: "Asia/Tokyo".into(),
                requires_approval: true,
            },
        },
    );
    // Same people, same names, in two spaces.
    for space in ["acme", "globex"] {
        say(
            &core,
            space,
            "alice",
            &format!("/alumni join name:\"Alice {space}\" skills:Rust"),
        )
        .await;
        say(
            &core,
            space,
            "bob",
            &format!("/alumni join name:\"Bob {space}\""),
        )
        .await;
        say(&core, space, "hr", "/alumni approve @alice").await;
        say(&core, space, "hr", "/alumni approve @bob").await;
    }
    let acme_alice = store
        .member_by_handle(
            store
                .community_for_space(
                    Platform::Shell,
                    "acme",
                    &NewCommunity {
                        name: String::new(),
                        locale: Locale::En,
                        timezone: "Asia/Tokyo".into(),
                        requires_approval: true,
                    },
                )
                .await
                .unwrap()
                .id,
            "alice",
        )
        .await
        .unwrap()
        .unwrap();

    // Globex's directory and profiles show Globex people only.
    let found = say(&core, "globex", "bob", "/alumni search rust").await;
    assert!(
        found.contains("Alice globex") && !found.contains("Alice acme"),
        "{found}"
    );
    let profile = say(&core, "globex", "bob", "/alumni profile @alice").await;
    assert!(
        profile.contains("Alice globex") && !profile.contains("acme"),
        "{profile}"
    );

    // An event in Acme is not there for Globex, by command or by a crafted button.
    let created = say(
        &core,
        "acme",
        "hr",
        "/event create title:\"Acme party\" at:\"2026-12-18 19:00\"",
    )
    .await;
    assert!(created.contains("#1"), "{created}");
    for line in [
        "/event show 1",
        "/event rsvp 1 going",
        "/event attendees 1",
        "/event ics 1",
    ] {
        let out = say(&core, "globex", "bob", line).await;
        assert!(out.contains("There is no event #1"), "{line}: {out}");
    }
    let occurrence = Utc
        .with_ymd_and_hms(2026, 12, 18, 10, 0, 0)
        .unwrap()
        .timestamp();
    let click = core
        .handle_action(&actor("globex", "bob"), &format!("v1.rs.1.{occurrence}.g"))
        .await;
    assert!(click.error, "{}", click.text);
    let acme_event = say(&core, "acme", "alice", "/event attendees 1").await;
    assert!(
        acme_event.contains("Nobody has answered yet"),
        "{acme_event}"
    );

    // Globex's admin cannot approve, reject or introduce Acme members by id.
    say(&core, "acme", "carol", "/alumni join name:Carol").await;
    let carol = store
        .member_by_handle(acme_alice.community_id, "carol")
        .await
        .unwrap()
        .unwrap();
    for id in [format!("v1.ap.{}", carol.id), format!("v1.rj.{}", carol.id)] {
        let r = core.handle_action(&actor("globex", "hr"), &id).await;
        assert!(r.error, "{id}: {}", r.text);
    }
    let still = say(&core, "acme", "hr", "/alumni pending").await;
    assert!(still.contains("Carol (@carol)"), "{still}");

    // An intro id from Acme cannot be answered from Globex.
    say(&core, "acme", "alice", "/intro @bob why:\"hello\"").await;
    let r = core
        .handle_action(&actor("globex", "bob"), "v1.in.1.y")
        .await;
    assert!(r.error, "{}", r.text);
    let pending = say(&core, "acme", "bob", "/intro list").await;
    assert!(pending.contains("waiting for your answer"), "{pending}");
}
