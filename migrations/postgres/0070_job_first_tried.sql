-- When a job was first tried: a platform answering 429 for ever is given up on after a day.
ALTER TABLE jobs ADD COLUMN first_tried_at TIMESTAMPTZ;
