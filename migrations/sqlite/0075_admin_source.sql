-- Why a member is an admin: 'platform' when only because the platform said they run the space
-- (a Discord owner / Administrator, a Slack workspace admin or owner), so losing that role
-- there demotes them on their next command; NULL for admins made by /alumni role, by
-- ALUMNI_ADMINS, or as the app's installer, who stay admins.

ALTER TABLE members ADD COLUMN admin_source TEXT;
