//! The regie stream: enrolments say which partner may deliver what, regeling versions hold the
//! budgets and the sample rate, standing discounts what a provider gives at the till. Both are kept
//! in [`crate::read_models`], in the consumer's transaction. An enrolment to deliver also feeds
//! the partner the entitlements it may see from now on ([`crate::feed::Feeder::enrolled`]).

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_proto::regie::{PartnerRole, RegieEvent};
use sqlx::PgConnection;

use crate::feed::Feeder;
use crate::read_models::{discounts, enrolments, regelingen};

/// Keeps the enrolled partners and the regeling versions.
pub struct RegieHandler {
    pub feeder: Feeder,
}

impl EventHandler for RegieHandler {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let gemeente = &event.envelope.gemeente;
        crate::access::as_projector(connection).await?;
        match event.decode::<RegieEvent>()? {
            RegieEvent::PartnerEnrolled(enrolled) => {
                enrolments::record_enrolment(connection, gemeente, &enrolled).await?;
                if enrolled.roles.contains(&PartnerRole::Deliver) {
                    self.feeder
                        .enrolled(
                            connection,
                            gemeente,
                            &enrolled.partner,
                            &enrolled.provisions,
                        )
                        .await?;
                }
            }
            RegieEvent::PartnerEnrolmentEnded(ended) => {
                enrolments::record_end(connection, gemeente, &ended).await?;
            }
            RegieEvent::RegelingPublished(regeling) => {
                regelingen::record(connection, &regeling).await?;
            }
            RegieEvent::RegelingEnded(ended) => {
                regelingen::record_end(connection, &ended).await?;
            }
            RegieEvent::DiscountAgreed(agreed) => {
                discounts::record_agreement(connection, gemeente, &agreed).await?;
            }
            RegieEvent::DiscountEnded(ended) => {
                discounts::record_end(connection, gemeente, &ended).await?;
            }
            // Routing concerns signals, not entitlements; the doelgroep and the wishes are figures
            // of the dashboard's.
            RegieEvent::RoutingSet(_)
            | RegieEvent::TargetGroupSet(_)
            | RegieEvent::WishSubmitted(_) => {}
        }
        Ok(())
    }
}
