//! Which child and provision each entitlement is for: one row per entitlement, written by the
//! application consumer when a grant opens it ([`crate::consume::application`]) and anonymised when
//! its child is forgotten (the child's reference set to `NULL`; the row stays, because the money
//! spent on the entitlement stays accounted for).
//!
//! Several organisations read it, each through row-level security
//! ([`crate::migrations::ROW_SECURITY_MIGRATION`]): a partner only the entitlements of provisions it
//! is enrolled to deliver, the gemeente's regievoerder and auditor every entitlement of their
//! gemeente. Reads run in [`crate::access::reading_as`]; writes in the consumer's transaction, as the
//! projector ([`crate::access::as_projector`]).

use kindpakket_proto::provision::EntitlementOpened;
use kindpakket_proto::regie::DeliveryForm;
use kindpakket_proto::{ChildRef, GemeenteCode, OrganisationId};
use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

/// The form as the table keeps it (the contract's name).
fn form_name(form: Option<DeliveryForm>) -> Option<&'static str> {
    form.map(|form| match form {
        DeliveryForm::InKind => "in_kind",
        DeliveryForm::Discount => "discount",
        DeliveryForm::Voucher => "voucher",
        DeliveryForm::Declaration => "declaration",
    })
}

/// Keeps an opened entitlement (once; a redelivered grant changes nothing), with the household of
/// its application when known. The children that were forgotten before the grant arrived are not
/// kept (`living`: those of [`EntitlementOpened::spenders`] still remembered): `child` is the first
/// of them, and a household budget lists them all in `household_children`.
pub async fn record(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    opened: &EntitlementOpened,
    living: &[ChildRef],
    household: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let household_children: Vec<Uuid> = if opened.is_household() {
        living.iter().map(|child| child.0).collect()
    } else {
        Vec::new()
    };
    sqlx::query(
        "INSERT INTO entitlements (entitlement_id, gemeente, provision, form, child, household, household_children)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (entitlement_id) DO NOTHING",
    )
    .bind(opened.entitlement_id)
    .bind(gemeente.as_str())
    .bind(opened.provision.as_str())
    .bind(form_name(opened.form))
    .bind(living.first().map(|child| child.0))
    .bind(household)
    .bind(&household_children)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Forgets the child in the entitlements: a child's own entitlement is anonymised; a household
/// budget loses the child from its children and stays the others' (its `child` the next of them),
/// anonymised only when it was the last. Returns the ids of the entitlements anonymised now (none
/// the second time).
pub async fn forget_child(
    connection: &mut PgConnection,
    child: ChildRef,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "WITH changed AS (
             UPDATE entitlements
                SET household_children = array_remove(household_children, $1),
                    child = CASE WHEN child = $1
                                 THEN (array_remove(household_children, $1))[1]
                                 ELSE child END
              WHERE child = $1 OR $1 = ANY(household_children)
          RETURNING entitlement_id, child)
         SELECT entitlement_id FROM changed WHERE child IS NULL",
    )
    .bind(child.0)
    .fetch_all(&mut *connection)
    .await
}

/// One entitlement as the read model shows it to a caller.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Visible {
    pub entitlement_id: Uuid,
    /// `None` once the child was forgotten.
    pub child: Option<Uuid>,
}

/// For a partner: who it is and the day its enrolment must be in force on.
pub type PartnerOn<'a> = Option<(&'a OrganisationId, Date)>;

/// The entitlements of `gemeente` the caller of `connection`'s transaction may see: all of them for
/// the gemeente, for a partner (`partner`) those of the provisions it is enrolled to deliver on the
/// day given (not vouchers). The row-level security of the transaction has the last word: this
/// query's own conditions only narrow what it allows.
pub async fn visible(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    partner: PartnerOn<'_>,
) -> Result<Vec<Visible>, sqlx::Error> {
    sqlx::query_as(
        "SELECT entitlement_id, child FROM entitlements
          WHERE gemeente = $1
            AND ($2::text IS NULL OR (
                 form IS DISTINCT FROM 'voucher'
                 AND EXISTS (SELECT 1 FROM partner_enrolments e
                              WHERE e.gemeente = entitlements.gemeente
                                AND e.provision = entitlements.provision
                                AND e.partner = $2
                                AND e.may_deliver
                                AND (e.ended_on IS NULL OR e.ended_on >= $3))))
          ORDER BY entitlement_id",
    )
    .bind(gemeente.as_str())
    .bind(partner.map(|(partner, _)| partner.as_str()))
    .bind(partner.map(|(_, on)| on))
    .fetch_all(&mut *connection)
    .await
}

/// The one entitlement, when the caller of `connection`'s transaction may see it (see [`visible`]).
pub async fn visible_one(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    entitlement_id: Uuid,
    partner: PartnerOn<'_>,
) -> Result<Option<Visible>, sqlx::Error> {
    sqlx::query_as(
        "SELECT entitlement_id, child FROM entitlements
          WHERE gemeente = $1 AND entitlement_id = $4
            AND ($2::text IS NULL OR (
                 form IS DISTINCT FROM 'voucher'
                 AND EXISTS (SELECT 1 FROM partner_enrolments e
                              WHERE e.gemeente = entitlements.gemeente
                                AND e.provision = entitlements.provision
                                AND e.partner = $2
                                AND e.may_deliver
                                AND (e.ended_on IS NULL OR e.ended_on >= $3))))",
    )
    .bind(gemeente.as_str())
    .bind(partner.map(|(partner, _)| partner.as_str()))
    .bind(partner.map(|(_, on)| on))
    .bind(entitlement_id)
    .fetch_optional(&mut *connection)
    .await
}
