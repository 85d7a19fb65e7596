-- Offline licence certificates signed before a key's publish floor was raised at signing (earlier releases) may
-- live as long as their app's longest offline_ttl. Every key of such an app still published stays at least that
-- long, plus a day for pods of the earlier release that go on signing during a rolling upgrade.
UPDATE signing_keys k
SET publish_floor = GREATEST(k.publish_floor, now() + interval '1 day' + m.ttl * interval '1 second'),
    publish_until = CASE WHEN k.retired_at IS NULL THEN k.publish_until
                         ELSE GREATEST(k.publish_until, now() + interval '1 day' + m.ttl * interval '1 second') END
FROM (SELECT app_id, max(offline_ttl) AS ttl FROM license_policies GROUP BY app_id) m
WHERE m.app_id = k.app_id AND (k.retired_at IS NULL OR k.publish_until > now());
