//! `Action`: what a button or form means. Its id is a compact, versioned string
//! (`v1.ap.42`, `v1.rs.7.1766052000.g`) that fits Discord's 100-character custom_id and Slack's
//! action_id; the core decodes it and checks the clicking member may do it.

use crate::command::event::RsvpChoice;
use crate::domain::{CommunityId, MemberId};
use crate::error::UserError;
use crate::event::EventId;
use crate::social::IntroId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Approve(MemberId),
    /// Opens a form for the reason, then rejects.
    Reject(MemberId),
    /// RSVP to one occurrence (its start as a Unix timestamp).
    Rsvp {
        event: EventId,
        occurrence: i64,
        choice: RsvpChoice,
    },
    /// Answer an introduction request.
    IntroAnswer {
        intro: IntroId,
        accept: bool,
    },
    /// Skip the coffee round starting at this Unix time.
    CoffeeSkip {
        round: i64,
    },
    /// "Did you meet?" for a coffee group.
    CoffeeMet {
        group: i64,
        met: bool,
    },
    /// Consent to this version of the community's stated purpose.
    Agree {
        version: i64,
    },
    /// Send a previewed broadcast.
    Broadcast {
        id: i64,
    },
    /// "I'm interested" in an opportunity (shares the profile summary with its poster).
    JobInterest {
        id: i64,
    },
}

const VERSION: &str = "v1";

impl Action {
    pub fn encode(self) -> String {
        match self {
            Action::Approve(id) => format!("{VERSION}.ap.{id}"),
            Action::Reject(id) => format!("{VERSION}.rj.{id}"),
            Action::Rsvp {
                event,
                occurrence,
                choice,
            } => {
                let c = match choice {
                    RsvpChoice::Going => 'g',
                    RsvpChoice::Maybe => 'm',
                    RsvpChoice::No => 'n',
                };
                format!("{VERSION}.rs.{event}.{occurrence}.{c}")
            }
            Action::IntroAnswer { intro, accept } => {
                format!("{VERSION}.in.{intro}.{}", if accept { 'y' } else { 'n' })
            }
            Action::CoffeeSkip { round } => format!("{VERSION}.cs.{round}"),
            Action::CoffeeMet { group, met } => {
                format!("{VERSION}.cm.{group}.{}", if met { 'y' } else { 'n' })
            }
            Action::Agree { version } => format!("{VERSION}.ag.{version}"),
            Action::Broadcast { id } => format!("{VERSION}.bc.{id}"),
            Action::JobInterest { id } => format!("{VERSION}.ji.{id}"),
        }
    }

    /// The id as sent on a platform: the action and its community (`v1.ap.42@3`). A button
    /// pressed where the platform names no community (a Discord DM) still acts in its own one;
    /// the core refuses it when pressed in another community's space.
    pub fn encode_in(self, community: CommunityId) -> String {
        format!("{}@{community}", self.encode())
    }

    /// The community an id was issued in, if it names one.
    pub fn community_of(id: &str) -> Option<CommunityId> {
        let (_, community) = id.trim().rsplit_once('@')?;
        community.parse().ok().filter(|c: &CommunityId| *c > 0)
    }

    /// The action of an id, with or without its community.
    pub fn decode(id: &str) -> Result<Action, UserError> {
        let bad = || {
            UserError::new("error.bad_action").arg("id", id.chars().take(100).collect::<String>())
        };
        let action = match id.trim().rsplit_once('@') {
            Some((action, community)) => {
                if community.parse::<CommunityId>().map_or(true, |c| c <= 0) {
                    return Err(bad());
                }
                action
            }
            None => id.trim(),
        };
        let parts: Vec<&str> = action.split('.').collect();
        let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
        match parts.as_slice() {
            [VERSION, "ap", n] => Ok(Action::Approve(num(n)?)),
            [VERSION, "rj", n] => Ok(Action::Reject(num(n)?)),
            [VERSION, "rs", e, o, c] => Ok(Action::Rsvp {
                event: num(e)?,
                occurrence: num(o)?,
                choice: match *c {
                    "g" => RsvpChoice::Going,
                    "m" => RsvpChoice::Maybe,
                    "n" => RsvpChoice::No,
                    _ => return Err(bad()),
                },
            }),
            [VERSION, "in", i, a] => Ok(Action::IntroAnswer {
                intro: num(i)?,
                accept: yes_no(a).ok_or_else(bad)?,
            }),
            [VERSION, "cs", r] => Ok(Action::CoffeeSkip { round: num(r)? }),
            [VERSION, "cm", g, m] => Ok(Action::CoffeeMet {
                group: num(g)?,
                met: yes_no(m).ok_or_else(bad)?,
            }),
            [VERSION, "ag", v] => Ok(Action::Agree { version: num(v)? }),
            [VERSION, "bc", b] => Ok(Action::Broadcast { id: num(b)? }),
            [VERSION, "ji", j] => Ok(Action::JobInterest { id: num(j)? }),
            _ => Err(bad()),
        }
    }
}

fn yes_no(s: &str) -> Option<bool> {
    match s {
        "y" => Some(true),
        "n" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_carries_its_community() {
        let id = Action::Approve(42).encode_in(3);
        assert_eq!(id, "v1.ap.42@3");
        assert_eq!(Action::decode(&id), Ok(Action::Approve(42)));
        assert_eq!(Action::community_of(&id), Some(3));
        assert_eq!(Action::community_of("v1.ap.42"), None);
        for bad in ["v1.ap.42@", "v1.ap.42@x", "v1.ap.42@0", "v1.ap.42@-1"] {
            assert!(Action::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trips_and_rejects_garbage() {
        for a in [
            Action::Approve(1),
            Action::Reject(i64::MAX),
            Action::Rsvp {
                event: 7,
                occurrence: 1_766_052_000,
                choice: RsvpChoice::Maybe,
            },
            Action::IntroAnswer {
                intro: 3,
                accept: false,
            },
            Action::CoffeeSkip {
                round: 1_800_000_000,
            },
            Action::CoffeeMet {
                group: 9,
                met: true,
            },
            Action::Agree { version: 2 },
            Action::Broadcast { id: 4 },
            Action::JobInterest { id: 5 },
        ] {
            assert_eq!(Action::decode(&a.encode()), Ok(a));
            assert!(a.encode().len() <= 100);
        }
        for bad in [
            "",
            "v1",
            "v1.ap",
            "v1.ap.x",
            "v2.ap.1",
            "v1.zz.1",
            "v1.ap.1.2",
            "v1.rs.1.2.x",
            "v1.rs.1.g",
        ] {
            assert_eq!(
                Action::decode(bad).unwrap_err().key,
                "error.bad_action",
                "{bad}"
            );
        }
    }
}
