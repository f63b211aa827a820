//! The one list of commands: every top-level command, subcommand and key, with what each key
//! holds, whether it is required or positional, and who may use the subcommand.
//!
//! Everything else is derived from this table: the grammar's accepted subcommands and keys
//! (`Args::for_sub`), `/alumni help`, the usage shown with an error, Discord's registration
//! and Slack's accepted commands and manifest. Names, descriptions and usage lines are read
//! from the catalogs (`cmd.*`, `key.*`, `usage.*`, `help.*`) so ja and en stay in one place.
//! Adding a key is one edit here plus its handling in the grammar module and the service.

use crate::i18n::{self, Locale};

/// What a key holds: how a platform offers it (Discord's option type, a Slack modal input)
/// and what the grammar checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text up to `max` characters.
    Text { max: usize },
    /// A whole number within bounds.
    Int { min: i64, max: i64 },
    /// A year such as 2015.
    Year,
    /// `2015-2020` or one year.
    YearRange,
    /// A calendar date, `2027-01-31`.
    Date,
    /// A time as people type it (`2026-12-18 19:00`), read in the community's zone.
    Time,
    /// A length of time (`2h`, `1d,1h`).
    Duration,
    /// A member (`@name`, a platform mention).
    Member,
    /// A channel (`#name`).
    Channel,
    /// A platform role.
    Role,
    /// A comma-separated list of words.
    List,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// Comma-separated words, each one of these.
    Choices(&'static [&'static str]),
    /// A file attached by the platform (never in the text).
    File,
    /// The rest of the line as free text.
    Words,
}

/// Who may use a subcommand. The core checks it again on every call; this is what platforms
/// show (Discord's default permissions, help's wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone in the space, member or not (joining, help).
    Anyone,
    /// Approved members.
    Member,
    /// Admins and supporters.
    Staff,
    /// Admins only.
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// Written bare in order (`approve @a`), not as `key:value`.
    pub positional: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sub {
    /// The platform name: one word, lowercase (`profile-set`).
    pub name: &'static str,
    /// What is typed after the command in the grammar (`profile set`; empty for `/intro @a`).
    pub words: &'static str,
    /// The catalog topic of its usage line (`usage.alumni.profile`).
    pub usage: &'static str,
    /// The catalog key of its longer help text.
    pub help: &'static str,
    pub keys: &'static [Key],
    pub access: Access,
    /// Its answer is only for the asker (deferred privately; never seen by the channel).
    pub private: bool,
    /// With no keys at all it opens a form instead of asking for the required ones.
    pub form: bool,
    /// Seconds a person waits between two uses (0: none). Set on what reaches other people
    /// (join requests DM the admins, introductions DM a member) and on search paging.
    pub cooldown_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    pub name: &'static str,
    /// The usage topic shown when the subcommand itself is unknown.
    pub usage: &'static str,
    pub subs: &'static [Sub],
}

const fn key(name: &'static str, kind: Kind) -> Key {
    Key {
        name,
        kind,
        required: false,
        positional: false,
    }
}
const fn need(name: &'static str, kind: Kind) -> Key {
    Key {
        name,
        kind,
        required: true,
        positional: false,
    }
}
const fn pos(name: &'static str, kind: Kind, required: bool) -> Key {
    Key {
        name,
        kind,
        required,
        positional: true,
    }
}

/// A subcommand with defaults: members may use it, answered where it was asked.
const fn s(
    name: &'static str,
    usage: &'static str,
    help: &'static str,
    keys: &'static [Key],
) -> Sub {
    Sub {
        name,
        words: name,
        usage,
        help,
        keys,
        access: Access::Member,
        private: false,
        form: false,
        cooldown_secs: 0,
    }
}

impl Sub {
    const fn access(mut self, access: Access) -> Sub {
        self.access = access;
        self
    }
    const fn private(mut self) -> Sub {
        self.private = true;
        self
    }
    const fn form(mut self) -> Sub {
        self.form = true;
        self
    }
    const fn cooldown(mut self, secs: u64) -> Sub {
        self.cooldown_secs = secs;
        self
    }
    const fn words(mut self, words: &'static str) -> Sub {
        self.words = words;
        self
    }
}

use super::args::{MAX_BIO, MAX_NAME, MAX_TEXT};

const TEXT: Kind = Kind::Text { max: MAX_TEXT };
const BIO: Kind = Kind::Text { max: MAX_BIO };
const NAME: Kind = Kind::Text { max: MAX_NAME };
const YES_NO: Kind = Kind::Choice(&["yes", "no"]);
const ON_OFF: Kind = Kind::Choice(&["on", "off"]);
const LOCALE: Kind = Kind::Choice(&["ja", "en"]);
/// `Role::ALL`'s words (a test keeps them equal).
pub const ROLES: &[&str] = &["member", "employee", "supporter", "admin"];
/// `OpenTo::ALL`'s words (a test keeps them equal).
pub const OPEN_TO: &[&str] = &[
    "rehire",
    "side-project",
    "partnership",
    "mentoring",
    "coffee",
];
/// `Field::ALL`'s words (a test keeps them equal).
pub const FIELDS: &[&str] = &[
    "department",
    "joined",
    "left",
    "company",
    "title",
    "industry",
    "location",
    "skills",
    "interests",
    "open_to",
    "bio",
];
/// `JoinStatus::ALL`'s words (a test keeps them equal).
pub const JOIN_STATUSES: &[&str] = &["not-joined", "pending", "approved", "left"];
/// Longest typed invite code (`XXXXX-XXXXX` with room for spaces).
pub const MAX_CODE: usize = 32;
pub const WEEKDAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
pub const JOB_TYPES: &[&str] = &["rehire", "contract", "project"];
pub const RSVP: &[&str] = &["going", "maybe", "no"];

const MEMBER: Key = pos("member", Kind::Member, true);
const EVENT_ID: Key = pos(
    "id",
    Kind::Int {
        min: 1,
        max: i64::MAX,
    },
    true,
);
const JOB_ID: Key = pos(
    "id",
    Kind::Int {
        min: 1,
        max: i64::MAX,
    },
    true,
);
const PAGE: Key = key("page", Kind::Int { min: 1, max: 1000 });

/// `profile set`'s keys; `join` adds `agree` and requires `name`.
const PROFILE_SET: &[Key] = &[
    key("name", NAME),
    key("department", TEXT),
    key("joined", Kind::Year),
    key("left", Kind::Year),
    key("company", TEXT),
    key("title", TEXT),
    key("industry", TEXT),
    key("location", TEXT),
    key("skills", Kind::List),
    key("interests", Kind::List),
    key("open_to", Kind::Choices(OPEN_TO)),
    key("bio", BIO),
    key("locale", LOCALE),
    key("timezone", TEXT),
];

const JOIN: &[Key] = &[
    need("name", NAME),
    key("code", Kind::Text { max: MAX_CODE }),
    key("department", TEXT),
    key("joined", Kind::Year),
    key("left", Kind::Year),
    key("company", TEXT),
    key("title", TEXT),
    key("industry", TEXT),
    key("location", TEXT),
    key("skills", Kind::List),
    key("interests", Kind::List),
    key("open_to", Kind::Choices(OPEN_TO)),
    key("bio", BIO),
    key("locale", LOCALE),
    key("timezone", TEXT),
    key("agree", YES_NO),
];

/// The directory's filters, shared by `/alumni search` and `/admin segment save`.
const SEARCH_FILTERS: [Key; 6] = [
    key("skills", Kind::List),
    key("industry", TEXT),
    key("open_to", Kind::Choices(OPEN_TO)),
    key("role", Kind::Choice(ROLES)),
    key("left", Kind::YearRange),
    key("joined", Kind::YearRange),
];

const SEARCH: &[Key] = &[
    pos("query", Kind::Words, false),
    SEARCH_FILTERS[0],
    SEARCH_FILTERS[1],
    SEARCH_FILTERS[2],
    SEARCH_FILTERS[3],
    SEARCH_FILTERS[4],
    SEARCH_FILTERS[5],
    PAGE,
];

const SEGMENT_SAVE: &[Key] = &[
    pos("segment", Kind::Text { max: 50 }, true),
    pos("query", Kind::Words, false),
    SEARCH_FILTERS[0],
    SEARCH_FILTERS[1],
    SEARCH_FILTERS[2],
    SEARCH_FILTERS[3],
    SEARCH_FILTERS[4],
    SEARCH_FILTERS[5],
];

/// The keys of `/event create` and `/event edit` after the required ones.
const EVENT_OPTIONAL: [Key; 8] = [
    key("end", Kind::Time),
    key("tz", TEXT),
    key("duration", Kind::Duration),
    key("where", TEXT),
    key("capacity", TEXT),
    key("remind", Kind::Duration),
    key("repeat", TEXT),
    key("channel", Kind::Channel),
];

const EVENT_CREATE: &[Key] = &[
    need("title", TEXT),
    need("at", Kind::Time),
    EVENT_OPTIONAL[0],
    EVENT_OPTIONAL[1],
    EVENT_OPTIONAL[2],
    EVENT_OPTIONAL[3],
    EVENT_OPTIONAL[4],
    EVENT_OPTIONAL[5],
    EVENT_OPTIONAL[6],
    EVENT_OPTIONAL[7],
];

const EVENT_EDIT: &[Key] = &[
    EVENT_ID,
    key("title", TEXT),
    key("at", Kind::Time),
    EVENT_OPTIONAL[0],
    EVENT_OPTIONAL[1],
    EVENT_OPTIONAL[2],
    EVENT_OPTIONAL[3],
    EVENT_OPTIONAL[4],
    EVENT_OPTIONAL[5],
    EVENT_OPTIONAL[6],
    EVENT_OPTIONAL[7],
];

use Access::{Admin, Anyone, Staff};

/// Every command. The order is the order of help and of platform registration.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "alumni",
        usage: "alumni.help",
        subs: &[
            s("join", "alumni.join", "help.join", JOIN)
                .access(Anyone)
                .form()
                .cooldown(60),
            s("pending", "alumni.pending", "help.pending", &[])
                .access(Staff)
                .private(),
            s("approve", "alumni.approve", "help.approve", &[MEMBER]).access(Admin),
            s(
                "reject",
                "alumni.reject",
                "help.reject",
                &[MEMBER, key("reason", BIO)],
            )
            .access(Admin),
            s(
                "profile",
                "alumni.profile",
                "help.profile",
                &[pos("member", Kind::Member, false)],
            )
            .private(),
            s("profile-set", "alumni.profile", "help.profile", PROFILE_SET)
                .words("profile set")
                .private()
                .form(),
            s(
                "profile-hide",
                "alumni.profile",
                "help.profile",
                &[pos("fields", Kind::Choices(FIELDS), true)],
            )
            .words("profile hide")
            .private(),
            s(
                "profile-show",
                "alumni.profile",
                "help.profile",
                &[pos("fields", Kind::Choices(FIELDS), true)],
            )
            .words("profile show")
            .private(),
            s("search", "alumni.search", "help.search", SEARCH)
                .private()
                .cooldown(2),
            s(
                "role",
                "alumni.role",
                "help.role",
                &[MEMBER, pos("role", Kind::Choice(ROLES), true)],
            )
            .access(Admin),
            s(
                "leave",
                "alumni.leave",
                "help.leave",
                &[key("delete", YES_NO)],
            )
            .private(),
            s(
                "help",
                "alumni.help",
                "help.help",
                &[pos("command", Kind::Words, false)],
            )
            .access(Anyone)
            .private(),
            s(
                "setup",
                "alumni.setup",
                "help.setup",
                &[
                    key("name", NAME),
                    key("approval", ON_OFF),
                    key("locale", LOCALE),
                    key("timezone", TEXT),
                    key("intro_days", Kind::Int { min: 1, max: 60 }),
                    key("intro_limit", Kind::Int { min: 1, max: 50 }),
                    key("employee_intros", ON_OFF),
                    key("nudge_days", Kind::Int { min: 1, max: 730 }),
                    key("welcome_channel", Kind::Channel),
                    key("member_role", Kind::Role),
                ],
            )
            .access(Admin)
            .private(),
            s("block", "alumni.block", "help.block", &[MEMBER]).private(),
            s("unblock", "alumni.unblock", "help.unblock", &[MEMBER]).private(),
            s("mydata", "alumni.mydata", "help.mydata", &[])
                .access(Anyone)
                .private(),
            s("agree", "alumni.agree", "help.agree", &[]).private(),
            s(
                "notify",
                "alumni.notify",
                "help.notify",
                &[pos("on", ON_OFF, true)],
            )
            .private(),
        ],
    },
    Command {
        name: "event",
        usage: "event.help",
        subs: &[
            s("create", "event.create", "help.event.create", EVENT_CREATE)
                .access(Staff)
                .form(),
            s("list", "event.list", "help.event.list", &[]).private(),
            s("show", "event.show", "help.event.show", &[EVENT_ID]).private(),
            s("edit", "event.edit", "help.event.edit", EVENT_EDIT).access(Staff),
            s(
                "cancel",
                "event.cancel",
                "help.event.cancel",
                &[EVENT_ID, key("reason", BIO)],
            )
            .access(Staff),
            s(
                "rsvp",
                "event.rsvp",
                "help.event.rsvp",
                &[EVENT_ID, pos("answer", Kind::Choice(RSVP), true)],
            )
            .private(),
            s(
                "attendees",
                "event.attendees",
                "help.event.attendees",
                &[EVENT_ID],
            )
            .private(),
            s("ics", "event.ics", "help.event.ics", &[EVENT_ID]).private(),
        ],
    },
    Command {
        name: "intro",
        usage: "intro.request",
        subs: &[
            // Required options first: Discord refuses a registration that puts an optional
            // option before a required one.
            s(
                "request",
                "intro.request",
                "help.intro.request",
                &[
                    MEMBER,
                    need("why", BIO),
                    pos("member2", Kind::Member, false),
                ],
            )
            .words("")
            .private()
            .cooldown(30),
            s("list", "intro.list", "help.intro.list", &[]).private(),
        ],
    },
    Command {
        name: "coffee",
        usage: "coffee.help",
        subs: &[
            s("join", "coffee.join", "help.coffee.join", &[]).private(),
            s("leave", "coffee.leave", "help.coffee.leave", &[]).private(),
            s(
                "pause",
                "coffee.pause",
                "help.coffee.pause",
                &[need("until", Kind::Date)],
            )
            .private(),
            s("status", "coffee.status", "help.coffee.status", &[]).private(),
            s(
                "setup",
                "coffee.setup",
                "help.coffee.setup",
                &[
                    key("every", Kind::Duration),
                    key("day", Kind::Choice(WEEKDAYS)),
                    key("time", TEXT),
                    // The grammar takes 2 to 4 (`social::setup`); Discord offers this range.
                    key("size", Kind::Int { min: 2, max: 4 }),
                    key("mix", TEXT),
                    key("avoid", TEXT),
                ],
            )
            .access(Admin)
            .private(),
        ],
    },
    Command {
        name: "job",
        usage: "job.help",
        subs: &[
            s(
                "post",
                "job.post",
                "help.job.post",
                &[
                    need("title", TEXT),
                    need("type", Kind::Choice(JOB_TYPES)),
                    key("details", BIO),
                    key("until", Kind::Date),
                    key("skills", Kind::List),
                ],
            )
            .access(Staff),
            s("list", "job.list", "help.job.list", &[]).private(),
            s("show", "job.show", "help.job.show", &[JOB_ID]).private(),
            s("close", "job.close", "help.job.close", &[JOB_ID])
                .access(Staff)
                .private(),
        ],
    },
    Command {
        name: "admin",
        usage: "admin.help",
        subs: &[
            s(
                "purpose",
                "admin.purpose",
                "help.admin.purpose",
                &[key("text", BIO)],
            )
            .access(Admin)
            .private(),
            s("audit", "admin.audit", "help.admin.audit", &[PAGE])
                .access(Admin)
                .private(),
            s(
                "import",
                "admin.import",
                "help.admin.import",
                &[need("file", Kind::File), key("skip_bad", YES_NO)],
            )
            .access(Admin)
            .private(),
            s(
                "export",
                "admin.export",
                "help.admin.export",
                &[
                    pos("what", Kind::Choice(&["members", "roster"]), false),
                    key("status", Kind::Choice(JOIN_STATUSES)),
                ],
            )
            .access(Admin)
            .private(),
            s("roster", "admin.roster", "help.admin.roster", &[PAGE])
                .access(Admin)
                .private(),
            s("stats", "admin.stats", "help.admin.stats", &[])
                .access(Admin)
                .private(),
            s(
                "segment-save",
                "admin.segment",
                "help.admin.segment",
                SEGMENT_SAVE,
            )
            .words("segment save")
            .access(Admin)
            .private(),
            s("segment-list", "admin.segment", "help.admin.segment", &[])
                .words("segment list")
                .access(Admin)
                .private(),
            s(
                "broadcast",
                "admin.broadcast",
                "help.admin.broadcast",
                &[need("segment", TEXT), need("message", BIO)],
            )
            .access(Admin)
            .private(),
        ],
    },
];

/// A top-level command by name (`alumni`, without the slash).
pub fn command(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// A subcommand by its platform name (`profile-set`).
pub fn sub(command_name: &str, sub_name: &str) -> Option<&'static Sub> {
    command(command_name)?
        .subs
        .iter()
        .find(|s| s.name == sub_name)
}

/// The subcommand a line selects by its first word (and second, for `profile set`), or the
/// localized "unknown subcommand" error listing the choices.
pub(crate) fn select(
    command_name: &str,
    first: &str,
    second: Option<&super::lexer::Token>,
) -> Result<&'static Sub, crate::error::UserError> {
    let c = command(command_name).expect("a command of the spec");
    let second = match second {
        Some(super::lexer::Token::Word(w)) => Some(w.to_lowercase()),
        _ => None,
    };
    if let Some(found) = c.find_words(first, second.as_deref()) {
        return Ok(found);
    }
    // `segment` alone or with an unknown verb: the verbs it takes.
    let verbs: Vec<&str> = c
        .subs
        .iter()
        .filter_map(|s| s.words.strip_prefix(first)?.strip_prefix(' '))
        .collect();
    let error = crate::error::UserError::new("error.unknown_subcommand");
    Err(if verbs.is_empty() {
        error
            .arg("command", format!("/{}", c.name))
            .arg("sub", first)
            .arg("choices", c.first_words().join(", "))
            .usage(c.usage)
    } else {
        let sub = c.find_words(first, Some(verbs[0])).expect("listed above");
        error
            .arg("command", format!("/{} {first}", c.name))
            .arg("sub", second.unwrap_or_default())
            .arg("choices", verbs.join(", "))
            .usage(sub.usage)
    })
}

impl Command {
    /// The first words of each subcommand as typed (`profile` once, `segment` once), for
    /// "unknown subcommand" errors.
    pub fn first_words(&self) -> Vec<&'static str> {
        let mut words: Vec<&'static str> = Vec::new();
        for s in self.subs {
            let first = s.words.split(' ').next().unwrap_or("");
            if !first.is_empty() && !words.contains(&first) {
                words.push(first);
            }
        }
        words
    }

    /// The subcommand a line's words select: `["profile", "set"]` → `profile-set`, longest
    /// match first; `["profile"]` alone → `profile`.
    pub fn find_words(&self, first: &str, second: Option<&str>) -> Option<&'static Sub> {
        let two = second.map(|s| format!("{first} {s}"));
        self.subs
            .iter()
            .find(|s| Some(s.words) == two.as_deref())
            .or_else(|| self.subs.iter().find(|s| s.words == first))
    }

    /// Its description in a language.
    pub fn description(&self, locale: Locale) -> String {
        i18n::t(locale, &format!("cmd.{}.desc", self.name), &[])
    }

    /// Its name as shown to a language's users (Discord's localized name).
    pub fn localized_name(&self, locale: Locale) -> String {
        i18n::t(locale, &format!("cmd.{}.name", self.name), &[])
    }
}

impl Sub {
    /// The keys written as `key:value` (everything but positionals and files).
    pub fn pair_keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.keys
            .iter()
            .filter(|k| !k.positional && k.kind != Kind::File)
            .map(|k| k.name)
    }

    pub fn key(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Its one-line description in a language (≤ 100 characters: Discord's limit).
    pub fn description(&self, command: &Command, locale: Locale) -> String {
        i18n::t(
            locale,
            &format!("cmd.{}.{}.desc", command.name, self.name),
            &[],
        )
    }

    /// Its name as shown to a language's users.
    pub fn localized_name(&self, command: &Command, locale: Locale) -> String {
        i18n::t(
            locale,
            &format!("cmd.{}.{}.name", command.name, self.name),
            &[],
        )
    }

    /// The usage line shown with its errors.
    pub fn usage_line(&self, locale: Locale) -> String {
        i18n::t(locale, &format!("usage.{}", self.usage), &[])
    }
}

impl Key {
    /// Its description in a language (Discord's option description).
    pub fn description(&self, locale: Locale) -> String {
        i18n::t(locale, &format!("key.{}", self.name), &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Field, JoinStatus, OpenTo, Role};

    #[test]
    fn the_words_lists_match_the_domain_enums() {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(roles, ROLES);
        let open: Vec<&str> = OpenTo::ALL.iter().map(|o| o.as_str()).collect();
        assert_eq!(open, OPEN_TO);
        let fields: Vec<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
        assert_eq!(fields, FIELDS);
        let statuses: Vec<&str> = JoinStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(statuses, JOIN_STATUSES);
    }

    /// Discord's rules, which a platform refuses the whole registration over: required
    /// options first, names lowercase and short, at most 25 of each.
    #[test]
    fn the_spec_keeps_platform_rules_by_construction() {
        for c in COMMANDS {
            assert!(c.subs.len() <= 25, "/{}", c.name);
            for s in c.subs {
                assert!(s.keys.len() <= 25, "/{} {}", c.name, s.name);
                let valid = |n: &str| {
                    (1..=32).contains(&n.len())
                        && n.chars().all(|ch| {
                            ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_'
                        })
                };
                assert!(valid(s.name), "{}", s.name);
                let first_optional = s.keys.iter().position(|k| !k.required);
                if let Some(at) = first_optional {
                    assert!(
                        s.keys[at..].iter().all(|k| !k.required),
                        "/{} {}: a required key after an optional one",
                        c.name,
                        s.name
                    );
                }
                for k in s.keys {
                    assert!(valid(k.name), "{}", k.name);
                    if let Kind::Choice(v) | Kind::Choices(v) = k.kind {
                        assert!(v.len() <= 25, "{}", k.name);
                    }
                }
            }
        }
    }

    #[test]
    fn every_name_description_usage_and_help_is_in_both_catalogs() {
        for c in COMMANDS {
            let mut keys = vec![
                format!("cmd.{}.name", c.name),
                format!("cmd.{}.desc", c.name),
            ];
            for s in c.subs {
                keys.push(format!("cmd.{}.{}.name", c.name, s.name));
                keys.push(format!("cmd.{}.{}.desc", c.name, s.name));
                keys.push(format!("usage.{}", s.usage));
                keys.push(s.help.to_owned());
                for k in s.keys {
                    keys.push(format!("key.{}", k.name));
                }
            }
            for key in keys {
                assert!(i18n::has(&key), "missing message {key}");
            }
            for locale in [Locale::Ja, Locale::En] {
                for s in c.subs {
                    let d = s.description(c, locale);
                    assert!((1..=100).contains(&d.chars().count()), "{d}");
                    for k in s.keys {
                        let d = k.description(locale);
                        assert!((1..=100).contains(&d.chars().count()), "{d}");
                    }
                }
            }
        }
    }

    /// The usage line a user sees with an error names every key the grammar accepts there.
    #[test]
    fn every_usage_line_names_its_keys() {
        let mut missing = Vec::new();
        for locale in [Locale::Ja, Locale::En] {
            for c in COMMANDS {
                for s in c.subs {
                    let usage = s.usage_line(locale);
                    for k in s.pair_keys() {
                        if !usage.contains(&format!("{k}:")) {
                            missing.push(format!("{locale:?} usage.{} lacks {k}", s.usage));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "{missing:#?}");
    }

    fn sample(kind: Kind) -> Option<String> {
        Some(match kind {
            Kind::Text { .. } | Kind::Words => "x".into(),
            Kind::Int { min, .. } => min.max(1).to_string(),
            Kind::Year => "2015".into(),
            Kind::YearRange => "2015-2020".into(),
            Kind::Date => "2030-01-31".into(),
            Kind::Time => "\"2030-01-31 19:00\"".into(),
            Kind::Duration => "2h".into(),
            Kind::Member => "@bob".into(),
            Kind::Channel => "#general".into(),
            Kind::Role => "<@&42>".into(),
            Kind::List => "a,b".into(),
            Kind::Choice(v) | Kind::Choices(v) => v[0].into(),
            Kind::File => return None,
        })
    }

    /// Every subcommand of the spec, written with its keys, is read by the grammar as that
    /// subcommand: a spec entry the grammar does not handle (or a key it refuses) fails here.
    #[test]
    fn the_grammar_reads_every_subcommand_and_key_of_the_spec() {
        for c in COMMANDS {
            for s in c.subs {
                let mut line = format!("/{} {}", c.name, s.words);
                for k in s.keys.iter().filter(|k| k.required) {
                    let Some(v) = sample(k.kind) else { continue };
                    line.push(' ');
                    if !k.positional {
                        line.push_str(&format!("{}:", k.name));
                    }
                    line.push_str(&v);
                }
                // Only "nothing to change" may refuse a line with every required key, and a
                // line is read as the very subcommand it was written for.
                match super::super::parse(&line) {
                    Ok(parsed) => assert_eq!(parsed.spec_name(), (c.name, s.name), "{line}"),
                    Err(e) => assert_eq!(e.key, "error.nothing_to_set", "{line}: {e:?}"),
                }
                // Each optional key alone is accepted as a key of this subcommand.
                for k in s.keys.iter().filter(|k| !k.required && !k.positional) {
                    let Some(v) = sample(k.kind) else { continue };
                    let with = format!("{line} {}:{v}", k.name);
                    if let Err(e) = super::super::parse(&with) {
                        assert!(
                            !matches!(e.key, "error.unknown_key" | "error.unknown_subcommand"),
                            "{with}: {e:?}"
                        );
                    }
                }
            }
        }
    }
}
