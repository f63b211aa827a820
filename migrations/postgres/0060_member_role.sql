-- The platform role approved members get (a Discord role id), set with /alumni setup
-- member_role:; NULL = the adapter's default (DISCORD_MEMBER_ROLE).

ALTER TABLE communities ADD COLUMN member_role TEXT;
