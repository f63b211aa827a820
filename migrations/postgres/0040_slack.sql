-- Slack: one installation per workspace (team), OAuth install states, and the event ids already
-- handled. In the database, not in memory, so several instances behind one load balancer agree.

CREATE TABLE slack_installations (
    team_id TEXT PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    bot_token TEXT NOT NULL,
    bot_user_id TEXT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE,
    installed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX slack_installations_by_community ON slack_installations (community_id);

CREATE TABLE slack_oauth_states (
    state TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE slack_events (
    event_id TEXT PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX slack_events_by_time ON slack_events (received_at);
