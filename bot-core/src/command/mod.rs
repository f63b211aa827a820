//! `Command`: everything a user can ask, and the one text grammar that reads it
//! (Slack's slash-command text and the shell). Discord builds the same values from typed options.
//!
//! `/alumni SUB key:value …`: values with spaces in double quotes, lists comma-separated,
//! members as `@name`. Errors name the key and show the usage; parsing never touches the store.

pub mod admin;
mod alumni;
mod args;
pub mod event;
pub mod job;
pub mod lexer;
pub mod social;
pub mod spec;

use crate::domain::{Field, OpenTo, Role};
use crate::error::UserError;
use crate::i18n::Locale;
use crate::store::SearchQuery;

pub use args::{MAX_BIO, MAX_LIST_ITEMS, MAX_NAME, MAX_TEXT};

/// A member as written in a command: `@alice` (a handle) or Slack's `<@U123>` (a user id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    pub name: String,
    pub by_id: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Alumni(Alumni),
    Event(event::Event),
    Intro(social::Intro),
    Coffee(social::Coffee),
    Admin(admin::Admin),
    Job(job::Job),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Alumni {
    Join(ProfilePatch),
    Pending,
    Approve(MemberRef),
    Reject {
        member: MemberRef,
        reason: Option<String>,
    },
    /// Mine, or another member's.
    Profile(Option<MemberRef>),
    ProfileSet(ProfilePatch),
    ProfileHide(Vec<Field>),
    ProfileShow(Vec<Field>),
    Search {
        query: SearchQuery,
        page: u32,
    },
    Role {
        member: MemberRef,
        role: Role,
    },
    Leave {
        delete: bool,
    },
    Help(Option<String>),
    Setup(CommunityPatch),
    /// Private: the blocked member is never told.
    Block(MemberRef),
    Unblock(MemberRef),
    /// Everything held about me, as a JSON file.
    MyData,
    /// Consent to the community's current stated purpose.
    Agree,
    /// Receive admins' broadcasts (on) or not (off).
    Notify(bool),
}

/// One profile field being set; `None` / empty clears it.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(Field, Option<String>),
    Year(Field, Option<i32>),
    List(Field, Vec<String>),
    OpenTo(Vec<OpenTo>),
}

/// Profile changes from `join` or `profile set`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfilePatch {
    pub name: Option<String>,
    pub fields: Vec<FieldValue>,
    pub locale: Option<Locale>,
    /// The member's own time zone (IANA name).
    pub timezone: Option<String>,
    /// `join … agree:yes`: consent to the community's stated purpose.
    pub agree: bool,
    /// `join … code:XXXXX-XXXXX`: the personal invite code from HR, as typed.
    pub code: Option<String>,
}

/// Community settings changed by `/alumni setup` (admins).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommunityPatch {
    pub name: Option<String>,
    pub approval: Option<bool>,
    pub locale: Option<Locale>,
    pub timezone: Option<String>,
    pub intro_days: Option<i64>,
    pub intro_limit: Option<u32>,
    pub employee_intros: Option<bool>,
    pub nudge_days: Option<i64>,
    pub welcome_channel: Option<String>,
    /// A role id; `Some("")` clears it (back to the adapter's default).
    pub member_role: Option<String>,
}

impl CommunityPatch {
    pub fn is_empty(&self) -> bool {
        *self == CommunityPatch::default()
    }
}

/// Parse a whole line such as `/alumni join name:"佐藤 洋介"`.
pub fn parse(line: &str) -> Result<Command, UserError> {
    let line = line.trim();
    let (head, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    parse_slash(head, rest)
}

/// Parse a slash command's text as Slack delivers it: `command` = `/alumni`, `text` = the rest.
pub fn parse_slash(command: &str, text: &str) -> Result<Command, UserError> {
    let tokens = lexer::tokenize(text)?;
    match command.trim_start_matches('/') {
        "alumni" => alumni::parse(tokens).map(Command::Alumni),
        "event" => event::parse(tokens).map(Command::Event),
        "intro" => social::parse_intro(tokens).map(Command::Intro),
        "coffee" => social::parse_coffee(tokens).map(Command::Coffee),
        "admin" => admin::parse(tokens).map(Command::Admin),
        "job" => job::parse(tokens).map(Command::Job),
        other => Err(UserError::new("error.unknown_command")
            .arg("command", format!("/{other}"))
            .usage("alumni.help")),
    }
}

impl Command {
    /// `(command, subcommand)` of the spec that a parsed command is. Exhaustive: a new variant
    /// does not compile until it says which subcommand it is.
    pub fn spec_name(&self) -> (&'static str, &'static str) {
        use admin::Admin;
        use event::Event;
        use job::Job;
        use social::{Coffee, Intro};
        match self {
            Command::Alumni(a) => (
                "alumni",
                match a {
                    Alumni::Join(_) => "join",
                    Alumni::Pending => "pending",
                    Alumni::Approve(_) => "approve",
                    Alumni::Reject { .. } => "reject",
                    Alumni::Profile(_) => "profile",
                    Alumni::ProfileSet(_) => "profile-set",
                    Alumni::ProfileHide(_) => "profile-hide",
                    Alumni::ProfileShow(_) => "profile-show",
                    Alumni::Search { .. } => "search",
                    Alumni::Role { .. } => "role",
                    Alumni::Leave { .. } => "leave",
                    Alumni::Help(_) => "help",
                    Alumni::Setup(_) => "setup",
                    Alumni::Block(_) => "block",
                    Alumni::Unblock(_) => "unblock",
                    Alumni::MyData => "mydata",
                    Alumni::Agree => "agree",
                    Alumni::Notify(_) => "notify",
                },
            ),
            Command::Event(e) => (
                "event",
                match e {
                    Event::Create(_) | Event::CreateForm => "create",
                    Event::List => "list",
                    Event::Show(_) => "show",
                    Event::Edit(..) => "edit",
                    Event::Cancel { .. } => "cancel",
                    Event::Rsvp { .. } => "rsvp",
                    Event::Attendees(_) => "attendees",
                    Event::Ics(_) => "ics",
                },
            ),
            Command::Intro(i) => (
                "intro",
                match i {
                    Intro::Request { .. } => "request",
                    Intro::List => "list",
                },
            ),
            Command::Coffee(c) => (
                "coffee",
                match c {
                    Coffee::Join => "join",
                    Coffee::Leave => "leave",
                    Coffee::Pause(_) => "pause",
                    Coffee::Status => "status",
                    Coffee::Setup(_) => "setup",
                },
            ),
            Command::Admin(a) => (
                "admin",
                match a {
                    Admin::Purpose(_) => "purpose",
                    Admin::Audit { .. } => "audit",
                    Admin::Import { .. } => "import",
                    Admin::Export | Admin::ExportRoster { .. } => "export",
                    Admin::Roster { .. } => "roster",
                    Admin::SegmentSave { .. } => "segment-save",
                    Admin::SegmentList => "segment-list",
                    Admin::Stats => "stats",
                    Admin::Broadcast { .. } => "broadcast",
                },
            ),
            Command::Job(j) => (
                "job",
                match j {
                    Job::Post(_) => "post",
                    Job::List => "list",
                    Job::Show(_) => "show",
                    Job::Close(_) => "close",
                },
            ),
        }
    }
}

impl ProfilePatch {
    /// Write the patch onto a profile.
    pub fn apply(&self, profile: &mut crate::domain::Profile) {
        if let Some(name) = &self.name {
            profile.name = name.clone();
        }
        for value in &self.fields {
            match value {
                FieldValue::Text(field, text) => {
                    let slot = match field {
                        Field::Department => &mut profile.department,
                        Field::Company => &mut profile.company,
                        Field::Title => &mut profile.title,
                        Field::Industry => &mut profile.industry,
                        Field::Location => &mut profile.location,
                        Field::Bio => &mut profile.bio,
                        _ => continue,
                    };
                    *slot = text.clone();
                }
                FieldValue::Year(Field::Joined, y) => profile.joined = *y,
                FieldValue::Year(_, y) => profile.left = *y,
                FieldValue::List(Field::Skills, items) => profile.skills = items.clone(),
                FieldValue::List(_, items) => profile.interests = items.clone(),
                FieldValue::OpenTo(items) => profile.open_to = items.clone(),
            }
        }
    }
}
