-- A custom role's id is never given to another role of its app, even after the role is deleted: wherever a role
-- is given, its numeric id is accepted, so a client that kept the id of a deleted role would otherwise grant
-- whichever role took the id next. The app remembers the last id it handed out (99: none yet; custom ids start at 100).
ALTER TABLE apps ADD COLUMN last_role_id int NOT NULL DEFAULT 99;

UPDATE apps a SET last_role_id = r.max_id
FROM (SELECT app_id, max(id) AS max_id FROM roles GROUP BY app_id) r
WHERE r.app_id = a.id AND r.max_id > 99;
