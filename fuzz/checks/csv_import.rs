//! The `csv_import` property, shared by the fuzz target and the stable replay test: any bytes
//! uploaded as a roster (UTF-8, BOM, Shift_JIS, or garbage) give rows and/or line-numbered
//! errors that render in both languages, never a panic; every row the parser accepts obeys
//! its rules; and the accepted rows, written back as a plain UTF-8 CSV, read back the same.

use bot_core::i18n::{self, Locale};
use bot_core::roster::{self, MAX_CELL, RosterRow};

pub fn check(data: &[u8]) {
    let (text, shift_jis) = roster::decode(data);
    if !shift_jis {
        let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
        assert_eq!(text.as_bytes(), body, "valid UTF-8 is kept as it is");
    }
    let parsed = roster::parse(data);
    assert_eq!(parsed.shift_jis, shift_jis);
    assert!(
        !parsed.rows.is_empty() || !parsed.errors.is_empty(),
        "a file with no rows must say why"
    );
    for e in &parsed.errors {
        assert!(i18n::has(e.key), "{} missing from the catalogs", e.key);
        for locale in [Locale::Ja, Locale::En] {
            assert!(!e.render(locale).is_empty());
        }
    }
    let mut keys = std::collections::HashSet::new();
    for r in &parsed.rows {
        assert!(r.line >= 2, "row on line {} (the header is line 1)", r.line);
        assert!(keys.insert(r.key()), "duplicate row accepted: {r:?}");
        assert!(!r.name.is_empty(), "{r:?}");
        for cell in [
            Some(&r.name),
            r.email.as_ref(),
            r.handle.as_ref(),
            r.department.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            assert_eq!(cell.trim(), cell, "untrimmed cell in {r:?}");
            assert!(!cell.is_empty(), "empty cell kept in {r:?}");
            assert!(cell.chars().count() <= MAX_CELL);
            assert!(!cell.chars().any(char::is_control), "{r:?}");
        }
        for y in [r.joined, r.left].into_iter().flatten() {
            assert!((1900..=2100).contains(&y), "{r:?}");
        }
        if let (Some(j), Some(l)) = (r.joined, r.left) {
            assert!(j <= l, "{r:?}");
        }
    }
    if parsed.rows.is_empty() {
        return;
    }
    let again = roster::parse(write(&parsed.rows).as_bytes());
    assert_eq!(again.errors, vec![], "rows written back were refused");
    let strip = |rows: &[RosterRow]| -> Vec<RosterRow> {
        rows.iter()
            .map(|r| RosterRow {
                line: 0,
                ..r.clone()
            })
            .collect()
    };
    assert_eq!(
        strip(&again.rows),
        strip(&parsed.rows),
        "rows changed on a round trip"
    );
}

/// The rows as a CSV with every cell quoted (RFC 4180).
fn write(rows: &[RosterRow]) -> String {
    let cell = |v: Option<&str>| format!("\"{}\"", v.unwrap_or_default().replace('"', "\"\""));
    let year = |y: Option<i32>| y.map(|y| y.to_string());
    let mut out = String::from("name,email,handle,department,joined,left\n");
    for r in rows {
        let cells = [
            cell(Some(&r.name)),
            cell(r.email.as_deref()),
            cell(r.handle.as_deref()),
            cell(r.department.as_deref()),
            cell(year(r.joined).as_deref()),
            cell(year(r.left).as_deref()),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}
