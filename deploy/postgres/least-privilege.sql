-- SKETCH (issue 6 completes and tests it): one role per service, run by the database owner in each
-- service's database after the service has migrated it once. The service's role can append events
-- and read them, but never change or remove one: the event log is immutable.
-- Example for the signalling database; repeat with the other services' names.

CREATE ROLE kindpakket_signalling LOGIN PASSWORD 'change-me';
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM kindpakket_signalling;
GRANT SELECT, INSERT ON events TO kindpakket_signalling;
GRANT SELECT, UPDATE ON relay_checkpoints TO kindpakket_signalling;
GRANT SELECT ON schema_migrations TO kindpakket_signalling;
-- Consuming services also need their offsets, dead letters and read-model tables:
-- GRANT SELECT, INSERT, UPDATE ON consumer_offsets, dead_letters TO kindpakket_provision;
-- GRANT SELECT, INSERT, UPDATE ON partner_enrolments TO kindpakket_provision;
-- Explicitly never: UPDATE, DELETE or TRUNCATE on events.
