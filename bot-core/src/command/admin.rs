//! `/admin …`: HR's tools (the stated purpose, the audit log, the roster).
//! `import`'s file comes from the adapter (an attached CSV), never from the text.

use super::args::{Args, MAX_BIO};
use super::lexer::Token;
use crate::error::UserError;

#[derive(Debug, Clone, PartialEq)]
pub enum Admin {
    /// Show the community's stated purpose, or (with text) publish a new version of it.
    Purpose(Option<String>),
    /// The audit log, newest first.
    Audit { page: u32 },
    /// Import HR's roster from a CSV file the adapter attached (`None`: nothing attached).
    Import {
        csv: Option<Vec<u8>>,
        skip_bad: bool,
    },
    /// Members and their shared fields as a CSV file.
    Export,
}

pub const SUBCOMMANDS: &[&str] = &["purpose", "audit", "import", "export"];

pub(crate) fn parse(mut tokens: Vec<Token>) -> Result<Admin, UserError> {
    let sub = match tokens.first() {
        Some(Token::Word(w)) => w.to_lowercase(),
        _ => {
            return Err(UserError::new("error.unknown_subcommand")
                .arg("command", "/admin")
                .arg("sub", "")
                .arg("choices", SUBCOMMANDS.join(", "))
                .usage("admin.purpose"));
        }
    };
    tokens.remove(0);
    let (usage, keys): (&'static str, &[&str]) = match sub.as_str() {
        "purpose" => ("admin.purpose", &["text"]),
        "audit" => ("admin.audit", &["page"]),
        "import" => ("admin.import", &["skip_bad"]),
        "export" => ("admin.export", &[]),
        _ => {
            return Err(UserError::new("error.unknown_subcommand")
                .arg("command", "/admin")
                .arg("sub", sub)
                .arg("choices", SUBCOMMANDS.join(", "))
                .usage("admin.purpose"));
        }
    };
    let mut args = Args::new(usage, tokens, keys)?;
    let command = match sub.as_str() {
        "purpose" => match args.take("text") {
            Some(t) => Admin::Purpose(Some(
                args.text("text", t, MAX_BIO)?
                    .ok_or_else(|| args.err("error.missing_key").arg("key", "text"))?,
            )),
            None => Admin::Purpose(None),
        },
        "audit" => {
            let page = match args.take("page") {
                Some(p) => match p.parse::<u32>() {
                    Ok(n) if n >= 1 => n,
                    _ => return Err(args.err("error.bad_page").arg("value", p)),
                },
                None => 1,
            };
            Admin::Audit { page }
        }
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
        "export" => Admin::Export,
        _ => unreachable!("matched above"),
    };
    args.finish()?;
    Ok(command)
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
