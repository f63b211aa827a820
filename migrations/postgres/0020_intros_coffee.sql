-- Introductions (double opt-in), private blocks, coffee-chat rounds, and the community settings
-- they use.

ALTER TABLE communities ADD COLUMN intro_days INTEGER NOT NULL DEFAULT 7;
ALTER TABLE communities ADD COLUMN intro_limit INTEGER NOT NULL DEFAULT 5;
ALTER TABLE communities ADD COLUMN employee_intros BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE communities ADD COLUMN nudge_days INTEGER NOT NULL DEFAULT 182;
ALTER TABLE communities ADD COLUMN welcome_channel TEXT NOT NULL DEFAULT 'general';

CREATE TABLE blocks (
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    blocker_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    blocked_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_by_blocked ON blocks (blocked_id);

-- first and second are asked; for a direct request second is the requester (already agreed).
CREATE TABLE intros (
    id BIGSERIAL PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    requester_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    first_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    second_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    why TEXT NOT NULL,
    first_answer TEXT,
    second_answer TEXT,
    status TEXT NOT NULL,
    -- Created but never shown (the target blocked the requester): it quietly expires.
    suppressed BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ
);
CREATE INDEX intros_by_requester ON intros (requester_id, status);
CREATE INDEX intros_by_first ON intros (first_id);
CREATE INDEX intros_by_second ON intros (second_id);

CREATE TABLE coffee_settings (
    community_id BIGINT PRIMARY KEY REFERENCES communities(id) ON DELETE CASCADE,
    every_days INTEGER NOT NULL,
    weekday INTEGER NOT NULL,
    at_time TEXT NOT NULL,
    group_size INTEGER NOT NULL,
    mix_alumni_employee BOOLEAN NOT NULL,
    avoid_same_department BOOLEAN NOT NULL,
    next_round TIMESTAMPTZ NOT NULL
);

CREATE TABLE coffee_members (
    member_id BIGINT PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    active BOOLEAN NOT NULL,
    paused_until TIMESTAMPTZ,
    ignored_rounds INTEGER NOT NULL DEFAULT 0,
    joined_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX coffee_members_by_community ON coffee_members (community_id, active);

CREATE TABLE coffee_skips (
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    round_at TIMESTAMPTZ NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    PRIMARY KEY (community_id, round_at, member_id)
);

CREATE TABLE coffee_groups (
    id BIGSERIAL PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    round_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX coffee_groups_by_round ON coffee_groups (community_id, round_at);

CREATE TABLE coffee_group_members (
    group_id BIGINT NOT NULL REFERENCES coffee_groups(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    met TEXT,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX coffee_group_members_by_member ON coffee_group_members (member_id);
