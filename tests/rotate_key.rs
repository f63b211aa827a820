//! `alumni-bot rotate-secret-key`: workspace tokens stored before sealing, or sealed with the
//! key being replaced, are all sealed with the new `ALUMNI_SECRET_KEY` (#15 item 20).

use std::process::Command;

use alumni_slack::sealed::{self, Sealer};
use bot_core::domain::Platform;
use bot_core::i18n::Locale;
use bot_core::store::{NewCommunity, SlackInstallation, SlackStore, SqliteStore, Store};
use bot_core::testing::TempSqlite;

const OLD: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const NEW: &str = "2222222222222222222222222222222222222222222222222222222222222222";

async fn install(store: &dyn Store, team: &str, stored_token: String) {
    let defaults = NewCommunity {
        name: "Alumni".into(),
        locale: Locale::Ja,
        timezone: "Asia/Tokyo".into(),
        requires_approval: true,
    };
    let community = store
        .community_for_space(Platform::Slack, team, &defaults)
        .await
        .unwrap();
    store
        .save_slack_installation(&SlackInstallation {
            team_id: team.into(),
            community_id: community.id,
            bot_token: stored_token,
            bot_user_id: "UBOT".into(),
            revoked: false,
            installed_at: chrono::Utc::now(),
        })
        .await
        .unwrap();
}

fn rotate(db: &TempSqlite, new: &str, old: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_alumni-bot"));
    cmd.arg("rotate-secret-key")
        .env("DATABASE_URL", db.url())
        .env_remove("ALUMNI_CONFIG")
        .env("ALUMNI_SECRET_KEY", new)
        .current_dir(std::env::temp_dir());
    match old {
        Some(old) => cmd.env("ALUMNI_OLD_SECRET_KEY", old),
        None => cmd.env_remove("ALUMNI_OLD_SECRET_KEY"),
    };
    cmd.output().unwrap()
}

#[tokio::test]
async fn every_token_ends_sealed_with_the_new_key() {
    let db = TempSqlite::new("rotate_key");
    let store = SqliteStore::connect(&db.url()).await.unwrap();
    let old = Sealer::from_key(OLD).unwrap();
    install(&store, "TPLAIN", "xoxb-plain".into()).await;
    install(&store, "TOLD", old.seal("xoxb-old")).await;

    let out = rotate(&db, NEW, Some(OLD));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("sealed 2"));

    let new = Sealer::from_key(NEW).unwrap();
    for (team, token) in [("TPLAIN", "xoxb-plain"), ("TOLD", "xoxb-old")] {
        let stored = store
            .slack_installation(team)
            .await
            .unwrap()
            .unwrap()
            .bot_token;
        assert!(
            sealed::is_sealed(&stored) && !stored.contains("xoxb"),
            "{stored}"
        );
        assert_eq!(sealed::open(Some(&new), &stored).unwrap(), token);
        assert!(
            sealed::open(Some(&old), &stored).is_err(),
            "the old key no longer opens it"
        );
    }

    // Run again (nothing left under the old key): idempotent.
    assert!(rotate(&db, NEW, None).status.success());

    // A key that opens nothing: refused, and the stored tokens are left as they were.
    let before = store
        .slack_installation("TOLD")
        .await
        .unwrap()
        .unwrap()
        .bot_token;
    let third = "3333333333333333333333333333333333333333333333333333333333333333";
    let out = rotate(&db, third, Some(OLD));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("opening the token"));
    let after = store
        .slack_installation("TOLD")
        .await
        .unwrap()
        .unwrap()
        .bot_token;
    assert_eq!(before, after);
}
