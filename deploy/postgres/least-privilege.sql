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
--
-- Row-level security: the read models that several organisations read (provision's `entitlements`
-- and `partner_enrolments`) get policies and FORCE ROW LEVEL SECURITY from the migrations, run as the
-- owner; a service reads them for a caller inside a transaction that names the caller
-- (`kindpakket.organisation`, `kindpakket.role`, `kindpakket.gemeente`). The service's role does not
-- own those tables, so it cannot `ALTER TABLE … DISABLE ROW LEVEL SECURITY`, `… NO FORCE ROW LEVEL
-- SECURITY` or `DROP POLICY` ("must be owner of table"; tests/tests/e2e/forgetting_provision.rs tries
-- each). Never make a service's role the tables' owner, a superuser or BYPASSRLS: each bypasses the
-- policies.

-- The passwords are psql variables, never written here: run it as
--   psql -v ON_ERROR_STOP=1 -v owner_password=… -v regie_password=… -v signalling_password=… \
--        -v application_password=… -v provision_password=… -v dashboard_password=… -f least-privilege.sql
-- (deploy/postgres/init-roles.sh does so from the environment). The services refuse to start with a
-- known placeholder password such as change-me.

CREATE ROLE kindpakket_owner LOGIN CREATEDB PASSWORD :'owner_password';

CREATE ROLE kindpakket_regie       LOGIN PASSWORD :'regie_password';
CREATE ROLE kindpakket_signalling  LOGIN PASSWORD :'signalling_password';
CREATE ROLE kindpakket_application LOGIN PASSWORD :'application_password';  -- also its _vault and _vault_keys
CREATE ROLE kindpakket_provision   LOGIN PASSWORD :'provision_password';
CREATE ROLE kindpakket_dashboard   LOGIN PASSWORD :'dashboard_password';

-- Then, for each service, e.g. signalling, a migration step (job, init container) with the owner:
--   kindpakket-signalling migrate   with KINDPAKKET_MIGRATION_USER=kindpakket_owner,
--                                   KINDPAKKET_MIGRATION_PASSWORD=… and the service's database URL
-- and the service itself without the owner's secret:
--   KINDPAKKET_DATABASE_URL=postgres://kindpakket_signalling:…@db:5432/kindpakket_signalling?sslmode=verify-full&sslrootcert=/etc/kindpakket/tls/ca.crt
--
-- To check by hand, as the service's role:
--   UPDATE events SET sequence = sequence;   -- ERROR: permission denied for table events
--   DELETE FROM events;                       -- ERROR: permission denied for table events
--   TRUNCATE events;                          -- ERROR: permission denied for table events
