//! Discord against the command spec, end to end: the real serenity/poise client on the fake
//! Discord (REST + gateway), the real core on SQLite (and PostgreSQL where storage matters).
//!
//! Every command and key of `bot_core::command::spec` must be registered with its Japanese
//! name and the right option type, and every subcommand must be answered when invoked; then
//! what members and admins do through Discord: jobs, admin tools, cooldowns, private answers,
//! the context menus and refused input. Interactions are shaped as Discord sends them: a user
//! option with `resolved.users` / `resolved.members`, a channel with `resolved.channels`, a
//! role with `resolved.roles`, a file with `resolved.attachments`.

#![recursion_limit = "256"]

mod support;

use bot_core::command::spec::{self, Kind};
use bot_core::i18n::{self, Locale};
use chrono::TimeDelta;
use serde_json::{Value, json};
use support::fake_discord::{self, GENERAL, GUILD, OWNER, dm_channel};
use support::*;

/// Discord's interaction callback types.
const MESSAGE: u64 = 4;
const DEFERRED: u64 = 5;
const MODAL: u64 = 9;
const EPHEMERAL: u64 = 1 << 6;

/// Discord's application command option types.
const SUB_COMMAND: u64 = 1;
const STRING: u64 = 3;
const INTEGER: u64 = 4;
const USER: u64 = 6;
const CHANNEL: u64 = 7;
const ROLE: u64 = 8;
const ATTACHMENT: u64 = 11;

/// A server role a `Role` option can name.
const ALUMNI_ROLE: u64 = 650_000_000_000_000_042;

/// The option type a key must be registered with.
fn option_type(kind: Kind) -> u64 {
    match kind {
        Kind::Member => USER,
        Kind::Channel => CHANNEL,
        Kind::Role => ROLE,
        Kind::File => ATTACHMENT,
        // A choice is offered as a list whose value is its index.
        Kind::Int { .. } | Kind::Year | Kind::Choice(_) => INTEGER,
        Kind::Text { .. }
        | Kind::YearRange
        | Kind::Date
        | Kind::Time
        | Kind::Duration
        | Kind::List
        | Kind::Choices(_)
        | Kind::Words => STRING,
    }
}

/// The name of each user the tests use, for `resolved.users`.
fn username(id: u64) -> &'static str {
    match id {
        ADMIN => "hr",
        AIKO => "aiko",
        BEN => "ben",
        OWNER => "owner",
        _ => "someone",
    }
}

/// A slash command with `data.resolved` filled for its user, channel and role options, and
/// for `files` (attachment objects from `FakeDiscord::attach`).
fn slash_payload(
    id: u64,
    who: &Value,
    locale: &str,
    command: &str,
    sub: &str,
    options: Value,
) -> Value {
    slash_payload_with_files(id, who, locale, command, sub, options, &[])
}

fn slash_payload_with_files(
    id: u64,
    who: &Value,
    locale: &str,
    command: &str,
    sub: &str,
    options: Value,
    files: &[Value],
) -> Value {
    // The fake fills users, channels and roles as Discord does; users get their test names.
    let mut resolved = fake_discord::resolve_options(&options);
    for o in options.as_array().into_iter().flatten() {
        if o["type"].as_u64() == Some(USER)
            && let Some(id) = o["value"].as_str().and_then(|v| v.parse().ok())
        {
            fake_discord::resolve_user(&mut resolved, id, username(id));
        }
    }
    for f in files {
        resolved["attachments"][f["id"].as_str().unwrap()] = f.clone();
    }
    let mut payload = fake_discord::slash(id, who, locale, command, sub, options);
    if resolved.as_object().is_some_and(|r| !r.is_empty()) {
        payload["data"]["resolved"] = resolved;
    }
    payload
}

/// Push `/command sub options…`; returns the interaction id.
fn slash(rig: &Rig, who: &Value, locale: &str, command: &str, sub: &str, options: Value) -> String {
    let id = rig.fake.next_id();
    rig.fake.dispatch(
        "INTERACTION_CREATE",
        slash_payload(id, who, locale, command, sub, options),
    );
    id.to_string()
}

/// A user context-menu command (`type` 2 with `data.type` 2) on `target`, as Discord sends
/// it: `target_id` and the target in `resolved.users` / `resolved.members`.
fn user_menu(rig: &Rig, who: &Value, locale: &str, name: &str, target: u64) -> String {
    let id = rig.fake.next_id();
    let mut payload = fake_discord::slash(id, who, locale, "x", "x", json!([]));
    let mut resolved = json!({});
    fake_discord::resolve_user(&mut resolved, target, username(target));
    payload["data"] = json!({
        "id": "500000000000000002",
        "name": name,
        "type": 2,
        "guild_id": GUILD.to_string(),
        "target_id": target.to_string(),
        "resolved": resolved,
    });
    rig.fake.dispatch("INTERACTION_CREATE", payload);
    id.to_string()
}

/// A member option (with its resolved user and member).
fn member_option(name: &str, user: u64) -> Value {
    json!({ "name": name, "type": USER, "value": user.to_string() })
}

fn text_option(name: &str, value: &str) -> Value {
    json!({ "name": name, "type": STRING, "value": value })
}

/// A message body as JSON: an upload is multipart, its JSON in the `payload_json` part.
fn payload(body: &Value) -> Value {
    let Some(raw) = body.as_str() else {
        return body.clone();
    };
    raw.split("\r\n--")
        .find(|part| part.contains("name=\"payload_json\""))
        .and_then(|part| part.split_once("\r\n\r\n"))
        .and_then(|(_, json)| serde_json::from_str(json.trim_end()).ok())
        .unwrap_or_else(|| panic!("no payload_json in {raw}"))
}

/// The file names attached to a message body.
fn attachment_names(body: &Value) -> Vec<String> {
    payload(body)["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["filename"].as_str().map(str::to_owned))
        .collect()
}

/// The first response Discord got for interaction `id` (waits for it).
async fn first_response(rig: &Rig, id: &str) -> Value {
    rig.callback(id).await
}

/// `who` joins from a Discord client in English (with `options` besides the name) and the
/// guild owner approves them.
async fn join_approved(rig: &Rig, who: &Value, name: &str, options: Vec<Value>) {
    join_approved_in(rig, who, "en-US", name, options).await;
}

/// `who` joins from a client in `locale` (which becomes their language) and is approved.
async fn join_approved_in(
    rig: &Rig,
    who: &Value,
    locale: &str,
    name: &str,
    mut options: Vec<Value>,
) {
    let user: u64 = who["user"]["id"].as_str().unwrap().parse().unwrap();
    options.insert(0, text_option("name", name));
    let id = slash(rig, who, locale, "alumni", "join", Value::Array(options));
    rig.answer(&id).await;
    let id = slash(
        rig,
        &owner(),
        "en-US",
        "alumni",
        "approve",
        json!([member_option("member", user)]),
    );
    rig.answer(&id).await;
    assert!(
        rig.member(user).await.is_some_and(|m| m.is_approved()),
        "{name} approved"
    );
}

/// Messages the bot posted in its DM with `user` whose text contains `text`.
fn dms_containing(rig: &Rig, user: u64, text: &str) -> Vec<Value> {
    rig.fake
        .calls_to("POST", &format!("/channels/{}/messages", dm_channel(user)))
        .into_iter()
        .map(|c| c.body)
        .filter(|b| all_text(b).contains(text))
        .collect()
}

/// Runs the scheduler (moving the clock a second at a time, as paced fan-outs need) until
/// `user` got a DM containing `text`.
async fn deliver_until_dm(rig: &Rig, user: u64, text: &str) {
    for _ in 0..30 {
        rig.deliver_due().await;
        if !dms_containing(rig, user, text).is_empty() {
            return;
        }
        rig.clock.advance(TimeDelta::seconds(1));
    }
    panic!("no DM to {user} containing {text:?}");
}

// ---------------------------------------------------------------------------------------------
// 1. Parity with the spec.

/// The registration the bot PUT in the guild holds every command, subcommand and key of the
/// spec: Japanese names and descriptions from the catalogs, each key an option of the type its
/// kind needs, required ones first. A spec entry Discord does not offer fails here.
#[tokio::test]
async fn the_registration_holds_every_command_subcommand_and_key_of_the_spec() {
    let rig = Rig::start("dcp_register").await;
    let put = rig
        .fake
        .wait_for("PUT", &format!("/guilds/{GUILD}/commands"), 1)
        .await;
    let registered = put[0].body.as_array().unwrap().clone();
    let ja = |v: &Value, field: &str| v[field]["ja"].as_str().map(str::to_owned);
    for c in spec::COMMANDS {
        let top = registered
            .iter()
            .find(|r| r["name"] == c.name && r["type"].as_u64().unwrap_or(1) == 1)
            .unwrap_or_else(|| panic!("/{} is not registered", c.name));
        assert_eq!(
            ja(top, "name_localizations"),
            Some(c.localized_name(Locale::Ja))
        );
        assert_eq!(
            ja(top, "description_localizations"),
            Some(c.description(Locale::Ja)),
            "/{}",
            c.name
        );
        let subs = top["options"].as_array().unwrap();
        assert_eq!(subs.len(), c.subs.len(), "/{}: subcommands", c.name);
        for s in c.subs {
            let at = format!("/{} {}", c.name, s.name);
            let sub = subs
                .iter()
                .find(|o| o["name"] == s.name)
                .unwrap_or_else(|| panic!("{at} is not registered"));
            assert_eq!(sub["type"], SUB_COMMAND, "{at}");
            assert_eq!(
                ja(sub, "name_localizations"),
                Some(s.localized_name(c, Locale::Ja)),
                "{at}"
            );
            assert_eq!(
                ja(sub, "description_localizations"),
                Some(s.description(c, Locale::Ja)),
                "{at}"
            );
            assert_eq!(sub["description"], s.description(c, Locale::En), "{at}");
            let options: Vec<Value> = sub["options"].as_array().cloned().unwrap_or_default();
            let names: Vec<&str> = options
                .iter()
                .map(|o| o["name"].as_str().unwrap())
                .collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            let mut keys: Vec<&str> = s.keys.iter().map(|k| k.name).collect();
            keys.sort_unstable();
            assert_eq!(sorted, keys, "{at}: one option per key");
            for k in s.keys {
                let o = options.iter().find(|o| o["name"] == k.name).unwrap();
                assert_eq!(o["type"], option_type(k.kind), "{at} {}: {o:#}", k.name);
                assert_eq!(
                    ja(o, "description_localizations"),
                    Some(k.description(Locale::Ja)),
                    "{at} {}",
                    k.name
                );
                // A form-opening subcommand with no options opens its form instead.
                let required = k.required && !s.form;
                assert_eq!(
                    o["required"].as_bool().unwrap_or(false),
                    required,
                    "{at} {}",
                    k.name
                );
                if let Kind::Choice(words) = k.kind {
                    let choices: Vec<&str> = o["choices"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|ch| ch["name"].as_str().unwrap())
                        .collect();
                    assert_eq!(choices, words, "{at} {}", k.name);
                }
            }
            // Discord refuses the whole registration over a required option after an
            // optional one.
            let required: Vec<bool> = options
                .iter()
                .map(|o| o["required"].as_bool().unwrap_or(false))
                .collect();
            assert!(
                required.windows(2).all(|w| w[0] || !w[1]),
                "{at}: required options first: {names:?} {required:?}"
            );
        }
    }
    for (name, key) in [
        ("Alumni profile", "menu.profile"),
        ("Introduce me", "menu.introduce"),
    ] {
        let menu = registered
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not registered"));
        assert_eq!(menu["type"], 2, "a user context menu");
        assert_eq!(
            ja(menu, "name_localizations"),
            Some(i18n::t(Locale::Ja, key, &[]))
        );
    }
    assert_eq!(registered.len(), spec::COMMANDS.len() + 2, "nothing else");
    rig.finish().await;
}

/// A value the option of `kind` can hold, as Discord sends it.
fn sample_option(rig: &Rig, key: &spec::Key, files: &mut Vec<Value>) -> Value {
    let value = match key.kind {
        Kind::Text { .. } | Kind::Words => json!("x"),
        Kind::Int { min, .. } => json!(min.max(1)),
        Kind::Year => json!(2015),
        Kind::Choice(_) => json!(0),
        Kind::YearRange => json!("2015-2020"),
        Kind::Date => json!("2030-01-31"),
        Kind::Time => json!("2030-01-31 19:00"),
        Kind::Duration => json!("2h"),
        Kind::List => json!("a,b"),
        Kind::Choices(words) => json!(words[0]),
        Kind::Member => json!(BEN.to_string()),
        Kind::Channel => json!(GENERAL.to_string()),
        Kind::Role => json!(ALUMNI_ROLE.to_string()),
        Kind::File => {
            let file = rig.fake.attach("roster.csv", "text/csv", b"name\nCho\n");
            let id = file["id"].clone();
            files.push(file);
            id
        }
    };
    json!({ "name": key.name, "type": option_type(key.kind), "value": value })
}

/// Every subcommand of the spec, invoked with its required options, is answered (poise only
/// logs an interaction it has no command for, and Discord then shows "The application did
/// not respond"), by that subcommand (never "unknown subcommand/option"), deferred privately
/// exactly when the spec says its answer is private.
#[tokio::test]
async fn every_subcommand_of_the_spec_is_answered_through_the_gateway() {
    let rig = Rig::start("dcp_every_sub").await;
    join_approved(&rig, &ben(), "Ben Brown", Vec::new()).await;
    let unknown = [
        i18n::t(Locale::En, "error.unknown_subcommand", &[]),
        i18n::t(Locale::En, "error.unknown_key", &[]),
        i18n::t(Locale::En, "error.unknown_command", &[]),
    ];
    // The longest fixed words of each of those messages (outside placeholders and quotes).
    let markers: Vec<String> = unknown
        .iter()
        .map(|m| {
            let fixed = m.split(['{', '}', '"']).max_by_key(|p| p.len()).unwrap();
            fixed.trim().to_owned()
        })
        .collect();
    assert!(markers.iter().all(|m| m.len() > 8), "{markers:?}");
    for c in spec::COMMANDS {
        for s in c.subs {
            let at = format!("/{} {}", c.name, s.name);
            let mut files = Vec::new();
            let options: Vec<Value> = s
                .keys
                .iter()
                .filter(|k| k.required)
                .map(|k| sample_option(&rig, k, &mut files))
                .collect();
            let bare = options.is_empty();
            let id = rig.fake.next_id();
            rig.fake.dispatch(
                "INTERACTION_CREATE",
                slash_payload_with_files(
                    id,
                    &admin(),
                    "en-US",
                    c.name,
                    s.name,
                    Value::Array(options),
                    &files,
                ),
            );
            let id = id.to_string();
            let first = first_response(&rig, &id).await;
            let text = match first["type"].as_u64() {
                Some(DEFERRED) => {
                    let flags = first["data"]["flags"].as_u64().unwrap_or(0);
                    assert_eq!(
                        flags & EPHEMERAL != 0,
                        s.private,
                        "{at}: deferred {} but the spec says private: {}",
                        if flags & EPHEMERAL != 0 {
                            "privately"
                        } else {
                            "publicly"
                        },
                        s.private
                    );
                    all_text(&payload(&rig.answer(&id).await.0))
                }
                Some(MODAL) | Some(MESSAGE) => {
                    assert!(s.form && bare, "{at}: answered without a defer: {first:#}");
                    all_text(&first["data"]) + first["data"]["title"].as_str().unwrap_or("")
                }
                _ => panic!("{at}: {first:#}"),
            };
            for m in &markers {
                assert!(!text.contains(m.as_str()), "{at}: {text}");
            }
        }
    }
    rig.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 2. HR posts a job; a member lists it.

#[tokio::test]
async fn hr_posts_a_job_and_a_member_lists_it() {
    job_post_and_list(Rig::start("dcp_job").await).await;
}

#[tokio::test]
async fn hr_posts_a_job_and_a_member_lists_it_on_postgres() {
    if let Some(rig) = Rig::postgres("dcp_job_pg").await {
        job_post_and_list(rig).await;
    }
}

async fn job_post_and_list(rig: Rig) {
    join_approved_in(&rig, &aiko(), "ja", "Aiko Tanaka", Vec::new()).await;
    let contract = spec::JOB_TYPES
        .iter()
        .position(|t| *t == "contract")
        .unwrap();
    let id = slash(
        &rig,
        &admin(),
        "en-US",
        "job",
        "post",
        json!([
            text_option("title", "Payments engineer (Rust)"),
            { "name": "type", "type": INTEGER, "value": contract },
            text_option("details", "Six months, remote, from April"),
        ]),
    );
    let (posted, _) = rig.answer(&id).await;
    assert!(
        all_text(&posted).contains("Payments engineer (Rust)"),
        "{posted:#}"
    );
    let community = rig.community().await.id;
    let open = rig
        .store
        .open_opportunities(community, chrono::Utc::now(), 10)
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0].kind.as_str(), open[0].details.as_deref()),
        ("contract", Some("Six months, remote, from April"))
    );

    let id = slash(&rig, &aiko(), "ja", "job", "list", json!([]));
    let (listed, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral, "the list is only for the asker: {listed:#}");
    let text = all_text(&listed);
    assert!(text.contains("Payments engineer (Rust)"), "{text}");
    assert!(
        text.contains(&i18n::t(Locale::Ja, "job.kind.contract", &[])),
        "in aiko's language: {text}"
    );
    rig.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 3. Admin tools through Discord.

#[tokio::test]
async fn admin_stats_export_segments_and_a_confirmed_broadcast_work_through_discord() {
    admin_tools(Rig::start("dcp_admin").await).await;
}

#[tokio::test]
async fn admin_stats_export_segments_and_broadcast_work_on_postgres() {
    if let Some(rig) = Rig::postgres("dcp_admin_pg").await {
        admin_tools(rig).await;
    }
}

async fn admin_tools(rig: Rig) {
    join_approved(
        &rig,
        &aiko(),
        "Aiko Tanaka",
        vec![text_option("skills", "Rust, Go")],
    )
    .await;
    join_approved(
        &rig,
        &ben(),
        "Ben Brown",
        vec![text_option("skills", "Excel")],
    )
    .await;

    // Stats: the figures, privately.
    let id = slash(&rig, &admin(), "en-US", "admin", "stats", json!([]));
    assert_eq!(rig.callback(&id).await["data"]["flags"], EPHEMERAL);
    let (stats, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral);
    let text = all_text(&payload(&stats));
    assert!(
        text.contains(&i18n::t(Locale::En, "stats.status", &[])),
        "{text}"
    );

    // Export: a CSV file holding the members, only for the admin.
    let id = slash(&rig, &admin(), "en-US", "admin", "export", json!([]));
    let (export, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral);
    assert_eq!(attachment_names(&export), ["members.csv"], "{export:#}");
    let raw = export.as_str().unwrap();
    assert!(
        raw.contains("Aiko Tanaka") && raw.contains("Ben Brown"),
        "the file holds the members: {raw}"
    );

    // A segment of the Rust people, saved and listed.
    let id = slash(
        &rig,
        &admin(),
        "en-US",
        "admin",
        "segment-save",
        json!([
            text_option("segment", "rustaceans"),
            text_option("skills", "Rust")
        ]),
    );
    let (saved, _) = rig.answer(&id).await;
    assert!(all_text(&saved).contains("rustaceans"), "{saved:#}");
    let id = slash(&rig, &admin(), "en-US", "admin", "segment-list", json!([]));
    let (list, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral);
    assert!(all_text(&list).contains("rustaceans"), "{list:#}");

    // A broadcast: a preview with a Send button; nothing goes out before it is pressed.
    let id = slash(
        &rig,
        &admin(),
        "en-US",
        "admin",
        "broadcast",
        json!([
            text_option("segment", "rustaceans"),
            text_option("message", "Rust meetup reunion on Friday"),
        ]),
    );
    let (preview, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral, "{preview:#}");
    let text = all_text(&preview);
    assert!(text.contains("Rust meetup reunion on Friday"), "{text}");
    let send = buttons(&preview)
        .into_iter()
        .find(|b| b.starts_with("v1.bc."))
        .unwrap_or_else(|| panic!("a Send button: {preview:#}"));
    rig.deliver_due().await;
    assert!(dms_containing(&rig, AIKO, "Rust meetup reunion").is_empty());

    let id = rig.press(&admin(), "en-US", &send);
    let pressed = rig.callback(&id).await;
    assert_eq!(pressed["data"]["flags"], EPHEMERAL, "{pressed:#}");
    assert!(
        all_text(&pressed["data"]).contains("rustaceans"),
        "{pressed:#}"
    );
    deliver_until_dm(&rig, AIKO, "Rust meetup reunion on Friday").await;
    assert_eq!(dms_containing(&rig, AIKO, "Rust meetup reunion").len(), 1);
    assert!(
        dms_containing(&rig, BEN, "Rust meetup reunion").is_empty(),
        "ben is not in the segment"
    );
    rig.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 4. Cooldowns.

#[tokio::test]
async fn a_double_submitted_intro_request_acts_once_and_the_other_gets_the_cooldown_in_japanese() {
    double_submit(Rig::start("dcp_double").await).await;
}

#[tokio::test]
async fn a_double_submitted_intro_request_acts_once_on_postgres() {
    if let Some(rig) = Rig::postgres("dcp_double_pg").await {
        double_submit(rig).await;
    }
}

#[tokio::test]
async fn an_intro_request_again_within_its_cooldown_is_answered_in_japanese_and_does_nothing() {
    asked_again(Rig::start("dcp_again").await).await;
}

#[tokio::test]
async fn an_intro_request_again_within_its_cooldown_does_nothing_on_postgres() {
    if let Some(rig) = Rig::postgres("dcp_again_pg").await {
        asked_again(rig).await;
    }
}

const WHY: &str = "決済システムの話をしたい";

/// aiko (whose Discord is in Japanese) and ben, approved, with the join notices sent.
async fn aiko_and_ben(rig: &Rig) {
    join_approved_in(rig, &aiko(), "ja", "Aiko Tanaka", Vec::new()).await;
    join_approved(rig, &ben(), "Ben Brown", Vec::new()).await;
    rig.deliver_due().await;
}

/// aiko asks to be introduced to ben; returns the interaction id.
fn request_intro(rig: &Rig) -> String {
    slash(
        rig,
        &aiko(),
        "ja",
        "intro",
        "request",
        json!([member_option("member", BEN), text_option("why", WHY)]),
    )
}

/// The callback must be the Japanese "try again in N seconds", only for the asker, with N
/// within `max`.
fn assert_told_to_wait(callback: &Value, max: u64) {
    assert_eq!(callback["type"], MESSAGE, "{callback:#}");
    assert_eq!(callback["data"]["flags"], EPHEMERAL, "{callback:#}");
    let told = callback["data"]["content"].as_str().unwrap_or_default();
    let template = i18n::t(Locale::Ja, "discord.cooldown", &[("seconds", "\u{0}")]);
    let (before, after) = template.split_once('\u{0}').unwrap();
    let seconds = told
        .strip_prefix(before)
        .and_then(|rest| rest.strip_suffix(after))
        .unwrap_or_else(|| panic!("the Japanese cooldown message: {callback:#}"));
    let seconds: u64 = seconds.trim().parse().unwrap();
    assert!((1..=max).contains(&seconds), "{told}");
}

/// One intro asked by aiko, and ben got exactly one DM about it.
async fn one_intro_and_one_dm(rig: &Rig) {
    let community = rig.community().await.id;
    let aiko_member = rig.member(AIKO).await.unwrap();
    let intros = rig
        .store
        .intros_of(community, aiko_member.id, 10)
        .await
        .unwrap();
    assert_eq!(intros.len(), 1, "{intros:#?}");
    deliver_until_dm(rig, BEN, WHY).await;
    rig.deliver_due().await;
    assert_eq!(dms_containing(rig, BEN, WHY).len(), 1);
}

async fn double_submit(rig: Rig) {
    aiko_and_ben(&rig).await;
    // Both reach the bot before either is done.
    let first = request_intro(&rig);
    let second = request_intro(&rig);
    let (a, b) = (rig.callback(&first).await, rig.callback(&second).await);
    let (acted, waited) = match (a["type"].as_u64(), b["type"].as_u64()) {
        (Some(DEFERRED), Some(MESSAGE)) => (first, b),
        (Some(MESSAGE), Some(DEFERRED)) => (second, a),
        _ => panic!("one acts, one is told to wait: {a:#} {b:#}"),
    };
    assert_told_to_wait(&waited, 30);
    let (sent, ephemeral) = rig.answer(&acted).await;
    assert!(
        ephemeral && all_text(&sent).contains("Ben Brown"),
        "{sent:#}"
    );
    one_intro_and_one_dm(&rig).await;
    rig.finish().await;
}

async fn asked_again(rig: Rig) {
    aiko_and_ben(&rig).await;
    // A request refused (to herself) does not start the cooldown: the right one goes through.
    let refused = slash(
        &rig,
        &aiko(),
        "ja",
        "intro",
        "request",
        json!([member_option("member", AIKO), text_option("why", WHY)]),
    );
    let (error, _) = rig.answer(&refused).await;
    assert_eq!(error["embeds"][0]["color"], 0xd9_3f_3f, "{error:#}");
    let first = request_intro(&rig);
    let (sent, _) = rig.answer(&first).await;
    assert!(all_text(&sent).contains("Ben Brown"), "{sent:#}");
    // Asked again at once: answered (not left to Discord's "did not respond"), in Japanese.
    let again = request_intro(&rig);
    assert_told_to_wait(&rig.callback(&again).await, 30);
    one_intro_and_one_dm(&rig).await;
    rig.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 5. Private commands stay private.

#[tokio::test]
async fn private_commands_are_deferred_ephemerally_and_never_shown_in_the_channel() {
    let rig = Rig::start("dcp_private").await;
    join_approved(&rig, &aiko(), "Aiko Tanaka", Vec::new()).await;
    join_approved(&rig, &ben(), "Ben Brown", Vec::new()).await;
    let channel_posts = || {
        rig.fake
            .calls_to("POST", &format!("/channels/{GENERAL}/messages"))
            .len()
    };
    let posts_before = channel_posts();

    let id = slash(&rig, &aiko(), "en-US", "alumni", "mydata", json!([]));
    let first = rig.callback(&id).await;
    assert_eq!(first["type"], DEFERRED, "{first:#}");
    assert_eq!(
        first["data"]["flags"], EPHEMERAL,
        "the channel never sees a public \"thinking…\": {first:#}"
    );
    let (mydata, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral);
    let everything = format!("{}{}", all_text(&payload(&mydata)), mydata);
    assert!(everything.contains("Aiko Tanaka"), "{mydata:#}");

    let id = slash(
        &rig,
        &aiko(),
        "en-US",
        "alumni",
        "block",
        json!([member_option("member", BEN)]),
    );
    let first = rig.callback(&id).await;
    assert_eq!(
        (first["type"].as_u64(), first["data"]["flags"].as_u64()),
        (Some(DEFERRED), Some(EPHEMERAL)),
        "{first:#}"
    );
    let (blocked, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral, "{blocked:#}");
    let community = rig.community().await.id;
    let (aiko_id, ben_id) = (
        rig.member(AIKO).await.unwrap().id,
        rig.member(BEN).await.unwrap().id,
    );
    assert!(
        rig.store.blocked_between(aiko_id, ben_id).await.unwrap(),
        "the block was recorded"
    );
    assert!(
        rig.store
            .blocks(community)
            .await
            .unwrap()
            .contains(&(aiko_id, ben_id))
    );
    assert_eq!(
        channel_posts(),
        posts_before,
        "nothing posted in the channel"
    );
    rig.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 6. Context menus.

#[tokio::test]
async fn the_profile_menu_answers_privately_and_introduce_me_asks_why_then_requests() {
    let rig = Rig::start("dcp_menus").await;
    join_approved(
        &rig,
        &aiko(),
        "Aiko Tanaka",
        vec![text_option("company", "Globex")],
    )
    .await;
    join_approved(
        &rig,
        &ben(),
        "Ben Brown",
        vec![text_option("company", "Initech")],
    )
    .await;
    rig.deliver_due().await;

    // Right-click ben → "Alumni profile": his profile, only for aiko.
    let id = user_menu(&rig, &aiko(), "en-US", "Alumni profile", BEN);
    let first = rig.callback(&id).await;
    assert_eq!(
        (first["type"].as_u64(), first["data"]["flags"].as_u64()),
        (Some(DEFERRED), Some(EPHEMERAL)),
        "{first:#}"
    );
    let (profile, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral);
    let text = all_text(&profile);
    assert!(
        text.contains("Ben Brown") && text.contains("Initech"),
        "{text}"
    );

    // Right-click ben → "Introduce me": a form asking why, in aiko's language.
    let id = user_menu(&rig, &aiko(), "ja", "Introduce me", BEN);
    let modal = rig.callback(&id).await;
    assert_eq!(modal["type"], MODAL, "{modal:#}");
    assert_eq!(
        modal["data"]["title"],
        i18n::t(Locale::Ja, "menu.introduce", &[])
    );
    let form = modal["data"]["custom_id"].as_str().unwrap().to_owned();
    let input = modal["data"]["components"][0]["components"][0].clone();
    assert_eq!(input["custom_id"], "why", "{modal:#}");
    assert_eq!(input["required"], true, "{modal:#}");

    // Submitted: the request is made and ben gets the intro DM with the reason.
    let why = "Both of us build payment systems";
    let id = rig.submit(&aiko(), "ja", &form, &[("why", why)]);
    let (sent, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral, "{sent:#}");
    assert!(all_text(&sent).contains("Ben Brown"), "{sent:#}");
    deliver_until_dm(&rig, BEN, why).await;
    let dm = &dms_containing(&rig, BEN, why)[0];
    assert!(all_text(dm).contains("Aiko Tanaka"), "{dm:#}");
    assert!(
        buttons(dm).iter().any(|b| b.starts_with("v1.in.")),
        "ben can accept or decline: {dm:#}"
    );
    rig.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 7. Bad input.

#[tokio::test]
async fn bad_input_gets_a_japanese_error_naming_the_key_and_changes_nothing() {
    bad_input(Rig::start("dcp_bad").await).await;
}

#[tokio::test]
async fn bad_input_changes_nothing_on_postgres() {
    if let Some(rig) = Rig::postgres("dcp_bad_pg").await {
        bad_input(rig).await;
    }
}

/// Sends `/command sub options…` as `who` in Japanese; the answer must be an error only they
/// see, naming `key` as the catalog's `message` does.
async fn refused_in_japanese(
    rig: &Rig,
    who: &Value,
    command: &str,
    sub: &str,
    options: Value,
    expected: &str,
) {
    let at = format!("/{command} {sub}");
    let id = slash(rig, who, "ja", command, sub, options);
    let (answer, ephemeral) = rig.answer(&id).await;
    assert!(ephemeral, "{at}: only the asker sees it: {answer:#}");
    assert_eq!(
        answer["embeds"][0]["color"], 0xd9_3f_3f,
        "{at}: shown as an error: {answer:#}"
    );
    let text = all_text(&answer);
    assert!(text.contains(expected), "{at}: {expected:?} in {text}");
}

async fn bad_input(rig: Rig) {
    let community = rig.community().await;

    // A job title over the limit (a client that skips Discord's max_length check).
    let long_title = "あ".repeat(121);
    let contract = spec::JOB_TYPES
        .iter()
        .position(|t| *t == "contract")
        .unwrap();
    refused_in_japanese(
        &rig,
        &admin(),
        "job",
        "post",
        json!([
            text_option("title", &long_title),
            { "name": "type", "type": INTEGER, "value": contract },
        ]),
        &i18n::t(
            Locale::Ja,
            "error.too_long",
            &[("key", "title"), ("max", "120"), ("len", "121")],
        ),
    )
    .await;
    assert!(
        rig.store
            .open_opportunities(community.id, chrono::Utc::now(), 10)
            .await
            .unwrap()
            .is_empty(),
        "no opportunity was written"
    );

    // A community name over the limit, with a valid change beside it: neither is applied.
    let long_name = "x".repeat(81);
    refused_in_japanese(
        &rig,
        &owner(),
        "alumni",
        "setup",
        json!([
            text_option("name", &long_name),
            text_option("timezone", "Europe/Paris"),
        ]),
        &i18n::t(
            Locale::Ja,
            "error.too_long",
            &[("key", "name"), ("max", "80"), ("len", "81")],
        ),
    )
    .await;
    // A time zone that does not exist.
    refused_in_japanese(
        &rig,
        &owner(),
        "alumni",
        "setup",
        json!([text_option("timezone", "Mars/Olympus")]),
        &i18n::t(
            Locale::Ja,
            "error.bad_timezone",
            &[("value", "Mars/Olympus")],
        ),
    )
    .await;
    assert_eq!(
        rig.community().await,
        community,
        "the settings are unchanged"
    );
    rig.finish().await;
}

#[cfg(test)]
mod shapes {
    //! The payloads built here are what serenity reads from Discord: a user option resolves
    //! to the user and their member, a context menu to its target.
    use super::*;
    use alumni_discord::serenity::all::{Interaction, ResolvedTarget, ResolvedValue};

    #[test]
    fn resolved_options_parse_into_users_members_channels_roles_and_files() {
        let file = json!({
            "id": "77", "filename": "roster.csv", "size": 3, "url": "http://x/a",
            "proxy_url": "http://x/a", "content_type": "text/csv", "ephemeral": true,
        });
        let payload = slash_payload_with_files(
            1,
            &admin(),
            "ja",
            "alumni",
            "setup",
            json!([
                member_option("member", BEN),
                { "name": "welcome_channel", "type": CHANNEL, "value": GENERAL.to_string() },
                { "name": "member_role", "type": ROLE, "value": ALUMNI_ROLE.to_string() },
                { "name": "file", "type": ATTACHMENT, "value": "77" },
            ]),
            &[file],
        );
        let Interaction::Command(cmd) = serde_json::from_value(payload).unwrap() else {
            panic!("a command");
        };
        let options = cmd.data.options();
        let ResolvedValue::SubCommand(leaf) = &options[0].value else {
            panic!("{options:?}");
        };
        assert!(matches!(leaf[0].value, ResolvedValue::User(u, Some(_)) if u.name == "ben"));
        assert!(
            matches!(leaf[1].value, ResolvedValue::Channel(c) if c.name.as_deref() == Some("general"))
        );
        assert!(matches!(leaf[2].value, ResolvedValue::Role(r) if r.name == "Alumni"));
        assert!(
            matches!(leaf[3].value, ResolvedValue::Attachment(a) if a.filename == "roster.csv")
        );
    }

    #[test]
    fn a_user_menu_payload_resolves_its_target() {
        let mut payload = fake_discord::slash(1, &aiko(), "ja", "x", "x", json!([]));
        let mut resolved = json!({});
        fake_discord::resolve_user(&mut resolved, BEN, username(BEN));
        payload["data"] = json!({
            "id": "2", "name": "Alumni profile", "type": 2, "guild_id": GUILD.to_string(),
            "target_id": BEN.to_string(), "resolved": resolved,
        });
        let Interaction::Command(cmd) = serde_json::from_value(payload).unwrap() else {
            panic!("a command");
        };
        assert!(
            matches!(cmd.data.target(), Some(ResolvedTarget::User(u, Some(_))) if u.name == "ben")
        );
    }
}
