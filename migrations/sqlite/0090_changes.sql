-- The change log every in-memory view is kept current from (bot-core/src/store/live.rs): one
-- row per change to what commands read on every request — a community and its spaces and
-- purpose, a member, their identities, consents and the blocks against them. Triggers write
-- it, so no write path (commands, roster import, erasure, cascades, another process on the same
-- file) can be missed. Writes are serialised in SQLite, so `seq` is commit order.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL,
    member_id INTEGER,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX changes_by_age ON changes (at);

CREATE TRIGGER members_noted_insert AFTER INSERT ON members
BEGIN INSERT INTO changes (community_id, member_id) VALUES (NEW.community_id, NEW.id); END;
CREATE TRIGGER members_noted_update AFTER UPDATE ON members
BEGIN INSERT INTO changes (community_id, member_id) VALUES (NEW.community_id, NEW.id); END;
CREATE TRIGGER members_noted_delete AFTER DELETE ON members
BEGIN INSERT INTO changes (community_id, member_id) VALUES (OLD.community_id, OLD.id); END;

CREATE TRIGGER identities_noted_insert AFTER INSERT ON identities
BEGIN INSERT INTO changes (community_id, member_id) VALUES (NEW.community_id, NEW.member_id); END;
CREATE TRIGGER identities_noted_update AFTER UPDATE ON identities
BEGIN
    INSERT INTO changes (community_id, member_id) VALUES (OLD.community_id, OLD.member_id);
    INSERT INTO changes (community_id, member_id) VALUES (NEW.community_id, NEW.member_id);
END;
CREATE TRIGGER identities_noted_delete AFTER DELETE ON identities
BEGIN INSERT INTO changes (community_id, member_id) VALUES (OLD.community_id, OLD.member_id); END;

CREATE TRIGGER consents_noted_insert AFTER INSERT ON consents
BEGIN INSERT INTO changes (community_id, member_id) VALUES (NEW.community_id, NEW.member_id); END;
CREATE TRIGGER consents_noted_update AFTER UPDATE ON consents
BEGIN INSERT INTO changes (community_id, member_id) VALUES (NEW.community_id, NEW.member_id); END;
CREATE TRIGGER consents_noted_delete AFTER DELETE ON consents
BEGIN INSERT INTO changes (community_id, member_id) VALUES (OLD.community_id, OLD.member_id); END;

-- A block changes what the blocked member finds.
CREATE TRIGGER blocks_noted_insert AFTER INSERT ON blocks
BEGIN INSERT INTO changes (community_id, member_id) VALUES (NEW.community_id, NEW.blocked_id); END;
CREATE TRIGGER blocks_noted_update AFTER UPDATE ON blocks
BEGIN
    INSERT INTO changes (community_id, member_id) VALUES (OLD.community_id, OLD.blocked_id);
    INSERT INTO changes (community_id, member_id) VALUES (NEW.community_id, NEW.blocked_id);
END;
CREATE TRIGGER blocks_noted_delete AFTER DELETE ON blocks
BEGIN INSERT INTO changes (community_id, member_id) VALUES (OLD.community_id, OLD.blocked_id); END;

CREATE TRIGGER communities_noted_update AFTER UPDATE ON communities
BEGIN INSERT INTO changes (community_id) VALUES (NEW.id); END;
CREATE TRIGGER communities_noted_delete AFTER DELETE ON communities
BEGIN INSERT INTO changes (community_id) VALUES (OLD.id); END;

CREATE TRIGGER spaces_noted_insert AFTER INSERT ON spaces
BEGIN INSERT INTO changes (community_id) VALUES (NEW.community_id); END;
CREATE TRIGGER spaces_noted_update AFTER UPDATE ON spaces
BEGIN
    INSERT INTO changes (community_id) VALUES (OLD.community_id);
    INSERT INTO changes (community_id) VALUES (NEW.community_id);
END;
CREATE TRIGGER spaces_noted_delete AFTER DELETE ON spaces
BEGIN INSERT INTO changes (community_id) VALUES (OLD.community_id); END;

CREATE TRIGGER purposes_noted_insert AFTER INSERT ON community_purposes
BEGIN INSERT INTO changes (community_id) VALUES (NEW.community_id); END;
CREATE TRIGGER purposes_noted_update AFTER UPDATE ON community_purposes
BEGIN INSERT INTO changes (community_id) VALUES (NEW.community_id); END;
CREATE TRIGGER purposes_noted_delete AFTER DELETE ON community_purposes
BEGIN INSERT INTO changes (community_id) VALUES (OLD.community_id); END;
