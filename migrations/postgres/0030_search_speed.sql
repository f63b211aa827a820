-- Directory search, second version (bot-core/src/search.rs; figures in BENCHMARKS.md).
--
-- Latin words are now indexed with their prefixes by our own tokenizer (a prefix query on GIN
-- walks every posting under the prefix), and a member's name terms are also indexed as
-- markers (nm_…). The documents are rebuilt in Rust when the store opens
-- (search_index_version below).
--
-- Only approved members are ever searched, so the GIN index holds only them; a status change
-- moves the row in or out of it.
DROP INDEX members_search;
CREATE INDEX members_search ON members USING GIN (search) WHERE status = 'approved';

-- The tokenizer version the stored documents were written with; older ones are rebuilt.
-- 1: the first release.
CREATE TABLE search_index_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO search_index_version (id, version) VALUES (1, 1);

-- Approved members of a community newest first: a search walks it, testing each row, and
-- stops early when its terms are common. Partial, so lookups of a member by id never pick it
-- over the primary key.
CREATE INDEX members_approved ON members (community_id, id) WHERE status = 'approved';
-- Year ranges: counting them, and finding few matches.
CREATE INDEX members_approved_left ON members (community_id, left_year)
    WHERE status = 'approved';
CREATE INDEX members_approved_joined ON members (community_id, joined_year)
    WHERE status = 'approved';
