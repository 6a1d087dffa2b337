//! The tables of this service beside the event store, in the order they were created. A migration's
//! name and SQL never change once released: a later change is a new migration.
//!
//! - `partner_enrolments`: [`crate::read_models::enrolments`];
//! - `regelingen`: [`crate::read_models::regelingen`];
//! - `pass_codes`: [`crate::pass_codes`];
//! - the index `events_by_gemeente` serves [`crate::ledger::load_folded`] and the year end's list of
//!   gemeenten;
//! - `entitlements`: [`crate::read_models::entitlements`], which child and provision each
//!   entitlement is for;
//! - `partner_discounts`: [`crate::read_models::discounts`], the standing discounts regie agreed;
//! - row-level security on the read models that several organisations read (`entitlements`,
//!   `partner_enrolments`): see [`crate::access`];
//! - the work lists: `application_households`, `entitlements.household`, `declarations`, `invoices`
//!   ([`crate::read_models::work_lists`]), under row-level security too;
//! - the partners' feed: `partner_feed` and `feed_referrals` ([`crate::read_models::partner_feed`]);
//! - `ledger_state` and its trigger on `events`: [`crate::read_models::ledger_state`];
//! - the indexes of the work lists' keysets (`0270_work_list_keysets`).

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

/// Which child and provision each entitlement is for (kept by the application consumer, filled here
/// from the entitlements opened before), and row-level security on it and on the enrolments.
///
/// Every policy reads settings of the transaction ([`crate::access::reading_as`],
/// [`crate::access::as_projector`]): a partner sees its own enrolments and the entitlements of the
/// provisions it is enrolled to deliver (not vouchers, which are served at the till by their code);
/// the gemeente's regievoerder and auditor see every row of their gemeente; the consumer that keeps
/// the tables sees and writes every row. Outside such a transaction nothing is visible. FORCE binds
/// the tables' owner too; the service's role owns nothing and cannot switch the policies off.
pub const ROW_SECURITY_MIGRATION: Migration = Migration {
    name: "0202_entitlements_row_security",
    sql: r#"
        CREATE TABLE entitlements (
            entitlement_id uuid PRIMARY KEY,
            gemeente       text NOT NULL,
            provision      text NOT NULL,
            form           text,
            -- NULL once the child was forgotten (SubjectForgotten): the row stays for the money.
            child          uuid
        );
        CREATE INDEX entitlements_by_child ON entitlements (child);
        CREATE INDEX entitlements_by_gemeente ON entitlements (gemeente, provision);
        INSERT INTO entitlements (entitlement_id, gemeente, provision, form, child)
        SELECT (payload->'Opened'->'opened'->>'entitlement_id')::uuid,
               metadata->>'gemeente',
               payload->'Opened'->'opened'->>'provision',
               payload->'Opened'->'opened'->>'form',
               (payload->'Opened'->'opened'->>'child')::uuid
          FROM events
         WHERE aggregate_type = 'entitlement' AND event_type = 'Opened'
        ON CONFLICT DO NOTHING;

        ALTER TABLE entitlements ENABLE ROW LEVEL SECURITY;
        ALTER TABLE entitlements FORCE ROW LEVEL SECURITY;
        CREATE POLICY projector ON entitlements
            USING (current_setting('kindpakket.projector', true) = 'on')
            WITH CHECK (current_setting('kindpakket.projector', true) = 'on');
        CREATE POLICY gemeente_reads ON entitlements FOR SELECT
            USING (current_setting('kindpakket.role', true) IN ('regievoerder', 'auditor')
                   AND gemeente = current_setting('kindpakket.gemeente', true));
        CREATE POLICY partner_reads ON entitlements FOR SELECT
            USING (current_setting('kindpakket.role', true) = 'partner'
                   AND form IS DISTINCT FROM 'voucher'
                   AND EXISTS (SELECT 1 FROM partner_enrolments e
                                WHERE e.gemeente = entitlements.gemeente
                                  AND e.provision = entitlements.provision
                                  AND e.may_deliver
                                  AND e.partner = current_setting('kindpakket.organisation', true)));

        ALTER TABLE partner_enrolments ENABLE ROW LEVEL SECURITY;
        ALTER TABLE partner_enrolments FORCE ROW LEVEL SECURITY;
        CREATE POLICY projector ON partner_enrolments
            USING (current_setting('kindpakket.projector', true) = 'on')
            WITH CHECK (current_setting('kindpakket.projector', true) = 'on');
        CREATE POLICY own_enrolments ON partner_enrolments FOR SELECT
            USING (partner = current_setting('kindpakket.organisation', true));
        CREATE POLICY gemeente_reads ON partner_enrolments FOR SELECT
            USING (current_setting('kindpakket.role', true) IN ('regievoerder', 'auditor')
                   AND gemeente = current_setting('kindpakket.gemeente', true));
    "#,
};

/// The work lists (issue 14): which household each entitlement is for (so a parent reads their
/// household's entitlements), and the declarations and invoices as lists (kept by the consumer of
/// this service's own stream, [`crate::consume::own`]), each under row-level security like the
/// entitlements: the gemeente's regievoerder and auditor see the rows of their gemeente, a partner
/// its own declarations and invoices, a parent (role `applicant`, `kindpakket.household` set from
/// the login) the entitlements and declarations of their household. `position` is the order rows
/// were listed in: a new row always comes last, so paging by it neither skips nor repeats a row.
pub const WORK_LISTS_MIGRATION: Migration = Migration {
    name: "0203_work_lists",
    sql: r#"
        -- Which household each application is for (from ApplicationSubmitted), to give its
        -- entitlements their household when the grant opens them.
        CREATE TABLE application_households (
            application_id uuid PRIMARY KEY,
            gemeente       text NOT NULL,
            household      uuid NOT NULL
        );
        CREATE INDEX application_households_by_household ON application_households (household);
        ALTER TABLE application_households ENABLE ROW LEVEL SECURITY;
        ALTER TABLE application_households FORCE ROW LEVEL SECURITY;
        CREATE POLICY projector ON application_households
            USING (current_setting('kindpakket.projector', true) = 'on')
            WITH CHECK (current_setting('kindpakket.projector', true) = 'on');

        -- NULL for entitlements opened before this version, and once the household was forgotten.
        ALTER TABLE entitlements ADD COLUMN household uuid;
        CREATE INDEX entitlements_by_household ON entitlements (household);
        CREATE POLICY household_reads ON entitlements FOR SELECT
            USING (current_setting('kindpakket.role', true) = 'applicant'
                   AND gemeente = current_setting('kindpakket.gemeente', true)
                   AND household IS NOT NULL
                   AND household::text = current_setting('kindpakket.household', true));

        CREATE TABLE declarations (
            declaration_id uuid   PRIMARY KEY,
            position       bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
            gemeente       text   NOT NULL,
            entitlement_id uuid   NOT NULL,
            provision      text   NOT NULL,
            -- NULL once the child was forgotten; the household NULL once it was forgotten.
            child          uuid,
            household      uuid,
            submitted_by   text   NOT NULL,
            amount_cents   bigint NOT NULL,
            submitted_on   date   NOT NULL,
            status         text   NOT NULL CHECK (status IN ('te-beoordelen', 'goedgekeurd', 'afgewezen')),
            decided_on     date
        );
        CREATE INDEX declarations_by_status ON declarations (gemeente, status, position);
        CREATE INDEX declarations_by_child ON declarations (child);
        CREATE INDEX declarations_by_household ON declarations (household);
        ALTER TABLE declarations ENABLE ROW LEVEL SECURITY;
        ALTER TABLE declarations FORCE ROW LEVEL SECURITY;
        CREATE POLICY projector ON declarations
            USING (current_setting('kindpakket.projector', true) = 'on')
            WITH CHECK (current_setting('kindpakket.projector', true) = 'on');
        CREATE POLICY gemeente_reads ON declarations FOR SELECT
            USING (current_setting('kindpakket.role', true) IN ('regievoerder', 'auditor')
                   AND gemeente = current_setting('kindpakket.gemeente', true));
        CREATE POLICY partner_reads ON declarations FOR SELECT
            USING (current_setting('kindpakket.role', true) = 'partner'
                   AND submitted_by = current_setting('kindpakket.organisation', true));
        CREATE POLICY household_reads ON declarations FOR SELECT
            USING (current_setting('kindpakket.role', true) = 'applicant'
                   AND gemeente = current_setting('kindpakket.gemeente', true)
                   AND household IS NOT NULL
                   AND household::text = current_setting('kindpakket.household', true));

        CREATE TABLE invoices (
            invoice_id   uuid   PRIMARY KEY,
            position     bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
            gemeente     text   NOT NULL,
            partner      text   NOT NULL,
            period_from  date   NOT NULL,
            period_until date   NOT NULL,
            lines        integer NOT NULL,
            total_cents  bigint NOT NULL,
            status       text   NOT NULL CHECK (status IN ('te-beoordelen', 'afgehandeld')),
            settled_on   date
        );
        CREATE INDEX invoices_by_status ON invoices (gemeente, status, position);
        ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
        ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
        CREATE POLICY projector ON invoices
            USING (current_setting('kindpakket.projector', true) = 'on')
            WITH CHECK (current_setting('kindpakket.projector', true) = 'on');
        CREATE POLICY gemeente_reads ON invoices FOR SELECT
            USING (current_setting('kindpakket.role', true) IN ('regievoerder', 'auditor')
                   AND gemeente = current_setting('kindpakket.gemeente', true));
        CREATE POLICY partner_reads ON invoices FOR SELECT
            USING (current_setting('kindpakket.role', true) = 'partner'
                   AND partner = current_setting('kindpakket.organisation', true));
    "#,
};

/// Who took each application: the intermediary that applied on the family's behalf, or nobody (the
/// loket's own family), so that a campaign's reminders go out through that organisation
/// ([`crate::campaigns`]). Unknown (`taken_by_known` false) for applications kept before this version.
pub const APPLICATION_INTERMEDIARIES_MIGRATION: Migration = Migration {
    name: "0204_application_intermediaries",
    sql: r#"
        ALTER TABLE application_households ADD COLUMN on_behalf_of text;
        ALTER TABLE application_households ADD COLUMN taken_by_known boolean NOT NULL DEFAULT false;
    "#,
};

/// The standing discounts (korting) regie agreed with providers, per provision, kept by the regie
/// consumer ([`crate::read_models::discounts`]). A provider reads its own agreements only (at the
/// till), regie and the auditor those of their gemeente.
pub const DISCOUNTS_MIGRATION: Migration = Migration {
    name: "0240_partner_discounts",
    sql: r#"
        CREATE TABLE partner_discounts (
            gemeente               text     NOT NULL,
            partner                text     NOT NULL,
            provision              text     NOT NULL,
            percent                smallint NOT NULL CHECK (percent BETWEEN 1 AND 100),
            max_per_purchase_cents bigint   CHECK (max_per_purchase_cents > 0),
            agreed_on              date     NOT NULL,
            PRIMARY KEY (gemeente, partner, provision)
        );
        ALTER TABLE partner_discounts ENABLE ROW LEVEL SECURITY;
        ALTER TABLE partner_discounts FORCE ROW LEVEL SECURITY;
        CREATE POLICY projector ON partner_discounts
            USING (current_setting('kindpakket.projector', true) = 'on')
            WITH CHECK (current_setting('kindpakket.projector', true) = 'on');
        CREATE POLICY own_discounts ON partner_discounts FOR SELECT
            USING (current_setting('kindpakket.role', true) = 'partner'
                   AND partner = current_setting('kindpakket.organisation', true));
        CREATE POLICY gemeente_reads ON partner_discounts FOR SELECT
    "#,
};

/// Proof documents of declarations (`docs/money.md`, §3): the bytes sealed under the child's key
/// (`subject`, `epoch`: which key of which month), so that forgetting the child makes every copy
/// unreadable; the row itself is deleted then too, and past the retention period
/// ([`crate::http::proofs`]). Only the document the entitlement names counts; an older one is
/// deleted once a newer one is attached. Row-level security: the gemeente's regievoerder and
/// auditor read their gemeente's documents; the service writes them as the projector.
pub const PROOF_DOCUMENTS_MIGRATION: Migration = Migration {
    name: "0230_proof_documents",
    sql: r#"
        CREATE TABLE proof_documents (
            document_id    uuid        PRIMARY KEY,
            gemeente       text        NOT NULL,
            entitlement_id uuid        NOT NULL,
            declaration_id uuid        NOT NULL,
            subject        uuid        NOT NULL,
            epoch          integer     NOT NULL,
            content_type   text        NOT NULL,
            size_bytes     bigint      NOT NULL,
            nonce          bytea       NOT NULL,
            sealed         bytea       NOT NULL,
            uploaded_at    timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX proof_documents_by_declaration ON proof_documents (declaration_id);
        CREATE INDEX proof_documents_by_subject ON proof_documents (subject);
        CREATE INDEX proof_documents_by_epoch ON proof_documents (epoch);
        ALTER TABLE proof_documents ENABLE ROW LEVEL SECURITY;
        ALTER TABLE proof_documents FORCE ROW LEVEL SECURITY;
        CREATE POLICY projector ON proof_documents
            USING (current_setting('kindpakket.projector', true) = 'on')
            WITH CHECK (current_setting('kindpakket.projector', true) = 'on');
        CREATE POLICY gemeente_reads ON proof_documents FOR SELECT
            USING (current_setting('kindpakket.role', true) IN ('regievoerder', 'auditor')
                   AND gemeente = current_setting('kindpakket.gemeente', true));
    "#,
};

/// The children of a household budget (gezinstegoed), besides `child` (its first child still
/// remembered): forgetting one of them removes it here and leaves the budget to the others; the
/// row is anonymised (`child` NULL) only when none is left.
pub const HOUSEHOLD_CHILDREN_MIGRATION: Migration = Migration {
    name: "0220_household_children",
    sql: r#"
        ALTER TABLE entitlements ADD COLUMN household_children uuid[] NOT NULL DEFAULT '{}';
    "#,
};

/// The partners' feed (docs/money.md §6): what concerns each partner, as CloudEvents under its own
/// pseudonyms, kept by the consumers in their transactions ([`crate::feed`],
/// [`crate::read_models::partner_feed`]). `position` orders a gemeente's entries as they were
/// committed: every writer takes the gemeente's feed lock before it inserts and holds it until it
/// commits, so a reader paging by position never skips a row that commits later. `child` is the
/// gemeente's id of the child an entry is about (never shown), to forget it; `feed_referrals`
/// remembers where each signal is referred, for the referral's later steps. A partner reads its own
/// entries only (row-level security as on the work lists); the gemeente's regievoerder and auditor
/// read every partner's entries of their gemeente.
pub const FEED_MIGRATION: Migration = Migration {
    name: "0250_partner_feed",
    sql: r#"
        CREATE TABLE partner_feed (
            position   bigserial   PRIMARY KEY,
            gemeente   text        NOT NULL,
            partner    text        NOT NULL,
            event_id   uuid        NOT NULL,
            service    text        NOT NULL,
            type       text        NOT NULL,
            time       timestamptz NOT NULL,
            subject    text        NOT NULL,
            data       jsonb       NOT NULL,
            -- The child the entry is about (the gemeente's id, never shown); NULL when about none.
            child      uuid,
            UNIQUE (gemeente, partner, event_id)
        );
        CREATE INDEX partner_feed_by_partner ON partner_feed (gemeente, partner, position);
        CREATE INDEX partner_feed_by_child ON partner_feed (child);
        CREATE INDEX partner_feed_by_time ON partner_feed (time);
        ALTER TABLE partner_feed ENABLE ROW LEVEL SECURITY;
        ALTER TABLE partner_feed FORCE ROW LEVEL SECURITY;
        CREATE POLICY projector ON partner_feed
            USING (current_setting('kindpakket.projector', true) = 'on')
            WITH CHECK (current_setting('kindpakket.projector', true) = 'on');
        CREATE POLICY gemeente_reads ON partner_feed FOR SELECT
            USING (current_setting('kindpakket.role', true) IN ('regievoerder', 'auditor')
                   AND gemeente = current_setting('kindpakket.gemeente', true));
        CREATE POLICY partner_reads ON partner_feed FOR SELECT
            USING (current_setting('kindpakket.role', true) = 'partner'
                   AND gemeente = current_setting('kindpakket.gemeente', true)
                   AND partner = current_setting('kindpakket.organisation', true));

        CREATE TABLE feed_referrals (
            signal_id        uuid PRIMARY KEY,
            gemeente         text NOT NULL,
            child            uuid NOT NULL,
            signaller        text NOT NULL,
            provision_type   text,
            signalled_on     date NOT NULL,
            -- The partner it is referred to now; NULL at the loket.
            partner          text
        );
        CREATE INDEX feed_referrals_by_child ON feed_referrals (child);
        ALTER TABLE feed_referrals ENABLE ROW LEVEL SECURITY;
        ALTER TABLE feed_referrals FORCE ROW LEVEL SECURITY;
        CREATE POLICY projector ON feed_referrals
            USING (current_setting('kindpakket.projector', true) = 'on')
            WITH CHECK (current_setting('kindpakket.projector', true) = 'on');
    "#,
};

/// The work lists' keysets ([`crate::read_models::work_lists`]) for the lists a year makes long: the
/// gemeente's entitlements by id (all, or of one provision), its declarations and invoices by
/// position without a status filter, and a partner's own declarations and invoices. Without them a
/// page either sorted all of a gemeente's rows or walked the primary key of every gemeente's rows
/// until it found enough of one.
pub const WORK_LIST_KEYSETS_MIGRATION: Migration = Migration {
    name: "0270_work_list_keysets",
    sql: r#"
        CREATE INDEX entitlements_by_gemeente_id ON entitlements (gemeente, entitlement_id);
        CREATE INDEX entitlements_by_provision_id
            ON entitlements (gemeente, provision, entitlement_id);
        DROP INDEX entitlements_by_gemeente;
        CREATE INDEX declarations_by_position ON declarations (gemeente, position);
        CREATE INDEX declarations_by_submitter ON declarations (gemeente, submitted_by, position);
        CREATE INDEX invoices_by_position ON invoices (gemeente, position);
        CREATE INDEX invoices_by_partner ON invoices (gemeente, partner, position);
    "#,
};
