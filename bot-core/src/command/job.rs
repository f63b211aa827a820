//! `/job …`: opportunities for alumni (rehire first: the first reason companies run alumni
//! networks).

use super::args::{Args, MAX_BIO, MAX_TEXT};
use super::lexer::Token;
use crate::domain::OpenTo;
use crate::error::UserError;

/// What kind of work an opportunity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Rehire,
    Contract,
    Project,
}

impl JobKind {
    pub const ALL: &'static [JobKind] = &[JobKind::Rehire, JobKind::Contract, JobKind::Project];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Rehire => "rehire",
            JobKind::Contract => "contract",
            JobKind::Project => "project",
        }
    }

    pub fn parse(s: &str) -> Option<JobKind> {
        JobKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// Which `open_to` values a member must have for this kind to fit them.
    pub fn fits(self, open_to: &[OpenTo]) -> bool {
        open_to.iter().any(|o| match self {
            JobKind::Rehire => *o == OpenTo::Rehire,
            JobKind::Contract | JobKind::Project => {
                matches!(o, OpenTo::SideProject | OpenTo::Partnership)
            }
        })
    }
}

impl std::str::FromStr for JobKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        JobKind::parse(&s.trim().to_ascii_lowercase()).ok_or(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobPost {
    pub title: String,
    pub kind: JobKind,
    pub details: Option<String>,
    /// Open until the end of this day, as typed (`2027-01-31`, `1月31日`, `来週金曜`): read by the core in
    /// the poster's zone.
    pub until: Option<String>,
    pub skills: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    Post(JobPost),
    List,
    Show(i64),
    Close(i64),
}

pub(crate) fn parse(mut tokens: Vec<Token>) -> Result<Job, UserError> {
    let sub = match tokens.first() {
        Some(Token::Word(w)) => w.to_lowercase(),
        _ => String::new(),
    };
    let spec = super::spec::select("job", &sub, None)?;
    tokens.remove(0);
    let mut args = Args::for_sub(spec, tokens)?;
    let job = match sub.as_str() {
        "post" => {
            let title = args.require("title")?;
            let title = args
                .text("title", title, MAX_TEXT)?
                .ok_or_else(|| args.err("error.missing_key").arg("key", "title"))?;
            let kind = args.require("type")?;
            let kind = args.one_of("type", &kind, JobKind::ALL, |k| k.as_str())?;
            let details = match args.take("details") {
                Some(d) => args.text("details", d, MAX_BIO)?,
                None => None,
            };
            let until = args.take("until");
            let skills = match args.take("skills") {
                Some(s) => args.list("skills", &s)?,
                None => Vec::new(),
            };
            Job::Post(JobPost {
                title,
                kind,
                details,
                until,
                skills,
            })
        }
        "list" => Job::List,
        "show" | "close" => {
            let word = args
                .word()
                .ok_or_else(|| args.err("error.missing_key").arg("key", "ID"))?;
            let id = word
                .trim_start_matches('#')
                .parse::<i64>()
                .map_err(|_| args.err("job.bad_id").arg("value", word.clone()))?;
            if sub == "show" {
                Job::Show(id)
            } else {
                Job::Close(id)
            }
        }
        _ => unreachable!("matched above"),
    };
    args.finish()?;
    Ok(job)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Command, parse as parse_line};

    fn job(line: &str) -> Result<Job, UserError> {
        match parse_line(line)? {
            Command::Job(j) => Ok(j),
            other => panic!("not /job: {other:?}"),
        }
    }

    #[test]
    fn reads_posts_and_ids() {
        assert_eq!(
            job("/job post title:\"Backend engineer\" type:rehire details:\"Rust, 福岡\" until:2027-01-31 skills:Rust,Go").unwrap(),
            Job::Post(JobPost {
                title: "Backend engineer".into(),
                kind: JobKind::Rehire,
                details: Some("Rust, 福岡".into()),
                until: Some("2027-01-31".into()),
                skills: vec!["Rust".into(), "Go".into()],
            })
        );
        assert_eq!(job("/job show 3").unwrap(), Job::Show(3));
        assert_eq!(job("/job close #3").unwrap(), Job::Close(3));
        assert_eq!(job("/job list").unwrap(), Job::List);
    }

    #[test]
    fn refuses_bad_types_dates_and_ids() {
        assert_eq!(
            job("/job post title:x type:intern").unwrap_err().key,
            "error.bad_choice"
        );
        assert_eq!(
            job("/job post type:rehire").unwrap_err().key,
            "error.missing_key"
        );
        assert_eq!(job("/job show x").unwrap_err().key, "job.bad_id");
    }
}
