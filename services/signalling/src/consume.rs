//! The regie stream: the enrolments of organisations, with their roles and end dates, kept in
//! [`crate::enrolments`] in the consumer's transaction. Regeling versions are not needed here.

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_proto::regie::RegieEvent;
use sqlx::PgConnection;

use crate::enrolments;

/// Keeps the enrolments of the regie stream.
pub struct RegieHandler;

impl EventHandler for RegieHandler {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let gemeente = &event.envelope.gemeente;
        match event.decode::<RegieEvent>()? {
            RegieEvent::PartnerEnrolled(enrolled) => {
                enrolments::record_enrolment(connection, gemeente, &enrolled).await?;
            }
            RegieEvent::PartnerEnrolmentEnded(ended) => {
                enrolments::record_end(connection, gemeente, &ended).await?;
            }
            RegieEvent::RegelingPublished(_) => {}
        }
        Ok(())
    }
}
