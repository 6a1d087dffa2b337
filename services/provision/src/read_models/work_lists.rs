//! The work lists of provision (issue 14): declarations and invoices as rows that can be filtered
//! and paged, and which household each entitlement is for. Written by the consumers as the
//! projector — declarations and invoices from this service's own stream
//! ([`crate::consume::own`]), the households from the application stream
//! ([`crate::consume::application`]) — and read under row-level security
//! ([`crate::migrations::WORK_LISTS_MIGRATION`]) in [`crate::access::reading_for`]: whatever a query
//! says, a partner sees its own declarations and invoices only, a parent their household's.
//!
//! Every list is paged by `position`, the order its rows were listed in (see
//! `kindpakket_platform::http::paging`).

use kindpakket_proto::provision::{
    DeclarationDecided, DeclarationSubmitted, InvoiceSettled, InvoiceSubmitted,
};
use kindpakket_proto::{GemeenteCode, HouseholdRef, OrganisationId};
use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

/// Where a declaration stands, as the list names it.
pub const TO_JUDGE: &str = "te-beoordelen";
pub const APPROVED: &str = "goedgekeurd";
pub const REJECTED: &str = "afgewezen";
/// An invoice with every line decided.
pub const SETTLED: &str = "afgehandeld";

/// Keeps which household an application is for and who took it (`on_behalf_of`: the intermediary
/// that applied on the family's behalf; none for the loket's own). A redelivery changes nothing but
/// may fill in who took an application kept before that was kept.
pub async fn record_application(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    application_id: Uuid,
    household: HouseholdRef,
    on_behalf_of: Option<&OrganisationId>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO application_households
             (application_id, gemeente, household, on_behalf_of, taken_by_known)
         VALUES ($1, $2, $3, $4, true)
         ON CONFLICT (application_id) DO UPDATE
             SET on_behalf_of = EXCLUDED.on_behalf_of, taken_by_known = true",
    )
    .bind(application_id)
    .bind(gemeente.as_str())
    .bind(household.0)
    .bind(on_behalf_of.map(OrganisationId::as_str))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Who took each of `applications` (when known): `Some(partner)` for an intermediary, `None` for
/// the loket. Applications whose taker is not known (kept before it was) or whose household was
/// forgotten are absent.
pub async fn takers(
    connection: &mut PgConnection,
    applications: &[Uuid],
) -> Result<Vec<(Uuid, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT application_id, on_behalf_of FROM application_households
         WHERE application_id = ANY($1) AND taken_by_known",
    )
    .bind(applications)
    .fetch_all(&mut *connection)
    .await
}

/// The household an application is for, when it is known (and not forgotten).
pub async fn household_of(
    connection: &mut PgConnection,
    application_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT household FROM application_households WHERE application_id = $1")
        .bind(application_id)
        .fetch_optional(&mut *connection)
        .await
}

/// Forgets a household: its applications and its link to every entitlement and declaration.
pub async fn forget_household(
    connection: &mut PgConnection,
    household: Uuid,
) -> Result<(), sqlx::Error> {
    for statement in [
        "DELETE FROM application_households WHERE household = $1",
        "UPDATE entitlements SET household = NULL WHERE household = $1",
        "UPDATE declarations SET household = NULL WHERE household = $1",
    ] {
        sqlx::query(statement)
            .bind(household)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// Forgets a child in the declarations list (the rows stay, for the money).
pub async fn forget_child(connection: &mut PgConnection, child: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE declarations SET child = NULL WHERE child = $1")
        .bind(child)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// A declaration was submitted: it is to be judged. Its household is the entitlement's, its child
/// the one it was submitted for, as the entitlements read model knows them (a forgotten one stays
/// forgotten).
pub async fn record_declaration(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    submitted: &DeclarationSubmitted,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO declarations (declaration_id, gemeente, entitlement_id, provision, child,
                                   household, submitted_by, amount_cents, submitted_on, status)
         SELECT $1, $2, $3, $4,
                CASE WHEN e.child = $9 OR $9 = ANY(e.household_children) THEN $9 END,
                e.household, $5, $6, $7, $8
           FROM (SELECT $3::uuid AS entitlement_id) wanted
           LEFT JOIN entitlements e ON e.entitlement_id = wanted.entitlement_id
         ON CONFLICT (declaration_id) DO NOTHING",
    )
    .bind(submitted.declaration_id)
    .bind(gemeente.as_str())
    .bind(submitted.entitlement_id)
    .bind(submitted.provision.as_str())
    .bind(submitted.submitted_by.as_str())
    .bind(submitted.amount_cents.get())
    .bind(submitted.submitted_on)
    .bind(TO_JUDGE)
    .bind(submitted.child.0)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// A declaration was decided.
pub async fn record_decision(
    connection: &mut PgConnection,
    decided: &DeclarationDecided,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE declarations SET status = $2, decided_on = $3 WHERE declaration_id = $1")
        .bind(decided.declaration_id)
        .bind(if decided.approved { APPROVED } else { REJECTED })
        .bind(decided.decided_on)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// An invoice was submitted: it is to be judged.
pub async fn record_invoice(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    invoice: &InvoiceSubmitted,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO invoices (invoice_id, gemeente, partner, period_from, period_until, lines,
                               total_cents, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (invoice_id) DO NOTHING",
    )
    .bind(invoice.invoice_id)
    .bind(gemeente.as_str())
    .bind(invoice.partner.as_str())
    .bind(invoice.period_from)
    .bind(invoice.period_until)
    .bind(i32::try_from(invoice.lines.len()).unwrap_or(i32::MAX))
    .bind(invoice.total_cents.get())
    .bind(TO_JUDGE)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Lines of an invoice were decided; once every line is, it is settled.
pub async fn record_settlement(
    connection: &mut PgConnection,
    settled: &InvoiceSettled,
) -> Result<(), sqlx::Error> {
    if settled.complete {
        sqlx::query("UPDATE invoices SET status = $2, settled_on = $3 WHERE invoice_id = $1")
            .bind(settled.invoice_id)
            .bind(SETTLED)
            .bind(settled.settled_on)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// One declaration in a list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeclarationRow {
    pub position: i64,
    pub declaration_id: Uuid,
    pub entitlement_id: Uuid,
    pub provision: String,
    pub child: Option<Uuid>,
    pub submitted_by: String,
    pub amount_cents: i64,
    pub submitted_on: Date,
    pub status: String,
    pub decided_on: Option<Date>,
}

/// What a declarations list asks for, beyond what row-level security allows.
#[derive(Debug, Clone, Default)]
pub struct DeclarationQuery<'a> {
    pub status: Option<&'a str>,
    pub provision: Option<&'a str>,
    /// For a partner: its own organisation (row-level security says the same).
    pub submitted_by: Option<&'a str>,
    /// For a parent: their household (row-level security says the same).
    pub household: Option<Uuid>,
    pub after: Option<i64>,
    pub limit: i64,
}

/// A page of the declarations the caller of `connection`'s transaction may see, in the order they
/// were listed.
pub async fn declarations(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    query: &DeclarationQuery<'_>,
) -> Result<Vec<DeclarationRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT position, declaration_id, entitlement_id, provision, child, submitted_by,
                amount_cents, submitted_on, status, decided_on
           FROM declarations
          WHERE gemeente = $1
            AND ($2::text IS NULL OR status = $2)
            AND ($3::text IS NULL OR provision = $3)
            AND ($4::text IS NULL OR submitted_by = $4)
            AND ($5::uuid IS NULL OR household = $5)
            AND ($6::bigint IS NULL OR position > $6)
          ORDER BY position
          LIMIT $7",
    )
    .bind(gemeente.as_str())
    .bind(query.status)
    .bind(query.provision)
    .bind(query.submitted_by)
    .bind(query.household)
    .bind(query.after)
    .bind(query.limit)
    .fetch_all(&mut *connection)
    .await
}

/// One invoice in a list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvoiceRow {
    pub position: i64,
    pub invoice_id: Uuid,
    pub partner: String,
    pub period_from: Date,
    pub period_until: Date,
    pub lines: i32,
    pub total_cents: i64,
    pub status: String,
    pub settled_on: Option<Date>,
}

/// A page of the invoices the caller of `connection`'s transaction may see, in the order they were
/// listed; `partner` narrows to one partner's (row-level security narrows a partner to its own).
pub async fn invoices(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    status: Option<&str>,
    partner: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT position, invoice_id, partner, period_from, period_until, lines, total_cents,
                status, settled_on
           FROM invoices
          WHERE gemeente = $1
            AND ($2::text IS NULL OR status = $2)
            AND ($3::text IS NULL OR partner = $3)
            AND ($4::bigint IS NULL OR position > $4)
          ORDER BY position
          LIMIT $5",
    )
    .bind(gemeente.as_str())
    .bind(status)
    .bind(partner)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *connection)
    .await
}

/// One entitlement in a list: which, for which child, of which provision.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntitlementRow {
    pub entitlement_id: Uuid,
    pub child: Option<Uuid>,
    /// For a household budget: its children still remembered.
    pub household_children: Vec<Uuid>,
}

/// Whose entitlements a list shows, beyond what row-level security allows.
#[derive(Debug, Clone)]
pub enum EntitlementScope<'a> {
    /// Regie and the auditor: every entitlement of the gemeente.
    Gemeente,
    /// A partner: those of provisions it is enrolled to deliver on the day, not vouchers.
    Partner(&'a str, Date),
    /// A parent: their household's.
    Household(Uuid),
}

/// A page of the entitlements the caller may see, by id.
pub async fn entitlements(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    scope: &EntitlementScope<'_>,
    provision: Option<&str>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<EntitlementRow>, sqlx::Error> {
    let (partner, on, household) = match scope {
        EntitlementScope::Gemeente => (None, None, None),
        EntitlementScope::Partner(partner, on) => (Some(*partner), Some(*on), None),
        EntitlementScope::Household(household) => (None, None, Some(*household)),
    };
    sqlx::query_as(
        "SELECT entitlement_id, child, household_children FROM entitlements
          WHERE gemeente = $1
            AND ($2::text IS NULL OR (
                 form IS DISTINCT FROM 'voucher'
                 AND EXISTS (SELECT 1 FROM partner_enrolments e
                              WHERE e.gemeente = entitlements.gemeente
                                AND e.provision = entitlements.provision
                                AND e.partner = $2
                                AND e.may_deliver
                                AND (e.ended_on IS NULL OR e.ended_on >= $3))))
            AND ($4::uuid IS NULL OR household = $4)
            AND ($5::text IS NULL OR provision = $5)
            AND ($6::uuid IS NULL OR entitlement_id > $6)
          ORDER BY entitlement_id
          LIMIT $7",
    )
    .bind(gemeente.as_str())
    .bind(partner)
    .bind(on)
    .bind(household)
    .bind(provision)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *connection)
    .await
}
