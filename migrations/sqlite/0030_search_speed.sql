-- Directory search, second version (bot-core/src/search.rs; figures in BENCHMARKS.md).
--
-- Latin words are now indexed with their prefixes by our own tokenizer, and a member's name
-- terms are also indexed as markers (nm_…), so no query needs FTS5 prefix indexes, column
-- filters, positions or column sizes: `detail = none` keeps only which rows hold a term, the
-- smallest and fastest index to walk. The documents are rebuilt in Rust when the store opens
-- (search_index_version below).
DROP TABLE member_search;
CREATE VIRTUAL TABLE member_search USING fts5 (
    name_tokens,
    other_tokens,
    tokenize = "ascii tokenchars '_'",
    detail = none,
    columnsize = 0
);

-- The tokenizer version the stored documents were written with; older ones are rebuilt.
-- 1: the first release.
CREATE TABLE search_index_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO search_index_version (id, version) VALUES (1, 1);

-- What a search checks for each hit of the full-text index, in a small covering index instead
-- of the wide member rows; only approved members are ever found.
CREATE INDEX members_search_filter ON members (id, community_id, left_year, joined_year)
    WHERE status = 'approved';
-- Approved members of a community in id order (an index's last key is the rowid): a search by
-- year walks it newest first and stops early instead of sorting every match.
CREATE INDEX members_approved ON members (community_id) WHERE status = 'approved';
-- Year ranges: counting them, and finding few matches.
CREATE INDEX members_approved_left ON members (community_id, left_year)
    WHERE status = 'approved';
CREATE INDEX members_approved_joined ON members (community_id, joined_year)
    WHERE status = 'approved';
