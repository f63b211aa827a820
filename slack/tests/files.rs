//! Files on Slack (#14 item 3): what a reply carries arrives as a Slack file, uploaded through
//! files.getUploadURLExternal + the upload URL + files.completeUploadExternal, in the asker's
//! DM when it is only for them; the fake checks the bytes. A refused file gets an answer.

mod support;

use std::time::{Duration, Instant};

use support::{ADMIN, Rig, all_text};

/// The files shared into `channel`, once at least `n` are there.
async fn files(rig: &Rig, channel: &str, n: usize) -> Vec<(String, Vec<u8>)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let files = rig.fake.files_in(channel);
        if files.len() >= n {
            return files;
        }
        assert!(Instant::now() < deadline, "no file in {channel}: {files:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn join(rig: &Rig, user: &str, handle: &str, name: &str) {
    let answer = rig
        .command_json(
            user,
            handle,
            "/alumni",
            &format!("join name:\"{name}\" company:Globex"),
        )
        .await;
    assert!(!all_text(&answer).is_empty(), "{answer:#}");
    rig.command_json(
        ADMIN,
        "admin",
        "/alumni",
        &format!("approve <@{user}|{handle}>"),
    )
    .await;
}

#[tokio::test]
async fn mydata_ics_and_export_arrive_as_files_with_their_bytes() {
    let rig = Rig::sqlite("slack_files").await;
    join(&rig, "UBEN", "ben", "Ben Brown").await;

    // My data: a JSON file in my DM, only mine.
    let answer = rig.command_json("UBEN", "ben", "/alumni", "mydata").await;
    assert_eq!(answer["response_type"], "ephemeral", "{answer:#}");
    assert!(
        !answer.to_string().contains("\"identities\""),
        "the file is not pasted into the message: {answer:#}"
    );
    let mine = files(&rig, "DUBEN", 1).await;
    assert_eq!(mine[0].0, "mydata.json");
    let data: serde_json::Value = serde_json::from_slice(&mine[0].1).expect("JSON bytes");
    assert!(data.to_string().contains("Ben Brown"), "{data:#}");

    // An event's calendar file.
    rig.command_json(
        ADMIN,
        "admin",
        "/event",
        "create title:\"Year-end drinks\" at:\"2030-12-18 19:00\"",
    )
    .await;
    rig.command_json("UBEN", "ben", "/event", "ics 1").await;
    let mine = files(&rig, "DUBEN", 2).await;
    let ics = String::from_utf8(mine[1].1.clone()).unwrap();
    assert!(mine[1].0.ends_with(".ics"), "{}", mine[1].0);
    assert!(
        ics.starts_with("BEGIN:VCALENDAR") && ics.contains("Year-end drinks"),
        "{ics}"
    );

    // HR's export: members.csv in the admin's DM.
    rig.command_json(ADMIN, "admin", "/admin", "export").await;
    let exported = files(&rig, &format!("D{ADMIN}"), 1).await;
    assert_eq!(exported[0].0, "members.csv");
    assert!(
        String::from_utf8_lossy(&exported[0].1).contains("Ben Brown"),
        "{:?}",
        exported[0]
    );
    rig.finish().await;
}

#[tokio::test]
async fn a_file_slack_refuses_gets_a_clear_answer() {
    let rig = Rig::sqlite("slack_files_refused").await;
    join(&rig, "UBEN", "ben", "Ben Brown").await;
    rig.fake.refuse_files("missing_scope");
    rig.command_json("UBEN", "ben", "/alumni", "mydata").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let told = loop {
        let dms = rig.fake.messages("DUBEN");
        if let Some(m) = dms.iter().find(|m| all_text(m).contains("mydata.json")) {
            break all_text(m);
        }
        assert!(Instant::now() < deadline, "not told: {dms:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(told.contains("files:write"), "{told}");
    assert!(rig.fake.files_in("DUBEN").is_empty());
    rig.finish().await;
}
