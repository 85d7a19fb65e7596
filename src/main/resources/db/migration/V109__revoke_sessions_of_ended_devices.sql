-- Sessions left live on a device that no longer holds a seat. Until this release the license housekeeping job
-- marked culled devices and expired licences handled in one transaction and revoked their sessions in a later
-- one, only if it got the first one's answer: a round slower than the backend timeout committed its marks and
-- never revoked (nothing selects a handled row again), and those sessions refreshed forever. The admin API's
-- deactivation, suspension and revocation revoke in a second transaction too, which a crash could skip.
-- A login never binds a session to such a device (SessionStore.LIVE_DEVICE), so every live session bound to a
-- deactivated device, or to a licence suspended, revoked or expired and handled, is one of those: revoked here,
-- each with its session.revoked event staged in audit_outbox, which the audit verticle moves into the app's chain
-- (as a logout's). An expired licence not yet handled is left to the job, which revokes and audits it itself.
WITH ended AS (
  SELECT s.id, s.app_id, s.user_id,
         CASE WHEN d.deactivated_at IS NOT NULL THEN 'device_deactivated'
              WHEN l.status = 'suspended' THEN 'license_suspended'
              WHEN l.status = 'revoked' THEN 'license_revoked'
              ELSE 'license_expired' END AS reason
  FROM sessions s
  JOIN license_devices d ON d.id = s.device_id
  JOIN licenses l ON l.id = d.license_id
  WHERE s.device_id IS NOT NULL AND s.revoked_at IS NULL AND s.expires_at > now()
    AND (d.deactivated_at IS NOT NULL OR l.status <> 'active'
         OR (l.expires_at <= now() AND l.expiry_handled_at IS NOT NULL))
  FOR UPDATE OF s
), revoked AS (
  UPDATE sessions s SET revoked_at = now() FROM ended WHERE s.id = ended.id
  RETURNING s.id, s.app_id, s.user_id, ended.reason
)
INSERT INTO audit_outbox (event_id, event)
SELECT gen_random_uuid(), jsonb_build_object(
  'type', 'session.revoked',
  'app_id', app_id::text,
  'user_id', user_id::text,
  'request_id', 'migration:V109',
  'client_ip', NULL,
  'data', jsonb_build_object('session_id', id::text, 'reason', reason))
FROM revoked;
