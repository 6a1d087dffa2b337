//! A subject: a child or a household as the rest of the platform knows it, by its pseudonymous id
//! (the aggregate id). When the vault forgets the person behind it (erasure by the regievoerder, or
//! retention) or corrects them, the subject records it, and the relay publishes it exactly once as
//! the contract's `SubjectForgotten` or `SubjectRectified`: every recipient then forgets or looks
//! again (AVG art. 19). Being an event of this service's own store, it survives a crash between the
//! vault's work and the publication ([`crate::forgetting`] records it before the keys are destroyed).

mod commands;
mod error;
mod events;

pub use commands::{Forget, Rectify, SubjectCommand};
pub use error::SubjectError;
pub use events::SubjectEvent;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_proto::application::ForgetReason;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Subject {
    pub forgotten: Option<ForgetReason>,
    pub rectifications: u32,
}

impl Aggregate for Subject {
    const TYPE: &'static str = "subject";
    type Command = SubjectCommand;
    type Event = SubjectEvent;
    type Error = SubjectError;
    type Services = ();

    async fn handle(
        &mut self,
        command: SubjectCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), SubjectError> {
        let events = match command {
            SubjectCommand::Forget(command) => self.forget(command),
            SubjectCommand::Rectify(command) => self.rectify(command)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: SubjectEvent) {
        match event {
            SubjectEvent::Forgotten { why, .. } => self.forgotten = Some(why),
            SubjectEvent::Rectified { .. } => self.rectifications += 1,
        }
    }
}

impl Subject {
    /// Forgotten once: asking again (a repair after a crash, a second parent of the household)
    /// records nothing.
    fn forget(&self, command: Forget) -> Vec<SubjectEvent> {
        if self.forgotten.is_some() {
            return Vec::new();
        }
        vec![SubjectEvent::Forgotten {
            subject: command.subject,
            gemeente: command.gemeente,
            kind: command.kind,
            why: command.why,
            forgotten_on: command.on,
        }]
    }

    fn rectify(&self, command: Rectify) -> Result<Vec<SubjectEvent>, SubjectError> {
        if self.forgotten.is_some() {
            return Err(SubjectError::Forgotten);
        }
        Ok(vec![SubjectEvent::Rectified {
            subject: command.subject,
            gemeente: command.gemeente,
            kind: command.kind,
            rectified_on: command.on,
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use kindpakket_proto::application::SubjectKind;
    use kindpakket_proto::GemeenteCode;
    use time::macros::date;

    fn forget() -> SubjectCommand {
        SubjectCommand::Forget(Forget {
            subject: uuid::Uuid::from_u128(6),
            gemeente: GemeenteCode::parse("GM0518").unwrap(),
            kind: SubjectKind::Household,
            why: ForgetReason::Erasure,
            on: date!(2026 - 11 - 01),
        })
    }

    fn forgotten() -> SubjectEvent {
        SubjectEvent::Forgotten {
            subject: uuid::Uuid::from_u128(6),
            gemeente: GemeenteCode::parse("GM0518").unwrap(),
            kind: SubjectKind::Household,
            why: ForgetReason::Erasure,
            forgotten_on: date!(2026 - 11 - 01),
        }
    }

    #[tokio::test]
    async fn a_subject_is_forgotten_once_and_asking_again_records_nothing() {
        TestFramework::<Subject>::with(())
            .given_no_previous_events()
            .when_async(forget())
            .await
            .then_expect_events(vec![forgotten()]);
        TestFramework::<Subject>::with(())
            .given(vec![forgotten()])
            .when_async(forget())
            .await
            .then_expect_events(vec![]);
    }

    #[tokio::test]
    async fn a_forgotten_subject_is_not_rectified() {
        let rectify = SubjectCommand::Rectify(Rectify {
            subject: uuid::Uuid::from_u128(6),
            gemeente: GemeenteCode::parse("GM0518").unwrap(),
            kind: SubjectKind::Child,
            on: date!(2026 - 11 - 02),
        });
        TestFramework::<Subject>::with(())
            .given(vec![forgotten()])
            .when_async(rectify)
            .await
            .then_expect_error(SubjectError::Forgotten);
    }
}
