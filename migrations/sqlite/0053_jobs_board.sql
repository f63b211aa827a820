-- Opportunities (rehire, contract, project) and members' "I'm interested".

CREATE TABLE opportunities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    poster_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    details TEXT,
    skills TEXT NOT NULL DEFAULT '',
    open_until TEXT,
    closed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL
);
CREATE INDEX opportunities_open ON opportunities (community_id, closed, id);
CREATE INDEX opportunities_by_poster ON opportunities (poster_id);

CREATE TABLE opportunity_interest (
    opportunity_id INTEGER NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (opportunity_id, member_id)
);
CREATE INDEX opportunity_interest_by_member ON opportunity_interest (member_id);
