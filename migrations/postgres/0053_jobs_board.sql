-- Opportunities (rehire, contract, project) and members' "I'm interested".

CREATE TABLE opportunities (
    id BIGSERIAL PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    poster_id BIGINT REFERENCES members(id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    details TEXT,
    skills TEXT NOT NULL DEFAULT '',
    open_until TIMESTAMPTZ,
    closed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX opportunities_open ON opportunities (community_id, closed, id);
CREATE INDEX opportunities_by_poster ON opportunities (poster_id);

CREATE TABLE opportunity_interest (
    opportunity_id BIGINT NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (opportunity_id, member_id)
);
CREATE INDEX opportunity_interest_by_member ON opportunity_interest (member_id);
