-- A platform's own copy of an event occurrence (a Discord scheduled event), so an edit or a
-- cancel after a restart, or from another process, changes that same copy. One row per copy;
-- a repeating event gets one per occurrence. No member data: it goes with its event and its
-- community.

CREATE TABLE event_mirrors (
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    occurrence TEXT NOT NULL,
    platform TEXT NOT NULL,
    external_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (community_id, platform, external_id)
);
CREATE INDEX event_mirrors_by_event ON event_mirrors (event_id, platform, occurrence);
