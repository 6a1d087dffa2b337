//! The tables of this service beside the event store, in the order they were created. A migration's
//! name and SQL never change once released: a later change is a new migration.
//!
//! - `partner_enrolments`: [`crate::read_models::enrolments`];
//! - `regelingen`: [`crate::read_models::regelingen`];
//! - `pass_codes`: [`crate::pass_codes`];
//! - the index `events_by_gemeente` serves [`crate::ledger::load`] and the year end's list of gemeenten.

use kindpakket_platform::db::Migration;

pub const ENROLMENTS_MIGRATION: Migration = Migration {
    name: "0200_partner_enrolments",
    sql: r#"
        CREATE TABLE partner_enrolments (
            gemeente    text    NOT NULL,
            partner     text    NOT NULL,
            provision   text    NOT NULL,
            may_deliver boolean NOT NULL,
            ended_on    date,
            PRIMARY KEY (gemeente, partner, provision)
        );
    "#,
};

pub const PROVISION_MIGRATION: Migration = Migration {
    name: "0201_regelingen_pass_codes",
    sql: r#"
        -- The regeling versions, for budgets and the sample rate.
        CREATE TABLE regelingen (
            regeling_id uuid   PRIMARY KEY,
            gemeenten   text[] NOT NULL,
            valid_from  date   NOT NULL,
            valid_until date   NOT NULL,
            body        jsonb  NOT NULL
        );
        -- Which entitlement a pass code belongs to. A code is registered before the command that
        -- issues it; a code whose command failed points at an entitlement without that pass and is
        -- refused as unknown.
        CREATE TABLE pass_codes (
            code           text PRIMARY KEY,
            gemeente       text NOT NULL,
            entitlement_id uuid NOT NULL
        );
        CREATE INDEX events_by_gemeente ON events ((metadata->>'gemeente'), aggregate_type);
    "#,
};
