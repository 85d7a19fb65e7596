-- A revoked licence's expiry needs no handling: revocation is final and took its sessions. Marked here so the
-- housekeeping job neither records license.expired after a revocation nor keeps these rows in licenses_expiring.
UPDATE licenses SET expiry_handled_at = now() WHERE status = 'revoked' AND expiry_handled_at IS NULL;
