-- Communities, the platform spaces they own, members and their identities, search, jobs.
-- Times are UTC (RFC 3339 text, which sorts correctly); lists are comma-joined text.

CREATE TABLE communities (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    locale TEXT NOT NULL,
    timezone TEXT NOT NULL,
    requires_approval BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE spaces (
    platform TEXT NOT NULL,
    space_id TEXT NOT NULL,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    PRIMARY KEY (platform, space_id)
);

-- AUTOINCREMENT: an erased member's id is never given to a newcomer, so an old button
-- (`v1.ap.<id>`) can never act on someone else.
CREATE TABLE members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    department TEXT,
    joined_year INTEGER,
    left_year INTEGER,
    company TEXT,
    title TEXT,
    industry TEXT,
    location TEXT,
    skills TEXT NOT NULL DEFAULT '',
    interests TEXT NOT NULL DEFAULT '',
    open_to TEXT NOT NULL DEFAULT '',
    bio TEXT,
    hidden TEXT NOT NULL DEFAULT '',
    locale TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX members_by_status ON members (community_id, status, created_at);

CREATE TABLE identities (
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    space_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    handle TEXT NOT NULL,
    handle_lower TEXT NOT NULL,
    PRIMARY KEY (community_id, platform, user_id)
);
CREATE INDEX identities_by_member ON identities (member_id);
CREATE INDEX identities_by_handle ON identities (community_id, handle_lower);

-- Directory search: our own tokens (words, CJK unigrams and bigrams, field:value filters),
-- so 2-character Japanese names such as 田中 are found, which a trigram index misses.
-- rowid = members.id.
CREATE VIRTUAL TABLE member_search USING fts5 (
    name_tokens,
    other_tokens,
    tokenize = "ascii tokenchars '_'",
    prefix = '2 3',
    detail = column
);

-- Durable outbound work (notifications now; reminders and rounds later). Written in the same
-- transaction as the change that caused it.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    member_id INTEGER REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    due_at TEXT NOT NULL,
    valid_until TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX jobs_by_due ON jobs (state, due_at);
CREATE INDEX jobs_by_member ON jobs (member_id);
-- Leases in flight, for the scheduler's next wake-up (few rows).
CREATE INDEX jobs_by_lease ON jobs (lease_until) WHERE lease_until IS NOT NULL;
