//! `alumni-bot roster import|export` on a real SQLite file: a file with bad rows is refused
//! whole (exit 1, every bad line on stderr), `--skip-bad` imports the rest, and the export
//! (stdout or `--out`) is UTF-8 with a BOM that imports back.

use std::process::{Command, Output};

use bot_core::testing::TempSqlite;

fn bot(db: &TempSqlite, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alumni-bot"))
        .args(args)
        .env("DATABASE_URL", db.url())
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

    // Nobody has joined yet: the export has only its header, with a BOM.
    let out = bot(&db, &["roster", "export"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(
        csv.starts_with("\u{FEFF}name,handle,department,joined,left"),
        "{csv}"
    );
    let path = dir.join("members.csv");
    let out = bot(&db, &["roster", "export", "--out", path.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), csv);
}
