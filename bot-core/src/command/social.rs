//! `/intro …` and `/coffee …`.

use super::MemberRef;
use super::args::{Args, MAX_BIO};
use super::lexer::Token;
use crate::error::UserError;
use crate::time;

#[derive(Debug, Clone, PartialEq)]
pub enum Intro {
    /// `/intro @name why:"…"` (one member) or `/intro @a @b why:"…"` (connect two).
    Request {
        members: Vec<MemberRef>,
        why: String,
    },
    List,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CoffeeSetup {
    pub every_days: i64,
    /// 0 = Monday.
    pub weekday: u32,
    pub at_time: String,
    pub size: usize,
    pub mix_alumni_employee: bool,
    pub avoid_same_department: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Coffee {
    Join,
    Leave,
    /// Paused through this day, as typed (`2027-01-31`, `1月31日`, `来週金曜`): read in the
    /// member's zone by the core, which has the clock.
    Pause(String),
    Status,
    Setup(CoffeeSetup),
}

pub(crate) fn parse_intro(mut tokens: Vec<Token>) -> Result<Intro, UserError> {
    if matches!(tokens.first(), Some(Token::Word(w)) if w.eq_ignore_ascii_case("list")) {
        tokens.remove(0);
        Args::for_sub(super::spec::select("intro", "list", None)?, tokens)?.finish()?;
        return Ok(Intro::List);
    }
    let mut args = Args::for_sub(super::spec::select("intro", "", None)?, tokens)?;
    let mut members = Vec::new();
    while let Some(m) = args.mention() {
        members.push(m);
    }
    if members.is_empty() {
        return Err(args.err("error.missing_member"));
    }
    if members.len() > 2 {
        return Err(args
            .err("error.unexpected")
            .arg("text", format!("@{}", members[2].name)));
    }
    if members.len() == 2 && members[0] == members[1] {
        return Err(args.err("error.same_member"));
    }
    let why = args.require("why")?;
    let why = args
        .text("why", why, MAX_BIO)?
        .ok_or_else(|| args.err("error.missing_key").arg("key", "why"))?;
    args.finish()?;
    Ok(Intro::Request { members, why })
}

pub(crate) fn parse_coffee(mut tokens: Vec<Token>) -> Result<Coffee, UserError> {
    let sub = match tokens.first() {
        Some(Token::Word(w)) => w.to_lowercase(),
        _ => "status".to_owned(),
    };
    if !tokens.is_empty() {
        tokens.remove(0);
    }
    let spec = super::spec::select("coffee", &sub, None)?;
    let mut args = Args::for_sub(spec, tokens)?;
    let coffee = match sub.as_str() {
        "join" => Coffee::Join,
        "leave" => Coffee::Leave,
        "status" => Coffee::Status,
        "pause" => Coffee::Pause(args.require("until")?),
        "setup" => Coffee::Setup(setup(&mut args)?),
        _ => unreachable!("matched above"),
    };
    args.finish()?;
    Ok(coffee)
}

fn setup(args: &mut Args) -> Result<CoffeeSetup, UserError> {
    let every = args.take("every").unwrap_or_else(|| "2w".to_owned());
    let every_days = match time::parse_duration(&every) {
        Some(d) if d.num_days() >= 1 && d.num_days() <= 90 && d.num_hours() % 24 == 0 => {
            d.num_days()
        }
        _ => return Err(args.err("error.bad_every").arg("value", every)),
    };
    let day = args.take("day").unwrap_or_else(|| "mon".to_owned());
    let weekday = match day.trim().to_lowercase().as_str() {
        "mon" | "monday" | "月" => 0,
        "tue" | "tuesday" | "火" => 1,
        "wed" | "wednesday" | "水" => 2,
        "thu" | "thursday" | "木" => 3,
        "fri" | "friday" | "金" => 4,
        "sat" | "saturday" | "土" => 5,
        "sun" | "sunday" | "日" => 6,
        _ => {
            return Err(args
                .err("error.bad_choice")
                .arg("key", "day")
                .arg("value", day.clone())
                .arg("choices", "mon, tue, wed, thu, fri, sat, sun"));
        }
    };
    let at_time = args.take("time").unwrap_or_else(|| "10:00".to_owned());
    let valid_time = at_time
        .split_once(':')
        .and_then(|(h, m)| Some((h.parse::<u32>().ok()?, m.parse::<u32>().ok()?)))
        .is_some_and(|(h, m)| h < 24 && m < 60 && at_time.len() <= 5);
    if !valid_time {
        return Err(args.err("error.bad_time_of_day").arg("value", at_time));
    }
    let size = match args.take("size") {
        Some(s) => match s.trim().parse::<usize>() {
            Ok(n) if (2..=4).contains(&n) => n,
            _ => {
                return Err(args
                    .err("error.bad_choice")
                    .arg("key", "size")
                    .arg("value", s)
                    .arg("choices", "2, 3, 4"));
            }
        },
        None => 2,
    };
    let mix = match args.take("mix") {
        Some(v) if v.trim() == "alumni-employee" => true,
        Some(v) if matches!(v.trim(), "none" | "off") => false,
        Some(v) => {
            return Err(args
                .err("error.bad_choice")
                .arg("key", "mix")
                .arg("value", v)
                .arg("choices", "alumni-employee, none"));
        }
        None => false,
    };
    let avoid = match args.take("avoid") {
        Some(v) if v.trim() == "same-department" => true,
        Some(v) if matches!(v.trim(), "none" | "off") => false,
        Some(v) => {
            return Err(args
                .err("error.bad_choice")
                .arg("key", "avoid")
                .arg("value", v)
                .arg("choices", "same-department, none"));
        }
        None => false,
    };
    Ok(CoffeeSetup {
        every_days,
        weekday,
        at_time: format!("{:0>5}", at_time.trim()),
        size,
        mix_alumni_employee: mix,
        avoid_same_department: avoid,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Command, parse};
    use super::*;

    #[test]
    fn intros_and_coffee() {
        assert_eq!(
            parse("/intro @bob why:\"同じ Rust 好き\"").unwrap(),
            Command::Intro(Intro::Request {
                members: vec![MemberRef {
                    name: "bob".into(),
                    by_id: false
                }],
                why: "同じ Rust 好き".into()
            })
        );
        assert_eq!(parse("/intro list").unwrap(), Command::Intro(Intro::List));
        assert_eq!(parse("/intro @bob").unwrap_err().key, "error.missing_key");
        assert_eq!(
            parse("/intro @bob @bob why:x").unwrap_err().key,
            "error.same_member"
        );
        assert_eq!(
            parse("/coffee pause until:2027-01-31").unwrap(),
            Command::Coffee(Coffee::Pause("2027-01-31".into()))
        );
        assert_eq!(parse("/coffee pause").unwrap_err().key, "error.missing_key");
        let Command::Coffee(Coffee::Setup(s)) = parse("/coffee setup every:2w day:mon time:9:30 size:2 mix:alumni-employee avoid:same-department").unwrap() else { panic!() };
        assert_eq!(
            (
                s.every_days,
                s.weekday,
                s.at_time.as_str(),
                s.size,
                s.mix_alumni_employee,
                s.avoid_same_department
            ),
            (14, 0, "09:30", 2, true, true)
        );
        assert_eq!(
            parse("/coffee setup size:9").unwrap_err().key,
            "error.bad_choice"
        );
        assert_eq!(
            parse("/coffee setup time:25:00").unwrap_err().key,
            "error.bad_time_of_day"
        );
    }
}
