//! Events mirrored to Discord's native Guild Scheduled Events, from what the core says it did
//! (the reply's `EventCreated` / `EventChanged` / `EventCancelled`, and `EventRolled` on a
//! repeating event's next announcement). The core's event stays the truth (RSVPs,
//! reminders); the scheduled event is the server's calendar entry for one occurrence.
//!
//! Which scheduled event shows which occurrence is stored (`Store::event_mirrors`), so an edit
//! or cancel after a restart, or in another process, changes the same entry.

use bot_core::domain::{CommunityId, Platform};
use bot_core::event::{Event, EventId};
use bot_core::reply::Effect;
use bot_core::store::EventMirror;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use serenity::all::{GuildId, Http, ScheduledEventId};

use crate::app::DiscordApp;
use crate::render::cut;

const NAME: usize = 100;
const LOCATION: usize = 100;
const DESCRIPTION: usize = 1000;
/// Discord's scheduled-event status for a cancelled event.
const CANCELED: u8 = 4;

fn body(event: &Event, occurrence: DateTime<Utc>) -> Value {
    let end = occurrence + event.duration;
    json!({
        "name": cut(&event.title, NAME),
        "privacy_level": 2,
        "scheduled_start_time": occurrence.to_rfc3339(),
        "scheduled_end_time": end.to_rfc3339(),
        "entity_type": 3,
        "entity_metadata": { "location": cut(event.location.as_deref().unwrap_or("Discord"), LOCATION) },
        "description": cut(&format!("{}\n/event show {}", event.title, event.id), DESCRIPTION),
    })
}

/// A copy not over yet (Discord lets only those be edited or cancelled).
fn live(mirror: &EventMirror, event: &Event, now: DateTime<Utc>) -> bool {
    mirror.occurrence + event.duration > now
}

fn scheduled_id(mirror: &EventMirror) -> Option<ScheduledEventId> {
    mirror
        .external_id
        .parse::<u64>()
        .ok()
        .filter(|id| *id != 0)
        .map(ScheduledEventId::new)
}

impl DiscordApp {
    /// Mirror what a command did to events, as its reply's effects say.
    pub(crate) async fn mirror_events(&self, http: &Http, guild: GuildId, effects: &[Effect]) {
        let Some(community) = self.community_of(guild) else {
            return;
        };
        for effect in effects {
            let result = match effect {
                Effect::EventCreated { id } | Effect::EventChanged { id } => {
                    self.upsert(http, guild, community, *id).await
                }
                Effect::EventCancelled { id } => self.cancel(http, guild, community, *id).await,
                Effect::EventRolled { id, occurrence } => {
                    self.rolled(http, guild, community, *id, *occurrence).await
                }
                Effect::StandingChanged { .. } => continue,
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, ?effect, "mirroring to a scheduled event");
            }
        }
    }

    /// A delivered channel post of `community` (the scheduler's): a rolled-over event's
    /// announcement brings the new occurrence's scheduled event.
    pub(crate) async fn mirror_delivered(&self, community: CommunityId, effects: &[Effect]) {
        if !effects
            .iter()
            .any(|e| matches!(e, Effect::EventRolled { .. }))
        {
            return;
        }
        let Some(guild) = self.directory.guild(community).map(|g| g.guild_id) else {
            return;
        };
        self.mirror_events(&self.http, guild, effects).await;
    }

    async fn event_and_mirrors(
        &self,
        community: CommunityId,
        id: EventId,
    ) -> Result<Option<(Event, Vec<EventMirror>)>, MirrorError> {
        let store = self.core.store();
        let Some(event) = store.event(community, id).await? else {
            return Ok(None);
        };
        let mirrors = store
            .event_mirrors(community, id, Platform::Discord)
            .await?;
        Ok(Some((event, mirrors)))
    }

    async fn save(
        &self,
        event: &Event,
        occurrence: DateTime<Utc>,
        scheduled: ScheduledEventId,
    ) -> Result<(), MirrorError> {
        let mirror = EventMirror {
            community_id: event.community_id,
            event_id: event.id,
            occurrence,
            platform: Platform::Discord,
            external_id: scheduled.to_string(),
        };
        let now = self.core.clock().now();
        Ok(self.core.store().save_event_mirror(&mirror, now).await?)
    }

    /// Created or edited: the copies of occurrences not started yet show the event's
    /// occurrences from the next one to start on, in order (normally one copy; a repeating
    /// event's started occurrence keeps its own); with none, the next occurrence gets one. A
    /// copy whose occurrence no longer exists (the repeat was removed) is cancelled.
    async fn upsert(
        &self,
        http: &Http,
        guild: GuildId,
        community: CommunityId,
        id: EventId,
    ) -> Result<(), MirrorError> {
        let Some((event, mirrors)) = self.event_and_mirrors(community, id).await? else {
            return Ok(());
        };
        if event.cancelled {
            return Ok(());
        }
        let now = self.core.clock().now();
        let upcoming: Vec<ScheduledEventId> = mirrors
            .iter()
            .filter(|m| m.occurrence > now)
            .filter_map(scheduled_id)
            .collect();
        let mut occurrence = event.next_occurrence(now).and_then(|o| {
            if o > now {
                Some(o)
            } else {
                event.occurrence_after(o)
            }
        });
        if upcoming.is_empty() {
            let Some(occurrence) = occurrence else {
                return Ok(());
            };
            let created = http
                .create_scheduled_event(guild, &body(&event, occurrence), None)
                .await?;
            return self.save(&event, occurrence, created.id).await;
        }
        for scheduled in upcoming {
            match occurrence {
                Some(shows) => {
                    http.edit_scheduled_event(guild, scheduled, &body(&event, shows), None)
                        .await?;
                    self.save(&event, shows, scheduled).await?;
                    occurrence = event.occurrence_after(shows);
                }
                None => cancel(http, guild, scheduled).await,
            }
        }
        Ok(())
    }

    /// Cancelled: every scheduled event of it not over yet is marked cancelled.
    async fn cancel(
        &self,
        http: &Http,
        guild: GuildId,
        community: CommunityId,
        id: EventId,
    ) -> Result<(), MirrorError> {
        let Some((event, mirrors)) = self.event_and_mirrors(community, id).await? else {
            return Ok(());
        };
        let now = self.core.clock().now();
        for scheduled in mirrors
            .iter()
            .filter(|m| live(m, &event, now))
            .filter_map(scheduled_id)
        {
            cancel(http, guild, scheduled).await;
        }
        Ok(())
    }

    /// A repeating event moved on to `occurrence`: its own scheduled event, once (a retried
    /// delivery finds it recorded).
    async fn rolled(
        &self,
        http: &Http,
        guild: GuildId,
        community: CommunityId,
        id: EventId,
        occurrence: DateTime<Utc>,
    ) -> Result<(), MirrorError> {
        let Some((event, mirrors)) = self.event_and_mirrors(community, id).await? else {
            return Ok(());
        };
        if event.cancelled || mirrors.iter().any(|m| m.occurrence == occurrence) {
            return Ok(());
        }
        let created = http
            .create_scheduled_event(guild, &body(&event, occurrence), None)
            .await?;
        self.save(&event, occurrence, created.id).await
    }
}

/// Mark one scheduled event cancelled; a failure is logged and the others still go.
async fn cancel(http: &Http, guild: GuildId, scheduled: ScheduledEventId) {
    let cancelled = json!({ "status": CANCELED });
    if let Err(e) = http
        .edit_scheduled_event(guild, scheduled, &cancelled, None)
        .await
    {
        tracing::warn!(error = %e, %scheduled, "cancelling a scheduled event");
    }
}

#[derive(Debug, thiserror::Error)]
enum MirrorError {
    #[error(transparent)]
    Discord(#[from] serenity::Error),
    #[error(transparent)]
    Store(#[from] bot_core::error::StoreError),
}
