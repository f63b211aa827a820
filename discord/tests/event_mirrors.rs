//! What the core did, as the adapter acts on it (#14 item 2): the server's scheduled events
//! follow the core's events by what the core says it created, changed or cancelled — the same
//! scheduled event after a restart, one per occurrence of a repeating event — and the member
//! role follows what changed someone's standing, not the words of the command.

#![recursion_limit = "256"]

mod support;

use bot_core::action::Action;
use bot_core::clock::Clock;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use support::fake_discord::{Call, GUILD, member};
use support::*;

const CHO: u64 = 700_000_000_000_000_005;
const EVENTS: &str = "/scheduled-events";

fn cho() -> Value {
    member(CHO, "cho", "0", false)
}

/// A time the grammar reads, in the community's zone (Asia/Tokyo).
fn at(when: DateTime<Utc>) -> String {
    when.with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The scheduled event id a PATCH went to.
fn target(call: &Call) -> String {
    call.path.rsplit('/').next().unwrap().to_owned()
}

async fn create(rig: &Rig, who: &Value, title: &str, when: DateTime<Utc>, extra: &[Value]) {
    let mut options = vec![
        json!({ "name": "title", "type": 3, "value": title }),
        json!({ "name": "at", "type": 3, "value": at(when) }),
    ];
    options.extend(extra.iter().cloned());
    let id = rig.slash(who, "en-US", "event", "create", Value::Array(options));
    let (answer, _) = rig.answer(&id).await;
    assert!(all_text(&answer).contains(title), "{answer:#}");
}

/// `/event edit ID title:…`, answered; then the scheduled event is edited (waits for the
/// `n`th PATCH).
async fn rename(rig: &Rig, event: i64, title: &str, n: usize) -> Call {
    let id = rig.slash(
        &admin(),
        "en-US",
        "event",
        "edit",
        json!([
            { "name": "id", "type": 4, "value": event },
            { "name": "title", "type": 3, "value": title },
        ]),
    );
    rig.answer(&id).await;
    let patches = rig.fake.wait_for("PATCH", EVENTS, n).await;
    patches
        .into_iter()
        .find(|c| c.body["name"] == title)
        .unwrap_or_else(|| panic!("no PATCH naming {title}"))
}

async fn event_id(rig: &Rig, title: &str) -> i64 {
    let community = rig.community().await.id;
    rig.store
        .upcoming_events(community, rig.clock.now())
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.title == title)
        .unwrap_or_else(|| panic!("no event {title}"))
        .id
}

async fn after_a_restart(rig: Rig) {
    let start = Utc::now() + TimeDelta::days(3);
    create(&rig, &admin(), "Reunion", start, &[]).await;
    let created = rig.fake.wait_for("POST", EVENTS, 1).await;
    assert_eq!(created[0].body["name"], "Reunion");
    let event = event_id(&rig, "Reunion").await;
    // Which scheduled event Discord made: the one an edit changes.
    let scheduled = target(&rename(&rig, event, "Reunion 2026", 1).await);

    let rig = rig.restart().await;
    let edited = rename(&rig, event, "Reunion (moved)", 2).await;
    assert_eq!(target(&edited), scheduled, "the same scheduled event");
    let id = rig.slash(
        &admin(),
        "en-US",
        "event",
        "cancel",
        json!([{ "name": "id", "type": 4, "value": event }]),
    );
    rig.answer(&id).await;
    let patches = rig.fake.wait_for("PATCH", EVENTS, 3).await;
    let cancel = patches.iter().find(|c| c.body["status"] == 4).unwrap();
    assert_eq!(target(cancel), scheduled, "the same one is cancelled");
    assert_eq!(
        rig.fake.calls_to("POST", EVENTS).len(),
        1,
        "no second scheduled event"
    );
    rig.finish().await;
}

/// Before: the link lived in memory, so after a restart the edit created a second
/// scheduled event and the cancel left the first one standing.
#[tokio::test]
async fn an_edit_and_a_cancel_after_a_restart_change_the_same_scheduled_event() {
    after_a_restart(Rig::start("mirror_restart").await).await;
}

#[tokio::test]
async fn an_edit_and_a_cancel_after_a_restart_change_the_same_scheduled_event_on_postgres() {
    if let Some(rig) = Rig::postgres("mirror_restart_pg").await {
        after_a_restart(rig).await;
    }
}

async fn two_admins_at_once(rig: Rig) {
    // The owner (a server admin) and ADMIN create an event each at the same moment.
    let start = Utc::now() + TimeDelta::days(4);
    let (owner, admin) = (owner(), admin());
    tokio::join!(
        create(&rig, &owner, "Alpha", start, &[]),
        create(&rig, &admin, "Beta", start + TimeDelta::hours(1), &[]),
    );
    let posts = rig.fake.wait_for("POST", EVENTS, 2).await;
    let mut names: Vec<&str> = posts
        .iter()
        .map(|c| c.body["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Alpha", "Beta"], "each mirrors its own event");
    // Each event edits its own scheduled event.
    let alpha = event_id(&rig, "Alpha").await;
    let beta = event_id(&rig, "Beta").await;
    let a = rename(&rig, alpha, "Alpha 2", 1).await;
    let b = rename(&rig, beta, "Beta 2", 2).await;
    assert_ne!(target(&a), target(&b));
    assert_eq!(rig.fake.calls_to("POST", EVENTS).len(), 2);
    rig.finish().await;
}

/// Before: the adapter took "the newest upcoming event" as the one just created, so two
/// creations at once could both mirror the same one.
#[tokio::test]
async fn two_admins_creating_at_once_each_get_their_own_scheduled_event() {
    two_admins_at_once(Rig::start("mirror_two").await).await;
}

#[tokio::test]
async fn two_admins_creating_at_once_each_get_their_own_scheduled_event_on_postgres() {
    if let Some(rig) = Rig::postgres("mirror_two_pg").await {
        two_admins_at_once(rig).await;
    }
}

async fn each_occurrence(rig: Rig) {
    let start = Utc::now() + TimeDelta::days(2);
    create(
        &rig,
        &admin(),
        "Weekly coffee",
        start,
        &[json!({ "name": "repeat", "type": 3, "value": "weekly" })],
    )
    .await;
    let first = rig.fake.wait_for("POST", EVENTS, 1).await;
    let first_start: DateTime<Utc> = first[0].body["scheduled_start_time"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // The first occurrence starts: the roll-over announces the next one, and the server
    // gets a scheduled event for it.
    rig.deliver_due().await;
    rig.clock
        .advance(first_start - rig.clock.now() + TimeDelta::minutes(1));
    rig.deliver_due().await;
    rig.deliver_due().await;
    let posts = rig.fake.wait_for("POST", EVENTS, 2).await;
    let next: DateTime<Utc> = posts[1].body["scheduled_start_time"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(next, first_start + TimeDelta::days(7));
    assert_eq!(posts[1].body["name"], "Weekly coffee");
    // Delivered again (a retry): no third.
    rig.deliver_due().await;
    // An edit now changes the next occurrence's scheduled event, not the started one.
    let event = event_id(&rig, "Weekly coffee").await;
    let edited = rename(&rig, event, "Weekly coffee ☕", 1).await;
    assert_eq!(
        edited.body["scheduled_start_time"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        next
    );
    assert_eq!(rig.fake.calls_to("POST", EVENTS).len(), 2);
    assert_eq!(rig.fake.calls_to("PATCH", EVENTS).len(), 1);
    rig.finish().await;
}

/// Before: only `/event create` made a scheduled event; later occurrences of a repeating
/// event never appeared in the server's calendar.
#[tokio::test]
async fn each_occurrence_of_a_repeating_event_gets_its_own_scheduled_event() {
    each_occurrence(Rig::start("mirror_roll").await).await;
}

#[tokio::test]
async fn each_occurrence_of_a_repeating_event_gets_its_own_scheduled_event_on_postgres() {
    if let Some(rig) = Rig::postgres("mirror_roll_pg").await {
        each_occurrence(rig).await;
    }
}

fn role_calls(rig: &Rig, user: u64) -> Vec<Call> {
    let path = format!("/guilds/{GUILD}/members/{user}/roles/{MEMBER_ROLE}");
    rig.fake
        .calls()
        .into_iter()
        .filter(|c| c.path.ends_with(&path))
        .collect()
}

async fn join(rig: &Rig, who: &Value, name: &str) {
    let id = rig.slash(
        who,
        "en-US",
        "alumni",
        "join",
        json!([{ "name": "name", "type": 3, "value": name }]),
    );
    rig.answer(&id).await;
}

async fn roles_follow_standing(rig: Rig) {
    // Approved with the slash command: the role is given.
    rig.join_approved(&aiko(), "Aiko").await;
    let given = role_calls(&rig, AIKO);
    assert_eq!(given.len(), 1, "{given:#?}");
    assert_eq!(given[0].method, "PUT");

    // Leaving coffee chats is not leaving the community: Aiko's role is not touched.
    for sub in ["join", "leave"] {
        let id = rig.slash(&aiko(), "en-US", "coffee", sub, json!([]));
        let (answer, _) = rig.answer(&id).await;
        assert!(!all_text(&answer).is_empty());
    }
    assert_eq!(
        role_calls(&rig, AIKO).len(),
        1,
        "{:#?}",
        role_calls(&rig, AIKO)
    );

    // Approved with the button on the admin's DM: the role is given.
    join(&rig, &ben(), "Ben").await;
    join(&rig, &cho(), "Cho").await;
    rig.deliver_due().await;
    let community = rig.community().await.id;
    let approve_ben = rig.button_in_dm(ADMIN, "Ben", "v1.ap.", &format!("@{community}"));
    let id = rig.press_in_dm(&admin(), "en-US", &approve_ben);
    rig.callback(&id).await;
    let ben_roles = rig
        .fake
        .wait_for("PUT", &format!("/members/{BEN}/roles/"), 1)
        .await;
    assert_eq!(ben_roles.len(), 1);

    // Approved with the button on the pending list in the server: the role is given.
    let id = rig.slash(&admin(), "en-US", "alumni", "pending", json!([]));
    let (pending, _) = rig.answer(&id).await;
    let cho_id = rig.member(CHO).await.unwrap().id;
    let approve_cho = buttons(&pending)
        .into_iter()
        .find(|b| Action::decode(b) == Ok(Action::Approve(cho_id)))
        .unwrap_or_else(|| panic!("{pending:#}"));
    let id = rig.press(&admin(), "en-US", &approve_cho);
    rig.callback(&id).await;
    rig.fake
        .wait_for("PUT", &format!("/members/{CHO}/roles/"), 1)
        .await;

    // Leaving the community takes it away.
    let id = rig.slash(&aiko(), "en-US", "alumni", "leave", json!([]));
    rig.answer(&id).await;
    let aiko_roles = role_calls(&rig, AIKO);
    assert_eq!(aiko_roles.len(), 2, "{aiko_roles:#?}");
    assert_eq!(aiko_roles[1].method, "DELETE");
    rig.finish().await;
}

/// Before: `/coffee leave` was read as a leave (the second word of the line) and re-synced
/// the asker's member role.
#[tokio::test]
async fn the_member_role_follows_approval_and_leaving_not_coffee() {
    roles_follow_standing(Rig::start("mirror_roles").await).await;
}

#[tokio::test]
async fn the_member_role_follows_approval_and_leaving_not_coffee_on_postgres() {
    if let Some(rig) = Rig::postgres("mirror_roles_pg").await {
        roles_follow_standing(rig).await;
    }
}
