//! `Action`: what a button or form means. Its id is a compact, versioned string
//! (`v1.ap.42`, `v1.rs.7.1766052000.g`) that fits Discord's 100-character custom_id and Slack's
//! action_id; the core decodes it and checks the clicking member may do it.

use crate::command::event::RsvpChoice;
use crate::domain::MemberId;
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

    pub fn decode(id: &str) -> Result<Action, UserError> {
        let bad = || {
            UserError::new("error.bad_action").arg("id", id.chars().take(100).collect::<String>())
        };
        let parts: Vec<&str> = id.trim().split('.').collect();
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
