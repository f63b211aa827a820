//! HR's roster as a funnel, through the core on SQLite and PostgreSQL (#17): a Shift_JIS
//! roster of 1,000 with roles, exported with a personal invite code per row; three people
//! join with their codes (approved at once, department and years filled from the roster, the
//! roster's role); a used, renewed, foreign or made-up code gets one and the same refusal;
//! five wrong codes in a row lock the person out (across a restart) and change nothing; the
//! funnel in `/admin roster` and `/admin stats`; erasure keeps HR's row without link or code.

use std::collections::HashSet;
use std::sync::Arc;

use bot_core::clock::{Clock, ManualClock};
use bot_core::domain::{Identity, JoinStatus, MemberStatus, Platform, Role};
use bot_core::i18n::Locale;
use bot_core::invite_code;
use bot_core::roster;
use bot_core::service::{Actor, Core, CoreConfig};
use bot_core::store::{NewCommunity, NewMember, PgStore, RosterClaim, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use chrono::{TimeDelta, TimeZone, Utc};

const SPACE: &str = "acme";

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

fn core(store: Arc<dyn Store>, clock: Arc<ManualClock>) -> Core {
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

/// 1,000 people as Excel writes them in Japan (CP932, CRLF), with a role column: every
/// hundredth is a current employee, number 7 a supporter.
fn shift_jis_roster() -> Vec<u8> {
    let mut text = String::from("氏名,メールアドレス,部署,入社日,退職日,区分\r\n");
    for i in 1..=1000 {
        let role = match i {
            7 => "サポーター",
            i if i % 100 == 0 => "社員",
            _ => "",
        };
        text.push_str(&format!(
            "髙橋 ①{i},t{i}@example.jp,開発部{},{}/4/1,{}/3/31,{role}\r\n",
            i % 5,
            2000 + i % 10,
            2015 + i % 10
        ));
    }
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

/// (name, email, role, status, code) of each exported row.
fn exported(csv: &str) -> Vec<(String, String, String, String, String)> {
    assert!(csv.starts_with('\u{FEFF}'), "a BOM so Excel reads UTF-8");
    let mut r = csv::Reader::from_reader(csv.trim_start_matches('\u{FEFF}').as_bytes());
    let headers = r.headers().unwrap().clone();
    let at = |h: &str| headers.iter().position(|x| x == h).expect(h);
    let (name, email, role, status, code) = (
        at("name"),
        at("email"),
        at("role"),
        at("status"),
        at("code"),
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[name].to_owned(),
                rec[email].to_owned(),
                rec[role].to_owned(),
                rec[status].to_owned(),
                rec[code].to_owned(),
            )
        })
        .collect()
}

fn code_of(rows: &[(String, String, String, String, String)], email: &str) -> String {
    rows.iter()
        .find(|r| r.1 == email)
        .unwrap_or_else(|| panic!("{email} exported"))
        .4
        .clone()
}

fn count(rows: &[(String, String, String, String, String)], status: &str) -> usize {
    rows.iter().filter(|r| r.3 == status).count()
}

async fn funnel(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(),
    ));
    let core = core(store.clone(), clock.clone());
    let hr = actor(SPACE, "hr");
    core.handle_text(&hr, "/alumni help").await;
    let community = core.community_of(Platform::Shell, SPACE).await.unwrap();
    let say = |who: &'static str, line: String| {
        let core = &core;
        async move { core.handle_text(&actor(SPACE, who), &line).await }
    };

    let outcome = core
        .import_roster(&community, None, &shift_jis_roster(), false)
        .await
        .unwrap();
    assert_eq!(
        (outcome.imported, outcome.errors.len()),
        (1000, 0),
        "{outcome:?}"
    );
    // A role the roster cannot give is a row error, with its line.
    let bad = roster::parse("name,role\nEve,admin\n".as_bytes());
    assert_eq!(bad.errors[0].key, "roster.err.bad_role");
    assert_eq!(bad.errors[0].line, 2);

    // ---- export with codes: every row, not joined, a distinct readable code ----
    let reply = core.handle_text(&hr, "/admin export roster").await;
    assert!(!reply.error && reply.ephemeral, "{}", reply.to_plain_text());
    let csv = reply.attachment.expect("roster.csv").content;
    let rows = exported(&csv);
    assert_eq!(rows.len(), 1000);
    assert_eq!(count(&rows, "not joined"), 1000);
    let codes: HashSet<&str> = rows.iter().map(|r| r.4.as_str()).collect();
    assert_eq!(codes.len(), 1000, "every code differs");
    assert!(
        rows.iter().all(|r| r.4.len() == 11
            && r.4.chars().nth(5) == Some('-')
            && invite_code::normalize(&r.4).is_some()),
        "XXXXX-XXXXX"
    );
    assert_eq!(rows[99].2, "employee");
    assert_eq!(rows[6].2, "supporter");
    // It reads back as the roster it came from.
    let back = roster::parse(csv.as_bytes());
    assert_eq!(back.errors, vec![]);
    assert_eq!(back.rows.len(), 1000);
    assert_eq!(back.rows[99].role, Role::Employee);
    assert_eq!(back.rows[0].email.as_deref(), Some("t1@example.jp"));

    // ---- three people join with their codes ----
    let joiners = [("ann", 1), ("bo", 100), ("cy", 7)];
    for (who, i) in joiners {
        let code = code_of(&rows, &format!("t{i}@example.jp"));
        // Typed forgivingly: lowercase, without the hyphen.
        let typed = code.replace('-', "").to_lowercase();
        let r = say(
            who,
            format!("/alumni join name:\"Joiner {who}\" code:{typed}"),
        )
        .await;
        let text = r.to_plain_text();
        assert!(!r.error, "{text}");
        assert!(text.contains("From HR's roster"), "{text}");
        assert!(text.contains(&format!("開発部{}", i % 5)), "{text}");
        let m = store
            .member_by_handle(community.id, who)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.status, MemberStatus::Approved, "approved at once");
        assert_eq!(m.profile.department, Some(format!("開発部{}", i % 5)));
        assert_eq!(
            (m.profile.joined, m.profile.left),
            (Some(2000 + i % 10), Some(2015 + i % 10))
        );
        let role = match i {
            7 => Role::Supporter,
            100 => Role::Employee,
            _ => Role::Member,
        };
        assert_eq!(m.role, role);
    }
    // What the joiner typed wins over the roster; they can hide what the roster filled.
    let r = say("ann", "/alumni profile hide department".into()).await;
    assert!(!r.error, "{}", r.to_plain_text());

    // ---- one refusal for every unusable code ----
    let used = code_of(&rows, "t1@example.jp");
    let other = core.community_of(Platform::Shell, "globex").await.unwrap();
    core.import_roster(&other, None, "name\nZed\n".as_bytes(), false)
        .await
        .unwrap();
    let foreign = store.roster(other.id).await.unwrap()[0]
        .code
        .clone()
        .unwrap();
    let refusal = say("dee", format!("/alumni join name:Dee code:{used}"))
        .await
        .to_plain_text();
    assert!(refusal.contains("cannot be used"), "{refusal}");
    for attempt in [foreign.as_str(), "ZZZZZ-ZZZZZ", "not-a-code"] {
        let r = say("eve", format!("/alumni join name:Eve code:{attempt}")).await;
        assert!(r.error);
        assert_eq!(r.to_plain_text(), refusal, "{attempt}: the same answer");
    }
    let r = say("eve", format!("/alumni join name:Eve code:{used}")).await;
    assert_eq!(r.to_plain_text(), refusal);

    // ---- five wrong codes, then refused even with a good one, across a restart ----
    let good = code_of(&rows, "t2@example.jp");
    for n in 1..=5 {
        let r = say("mallory", format!("/alumni join name:M code:AAAAA-AAAA{n}")).await;
        assert!(r.error);
        assert_eq!(r.to_plain_text(), refusal, "attempt {n}");
    }
    let restarted = self::core(store.clone(), clock.clone());
    let r = restarted
        .handle_text(
            &actor(SPACE, "mallory"),
            &format!("/alumni join name:M code:{good}"),
        )
        .await;
    assert!(r.error);
    assert!(
        r.to_plain_text().contains("Too many wrong invite codes"),
        "{}",
        r.to_plain_text()
    );
    assert!(
        store
            .member_by_handle(community.id, "mallory")
            .await
            .unwrap()
            .is_none(),
        "nothing changed"
    );
    let now = exported(
        &core
            .export_roster(&community, None, Locale::En, None)
            .await
            .unwrap(),
    );
    assert_eq!(
        code_of(&now, "t2@example.jp"),
        good,
        "the good code is unused"
    );
    assert_eq!(
        (count(&now, "approved"), count(&now, "not joined")),
        (3, 997)
    );
    // The lock-out passes; the right code then works.
    clock.advance(TimeDelta::minutes(61));
    let r = restarted
        .handle_text(
            &actor(SPACE, "mallory"),
            &format!("/alumni join name:M code:{good}"),
        )
        .await;
    assert!(!r.error, "{}", r.to_plain_text());

    // ---- a renewed code: the old one stops working, the new one works ----
    let renewed = core
        .renew_codes(&community, &["T3@example.jp".to_owned()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renewed.len(), 1);
    let unknown = core
        .renew_codes(&community, &["t1@example.jp".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        unknown.unwrap_err(),
        vec!["t1@example.jp"],
        "a joined person has no code"
    );
    let old = code_of(&rows, "t3@example.jp");
    let r = say("fay", format!("/alumni join name:Fay code:{old}")).await;
    assert_eq!(r.to_plain_text(), refusal);
    let new = invite_code::display(renewed[0].code.as_deref().unwrap());
    let r = say("fay", format!("/alumni join name:Fay code:{new}")).await;
    assert!(!r.error, "{}", r.to_plain_text());

    // ---- someone already waiting is approved by their code ----
    let r = say("gus", "/alumni join name:Gus".into()).await;
    assert!(
        r.to_plain_text().contains("waiting"),
        "{}",
        r.to_plain_text()
    );
    let code = code_of(&rows, "t4@example.jp");
    let r = say("gus", format!("/alumni join name:Gus code:{code}")).await;
    assert!(!r.error, "{}", r.to_plain_text());
    let gus = store
        .member_by_handle(community.id, "gus")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gus.status, MemberStatus::Approved);
    assert_eq!(gus.profile.department.as_deref(), Some("開発部4"));

    // ---- a claim lost meanwhile writes nothing: the code goes with the approval ----
    let row = store
        .roster(community.id)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.email.as_deref() == Some("t5@example.jp"))
        .unwrap();
    let stale = RosterClaim {
        entry: row.id,
        code: Some("0000000000".into()),
        role: Role::Member,
    };
    let new_member = NewMember {
        identity: actor(SPACE, "hal").identity,
        status: MemberStatus::Approved,
        role: Role::Member,
        profile: Default::default(),
        locale: None,
        timezone: None,
    };
    let written = store
        .insert_claiming_member(
            community.id,
            &new_member,
            &stale,
            &|_| Vec::new(),
            clock.now(),
        )
        .await
        .unwrap();
    assert!(written.is_none());
    assert!(
        store
            .member_by_handle(community.id, "hal")
            .await
            .unwrap()
            .is_none(),
        "no member without the claim"
    );

    // ---- the funnel ----
    let text = core.handle_text(&hr, "/admin roster").await.to_plain_text();
    // 1,000 on the roster, all invited by the export; ann, bo, cy, mallory, fay, gus joined.
    assert!(
        text.contains("on the roster 1000 → invited 1000 → joined 6 → approved 6 → active in the last 90 days 6"),
        "{text}"
    );
    assert!(text.contains("Not joined: 994 (page 1 of 40)"), "{text}");
    assert!(text.contains("髙橋 ①5"), "{text}");
    assert!(
        !text.contains("髙橋 ①1 "),
        "joined people are not listed: {text}"
    );
    assert!(text.contains("/admin roster page:2"), "{text}");
    let page40 = core
        .handle_text(&hr, "/admin roster page:40")
        .await
        .to_plain_text();
    assert!(page40.contains("髙橋 ①1000"), "{page40}");
    let stats = core.handle_text(&hr, "/admin stats").await.to_plain_text();
    assert!(
        stats.contains("on the roster 1000 → invited 1000"),
        "{stats}"
    );
    // Only admins see it.
    assert!(say("ann", "/admin roster".into()).await.error);

    // ---- a reminder wave, and the audit log ----
    let wave = core
        .handle_text(&hr, "/admin export roster status:not-joined")
        .await;
    let wave = exported(&wave.attachment.unwrap().content);
    assert_eq!(wave.len(), 994);
    assert!(wave.iter().all(|r| r.3 == "not joined" && !r.4.is_empty()));
    let audit = core.handle_text(&hr, "/admin audit").await.to_plain_text();
    assert!(
        audit.contains("exported the roster with invite codes"),
        "{audit}"
    );

    // ---- mydata shows the row while linked; erasure keeps HR's row, unlinked ----
    let mine = say("bo", "/alumni mydata".into()).await;
    let json = mine.attachment.unwrap().content;
    assert!(json.contains("t100@example.jp"), "{json}");
    let r = say("bo", "/alumni leave delete:yes".into()).await;
    assert!(!r.error, "{}", r.to_plain_text());
    let after = core
        .export_roster(&community, None, Locale::En, None)
        .await
        .unwrap();
    let after = exported(&after);
    let bo = after.iter().find(|r| r.1 == "t100@example.jp").unwrap();
    assert_eq!(
        (bo.3.as_str(), bo.4.as_str()),
        ("not joined", ""),
        "HR's row stays, without link or code"
    );
    let row = store
        .roster(community.id)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.email.as_deref() == Some("t100@example.jp"))
        .unwrap();
    assert_eq!((row.member, row.code), (None, None));
    assert_eq!(JoinStatus::of(row.member_status), JoinStatus::NotJoined);
}

#[tokio::test]
async fn sqlite_roster_funnel() {
    let db = TempSqlite::new("roster-codes");
    let store = SqliteStore::connect(&db.url()).await.unwrap();
    funnel(Arc::new(store)).await;
}

#[tokio::test]
async fn postgres_roster_funnel() {
    let Some(db) = TempPostgres::create("roster_codes").await else {
        return;
    };
    let store = PgStore::connect(&db.url).await.unwrap();
    funnel(Arc::new(store)).await;
    db.drop_db().await;
}
