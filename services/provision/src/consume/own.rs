//! This service's own stream, into the work lists ([`crate::read_models::work_lists`]): declarations
//! submitted and decided, invoices submitted and settled. Applied in the consumer's transaction with
//! its offset, so each event is listed once however often it is delivered; rows are only inserted
//! once (`ON CONFLICT DO NOTHING`) and updated to what the event says, so a replay of parked events
//! repeats harmlessly. Everything else on the stream is not listed.
//!
//! The same transaction feeds the partners' feed ([`crate::feed::of_provision`]): what of each event
//! concerns which partner, under its own pseudonyms.

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_proto::provision::ProvisionEvent;
use sqlx::PgConnection;

use crate::access::as_projector;
use crate::feed::{self, Feeder, Source};
use crate::read_models::work_lists;

/// Keeps the declarations and invoices lists, and the partners' feed.
pub struct OwnHandler {
    pub feeder: Feeder,
}

impl EventHandler for OwnHandler {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let gemeente = &event.envelope.gemeente;
        let decoded = event.decode::<ProvisionEvent>()?;
        match &decoded {
            ProvisionEvent::DeclarationSubmitted(submitted) => {
                as_projector(connection).await?;
                work_lists::record_declaration(connection, gemeente, submitted).await?;
            }
            ProvisionEvent::DeclarationDecided(decided) => {
                as_projector(connection).await?;
                work_lists::record_decision(connection, decided).await?;
            }
            ProvisionEvent::InvoiceSubmitted(invoice) => {
                as_projector(connection).await?;
                work_lists::record_invoice(connection, gemeente, invoice).await?;
            }
            ProvisionEvent::InvoiceSettled(settled) => {
                as_projector(connection).await?;
                work_lists::record_settlement(connection, settled).await?;
            }
            _ => {}
        }
        if let Some(fed) = feed::of_provision(&decoded) {
            as_projector(connection).await?;
            self.feeder
                .write(connection, &Source::of(&event.envelope), &fed, None)
                .await?;
        }
        Ok(())
    }
}
