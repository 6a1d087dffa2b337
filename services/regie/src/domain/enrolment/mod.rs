//! A partner's enrolment in one gemeente's Kindpakket: the provisions it acts for and in which roles.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use kindpakket_platform::http::{Rejection, RejectionKind};
use kindpakket_proto::regie::{PartnerEnrolled, PartnerEnrolmentEnded, PartnerRole};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};
use time::Date;

/// The aggregate id of a partner's enrolment in a gemeente.
pub fn enrolment_id(gemeente: &GemeenteCode, partner: &kindpakket_proto::OrganisationId) -> String {
    format!("{gemeente}:{partner}")
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Enrolment {
    pub gemeente: Option<GemeenteCode>,
    pub enrolled: Option<PartnerEnrolled>,
    pub ended_on: Option<Date>,
}

#[derive(Debug, Clone)]
pub enum EnrolmentCommand {
    Enrol {
        gemeente: GemeenteCode,
        enrolment: PartnerEnrolled,
    },
    End {
        ended_on: Date,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EnrolmentEvent {
    Enrolled {
        gemeente: GemeenteCode,
        enrolment: PartnerEnrolled,
    },
    Ended(PartnerEnrolmentEnded),
}

impl DomainEvent for EnrolmentEvent {
    fn event_type(&self) -> String {
        match self {
            EnrolmentEvent::Enrolled { .. } => "Enrolled",
            EnrolmentEvent::Ended(_) => "Ended",
        }
        .to_owned()
    }
    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrolmentError {
    #[error("Deze partner is al ingeschreven in deze gemeente.")]
    AlreadyEnrolled,
    #[error("Deze partner is niet ingeschreven in deze gemeente.")]
    NotEnrolled,
    #[error("De inschrijving van deze partner is al beëindigd.")]
    AlreadyEnded,
    #[error("Geef ten minste één voorziening en één rol op.")]
    NothingToDo,
    #[error("De naam van de partner ontbreekt.")]
    MissingName,
    #[error("De einddatum ligt vóór de datum van inschrijving.")]
    EndsBeforeEnrolment,
    #[error("Een partner die mag besluiten heeft een mandaat nodig, en een mandaat hoort bij de rol 'besluiten'.")]
    MandateWithoutDecideRole,
    #[error("Het mandaat mag alleen voorzieningen noemen waarvoor de partner is ingeschreven, en een maximumbedrag boven 0 cent.")]
    InvalidMandate,
}

impl Rejection for EnrolmentError {
    fn kind(&self) -> RejectionKind {
        match self {
            EnrolmentError::AlreadyEnrolled | EnrolmentError::AlreadyEnded => {
                RejectionKind::Conflict
            }
            EnrolmentError::NotEnrolled => RejectionKind::NotFound,
            _ => RejectionKind::Invalid,
        }
    }
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
        match command {
            EnrolmentCommand::Enrol {
                gemeente,
                enrolment,
            } => {
                if self.enrolled.is_some() && self.ended_on.is_none() {
                    return Err(EnrolmentError::AlreadyEnrolled);
                }
                if enrolment.provisions.is_empty() || enrolment.roles.is_empty() {
                    return Err(EnrolmentError::NothingToDo);
                }
                if enrolment.name.trim().is_empty() {
                    return Err(EnrolmentError::MissingName);
                }
                let may_decide = enrolment.roles.contains(&PartnerRole::Decide);
                match &enrolment.mandate {
                    None if may_decide => return Err(EnrolmentError::MandateWithoutDecideRole),
                    Some(_) if !may_decide => return Err(EnrolmentError::MandateWithoutDecideRole),
                    Some(mandate)
                        if mandate.max_amount_cents <= 0
                            || mandate.provisions.is_empty()
                            || !mandate
                                .provisions
                                .iter()
                                .all(|code| enrolment.provisions.contains(code)) =>
                    {
                        return Err(EnrolmentError::InvalidMandate)
                    }
                    _ => {}
                }
                sink.write(
                    EnrolmentEvent::Enrolled {
                        gemeente,
                        enrolment,
                    },
                    self,
                )
                .await;
                Ok(())
            }
            EnrolmentCommand::End { ended_on } => {
                let enrolled = self.enrolled.as_ref().ok_or(EnrolmentError::NotEnrolled)?;
                if self.ended_on.is_some() {
                    return Err(EnrolmentError::AlreadyEnded);
                }
                if ended_on < enrolled.enrolled_on {
                    return Err(EnrolmentError::EndsBeforeEnrolment);
                }
                let event = PartnerEnrolmentEnded {
                    partner: enrolled.partner.clone(),
                    ended_on,
                };
                sink.write(EnrolmentEvent::Ended(event), self).await;
                Ok(())
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use kindpakket_proto::{OrganisationId, ProvisionCode};
    use time::macros::date;

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

    #[tokio::test]
    async fn deciding_needs_a_mandate_within_the_enrolled_provisions() {
        let without_mandate = PartnerEnrolled {
            roles: vec![PartnerRole::Decide],
            ..enrolled()
        };
        TestFramework::<Enrolment>::with(())
            .given_no_previous_events()
            .when_async(EnrolmentCommand::Enrol {
                gemeente: gemeente(),
                enrolment: without_mandate.clone(),
            })
            .await
            .then_expect_error(EnrolmentError::MandateWithoutDecideRole);
        let too_wide = PartnerEnrolled {
            mandate: Some(kindpakket_proto::regie::Mandate {
                provisions: vec![ProvisionCode::parse("sportcontributie").unwrap()],
                max_amount_cents: 10_000,
                custom_decisions: false,
            }),
            ..without_mandate
        };
        TestFramework::<Enrolment>::with(())
            .given_no_previous_events()
            .when_async(EnrolmentCommand::Enrol {
                gemeente: gemeente(),
                enrolment: too_wide,
            })
            .await
            .then_expect_error(EnrolmentError::InvalidMandate);
    }

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }

    #[tokio::test]
    async fn a_partner_is_enrolled_once_until_its_enrolment_ends() {
        TestFramework::<Enrolment>::with(())
            .given(vec![EnrolmentEvent::Enrolled {
                gemeente: gemeente(),
                enrolment: enrolled(),
            }])
            .when_async(EnrolmentCommand::Enrol {
                gemeente: gemeente(),
                enrolment: enrolled(),
            })
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
            .when_async(EnrolmentCommand::End {
                ended_on: date!(2026 - 06 - 30),
            })
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
            .when_async(EnrolmentCommand::End {
                ended_on: date!(2026 - 07 - 30),
            })
            .await
            .then_expect_error(EnrolmentError::AlreadyEnded);
    }
}
