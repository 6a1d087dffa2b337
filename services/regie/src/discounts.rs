//! Agreeing a standing discount (korting): the use-case that looks up the provision's form in the
//! regeling version in force before the `Enrolment` aggregate checks the agreement. The aggregate
//! holds the rest: an active enrolment that delivers the provision, a percentage of 1 to 100, a
//! maximum per purchase above zero.

use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::regie::DeliveryForm;
use kindpakket_proto::{Cents, GemeenteCode, OrganisationId, ProvisionCode};
use sqlx::PgPool;
use time::Date;

use crate::calendar;
use crate::domain::enrolment::EnrolmentId;
use crate::domain::enrolment::{AgreeDiscount, Enrolment, EnrolmentCommand, EnrolmentError};

/// What regie agrees with a partner for one provision.
#[derive(Debug, Clone)]
pub struct Terms {
    pub percent: i64,
    pub max_per_purchase_cents: Option<Cents>,
}

/// Agrees (or changes) the standing discount of `partner` for `provision` in `gemeente`, as of `on`.
#[allow(clippy::too_many_arguments)]
pub async fn agree(
    pool: &PgPool,
    enrolments: &AggregateStore<Enrolment>,
    gemeente: &GemeenteCode,
    partner: &OrganisationId,
    provision: &ProvisionCode,
    terms: Terms,
    on: Date,
    context: &CommandContext,
) -> Result<(), CommandError<EnrolmentError>> {
    let form = form_in_force(pool, gemeente, provision, on)
        .await
        .map_err(|error| CommandError::Technical(error.to_string()))?;
    let command = EnrolmentCommand::AgreeDiscount(AgreeDiscount {
        provision: provision.clone(),
        percent: terms.percent,
        max_per_purchase_cents: terms.max_per_purchase_cents,
        provision_is_discount: form.map(|form| form == DeliveryForm::Discount),
        agreed_on: on,
    });
    enrolments
        .execute(EnrolmentId { gemeente, partner }, command, context)
        .await
}

/// The form of `provision` in the regeling version of `gemeente` in force on `on`; `None` when no
/// version is in force or it has no such provision.
async fn form_in_force(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    provision: &ProvisionCode,
    on: Date,
) -> Result<Option<DeliveryForm>, sqlx::Error> {
    let Some(version) =
        calendar::overlapping(pool, std::slice::from_ref(gemeente), on, on, None).await?
    else {
        return Ok(None);
    };
    let form: Option<serde_json::Value> = sqlx::query_scalar(
        "SELECT provision->'form'
         FROM events,
              jsonb_array_elements(payload::jsonb->'Published'->'provisions') AS provision
         WHERE aggregate_type = 'regeling' AND event_type = 'Published'
           AND payload::jsonb->'Published'->>'regeling_id' = $1
           AND provision->>'code' = $2
         LIMIT 1",
    )
    .bind(version.regeling_id.to_string())
    .bind(provision.as_str())
    .fetch_optional(pool)
    .await?;
    Ok(form.and_then(|form| serde_json::from_value(form).ok()))
}
