-- HR's roster of people who left (imported from CSV). A joiner whose platform handle matches a
-- row is pre-verified; the row then points at the member (and goes when they erase their data).

CREATE TABLE roster (
    id BIGSERIAL PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    -- email, else handle, else name and years: what makes a re-import update, not duplicate
    person_key TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    handle TEXT,
    department TEXT,
    joined_year INTEGER,
    left_year INTEGER,
    member_id BIGINT REFERENCES members(id) ON DELETE SET NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    UNIQUE (community_id, person_key)
);
CREATE INDEX roster_by_handle ON roster (community_id, lower(handle));
CREATE INDEX roster_by_member ON roster (member_id);
