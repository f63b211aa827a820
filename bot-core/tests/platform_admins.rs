//! Platform admins stay admins only while the platform says so (#15 item 16): someone made an
//! admin because they owned or administered the server / workspace is a member again on their
//! first typed command after losing that role there; admins made by hand (`/alumni role`),
//! `ALUMNI_ADMINS` or the installer stay admins.

use std::sync::Arc;

use bot_core::clock::SystemClock;
use bot_core::domain::{Identity, MemberStatus, Platform, Role};
use bot_core::i18n::Locale;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};

const SPACE: &str = "T1";

fn actor(user: &str, platform_admin: bool) -> Actor {
    Actor {
        identity: Identity {
            platform: Platform::Slack,
            space_id: SPACE.into(),
            user_id: user.into(),
            handle: user.to_lowercase(),
        },
        locale: Some(Locale::En),
        platform_admin,
    }
}

async fn stored_role(core: &Core, store: &dyn Store, user: &str) -> Option<Role> {
    let community = store
        .community_for_space(Platform::Slack, SPACE, core.community_defaults())
        .await
        .unwrap();
    store
        .member_by_identity(community.id, Platform::Slack, user)
        .await
        .unwrap()
        .filter(|m| m.status == MemberStatus::Approved)
        .map(|m| m.role)
}

/// `/alumni pending` as `user`: whether it was answered as to an admin.
async fn pending_works(core: &Core, user: &str, platform_admin: bool) -> bool {
    let reply = core
        .handle_text(&actor(user, platform_admin), "/alumni pending")
        .await;
    if reply.error {
        assert!(reply.text.contains("Only admins"), "{}", reply.text);
    }
    !reply.error
}

async fn check(store: Arc<dyn Store>) {
    let core = Core::new(
        store.clone(),
        Arc::new(SystemClock),
        CoreConfig {
            bootstrap_admins: vec!["UOPS".into()],
            community_defaults: NewCommunity {
                name: "Alumni".into(),
                locale: Locale::En,
                timezone: "Asia/Tokyo".into(),
                requires_approval: true,
            },
        },
    );
    core.bootstrap(Platform::Slack, SPACE).await.unwrap();
    let store = &*store;

    // A workspace admin's first command makes them an admin.
    assert!(pending_works(&core, "UBOSS", true).await);
    assert_eq!(stored_role(&core, store, "UBOSS").await, Some(Role::Admin));

    // They lose the role in the workspace: their next command is a member's, and stays so.
    assert!(!pending_works(&core, "UBOSS", false).await);
    assert_eq!(stored_role(&core, store, "UBOSS").await, Some(Role::Member));
    assert!(!pending_works(&core, "UBOSS", false).await);
    let audit = core
        .handle_text(&actor("UOPS", false), "/admin audit")
        .await;
    assert!(
        audit
            .fields
            .iter()
            .any(|(_, v)| v.contains("@uboss: lost the platform's admin role, so is a member now")),
        "{audit:?}"
    );
    // Made a workspace admin again: an admin again.
    assert!(pending_works(&core, "UBOSS", true).await);

    // A workspace admin whom another admin made admin by hand stays one after losing it.
    assert!(pending_works(&core, "UKEEP", true).await);
    let made = core
        .handle_text(&actor("UOPS", false), "/alumni role @ukeep admin")
        .await;
    assert!(!made.error, "{}", made.text);
    assert!(pending_works(&core, "UKEEP", false).await);
    assert_eq!(stored_role(&core, store, "UKEEP").await, Some(Role::Admin));

    // An ordinary member promoted by hand, ALUMNI_ADMINS and the installer are never
    // platform admins to lose.
    let joined = core
        .handle_text(&actor("UAIKO", false), "/alumni join name:Aiko")
        .await;
    assert!(!joined.error, "{}", joined.text);
    let approved = core
        .handle_text(&actor("UOPS", false), "/alumni approve @uaiko")
        .await;
    assert!(!approved.error, "{}", approved.text);
    let promoted = core
        .handle_text(&actor("UOPS", false), "/alumni role @uaiko admin")
        .await;
    assert!(!promoted.error, "{}", promoted.text);
    assert!(pending_works(&core, "UAIKO", false).await);
    assert!(pending_works(&core, "UOPS", false).await);
    core.first_admin(Platform::Slack, SPACE, "UINSTALL")
        .await
        .unwrap();
    assert!(pending_works(&core, "UINSTALL", false).await);
    assert_eq!(
        stored_role(&core, store, "UINSTALL").await,
        Some(Role::Admin)
    );

    // When the platform cannot say (a Discord form in a DM), a platform admin is kept.
    assert!(pending_works(&core, "UDM", true).await);
    let unsure = core
        .handle_text_unsure(&actor("UDM", false), "/alumni pending")
        .await;
    assert!(!unsure.error, "{}", unsure.text);
    assert_eq!(stored_role(&core, store, "UDM").await, Some(Role::Admin));
}

#[tokio::test]
async fn platform_admins_lose_the_role_with_the_platform_on_sqlite() {
    let db = TempSqlite::new("platform_admins");
    check(Arc::new(SqliteStore::connect(&db.url()).await.unwrap())).await;
}

#[tokio::test]
async fn platform_admins_lose_the_role_with_the_platform_on_postgres() {
    let Some(db) = TempPostgres::create("platform_admins").await else {
        return;
    };
    let store = bot_core::store::PgStore::connect(&db.url).await.unwrap();
    check(Arc::new(store.clone())).await;
    store.pool().close().await;
    db.drop_db().await;
}
