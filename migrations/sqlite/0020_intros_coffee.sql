-- Introductions (double opt-in), private blocks, coffee-chat rounds, and the community settings
-- they use.

ALTER TABLE communities ADD COLUMN intro_days INTEGER NOT NULL DEFAULT 7;
ALTER TABLE communities ADD COLUMN intro_limit INTEGER NOT NULL DEFAULT 5;
ALTER TABLE communities ADD COLUMN employee_intros BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE communities ADD COLUMN nudge_days INTEGER NOT NULL DEFAULT 182;
ALTER TABLE communities ADD COLUMN welcome_channel TEXT NOT NULL DEFAULT 'general';

CREATE TABLE blocks (
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    blocker_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    blocked_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_by_blocked ON blocks (blocked_id);

-- first and second are asked; for a direct request second is the requester (already agreed).
CREATE TABLE intros (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    requester_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    first_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    second_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    why TEXT NOT NULL,
    first_answer TEXT,
    second_answer TEXT,
    status TEXT NOT NULL,
    -- Created but never shown (the target blocked the requester): it quietly expires.
    suppressed BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX intros_by_requester ON intros (requester_id, status);
CREATE INDEX intros_by_first ON intros (first_id);
CREATE INDEX intros_by_second ON intros (second_id);

CREATE TABLE coffee_settings (
    community_id INTEGER PRIMARY KEY REFERENCES communities(id) ON DELETE CASCADE,
    every_days INTEGER NOT NULL,
    weekday INTEGER NOT NULL,
    at_time TEXT NOT NULL,
    group_size INTEGER NOT NULL,
    mix_alumni_employee BOOLEAN NOT NULL,
    avoid_same_department BOOLEAN NOT NULL,
    next_round TEXT NOT NULL
);

CREATE TABLE coffee_members (
    member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    active BOOLEAN NOT NULL,
    paused_until TEXT,
    ignored_rounds INTEGER NOT NULL DEFAULT 0,
    joined_at TEXT NOT NULL
);
CREATE INDEX coffee_members_by_community ON coffee_members (community_id, active);

CREATE TABLE coffee_skips (
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    round_at TEXT NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    PRIMARY KEY (community_id, round_at, member_id)
);

CREATE TABLE coffee_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    round_at TEXT NOT NULL
);
CREATE INDEX coffee_groups_by_round ON coffee_groups (community_id, round_at);

CREATE TABLE coffee_group_members (
    group_id INTEGER NOT NULL REFERENCES coffee_groups(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    met TEXT,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX coffee_group_members_by_member ON coffee_group_members (member_id);
