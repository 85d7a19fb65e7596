-- Counts the user's passwords: a signup that sets the first, each change and reset. A login's rehash under newer
-- Argon2id settings stores another hash of the same password and leaves it as it is. What a password sign-in opens
-- later (a session, a hosted code's exchange) is checked against it: compared with the hash itself, another login's
-- rehash between the two read as a changed password and refused the sign-in.
ALTER TABLE users ADD COLUMN password_generation bigint NOT NULL DEFAULT 0;
