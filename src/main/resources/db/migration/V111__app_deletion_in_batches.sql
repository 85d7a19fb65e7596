-- Deleting an app marks it deleted (deleted_at) and the housekeeping job removes its licences, conversations,
-- users (their sessions, refresh tokens and memberships by cascade) and tenants in batches, then the app row. One
-- DELETE that cascaded over every row of a large app (300,000 users) ran for 25 s: past the request's timeout, so the
-- owner was told 503 "retry shortly" while it went on, holding the app's rows locked, and committed anyway.
ALTER TABLE apps ADD COLUMN deleted_at timestamptz;

-- A deleted app's slug is free at once, as it was when the row went with the request.
CREATE UNIQUE INDEX apps_live_slug ON apps (slug) WHERE deleted_at IS NULL;
ALTER TABLE apps DROP CONSTRAINT apps_slug_key;

CREATE INDEX apps_deleted ON apps (deleted_at) WHERE deleted_at IS NOT NULL;
