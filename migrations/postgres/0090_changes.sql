-- The change log every in-memory view is kept current from (bot-core/src/store/live.rs),
-- replacing search_changes: one row per change to what commands read on every request — a
-- community and its spaces and purpose, a member, their identities, consents and the blocks
-- against them — stamped with the writing transaction's id (see live.rs for why the id and not
-- a sequence). Triggers write it, so no write path and no other instance can be missed.
DROP TRIGGER members_search_changes ON members;
DROP FUNCTION note_search_change();
DROP TABLE search_changes;

CREATE TABLE changes (
    community_id BIGINT NOT NULL,
    member_id BIGINT,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX changes_by_xid ON changes (xid);
CREATE INDEX changes_by_age ON changes (at);

CREATE FUNCTION note_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN
        r := OLD;
    ELSE
        r := NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME IN ('identities', 'blocks', 'spaces') THEN
        -- A row moved: the old owner changes too.
        PERFORM note_change_of(TG_TABLE_NAME, OLD);
    END IF;
    PERFORM note_change_of(TG_TABLE_NAME, r);
    RETURN r;
END
$$;

CREATE FUNCTION note_change_of(tab TEXT, r RECORD) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CASE tab
        WHEN 'members' THEN
            INSERT INTO changes (community_id, member_id) VALUES (r.community_id, r.id);
        WHEN 'communities' THEN
            INSERT INTO changes (community_id) VALUES (r.id);
        WHEN 'spaces', 'community_purposes' THEN
            INSERT INTO changes (community_id) VALUES (r.community_id);
        WHEN 'blocks' THEN
            -- A block changes what the blocked member finds.
            INSERT INTO changes (community_id, member_id) VALUES (r.community_id, r.blocked_id);
        ELSE
            INSERT INTO changes (community_id, member_id) VALUES (r.community_id, r.member_id);
    END CASE;
END
$$;

CREATE TRIGGER members_noted AFTER INSERT OR UPDATE OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION note_change();
CREATE TRIGGER identities_noted AFTER INSERT OR UPDATE OR DELETE ON identities
    FOR EACH ROW EXECUTE FUNCTION note_change();
CREATE TRIGGER consents_noted AFTER INSERT OR UPDATE OR DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION note_change();
CREATE TRIGGER blocks_noted AFTER INSERT OR UPDATE OR DELETE ON blocks
    FOR EACH ROW EXECUTE FUNCTION note_change();
CREATE TRIGGER communities_noted AFTER UPDATE OR DELETE ON communities
    FOR EACH ROW EXECUTE FUNCTION note_change();
CREATE TRIGGER spaces_noted AFTER INSERT OR UPDATE OR DELETE ON spaces
    FOR EACH ROW EXECUTE FUNCTION note_change();
CREATE TRIGGER purposes_noted AFTER INSERT OR UPDATE OR DELETE ON community_purposes
    FOR EACH ROW EXECUTE FUNCTION note_change();
