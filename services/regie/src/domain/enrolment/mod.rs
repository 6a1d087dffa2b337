//! A partner's enrolment in one gemeente's Kindpakket: the provisions it acts for, in which roles,
//! and within which mandate when it may decide.

mod commands;
mod error;
mod events;

pub use commands::{End, Enrol, EnrolmentCommand};
pub use error::EnrolmentError;
pub use events::EnrolmentEvent;

use std::fmt;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::regie::{PartnerEnrolled, PartnerEnrolmentEnded, PartnerRole};
use kindpakket_proto::{GemeenteCode, OrganisationId};
use serde::{Deserialize, Serialize};
use time::Date;

/// The aggregate id of a partner's enrolment in a gemeente: `GM0518:leergeld-den-haag`. One
/// enrolment per partner and gemeente, ended and enrolled again under the same id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentId<'a> {
    pub gemeente: &'a GemeenteCode,
    pub partner: &'a OrganisationId,
}

impl fmt::Display for EnrolmentId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.gemeente, self.partner)
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Enrolment {
    pub gemeente: Option<GemeenteCode>,
    pub enrolled: Option<PartnerEnrolled>,
    pub ended_on: Option<Date>,
}

impl Aggregate for Enrolment {
    const TYPE: &'static str = "enrolment";
    type Command = EnrolmentCommand;
    type Event = EnrolmentEvent;
    type Error = EnrolmentError;
    type Services = ();

    async fn handle(
        &mut self,
        command: EnrolmentCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), EnrolmentError> {
        let events = match command {
            EnrolmentCommand::Enrol(command) => self.enrol(command)?,
            EnrolmentCommand::End(command) => self.end(command)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: EnrolmentEvent) {
        match event {
            EnrolmentEvent::Enrolled {
                gemeente,
                enrolment,
            } => {
                self.gemeente = Some(gemeente);
                self.enrolled = Some(enrolment);
                self.ended_on = None;
            }
            EnrolmentEvent::Ended(ended) => self.ended_on = Some(ended.ended_on),
        }
    }
}

impl Tenanted for Enrolment {
    const NOT_FOUND: &'static str = "Deze partner is niet ingeschreven in deze gemeente.";

    fn gemeente(&self) -> Option<&GemeenteCode> {
        self.gemeente.as_ref()
    }
}

impl Enrolment {
    fn enrol(&self, command: Enrol) -> Result<Vec<EnrolmentEvent>, EnrolmentError> {
        let Enrol {
            gemeente,
            enrolment,
        } = command;
        if self.enrolled.is_some() && self.ended_on.is_none() {
            return Err(EnrolmentError::AlreadyEnrolled);
        }
        // A wijkteam or school signals children, not provisions: only signalling needs none.
        let acts_for_provisions = enrolment
            .roles
            .iter()
            .any(|role| *role != PartnerRole::Signal);
        if enrolment.roles.is_empty() || (acts_for_provisions && enrolment.provisions.is_empty()) {
            return Err(EnrolmentError::NothingToDo);
        }
        if enrolment.name.trim().is_empty() {
            return Err(EnrolmentError::MissingName);
        }
        check_mandate(&enrolment)?;
        Ok(vec![EnrolmentEvent::Enrolled {
            gemeente,
            enrolment,
        }])
    }

    fn end(&self, command: End) -> Result<Vec<EnrolmentEvent>, EnrolmentError> {
        let enrolled = self.enrolled.as_ref().ok_or(EnrolmentError::NotEnrolled)?;
        if self.ended_on.is_some() {
            return Err(EnrolmentError::AlreadyEnded);
        }
        if command.ended_on < enrolled.enrolled_on {
            return Err(EnrolmentError::EndsBeforeEnrolment);
        }
        Ok(vec![EnrolmentEvent::Ended(PartnerEnrolmentEnded {
            partner: enrolled.partner.clone(),
            ended_on: command.ended_on,
        })])
    }
}

/// A partner that may decide has a mandate, and only such a partner: for some of its own
/// provisions, up to an amount above zero.
fn check_mandate(enrolment: &PartnerEnrolled) -> Result<(), EnrolmentError> {
    let may_decide = enrolment.roles.contains(&PartnerRole::Decide);
    match &enrolment.mandate {
        None if may_decide => Err(EnrolmentError::MandateWithoutDecideRole),
        Some(_) if !may_decide => Err(EnrolmentError::MandateWithoutDecideRole),
        Some(mandate)
            if !mandate.max_amount_cents.is_positive()
                || mandate.provisions.is_empty()
                || !mandate
                    .provisions
                    .iter()
                    .all(|code| enrolment.provisions.contains(code)) =>
        {
            Err(EnrolmentError::InvalidMandate)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use kindpakket_proto::regie::Mandate;
    use kindpakket_proto::{Cents, ProvisionCode};
    use time::macros::date;

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }

    fn enrolled() -> PartnerEnrolled {
        PartnerEnrolled {
            partner: OrganisationId::parse("leergeld-den-haag").unwrap(),
            name: "Stichting Leergeld Den Haag".to_owned(),
            provisions: vec![ProvisionCode::parse("fiets-brugklas").unwrap()],
            roles: vec![PartnerRole::Deliver],
            enrolled_on: date!(2026 - 01 - 01),
            mandate: None,
        }
    }

    fn enrol(enrolment: PartnerEnrolled) -> EnrolmentCommand {
        EnrolmentCommand::Enrol(Enrol {
            gemeente: gemeente(),
            enrolment,
        })
    }

    fn end(ended_on: Date) -> EnrolmentCommand {
        EnrolmentCommand::End(End { ended_on })
    }

    #[test]
    fn the_id_names_the_gemeente_and_the_partner() {
        let partner = enrolled().partner;
        let id = EnrolmentId {
            gemeente: &gemeente(),
            partner: &partner,
        };
        assert_eq!(id.to_string(), "GM0518:leergeld-den-haag");
    }

    #[tokio::test]
    async fn deciding_needs_a_mandate_within_the_enrolled_provisions() {
        let without_mandate = PartnerEnrolled {
            roles: vec![PartnerRole::Decide],
            ..enrolled()
        };
        TestFramework::<Enrolment>::with(())
            .given_no_previous_events()
            .when_async(enrol(without_mandate.clone()))
            .await
            .then_expect_error(EnrolmentError::MandateWithoutDecideRole);
        let too_wide = PartnerEnrolled {
            mandate: Some(Mandate {
                provisions: vec![ProvisionCode::parse("sportcontributie").unwrap()],
                max_amount_cents: Cents(10_000),
                custom_decisions: false,
            }),
            ..without_mandate
        };
        TestFramework::<Enrolment>::with(())
            .given_no_previous_events()
            .when_async(enrol(too_wide))
            .await
            .then_expect_error(EnrolmentError::InvalidMandate);
    }

    #[tokio::test]
    async fn only_a_partner_that_just_signals_may_be_enrolled_without_provisions() {
        let signaller = PartnerEnrolled {
            partner: OrganisationId::parse("wijkteam-centrum").unwrap(),
            name: "Wijkteam Centrum".to_owned(),
            provisions: vec![],
            roles: vec![PartnerRole::Signal],
            ..enrolled()
        };
        TestFramework::<Enrolment>::with(())
            .given_no_previous_events()
            .when_async(enrol(signaller.clone()))
            .await
            .then_expect_events(vec![EnrolmentEvent::Enrolled {
                gemeente: gemeente(),
                enrolment: signaller.clone(),
            }]);
        TestFramework::<Enrolment>::with(())
            .given_no_previous_events()
            .when_async(enrol(PartnerEnrolled {
                roles: vec![PartnerRole::Signal, PartnerRole::Deliver],
                ..signaller.clone()
            }))
            .await
            .then_expect_error(EnrolmentError::NothingToDo);
        TestFramework::<Enrolment>::with(())
            .given_no_previous_events()
            .when_async(enrol(PartnerEnrolled {
                roles: vec![],
                ..enrolled()
            }))
            .await
            .then_expect_error(EnrolmentError::NothingToDo);
    }

    #[tokio::test]
    async fn a_partner_is_enrolled_once_until_its_enrolment_ends() {
        TestFramework::<Enrolment>::with(())
            .given(vec![EnrolmentEvent::Enrolled {
                gemeente: gemeente(),
                enrolment: enrolled(),
            }])
            .when_async(enrol(enrolled()))
            .await
            .then_expect_error(EnrolmentError::AlreadyEnrolled);
    }

    #[tokio::test]
    async fn an_enrolment_ends_once() {
        let ended = PartnerEnrolmentEnded {
            partner: enrolled().partner,
            ended_on: date!(2026 - 06 - 30),
        };
        TestFramework::<Enrolment>::with(())
            .given(vec![EnrolmentEvent::Enrolled {
                gemeente: gemeente(),
                enrolment: enrolled(),
            }])
            .when_async(end(date!(2026 - 06 - 30)))
            .await
            .then_expect_events(vec![EnrolmentEvent::Ended(ended.clone())]);
        TestFramework::<Enrolment>::with(())
            .given(vec![
                EnrolmentEvent::Enrolled {
                    gemeente: gemeente(),
                    enrolment: enrolled(),
                },
                EnrolmentEvent::Ended(ended),
            ])
            .when_async(end(date!(2026 - 07 - 30)))
            .await
            .then_expect_error(EnrolmentError::AlreadyEnded);
    }

    #[tokio::test]
    async fn only_an_enrolled_partner_is_ended_and_not_before_it_was_enrolled() {
        TestFramework::<Enrolment>::with(())
            .given_no_previous_events()
            .when_async(end(date!(2026 - 06 - 30)))
            .await
            .then_expect_error(EnrolmentError::NotEnrolled);
        TestFramework::<Enrolment>::with(())
            .given(vec![EnrolmentEvent::Enrolled {
                gemeente: gemeente(),
                enrolment: enrolled(),
            }])
            .when_async(end(date!(2025 - 12 - 31)))
            .await
            .then_expect_error(EnrolmentError::EndsBeforeEnrolment);
    }
}
