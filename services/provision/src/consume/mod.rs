//! Other services' events, turned into this service's commands and lookups.
//!
//! - application stream: every granted entitlement is opened here (idempotently: a redelivered grant
//!   opens nothing twice);
//! - regie stream: which partner is enrolled to deliver which provision in which gemeente.

use std::sync::Arc;

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_platform::db::Migration;
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::application::ApplicationEvent;
use kindpakket_proto::provision::EntitlementOpened;
use kindpakket_proto::regie::{PartnerRole, RegieEvent};
use sqlx::PgConnection;

use crate::domain::entitlement::{Entitlement, EntitlementCommand};

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
            let command = EntitlementCommand::Open {
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
            RegieEvent::RegelingPublished(_) => {}
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
