-- Segments (saved directory searches) and admins' broadcasts to them. Neither names a member:
-- who sent a broadcast is in the audit log, who received it in its notify jobs.

CREATE TABLE segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- the search as typed after `/alumni search`, re-read with the same grammar when used
    query TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (community_id, name)
);

CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    -- recipients counted for the preview
    previewed INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    confirmed_at TEXT
);
CREATE INDEX broadcasts_by_community ON broadcasts (community_id, id);
