//! A signal: one child signalled by one organisation, and the life of its referral: routed to the
//! loket or a partner with a due date, accepted or handed back by its addressee, re-routed by the
//! regie, and what came of it.

mod commands;
mod error;
mod events;
pub mod upcasters;

pub use commands::{Accept, Acting, HandBack, RecordOutcome, Reroute, SignalChild, SignalCommand};
pub use error::SignalError;
pub use events::{LinkUse, SignalEvent, StoredOutcome, WhySignalled, EVENT_VERSION};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::Sealed;
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::regie::ProvisionType;
use kindpakket_proto::signalling::{
    ChildSignalled, Referral, SignalOutcome, SignalOutcomeRecorded, SignalReferred,
};
use kindpakket_proto::{ChildRef, GemeenteCode, HouseholdRef, OrganisationId, WijkCode};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Signal {
    pub details: Option<SignalDetails>,
    /// Where the signal is now, and by when it must be picked up.
    pub referral: Option<Referral>,
    pub due_on: Option<Date>,
    pub stage: Stage,
    pub outcome: Option<SignalOutcome>,
    /// Why the referral was handed back last, sealed under the child's key.
    pub hand_back_reason: Option<Sealed<Note>>,
    /// The one-time links answered through: each may be used once.
    pub used_links: Vec<Uuid>,
}

/// Where a signal's referral stands.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Not signalled yet (an aggregate without events).
    #[default]
    None,
    /// Referred, waiting to be picked up.
    Referred,
    /// Picked up by its addressee.
    Accepted { by: OrganisationId },
    /// Handed back to the regie by the partner it was referred to.
    HandedBack { by: OrganisationId },
    /// An outcome was recorded.
    Closed,
}

/// What is known once a child was signalled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignalDetails {
    pub signal_id: Uuid,
    pub gemeente: GemeenteCode,
    pub signaller: OrganisationId,
    pub child: ChildRef,
    pub household: Option<HouseholdRef>,
    /// The reason and the signaller's note, sealed under the child's key.
    pub why: Option<Sealed<WhySignalled>>,
    pub provision_type: Option<ProvisionType>,
    pub wijk: Option<WijkCode>,
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
            SignalCommand::Accept(command) => self.accept(command)?,
            SignalCommand::HandBack(command) => self.hand_back(command)?,
            SignalCommand::Reroute(command) => self.reroute(command)?,
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
                provision_type,
                wijk,
            } => {
                self.details = Some(SignalDetails {
                    signal_id: event.signal_id,
                    gemeente,
                    signaller: event.signaller,
                    child: event.child,
                    household: event.household,
                    why,
                    provision_type,
                    wijk,
                    signalled_on: event.signalled_on,
                });
                self.referral = Some(event.referral);
                self.due_on = event.due_on;
                self.stage = Stage::Referred;
            }
            SignalEvent::ReferralAccepted { by, via_link, .. } => {
                self.stage = Stage::Accepted { by };
                self.used(via_link);
            }
            SignalEvent::ReferralHandedBack {
                by,
                reason,
                via_link,
                ..
            } => {
                self.stage = Stage::HandedBack { by };
                self.hand_back_reason = reason;
                self.used(via_link);
            }
            SignalEvent::Rerouted(referred) => {
                self.referral = Some(referred.referral);
                self.due_on = referred.due_on;
                self.stage = Stage::Referred;
            }
            SignalEvent::OutcomeRecorded(stored) => {
                self.outcome = Some(stored.event.outcome);
                self.stage = Stage::Closed;
                self.used(stored.via_link);
            }
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
    fn used(&mut self, via_link: Option<LinkUse>) {
        if let Some(link) = via_link {
            self.used_links.push(link.link_id);
        }
    }

    /// Whether the one-time link was answered through already.
    pub fn link_used(&self, link_id: Uuid) -> bool {
        self.used_links.contains(&link_id)
    }

    /// Whether `by` is whom the signal is referred to now: the partner it names, or for the loket
    /// the gemeente's regievoerder.
    pub fn is_addressee(&self, organisation: &OrganisationId, as_loket: bool) -> bool {
        match &self.referral {
            Some(Referral::Loket) => as_loket,
            Some(Referral::Partner { partner }) => partner == organisation,
            None => false,
        }
    }

    /// The signal in `gemeente`, for an addressee answering through a link it has not used yet.
    fn for_addressee(&self, by: &Acting) -> Result<&SignalDetails, SignalError> {
        let details = self
            .details
            .as_ref()
            .filter(|details| details.gemeente == by.gemeente)
            .ok_or(SignalError::NotFound)?;
        if !self.is_addressee(&by.organisation, by.as_loket) {
            return Err(SignalError::NotAddressee);
        }
        if by.via_link.is_some_and(|link| self.link_used(link.link_id)) {
            return Err(SignalError::LinkUsed);
        }
        Ok(details)
    }

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
            due_on: command.due_on,
            wijk: None,
            provision_type: None,
        };
        Ok(vec![SignalEvent::ChildSignalled {
            gemeente: command.gemeente,
            event,
            why: Some(command.why),
            provision_type: command.provision_type,
            wijk: command.wijk,
        }])
    }

    /// Only the addressee accepts. Accepting again changes nothing (an answer through a link is
    /// recorded again, so the link is spent); a signal handed back or closed is not accepted.
    fn accept(&self, command: Accept) -> Result<Vec<SignalEvent>, SignalError> {
        let details = self.for_addressee(&command.by)?;
        match &self.stage {
            Stage::Closed => return Err(SignalError::Closed),
            Stage::HandedBack { .. } => return Err(SignalError::HandedBack),
            Stage::Accepted { by }
                if *by == command.by.organisation && command.by.via_link.is_none() =>
            {
                return Ok(vec![]);
            }
            Stage::Accepted { .. } | Stage::Referred | Stage::None => {}
        }
        Ok(vec![SignalEvent::ReferralAccepted {
            signal_id: details.signal_id,
            by: command.by.organisation,
            accepted_on: command.on,
            via_link: command.by.via_link,
        }])
    }

    /// Only the partner the signal is referred to hands it back; the loket re-routes instead.
    fn hand_back(&self, command: HandBack) -> Result<Vec<SignalEvent>, SignalError> {
        let details = self.for_addressee(&command.by)?;
        if self.referral == Some(Referral::Loket) {
            return Err(SignalError::LoketHandsNothingBack);
        }
        match &self.stage {
            Stage::Closed => return Err(SignalError::Closed),
            Stage::HandedBack { .. } if command.by.via_link.is_none() => return Ok(vec![]),
            _ => {}
        }
        Ok(vec![SignalEvent::ReferralHandedBack {
            signal_id: details.signal_id,
            by: command.by.organisation,
            handed_back_on: command.on,
            reason: command.reason,
            via_link: command.by.via_link,
        }])
    }

    /// The regie refers a signal again, to the loket or a partner, with a new due date; not once it
    /// is closed.
    fn reroute(&self, command: Reroute) -> Result<Vec<SignalEvent>, SignalError> {
        let details = self
            .details
            .as_ref()
            .filter(|details| details.gemeente == command.gemeente)
            .ok_or(SignalError::NotFound)?;
        if self.stage == Stage::Closed {
            return Err(SignalError::Closed);
        }
        Ok(vec![SignalEvent::Rerouted(SignalReferred {
            signal_id: details.signal_id,
            referral: command.to,
            due_on: command.due_on,
            referred_on: command.on,
        })])
    }

    /// The outcome is recorded by the partner that accepted the referral (through a link: the
    /// partner it is referred to, which accepts by answering), or by the loket when the signal is
    /// at the loket. The same outcome again changes nothing.
    fn record_outcome(&self, command: RecordOutcome) -> Result<Vec<SignalEvent>, SignalError> {
        let details = self.for_addressee(&command.by)?;
        let by = &command.by;
        let allowed = match (&self.referral, &self.stage) {
            (_, Stage::HandedBack { .. }) => return Err(SignalError::HandedBack),
            (Some(Referral::Loket), _) => by.as_loket,
            (_, Stage::Accepted { by: accepted }) => *accepted == by.organisation,
            (_, Stage::Closed) => true,
            (_, Stage::Referred) => by.via_link.is_some(),
            (_, Stage::None) => false,
        };
        if !allowed {
            return Err(SignalError::NotAcceptedByCaller);
        }
        if command.recorded_on < details.signalled_on {
            return Err(SignalError::OutcomeBeforeSignal);
        }
        if self.outcome == Some(command.outcome) && by.via_link.is_none() {
            return Ok(vec![]);
        }
        Ok(vec![SignalEvent::OutcomeRecorded(StoredOutcome {
            event: SignalOutcomeRecorded {
                signal_id: details.signal_id,
                outcome: command.outcome,
                recorded_on: command.recorded_on,
            },
            by: Some(command.by.organisation),
            via_link: command.by.via_link,
        })])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use time::macros::{date, datetime};

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }

    fn org(name: &str) -> OrganisationId {
        OrganisationId::parse(name).unwrap()
    }

    fn leergeld() -> Referral {
        Referral::Partner {
            partner: org("leergeld"),
        }
    }

    fn signalled(referral: Referral) -> ChildSignalled {
        ChildSignalled {
            signal_id: Uuid::from_u128(1),
            signaller: org("wijkteam-centrum"),
            child: ChildRef(Uuid::from_u128(2)),
            household: None,
            referral,
            signalled_on: date!(2026 - 09 - 01),
            due_on: Some(date!(2026 - 09 - 08)),
            wijk: None,
            provision_type: None,
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

    fn child_signalled(referral: Referral) -> SignalEvent {
        SignalEvent::ChildSignalled {
            gemeente: gemeente(),
            event: signalled(referral),
            why: Some(why()),
            provision_type: Some(ProvisionType::Participation),
            wijk: None,
        }
    }

    fn signal_child() -> SignalCommand {
        let event = signalled(leergeld());
        SignalCommand::SignalChild(SignalChild {
            gemeente: gemeente(),
            signal_id: event.signal_id,
            signaller: event.signaller,
            child: event.child,
            household: None,
            why: why(),
            provision_type: Some(ProvisionType::Participation),
            wijk: None,
            referral: event.referral,
            due_on: event.due_on,
            signalled_on: event.signalled_on,
        })
    }

    fn acting(organisation: &str, as_loket: bool) -> Acting {
        Acting {
            gemeente: gemeente(),
            organisation: org(organisation),
            as_loket,
            via_link: None,
        }
    }

    fn link(id: u128) -> Option<LinkUse> {
        Some(LinkUse {
            link_id: Uuid::from_u128(id),
            at: datetime!(2026-09-02 10:00 UTC),
        })
    }

    fn accepted(by: &str, via_link: Option<LinkUse>) -> SignalEvent {
        SignalEvent::ReferralAccepted {
            signal_id: Uuid::from_u128(1),
            by: org(by),
            accepted_on: date!(2026 - 09 - 02),
            via_link,
        }
    }

    fn accept(by: Acting) -> SignalCommand {
        SignalCommand::Accept(Accept {
            by,
            on: date!(2026 - 09 - 02),
        })
    }

    fn outcome(by: Acting, outcome: SignalOutcome) -> SignalCommand {
        SignalCommand::RecordOutcome(RecordOutcome {
            by,
            outcome,
            recorded_on: date!(2026 - 09 - 03),
        })
    }

    fn outcome_recorded(
        by: &str,
        outcome: SignalOutcome,
        via_link: Option<LinkUse>,
    ) -> SignalEvent {
        SignalEvent::OutcomeRecorded(StoredOutcome {
            event: SignalOutcomeRecorded {
                signal_id: Uuid::from_u128(1),
                outcome,
                recorded_on: date!(2026 - 09 - 03),
            },
            by: Some(org(by)),
            via_link,
        })
    }

    #[tokio::test]
    async fn a_child_can_be_signalled_once() {
        TestFramework::<Signal>::with(())
            .given_no_previous_events()
            .when_async(signal_child())
            .await
            .then_expect_events(vec![child_signalled(leergeld())]);
        TestFramework::<Signal>::with(())
            .given(vec![child_signalled(leergeld())])
            .when_async(signal_child())
            .await
            .then_expect_error(SignalError::AlreadyExists);
    }

    #[tokio::test]
    async fn only_the_partner_it_is_referred_to_accepts_and_accepting_again_changes_nothing() {
        let given = || TestFramework::<Signal>::with(()).given(vec![child_signalled(leergeld())]);
        given()
            .when_async(accept(acting("jeugdfonds", false)))
            .await
            .then_expect_error(SignalError::NotAddressee);
        given()
            .when_async(accept(acting("gemeente-den-haag", true)))
            .await
            .then_expect_error(SignalError::NotAddressee);
        given()
            .when_async(accept(acting("leergeld", false)))
            .await
            .then_expect_events(vec![accepted("leergeld", None)]);
        TestFramework::<Signal>::with(())
            .given(vec![
                child_signalled(leergeld()),
                accepted("leergeld", None),
            ])
            .when_async(accept(acting("leergeld", false)))
            .await
            .then_expect_events(vec![]);
    }

    #[tokio::test]
    async fn a_signal_at_the_loket_is_the_regievoerders_and_is_not_handed_back() {
        let given =
            || TestFramework::<Signal>::with(()).given(vec![child_signalled(Referral::Loket)]);
        given()
            .when_async(accept(acting("leergeld", false)))
            .await
            .then_expect_error(SignalError::NotAddressee);
        given()
            .when_async(SignalCommand::HandBack(HandBack {
                by: acting("gemeente-den-haag", true),
                on: date!(2026 - 09 - 02),
                reason: None,
            }))
            .await
            .then_expect_error(SignalError::LoketHandsNothingBack);
        given()
            .when_async(outcome(
                acting("gemeente-den-haag", true),
                SignalOutcome::Contacted,
            ))
            .await
            .then_expect_events(vec![outcome_recorded(
                "gemeente-den-haag",
                SignalOutcome::Contacted,
                None,
            )]);
    }

    #[tokio::test]
    async fn the_outcome_is_the_accepting_partners_and_a_handed_back_signal_waits_for_the_regie() {
        TestFramework::<Signal>::with(())
            .given(vec![child_signalled(leergeld())])
            .when_async(outcome(acting("leergeld", false), SignalOutcome::Contacted))
            .await
            .then_expect_error(SignalError::NotAcceptedByCaller);
        TestFramework::<Signal>::with(())
            .given(vec![
                child_signalled(leergeld()),
                accepted("leergeld", None),
            ])
            .when_async(outcome(
                acting("wijkteam-centrum", false),
                SignalOutcome::Contacted,
            ))
            .await
            .then_expect_error(SignalError::NotAddressee);
        TestFramework::<Signal>::with(())
            .given(vec![
                child_signalled(leergeld()),
                accepted("leergeld", None),
            ])
            .when_async(outcome(acting("leergeld", false), SignalOutcome::Declined))
            .await
            .then_expect_events(vec![outcome_recorded(
                "leergeld",
                SignalOutcome::Declined,
                None,
            )]);
        let handed_back = SignalEvent::ReferralHandedBack {
            signal_id: Uuid::from_u128(1),
            by: org("leergeld"),
            handed_back_on: date!(2026 - 09 - 02),
            reason: None,
            via_link: None,
        };
        TestFramework::<Signal>::with(())
            .given(vec![child_signalled(leergeld()), handed_back.clone()])
            .when_async(accept(acting("leergeld", false)))
            .await
            .then_expect_error(SignalError::HandedBack);
        TestFramework::<Signal>::with(())
            .given(vec![child_signalled(leergeld()), handed_back])
            .when_async(SignalCommand::Reroute(Reroute {
                gemeente: gemeente(),
                to: Referral::Loket,
                due_on: Some(date!(2026 - 09 - 09)),
                on: date!(2026 - 09 - 02),
            }))
            .await
            .then_expect_events(vec![SignalEvent::Rerouted(SignalReferred {
                signal_id: Uuid::from_u128(1),
                referral: Referral::Loket,
                due_on: Some(date!(2026 - 09 - 09)),
                referred_on: date!(2026 - 09 - 02),
            })]);
    }

    #[tokio::test]
    async fn a_one_time_link_answers_once() {
        let by_link = |id| Acting {
            via_link: link(id),
            ..acting("leergeld", false)
        };
        // Through a link the partner reaches the family without accepting first.
        TestFramework::<Signal>::with(())
            .given(vec![child_signalled(leergeld())])
            .when_async(outcome(by_link(7), SignalOutcome::Contacted))
            .await
            .then_expect_events(vec![outcome_recorded(
                "leergeld",
                SignalOutcome::Contacted,
                link(7),
            )]);
        // The link is spent once an event names it, whatever was answered.
        TestFramework::<Signal>::with(())
            .given(vec![
                child_signalled(leergeld()),
                accepted("leergeld", link(7)),
            ])
            .when_async(SignalCommand::HandBack(HandBack {
                by: by_link(7),
                on: date!(2026 - 09 - 02),
                reason: None,
            }))
            .await
            .then_expect_error(SignalError::LinkUsed);
        // Another partner's answer through a link to the signal is refused as for any other.
        TestFramework::<Signal>::with(())
            .given(vec![child_signalled(leergeld())])
            .when_async(accept(Acting {
                via_link: link(8),
                ..acting("jeugdfonds", false)
            }))
            .await
            .then_expect_error(SignalError::NotAddressee);
    }

    #[tokio::test]
    async fn a_closed_signal_is_not_rerouted_and_outcomes_need_a_signal_in_the_gemeente() {
        TestFramework::<Signal>::with(())
            .given(vec![
                child_signalled(Referral::Loket),
                outcome_recorded("gemeente-den-haag", SignalOutcome::Contacted, None),
            ])
            .when_async(SignalCommand::Reroute(Reroute {
                gemeente: gemeente(),
                to: leergeld(),
                due_on: None,
                on: date!(2026 - 09 - 04),
            }))
            .await
            .then_expect_error(SignalError::Closed);
        TestFramework::<Signal>::with(())
            .given_no_previous_events()
            .when_async(outcome(
                acting("gemeente-den-haag", true),
                SignalOutcome::Contacted,
            ))
            .await
            .then_expect_error(SignalError::NotFound);
        TestFramework::<Signal>::with(())
            .given(vec![child_signalled(Referral::Loket)])
            .when_async(outcome(
                Acting {
                    gemeente: GemeenteCode::parse("GM0363").unwrap(),
                    ..acting("gemeente-den-haag", true)
                },
                SignalOutcome::Contacted,
            ))
            .await
            .then_expect_error(SignalError::NotFound);
    }

    #[tokio::test]
    async fn the_same_outcome_twice_is_recorded_once() {
        TestFramework::<Signal>::with(())
            .given(vec![
                child_signalled(Referral::Loket),
                outcome_recorded("gemeente-den-haag", SignalOutcome::Contacted, None),
            ])
            .when_async(outcome(
                acting("gemeente-den-haag", true),
                SignalOutcome::Contacted,
            ))
            .await
            .then_expect_events(vec![]);
    }

    #[test]
    fn an_outcome_stored_before_routing_still_reads() {
        let stored = serde_json::json!({"OutcomeRecorded": {
            "signal_id": Uuid::from_u128(1), "outcome": "contacted", "recorded_on": "2026-09-02"
        }});
        let event: SignalEvent = serde_json::from_value(stored).unwrap();
        let SignalEvent::OutcomeRecorded(outcome) = event else {
            panic!("an outcome")
        };
        assert_eq!(outcome.by, None);
        assert_eq!(outcome.event.outcome, SignalOutcome::Contacted);
    }
}
