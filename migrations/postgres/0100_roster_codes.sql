-- HR's roster as a funnel (#17): each row's role on joining and its personal invite code
-- (Crockford base32, unique in the community, NULL once used or after its member erased their
-- data), when a code was first handed out (exported), and wrong codes per person so guessing
-- is rate-limited across restarts.

ALTER TABLE roster ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
ALTER TABLE roster ADD COLUMN code TEXT;
ALTER TABLE roster ADD COLUMN invited_at TIMESTAMPTZ;
CREATE UNIQUE INDEX roster_by_code ON roster (community_id, code);

-- No member row: the person is not (yet) a member. Cleared when they join with a code.
CREATE TABLE roster_code_failures (
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_failed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (community_id, platform, user_id)
);
