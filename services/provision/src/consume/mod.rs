//! Other services' events, turned into this service's commands and lookups.
//!
//! - application stream: every granted entitlement is opened here (idempotently: a redelivered grant
//!   opens nothing twice);
//! - regie stream: which partner is enrolled to deliver which provision in which gemeente, and the
//!   regeling versions (budgets, sample rate).

use std::sync::Arc;

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_platform::db::Migration;
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::application::ApplicationEvent;
use kindpakket_proto::provision::EntitlementOpened;
use kindpakket_proto::regie::{DeliveryForm, PartnerRole, RegelingPublished, RegieEvent};
use kindpakket_proto::GemeenteCode;
use sqlx::{PgConnection, PgPool};
use time::Date;
use uuid::Uuid;

use crate::domain::entitlement::{code, Entitlement, EntitlementCommand, NewPass};

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

/// Opens the entitlements of every grant.
pub struct GrantsHandler {
    pub entitlements: Arc<AggregateStore<Entitlement>>,
    pub pool: PgPool,
}

/// Registers a new pass code for an entitlement.
pub async fn register_code(
    pool: &PgPool,
    code: &str,
    gemeente: &GemeenteCode,
    entitlement_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO pass_codes (code, gemeente, entitlement_id) VALUES ($1, $2, $3)")
        .bind(code)
        .bind(gemeente.as_str())
        .bind(entitlement_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The gemeente and entitlement of a pass code.
pub async fn find_code(pool: &PgPool, code: &str) -> Result<Option<(String, Uuid)>, sqlx::Error> {
    sqlx::query_as("SELECT gemeente, entitlement_id FROM pass_codes WHERE code = $1")
        .bind(code)
        .fetch_optional(pool)
        .await
}

/// The regeling in force in `gemeente` on `date`.
pub async fn regeling_in_force(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    date: Date,
) -> anyhow::Result<Option<RegelingPublished>> {
    let body: Option<serde_json::Value> = sqlx::query_scalar(
        "SELECT body FROM regelingen
         WHERE $1 = ANY(gemeenten) AND valid_from <= $2 AND valid_until >= $2",
    )
    .bind(gemeente.as_str())
    .bind(date)
    .fetch_optional(pool)
    .await?;
    Ok(body.map(serde_json::from_value).transpose()?)
}

impl EventHandler for GrantsHandler {
    async fn handle(
        &self,
        _: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let ApplicationEvent::ApplicationGranted(granted) = event.decode::<ApplicationEvent>()?
        else {
            return Ok(());
        };
        let context = CommandContext::caused_by(&event.envelope, "provision");
        for entitlement in granted.entitlements {
            // A voucher gets its pass when it opens; the pass id is stable, so a redelivered grant
            // issues no second pass (its fresh code is registered, but never issued).
            let pass = if entitlement.form == Some(DeliveryForm::Voucher) {
                let pass = NewPass {
                    pass_id: Uuid::new_v5(&entitlement.entitlement_id, b"pass-1"),
                    code: code::generate(),
                };
                register_code(
                    &self.pool,
                    &pass.code,
                    &event.envelope.gemeente,
                    entitlement.entitlement_id,
                )
                .await
                .map_err(|error| HandlerError::Transient(error.into()))?;
                Some(pass)
            } else {
                None
            };
            let command = EntitlementCommand::Open {
                pass,
                opened_on: granted.decided_on,
                gemeente: event.envelope.gemeente.clone(),
                opened: EntitlementOpened {
                    entitlement_id: entitlement.entitlement_id,
                    application_id: granted.application_id,
                    child: entitlement.child,
                    provision: entitlement.provision,
                    amount_cents: entitlement.amount_cents,
                    valid_from: entitlement.valid_from,
                    valid_until: entitlement.valid_until,
                    funder: entitlement.funder,
                    co_financing: entitlement.co_financing,
                    form: entitlement.form,
                    unit_value_cents: entitlement.unit_value_cents,
                },
            };
            match self
                .entitlements
                .execute(&entitlement.entitlement_id.to_string(), command, &context)
                .await
            {
                Ok(()) => {
                    tracing::info!(entitlement_id = %entitlement.entitlement_id, "entitlement opened")
                }
                Err(CommandError::Rejected(rejection)) => {
                    return Err(HandlerError::Poison(format!(
                        "grant cannot open entitlement: {rejection}"
                    )))
                }
                Err(error) => return Err(HandlerError::Transient(anyhow::anyhow!("{error}"))),
            }
        }
        Ok(())
    }
}

/// Keeps the table of enrolled partners.
pub struct EnrolmentsHandler;

impl EventHandler for EnrolmentsHandler {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let gemeente = event.envelope.gemeente.as_str();
        match event.decode::<RegieEvent>()? {
            RegieEvent::PartnerEnrolled(enrolled) => {
                let may_deliver = enrolled.roles.contains(&PartnerRole::Deliver);
                for provision in &enrolled.provisions {
                    sqlx::query(
                        "INSERT INTO partner_enrolments (gemeente, partner, provision, may_deliver, ended_on)
                         VALUES ($1, $2, $3, $4, NULL)
                         ON CONFLICT (gemeente, partner, provision)
                         DO UPDATE SET may_deliver = EXCLUDED.may_deliver, ended_on = NULL",
                    )
                    .bind(gemeente)
                    .bind(enrolled.partner.as_str())
                    .bind(provision.as_str())
                    .bind(may_deliver)
                    .execute(&mut *connection)
                    .await?;
                }
            }
            RegieEvent::PartnerEnrolmentEnded(ended) => {
                sqlx::query("UPDATE partner_enrolments SET ended_on = $3 WHERE gemeente = $1 AND partner = $2")
                    .bind(gemeente)
                    .bind(ended.partner.as_str())
                    .bind(ended.ended_on)
                    .execute(&mut *connection)
                    .await?;
            }
            RegieEvent::RegelingPublished(regeling) => {
                let gemeenten: Vec<String> =
                    regeling.gemeenten.iter().map(ToString::to_string).collect();
                sqlx::query(
                    "INSERT INTO regelingen (regeling_id, gemeenten, valid_from, valid_until, body)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (regeling_id) DO NOTHING",
                )
                .bind(regeling.regeling_id)
                .bind(&gemeenten)
                .bind(regeling.valid_from)
                .bind(regeling.valid_until)
                .bind(serde_json::to_value(&regeling).map_err(anyhow::Error::from)?)
                .execute(&mut *connection)
                .await?;
            }
        }
        Ok(())
    }
}

/// Whether `partner` may deliver `provision` in `gemeente` today.
pub async fn may_deliver(
    pool: &sqlx::PgPool,
    gemeente: &str,
    partner: &str,
    provision: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM partner_enrolments
                        WHERE gemeente = $1 AND partner = $2 AND provision = $3
                          AND may_deliver AND (ended_on IS NULL OR ended_on >= CURRENT_DATE))",
    )
    .bind(gemeente)
    .bind(partner)
    .bind(provision)
    .fetch_one(pool)
    .await
}

/// The regeling versions of `gemeente` that are in force during part of `year`.
pub async fn regelingen_of_year(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    year: i32,
) -> anyhow::Result<Vec<RegelingPublished>> {
    let bodies: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT body FROM regelingen
         WHERE $1 = ANY(gemeenten)
           AND EXTRACT(YEAR FROM valid_from) <= $2 AND EXTRACT(YEAR FROM valid_until) >= $2
         ORDER BY valid_from",
    )
    .bind(gemeente.as_str())
    .bind(year)
    .fetch_all(pool)
    .await?;
    bodies
        .into_iter()
        .map(|body| Ok(serde_json::from_value(body)?))
        .collect()
}
