-- When a policy's heartbeat_interval was last set or changed: a device is heartbeat-dead (and culled) only once it
-- has been silent for its interval (two, for the cull) since then too. Turning heartbeats on for a policy whose
-- devices never sent one culled them all at the job's next round (probe h57). '-infinity' for every policy until
-- its interval changes: the devices of a policy created with one heartbeat from their activation.
ALTER TABLE license_policies ADD COLUMN heartbeat_since timestamptz NOT NULL DEFAULT '-infinity';
