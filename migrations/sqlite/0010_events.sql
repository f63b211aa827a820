-- Events with RSVPs per occurrence; members' own time zone; jobs tied to an event and the
-- platform message a delivery produced (to edit it later, e.g. live RSVP counts).

ALTER TABLE members ADD COLUMN timezone TEXT;

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    timezone TEXT NOT NULL,
    location TEXT,
    capacity INTEGER,
    remind TEXT NOT NULL DEFAULT '',
    rrule TEXT,
    channel TEXT NOT NULL,
    cancelled BOOLEAN NOT NULL DEFAULT FALSE,
    cancel_reason TEXT,
    created_by INTEGER REFERENCES members(id) ON DELETE SET NULL,
    rsvp_seq INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX events_by_start ON events (community_id, cancelled, starts_at);

CREATE TABLE rsvps (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    occurrence TEXT NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (event_id, occurrence, member_id)
);
CREATE INDEX rsvps_by_state ON rsvps (event_id, occurrence, state, since);
CREATE INDEX rsvps_by_member ON rsvps (member_id);

ALTER TABLE jobs ADD COLUMN event_id INTEGER REFERENCES events(id) ON DELETE CASCADE;
ALTER TABLE jobs ADD COLUMN result_ref TEXT;
CREATE INDEX jobs_by_event ON jobs (event_id);
