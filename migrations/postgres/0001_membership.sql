-- Communities, the platform spaces they own, members and their identities, search, jobs.

CREATE TABLE communities (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    locale TEXT NOT NULL,
    timezone TEXT NOT NULL,
    requires_approval BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE spaces (
    platform TEXT NOT NULL,
    space_id TEXT NOT NULL,
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    PRIMARY KEY (platform, space_id)
);

CREATE TABLE members (
    id BIGSERIAL PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
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
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    -- Directory search: our own tokens (words, CJK unigrams and bigrams, field:value filters)
    -- as lexemes, weighted A for the name. pg_trgm would miss 2-character names such as 田中.
    search tsvector NOT NULL DEFAULT ''::tsvector
);
CREATE INDEX members_by_status ON members (community_id, status, created_at);
CREATE INDEX members_search ON members USING GIN (search);

CREATE TABLE identities (
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    space_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    handle TEXT NOT NULL,
    handle_lower TEXT NOT NULL,
    PRIMARY KEY (community_id, platform, user_id)
);
CREATE INDEX identities_by_member ON identities (member_id);
CREATE INDEX identities_by_handle ON identities (community_id, handle_lower);

-- Durable outbound work, written in the same transaction as the change that caused it.
CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    member_id BIGINT REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    due_at TIMESTAMPTZ NOT NULL,
    valid_until TIMESTAMPTZ,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
CREATE INDEX jobs_by_due ON jobs (state, due_at);
CREATE INDEX jobs_by_member ON jobs (member_id);
-- Leases in flight, for the scheduler's next wake-up (few rows).
CREATE INDEX jobs_by_lease ON jobs (lease_until) WHERE lease_until IS NOT NULL;
