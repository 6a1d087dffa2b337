//! The streams signalling consumes, each applied in the consumer's transaction:
//!
//! - regie: the enrolments of organisations, with their roles and end dates, kept in
//!   [`crate::enrolments`]. Regeling versions are not needed here.
//! - application: `SubjectForgotten` of a child destroys the child's keys, so the reason and the
//!   note of every signal of that child read as forgotten in the store, in replays and in old
//!   backups. Signalling keeps no read model with the child in it (its signals are read from its own
//!   events), so the keys are all there is to destroy; destroying them twice is harmless, so a
//!   redelivery or a crash before the offset moved repeats nothing harmful. Of a household,
//!   signalling seals nothing: its keys are forgotten too, so nothing is ever sealed for it.
//!   `SubjectRectified` is acknowledged: signalling keeps no personal data to correct. Other
//!   application events are not needed here.

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_platform::shredding::SubjectKeys;
use kindpakket_proto::application::{ApplicationEvent, ForgetReason};
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
            RegieEvent::RegelingPublished(_) | RegieEvent::RegelingEnded(_) => {}
            // Kept by the signalling engineer's routing read model (issue 14).
            RegieEvent::RoutingSet(_) => {}
        }
        Ok(())
    }
}

/// Forgets the children and households the gemeente forgot.
pub struct ApplicationHandler {
    pub keys: SubjectKeys,
}

impl EventHandler for ApplicationHandler {
    async fn handle(
        &self,
        _: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        match event.decode::<ApplicationEvent>()? {
            ApplicationEvent::SubjectForgotten(forgotten) => {
                let why = match forgotten.why {
                    ForgetReason::Erasure => "erasure",
                    ForgetReason::Retention => "retention",
                };
                let had_keys = self
                    .keys
                    .forget(forgotten.subject, why)
                    .await
                    .map_err(HandlerError::Transient)?;
                tracing::info!(subject_kind = ?forgotten.kind, had_keys, "forgot a subject");
            }
            ApplicationEvent::SubjectRectified(rectified) => {
                tracing::info!(subject_kind = ?rectified.kind, "rectification acknowledged: nothing kept to correct");
            }
            ApplicationEvent::ApplicationSubmitted(_)
            | ApplicationEvent::ApplicationGranted(_)
            | ApplicationEvent::ApplicationRejected(_)
            | ApplicationEvent::ApplicationWithdrawn(_) => {}
        }
        Ok(())
    }
}
