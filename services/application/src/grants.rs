//! Earlier grants, for the two rules that span applications: a funder's budget is not exceeded, and
//! the same child is not funded twice for the same provision in the same period. A decision reads
//! them and commits under an advisory lock per gemeente, so two decisions in the same gemeente cannot
//! both spend the last of a budget.
//!
//! They are read from `granted_entitlements`, one row per entitlement of a `Granted` event, which a
//! trigger on `events` writes in the transaction that appends the event: a committed grant is in the
//! table when the next decision reads it (under the lock), without a scan of every `Granted` event
//! of the gemeente. The migration filled it from the events stored before. [`prior_grants_folded`]
//! still reads the events, for the tests that compare the two. The rows keep what the `Granted`
//! event keeps in clear (child by id, provision, period, amount, funders), nothing sealed.

use anyhow::Context;
use kindpakket_platform::locks::AdvisoryLock;
use kindpakket_proto::regie::{CoFinancing, Funder};
use kindpakket_proto::{Cents, ChildRef, GemeenteCode, Period, ProvisionCode};
use sqlx::types::Json;
use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use kindpakket_platform::db::Migration;

use crate::domain::eligibility::PriorGrant;

/// The table, its trigger, and its rows of the `Granted` events stored before.
pub const GRANTED_ENTITLEMENTS_MIGRATION: Migration = Migration {
    name: "0410_granted_entitlements",
    sql: r#"
        CREATE TABLE granted_entitlements (
            application_id     text   NOT NULL,
            sequence           bigint NOT NULL,
            ordinal            bigint NOT NULL,
            gemeente           text   NOT NULL,
            child              uuid,
            provision          text,
            valid_from         date,
            valid_until        date,
            amount_cents       bigint,
            funder             jsonb,
            co_financing       jsonb,
            household_children jsonb,
            PRIMARY KEY (application_id, sequence, ordinal)
        );
        CREATE INDEX granted_entitlements_by_gemeente ON granted_entitlements (gemeente);

        CREATE FUNCTION granted_entitlements_kept() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO granted_entitlements
            SELECT NEW.aggregate_id, NEW.sequence, e.ordinal, NEW.metadata::jsonb->>'gemeente',
                   (e.entitlement->>'child')::uuid,
                   e.entitlement->>'provision',
                   (e.entitlement->>'valid_from')::date,
                   (e.entitlement->>'valid_until')::date,
                   (e.entitlement->>'amount_cents')::bigint,
                   e.entitlement->'funder',
                   e.entitlement->'co_financing',
                   e.entitlement->'household_children'
            FROM jsonb_array_elements(NEW.payload::jsonb->'Granted'->'entitlements')
                 WITH ORDINALITY AS e(entitlement, ordinal)
            WHERE NEW.metadata::jsonb->>'gemeente' IS NOT NULL;
            RETURN NULL;
        END $$;
        CREATE TRIGGER granted_entitlements_kept AFTER INSERT ON events FOR EACH ROW
            WHEN (NEW.aggregate_type = 'application' AND NEW.event_type = 'Granted')
            EXECUTE FUNCTION granted_entitlements_kept();

        INSERT INTO granted_entitlements
        SELECT events.aggregate_id, events.sequence, e.ordinal, events.metadata::jsonb->>'gemeente',
               (e.entitlement->>'child')::uuid,
               e.entitlement->>'provision',
               (e.entitlement->>'valid_from')::date,
               (e.entitlement->>'valid_until')::date,
               (e.entitlement->>'amount_cents')::bigint,
               e.entitlement->'funder',
               e.entitlement->'co_financing',
               e.entitlement->'household_children'
        FROM events,
             jsonb_array_elements(events.payload::jsonb->'Granted'->'entitlements')
                 WITH ORDINALITY AS e(entitlement, ordinal)
        WHERE events.aggregate_type = 'application' AND events.event_type = 'Granted'
          AND events.metadata::jsonb->>'gemeente' IS NOT NULL;
    "#,
};

/// The lock of one gemeente's grants.
fn lock_key(gemeente: &GemeenteCode) -> String {
    format!("kindpakket-grants:{gemeente}")
}

/// Locks the gemeenten (in a fixed order: no deadlock between a samenwerkingsverband and a member);
/// they stay locked until the guard is dropped.
pub async fn lock(pool: &PgPool, gemeenten: &[GemeenteCode]) -> Result<AdvisoryLock, sqlx::Error> {
    let keys: Vec<String> = gemeenten.iter().map(lock_key).collect();
    AdvisoryLock::acquire(pool, &keys).await
}

/// One entitlement of a committed grant, as the events table holds it.
#[derive(Debug, sqlx::FromRow)]
struct GrantedRow {
    application_id: String,
    child: Uuid,
    provision: String,
    valid_from: Date,
    valid_until: Date,
    amount_cents: i64,
    funder: Option<Json<Funder>>,
    co_financing: Option<Json<CoFinancing>>,
    household_children: Option<Json<Vec<ChildRef>>>,
}

impl GrantedRow {
    /// The grant as the rules read it: a household budget (gezinstegoed) as one grant of its
    /// amount to its first child, and a grant of nothing to each other child of it, so that none
    /// of them is funded for it twice and the budget counts its amount once.
    fn into_prior_grants(self) -> anyhow::Result<Vec<PriorGrant>> {
        let others: Vec<ChildRef> = self
            .household_children
            .as_ref()
            .map(|Json(children)| children.clone())
            .unwrap_or_default();
        let first = self.into_prior_grant()?;
        let mut grants: Vec<PriorGrant> = others
            .into_iter()
            .filter(|child| *child != first.child)
            .map(|child| PriorGrant {
                child,
                amount_cents: Cents::ZERO,
                ..first.clone()
            })
            .collect();
        grants.insert(0, first);
        Ok(grants)
    }

    fn into_prior_grant(self) -> anyhow::Result<PriorGrant> {
        Ok(PriorGrant {
            application_id: Uuid::parse_str(&self.application_id)
                .with_context(|| format!("application id {}", self.application_id))?,
            child: ChildRef(self.child),
            provision: ProvisionCode::parse(&self.provision)?,
            // As committed: a grant's period was checked when it was decided.
            period: Period {
                from: self.valid_from,
                until: self.valid_until,
            },
            amount_cents: Cents(self.amount_cents),
            funder: self.funder.map(|Json(funder)| funder),
            co_financing: self.co_financing.map(|Json(co)| co),
        })
    }
}

/// Every entitlement granted so far in these gemeenten, from `granted_entitlements`.
pub async fn prior_grants(
    pool: &PgPool,
    gemeenten: &[GemeenteCode],
) -> anyhow::Result<Vec<PriorGrant>> {
    let codes: Vec<&str> = gemeenten.iter().map(GemeenteCode::as_str).collect();
    let rows: Vec<GrantedRow> = sqlx::query_as(
        "SELECT application_id, child, provision, valid_from, valid_until, amount_cents,
                funder, co_financing, household_children
         FROM granted_entitlements WHERE gemeente = ANY($1)
         ORDER BY application_id, sequence, ordinal",
    )
    .bind(&codes)
    .fetch_all(pool)
    .await?;
    into_prior_grants(rows)
}

/// Every entitlement granted so far in these gemeenten, read from the `Granted` events themselves:
/// what [`prior_grants`] must equal.
pub async fn prior_grants_folded(
    pool: &PgPool,
    gemeenten: &[GemeenteCode],
) -> anyhow::Result<Vec<PriorGrant>> {
    let codes: Vec<&str> = gemeenten.iter().map(GemeenteCode::as_str).collect();
    let rows: Vec<GrantedRow> = sqlx::query_as(
        "SELECT aggregate_id AS application_id,
                (entitlement->>'child')::uuid AS child,
                entitlement->>'provision' AS provision,
                (entitlement->>'valid_from')::date AS valid_from,
                (entitlement->>'valid_until')::date AS valid_until,
                (entitlement->>'amount_cents')::bigint AS amount_cents,
                (entitlement->'funder')::jsonb AS funder,
                (entitlement->'co_financing')::jsonb AS co_financing,
                (entitlement->'household_children')::jsonb AS household_children
         FROM events, json_array_elements(payload->'Granted'->'entitlements')
                      WITH ORDINALITY AS e(entitlement, ordinal)
         WHERE aggregate_type = 'application' AND event_type = 'Granted'
           AND metadata->>'gemeente' = ANY($1)
         ORDER BY aggregate_id, sequence, ordinal",
    )
    .bind(&codes)
    .fetch_all(pool)
    .await?;
    into_prior_grants(rows)
}

fn into_prior_grants(rows: Vec<GrantedRow>) -> anyhow::Result<Vec<PriorGrant>> {
    let mut grants = Vec::with_capacity(rows.len());
    for row in rows {
        grants.extend(row.into_prior_grants()?);
    }
    Ok(grants)
}

/// Locks the gemeenten and reads their earlier grants: the lock must be held until the decision is
/// committed, so it is returned with them.
pub async fn locked_prior_grants(
    pool: &PgPool,
    gemeenten: &[GemeenteCode],
) -> anyhow::Result<(AdvisoryLock, Vec<PriorGrant>)> {
    let lock = lock(pool, gemeenten).await?;
    let prior = prior_grants(pool, gemeenten).await?;
    Ok((lock, prior))
}
