//! Which partner is enrolled to deliver which provision in which gemeente, and until when. Written by
//! the regie consumer as the projector; read by a partner, through row-level security, as itself
//! ([`crate::access::reading_as`]): its own rows only.

use kindpakket_proto::regie::{PartnerEnrolled, PartnerEnrolmentEnded, PartnerRole};
use kindpakket_proto::{GemeenteCode, OrganisationId, ProvisionCode};
use sqlx::PgConnection;
use time::Date;

/// A partner enrolled (again): for each of its provisions, whether it may deliver it.
pub async fn record_enrolment(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    enrolled: &PartnerEnrolled,
) -> Result<(), sqlx::Error> {
    let may_deliver = enrolled.roles.contains(&PartnerRole::Deliver);
    for provision in &enrolled.provisions {
        sqlx::query(
            "INSERT INTO partner_enrolments (gemeente, partner, provision, may_deliver, ended_on)
             VALUES ($1, $2, $3, $4, NULL)
             ON CONFLICT (gemeente, partner, provision)
             DO UPDATE SET may_deliver = EXCLUDED.may_deliver, ended_on = NULL",
        )
        .bind(gemeente.as_str())
        .bind(enrolled.partner.as_str())
        .bind(provision.as_str())
        .bind(may_deliver)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// A partner's enrolment ended, for all of its provisions.
pub async fn record_end(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    ended: &PartnerEnrolmentEnded,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE partner_enrolments SET ended_on = $3 WHERE gemeente = $1 AND partner = $2")
        .bind(gemeente.as_str())
        .bind(ended.partner.as_str())
        .bind(ended.ended_on)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Whether `partner` may deliver `provision` in `gemeente` on `on`, asked in a transaction on the
/// partner's behalf (row-level security shows it its own enrolments only).
pub async fn may_deliver(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    partner: &OrganisationId,
    provision: &ProvisionCode,
    on: Date,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM partner_enrolments
                        WHERE gemeente = $1 AND partner = $2 AND provision = $3
                          AND may_deliver AND (ended_on IS NULL OR ended_on >= $4))",
    )
    .bind(gemeente.as_str())
    .bind(partner.as_str())
    .bind(provision.as_str())
    .bind(on)
    .fetch_one(&mut *connection)
    .await
}
