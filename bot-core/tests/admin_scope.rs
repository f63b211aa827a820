//! `ALUMNI_ADMINS` are admins only where the operator put them (#15 item 9): unscoped ids in
//! the configured single space (`Core::bootstrap`: DISCORD_GUILD_ID, the SLACK_BOT_TOKEN team),
//! `SPACE:USER` in that space; never in every server or workspace the bot is added to.

use std::sync::Arc;

use bot_core::clock::SystemClock;
use bot_core::domain::{Identity, MemberStatus, Platform, Role};
use bot_core::i18n::Locale;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};

fn actor(space: &str, user: &str) -> Actor {
    Actor {
        identity: Identity {
            platform: Platform::Slack,
            space_id: space.into(),
            user_id: user.into(),
            handle: user.to_lowercase(),
        },
        locale: Some(Locale::En),
        platform_admin: false,
    }
}

async fn role_in(core: &Core, store: &dyn Store, space: &str, user: &str) -> Option<Role> {
    let community = store
        .community_for_space(Platform::Slack, space, core.community_defaults())
        .await
        .unwrap();
    store
        .member_by_identity(community.id, Platform::Slack, user)
        .await
        .unwrap()
        .filter(|m| m.status == MemberStatus::Approved)
        .map(|m| m.role)
}

async fn check(store: Arc<dyn Store>) {
    let core = Core::new(
        store.clone(),
        Arc::new(SystemClock),
        CoreConfig {
            // UOPS everywhere the operator configured; UPARTNER only in TPARTNER.
            bootstrap_admins: vec!["UOPS".into(), "TPARTNER:UPARTNER".into()],
            community_defaults: NewCommunity {
                name: "Alumni".into(),
                locale: Locale::En,
                timezone: "Asia/Tokyo".into(),
                requires_approval: true,
            },
        },
    );
    // The operator's own workspace (SLACK_BOT_TOKEN's team): set up before anyone types.
    core.bootstrap(Platform::Slack, "THOME").await.unwrap();
    assert_eq!(
        role_in(&core, &*store, "THOME", "UOPS").await,
        Some(Role::Admin)
    );

    // Another company installs the app: UOPS is nobody there, and typing does not change it.
    core.space_seen(Platform::Slack, "TOTHER").await.unwrap();
    assert_eq!(role_in(&core, &*store, "TOTHER", "UOPS").await, None);
    let pending = core
        .handle_text(&actor("TOTHER", "UOPS"), "/alumni pending")
        .await;
    assert!(pending.error, "not an admin there: {}", pending.text);
    let joined = core
        .handle_text(&actor("TOTHER", "UOPS"), "/alumni join name:Ops")
        .await;
    assert!(!joined.error, "{}", joined.text);
    let community = store
        .community_for_space(Platform::Slack, "TOTHER", core.community_defaults())
        .await
        .unwrap();
    let ops = store
        .member_by_identity(community.id, Platform::Slack, "UOPS")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (ops.status, ops.role),
        (MemberStatus::Pending, Role::Member),
        "an ordinary joiner there"
    );

    // A scoped entry: an admin in its own workspace only.
    core.space_seen(Platform::Slack, "TPARTNER").await.unwrap();
    assert_eq!(
        role_in(&core, &*store, "TPARTNER", "UPARTNER").await,
        Some(Role::Admin)
    );
    let elsewhere = core
        .handle_text(&actor("THOME", "UPARTNER"), "/alumni pending")
        .await;
    assert!(elsewhere.error, "{}", elsewhere.text);

    // The installer of a workspace is its first admin.
    core.first_admin(Platform::Slack, "TOTHER", "UBOSS")
        .await
        .unwrap();
    assert_eq!(
        role_in(&core, &*store, "TOTHER", "UBOSS").await,
        Some(Role::Admin)
    );
}

#[tokio::test]
async fn alumni_admins_are_scoped_on_sqlite() {
    let db = TempSqlite::new("admin_scope");
    check(Arc::new(SqliteStore::connect(&db.url()).await.unwrap())).await;
}

#[tokio::test]
async fn alumni_admins_are_scoped_on_postgres() {
    let Some(db) = TempPostgres::create("admin_scope").await else {
        return;
    };
    let store = bot_core::store::PgStore::connect(&db.url).await.unwrap();
    check(Arc::new(store.clone())).await;
    store.pool().close().await;
    db.drop_db().await;
}
