//! Slack against the command spec, end to end: every command and subcommand of
//! `bot_core::command::spec` is accepted as a signed slash command and listed in the generated
//! manifest (a spec entry Slack drops fails here); `/admin import` through its modal with a
//! real file served by a fake Slack file host that wants the bot token; HR's `/job` and the
//! admin's stats, export, segments and broadcast; and bad input answered with the localized
//! error naming the key, with nothing stored. Real SQLite, and PostgreSQL where storage matters.

mod support;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bot_core::command::spec::{self, Kind};
use bot_core::domain::{Community, Platform};
use bot_core::i18n::{self, Locale};
use serde_json::{Value, json};
use support::{ADMIN, BOT_TOKEN, Rig, TEAM, all_text, buttons};

/// A catalog message with the given arguments, cut before its first unfilled placeholder:
/// what a reply must contain, whatever the unfilled parts (lists of choices) say.
fn message(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    let full = i18n::t(locale, key, args);
    assert_ne!(full, key, "no message {key}");
    match full.find('{') {
        Some(at) => full[..at].to_owned(),
        None => full,
    }
}

/// The longest literal piece of a catalog message (between placeholders): present in every
/// rendering of it, in that language.
fn fixed_part(locale: Locale, key: &str) -> String {
    let template = i18n::t(locale, key, &[]);
    let mut pieces = Vec::new();
    let mut rest = template.as_str();
    while let Some(open) = rest.find('{') {
        pieces.push(&rest[..open]);
        rest = rest[open..].split_once('}').map_or("", |(_, after)| after);
    }
    pieces.push(rest);
    let longest = pieces
        .into_iter()
        .max_by_key(|p| p.chars().count())
        .unwrap_or_default();
    assert!(longest.chars().count() >= 5, "{key}: {template}");
    longest.to_owned()
}

async fn community(rig: &Rig) -> Community {
    rig.core.community_of(Platform::Slack, TEAM).await.unwrap()
}

async fn join(rig: &Rig, user: &str, handle: &str, profile: &str) -> Value {
    rig.command_json(user, handle, "/alumni", &format!("join {profile}"))
        .await
}

async fn approve(rig: &Rig, user: &str, handle: &str) {
    let reply = rig
        .command_json(
            ADMIN,
            "admin",
            "/alumni",
            &format!("approve <@{user}|{handle}>"),
        )
        .await;
    assert!(all_text(&reply).contains("is now a member"), "{reply:#}");
}

// ---------------------------------------------------------------------------------------------
// 1. Parity with the spec.

/// A valid value of each kind, as a Slack user types it (members arrive escaped).
fn sample(kind: Kind) -> Option<String> {
    Some(match kind {
        Kind::Text { .. } | Kind::Words => "sample".into(),
        Kind::Int { min, .. } => min.max(1).to_string(),
        Kind::Year => "2015".into(),
        Kind::YearRange => "2015-2020".into(),
        Kind::Date => "2030-01-31".into(),
        Kind::Time => "\"2030-01-31 19:00\"".into(),
        Kind::Duration => "2h".into(),
        Kind::Member => "<@UBEN|ben>".into(),
        Kind::Channel => "<#CGENERAL1|general>".into(),
        Kind::Role => "<!subteam^S1|staff>".into(),
        Kind::List => "Rust,Go".into(),
        Kind::Choice(v) | Kind::Choices(v) => v[0].into(),
        // A slash command never carries a file: the import modal asks for it.
        Kind::File => return None,
    })
}

/// The text after the command: the subcommand's words and its required keys.
fn text_for(sub: &spec::Sub) -> String {
    let mut text = sub.words.to_owned();
    for k in sub.keys.iter().filter(|k| k.required) {
        let Some(v) = sample(k.kind) else { continue };
        if !text.is_empty() {
            text.push(' ');
        }
        if !k.positional {
            text.push_str(&format!("{}:", k.name));
        }
        text.push_str(&v);
    }
    text
}

#[tokio::test]
async fn every_command_and_subcommand_of_the_spec_is_accepted_and_in_the_manifest() {
    let rig = Rig::sqlite("parity").await;
    // Answers that say Slack or the grammar does not know what was typed, in both languages,
    // and a failure on our side (a subcommand the service cannot handle).
    let mut refusals = vec!["Unknown command".to_owned()];
    for locale in [Locale::En, Locale::Ja] {
        for key in [
            "error.unknown_command",
            "error.unknown_subcommand",
            "error.unknown_key",
            "error.try_again",
        ] {
            refusals.push(fixed_part(locale, key));
        }
    }

    let mut sent = 0;
    for (n, c) in spec::COMMANDS.iter().enumerate() {
        for (m, sub) in c.subs.iter().enumerate() {
            let command = format!("/{}", c.name);
            let text = text_for(sub);
            let opened_before = rig.fake.calls_to("views.open").len();
            // The admin may use everything, so only "unknown" can refuse on the grammar's side.
            let respond = format!("{}/parity-{n}-{m}", rig.fake.respond_url);
            let body = support::slash_body(ADMIN, "admin", &command, &text, &respond);
            let answer = rig
                .signed("/slack/commands", "application/x-www-form-urlencoded", body)
                .await;
            assert_eq!(answer.status, 200, "{command} {text}: {}", answer.body);
            let shown = if answer.body.is_empty() || answer.body == "{}" {
                // No message: a modal was opened instead (a bare form, the import's file form).
                let opened = rig.fake.calls_to("views.open");
                assert_eq!(
                    opened.len(),
                    opened_before + 1,
                    "{command} {text}: neither an answer nor a modal"
                );
                opened.last().unwrap().body["view"].clone()
            } else {
                answer.json()
            };
            let shown_text = all_text(&shown);
            assert!(
                !shown_text.trim().is_empty(),
                "{command} {text}: empty answer {shown:#}"
            );
            for refusal in &refusals {
                assert!(
                    !shown_text.contains(refusal.as_str()),
                    "{command} {text} was refused: {shown_text}"
                );
            }
            sent += 1;
        }
    }
    let in_spec: usize = spec::COMMANDS.iter().map(|c| c.subs.len()).sum();
    assert_eq!(sent, in_spec);
    // /admin import (an admin, with a trigger) is a file form, never the "attach a file" error.
    let import = rig
        .fake
        .calls_to("views.open")
        .into_iter()
        .find(|c| c.body["view"]["private_metadata"] == "/admin import")
        .expect("the import modal was opened");
    assert_eq!(
        import.body["view"]["blocks"][0]["element"]["type"],
        "file_input"
    );

    // The manifest Slack is set up from lists every command, at our request URL, with a hint
    // naming each subcommand's first word.
    let manifest = alumni_slack::manifest::manifest("https://alumni.example.com", "alumni", false);
    let listed = manifest["features"]["slash_commands"].as_array().unwrap();
    assert_eq!(listed.len(), spec::COMMANDS.len(), "{listed:#?}");
    for c in spec::COMMANDS {
        let entry = listed
            .iter()
            .find(|e| e["command"] == format!("/{}", c.name))
            .unwrap_or_else(|| panic!("/{} missing from the manifest", c.name));
        assert_eq!(entry["url"], "https://alumni.example.com/slack/commands");
        assert_eq!(entry["should_escape"], true, "members must arrive as <@U…>");
        let hint = entry["usage_hint"].as_str().unwrap();
        for word in c.first_words() {
            assert!(hint.contains(word), "/{}: {word} not in {hint:?}", c.name);
        }
        assert!(!entry["description"].as_str().unwrap().is_empty());
    }
    rig.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 2. /admin import through the modal, with a file from a Slack-like file host.

/// Slack serves uploads from files.slack.com, not the Web API host, and only to a request
/// bearing a token of the workspace. This one serves its files to the bot token alone (403
/// otherwise) and records every request.
struct FileHost {
    base: String,
    state: Arc<FileHostState>,
    server: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct FileHostState {
    files: Mutex<Vec<(String, Vec<u8>)>>,
    /// (path, Authorization header) of every request.
    requests: Mutex<Vec<(String, Option<String>)>>,
}

impl FileHost {
    async fn start() -> FileHost {
        let state = Arc::new(FileHostState::default());
        let app = Router::new()
            .route("/files-pri/{file}/download/{name}", get(serve_file))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FileHost {
            base,
            state,
            server,
        }
    }

    /// Serve `bytes` as file `id`; the `files` entry of a `file_input` value, shaped as Slack
    /// sends it in a view_submission.
    fn upload(&self, id: &str, name: &str, bytes: &[u8]) -> Value {
        self.state
            .files
            .lock()
            .unwrap()
            .push((format!("{TEAM}-{id}"), bytes.to_vec()));
        json!({
            "id": id,
            "created": 1_700_000_000,
            "timestamp": 1_700_000_000,
            "name": name,
            "title": name,
            "mimetype": "text/csv",
            "filetype": "csv",
            "pretty_type": "CSV",
            "user": ADMIN,
            "user_team": TEAM,
            "size": bytes.len(),
            "url_private": format!("{}/files-pri/{TEAM}-{id}/{name}", self.base),
            "url_private_download": format!("{}/files-pri/{TEAM}-{id}/download/{name}", self.base),
            "permalink": format!("https://acme.slack.com/files/{ADMIN}/{id}/{name}"),
        })
    }

    fn requests(&self) -> Vec<(String, Option<String>)> {
        self.state.requests.lock().unwrap().clone()
    }
}

impl Drop for FileHost {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve_file(
    State(state): State<Arc<FileHostState>>,
    Path((file, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state
        .requests
        .lock()
        .unwrap()
        .push((format!("/files-pri/{file}/download/{name}"), auth.clone()));
    if auth.as_deref() != Some(&format!("Bearer {BOT_TOKEN}")) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match state.files.lock().unwrap().iter().find(|(f, _)| *f == file) {
        Some((_, bytes)) => ([(header::CONTENT_TYPE, "text/csv")], bytes.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The import modal the fake Slack was asked to open, for `user`'s `/admin import`.
async fn open_import_modal(rig: &Rig, user: &str, handle: &str, text: &str) -> Value {
    let before = rig.fake.calls_to("views.open").len();
    let answer = rig.command(user, handle, "/admin", text).await;
    // Nothing is said in the channel: the modal is the answer.
    assert_eq!((answer.status, answer.body.as_str()), (200, ""));
    let opened = rig.fake.wait_for("views.open", before + 1).await;
    let call = &opened[before];
    assert_eq!(
        call.body["trigger_id"],
        "13345224609.738474920.8088930838d88f008e0"
    );
    call.body["view"].clone()
}

/// The view_submission Slack posts when `user` submits `view` with `files` in its file input.
fn submission(view: &Value, user: &str, handle: &str, files: Vec<Value>) -> Value {
    let block = view["blocks"][0]["block_id"].as_str().unwrap();
    let action = view["blocks"][0]["element"]["action_id"].as_str().unwrap();
    let mut submitted = view.clone();
    submitted["id"] = json!("VIMPORT1");
    submitted["team_id"] = json!(TEAM);
    submitted["hash"] = json!("1700000000.abcdef");
    submitted["state"] = json!({ "values": { block: { action: {
        "type": "file_input",
        "files": files,
    } } } });
    json!({
        "type": "view_submission",
        "team": { "id": TEAM, "domain": "acme" },
        "user": { "id": user, "username": handle, "name": handle, "team_id": TEAM },
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "13345224609.738474920.submit",
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": false,
    })
}

const GOOD_ROSTER: &str = "名前,メール,ハンドル,部署,入社,退職\n\
    Ben Brown,ben@example.com,ben,Platform,2015,2020\n\
    田中 愛子,aiko@example.com,aiko,営業,2012,2019\n\
    Carol Chen,,,Design,2018,2021\n";

/// Line 3 has an email that is not one, line 4 left before joining.
const BAD_ROSTER: &str = "name,email,handle,department,joined,left\n\
    Dana Doe,dana@example.com,dana,Sales,2010,2016\n\
    Eve Evans,not-an-email,eve,Sales,2011,2017\n\
    Finn Fox,finn@example.com,finn,Sales,2019,2012\n";

/// The text of the admin's `n`th DM (waits for it: an import finishes after the modal closes).
async fn outcome_dm(rig: &Rig, n: usize) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let dms = rig.fake.messages(&format!("D{ADMIN}"));
        if dms.len() >= n {
            return all_text(&dms[n - 1]);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the admin is told the outcome: {dms:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn import_through_the_modal(rig: &Rig) {
    let files = FileHost::start().await;
    let community = community(rig).await;

    // A file with bad rows: refused, each bad row named by its line, nothing imported.
    let view = open_import_modal(rig, ADMIN, "admin", "import").await;
    assert_eq!(view["type"], "modal");
    assert_eq!(view["callback_id"], "admin_import");
    assert_eq!(view["private_metadata"], "/admin import");
    assert_eq!(view["blocks"][0]["element"]["type"], "file_input");
    assert_eq!(view["blocks"][0]["element"]["max_files"], 1);
    let bad = files.upload("F0BAD", "roster.csv", BAD_ROSTER.as_bytes());
    let answer = rig
        .interaction(submission(&view, ADMIN, "admin", vec![bad]))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // The modal closes at once; the outcome follows in the admin's DM.
    let report = outcome_dm(rig, 1).await;
    assert!(
        report.contains(&message(Locale::En, "roster.refused", &[("errors", "2")])),
        "{report}"
    );
    for line in ["3", "4"] {
        assert!(
            report.contains(&message(Locale::En, "roster.line", &[("line", line)])),
            "line {line} not named: {report}"
        );
    }
    assert!(report.contains("not-an-email"), "{report}");
    assert!(!report.contains("Line 2:"), "a good row named: {report}");
    assert!(rig.store.roster(community.id).await.unwrap().is_empty());

    // `/admin import skip_bad:yes` keeps its choice through the modal: the good row is
    // imported, the bad ones are reported and skipped.
    let view = open_import_modal(rig, ADMIN, "admin", "import skip_bad:yes").await;
    assert_eq!(view["private_metadata"], "/admin import skip_bad:yes");
    let skip = files.upload("F0SKIP", "roster.csv", BAD_ROSTER.as_bytes());
    let answer = rig
        .interaction(submission(&view, ADMIN, "admin", vec![skip]))
        .await;
    assert_eq!((answer.status, answer.body.as_str()), (200, ""));
    let report = outcome_dm(rig, 2).await;
    assert!(
        report.contains(&message(
            Locale::En,
            "roster.imported",
            &[("rows", "1"), ("skipped", "2")]
        )),
        "{report}"
    );
    assert!(
        report.contains(&message(Locale::En, "roster.line", &[("line", "3")])),
        "{report}"
    );
    let roster = rig.store.roster(community.id).await.unwrap();
    let names: Vec<&str> = roster.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Dana Doe"]);

    // The good file: downloaded once, with the bot token, and every row is in the roster.
    let view = open_import_modal(rig, ADMIN, "admin", "import").await;
    let good = files.upload("F0GOOD", "roster.csv", GOOD_ROSTER.as_bytes());
    let answer = rig
        .interaction(submission(&view, ADMIN, "admin", vec![good]))
        .await;
    // The modal closes.
    assert_eq!((answer.status, answer.body.as_str()), (200, ""));
    let report = outcome_dm(rig, 3).await;
    assert!(
        report.contains(&message(
            Locale::En,
            "roster.imported",
            &[("rows", "3"), ("skipped", "0")]
        )),
        "{report}"
    );
    let roster = rig.store.roster(community.id).await.unwrap();
    let names: Vec<&str> = roster.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Dana Doe", "Ben Brown", "田中 愛子", "Carol Chen"]);
    assert_eq!(roster[1].email.as_deref(), Some("ben@example.com"));
    assert_eq!(roster[2].department.as_deref(), Some("営業"));
    assert_eq!((roster[3].joined, roster[3].left), (Some(2018), Some(2021)));
    let fetched: Vec<(String, Option<String>)> = ["F0BAD", "F0SKIP", "F0GOOD"]
        .iter()
        .map(|id| {
            (
                format!("/files-pri/{TEAM}-{id}/download/roster.csv"),
                Some(format!("Bearer {BOT_TOKEN}")),
            )
        })
        .collect();
    assert_eq!(files.requests(), fetched);

    // What the roster is for: ben (Slack handle "ben" is on it) joins and is approved at once.
    let joined = join(rig, "UBEN", "ben", "name:\"Ben Brown\"").await;
    let profile = rig.command_json("UBEN", "ben", "/alumni", "profile").await;
    assert!(
        !all_text(&profile).contains(&fixed_part(Locale::En, "error.still_pending")),
        "{joined:#} {profile:#}"
    );
    assert!(all_text(&profile).contains("Ben Brown"), "{profile:#}");
}

#[tokio::test]
async fn admin_import_through_the_modal_downloads_with_the_bot_token_and_imports() {
    let rig = Rig::sqlite("import_modal").await;
    import_through_the_modal(&rig).await;
    rig.finish().await;
}

#[tokio::test]
async fn admin_import_through_the_modal_on_postgres() {
    let Some(rig) = Rig::postgres("slack_import_modal_pg").await else {
        return;
    };
    import_through_the_modal(&rig).await;
    rig.finish().await;
}

#[tokio::test]
async fn a_non_admin_gets_no_import_modal_and_a_forged_submission_downloads_nothing() {
    let rig = Rig::sqlite("import_forged").await;
    let files = FileHost::start().await;
    let community = community(&rig).await;
    join(&rig, "UBEN", "ben", "name:\"Ben Brown\"").await;
    approve(&rig, "UBEN", "ben").await;

    // ben's /admin import is refused by the core, in the channel reply; no modal.
    let opened_before = rig.fake.calls_to("views.open").len();
    let refused = rig.command_json("UBEN", "ben", "/admin", "import").await;
    assert_eq!(refused["response_type"], "ephemeral", "{refused:#}");
    assert!(
        all_text(&refused).contains(&message(Locale::En, "error.forbidden", &[])),
        "{refused:#}"
    );
    assert_eq!(rig.fake.calls_to("views.open").len(), opened_before);

    // He forges the modal's submission with a file: refused on the field, nothing fetched.
    let view = alumni_slack::import::view("/admin import", Locale::En);
    let file = files.upload("F0EVIL", "roster.csv", GOOD_ROSTER.as_bytes());
    let answer = rig
        .interaction(submission(&view, "UBEN", "ben", vec![file.clone()]))
        .await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(body["response_action"], "errors", "{body:#}");
    let shown = body["errors"].to_string();
    assert!(
        shown.contains(&message(Locale::En, "error.forbidden", &[])),
        "{body:#}"
    );
    assert!(files.requests().is_empty(), "{:?}", files.requests());
    assert!(rig.store.roster(community.id).await.unwrap().is_empty());

    // Not even with skip_bad:yes in the view's metadata.
    let mut view = view;
    view["private_metadata"] = json!("/admin import skip_bad:yes");
    let answer = rig
        .interaction(submission(&view, "UBEN", "ben", vec![file]))
        .await;
    assert_eq!(answer.json()["response_action"], "errors");
    assert!(files.requests().is_empty(), "{:?}", files.requests());
    assert!(rig.store.roster(community.id).await.unwrap().is_empty());

    // An admin's file larger than the limit is refused before anything is downloaded.
    let view = open_import_modal(&rig, ADMIN, "admin", "import").await;
    let mut huge = files.upload("F0HUGE", "roster.csv", GOOD_ROSTER.as_bytes());
    huge["size"] = json!(alumni_slack::import::MAX_BYTES + 1);
    let answer = rig
        .interaction(submission(&view, ADMIN, "admin", vec![huge]))
        .await;
    let body = answer.json();
    assert_eq!(body["response_action"], "errors", "{body:#}");
    assert!(
        body["errors"]
            .to_string()
            .contains(&message(Locale::En, "slack.file_too_large", &[])),
        "{body:#}"
    );
    assert!(files.requests().is_empty(), "{:?}", files.requests());
    assert!(rig.store.roster(community.id).await.unwrap().is_empty());
    rig.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 3. HR's openings; the admin's figures, export, segments and broadcast.

/// hana works in HR: a member whose role is supporter, reading Slack in Japanese.
async fn hr_supporter(rig: &Rig) {
    rig.fake.add_user("UHANA", "hana", "ja-JP", false);
    join(rig, "UHANA", "hana", "name:\"佐藤 花\"").await;
    approve(rig, "UHANA", "hana").await;
    let role = rig
        .command_json(ADMIN, "admin", "/alumni", "role <@UHANA|hana> supporter")
        .await;
    assert!(!role.to_string().contains("error"), "{role:#}");
}

async fn hr_posts_a_job_and_a_member_lists_it(rig: &Rig) {
    hr_supporter(rig).await;
    join(
        rig,
        "UBEN",
        "ben",
        "name:\"Ben Brown\" open_to:rehire skills:Rust",
    )
    .await;
    approve(rig, "UBEN", "ben").await;
    let community = community(rig).await;

    // A member may not post.
    let refused = rig
        .command_json(
            "UBEN",
            "ben",
            "/job",
            "post title:\"Backend engineer\" type:rehire",
        )
        .await;
    assert!(
        all_text(&refused).contains(&message(Locale::En, "error.forbidden", &[])),
        "{refused:#}"
    );

    let posted = rig
        .command_json(
            "UHANA",
            "hana",
            "/job",
            "post title:\"Backend engineer\" type:rehire details:\"Rust, 福岡\" until:2030-01-31 skills:Rust",
        )
        .await;
    let open = rig
        .store
        .open_opportunities(community.id, now(rig), 25)
        .await
        .unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    let id = open[0].id.to_string();
    assert!(
        all_text(&posted).contains(&message(
            Locale::Ja,
            "job.posted",
            &[("id", &id), ("title", "Backend engineer")]
        )),
        "{posted:#}"
    );

    let list = rig.command_json("UBEN", "ben", "/job", "list").await;
    assert_eq!(list["response_type"], "ephemeral", "{list:#}");
    let text = all_text(&list);
    assert!(
        text.contains(&message(Locale::En, "job.heading", &[])),
        "{text}"
    );
    assert!(text.contains(&format!("#{id} Backend engineer")), "{text}");
    assert!(text.contains("Rehire"), "{text}");

    let show = rig
        .command_json("UBEN", "ben", "/job", &format!("show {id}"))
        .await;
    assert!(all_text(&show).contains("Rust, 福岡"), "{show:#}");
    assert!(
        buttons(&show).iter().any(|(_, a)| a.starts_with("v1.")),
        "no I'm interested button: {show:#}"
    );
}

fn now(rig: &Rig) -> chrono::DateTime<chrono::Utc> {
    bot_core::clock::Clock::now(rig.clock.as_ref())
}

#[tokio::test]
async fn hr_posts_a_job_and_a_member_lists_it_on_slack() {
    let rig = Rig::sqlite("job_post_list").await;
    hr_posts_a_job_and_a_member_lists_it(&rig).await;
    rig.finish().await;
}

#[tokio::test]
async fn hr_posts_a_job_and_a_member_lists_it_on_postgres() {
    let Some(rig) = Rig::postgres("slack_job_post_list_pg").await else {
        return;
    };
    hr_posts_a_job_and_a_member_lists_it(&rig).await;
    rig.finish().await;
}

async fn admin_tools_and_broadcast(rig: &Rig) {
    rig.fake.add_user("UCAROL", "carol", "en-US", false);
    join(
        rig,
        "UBEN",
        "ben",
        "name:\"Ben Brown\" skills:Rust industry:Fintech",
    )
    .await;
    join(
        rig,
        "UAIKO",
        "aiko",
        "name:\"田中 愛子\" skills:Rust,Go industry:Fintech",
    )
    .await;
    join(
        rig,
        "UCAROL",
        "carol",
        "name:\"Carol Chen\" skills:Design industry:Fintech",
    )
    .await;
    for (user, handle) in [("UBEN", "ben"), ("UAIKO", "aiko"), ("UCAROL", "carol")] {
        approve(rig, user, handle).await;
    }
    rig.deliver_due().await;

    let stats = rig.command_json(ADMIN, "admin", "/admin", "stats").await;
    assert_eq!(stats["response_type"], "ephemeral", "{stats:#}");
    let text = all_text(&stats);
    assert!(
        text.contains(&message(
            Locale::En,
            "stats.heading",
            &[("community", "Acme Alumni")]
        )),
        "{text}"
    );
    // Three members name the industry: enough to be counted without singling anyone out.
    assert!(text.contains("Fintech"), "industries: {text}");

    let export = rig.command_json(ADMIN, "admin", "/admin", "export").await;
    assert_eq!(export["response_type"], "ephemeral", "{export:#}");
    assert!(
        all_text(&export).contains(&message(Locale::En, "roster.exported", &[])),
        "{export:#}"
    );

    let saved = rig
        .command_json(
            ADMIN,
            "admin",
            "/admin",
            "segment save rustaceans skills:Rust",
        )
        .await;
    assert!(
        all_text(&saved).contains(&message(
            Locale::En,
            "segment.saved",
            &[("name", "rustaceans"), ("count", "2")]
        )),
        "{saved:#}"
    );
    let list = rig
        .command_json(ADMIN, "admin", "/admin", "segment list")
        .await;
    let text = all_text(&list);
    assert!(text.contains("rustaceans"), "{text}");
    assert!(text.contains("skills:Rust"), "{text}");

    let preview = rig
        .command_json(
            ADMIN,
            "admin",
            "/admin",
            "broadcast segment:rustaceans message:\"Reunion on Friday at 7\"",
        )
        .await;
    assert_eq!(preview["response_type"], "ephemeral", "{preview:#}");
    assert!(
        all_text(&preview).contains(&message(
            Locale::En,
            "broadcast.preview",
            &[("name", "rustaceans"), ("count", "2")]
        )),
        "{preview:#}"
    );
    let send: Vec<(String, String)> = buttons(&preview);
    assert_eq!(send.len(), 1, "{preview:#}");
    assert_eq!(
        send[0].0,
        i18n::t(Locale::En, "broadcast.button", &[("count", "2")])
    );
    // The preview sends nothing.
    assert_eq!(rig.deliver_due().await.delivered, 0);

    let responses = rig.fake.calls_to("response_url").len();
    let pressed = rig.click(ADMIN, "admin", &send[0].1, "broadcast-1").await;
    assert_eq!(pressed.status, 200);
    let answer = &rig.fake.wait_for("response_url", responses + 1).await[responses].body;
    assert_eq!(answer["id"], "broadcast-1");
    assert!(
        all_text(&answer["body"]).contains(&message(
            Locale::En,
            "broadcast.sending",
            &[("count", "2"), ("name", "rustaceans")]
        )),
        "{answer:#}"
    );

    // The scheduler expands the broadcast into one DM per member of the segment, each in
    // their own language, through chat.postMessage.
    for _ in 0..5 {
        rig.deliver_due().await;
        if !rig.fake.messages("DUBEN").is_empty() && !rig.fake.messages("DUAIKO").is_empty() {
            break;
        }
    }
    let to_ben = rig.fake.messages("DUBEN");
    let ben_text = all_text(to_ben.last().expect("ben got the broadcast"));
    assert!(
        ben_text.contains(&message(
            Locale::En,
            "broadcast.dm",
            &[
                ("community", "Acme Alumni"),
                ("message", "Reunion on Friday at 7")
            ]
        )),
        "{ben_text}"
    );
    let to_aiko = rig.fake.messages("DUAIKO");
    let aiko_text = all_text(to_aiko.last().expect("aiko got the broadcast"));
    assert!(
        aiko_text.contains(&message(
            Locale::Ja,
            "broadcast.dm",
            &[
                ("community", "Acme Alumni"),
                ("message", "Reunion on Friday at 7")
            ]
        )),
        "{aiko_text}"
    );
    // carol is not in the segment: only her approval reached her.
    assert!(
        !rig.fake
            .messages("DUCAROL")
            .iter()
            .any(|m| all_text(m).contains("Reunion")),
        "{:#?}",
        rig.fake.messages("DUCAROL")
    );
    let sent: Vec<_> = rig
        .fake
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.body.to_string().contains("Reunion on Friday"))
        .collect();
    assert_eq!(sent.len(), 2, "{sent:#?}");

    // Pressing Send again sends nothing more.
    rig.click(ADMIN, "admin", &send[0].1, "broadcast-2").await;
    let again = &rig.fake.wait_for("response_url", responses + 2).await[responses + 1].body;
    assert!(
        all_text(&again["body"]).contains(&message(Locale::En, "broadcast.already", &[])),
        "{again:#}"
    );
    rig.deliver_due().await;
    let sent_after = rig
        .fake
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.body.to_string().contains("Reunion on Friday"))
        .count();
    assert_eq!(sent_after, 2);
}

#[tokio::test]
async fn admin_stats_export_segments_and_a_confirmed_broadcast_on_slack() {
    let rig = Rig::sqlite("admin_tools").await;
    admin_tools_and_broadcast(&rig).await;
    rig.finish().await;
}

#[tokio::test]
async fn admin_stats_export_segments_and_a_confirmed_broadcast_on_postgres() {
    let Some(rig) = Rig::postgres("slack_admin_tools_pg").await else {
        return;
    };
    admin_tools_and_broadcast(&rig).await;
    rig.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 4. Bad input: the localized error naming the key, and nothing changed.

#[tokio::test]
async fn bad_input_gets_the_localized_error_naming_the_key_and_changes_nothing() {
    let rig = Rig::sqlite("bad_input").await;
    hr_supporter(&rig).await;
    let community = community(&rig).await;

    // hana reads Slack in Japanese: a bad type is refused in Japanese, naming `type`.
    let bad_type = rig
        .command_json("UHANA", "hana", "/job", "post title:x type:intern")
        .await;
    assert_eq!(bad_type["response_type"], "ephemeral", "{bad_type:#}");
    let text = all_text(&bad_type);
    assert!(
        text.contains(&message(
            Locale::Ja,
            "error.bad_choice",
            &[("value", "intern"), ("key", "type")]
        )),
        "{text}"
    );
    for choice in spec::JOB_TYPES {
        assert!(text.contains(choice), "{choice} not offered: {text}");
    }

    // The admin reads English: a past closing date names `until`.
    let past = rig
        .command_json(
            ADMIN,
            "admin",
            "/job",
            "post title:x type:rehire until:2020-01-31",
        )
        .await;
    assert!(
        all_text(&past).contains(&message(Locale::En, "job.until_past", &[("key", "until")])),
        "{past:#}"
    );
    // A required key left out is named.
    let missing = rig
        .command_json("UHANA", "hana", "/job", "post type:rehire")
        .await;
    assert!(
        all_text(&missing).contains(&message(
            Locale::Ja,
            "error.missing_key",
            &[("key", "title")]
        )),
        "{missing:#}"
    );
    // A broadcast to a segment that does not exist names it.
    let unknown = rig
        .command_json(
            ADMIN,
            "admin",
            "/admin",
            "broadcast segment:nobody message:hi",
        )
        .await;
    assert!(
        all_text(&unknown).contains(&message(
            Locale::En,
            "segment.unknown",
            &[("name", "nobody")]
        )),
        "{unknown:#}"
    );
    // An unknown key on /admin names it.
    let unknown_key = rig
        .command_json(ADMIN, "admin", "/admin", "stats year:2020")
        .await;
    assert!(
        all_text(&unknown_key).contains(&message(
            Locale::En,
            "error.unknown_key",
            &[("key", "year")]
        )),
        "{unknown_key:#}"
    );

    // Nothing was stored: no opening, no broadcast, and nothing to deliver.
    let now = now(&rig);
    assert!(
        rig.store
            .open_opportunities(community.id, now, 25)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        rig.store
            .broadcast(community.id, 1)
            .await
            .unwrap()
            .is_none()
    );
    let listed = rig.command_json("UHANA", "hana", "/job", "list").await;
    assert!(
        all_text(&listed).contains(&message(Locale::Ja, "job.none", &[])),
        "{listed:#}"
    );
    rig.finish().await;
}
