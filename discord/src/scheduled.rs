//! Events mirrored to Discord's native Guild Scheduled Events: created with `/event create`,
//! edited with `/event edit`, cancelled with `/event cancel`. The core's event stays the
//! truth (RSVPs, reminders); the scheduled event is the server's calendar entry.
//!
//! Which scheduled event mirrors which event is kept in memory: after a restart an edit
//! creates a fresh entry instead of editing the old one.

use std::collections::HashMap;
use std::sync::Mutex;

use bot_core::event::{Event, EventId};
use serde_json::{Value, json};
use serenity::all::{GuildId, Http, ScheduledEventId};

use crate::app::DiscordApp;
use crate::render::cut;

const NAME: usize = 100;
const LOCATION: usize = 100;
const DESCRIPTION: usize = 1000;
/// Discord's scheduled-event status for a cancelled event.
const CANCELED: u8 = 4;

#[derive(Default)]
pub struct Mirrors {
    by_event: Mutex<HashMap<EventId, ScheduledEventId>>,
}

/// What a successful `/event …` line did to which event.
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    Created,
    Edited(EventId),
    Cancelled(EventId),
}

pub fn change(line: &str) -> Option<Change> {
    let mut words = line.split_whitespace();
    if words.next()? != "/event" {
        return None;
    }
    let verb = words.next()?;
    let id = || -> Option<EventId> { line.split_whitespace().nth(2)?.parse().ok() };
    match verb {
        "create" => Some(Change::Created),
        "edit" => Some(Change::Edited(id()?)),
        "cancel" => Some(Change::Cancelled(id()?)),
        _ => None,
    }
}

fn body(event: &Event) -> Value {
    let end = event.starts_at + event.duration;
    json!({
        "name": cut(&event.title, NAME),
        "privacy_level": 2,
        "scheduled_start_time": event.starts_at.to_rfc3339(),
        "scheduled_end_time": end.to_rfc3339(),
        "entity_type": 3,
        "entity_metadata": { "location": cut(event.location.as_deref().unwrap_or("Discord"), LOCATION) },
        "description": cut(&format!("{}\n/event show {}", event.title, event.id), DESCRIPTION),
    })
}

impl DiscordApp {
    /// Mirror what a successful `/event` command did.
    pub(crate) async fn mirror_event(&self, http: &Http, guild: GuildId, change: Change) {
        let Some(community) = self.community_of(guild) else {
            return;
        };
        let store = self.core.store();
        let event = match change {
            Change::Created => {
                // The newest upcoming event is the one just created.
                let since = self.core.clock().now() - chrono::TimeDelta::days(1);
                match store.upcoming_events(community, since).await {
                    Ok(events) => events.into_iter().max_by_key(|e| e.id),
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the new event");
                        None
                    }
                }
            }
            Change::Edited(id) | Change::Cancelled(id) => {
                store.event(community, id).await.ok().flatten()
            }
        };
        let Some(event) = event else {
            return;
        };
        let known = self
            .mirrors
            .by_event
            .lock()
            .expect("mirrors")
            .get(&event.id)
            .copied();
        let result = match (change, known) {
            (Change::Cancelled(_), Some(mirror)) => http
                .edit_scheduled_event(guild, mirror, &json!({ "status": CANCELED }), None)
                .await
                .map(|_| ()),
            (Change::Cancelled(_), None) => Ok(()),
            (Change::Edited(_), Some(mirror)) => http
                .edit_scheduled_event(guild, mirror, &body(&event), None)
                .await
                .map(|_| ()),
            (Change::Created | Change::Edited(_), _) => {
                match http
                    .create_scheduled_event(guild, &body(&event), None)
                    .await
                {
                    Ok(created) => {
                        self.mirrors
                            .by_event
                            .lock()
                            .expect("mirrors")
                            .insert(event.id, created.id);
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, event = event.id, "mirroring to a scheduled event");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_create_edit_and_cancel_are_mirrored() {
        assert_eq!(change("/event create title:\"x\""), Some(Change::Created));
        assert_eq!(change("/event edit 4 at:\"…\""), Some(Change::Edited(4)));
        assert_eq!(change("/event cancel 4"), Some(Change::Cancelled(4)));
        assert_eq!(change("/event rsvp 4 going"), None);
        assert_eq!(change("/alumni join"), None);
    }
}
