//! The state of every entitlement, invoice and sample draw as the ledger reads it, one row per
//! aggregate (`ledger_state`), so that [`crate::ledger::load`] reads a gemeente's rows instead of
//! folding every event it ever stored.
//!
//! **Exact at the moment it is asked.** A trigger on `events` (`ledger_state_apply`) keeps the rows
//! in the transaction that appends the events: a command's (postgres-es commits a command's events
//! in one transaction, the trigger runs inside it) and a consumer's alike. A row is never behind its
//! events, so invoicing may trust it: a delivery never lands on two invoices.
//!
//! **What a row holds.** Only what the fold of [`crate::ledger`] and the campaigns read, as the
//! aggregate's own serialised shape so that it deserialises into the same struct: of an entitlement
//! its `Opened`, deliveries, redemptions, declarations (submitted and decided, never the sealed
//! proof or rejection reason), expiry and the used and held amounts; of an invoice what was
//! submitted, the decision per line (not the sealed reasons) and the credit notes; of a sample draw
//! the draw and its reclaims (not the checks' sealed notes). Pass codes, proof documents and every
//! free text stay in the events. So nothing sealed is kept here in clear, and erasing a child
//! (which shreds the sealed texts) has nothing to reach in this table: the ids, codes, dates and
//! amounts it keeps are the ones the events keep in clear, as the fold reads them.
//!
//! **The trigger's rules mirror the aggregates' `apply`** for the events of the current stored
//! version ("2"); a change of an event's shape or of an `apply` needs a migration that changes the
//! function too. `tests/tests/e2e/read_tables.rs` checks that every answer read from the rows equals
//! the fold ([`crate::ledger::load_folded`]).
//!
//! **Carried over once** ([`fill`]): the rows of the events stored before this table (and of the
//! legacy events [`crate::reseal`] rewrote, which the trigger does not see) are written from the
//! fold at start, before the consumers and HTTP start.

use std::collections::BTreeSet;

use kindpakket_platform::db::Migration;
use serde::Serialize;
use sqlx::PgPool;

use crate::domain::entitlement::{Declaration, Entitlement};
use crate::domain::invoice::Invoice;
use crate::domain::sample::SampleDraw;
use crate::ledger::History;

pub const LEDGER_STATE_MIGRATION: Migration = Migration {
    name: "0260_ledger_state",
    sql: r#"
        CREATE TABLE ledger_state (
            aggregate_type text  NOT NULL,
            aggregate_id   text  NOT NULL,
            -- As the events' metadata says: the fold read a gemeente's events by it.
            gemeente       text  NOT NULL,
            state          jsonb NOT NULL,
            PRIMARY KEY (aggregate_type, aggregate_id)
        );
        CREATE INDEX ledger_state_by_gemeente ON ledger_state (gemeente, aggregate_type);

        -- Whether the rows of the events stored before must still be written (once, at start).
        CREATE TABLE ledger_state_fill (pending boolean NOT NULL);
        INSERT INTO ledger_state_fill VALUES (true);

        CREATE FUNCTION ledger_state_apply() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            p jsonb := NEW.payload::jsonb;
            g text := NEW.metadata::jsonb->>'gemeente';
            e jsonb;
            s jsonb;
            i bigint;
        BEGIN
            -- Legacy events are rewritten by the reseal at start, which fills the rows again.
            IF g IS NULL OR NEW.event_version <> '2' THEN
                RETURN NULL;
            END IF;
            INSERT INTO ledger_state (aggregate_type, aggregate_id, gemeente, state)
            VALUES (NEW.aggregate_type, NEW.aggregate_id, g, CASE NEW.aggregate_type
                WHEN 'entitlement' THEN '{"gemeente": null, "opened": null, "used_cents": 0,
                    "held_cents": 0, "deliveries": [], "redemptions": [], "passes": [],
                    "declarations": [], "expired": null}'::jsonb
                WHEN 'invoice' THEN '{"gemeente": null, "submitted": null, "decisions": {},
                    "reasons": {}, "credit_notes": []}'::jsonb
                ELSE '{"gemeente": null, "drawn": null, "checks": {}, "notes": {},
                    "reclaims": []}'::jsonb
            END)
            ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING;
            SELECT state INTO s FROM ledger_state
            WHERE aggregate_type = NEW.aggregate_type AND aggregate_id = NEW.aggregate_id
            FOR UPDATE;

            IF NEW.aggregate_type = 'entitlement' THEN
                IF p ? 'Opened' THEN
                    s := s || jsonb_build_object('gemeente', p->'Opened'->'gemeente',
                                                 'opened', p->'Opened'->'opened');
                ELSIF p ? 'Delivered' THEN
                    e := p->'Delivered';
                    s := jsonb_set(s, '{deliveries}', (s->'deliveries') || jsonb_build_array(e));
                    s := jsonb_set(s, '{used_cents}',
                        to_jsonb((s->>'used_cents')::bigint + (e->>'amount_cents')::bigint));
                ELSIF p ? 'PassRedeemed' THEN
                    e := p->'PassRedeemed';
                    s := jsonb_set(s, '{redemptions}', (s->'redemptions') || jsonb_build_array(e));
                    s := jsonb_set(s, '{used_cents}',
                        to_jsonb((s->>'used_cents')::bigint + (e->>'amount_cents')::bigint));
                ELSIF p ? 'DeclarationSubmitted' THEN
                    e := p->'DeclarationSubmitted'->'submitted';
                    s := jsonb_set(s, '{declarations}', (s->'declarations')
                        || jsonb_build_array(jsonb_build_object('submitted', e, 'decided', null)));
                    s := jsonb_set(s, '{held_cents}',
                        to_jsonb((s->>'held_cents')::bigint + (e->>'amount_cents')::bigint));
                ELSIF p ? 'DeclarationDecided' THEN
                    e := p->'DeclarationDecided'->'decided';
                    s := jsonb_set(s, '{held_cents}',
                        to_jsonb((s->>'held_cents')::bigint - (e->>'amount_cents')::bigint));
                    IF (e->>'approved')::boolean THEN
                        s := jsonb_set(s, '{used_cents}',
                            to_jsonb((s->>'used_cents')::bigint + (e->>'amount_cents')::bigint));
                    END IF;
                    SELECT d.ord - 1 INTO i
                    FROM jsonb_array_elements(s->'declarations') WITH ORDINALITY AS d(v, ord)
                    WHERE d.v->'submitted'->>'declaration_id' = e->>'declaration_id'
                    ORDER BY d.ord LIMIT 1;
                    IF i IS NOT NULL THEN
                        s := jsonb_set(s, ARRAY['declarations', i::text, 'decided'], e);
                    END IF;
                ELSIF p ? 'Expired' THEN
                    s := jsonb_set(s, '{expired}', p->'Expired');
                END IF;
            ELSIF NEW.aggregate_type = 'invoice' THEN
                IF p ? 'InvoiceSubmitted' THEN
                    s := s || jsonb_build_object('gemeente', p->'InvoiceSubmitted'->'gemeente',
                                                 'submitted', p->'InvoiceSubmitted'->'invoice');
                ELSIF p ? 'InvoiceSettled' THEN
                    s := jsonb_set(s, '{decisions}', (s->'decisions') || COALESCE(
                        (SELECT jsonb_object_agg(l.v->>'delivery_id', l.v ORDER BY l.ord)
                         FROM jsonb_array_elements(p->'InvoiceSettled'->'settled'->'lines')
                              WITH ORDINALITY AS l(v, ord)),
                        '{}'::jsonb));
                ELSIF p ? 'CreditNoteIssued' THEN
                    s := jsonb_set(s, '{credit_notes}',
                        (s->'credit_notes') || jsonb_build_array(p->'CreditNoteIssued'));
                END IF;
            ELSE
                IF p ? 'SampleDrawn' THEN
                    s := s || jsonb_build_object('gemeente', p->'SampleDrawn'->'gemeente',
                                                 'drawn', p->'SampleDrawn'->'drawn');
                ELSIF p ? 'ReclaimDecided' THEN
                    s := jsonb_set(s, '{reclaims}',
                        (s->'reclaims') || jsonb_build_array(p->'ReclaimDecided'));
                END IF;
            END IF;

            UPDATE ledger_state SET state = s
            WHERE aggregate_type = NEW.aggregate_type AND aggregate_id = NEW.aggregate_id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER ledger_state_kept AFTER INSERT ON events FOR EACH ROW
            WHEN (NEW.aggregate_type IN ('entitlement', 'invoice', 'sample'))
            EXECUTE FUNCTION ledger_state_apply();
    "#,
};

/// One aggregate's row, as the fold would see it.
#[derive(Debug, sqlx::FromRow)]
pub struct StateRow {
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// The state as JSON text: parsed straight into the aggregate, without a `Value` between.
    pub state: String,
}

/// The rows of `gemeente`.
pub async fn rows(pool: &PgPool, gemeente: &str) -> sqlx::Result<Vec<StateRow>> {
    sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, state::text AS state FROM ledger_state
         WHERE gemeente = $1",
    )
    .bind(gemeente)
    .fetch_all(pool)
    .await
}

/// What a row keeps of an entitlement: see the module's documentation.
fn entitlement_row(entitlement: &Entitlement) -> Entitlement {
    Entitlement {
        gemeente: entitlement.gemeente.clone(),
        opened: entitlement.opened.clone(),
        used_cents: entitlement.used_cents,
        held_cents: entitlement.held_cents,
        deliveries: entitlement.deliveries.clone(),
        redemptions: entitlement.redemptions.clone(),
        passes: Vec::new(),
        declarations: entitlement
            .declarations
            .iter()
            .map(|declaration| Declaration {
                submitted: declaration.submitted.clone(),
                proof: None,
                decided: declaration.decided.clone(),
                rejection_reason: None,
                proof_document: None,
            })
            .collect(),
        expired: entitlement.expired.clone(),
    }
}

fn invoice_row(invoice: &Invoice) -> Invoice {
    Invoice {
        gemeente: invoice.gemeente.clone(),
        submitted: invoice.submitted.clone(),
        decisions: invoice.decisions.clone(),
        reasons: Default::default(),
        credit_notes: invoice.credit_notes.clone(),
    }
}

fn sample_row(sample: &SampleDraw) -> SampleDraw {
    SampleDraw {
        gemeente: sample.gemeente.clone(),
        drawn: sample.drawn.clone(),
        checks: Default::default(),
        notes: Default::default(),
        reclaims: sample.reclaims.clone(),
    }
}

fn json(value: &impl Serialize) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::to_value(value)?)
}

/// Writes the rows of every gemeente from the fold of its events, replacing what was there. Holds
/// the table against the trigger while it runs: a command that appends meanwhile waits, and then
/// applies its events onto the rows written here (the fold did not see them); one that appended
/// before is waited for, and the fold sees its events.
pub async fn refill(pool: &PgPool) -> anyhow::Result<usize> {
    let mut transaction = pool.begin().await?;
    sqlx::query("LOCK TABLE ledger_state IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *transaction)
        .await?;
    let gemeenten: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT metadata->>'gemeente' FROM events
         WHERE aggregate_type IN ('entitlement', 'invoice', 'sample')
           AND metadata->>'gemeente' IS NOT NULL",
    )
    .fetch_all(&mut *transaction)
    .await?;
    let gemeenten: BTreeSet<String> = gemeenten.into_iter().collect();
    sqlx::query("DELETE FROM ledger_state")
        .execute(&mut *transaction)
        .await?;
    let mut written = 0;
    for gemeente in &gemeenten {
        let history = crate::ledger::fold(&mut *transaction, gemeente).await?;
        written += write(&mut transaction, gemeente, &history).await?;
    }
    sqlx::query("UPDATE ledger_state_fill SET pending = false")
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await?;
    Ok(written)
}

async fn write(
    transaction: &mut sqlx::PgConnection,
    gemeente: &str,
    history: &History,
) -> anyhow::Result<usize> {
    let mut rows: Vec<(&str, String, serde_json::Value)> = Vec::new();
    for (id, entitlement) in &history.entitlements {
        rows.push((
            "entitlement",
            id.to_string(),
            json(&entitlement_row(entitlement))?,
        ));
    }
    for (id, invoice) in &history.invoices {
        rows.push(("invoice", id.to_string(), json(&invoice_row(invoice))?));
    }
    for (id, sample) in &history.samples {
        rows.push(("sample", id.to_string(), json(&sample_row(sample))?));
    }
    for chunk in rows.chunks(1000) {
        let types: Vec<&str> = chunk.iter().map(|row| row.0).collect();
        let ids: Vec<&str> = chunk.iter().map(|row| row.1.as_str()).collect();
        let states: Vec<serde_json::Value> = chunk.iter().map(|row| row.2.clone()).collect();
        sqlx::query(
            "INSERT INTO ledger_state (aggregate_type, aggregate_id, gemeente, state)
             SELECT t, i, $4, s FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS r(t, i, s)",
        )
        .bind(&types)
        .bind(&ids)
        .bind(&states)
        .bind(gemeente)
        .execute(&mut *transaction)
        .await?;
    }
    Ok(rows.len())
}

/// At start, after the reseal: writes the rows from the events once (the first start with this
/// table), and again when the reseal rewrote legacy events (`resealed`), which the trigger does
/// not see. Returns how many rows were written, if any.
pub async fn fill(pool: &PgPool, resealed: u64) -> anyhow::Result<Option<usize>> {
    let pending: bool = sqlx::query_scalar("SELECT bool_or(pending) FROM ledger_state_fill")
        .fetch_one(pool)
        .await
        .map(|pending: Option<bool>| pending.unwrap_or(false))?;
    if !pending && resealed == 0 {
        return Ok(None);
    }
    let written = refill(pool).await?;
    tracing::info!(written, resealed, "ledger state written from the events");
    Ok(Some(written))
}

#[cfg(test)]
mod tests {
    use cqrs_es::Aggregate;
    use kindpakket_platform::free_text::Note;
    use kindpakket_platform::shredding::Sealed;
    use kindpakket_proto::provision::{
        DeclarationDecided, DeclarationSubmitted, EntitlementOpened, PassIssued, ProofAttached,
    };
    use kindpakket_proto::{Cents, ChildRef, GemeenteCode, OrganisationId, Period, ProvisionCode};
    use time::macros::date;
    use uuid::Uuid;

    use super::*;
    use crate::domain::entitlement::{EntitlementEvent, ProofDocument};

    const PASS_CODE: &str = "KP-7Q4M-ZX82-WW31";
    const DIGEST: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    /// A text sealed as a stored event holds it, made without a key.
    fn sealed(text: &str) -> Sealed<Note> {
        serde_json::from_value(serde_json::json!({
            "s": Uuid::from_u128(3), "e": 202603, "n": "AAAAAAAAAAAAAAAA", "c": text
        }))
        .unwrap()
    }

    fn partner() -> OrganisationId {
        OrganisationId::parse("stichting-leergeld").unwrap()
    }

    fn submitted(declaration: u128) -> DeclarationSubmitted {
        DeclarationSubmitted {
            entitlement_id: Uuid::from_u128(1),
            declaration_id: Uuid::from_u128(declaration),
            child: ChildRef(Uuid::from_u128(3)),
            provision: ProvisionCode::parse("schoolspullen").unwrap(),
            submitted_by: partner(),
            amount_cents: Cents(4_000),
            submitted_on: date!(2026 - 03 - 10),
        }
    }

    /// An entitlement with a pass, a declaration with a sealed proof and a proof document that was
    /// rejected with a sealed reason, and one still held.
    fn entitlement() -> Entitlement {
        let opened = EntitlementOpened {
            entitlement_id: Uuid::from_u128(1),
            application_id: Uuid::from_u128(2),
            child: ChildRef(Uuid::from_u128(3)),
            provision: ProvisionCode::parse("schoolspullen").unwrap(),
            amount_cents: Cents(60_000),
            valid_from: date!(2026 - 01 - 01),
            valid_until: date!(2026 - 12 - 31),
            funder: None,
            co_financing: None,
            form: None,
            unit_value_cents: None,
            household_children: vec![],
            regeling_id: None,
        };
        let issued = PassIssued {
            entitlement_id: Uuid::from_u128(1),
            pass_id: Uuid::from_u128(9),
            child: ChildRef(Uuid::from_u128(3)),
            provision: ProvisionCode::parse("schoolspullen").unwrap(),
            code_hint: "WW31".to_owned(),
            issued_on: date!(2026 - 01 - 01),
            valid_until: date!(2026 - 12 - 31),
            replaces: None,
        };
        let mut entitlement = Entitlement::default();
        for event in [
            EntitlementEvent::Opened {
                gemeente: GemeenteCode::parse("GM0855").unwrap(),
                opened,
            },
            EntitlementEvent::PassIssued {
                code: PASS_CODE.to_owned(),
                issued,
            },
            EntitlementEvent::DeclarationSubmitted {
                submitted: submitted(5),
                proof: Some(sealed("bon 4411 van Hema")),
            },
            EntitlementEvent::ProofAttached {
                attached: ProofAttached {
                    entitlement_id: Uuid::from_u128(1),
                    declaration_id: Uuid::from_u128(5),
                    attached_on: date!(2026 - 03 - 11),
                },
                document: ProofDocument {
                    document_id: Uuid::from_u128(6),
                    content_type: "application/pdf".to_owned(),
                    size_bytes: 1234,
                    sha256: DIGEST.to_owned(),
                    attached_by: partner(),
                },
            },
            EntitlementEvent::DeclarationDecided {
                decided: DeclarationDecided {
                    entitlement_id: Uuid::from_u128(1),
                    declaration_id: Uuid::from_u128(5),
                    child: ChildRef(Uuid::from_u128(3)),
                    provision: ProvisionCode::parse("schoolspullen").unwrap(),
                    submitted_by: partner(),
                    approved: false,
                    amount_cents: Cents(4_000),
                    funding: vec![],
                    decided_on: date!(2026 - 03 - 12),
                },
                reason: Some(sealed("de bon is van een ander kind")),
            },
            EntitlementEvent::DeclarationSubmitted {
                submitted: submitted(7),
                proof: Some(sealed("bon 4412")),
            },
        ] {
            entitlement.apply(event);
        }
        entitlement
    }

    #[test]
    fn a_row_keeps_no_pass_code_sealed_text_or_proof_document() {
        let row = serde_json::to_string(&entitlement_row(&entitlement())).unwrap();
        for kept_out in [
            PASS_CODE,
            DIGEST,
            "bon 4411",
            "bon 4412",
            "ander kind",
            "\"c\"",
        ] {
            assert!(!row.contains(kept_out), "{kept_out} in {row}");
        }
        // What the fold reads is there.
        assert!(row.contains(&Uuid::from_u128(5).to_string()), "{row}");
        assert!(row.contains("\"held_cents\":4000"), "{row}");
    }

    #[test]
    fn a_row_reads_back_as_the_entitlement_the_ledger_and_the_campaigns_read() {
        let entitlement = entitlement();
        let row: Entitlement =
            serde_json::from_value(json(&entitlement_row(&entitlement)).unwrap()).unwrap();
        assert_eq!(row.opened, entitlement.opened);
        assert_eq!(
            (row.used_cents, row.held_cents),
            (entitlement.used_cents, entitlement.held_cents)
        );
        assert_eq!(row.expired, entitlement.expired);
        let declarations = |e: &Entitlement| {
            e.declarations
                .iter()
                .map(|d| (d.submitted.clone(), d.decided.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(declarations(&row), declarations(&entitlement));
        let history = |e: Entitlement| History {
            entitlements: [(Uuid::from_u128(1), e)].into(),
            ..History::default()
        };
        let (row, entitlement) = (history(row), history(entitlement));
        let march = Period {
            from: date!(2026 - 03 - 01),
            until: date!(2026 - 03 - 31),
        };
        assert_eq!(
            row.declarations_submitted(march),
            entitlement.declarations_submitted(march)
        );
        assert_eq!(row.declarations_submitted(march).len(), 2);
        assert_eq!(
            row.due_to_expire(date!(2027 - 01 - 01)),
            entitlement.due_to_expire(date!(2027 - 01 - 01))
        );
    }

    #[test]
    fn the_rows_of_an_invoice_and_a_draw_keep_no_reason_or_note() {
        let mut invoice = Invoice::default();
        invoice
            .reasons
            .insert(Uuid::from_u128(4), sealed("geen lid in deze periode"));
        let row = serde_json::to_string(&invoice_row(&invoice)).unwrap();
        assert!(!row.contains("geen lid"), "{row}");
        let mut sample = SampleDraw::default();
        sample
            .notes
            .insert(Uuid::from_u128(4), sealed("de bon hoort bij iets anders"));
        let row = serde_json::to_string(&sample_row(&sample)).unwrap();
        assert!(!row.contains("iets anders"), "{row}");
    }
}
