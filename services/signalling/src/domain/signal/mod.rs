//! A signal: one child signalled by one organisation, with its referral and outcome.

mod commands;
mod error;
mod events;
pub mod upcasters;

pub use commands::{RecordOutcome, SignalChild, SignalCommand};
pub use error::SignalError;
pub use events::{SignalEvent, WhySignalled, EVENT_VERSION};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_platform::shredding::Sealed;
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::signalling::{
    ChildSignalled, Referral, SignalOutcome, SignalOutcomeRecorded,
};
use kindpakket_proto::{ChildRef, GemeenteCode, OrganisationId};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Signal {
    pub details: Option<SignalDetails>,
    pub outcome: Option<SignalOutcome>,
}

/// What is known once a child was signalled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignalDetails {
    pub signal_id: Uuid,
    pub gemeente: GemeenteCode,
    pub signaller: OrganisationId,
    pub child: ChildRef,
    /// The reason and the signaller's note, sealed under the child's key.
    pub why: Option<Sealed<WhySignalled>>,
    pub referral: Referral,
    pub signalled_on: Date,
}

impl Aggregate for Signal {
    const TYPE: &'static str = "signal";
    type Command = SignalCommand;
    type Event = SignalEvent;
    type Error = SignalError;
    type Services = ();

    async fn handle(
        &mut self,
        command: SignalCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), SignalError> {
        let events = match command {
            SignalCommand::SignalChild(command) => self.signal_child(command)?,
            SignalCommand::RecordOutcome(command) => self.record_outcome(command)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: SignalEvent) {
        match event {
            SignalEvent::ChildSignalled {
                gemeente,
                event,
                why,
            } => {
                self.details = Some(SignalDetails {
                    signal_id: event.signal_id,
                    gemeente,
                    signaller: event.signaller,
                    child: event.child,
                    why,
                    referral: event.referral,
                    signalled_on: event.signalled_on,
                });
            }
            SignalEvent::OutcomeRecorded(event) => self.outcome = Some(event.outcome),
        }
    }
}

impl Tenanted for Signal {
    const NOT_FOUND: &'static str = "Deze signalering bestaat niet in deze gemeente.";

    fn gemeente(&self) -> Option<&GemeenteCode> {
        self.details.as_ref().map(|details| &details.gemeente)
    }
}

impl Signal {
    fn signal_child(&self, command: SignalChild) -> Result<Vec<SignalEvent>, SignalError> {
        if self.details.is_some() {
            return Err(SignalError::AlreadyExists);
        }
        let event = ChildSignalled {
            signal_id: command.signal_id,
            signaller: command.signaller,
            child: command.child,
            household: command.household,
            referral: command.referral,
            signalled_on: command.signalled_on,
        };
        Ok(vec![SignalEvent::ChildSignalled {
            gemeente: command.gemeente,
            event,
            why: Some(command.why),
        }])
    }

    /// Only the organisation that signalled records the outcome; to anyone else the signal is as
    /// unknown as one of another gemeente.
    fn record_outcome(&self, command: RecordOutcome) -> Result<Vec<SignalEvent>, SignalError> {
        let details = self
            .details
            .as_ref()
            .filter(|details| details.gemeente == command.gemeente)
            .filter(|details| details.signaller == command.recorded_by)
            .ok_or(SignalError::NotFound)?;
        if command.recorded_on < details.signalled_on {
            return Err(SignalError::OutcomeBeforeSignal);
        }
        if self.outcome == Some(command.outcome) {
            // Recording the same outcome again changes nothing.
            return Ok(vec![]);
        }
        Ok(vec![SignalEvent::OutcomeRecorded(SignalOutcomeRecorded {
            signal_id: details.signal_id,
            outcome: command.outcome,
            recorded_on: command.recorded_on,
        })])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use time::macros::date;

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }

    fn signalled() -> ChildSignalled {
        ChildSignalled {
            signal_id: Uuid::from_u128(1),
            signaller: OrganisationId::parse("wijkteam-centrum").unwrap(),
            child: ChildRef(Uuid::from_u128(2)),
            household: None,
            referral: Referral::Loket,
            signalled_on: date!(2026 - 09 - 01),
        }
    }

    /// The reason sealed under the child's key, as a stored event holds it: opaque (the aggregate
    /// never opens it), made here without a key.
    fn why() -> Sealed<WhySignalled> {
        serde_json::from_value(serde_json::json!({
            "s": Uuid::from_u128(2), "e": 202609, "n": "AAAAAAAAAAAAAAAA", "c": "schulden"
        }))
        .unwrap()
    }

    fn child_signalled() -> SignalEvent {
        SignalEvent::ChildSignalled {
            gemeente: gemeente(),
            event: signalled(),
            why: Some(why()),
        }
    }

    fn signal_child() -> SignalCommand {
        let event = signalled();
        SignalCommand::SignalChild(SignalChild {
            gemeente: gemeente(),
            signal_id: event.signal_id,
            signaller: event.signaller,
            child: event.child,
            household: None,
            why: why(),
            referral: event.referral,
            signalled_on: event.signalled_on,
        })
    }

    #[tokio::test]
    async fn a_child_can_be_signalled_once() {
        TestFramework::<Signal>::with(())
            .given_no_previous_events()
            .when_async(signal_child())
            .await
            .then_expect_events(vec![child_signalled()]);
        TestFramework::<Signal>::with(())
            .given(vec![child_signalled()])
            .when_async(signal_child())
            .await
            .then_expect_error(SignalError::AlreadyExists);
    }

    #[tokio::test]
    async fn an_outcome_needs_a_signal_in_the_same_gemeente() {
        TestFramework::<Signal>::with(())
            .given_no_previous_events()
            .when_async(SignalCommand::RecordOutcome(RecordOutcome {
                gemeente: gemeente(),
                recorded_by: signalled().signaller,
                outcome: SignalOutcome::Applied,
                recorded_on: date!(2026 - 09 - 02),
            }))
            .await
            .then_expect_error(SignalError::NotFound);
        TestFramework::<Signal>::with(())
            .given(vec![child_signalled()])
            .when_async(SignalCommand::RecordOutcome(RecordOutcome {
                gemeente: GemeenteCode::parse("GM0363").unwrap(),
                recorded_by: signalled().signaller,
                outcome: SignalOutcome::Applied,
                recorded_on: date!(2026 - 09 - 02),
            }))
            .await
            .then_expect_error(SignalError::NotFound);
    }

    #[tokio::test]
    async fn only_the_organisation_that_signalled_records_the_outcome() {
        let given = || TestFramework::<Signal>::with(()).given(vec![child_signalled()]);
        let by = |organisation: &str| {
            SignalCommand::RecordOutcome(RecordOutcome {
                gemeente: gemeente(),
                recorded_by: OrganisationId::parse(organisation).unwrap(),
                outcome: SignalOutcome::Contacted,
                recorded_on: date!(2026 - 09 - 02),
            })
        };
        given()
            .when_async(by("school-de-regenboog"))
            .await
            .then_expect_error(SignalError::NotFound);
        given()
            .when_async(by("wijkteam-centrum"))
            .await
            .then_expect_events(vec![SignalEvent::OutcomeRecorded(SignalOutcomeRecorded {
                signal_id: Uuid::from_u128(1),
                outcome: SignalOutcome::Contacted,
                recorded_on: date!(2026 - 09 - 02),
            })]);
    }

    #[tokio::test]
    async fn the_same_outcome_twice_is_recorded_once() {
        let recorded = SignalEvent::OutcomeRecorded(SignalOutcomeRecorded {
            signal_id: Uuid::from_u128(1),
            outcome: SignalOutcome::Contacted,
            recorded_on: date!(2026 - 09 - 02),
        });
        TestFramework::<Signal>::with(())
            .given(vec![child_signalled(), recorded])
            .when_async(SignalCommand::RecordOutcome(RecordOutcome {
                gemeente: gemeente(),
                recorded_by: signalled().signaller,
                outcome: SignalOutcome::Contacted,
                recorded_on: date!(2026 - 09 - 03),
            }))
            .await
            .then_expect_events(vec![]);
    }
}
