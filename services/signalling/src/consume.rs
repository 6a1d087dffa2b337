//! The streams signalling consumes, each applied in the consumer's transaction:
//!
//! - regie: the enrolments of organisations, with their roles, provisions and end dates, and the
//!   provision type of each provision of a regeling, kept in [`crate::enrolments`]; the routing
//!   tables, kept in [`crate::routing`].
//! - application: `SubjectForgotten` of a child destroys the child's keys, so the reason and the
//!   note of every signal of that child read as forgotten in the store, in replays and in old
//!   backups; the work list ([`crate::worklist`]) drops the child's id from its rows. Beyond that
//!   the keys are all there is to destroy; destroying them twice is harmless, so a
//!   redelivery or a crash before the offset moved repeats nothing harmful. Of a household,
//!   signalling seals nothing: its keys are forgotten too, so nothing is ever sealed for it.
//!   `SubjectRectified` is acknowledged: signalling keeps no personal data to correct. Other
//!   application events are not needed here.

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_platform::shredding::SubjectKeys;
use kindpakket_proto::application::{ApplicationEvent, ForgetReason, SubjectKind};
use kindpakket_proto::regie::RegieEvent;
use sqlx::PgConnection;

use crate::{enrolments, routing, worklist};

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
            RegieEvent::RegelingPublished(published) => {
                enrolments::record_provision_types(connection, &published).await?;
            }
            RegieEvent::RoutingSet(set) => {
                routing::record_routing(connection, &set).await?;
            }
            // The doelgroep and the wishes are figures of the dashboard's, not where a signal goes.
            RegieEvent::RegelingEnded(_)
            | RegieEvent::TargetGroupSet(_)
            | RegieEvent::WishSubmitted(_)
            | RegieEvent::DiscountAgreed(_)
            | RegieEvent::DiscountEnded(_) => {}
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
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        match event.decode::<ApplicationEvent>()? {
            ApplicationEvent::SubjectForgotten(forgotten) => {
                if forgotten.kind == SubjectKind::Child {
                    worklist::forget_child(connection, forgotten.subject).await?;
                }
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
