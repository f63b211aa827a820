//! Issue #15's hardening items, each on real SQLite and PostgreSQL where storage is involved.

use std::sync::Arc;

use bot_core::clock::{Clock, OffsetClock};
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::reply::Reply;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, PgStore, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{DateTime, TimeDelta, Utc};

fn actor(name: &str, locale: Locale) -> Actor {
    Actor {
        identity: Identity {
            platform: Platform::Shell,
            space_id: "acme".into(),
            user_id: name.into(),
            handle: name.into(),
        },
        locale: Some(locale),
        platform_admin: false,
    }
}

fn core_with(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Core {
    Core::new(
        store,
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
    )
}

/// Run `line` as `who` and insist it succeeded.
async fn ok(core: &Core, who: &Actor, line: &str) -> Reply {
    let r = core.handle_text(who, line).await;
    assert!(!r.error, "{line}: {}", r.to_plain_text());
    r
}

async fn sqlite(label: &str) -> (TempSqlite, Arc<dyn Store>) {
    let db = TempSqlite::new(label);
    let store = SqliteStore::connect(&db.url()).await.unwrap();
    (db, Arc::new(store))
}

// ---- 3. Time comes from the Clock, also where the store writes it -----------------------

/// The shell's clock moved three years ahead: every time the store wrote (joining, an event,
/// a block, an introduction, joining coffee chats) is the clock's, as `/alumni mydata` shows.
async fn stored_times_follow_the_clock(store: Arc<dyn Store>) {
    let clock = Arc::new(OffsetClock::new());
    clock.advance(TimeDelta::days(3 * 365));
    let core = core_with(store, clock.clone());
    let (hr, aki, ben) = (
        actor("hr", Locale::En),
        actor("aki", Locale::En),
        actor("ben", Locale::En),
    );
    ok(&core, &hr, "/alumni help").await;
    ok(&core, &aki, "/alumni join name:Aki").await;
    ok(&core, &ben, "/alumni join name:Ben").await;
    ok(&core, &hr, "/alumni approve @aki").await;
    ok(&core, &hr, "/alumni approve @ben").await;
    ok(&core, &hr, "/alumni role @aki supporter").await;
    let when = (clock.now() + TimeDelta::days(10)).format("%Y-%m-%d 19:00");
    ok(
        &core,
        &aki,
        &format!("/event create title:Party at:\"{when}\""),
    )
    .await;
    ok(&core, &aki, "/intro @ben why:\"Both write Rust\"").await;
    ok(&core, &aki, "/alumni block @ben").await;
    ok(
        &core,
        &hr,
        "/coffee setup every:1w day:mon time:10:00 size:2",
    )
    .await;
    ok(&core, &aki, "/coffee join").await;

    let reply = ok(&core, &aki, "/alumni mydata").await;
    let doc: serde_json::Value =
        serde_json::from_str(&reply.attachment.expect("a JSON file").content).unwrap();
    let now = clock.now();
    let mut times = vec![("member.created_at".to_owned(), &doc["member"]["created_at"])];
    for (table, column) in [
        ("events", "created_at"),
        ("intros", "created_at"),
        ("blocks", "created_at"),
        ("coffee_members", "joined_at"),
    ] {
        let rows = doc["tables"][table].as_array().unwrap_or_else(|| {
            panic!("no {table} in {doc}");
        });
        assert!(!rows.is_empty(), "no {table} rows: {doc}");
        for row in rows {
            times.push((format!("{table}.{column}"), &row[column]));
        }
    }
    for (what, value) in times {
        let at: DateTime<Utc> = value
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{what}: {value}"));
        assert!(
            (now - at).abs() < TimeDelta::hours(1),
            "{what} is {at}, the clock says {now}"
        );
    }
}

#[tokio::test]
async fn stored_times_follow_the_clock_on_sqlite() {
    let (_db, store) = sqlite("clock").await;
    stored_times_follow_the_clock(store).await;
}

#[tokio::test]
async fn stored_times_follow_the_clock_on_postgres() {
    let Some(db) = TempPostgres::create("clock").await else {
        return;
    };
    stored_times_follow_the_clock(Arc::new(PgStore::connect(&db.url).await.unwrap())).await;
    db.drop_db().await;
}

// ---- 7. CSV formula injection in the export -------------------------------------------

/// Cells of the export that Excel would run as a formula start with `'`; importing our own
/// export reads the values back as they were.
async fn export_neutralizes_formulas(store: Arc<dyn Store>) {
    let core = core_with(store.clone(), Arc::new(OffsetClock::new()));
    let hr = actor("hr", Locale::En);
    ok(&core, &hr, "/alumni help").await;
    let evil = actor("evil", Locale::En);
    ok(
        &core,
        &evil,
        "/alumni join name:\"=HYPERLINK(A1) Evil\" department:-2+3 company:+81-3-1234 title:@SUM(A1)",
    )
    .await;
    ok(&core, &hr, "/alumni approve @evil").await;
    let reply = ok(&core, &hr, "/admin export").await;
    let csv = reply.attachment.expect("members.csv").content;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv.trim_start_matches('\u{FEFF}').as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let row = reader
        .records()
        .map(Result::unwrap)
        .find(|r| r.iter().any(|c| c.contains("HYPERLINK")))
        .unwrap_or_else(|| panic!("evil not exported:\n{csv}"));
    let cell = |name: &str| {
        let i = header.iter().position(|h| h == name).unwrap();
        row[i].to_owned()
    };
    assert_eq!(cell("name"), "'=HYPERLINK(A1) Evil");
    assert_eq!(cell("department"), "'-2+3");
    assert_eq!(cell("company"), "'+81-3-1234");
    assert_eq!(cell("title"), "'@SUM(A1)");
    for r in reader.records() {
        for c in r.unwrap().iter() {
            assert!(!c.starts_with(['=', '+', '-', '@', '\t', '\r']), "{c}");
        }
    }

    // Our own export imported again: the values as typed, not with the quote.
    let community = core.community_of(Platform::Shell, "acme").await.unwrap();
    let outcome = core
        .import_roster(&community, None, csv.as_bytes(), false)
        .await
        .unwrap();
    assert!(!outcome.refused, "{:?}", outcome.errors);
    let rows = store.roster(community.id).await.unwrap();
    let evil_row = rows
        .iter()
        .find(|r| r.name.contains("HYPERLINK"))
        .expect("evil imported");
    assert_eq!(evil_row.name, "=HYPERLINK(A1) Evil");
    assert_eq!(evil_row.department.as_deref(), Some("-2+3"));
}

#[tokio::test]
async fn export_neutralizes_formulas_on_sqlite() {
    let (_db, store) = sqlite("csv").await;
    export_neutralizes_formulas(store).await;
}

#[tokio::test]
async fn export_neutralizes_formulas_on_postgres() {
    let Some(db) = TempPostgres::create("csv").await else {
        return;
    };
    export_neutralizes_formulas(Arc::new(PgStore::connect(&db.url).await.unwrap())).await;
    db.drop_db().await;
}

// ---- 12. Buttons pass the consent gate ----------------------------------------------------

/// After a new purpose is published, a member who has not agreed is asked to by the RSVP and
/// "I'm interested" buttons as by typing, and nothing is recorded; the Agree button works.
async fn buttons_pass_the_consent_gate(store: Arc<dyn Store>) {
    use bot_core::action::Action;
    use bot_core::command::event::RsvpChoice;
    let core = core_with(store.clone(), Arc::new(OffsetClock::new()));
    let (hr, aki) = (actor("hr", Locale::En), actor("aki", Locale::En));
    ok(&core, &hr, "/alumni help").await;
    ok(&core, &aki, "/alumni join name:Aki").await;
    ok(&core, &hr, "/alumni approve @aki").await;
    let community = core.community_of(Platform::Shell, "acme").await.unwrap();
    let when = (Utc::now() + TimeDelta::days(10)).format("%Y-%m-%d 19:00");
    ok(
        &core,
        &hr,
        &format!("/event create title:Party at:\"{when}\""),
    )
    .await;
    ok(&core, &hr, "/job post title:Backend type:rehire").await;
    let event = store
        .upcoming_events(community.id, Utc::now())
        .await
        .unwrap()
        .remove(0);
    let rsvp = Action::Rsvp {
        event: event.id,
        occurrence: event.starts_at.timestamp(),
        choice: RsvpChoice::Going,
    }
    .encode_in(community.id);
    let interest = ok(&core, &aki, "/job show 1").await.buttons[0]
        .action
        .clone();
    ok(
        &core,
        &hr,
        "/admin purpose text:\"We share profiles with event hosts.\"",
    )
    .await;

    // Typing is stopped (as before), and so is each button.
    let typed = ok(&core, &aki, &format!("/event rsvp {} going", event.id)).await;
    assert!(typed.text.contains("We share profiles"), "{}", typed.text);
    for (what, id) in [("rsvp", &rsvp), ("interest", &interest)] {
        let r = core.handle_action(&aki, id).await;
        assert!(
            r.text.contains("We share profiles") && r.ephemeral,
            "{what}: {}",
            r.to_plain_text()
        );
        assert!(
            r.buttons
                .iter()
                .any(|b| matches!(Action::decode(&b.action), Ok(Action::Agree { .. }))),
            "{what}: no Agree button"
        );
    }
    let answers = store
        .rsvps(community.id, event.id, event.starts_at)
        .await
        .unwrap();
    assert!(answers.is_empty(), "the RSVP button went through the gate");

    // Agree (the button itself passes), then both buttons act.
    let ask = core.handle_action(&aki, &rsvp).await;
    let agreed = core.handle_action(&aki, &ask.buttons[0].action).await;
    assert!(!agreed.error, "{}", agreed.to_plain_text());
    let r = core.handle_action(&aki, &rsvp).await;
    assert!(!r.error && !r.text.contains("We share"), "{}", r.text);
    assert_eq!(
        store
            .rsvps(community.id, event.id, event.starts_at)
            .await
            .unwrap()
            .len(),
        1
    );
    let r = core.handle_action(&aki, &interest).await;
    assert!(
        !r.error && !r.text.contains("We share") && !r.text.contains("already"),
        "interest was recorded before agreeing: {}",
        r.text
    );
}

#[tokio::test]
async fn buttons_pass_the_consent_gate_on_sqlite() {
    let (_db, store) = sqlite("consent").await;
    buttons_pass_the_consent_gate(store).await;
}

#[tokio::test]
async fn buttons_pass_the_consent_gate_on_postgres() {
    let Some(db) = TempPostgres::create("consent").await else {
        return;
    };
    buttons_pass_the_consent_gate(Arc::new(PgStore::connect(&db.url).await.unwrap())).await;
    db.drop_db().await;
}

// ---- 13. A repeat rule is no more often than daily, however it is written ----------------

async fn rules_more_often_than_daily_are_refused(store: Arc<dyn Store>) {
    let core = core_with(store.clone(), Arc::new(OffsetClock::new()));
    // The grammar refuses it, so even a non-member sees why, in their language.
    let (hr, visitor_ja) = (actor("hr", Locale::En), actor("visitor", Locale::Ja));
    ok(&core, &hr, "/alumni help").await;
    let community = core.community_of(Platform::Shell, "acme").await.unwrap();
    let when = (Utc::now() + TimeDelta::days(10)).format("%Y-%m-%d 19:00");
    let hours = (0..24).map(|h| h.to_string()).collect::<Vec<_>>().join(",");
    let minutes = (0..60).map(|m| m.to_string()).collect::<Vec<_>>().join(",");
    let every_minute = format!("RRULE:FREQ=DAILY;BYHOUR={hours};BYMINUTE={minutes}");
    for rule in [
        every_minute.as_str(),
        "RRULE:FREQ=DAILY;BYHOUR=9,21",
        "RRULE:FREQ=WEEKLY;BYDAY=MO;BYHOUR=8,9",
    ] {
        let line = format!("/event create title:Spam at:\"{when}\" repeat:\"{rule}\"");
        let r = core.handle_text(&hr, &line).await;
        assert!(r.error, "{rule}: {}", r.text);
        assert!(
            r.text.contains("more often than once a day"),
            "{rule}: {}",
            r.text
        );
        let r = core.handle_text(&visitor_ja, &line).await;
        assert!(r.error && r.text.contains("1日1回より頻繁"), "{}", r.text);
    }
    assert!(
        store
            .upcoming_events(community.id, Utc::now())
            .await
            .unwrap()
            .is_empty(),
        "a refused rule wrote an event"
    );

    // Daily, and several days a week, are fine; an edit is held to the same rule.
    ok(
        &core,
        &hr,
        &format!(
            "/event create title:Standup at:\"{when}\" repeat:\"RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE\""
        ),
    )
    .await;
    ok(
        &core,
        &hr,
        &format!("/event create title:Daily at:\"{when}\" repeat:daily"),
    )
    .await;
    let r = core
        .handle_text(&hr, &format!("/event edit 1 repeat:\"{every_minute}\""))
        .await;
    assert!(r.error, "{}", r.text);
    let events = store
        .upcoming_events(community.id, Utc::now())
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .all(|e| !e.rrule.as_deref().unwrap_or("").contains("BYMINUTE")),
        "{events:?}"
    );
}

#[tokio::test]
async fn rules_more_often_than_daily_are_refused_on_sqlite() {
    let (_db, store) = sqlite("rrule").await;
    rules_more_often_than_daily_are_refused(store).await;
}

#[tokio::test]
async fn rules_more_often_than_daily_are_refused_on_postgres() {
    let Some(db) = TempPostgres::create("rrule").await else {
        return;
    };
    rules_more_often_than_daily_are_refused(Arc::new(PgStore::connect(&db.url).await.unwrap()))
        .await;
    db.drop_db().await;
}

// ---- 14. Invisible and text-direction characters are refused ------------------------------

async fn invisible_characters_are_refused(store: Arc<dyn Store>) {
    let core = core_with(store.clone(), Arc::new(OffsetClock::new()));
    let (hr, aki) = (actor("hr", Locale::En), actor("aki", Locale::En));
    ok(&core, &hr, "/alumni help").await;
    let community = core.community_of(Platform::Shell, "acme").await.unwrap();
    // "\u{202E}nimda" shows as "admin" read right to left.
    for (who, line, key) in [
        (&aki, "/alumni join name:\"\u{202E}nimda\"", "name"),
        (&aki, "/alumni join name:\"Ak\u{200B}i\"", "name"),
        (
            &aki,
            "/alumni join name:Aki company:\"AC\u{2066}ME\"",
            "company",
        ),
        (
            &aki,
            "/alumni join name:Aki skills:\"Rust,G\u{FEFF}o\"",
            "skills",
        ),
        (&aki, "/alumni join name:\"A\u{00AD}ki\"", "name"),
        (
            &hr,
            "/event create title:\"Par\u{200F}ty\" at:\"2030-01-01 19:00\"",
            "title",
        ),
    ] {
        let r = core.handle_text(who, line).await;
        assert!(r.error, "{line:?}: {}", r.text);
        assert!(
            r.text.contains(&format!("\"{key}\"")) && r.text.contains("invisible"),
            "{line:?}: {}",
            r.text
        );
    }
    assert!(
        store
            .member_by_identity(community.id, Platform::Shell, "aki")
            .await
            .unwrap()
            .is_none(),
        "a refused join wrote a member"
    );
    assert!(
        store
            .upcoming_events(community.id, Utc::now())
            .await
            .unwrap()
            .is_empty()
    );

    // An edit is refused whole, in the member's language, and changes nothing.
    ok(&core, &aki, "/alumni join name:Aki title:CTO locale:ja").await;
    let r = core
        .handle_text(
            &aki,
            "/alumni profile set title:\"CEO\u{202E}\" location:Osaka",
        )
        .await;
    assert!(r.error && r.text.contains("「title」"), "{}", r.text);
    let me = store
        .member_by_identity(community.id, Platform::Shell, "aki")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(me.profile.title.as_deref(), Some("CTO"));
    assert_eq!(me.profile.location, None);
    // Emoji with variation selectors (not format characters) are fine.
    ok(
        &core,
        &aki,
        "/alumni profile set bio:\"Hi ☕\u{FE0F} 日本語\"",
    )
    .await;
}

#[tokio::test]
async fn invisible_characters_are_refused_on_sqlite() {
    let (_db, store) = sqlite("invisible").await;
    invisible_characters_are_refused(store).await;
}

#[tokio::test]
async fn invisible_characters_are_refused_on_postgres() {
    let Some(db) = TempPostgres::create("invisible").await else {
        return;
    };
    invisible_characters_are_refused(Arc::new(PgStore::connect(&db.url).await.unwrap())).await;
    db.drop_db().await;
}

// ---- 18. Approvals, rejections, role and setup changes are audited ------------------------

async fn decisions_and_setup_are_audited(store: Arc<dyn Store>) {
    use bot_core::action::Action;
    let core = core_with(store.clone(), Arc::new(OffsetClock::new()));
    let hr = actor("hr", Locale::En);
    ok(&core, &hr, "/alumni help").await;
    for who in ["aki", "ben", "cat"] {
        ok(
            &core,
            &actor(who, Locale::En),
            &format!("/alumni join name:{who}"),
        )
        .await;
    }
    let community = core.community_of(Platform::Shell, "acme").await.unwrap();
    let ben = store
        .member_by_identity(community.id, Platform::Shell, "ben")
        .await
        .unwrap()
        .unwrap();
    ok(&core, &hr, "/alumni approve @aki").await;
    let pressed = core
        .handle_action(&hr, &Action::Approve(ben.id).encode_in(community.id))
        .await;
    assert!(!pressed.error, "{}", pressed.text);
    ok(
        &core,
        &hr,
        "/alumni reject @cat reason:\"Not on the roster\"",
    )
    .await;
    ok(&core, &hr, "/alumni role @aki supporter").await;
    ok(&core, &hr, "/alumni setup approval:off intro_days:5").await;
    ok(
        &core,
        &hr,
        "/coffee setup every:2w day:mon time:10:00 size:3",
    )
    .await;

    let audit = ok(&core, &hr, "/admin audit").await.to_plain_text();
    for line in [
        "@hr: approved a joiner → @aki",
        "@hr: approved a joiner → @ben",
        "@hr: rejected a joiner → @cat (Reason: Not on the roster)",
        "@hr: changed a role → @aki (member → supporter)",
        "@hr: changed the community settings: approval:off intro_days:5",
        "@hr: set up coffee chats: every:14d day:mon time:10:00 size:3",
    ] {
        assert!(audit.contains(line), "{line} missing:\n{audit}");
    }
    ok(&core, &hr, "/alumni profile set locale:ja").await;
    let audit = ok(&core, &hr, "/admin audit").await.to_plain_text();
    for line in [
        "@hr: 参加申請を承認 → @aki",
        "@hr: 参加申請を見送り → @cat (理由: Not on the roster)",
        "@hr: 役割を変更 → @aki (メンバー → サポーター)",
        "@hr: コミュニティの設定を変更: approval:off intro_days:5",
        "@hr: コーヒーチャットを設定: every:14d day:mon time:10:00 size:3",
    ] {
        assert!(audit.contains(line), "{line} missing:\n{audit}");
    }
}

#[tokio::test]
async fn decisions_and_setup_are_audited_on_sqlite() {
    let (_db, store) = sqlite("audit").await;
    decisions_and_setup_are_audited(store).await;
}

#[tokio::test]
async fn decisions_and_setup_are_audited_on_postgres() {
    let Some(db) = TempPostgres::create("audit").await else {
        return;
    };
    decisions_and_setup_are_audited(Arc::new(PgStore::connect(&db.url).await.unwrap())).await;
    db.drop_db().await;
}

// ---- 19. Two members with one handle: ids where known, an error listing them otherwise -----

async fn a_shared_handle_is_never_guessed(store: Arc<dyn Store>) {
    use bot_core::domain::MemberStatus;
    let core = core_with(store.clone(), Arc::new(OffsetClock::new()));
    let hr = actor("hr", Locale::En);
    ok(&core, &hr, "/alumni help").await;
    // Two people the platform shows as "ann" (one renamed since the bot last saw her).
    let ann = |user: &str| Actor {
        identity: Identity {
            platform: Platform::Shell,
            space_id: "acme".into(),
            user_id: user.into(),
            handle: "ann".into(),
        },
        locale: Some(Locale::En),
        platform_admin: false,
    };
    ok(&core, &ann("U1"), "/alumni join name:\"Ann Abe\"").await;
    ok(&core, &ann("U2"), "/alumni join name:\"Ann Ito\"").await;
    let community = core.community_of(Platform::Shell, "acme").await.unwrap();
    let status = |user: &'static str| {
        let store = store.clone();
        async move {
            store
                .member_by_identity(community.id, Platform::Shell, user)
                .await
                .unwrap()
                .unwrap()
        }
    };

    // By handle: refused, naming both, and nobody is approved.
    let r = core.handle_text(&hr, "/alumni approve @ann").await;
    assert!(r.error, "{}", r.text);
    for choice in ["Ann Abe (@ann)", "Ann Ito (@ann)", "<@U1>", "<@U2>"] {
        assert!(r.text.contains(choice), "{choice} missing: {}", r.text);
    }
    assert_eq!(status("U1").await.status, MemberStatus::Pending);
    assert_eq!(status("U2").await.status, MemberStatus::Pending);

    // The Reject button of the second names her, not whoever holds the handle first.
    let second = status("U2").await;
    let form = core
        .handle_action(
            &hr,
            &bot_core::action::Action::Reject(second.id).encode_in(community.id),
        )
        .await
        .form
        .expect("a reason form");
    ok(
        &core,
        &hr,
        &format!("{} reason:\"Not on the roster\"", form.command),
    )
    .await;
    assert_eq!(status("U1").await.status, MemberStatus::Pending);
    assert_eq!(status("U2").await.status, MemberStatus::Rejected);

    // By platform id: exact.
    ok(&core, &hr, "/alumni approve <@U1>").await;
    assert_eq!(status("U1").await.status, MemberStatus::Approved);

    // In Japanese too.
    ok(&core, &hr, "/alumni profile set locale:ja").await;
    let r = core.handle_text(&hr, "/alumni profile @ann").await;
    assert!(
        r.error && r.text.contains("複数") && r.text.contains("Ann Ito (@ann)"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn a_shared_handle_is_never_guessed_on_sqlite() {
    let (_db, store) = sqlite("handles").await;
    a_shared_handle_is_never_guessed(store).await;
}

#[tokio::test]
async fn a_shared_handle_is_never_guessed_on_postgres() {
    let Some(db) = TempPostgres::create("handles").await else {
        return;
    };
    a_shared_handle_is_never_guessed(Arc::new(PgStore::connect(&db.url).await.unwrap())).await;
    db.drop_db().await;
}
