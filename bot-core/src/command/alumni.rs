//! `/alumni …`: membership, profiles, the directory, roles, help, setup.

use super::args::{Args, MAX_BIO, MAX_NAME, MAX_TEXT};
use super::lexer::Token;
use super::{Alumni, CommunityPatch, FieldValue, ProfilePatch, spec};
use crate::domain::{Field, OpenTo, Role};
use crate::error::UserError;
use crate::i18n::Locale;
use crate::store::SearchQuery;

pub(crate) fn parse(mut tokens: Vec<Token>) -> Result<Alumni, UserError> {
    let sub = match tokens.first() {
        Some(Token::Word(w)) => w.to_lowercase(),
        _ => return Ok(Alumni::Help(None)),
    };
    let spec = spec::select("alumni", &sub, tokens.get(1))?;
    tokens.remove(0);
    let mut args = Args::for_sub(spec, tokens)?;
    let command = match sub.as_str() {
        "join" => {
            let agree = match args.take("agree") {
                Some(v) => args.yes_no("agree", &v)?,
                None => false,
            };
            let code = match args.take("code") {
                Some(c) => args.text("code", c, spec::MAX_CODE)?,
                None => None,
            };
            let mut patch = profile_patch(&mut args, true)?;
            patch.agree = agree;
            patch.code = code;
            Alumni::Join(patch)
        }
        "pending" => Alumni::Pending,
        "approve" => Alumni::Approve(args.require_mention()?),
        "reject" => {
            let member = args.require_mention()?;
            let reason = match args.take("reason") {
                Some(r) => args.text("reason", r, MAX_BIO)?,
                None => None,
            };
            Alumni::Reject { member, reason }
        }
        "profile" => profile(&mut args)?,
        "search" => search(&mut args)?,
        "role" => {
            let member = args.require_mention()?;
            let word = args
                .word()
                .or_else(|| args.take("role"))
                .ok_or_else(|| args.err("error.missing_key").arg("key", "role"))?;
            let role = args.one_of("role", &word, Role::ALL, Role::as_str)?;
            Alumni::Role { member, role }
        }
        "leave" => {
            let delete = match args.take("delete") {
                Some(v) => args.yes_no("delete", &v)?,
                None => false,
            };
            Alumni::Leave { delete }
        }
        "help" => Alumni::Help(args.word().map(|w| w.to_lowercase())),
        "setup" => setup(&mut args)?,
        "block" => Alumni::Block(args.require_mention()?),
        "unblock" => Alumni::Unblock(args.require_mention()?),
        "mydata" => Alumni::MyData,
        "agree" => Alumni::Agree,
        "notify" => {
            let word = args
                .word()
                .ok_or_else(|| args.err("error.missing_key").arg("key", "on|off"))?;
            Alumni::Notify(args.yes_no("notify", &word)?)
        }
        _ => unreachable!("matched above"),
    };
    args.finish()?;
    Ok(command)
}

fn profile(args: &mut Args) -> Result<Alumni, UserError> {
    // `profile @name` or `profile` alone; else a verb.
    if let Some(member) = args.mention() {
        return Ok(Alumni::Profile(Some(member)));
    }
    let Some(verb) = args.word() else {
        return Ok(Alumni::Profile(None));
    };
    match verb.to_lowercase().as_str() {
        "set" => {
            let patch = profile_patch(args, false)?;
            if patch == ProfilePatch::default() {
                return Err(args.err("error.nothing_to_set"));
            }
            Ok(Alumni::ProfileSet(patch))
        }
        verb @ ("hide" | "show") => {
            let list = args.rest_text();
            if list.trim().is_empty() {
                return Err(args.err("error.missing_fields"));
            }
            let fields = args.choices("fields", &list, Field::ALL, Field::as_str)?;
            Ok(if verb == "hide" {
                Alumni::ProfileHide(fields)
            } else {
                Alumni::ProfileShow(fields)
            })
        }
        _ => Err(args.err("error.unexpected").arg("text", verb)),
    }
}

/// The profile keys shared by `join` and `profile set`.
fn profile_patch(args: &mut Args, joining: bool) -> Result<ProfilePatch, UserError> {
    let mut patch = ProfilePatch::default();
    let name = if joining {
        Some(args.require("name")?)
    } else {
        args.take("name")
    };
    if let Some(name) = name {
        patch.name = Some(
            args.text("name", name, MAX_NAME)?
                .ok_or_else(|| args.err("error.missing_key").arg("key", "name"))?,
        );
    }
    for field in Field::ALL {
        let Some(value) = args.take(field.as_str()) else {
            continue;
        };
        let key = field.as_str();
        patch.fields.push(match field {
            Field::Joined | Field::Left => FieldValue::Year(*field, args.year(key, &value)?),
            Field::Skills | Field::Interests => FieldValue::List(*field, args.list(key, &value)?),
            Field::OpenTo => {
                FieldValue::OpenTo(args.choices(key, &value, OpenTo::ALL, OpenTo::as_str)?)
            }
            Field::Bio => FieldValue::Text(*field, args.text(key, value, MAX_BIO)?),
            _ => FieldValue::Text(*field, args.text(key, value, MAX_TEXT)?),
        });
    }
    let years = |f: Field| {
        patch.fields.iter().find_map(|v| match v {
            FieldValue::Year(g, y) if *g == f => *y,
            _ => None,
        })
    };
    if let (Some(joined), Some(left)) = (years(Field::Joined), years(Field::Left))
        && left < joined
    {
        return Err(args.err("error.left_before_joined"));
    }
    if let Some(l) = args.take("locale") {
        patch.locale =
            Some(args.one_of("locale", &l, &[Locale::Ja, Locale::En], Locale::as_str)?);
    }
    if let Some(tz) = args.take("timezone") {
        if tz.parse::<chrono_tz::Tz>().is_err() {
            return Err(args.err("error.bad_timezone").arg("value", tz));
        }
        patch.timezone = Some(tz);
    }
    Ok(patch)
}

fn search(args: &mut Args) -> Result<Alumni, UserError> {
    let mut q = SearchQuery::default();
    if let Some(v) = args.take("skills") {
        q.skills = args.list("skills", &v)?;
    }
    if let Some(v) = args.take("industry") {
        q.industry = args.text("industry", v, MAX_TEXT)?;
    }
    if let Some(v) = args.take("open_to") {
        q.open_to = args.choices("open_to", &v, OpenTo::ALL, OpenTo::as_str)?;
    }
    if let Some(v) = args.take("role") {
        q.role = Some(args.one_of("role", &v, Role::ALL, Role::as_str)?);
    }
    if let Some(v) = args.take("left") {
        q.left = Some(args.year_range("left", &v)?);
    }
    if let Some(v) = args.take("joined") {
        q.joined = Some(args.year_range("joined", &v)?);
    }
    let page = match args.take("page") {
        Some(v) => match v.parse::<u32>() {
            Ok(p) if (1..=1000).contains(&p) => p,
            _ => return Err(args.err("error.bad_page").arg("value", v)),
        },
        None => 1,
    };
    let text = args.rest_text();
    q.text = args.text("text", text, MAX_TEXT)?.unwrap_or_default();
    Ok(Alumni::Search { query: q, page })
}

fn setup(args: &mut Args) -> Result<Alumni, UserError> {
    let mut patch = CommunityPatch::default();
    if let Some(v) = args.take("name") {
        patch.name = args.text("name", v, MAX_NAME)?;
    }
    if let Some(v) = args.take("approval") {
        patch.approval = Some(args.yes_no("approval", &v)?);
    }
    if let Some(v) = args.take("locale") {
        patch.locale =
            Some(args.one_of("locale", &v, &[Locale::Ja, Locale::En], Locale::as_str)?);
    }
    if let Some(v) = args.take("timezone") {
        if v.parse::<chrono_tz::Tz>().is_err() {
            return Err(args.err("error.bad_timezone").arg("value", v));
        }
        patch.timezone = Some(v);
    }
    let number = |args: &Args, key: &str, v: &str, max: i64| -> Result<i64, UserError> {
        match v.trim().parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(args
                .err("error.bad_number")
                .arg("key", key)
                .arg("value", v)
                .arg("max", max.to_string())),
        }
    };
    if let Some(v) = args.take("intro_days") {
        patch.intro_days = Some(number(args, "intro_days", &v, 60)?);
    }
    if let Some(v) = args.take("intro_limit") {
        patch.intro_limit = Some(u32::try_from(number(args, "intro_limit", &v, 50)?).unwrap_or(5));
    }
    if let Some(v) = args.take("employee_intros") {
        patch.employee_intros = Some(args.yes_no("employee_intros", &v)?);
    }
    if let Some(v) = args.take("nudge_days") {
        patch.nudge_days = Some(number(args, "nudge_days", &v, 730)?);
    }
    if let Some(v) = args.take("welcome_channel") {
        let c = v.trim().trim_start_matches('#').to_owned();
        if c.is_empty() {
            return Err(args.err("error.missing_key").arg("key", "welcome_channel"));
        }
        patch.welcome_channel = Some(c);
    }
    if let Some(v) = args.take("member_role") {
        // Discord's role mention `<@&123>` or the bare id; empty or `none` clears.
        let v = v.trim();
        let id = v.trim_start_matches("<@&").trim_end_matches('>');
        patch.member_role = Some(if v.is_empty() || v.eq_ignore_ascii_case("none") {
            String::new()
        } else if id.parse::<u64>().is_ok_and(|n| n > 0) {
            id.to_owned()
        } else {
            return Err(args.err("error.bad_role").arg("value", v));
        });
    }
    Ok(Alumni::Setup(patch))
}

#[cfg(test)]
mod tests {
    use super::super::{Command, MemberRef, parse};
    use super::*;

    fn alumni(line: &str) -> Alumni {
        match parse(line) {
            Ok(Command::Alumni(a)) => a,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn error(line: &str) -> UserError {
        parse(line).expect_err(line)
    }

    #[test]
    fn join_reads_every_profile_key() {
        let Alumni::Join(p) = alumni(
            r#"/alumni join name:"佐藤 洋介" department:開発 joined:2015 left:2021 company:"ACME Inc" skills:Rust,Go,rust open_to:rehire,coffee bio:"Hello there" locale:en"#,
        ) else {
            panic!()
        };
        assert_eq!(p.name.as_deref(), Some("佐藤 洋介"));
        assert_eq!(p.locale, Some(Locale::En));
        assert!(p.fields.contains(&FieldValue::List(
            Field::Skills,
            vec!["Rust".into(), "Go".into()]
        )));
        assert!(
            p.fields
                .contains(&FieldValue::OpenTo(vec![OpenTo::Rehire, OpenTo::Coffee]))
        );
        assert!(
            p.fields
                .contains(&FieldValue::Year(Field::Left, Some(2021)))
        );
    }

    #[test]
    fn errors_name_the_key_and_carry_usage() {
        assert_eq!(
            error("/alumni join colour:blue").args,
            vec![("key", "colour".to_string())]
        );
        let e = error("/alumni join name:x colour:blue");
        assert_eq!((e.key, e.usage), ("error.unknown_key", Some("alumni.join")));
        assert_eq!(e.args, vec![("key", "colour".to_string())]);
        assert_eq!(error("/alumni join joined:2015").key, "error.missing_key");
        assert_eq!(
            error("/alumni join name:x joined:20211").key,
            "error.bad_year"
        );
        assert_eq!(
            error("/alumni join name:x joined:2020 left:2019").key,
            "error.left_before_joined"
        );
        assert_eq!(
            error("/alumni join name:\"x").key,
            "error.unterminated_quote"
        );
        assert_eq!(error("/alumni frobnicate").key, "error.unknown_subcommand");
        assert_eq!(
            error("/alumni join name:x open_to:fishing").key,
            "error.bad_choice"
        );
        let bio = "あ".repeat(10_000);
        assert_eq!(
            error(&format!("/alumni join name:x bio:\"{bio}\"")).key,
            "error.too_long"
        );
        assert_eq!(error("/alumni approve").key, "error.missing_member");
        assert_eq!(
            error("/alumni search left:2020-2010").key,
            "error.bad_year_range"
        );
        assert_eq!(
            error("/alumni join name:a name:b").key,
            "error.duplicate_key"
        );
    }

    #[test]
    fn every_profile_field_is_an_allowed_key() {
        let set = spec::sub("alumni", "profile-set").unwrap();
        for f in Field::ALL {
            assert!(set.key(f.as_str()).is_some(), "{f}");
        }
    }

    #[test]
    fn search_profile_and_roles() {
        assert_eq!(
            alumni("/alumni search 佐藤 skills:rust left:2015-2020 page:2"),
            Alumni::Search {
                query: SearchQuery {
                    text: "佐藤".into(),
                    skills: vec!["rust".into()],
                    left: Some((2015, 2020)),
                    ..Default::default()
                },
                page: 2
            }
        );
        assert_eq!(
            alumni("/alumni profile hide company,bio"),
            Alumni::ProfileHide(vec![Field::Company, Field::Bio])
        );
        assert_eq!(
            alumni("/alumni role <@U1|bob> supporter"),
            Alumni::Role {
                member: MemberRef {
                    name: "U1".into(),
                    by_id: true
                },
                role: Role::Supporter
            }
        );
        assert_eq!(alumni("/alumni"), Alumni::Help(None));
        assert_eq!(
            alumni("/alumni leave delete:yes"),
            Alumni::Leave { delete: true }
        );
    }

    #[test]
    fn member_role_is_a_role_mention_or_id_and_empty_clears_it() {
        let role = |line: &str| match alumni(line) {
            Alumni::Setup(p) => p.member_role,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            role("/alumni setup member_role:<@&42>").as_deref(),
            Some("42")
        );
        assert_eq!(role("/alumni setup member_role:42").as_deref(), Some("42"));
        assert_eq!(role(r#"/alumni setup member_role:"""#).as_deref(), Some(""));
        assert_eq!(
            error("/alumni setup member_role:@admins").key,
            "error.bad_role"
        );
    }
}
