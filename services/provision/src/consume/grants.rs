//! Grants open entitlements. The entitlement's id comes with the grant and `Open` is idempotent, so
//! a redelivered grant opens nothing twice even though each command commits in its own transaction.

use std::sync::Arc;

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::application::{ApplicationEvent, ApplicationGranted, GrantedEntitlement};
use kindpakket_proto::provision::EntitlementOpened;
use kindpakket_proto::regie::DeliveryForm;
use kindpakket_proto::{GemeenteCode, Service};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::entitlement::{Entitlement, EntitlementCommand, Open};
use crate::pass_codes;

/// Opens the entitlements of every grant.
pub struct GrantsHandler {
    pub entitlements: Arc<AggregateStore<Entitlement>>,
    pub pool: PgPool,
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
        let context = CommandContext::caused_by(&event.envelope, Service::Provision);
        for entitlement in &granted.entitlements {
            self.open(&event.envelope.gemeente, &granted, entitlement, &context)
                .await?;
        }
        Ok(())
    }
}

impl GrantsHandler {
    async fn open(
        &self,
        gemeente: &GemeenteCode,
        granted: &ApplicationGranted,
        entitlement: &GrantedEntitlement,
        context: &CommandContext,
    ) -> Result<(), HandlerError> {
        let entitlement_id = entitlement.entitlement_id;
        // A voucher gets its pass when it opens; the pass id is stable, so a redelivered grant
        // issues no second pass (its fresh code is registered, but never issued).
        let pass = if entitlement.form == Some(DeliveryForm::Voucher) {
            let pass_id = Uuid::new_v5(&entitlement_id, b"pass-1");
            Some(pass_codes::new_pass(&self.pool, pass_id, gemeente, entitlement_id).await?)
        } else {
            None
        };
        let command = EntitlementCommand::Open(Open {
            gemeente: gemeente.clone(),
            opened: EntitlementOpened {
                entitlement_id,
                application_id: granted.application_id,
                child: entitlement.child,
                provision: entitlement.provision.clone(),
                amount_cents: entitlement.amount_cents,
                valid_from: entitlement.valid_from,
                valid_until: entitlement.valid_until,
                funder: entitlement.funder.clone(),
                co_financing: entitlement.co_financing.clone(),
                form: entitlement.form,
                unit_value_cents: entitlement.unit_value_cents,
            },
            pass,
            opened_on: granted.decided_on,
        });
        match self
            .entitlements
            .execute(entitlement_id, command, context)
            .await
        {
            Ok(()) => {
                tracing::info!(%entitlement_id, "entitlement opened");
                Ok(())
            }
            Err(CommandError::Rejected(refusal)) => Err(HandlerError::Poison(format!(
                "grant cannot open entitlement: {refusal}"
            ))),
            Err(error) => Err(HandlerError::Transient(anyhow::anyhow!("{error}"))),
        }
    }
}
