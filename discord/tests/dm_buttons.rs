//! Buttons and forms pressed in the bot's DMs, as Discord sends them there: no `guild_id`, no
//! `member`, the `user`, the DM channel, `context: 1`. Every button is read from a DM the bot
//! really posted to the fake Discord; each press must be answered within Discord's 3 seconds
//! and act in the community its id names.

#![recursion_limit = "256"]

mod support;

use bot_core::clock::Clock;
use bot_core::domain::{MemberStatus, Platform};
use bot_core::event::RsvpState;
use bot_core::social::IntroStatus;
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use support::fake_discord::{GENERAL, GUILD, member};
use support::*;

/// Discord's interaction callback types.
const MESSAGE: u64 = 4;
const DEFERRED: u64 = 5;
const MODAL: u64 = 9;
const EPHEMERAL: u64 = 1 << 6;

const CHO: u64 = 700_000_000_000_000_005;

fn cho() -> Value {
    member(CHO, "cho", "0", false)
}

/// `who` asks to join the first guild as `name` (pending: approval is required).
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

/// An ephemeral message callback: an error only the presser sees.
fn assert_refused(callback: &Value, mentions: &str) {
    assert_eq!(callback["type"], MESSAGE, "{callback:#}");
    assert_eq!(callback["data"]["flags"], EPHEMERAL, "{callback:#}");
    assert!(
        all_text(&callback["data"]).contains(mentions),
        "{mentions:?} in {callback:#}"
    );
}

/// The number after `prefix` in an action id (`v1.in.7.y@1` → 7 for `v1.in.`).
fn id_in(action: &str, prefix: &str) -> i64 {
    action[prefix.len()..]
        .split(['.', '@'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn approve_pressed_in_the_admins_dm_approves_tells_and_gives_the_role() {
    approve_in_dm(Rig::start("dm_approve").await).await;
}

#[tokio::test]
async fn approve_pressed_in_the_admins_dm_works_on_postgres() {
    if let Some(rig) = Rig::postgres("dm_approve_pg").await {
        approve_in_dm(rig).await;
    }
}

async fn approve_in_dm(rig: Rig) {
    join(&rig, &aiko(), "Aiko Tanaka").await;
    rig.deliver_due().await;
    let community = rig.community().await.id;
    let approve = rig.button_in_dm(ADMIN, "Aiko Tanaka", "v1.ap.", &format!("@{community}"));

    let id = rig.press_in_dm(&admin(), "en-US", &approve);
    let answer = rig.answered_in_time(&id).await;
    assert_eq!(answer["type"], MESSAGE, "{answer:#}");
    assert_eq!(answer["data"]["flags"], EPHEMERAL, "{answer:#}");
    assert!(
        all_text(&answer["data"]).contains("Aiko Tanaka is now a member"),
        "{answer:#}"
    );
    assert!(rig.member(AIKO).await.unwrap().is_approved());
    // The member role, in the guild of the community the button named.
    rig.fake
        .wait_for(
            "PUT",
            &format!("/guilds/{GUILD}/members/{AIKO}/roles/{MEMBER_ROLE}"),
            1,
        )
        .await;
    rig.deliver_due().await;
    let told: Vec<_> = rig
        .dms_to(AIKO)
        .into_iter()
        .filter(|c| all_text(&c.body).contains("was approved"))
        .collect();
    assert_eq!(told.len(), 1, "{told:#?}");
    rig.finish().await;
}

#[tokio::test]
async fn decline_in_the_dm_opens_a_form_whose_reason_reaches_the_member() {
    let rig = Rig::start("dm_decline").await;
    join(&rig, &aiko(), "Aiko Tanaka").await;
    rig.deliver_due().await;
    let community = rig.community().await.id;
    let aiko_id = rig.member(AIKO).await.unwrap().id;
    let decline = rig.button_in_dm(ADMIN, "Aiko Tanaka", "v1.rj.", &format!("@{community}"));

    // A modal, whose id keeps the community: its submission names no guild either.
    let id = rig.press_in_dm(&admin(), "en-US", &decline);
    let form = rig.answered_in_time(&id).await;
    assert_eq!(form["type"], MODAL, "{form:#}");
    let form_id = form["data"]["custom_id"].as_str().unwrap().to_owned();
    // The member by her Discord id: a handle may be shared or renamed meanwhile.
    assert_eq!(form_id, format!("c{community}|/alumni reject <@{AIKO}>"));
    assert_eq!(
        form["data"]["components"][0]["components"][0]["custom_id"],
        "reason"
    );
    assert_eq!(
        rig.member(AIKO).await.unwrap().status,
        MemberStatus::Pending,
        "opening the form changes nothing"
    );

    let reason = "We could not confirm your years at the company";
    let id = rig.submit_in_dm(&admin(), "en-US", &form_id, &[("reason", reason)]);
    let callback = rig.answered_in_time(&id).await;
    assert_eq!(callback["type"], DEFERRED, "{callback:#}");
    assert_eq!(callback["data"]["flags"], EPHEMERAL, "{callback:#}");
    let (answer, _) = rig.answer(&id).await;
    assert!(
        all_text(&answer).contains("Aiko Tanaka's request was declined"),
        "{answer:#}"
    );
    let rejected = rig.store.member(community, aiko_id).await.unwrap().unwrap();
    assert_eq!(rejected.status, MemberStatus::Rejected);

    rig.deliver_due().await;
    let told: Vec<String> = rig.dms_to(AIKO).iter().map(|c| all_text(&c.body)).collect();
    assert!(
        told.iter()
            .any(|t| t.contains("was not approved") && t.contains(&format!("Reason: {reason}"))),
        "{told:#?}"
    );
    rig.finish().await;
}

#[tokio::test]
async fn an_intro_is_accepted_and_another_declined_from_the_asked_members_dm() {
    let rig = Rig::start("dm_intro").await;
    rig.join_approved(&aiko(), "Aiko Tanaka").await;
    rig.join_approved(&ben(), "Ben Brown").await;
    rig.join_approved(&cho(), "Cho Park").await;
    rig.deliver_due().await;
    let community = rig.community().await.id;

    // aiko and cho each ask to be introduced to ben.
    for (who, why) in [
        (aiko(), "Both of us build payment systems"),
        (cho(), "Cho is hiring for her team"),
    ] {
        let id = rig.slash(
            &who,
            "en-US",
            "intro",
            "request",
            json!([
                { "name": "member", "type": 6, "value": BEN.to_string() },
                { "name": "why", "type": 3, "value": why },
            ]),
        );
        let (sent, _) = rig.answer(&id).await;
        assert!(all_text(&sent).contains("Ben Brown"), "{sent:#}");
    }
    rig.deliver_due().await;
    let accept = rig.button_in_dm(BEN, "payment systems", "v1.in.", &format!(".y@{community}"));
    let decline = rig.button_in_dm(BEN, "hiring", "v1.in.", &format!(".n@{community}"));

    let id = rig.press_in_dm(&ben(), "en-US", &accept);
    let answer = rig.answered_in_time(&id).await;
    assert_eq!(answer["data"]["flags"], EPHEMERAL, "{answer:#}");
    assert!(
        all_text(&answer["data"]).contains("now in a conversation together"),
        "{answer:#}"
    );
    let id = rig.press_in_dm(&ben(), "en-US", &decline);
    let answer = rig.answered_in_time(&id).await;
    assert!(
        all_text(&answer["data"]).contains("Declined. Nobody is told why"),
        "{answer:#}"
    );

    let intro = |action: &str| {
        let store = rig.store.clone();
        let id = id_in(action, "v1.in.");
        async move { store.intro(community, id).await.unwrap().unwrap().status }
    };
    assert_eq!(intro(&accept).await, IntroStatus::Connected);
    assert_eq!(intro(&decline).await, IntroStatus::Declined);

    rig.deliver_due().await;
    let aiko_got: Vec<String> = rig.dms_to(AIKO).iter().map(|c| all_text(&c.body)).collect();
    assert!(
        aiko_got
            .iter()
            .any(|t| t.contains("connected") && t.contains("Ben Brown (@ben)")),
        "{aiko_got:#?}"
    );
    let cho_got: Vec<String> = rig.dms_to(CHO).iter().map(|c| all_text(&c.body)).collect();
    let declined_id = id_in(&decline, "v1.in.");
    assert!(
        cho_got
            .iter()
            .any(|t| t.contains(&format!("Introduction #{declined_id} did not work out"))),
        "{cho_got:#?}"
    );
    assert!(
        !cho_got.iter().any(|t| t.contains("connected")),
        "{cho_got:#?}"
    );
    rig.finish().await;
}

#[tokio::test]
async fn an_rsvp_button_pressed_without_a_guild_changes_the_members_answer() {
    let rig = Rig::start("dm_rsvp").await;
    rig.join_approved(&aiko(), "Aiko Tanaka").await;
    let community = rig.community().await.id;
    let aiko_id = rig.member(AIKO).await.unwrap().id;
    let start = Utc::now() + TimeDelta::days(2);
    let at = start
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let id = rig.slash(
        &admin(),
        "en-US",
        "event",
        "create",
        json!([
            { "name": "title", "type": 3, "value": "Year-end drinks" },
            { "name": "at", "type": 3, "value": at },
            { "name": "remind", "type": 3, "value": "1h" },
        ]),
    );
    rig.answer(&id).await;
    let id = rig.slash(
        &aiko(),
        "en-US",
        "event",
        "rsvp",
        json!([
            { "name": "id", "type": 4, "value": 1 },
            { "name": "answer", "type": 3, "value": "going" },
        ]),
    );
    rig.answer(&id).await;
    rig.deliver_due().await;

    // An hour before: aiko, who is going, is reminded in her DM.
    rig.clock
        .advance(start - rig.clock.now() - TimeDelta::minutes(59));
    rig.deliver_due().await;
    let reminded: Vec<_> = rig
        .dms_to(AIKO)
        .into_iter()
        .filter(|c| all_text(&c.body).contains("Year-end drinks"))
        .collect();
    assert_eq!(reminded.len(), 1, "{reminded:#?}");
    assert!(
        all_text(&reminded[0].body).contains("You said you are going"),
        "{:#}",
        reminded[0].body
    );
    // Her DM reminder carries RSVP buttons when the core puts them there; until then the
    // reminder's RSVP buttons are the ones posted with it in the channel.
    let mut rsvp = buttons(&reminded[0].body);
    if rsvp.is_empty() {
        rsvp = rig
            .fake
            .calls_to("POST", &format!("/channels/{GENERAL}/messages"))
            .iter()
            .rfind(|c| all_text(&c.body).contains("Year-end drinks"))
            .map(|c| buttons(&c.body))
            .unwrap_or_default();
    }
    let cannot = rsvp
        .iter()
        .find(|b| b.starts_with("v1.rs.") && b.ends_with(&format!(".n@{community}")))
        .unwrap_or_else(|| panic!("{rsvp:?}"))
        .clone();
    let occurrence: i64 = cannot.split('.').nth(3).unwrap().parse().unwrap();
    let occurrence = chrono::DateTime::from_timestamp(occurrence, 0).unwrap();
    assert_eq!(
        rig.store.rsvp_of(1, occurrence, aiko_id).await.unwrap(),
        Some(RsvpState::Going)
    );

    let id = rig.press_in_dm(&aiko(), "en-US", &cannot);
    let answer = rig.answered_in_time(&id).await;
    assert_eq!(answer["data"]["flags"], EPHEMERAL, "{answer:#}");
    assert_eq!(
        rig.store.rsvp_of(1, occurrence, aiko_id).await.unwrap(),
        Some(RsvpState::No)
    );
    rig.finish().await;
}

#[tokio::test]
async fn coffee_skip_and_did_you_meet_pressed_in_dms() {
    let rig = Rig::start("dm_coffee").await;
    for (who, name) in [(aiko(), "Aiko"), (ben(), "Ben"), (cho(), "Cho")] {
        rig.join_approved(&who, name).await;
    }
    let id = rig.slash(&admin(), "en-US", "coffee", "setup", json!([]));
    let (set, _) = rig.answer(&id).await;
    assert!(all_text(&set).contains("groups of 2"), "{set:#}");
    for who in [aiko(), ben(), cho()] {
        let id = rig.slash(&who, "en-US", "coffee", "join", json!([]));
        rig.answer(&id).await;
    }
    let community = rig.community().await.id;
    let round_at = rig
        .store
        .coffee_settings(community)
        .await
        .unwrap()
        .unwrap()
        .next_round;
    let ids: Vec<i64> = {
        let mut ids = Vec::new();
        for user in [AIKO, BEN, CHO] {
            ids.push(rig.member(user).await.unwrap().id);
        }
        ids
    };
    let (aiko_id, ben_id, cho_id) = (ids[0], ids[1], ids[2]);

    // The day before the round everyone is told, with "Skip this round"; aiko skips it.
    let announce = round_at - TimeDelta::days(1) - rig.clock.now();
    if announce > TimeDelta::zero() {
        rig.clock.advance(announce + TimeDelta::minutes(1));
    }
    rig.deliver_due().await;
    let skip = rig.button_in_dm(
        AIKO,
        "coffee-chat round",
        &format!("v1.cs.{}", round_at.timestamp()),
        &format!("@{community}"),
    );
    let id = rig.press_in_dm(&aiko(), "en-US", &skip);
    let answer = rig.answered_in_time(&id).await;
    assert_eq!(answer["data"]["flags"], EPHEMERAL, "{answer:#}");
    assert!(all_text(&answer["data"]).contains("sit out"), "{answer:#}");
    assert_eq!(
        rig.store.round_skips(community, round_at).await.unwrap(),
        vec![aiko_id]
    );

    // The round: ben and cho meet, aiko sits it out.
    rig.clock
        .advance(round_at - rig.clock.now() + TimeDelta::minutes(1));
    rig.deliver_due().await;
    let groups: Vec<_> = rig
        .store
        .coffee_groups_since(community, round_at)
        .await
        .unwrap()
        .into_iter()
        .filter(|g| g.round_at == round_at)
        .collect();
    assert_eq!(groups.len(), 1, "{groups:?}");
    let mut grouped = groups[0].members.clone();
    grouped.sort();
    assert_eq!(grouped, vec![ben_id, cho_id]);

    // Halfway to the next round: "Did you meet?" in their DMs.
    rig.clock.advance(TimeDelta::days(7));
    rig.deliver_due().await;
    let suffix = |yes: bool| format!(".{}@{community}", if yes { 'y' } else { 'n' });
    let ben_met = rig.button_in_dm(BEN, "Did you meet", "v1.cm.", &suffix(true));
    let cho_not = rig.button_in_dm(CHO, "Did you meet", "v1.cm.", &suffix(false));
    assert!(
        !rig.dms_to(AIKO)
            .iter()
            .any(|c| all_text(&c.body).contains("Did you meet")),
        "aiko sat the round out"
    );

    let id = rig.press_in_dm(&ben(), "en-US", &ben_met);
    let answer = rig.answered_in_time(&id).await;
    assert!(
        all_text(&answer["data"]).contains("thanks for letting us know"),
        "{answer:#}"
    );
    let id = rig.press_in_dm(&cho(), "en-US", &cho_not);
    let answer = rig.answered_in_time(&id).await;
    assert!(
        all_text(&answer["data"]).contains("Maybe next round"),
        "{answer:#}"
    );
    // aiko was in no group: ben's button does not take her answer.
    let id = rig.press_in_dm(&aiko(), "en-US", &ben_met);
    assert_refused(&rig.answered_in_time(&id).await, "no longer valid");

    let mut answers = rig.store.round_answers(community, round_at).await.unwrap();
    answers.sort();
    assert_eq!(answers, vec![(ben_id, Some(true)), (cho_id, Some(false))]);
    rig.finish().await;
}

#[tokio::test]
async fn forged_or_foreign_presses_in_a_dm_are_refused_and_change_nothing() {
    let rig = Rig::start("dm_refusals").await;
    join(&rig, &aiko(), "Aiko Tanaka").await;
    rig.deliver_due().await;
    let community = rig.community().await.id;
    let suffix = format!("@{community}");
    let approve = rig.button_in_dm(ADMIN, "Aiko Tanaka", "v1.ap.", &suffix);
    let decline = rig.button_in_dm(ADMIN, "Aiko Tanaka", "v1.rj.", &suffix);

    // ben, who is no admin (nor a member), presses Approve from his DM.
    let id = rig.press_in_dm(&ben(), "en-US", &approve);
    assert_refused(&rig.answered_in_time(&id).await, "Only admins");
    // The admin presses an id naming a community no guild of this bot is.
    let forged = approve.replace(&suffix, "@999");
    let id = rig.press_in_dm(&admin(), "en-US", &forged);
    assert_refused(&rig.answered_in_time(&id).await, "no longer valid");
    // An id from before ids named their community: no guild to act in from a DM.
    let bare = approve.trim_end_matches(&suffix).to_owned();
    let id = rig.press_in_dm(&admin(), "en-US", &bare);
    assert_refused(&rig.answered_in_time(&id).await, "no longer valid");
    // The Decline form for an unknown community, or with its community cut off.
    for form in ["c999|/alumni reject @aiko", "/alumni reject @aiko"] {
        let id = rig.submit_in_dm(&admin(), "en-US", form, &[("reason", "forged")]);
        assert_refused(&rig.answered_in_time(&id).await, "no longer valid");
    }
    // ben's genuine-looking Decline: refused too, no form.
    let id = rig.press_in_dm(&ben(), "en-US", &decline);
    assert_refused(&rig.answered_in_time(&id).await, "Only admins");

    assert_eq!(
        rig.member(AIKO).await.unwrap().status,
        MemberStatus::Pending,
        "aiko still waits for approval"
    );
    rig.deliver_due().await;
    assert!(
        rig.dms_to(AIKO).is_empty(),
        "aiko was told nothing: {:#?}",
        rig.dms_to(AIKO)
    );
    assert!(
        rig.member(BEN).await.is_none(),
        "pressing made ben no member"
    );
    rig.finish().await;
}

#[tokio::test]
async fn someone_in_two_servers_acts_in_the_community_the_button_names() {
    let rig = Rig::start("dm_two_guilds").await;
    let first = rig.community().await.id;
    let second = rig.add_guild(second_guild_payload()).await;
    assert_ne!(first, second);
    let space2 = GUILD2.to_string();

    // aiko asks to join both servers' communities; the bootstrap admin, in both, gets both
    // notices in the one DM channel.
    join(&rig, &aiko(), "Aiko Tanaka").await;
    // (Through the join form: /alumni join has a per-user cooldown across servers.)
    let id = rig.submit_in(
        GUILD2,
        GENERAL2,
        &aiko(),
        "/alumni join",
        &[("name", "田中 愛子")],
    );
    let (asked, _) = rig.answer(&id).await;
    assert!(all_text(&asked).contains("田中 愛子"), "{asked:#}");
    rig.deliver_due().await;
    let approve1 = rig.button_in_dm(ADMIN, "Aiko Tanaka", "v1.ap.", &format!("@{first}"));
    let approve2 = rig.button_in_dm(ADMIN, "田中 愛子", "v1.ap.", &format!("@{second}"));
    let status = |space: String| {
        let rig = &rig;
        async move { rig.member_in(&space, AIKO).await.unwrap().status }
    };

    // The second server's owner presses the first one's button: he is nobody there.
    let owner2 = member(OWNER2, "owner2", "0", false);
    let id = rig.press_in_dm(&owner2, "en-US", &approve1);
    assert_refused(&rig.answered_in_time(&id).await, "Only admins");
    // The first community's member named in the second community: refused as forged.
    let crossed = approve1.replace(&format!("@{first}"), &format!("@{second}"));
    let id = rig.press_in_dm(&admin(), "en-US", &crossed);
    assert_refused(&rig.answered_in_time(&id).await, "no member");
    assert_eq!(status(GUILD.to_string()).await, MemberStatus::Pending);
    assert_eq!(status(space2.clone()).await, MemberStatus::Pending);

    // The admin approves her in the second server only.
    let id = rig.press_in_dm(&admin(), "en-US", &approve2);
    let answer = rig.answered_in_time(&id).await;
    assert!(
        all_text(&answer["data"]).contains("田中 愛子 is now a member"),
        "{answer:#}"
    );
    assert_eq!(status(space2.clone()).await, MemberStatus::Approved);
    assert_eq!(status(GUILD.to_string()).await, MemberStatus::Pending);
    rig.fake
        .wait_for(
            "PUT",
            &format!("/guilds/{GUILD2}/members/{AIKO}/roles/{MEMBER_ROLE}"),
            1,
        )
        .await;
    assert!(
        rig.fake
            .calls_to("PUT", &format!("/guilds/{GUILD}/members/{AIKO}/roles/"))
            .is_empty(),
        "no role in the first server"
    );
    rig.deliver_due().await;
    let approved = rig
        .dms_to(AIKO)
        .iter()
        .filter(|c| all_text(&c.body).contains("was approved"))
        .count();
    assert_eq!(approved, 1);

    // And in the first, with its own button.
    let id = rig.press_in_dm(&admin(), "en-US", &approve1);
    rig.answered_in_time(&id).await;
    assert_eq!(status(GUILD.to_string()).await, MemberStatus::Approved);
    rig.fake
        .wait_for(
            "PUT",
            &format!("/guilds/{GUILD}/members/{AIKO}/roles/{MEMBER_ROLE}"),
            1,
        )
        .await;
    let linked = rig
        .store
        .member_by_identity(second, Platform::Discord, &AIKO.to_string())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked.profile.name, "田中 愛子");
    rig.finish().await;
}
