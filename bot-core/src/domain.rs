//! The domain: communities, members, profiles. Plain data; no I/O.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::i18n::Locale;

pub type CommunityId = i64;
pub type MemberId = i64;

/// One company's alumni network.
#[derive(Debug, Clone, PartialEq)]
pub struct Community {
    pub id: CommunityId,
    pub name: String,
    pub locale: Locale,
    /// IANA name, e.g. `Asia/Tokyo`.
    pub timezone: String,
    pub requires_approval: bool,
    /// Days an introduction waits for answers before it expires.
    pub intro_days: i64,
    /// Most pending introductions one member may have asked for.
    pub intro_limit: u32,
    /// Whether current employees may introduce two members to each other.
    pub employee_intros: bool,
    /// Days between "is your profile current?" nudges.
    pub nudge_days: i64,
    /// Where welcome posts go.
    pub welcome_channel: String,
    /// The platform role approved members get (a Discord role id); `None`: the adapter's
    /// default (`DISCORD_MEMBER_ROLE`).
    pub member_role: Option<String>,
}

/// A chat platform a member or channel lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    Shell,
    Discord,
    Slack,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Shell => "shell",
            Platform::Discord => "discord",
            Platform::Slack => "slack",
        }
    }
}

impl FromStr for Platform {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "shell" => Ok(Platform::Shell),
            "discord" => Ok(Platform::Discord),
            "slack" => Ok(Platform::Slack),
            _ => Err(()),
        }
    }
}

/// Who someone is on one platform: (platform, space, user id) plus a display handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub platform: Platform,
    /// Discord guild id, Slack team id, or `local` for the shell.
    pub space_id: String,
    pub user_id: String,
    /// The name people type after `@` (Discord username, Slack handle, shell name).
    pub handle: String,
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($text => Ok($name::$variant),)+
                    _ => Err(()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Where a member stands with the community.
    MemberStatus { Pending = "pending", Approved = "approved", Rejected = "rejected", Left = "left" }
);

string_enum!(
    /// Where a person on HR's roster stands: not joined yet, or their membership's status
    /// (a rejected joiner counts as `left`: they are not in, and not to be reminded).
    JoinStatus { NotJoined = "not-joined", Pending = "pending", Approved = "approved", Left = "left" }
);

impl JoinStatus {
    /// The status of a roster row linked to a member in `status`, or of an unlinked one.
    pub fn of(status: Option<MemberStatus>) -> JoinStatus {
        match status {
            None => JoinStatus::NotJoined,
            Some(MemberStatus::Pending) => JoinStatus::Pending,
            Some(MemberStatus::Approved) => JoinStatus::Approved,
            Some(MemberStatus::Rejected | MemberStatus::Left) => JoinStatus::Left,
        }
    }
}

string_enum!(
    /// What a member may do. Ordered by power: `Admin` can do everything.
    Role { Member = "member", Employee = "employee", Supporter = "supporter", Admin = "admin" }
);

string_enum!(
    /// What an alumnus is open to; drives HR search and later matching.
    OpenTo {
        Rehire = "rehire",
        SideProject = "side-project",
        Partnership = "partnership",
        Mentoring = "mentoring",
        Coffee = "coffee",
    }
);

string_enum!(
    /// Profile fields a member can hide from others (`/alumni profile hide …`).
    Field {
        Department = "department",
        Joined = "joined",
        Left = "left",
        Company = "company",
        Title = "title",
        Industry = "industry",
        Location = "location",
        Skills = "skills",
        Interests = "interests",
        OpenTo = "open_to",
        Bio = "bio",
    }
);

impl Role {
    /// Admins and supporters run the community day to day.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Supporter | Role::Admin)
    }
}

/// What a member tells the network about themselves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub name: String,
    pub department: Option<String>,
    pub joined: Option<i32>,
    pub left: Option<i32>,
    pub company: Option<String>,
    pub title: Option<String>,
    pub industry: Option<String>,
    pub location: Option<String>,
    pub skills: Vec<String>,
    pub interests: Vec<String>,
    pub open_to: Vec<OpenTo>,
    pub bio: Option<String>,
}

impl Profile {
    /// The profile as another member sees it: hidden fields removed.
    pub fn visible(&self, hidden: &[Field]) -> Profile {
        let mut p = self.clone();
        for field in hidden {
            match field {
                Field::Department => p.department = None,
                Field::Joined => p.joined = None,
                Field::Left => p.left = None,
                Field::Company => p.company = None,
                Field::Title => p.title = None,
                Field::Industry => p.industry = None,
                Field::Location => p.location = None,
                Field::Skills => p.skills.clear(),
                Field::Interests => p.interests.clear(),
                Field::OpenTo => p.open_to.clear(),
                Field::Bio => p.bio = None,
            }
        }
        p
    }
}

/// A member of one community.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: MemberId,
    pub community_id: CommunityId,
    pub status: MemberStatus,
    pub role: Role,
    pub profile: Profile,
    pub hidden: Vec<Field>,
    /// The member's own choice, or the platform's last known locale.
    pub locale: Option<Locale>,
    /// Display handle of the member's first identity, for `@name` in replies.
    pub handle: String,
    /// The member's own time zone (alumni abroad), else the community's.
    pub timezone: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Member {
    pub fn is_approved(&self) -> bool {
        self.status == MemberStatus::Approved
    }

    pub fn locale_or(&self, community: &Community) -> Locale {
        self.locale.unwrap_or(community.locale)
    }

    /// The zone this member reads times in.
    pub fn tz_or(&self, community: &Community) -> chrono_tz::Tz {
        self.timezone
            .as_deref()
            .or(Some(community.timezone.as_str()))
            .and_then(|t| t.parse().ok())
            .unwrap_or(chrono_tz::Tz::Asia__Tokyo)
    }
}

/// Join lists of strings the way they are stored and shown.
pub fn join_list<T: AsRef<str>>(items: &[T]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parse a stored comma list back.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
