-- Each bot instance searches the directory in memory (bot-core/src/store/term_index.rs) and
-- brings it up to date before every search from these notes: one per change that can move a
-- member in or out of search results, stamped with the writing transaction's id (see
-- bot-core/src/store/pg_live_index.rs for why the id and not a sequence). A trigger writes
-- them, so no write path (profile edits, approval, erasure, roster import, cascades) can be
-- missed.
CREATE TABLE search_changes (
    community_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX search_changes_by_xid ON search_changes (community_id, xid);
CREATE INDEX search_changes_by_age ON search_changes (at);

CREATE FUNCTION note_search_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO search_changes (community_id, member_id) VALUES (OLD.community_id, OLD.id);
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT'
        OR NEW.search IS DISTINCT FROM OLD.search
        OR NEW.status IS DISTINCT FROM OLD.status
        OR NEW.joined_year IS DISTINCT FROM OLD.joined_year
        OR NEW.left_year IS DISTINCT FROM OLD.left_year
        OR NEW.hidden IS DISTINCT FROM OLD.hidden THEN
        INSERT INTO search_changes (community_id, member_id) VALUES (NEW.community_id, NEW.id);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER members_search_changes
    AFTER INSERT OR UPDATE OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION note_search_change();
