//! Turning stored columns into domain values, the same for both backends.

use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::domain::{Field, Member, MemberStatus, OpenTo, Profile, Role, split_list};
use crate::error::StoreError;
use crate::i18n::Locale;

/// The member columns every member query selects (`m` is `members`); a macro so queries
/// can `concat!` it into a `&'static str`.
macro_rules! member_columns {
    () => {
        "m.id, m.community_id, m.status, m.role, m.name, m.department, m.joined_year, \
         m.left_year, m.company, m.title, m.industry, m.location, m.skills, m.interests, \
         m.open_to, m.bio, m.hidden, m.locale, m.created_at, m.timezone, \
         COALESCE((SELECT i.handle FROM identities i WHERE i.member_id = m.id \
                   ORDER BY i.platform, i.user_id LIMIT 1), '') AS handle"
    };
}
pub(crate) use member_columns;

/// Raw member columns as read from either backend.
pub(crate) struct MemberColumns {
    pub id: i64,
    pub community_id: i64,
    pub status: String,
    pub role: String,
    pub name: String,
    pub department: Option<String>,
    pub joined_year: Option<i32>,
    pub left_year: Option<i32>,
    pub company: Option<String>,
    pub title: Option<String>,
    pub industry: Option<String>,
    pub location: Option<String>,
    pub skills: String,
    pub interests: String,
    pub open_to: String,
    pub bio: Option<String>,
    pub hidden: String,
    pub locale: Option<String>,
    pub created_at: DateTime<Utc>,
    pub handle: String,
    pub timezone: Option<String>,
}

fn parse<T: FromStr>(what: &str, text: &str) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what}: {text:?}")))
}

impl MemberColumns {
    pub fn into_member(self) -> Result<Member, StoreError> {
        Ok(Member {
            id: self.id,
            community_id: self.community_id,
            status: parse::<MemberStatus>("status", &self.status)?,
            role: parse::<Role>("role", &self.role)?,
            profile: Profile {
                name: self.name,
                department: self.department,
                joined: self.joined_year,
                left: self.left_year,
                company: self.company,
                title: self.title,
                industry: self.industry,
                location: self.location,
                skills: split_list(&self.skills),
                interests: split_list(&self.interests),
                open_to: split_list(&self.open_to)
                    .iter()
                    .map(|s| parse::<OpenTo>("open_to", s))
                    .collect::<Result<_, _>>()?,
                bio: self.bio,
            },
            hidden: split_list(&self.hidden)
                .iter()
                .map(|s| parse::<Field>("hidden", s))
                .collect::<Result<_, _>>()?,
            locale: self
                .locale
                .as_deref()
                .and_then(|l| l.parse::<Locale>().ok()),
            handle: self.handle,
            created_at: self.created_at,
            timezone: self.timezone,
        })
    }
}

/// Lists as stored: comma-joined (items never contain commas; the grammar splits on them).
pub(crate) fn stored_list<T: AsRef<str>>(items: &[T]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(",")
}
