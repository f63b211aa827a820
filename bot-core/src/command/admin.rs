//! `/admin …`: HR's tools (the stated purpose, the audit log, the roster).
//! `import`'s file comes from the adapter (an attached CSV), never from the text.

use super::args::{Args, MAX_BIO};
use super::lexer::Token;
use crate::domain::JoinStatus;
use crate::error::UserError;

#[derive(Debug, Clone, PartialEq)]
pub enum Admin {
    /// Show the community's stated purpose, or (with text) publish a new version of it.
    Purpose(Option<String>),
    /// The audit log, newest first.
    Audit {
        page: u32,
    },
    /// Import HR's roster from a CSV file the adapter attached (`None`: nothing attached).
    Import {
        csv: Option<Vec<u8>>,
        skip_bad: bool,
    },
    /// Members and their shared fields as a CSV file.
    Export,
    /// HR's roster with each row's status and invite code (only `status`'s rows, if given).
    ExportRoster {
        status: Option<JoinStatus>,
    },
    /// The roster's funnel and a page of who has not joined.
    Roster {
        page: u32,
    },
    /// Save a directory search under a name; `query` is what follows `/alumni search`.
    SegmentSave {
        name: String,
        query: String,
    },
    SegmentList,
    /// Figures and a PNG chart.
    Stats,
    /// Preview a message to a segment; a button sends it.
    Broadcast {
        segment: String,
        message: String,
    },
}

pub(crate) fn parse(mut tokens: Vec<Token>) -> Result<Admin, UserError> {
    let sub = match tokens.first() {
        Some(Token::Word(w)) => w.to_lowercase(),
        _ => String::new(),
    };
    let spec = super::spec::select("admin", &sub, tokens.get(1))?;
    tokens.remove(0);
    if sub == "segment" {
        return segment(tokens);
    }
    let mut args = Args::for_sub(spec, tokens)?;
    let command = match sub.as_str() {
        "purpose" => match args.take("text") {
            Some(t) => Admin::Purpose(Some(
                args.text("text", t, MAX_BIO)?
                    .ok_or_else(|| args.err("error.missing_key").arg("key", "text"))?,
            )),
            None => Admin::Purpose(None),
        },
        "audit" => Admin::Audit {
            page: page(&mut args)?,
        },
        "roster" => Admin::Roster {
            page: page(&mut args)?,
        },
        "import" => {
            let skip_bad = match args.take("skip_bad") {
                Some(v) => args.yes_no("skip_bad", &v)?,
                None => false,
            };
            Admin::Import {
                csv: None,
                skip_bad,
            }
        }
        "export" => {
            let status = match args.take("status") {
                Some(v) => Some(args.one_of("status", &v, JoinStatus::ALL, JoinStatus::as_str)?),
                None => None,
            };
            match args.word().or_else(|| args.take("what")).as_deref() {
                None | Some("members") if status.is_none() => Admin::Export,
                None | Some("members") => {
                    return Err(args.err("error.status_needs_roster"));
                }
                Some("roster") => Admin::ExportRoster { status },
                Some(other) => {
                    return Err(args
                        .err("error.bad_choice")
                        .arg("key", "what")
                        .arg("value", other)
                        .arg("choices", "members, roster"));
                }
            }
        }
        "stats" => Admin::Stats,
        "broadcast" => {
            let segment = args.require("segment")?;
            let message = args.require("message")?;
            let message = args
                .text("message", message, MAX_BIO)?
                .ok_or_else(|| args.err("error.missing_key").arg("key", "message"))?;
            Admin::Broadcast {
                segment: segment.trim().to_owned(),
                message,
            }
        }
        _ => unreachable!("matched above"),
    };
    args.finish()?;
    Ok(command)
}

/// `page:N`, 1 if not given.
fn page(args: &mut Args) -> Result<u32, UserError> {
    match args.take("page") {
        Some(p) => match p.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(args.err("error.bad_page").arg("value", p)),
        },
        None => Ok(1),
    }
}

/// `segment save NAME query…` / `segment list`. The query is checked with `/alumni search`'s
/// own grammar and kept as text, so a segment always means what that search means.
fn segment(mut tokens: Vec<Token>) -> Result<Admin, UserError> {
    let verb = match tokens.first() {
        Some(Token::Word(w)) => w.to_lowercase(),
        _ => String::new(),
    };
    match verb.as_str() {
        "list" => {
            tokens.remove(0);
            Args::new("admin.segment", tokens, &[])?.finish()?;
            Ok(Admin::SegmentList)
        }
        "save" => {
            tokens.remove(0);
            let name = match tokens.first() {
                Some(Token::Word(w)) if !w.trim().is_empty() => w.trim().to_owned(),
                _ => {
                    return Err(UserError::new("error.missing_key")
                        .arg("key", "NAME")
                        .usage("admin.segment"));
                }
            };
            if name.chars().count() > MAX_SEGMENT_NAME {
                return Err(UserError::new("error.too_long")
                    .arg("key", "NAME")
                    .arg("max", MAX_SEGMENT_NAME.to_string())
                    .arg("len", name.chars().count().to_string())
                    .usage("admin.segment"));
            }
            tokens.remove(0);
            let query = tokens
                .iter()
                .map(|t| match t {
                    Token::Word(w) => quote(w),
                    Token::Pair(k, v) => format!("{k}:{}", quote(v)),
                    Token::Mention { name, .. } => format!("@{name}"),
                    Token::Channel(c) => format!("#{c}"),
                })
                .collect::<Vec<_>>()
                .join(" ");
            match super::parse(&format!("/alumni search {query}"))? {
                super::Command::Alumni(super::Alumni::Search { page: 1, .. })
                    if !query.contains("page:") =>
                {
                    Ok(Admin::SegmentSave { name, query })
                }
                _ => Err(UserError::new("error.unknown_key")
                    .arg("key", "page")
                    .usage("admin.segment")),
            }
        }
        _ => Err(UserError::new("error.unknown_subcommand")
            .arg("command", "/admin segment")
            .arg("sub", verb)
            .arg("choices", "save, list")
            .usage("admin.segment")),
    }
}

/// Longest segment name.
const MAX_SEGMENT_NAME: usize = 50;

/// Writes a value back so the lexer reads it unchanged: quoted (with `\` before quotes, curly
/// ones too, and backslashes) unless it is plain, since a bare word can turn into something
/// else (`a:b` a key, `@a` a mention, `"` an open quote).
fn quote(s: &str) -> String {
    let special = |c: char| matches!(c, '"' | '“' | '”' | '\\');
    let plain = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '\'');
    if s.is_empty() || !s.chars().all(plain) {
        let mut out = String::from("\"");
        for c in s.chars() {
            if special(c) {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Command, parse as parse_line};

    fn admin(line: &str) -> Result<Admin, UserError> {
        match parse_line(line)? {
            Command::Admin(a) => Ok(a),
            other => panic!("not /admin: {other:?}"),
        }
    }

    #[test]
    fn reads_purpose_audit_and_roster_commands() {
        assert_eq!(admin("/admin purpose").unwrap(), Admin::Purpose(None));
        assert_eq!(
            admin("/admin purpose text:\"再雇用と交流のため\"").unwrap(),
            Admin::Purpose(Some("再雇用と交流のため".into()))
        );
        assert_eq!(
            admin("/admin audit page:2").unwrap(),
            Admin::Audit { page: 2 }
        );
    }

    #[test]
    fn refuses_unknown_subcommands_keys_and_bad_pages() {
        assert_eq!(
            admin("/admin nuke").unwrap_err().key,
            "error.unknown_subcommand"
        );
        assert_eq!(
            admin("/admin audit page:0").unwrap_err().key,
            "error.bad_page"
        );
        assert_eq!(
            admin("/admin audit to:x").unwrap_err().key,
            "error.unknown_key"
        );
        assert_eq!(
            admin("/admin purpose text:\"\"").unwrap_err().key,
            "error.missing_key"
        );
    }
}
