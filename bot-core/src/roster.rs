//! HR's roster of people who left: reading a CSV file (UTF-8 with or without BOM, or Excel's
//! Japanese Shift_JIS / CP932), mapping Japanese or English headers, validating each row with
//! its line number; and writing the member export (UTF-8 with BOM, so Excel reads Japanese).
//! Plain logic, no I/O.

use crate::domain::{Field, JoinStatus, Member, Role};
use crate::i18n::{self, Locale};
use crate::store::RosterEntry;

/// Longest text a roster cell may hold.
pub const MAX_CELL: usize = 200;

/// One valid roster row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// The line it was read from (the header is line 1).
    pub line: u64,
    pub name: String,
    pub email: Option<String>,
    pub handle: Option<String>,
    pub department: Option<String>,
    pub joined: Option<i32>,
    pub left: Option<i32>,
    /// The role joining gives them (`member` unless the file says `employee` or `supporter`).
    pub role: Role,
}

/// Roles a roster row may give: never `admin` (HR's file makes no one an admin).
pub const ROSTER_ROLES: &[Role] = &[Role::Member, Role::Employee, Role::Supporter];

impl RosterRow {
    /// What identifies a person across imports: email, else handle, else name and years.
    pub fn key(&self) -> String {
        if let Some(e) = &self.email {
            return format!("email:{}", e.to_lowercase());
        }
        if let Some(h) = &self.handle {
            return format!("handle:{}", h.to_lowercase());
        }
        format!(
            "name:{}:{}:{}",
            self.name,
            self.joined.unwrap_or(0),
            self.left.unwrap_or(0)
        )
    }
}

/// Why a row (or the file) was refused: a message key and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl RowError {
    fn new(line: u64, key: &'static str) -> RowError {
        RowError {
            line,
            key,
            args: Vec::new(),
        }
    }

    fn arg(mut self, name: &'static str, value: impl Into<String>) -> RowError {
        self.args.push((name, value.into()));
        self
    }

    pub fn render(&self, locale: Locale) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        i18n::t(
            locale,
            "roster.line",
            &[
                ("line", &self.line.to_string()),
                ("reason", &i18n::t(locale, self.key, &args)),
            ],
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub rows: Vec<RosterRow>,
    pub errors: Vec<RowError>,
    /// The file was Shift_JIS (CP932), not UTF-8.
    pub shift_jis: bool,
}

/// UTF-8 (a BOM is dropped) when the bytes are valid UTF-8, else CP932 (Excel's "CSV" in
/// Japanese Windows). Returns the text and whether it was Shift_JIS.
pub fn decode(bytes: &[u8]) -> (String, bool) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), false),
        Err(_) => {
            // encoding_rs's Shift_JIS is the WHATWG one, which is CP932 (NEC/IBM extensions).
            let (text, _, _) = encoding_rs::SHIFT_JIS.decode(bytes);
            (text.into_owned(), true)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Email,
    Handle,
    Department,
    Joined,
    Left,
    Role,
}

/// Header names HR files use, in Japanese and English (compared trimmed and lowercased,
/// spaces and underscores removed).
fn column(header: &str) -> Option<Column> {
    let h: String = header
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '　'))
        .collect();
    Some(match h.as_str() {
        "名前" | "氏名" | "お名前" | "name" | "fullname" => Column::Name,
        "メール" | "メールアドレス" | "eメール" | "email" | "e-mail" | "mail" => {
            Column::Email
        }
        "ハンドル" | "ユーザー名" | "アカウント" | "handle" | "username" | "user" | "slack"
        | "discord" => Column::Handle,
        "部署" | "所属" | "部門" | "department" | "dept" => Column::Department,
        "入社" | "入社年" | "入社日" | "joined" | "joinedyear" | "hired" => Column::Joined,
        "退職" | "退職年" | "退職日" | "left" | "leftyear" => Column::Left,
        "ロール" | "役割" | "区分" | "種別" | "role" | "type" => Column::Role,
        _ => return None,
    })
}

/// A year from `2015`, `2015-04-01`, `2015/4/1` or `2015年4月`.
fn year(value: &str) -> Option<i32> {
    let digits: String = value
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            _ => c,
        })
        .take_while(char::is_ascii_digit)
        .collect();
    let rest = value.trim().chars().nth(digits.chars().count());
    if digits.len() != 4 || !matches!(rest, None | Some('-' | '/' | '年' | '.')) {
        return None;
    }
    digits.parse().ok().filter(|y| (1900..=2100).contains(y))
}

/// Read a roster file. Every bad row is reported with its line; good rows are returned
/// either way (the caller decides: all or nothing, or `--skip-bad`).
pub fn parse(bytes: &[u8]) -> Parsed {
    let (text, shift_jis) = decode(bytes);
    // The csv crate counts a CRLF header as no line at all, and lines ended by a lone CR
    // (Excel for Mac's "CSV (Macintosh)") not at all; with LF endings its line numbers are
    // the ones Excel and editors show. A CR inside a cell was refused as a control character
    // before and still is, as LF.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = Parsed {
        shift_jis,
        ..Parsed::default()
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(_) => {
            out.errors.push(RowError::new(1, "roster.err.not_csv"));
            return out;
        }
    };
    let columns: Vec<Option<Column>> = headers.iter().map(column).collect();
    if !columns.contains(&Some(Column::Name)) {
        out.errors.push(
            RowError::new(1, "roster.err.no_name_column")
                .arg("columns", headers.iter().collect::<Vec<_>>().join(", ")),
        );
        return out;
    }
    let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                out.errors.push(RowError::new(line, "roster.err.not_csv"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        match row(line, &columns, &record) {
            Ok(r) => {
                let key = r.key();
                if let Some(first) = seen.get(&key) {
                    out.errors.push(
                        RowError::new(line, "roster.err.duplicate").arg("first", first.to_string()),
                    );
                } else {
                    seen.insert(key, line);
                    out.rows.push(r);
                }
            }
            Err(e) => out.errors.push(e),
        }
    }
    if out.rows.is_empty() && out.errors.is_empty() {
        out.errors.push(RowError::new(1, "roster.err.empty"));
    }
    out
}

fn row(
    line: u64,
    columns: &[Option<Column>],
    record: &csv::StringRecord,
) -> Result<RosterRow, RowError> {
    let mut r = RosterRow {
        line,
        name: String::new(),
        email: None,
        handle: None,
        department: None,
        joined: None,
        left: None,
        role: Role::Member,
    };
    for (col, cell) in columns.iter().zip(record.iter()) {
        let Some(col) = col else { continue };
        let cell = unneutralized(cell.trim());
        if cell.is_empty() {
            continue;
        }
        let header = column_name(*col);
        if cell.chars().count() > MAX_CELL {
            return Err(RowError::new(line, "roster.err.too_long")
                .arg("column", header)
                .arg("max", MAX_CELL.to_string()));
        }
        if cell.chars().any(char::is_control) {
            return Err(RowError::new(line, "roster.err.bad_characters").arg("column", header));
        }
        let text = Some(cell.to_owned());
        match col {
            Column::Name => r.name = cell.to_owned(),
            Column::Email => {
                let ok = cell.split_once('@').is_some_and(|(a, d)| {
                    !a.is_empty() && d.contains('.') && !cell.contains(char::is_whitespace)
                });
                if !ok {
                    return Err(RowError::new(line, "roster.err.bad_email").arg("value", cell));
                }
                r.email = text;
            }
            Column::Handle => {
                // `@ ann` is `ann`; a lone `@` is no handle (as an empty one it made every
                // such row the same person, so the second was refused as a duplicate).
                let handle = cell.trim_start_matches(|c: char| c == '@' || c.is_whitespace());
                r.handle = (!handle.is_empty()).then(|| handle.to_owned());
            }
            Column::Department => r.department = text,
            Column::Role => {
                r.role = roster_role(cell)
                    .ok_or_else(|| RowError::new(line, "roster.err.bad_role").arg("value", cell))?;
            }
            Column::Joined | Column::Left => {
                let y = year(cell).ok_or_else(|| {
                    RowError::new(line, "roster.err.bad_year")
                        .arg("column", header)
                        .arg("value", cell)
                })?;
                if *col == Column::Joined {
                    r.joined = Some(y);
                } else {
                    r.left = Some(y);
                }
            }
        }
    }
    if r.name.is_empty() {
        return Err(RowError::new(line, "roster.err.missing_name"));
    }
    if let (Some(j), Some(l)) = (r.joined, r.left)
        && l < j
    {
        return Err(RowError::new(line, "roster.err.left_before_joined"));
    }
    Ok(r)
}

fn column_name(c: Column) -> &'static str {
    match c {
        Column::Name => "name",
        Column::Email => "email",
        Column::Handle => "handle",
        Column::Department => "department",
        Column::Joined => "joined",
        Column::Left => "left",
        Column::Role => "role",
    }
}

/// A role cell: the English word or HR's Japanese for it.
fn roster_role(cell: &str) -> Option<Role> {
    let role = match cell.trim() {
        "メンバー" | "会員" | "卒業生" | "OB" | "OG" | "OB・OG" => Role::Member,
        "社員" | "従業員" | "現役社員" => Role::Employee,
        "サポーター" => Role::Supporter,
        other => other.parse().ok()?,
    };
    ROSTER_ROLES.contains(&role).then_some(role)
}

/// Cell starts a spreadsheet runs as a formula (OWASP's CSV injection list, and the
/// full-width forms Japanese input produces).
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// Whether `cell`, past any leading quotes, starts like a formula.
fn quoted_formula(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// A cell Excel would run as a formula, prefixed with `'` so it shows as text (OWASP's rule).
/// A cell that already reads `'=…` gets one more quote, so [`unneutralized`] undoes exactly
/// what this added.
fn neutralized(cell: String) -> String {
    if quoted_formula(&cell) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// An imported cell as it was before [`neutralized`] (or HR's own `'` in Excel) quoted it.
fn unneutralized(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if quoted_formula(rest) => rest,
        _ => cell,
    }
}

/// The export's columns: what a roster import reads back, then the other shared fields.
const EXPORT_FIELDS: &[Field] = &[
    Field::Department,
    Field::Joined,
    Field::Left,
    Field::Company,
    Field::Title,
    Field::Industry,
    Field::Location,
    Field::Skills,
    Field::Interests,
    Field::OpenTo,
];

/// Members and the fields they share (hidden ones left empty), as CSV with a UTF-8 BOM.
/// Headers are in `locale`; a roster import reads them back in either language.
pub fn export_csv(locale: Locale, members: &[Member]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut header = vec![
        i18n::t(locale, "roster.col.name", &[]),
        i18n::t(locale, "roster.col.handle", &[]),
    ];
    header.extend(EXPORT_FIELDS.iter().map(|f| match f {
        Field::Department => i18n::t(locale, "roster.col.department", &[]),
        Field::Joined => i18n::t(locale, "roster.col.joined", &[]),
        Field::Left => i18n::t(locale, "roster.col.left", &[]),
        other => other.as_str().to_owned(),
    }));
    // Writing to a Vec cannot fail.
    let _ = w.write_record(&header);
    for m in members {
        let p = m.profile.visible(&m.hidden);
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let year = |v: Option<i32>| v.map(|y| y.to_string()).unwrap_or_default();
        let mut rec = vec![p.name.clone(), m.handle.clone()];
        for f in EXPORT_FIELDS {
            rec.push(match f {
                Field::Department => opt(&p.department),
                Field::Joined => year(p.joined),
                Field::Left => year(p.left),
                Field::Company => opt(&p.company),
                Field::Title => opt(&p.title),
                Field::Industry => opt(&p.industry),
                Field::Location => opt(&p.location),
                Field::Skills => p.skills.join(", "),
                Field::Interests => p.interests.join(", "),
                Field::OpenTo => p
                    .open_to
                    .iter()
                    .map(|o| o.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                Field::Bio => opt(&p.bio),
            });
        }
        let _ = w.write_record(rec.into_iter().map(neutralized));
    }
    with_bom(w)
}

/// The written CSV after a UTF-8 BOM, so Excel reads Japanese.
fn with_bom(w: csv::Writer<Vec<u8>>) -> String {
    let body = w.into_inner().unwrap_or_default();
    format!("\u{FEFF}{}", String::from_utf8_lossy(&body))
}

/// HR's roster for a mail merge: every row given, with where its person stands and their
/// invite code (`XXXXX-XXXXX`; empty once used), as CSV with a UTF-8 BOM and formula-safe
/// cells. Headers are in `locale`; [`parse`] reads the file back as a roster (status and code
/// are not roster columns and are passed over).
pub fn export_roster_csv(locale: Locale, rows: &[RosterEntry]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let header = [
        "name",
        "email",
        "handle",
        "department",
        "joined",
        "left",
        "role",
        "status",
        "code",
    ]
    .map(|c| i18n::t(locale, &format!("roster.col.{c}"), &[]));
    // Writing to a Vec cannot fail.
    let _ = w.write_record(&header);
    for r in rows {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let year = |v: Option<i32>| v.map(|y| y.to_string()).unwrap_or_default();
        let status = JoinStatus::of(r.member_status);
        let rec = [
            r.name.clone(),
            opt(&r.email),
            opt(&r.handle),
            opt(&r.department),
            year(r.joined),
            year(r.left),
            r.role.as_str().to_owned(),
            i18n::t(locale, &format!("join_status.{}", status.as_str()), &[]),
            r.code
                .as_deref()
                .map(crate::invite_code::display)
                .unwrap_or_default(),
        ];
        let _ = w.write_record(rec.into_iter().map(neutralized));
    }
    with_bom(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_japanese_headers_in_shift_jis_and_english_with_bom() {
        let csv = "氏名,メールアドレス,部署,入社日,退職日\n佐藤 洋介,sato@example.com,開発部,2015/4/1,2021年3月\n";
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(csv);
        let p = parse(&sjis);
        assert!(p.shift_jis);
        assert_eq!(p.errors, vec![]);
        assert_eq!(p.rows[0].name, "佐藤 洋介");
        assert_eq!(p.rows[0].department.as_deref(), Some("開発部"));
        assert_eq!((p.rows[0].joined, p.rows[0].left), (Some(2015), Some(2021)));
        let en = "\u{FEFF}Name,Email,Handle,Joined,Left\nAnn Lee,ann@example.com,@ann,2010,2019\n";
        let p = parse(en.as_bytes());
        assert!(!p.shift_jis);
        assert_eq!(p.rows[0].handle.as_deref(), Some("ann"));
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let csv = "name,email,joined,left\r\nA,a@x.jp,2010,2012\n,b@x.jp,,\nC,not-mail,,\nD,,20x0,\nE,,2015,2011\nF,a@x.jp,,\n";
        let p = parse(csv.as_bytes());
        let got: Vec<(u64, &str)> = p.errors.iter().map(|e| (e.line, e.key)).collect();
        assert_eq!(
            got,
            vec![
                (3, "roster.err.missing_name"),
                (4, "roster.err.bad_email"),
                (5, "roster.err.bad_year"),
                (6, "roster.err.left_before_joined"),
                (7, "roster.err.duplicate"),
            ]
        );
        assert_eq!(p.rows.len(), 1);
        assert!(p.errors[2].render(Locale::Ja).contains("5 行目"));
    }

    /// Found by the `csv_import` fuzz target: every row of a CR-only file said line 1.
    #[test]
    fn lines_ended_by_a_lone_cr_are_numbered() {
        let p = parse(b"name,joined\rAnn,2010\rBob,20x0\r");
        assert_eq!(p.rows.len(), 1);
        assert_eq!((p.rows[0].name.as_str(), p.rows[0].line), ("Ann", 2));
        assert_eq!(
            (p.errors[0].key, p.errors[0].line),
            ("roster.err.bad_year", 3)
        );
    }

    /// Found by the `csv_import` fuzz target.
    #[test]
    fn a_lone_at_sign_is_no_handle_and_spaces_after_it_are_dropped() {
        let p = parse("name,handle\nAnn,@\nBob,\"@\"\nCy,@ cy\nDee,@ @dee\n".as_bytes());
        assert_eq!(p.errors, vec![]);
        let handles: Vec<Option<&str>> = p.rows.iter().map(|r| r.handle.as_deref()).collect();
        assert_eq!(handles, vec![None, None, Some("cy"), Some("dee")]);
    }

    #[test]
    fn formula_cells_are_quoted_and_read_back_as_they_were() {
        for v in [
            "=1+2", "+81", "-x", "@h", "\tx", "＝1", "'=1", "''@x", "'plain", "a=b", "'",
        ] {
            let out = neutralized(v.to_owned());
            assert!(!out.starts_with(FORMULA_STARTS), "{v}: {out}");
            assert_eq!(unneutralized(&out), v);
        }
        assert_eq!(neutralized("=1".into()), "'=1");
        assert_eq!(neutralized("a=b".into()), "a=b");
        // HR's own Excel-quoted cell reads as its value.
        assert_eq!(unneutralized("'=1"), "=1");
    }

    #[test]
    fn a_file_without_a_name_column_is_refused() {
        let p = parse("email\nx@y.jp\n".as_bytes());
        assert_eq!(p.errors[0].key, "roster.err.no_name_column");
        assert!(p.rows.is_empty());
    }
}
