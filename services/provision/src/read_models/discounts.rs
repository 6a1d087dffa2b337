//! The standing discounts (korting) regie agreed with providers: per gemeente, partner and
//! provision, the percentage and the maximum per purchase. Written by the regie consumer as the
//! projector; read at the till on the provider's behalf, through row-level security, as itself
//! ([`crate::access::reading_as`]): its own agreements only.

use kindpakket_proto::regie::{DiscountAgreed, DiscountEnded};
use kindpakket_proto::{Cents, GemeenteCode, OrganisationId, ProvisionCode};
use sqlx::PgConnection;

/// The terms of one standing discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discount {
    /// 1 to 100.
    pub percent: u8,
    pub max_per_purchase_cents: Option<Cents>,
}

/// A discount agreed, or its terms changed.
pub async fn record_agreement(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    agreed: &DiscountAgreed,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO partner_discounts (gemeente, partner, provision, percent, max_per_purchase_cents, agreed_on)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (gemeente, partner, provision) DO UPDATE SET
             percent = EXCLUDED.percent,
             max_per_purchase_cents = EXCLUDED.max_per_purchase_cents,
             agreed_on = EXCLUDED.agreed_on",
    )
    .bind(gemeente.as_str())
    .bind(agreed.partner.as_str())
    .bind(agreed.provision.as_str())
    .bind(i16::from(agreed.percent))
    .bind(agreed.max_per_purchase_cents.map(Cents::get))
    .bind(agreed.agreed_on)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// A discount ended: no discount is given any more.
pub async fn record_end(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    ended: &DiscountEnded,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM partner_discounts WHERE gemeente = $1 AND partner = $2 AND provision = $3",
    )
    .bind(gemeente.as_str())
    .bind(ended.partner.as_str())
    .bind(ended.provision.as_str())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// The discount `partner` gives on `provision` in `gemeente`, asked in a transaction on the
/// partner's behalf (row-level security shows it its own agreements only).
pub async fn of(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    partner: &OrganisationId,
    provision: &ProvisionCode,
) -> Result<Option<Discount>, sqlx::Error> {
    let row: Option<(i16, Option<i64>)> = sqlx::query_as(
        "SELECT percent, max_per_purchase_cents FROM partner_discounts
         WHERE gemeente = $1 AND partner = $2 AND provision = $3",
    )
    .bind(gemeente.as_str())
    .bind(partner.as_str())
    .bind(provision.as_str())
    .fetch_optional(&mut *connection)
    .await?;
    Ok(row.and_then(|(percent, max)| {
        Some(Discount {
            percent: u8::try_from(percent).ok()?,
            max_per_purchase_cents: max.map(Cents),
        })
    }))
}
