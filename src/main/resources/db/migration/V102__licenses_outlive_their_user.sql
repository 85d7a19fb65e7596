-- A licence outlives the user it was issued to: deleting a user erases that person's data (API.md, Users), and a
-- licence is not personal data but something paid for, with devices that keep working. Until now the foreign key
-- deleted the user's licences, their devices and their seats with the user, with no audit event of their own.
-- The licence stays, issued to no user (as a licence made without one); revoke it explicitly if it should end.
ALTER TABLE licenses DROP CONSTRAINT licenses_user_id_fkey;
ALTER TABLE licenses ADD CONSTRAINT licenses_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL;
