-- One login role per service, with no privilege of its own. Run once by the database administrator.
--
-- The grants are not here: each service, started with KINDPAKKET_MIGRATION_USER (the owner, e.g.
-- kindpakket_owner) and KINDPAKKET_MIGRATION_PASSWORD, creates and migrates its databases as that owner
-- and then grants its own role (the user in KINDPAKKET_DATABASE_URL), after every migration:
--   - SELECT, INSERT, UPDATE, DELETE on its working tables (read models, offsets, relay checkpoints,
--     pass codes, the vault's persons and keys);
--   - SELECT and INSERT only on `events` and on the vault's `audit_log`: the role cannot update,
--     delete or truncate an event or an audit row (services/platform/src/db.rs, APPEND_ONLY_TABLES);
--   - SELECT on schema_migrations; no CREATE on the schema.
-- The test suite runs every service this way (tests/src/harness/platform.rs) and checks the refusals
-- (tests/tests/e2e/privacy.rs).

CREATE ROLE kindpakket_owner LOGIN CREATEDB PASSWORD 'change-me-owner';

CREATE ROLE kindpakket_regie       LOGIN PASSWORD 'change-me-regie';
CREATE ROLE kindpakket_signalling  LOGIN PASSWORD 'change-me-signalling';
CREATE ROLE kindpakket_application LOGIN PASSWORD 'change-me-application';  -- also its _vault and _vault_keys
CREATE ROLE kindpakket_provision   LOGIN PASSWORD 'change-me-provision';
CREATE ROLE kindpakket_dashboard   LOGIN PASSWORD 'change-me-dashboard';

-- Then, for each service, e.g. signalling:
--   KINDPAKKET_DATABASE_URL=postgres://kindpakket_signalling:…@db:5432/kindpakket_signalling?sslmode=verify-full&sslrootcert=/etc/kindpakket/tls/ca.crt
--   KINDPAKKET_MIGRATION_USER=kindpakket_owner
--   KINDPAKKET_MIGRATION_PASSWORD=…
--
-- To check by hand, as the service's role:
--   UPDATE events SET sequence = sequence;   -- ERROR: permission denied for table events
--   DELETE FROM events;                       -- ERROR: permission denied for table events
--   TRUNCATE events;                          -- ERROR: permission denied for table events
