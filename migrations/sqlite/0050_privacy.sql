-- Privacy rights (APPI): the community's stated purpose (versioned), each member's consent to a
-- version, an audit log of admin reads, exports and broadcasts, per-member broadcast opt-out,
-- and the anonymous counts kept when a member erases their data.

CREATE TABLE community_purposes (
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (community_id, version)
);

CREATE TABLE consents (
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    consented_at TEXT NOT NULL,
    PRIMARY KEY (member_id, version)
);

-- Who did what to whom. Erasing a member keeps the entry but forgets them (SET NULL); the
-- detail never holds names, only counts and kinds.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    actor_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    target_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX audit_log_by_community ON audit_log (community_id, id);
CREATE INDEX audit_log_by_target ON audit_log (target_id);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id);

CREATE TABLE member_settings (
    member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    broadcasts BOOLEAN NOT NULL DEFAULT TRUE
);

-- Totals that survive erasure (e.g. `erased`, `rsvps.going`, `intros.connected`).
CREATE TABLE anonymous_counts (
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    what TEXT NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (community_id, what)
);
