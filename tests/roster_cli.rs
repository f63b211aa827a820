//! `alumni-bot roster import|export|codes` on a real database: a file with bad rows is refused
//! whole (exit 1, every bad line on stderr), `--skip-bad` imports the rest, and the export
//! (stdout or `--out`) is UTF-8 with a BOM that imports back. HR's whole round trip (#17), on
//! SQLite and PostgreSQL: a Shift_JIS roster of 1,000 imported, exported with codes, three
//! people join with theirs in the shell (approved at once, department and years filled),
//! exported again (3 approved, 997 not joined); five wrong codes are refused and then the
//! person is locked out, with nothing changed.

mod support;

use std::process::{Command, Output};

use bot_core::testing::{TempPostgres, TempSqlite};

fn bot(db: &TempSqlite, args: &[&str]) -> Output {
    bot_at(&db.url(), args)
}

fn bot_at(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alumni-bot"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("ALUMNI_LOCALE", "en")
        .env_remove("ALUMNI_ADMINS")
        .env_remove("ALUMNI_CONFIG")
        .env_remove("SLACK_SIGNING_SECRET")
        .env_remove("SLACK_APP_TOKEN")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run alumni-bot")
}

#[test]
fn import_is_all_or_nothing_and_export_reads_back() {
    let db = TempSqlite::new("roster-cli");
    let dir = db.path.parent().unwrap().to_owned();
    let file = dir.join("roster.csv");
    std::fs::write(
        &file,
        "\u{FEFF}name,email,department,joined,left,handle\n\
         Ann Lee,ann@example.com,Sales,2010,2019,ann\n\
         Bo Kim,bo-at-example,Sales,2011,2018,bo\n\
         Cy Park,cy@example.com,R&D,2012,2009,cy\n\
         Di Wu,di@example.com,R&D,2013,2020,di\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();

    let out = bot(&db, &["roster", "import", file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Nothing was imported: 2 rows"), "{stderr}");
    assert!(
        stderr.contains("Line 3: \"bo-at-example\" is not an email"),
        "{stderr}"
    );
    assert!(stderr.contains("Line 4: left is before joined"), "{stderr}");

    let out = bot(&db, &["roster", "import", "--skip-bad", file]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Imported 2 roster rows (2 bad rows skipped)"),
        "{stdout}"
    );

    // Nobody has joined yet: the member export has only its header, with a BOM.
    let out = bot(&db, &["roster", "export", "--members"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(
        csv.starts_with("\u{FEFF}name,handle,department,joined,left"),
        "{csv}"
    );
    // The roster export has both rows, not joined, each with a code.
    let path = dir.join("roster-out.csv");
    let out = bot(&db, &["roster", "export", "--out", path.to_str().unwrap()]);
    assert!(out.status.success());
    let rows = exported(&std::fs::read_to_string(&path).unwrap());
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.status == "not joined" && r.code.len() == 11)
    );
}

/// One exported roster row.
struct Row {
    email: String,
    status: String,
    code: String,
}

fn exported(csv: &str) -> Vec<Row> {
    assert!(csv.starts_with('\u{FEFF}'), "a BOM so Excel reads UTF-8");
    let mut lines = csv.trim_start_matches('\u{FEFF}').lines();
    assert_eq!(
        lines.next(),
        Some("name,email,handle,department,joined,left,role,status,code")
    );
    lines
        .map(|l| {
            // No cell of these files holds a comma or a quote.
            let cells: Vec<&str> = l.split(',').collect();
            Row {
                email: cells[1].to_owned(),
                status: cells[7].to_owned(),
                code: cells[8].to_owned(),
            }
        })
        .collect()
}

fn export(url: &str, extra: &[&str]) -> Vec<Row> {
    let mut args = vec!["roster", "export"];
    args.extend(extra);
    let out = bot_at(url, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exported(&String::from_utf8(out.stdout).unwrap())
}

fn tally(rows: &[Row], status: &str) -> usize {
    rows.iter().filter(|r| r.status == status).count()
}

/// The round trip of the issue, through the binary only.
fn hr_round_trip(url: &str) {
    let dir = std::env::temp_dir().join(format!("roster-trip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("roster-{}.csv", url.len()));
    let mut text = String::from("氏名,メールアドレス,部署,入社日,退職日\r\n");
    for i in 1..=1000 {
        text.push_str(&format!(
            "佐藤 {i},p{i}@example.jp,営業{}課,{}/4/1,{}/3/31\r\n",
            i % 7,
            2001 + i % 9,
            2016 + i % 9
        ));
    }
    std::fs::write(&file, shift_jis(&text)).unwrap();
    let out = bot_at(url, &["roster", "import", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Imported 1000 roster rows"), "{stdout}");

    let first = export(url, &[]);
    assert_eq!((first.len(), tally(&first, "not joined")), (1000, 1000));
    let code = |email: &str| {
        first
            .iter()
            .find(|r| r.email == email)
            .map(|r| r.code.clone())
            .unwrap()
    };

    // Three people join with their codes; mallory tries five wrong ones, then a good one.
    let mut script = String::new();
    for (who, i) in [("ann", 10), ("bo", 20), ("cy", 30)] {
        script.push_str(&format!(
            ":as {who} en\n/alumni join name:\"{who}\" code:{}\n",
            code(&format!("p{i}@example.jp"))
        ));
    }
    script.push_str(":as mallory en\n");
    for n in 1..=5 {
        script.push_str(&format!("/alumni join name:M code:BBBBB-BBBB{n}\n"));
    }
    script.push_str(&format!(
        "/alumni join name:M code:{}\n",
        code("p40@example.jp")
    ));
    let env = [("DATABASE_URL", url), ("ALUMNI_LOCALE", "en")];
    let output = support::run_shell(&env, &script);
    // ann: approved at once, with the roster's department (10 % 7 = 3) and years.
    assert!(
        output.contains("From HR's roster: department 営業3課, joined 2002, left 2017"),
        "{output}"
    );
    assert_eq!(
        output.matches("This invite code cannot be used").count(),
        5,
        "each wrong code refused: {output}"
    );
    assert_eq!(
        output.matches("Too many wrong invite codes").count(),
        1,
        "{output}"
    );

    let second = export(url, &[]);
    assert_eq!(
        (tally(&second, "approved"), tally(&second, "not joined")),
        (3, 997)
    );
    let joined: Vec<&str> = second
        .iter()
        .filter(|r| r.status == "approved")
        .map(|r| r.email.as_str())
        .collect();
    assert_eq!(
        joined,
        ["p10@example.jp", "p20@example.jp", "p30@example.jp"]
    );
    assert!(
        second
            .iter()
            .filter(|r| r.status == "approved")
            .all(|r| r.code.is_empty())
    );
    // Mallory's good code is untouched: nothing changed but the three joins.
    assert_eq!(
        second
            .iter()
            .find(|r| r.email == "p40@example.jp")
            .unwrap()
            .code,
        code("p40@example.jp")
    );
    // A reminder wave: only those not joined.
    let wave = export(url, &["--status", "not-joined"]);
    assert_eq!((wave.len(), tally(&wave, "not joined")), (997, 997));

    // A lost code renewed: the old one stops working.
    let out = bot_at(url, &["roster", "codes", "--renew", "p50@example.jp"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("佐藤 50\tp50@example.jp\t"), "{stdout}");
    let renewed = stdout.trim().rsplit('\t').next().unwrap().to_owned();
    assert_ne!(renewed, code("p50@example.jp"));
    let after = export(url, &[]);
    assert_eq!(
        after
            .iter()
            .find(|r| r.email == "p50@example.jp")
            .unwrap()
            .code,
        renewed
    );
    // Someone who joined has no code to renew: refused, nothing renewed.
    let out = bot_at(url, &["roster", "codes", "--renew", "p10@example.jp"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        export(url, &[])
            .iter()
            .map(|r| r.code.clone())
            .collect::<Vec<_>>(),
        after.iter().map(|r| r.code.clone()).collect::<Vec<_>>()
    );
    let _ = std::fs::remove_file(&file);
}

/// The roster as Excel writes it in Japan (CP932).
fn shift_jis(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable && std::str::from_utf8(&bytes).is_err());
    bytes.into_owned()
}

#[test]
fn hr_round_trip_on_sqlite() {
    let db = TempSqlite::new("roster-trip");
    hr_round_trip(&db.url());
}

#[tokio::test]
async fn hr_round_trip_on_postgres() {
    let Some(db) = TempPostgres::create("roster_trip").await else {
        return;
    };
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || hr_round_trip(&url))
        .await
        .unwrap();
    db.drop_db().await;
}
