//! A partner's enrolment in one gemeente's Kindpakket: the provisions it acts for, in which roles,
//! and within which mandate when it may decide.

mod commands;
mod error;
mod events;

pub use commands::{AgreeDiscount, End, EndDiscount, Enrol, EnrolmentCommand};
pub use error::EnrolmentError;
pub use events::EnrolmentEvent;

use std::collections::BTreeMap;
use std::fmt;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::regie::{
    DiscountAgreed, DiscountEnded, PartnerEnrolled, PartnerEnrolmentEnded, PartnerRole,
};
use kindpakket_proto::{GemeenteCode, OrganisationId, ProvisionCode};
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
    /// The standing discounts agreed with the partner, by provision (none once the enrolment ends).
    #[serde(default)]
    pub discounts: BTreeMap<ProvisionCode, DiscountAgreed>,
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
            EnrolmentCommand::AgreeDiscount(command) => self.agree_discount(command)?,
            EnrolmentCommand::EndDiscount(command) => self.end_discount(command)?,
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
                self.discounts.clear();
            }
            EnrolmentEvent::Ended(ended) => self.ended_on = Some(ended.ended_on),
            EnrolmentEvent::DiscountAgreed(agreed) => {
                self.discounts.insert(agreed.provision.clone(), agreed);
            }
            EnrolmentEvent::DiscountEnded(ended) => {
                self.discounts.remove(&ended.provision);
            }
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
        // Its standing discounts end with it: a provider no longer enrolled gives none.
        let discounts_ended = self.discounts.keys().map(|provision| {
            EnrolmentEvent::DiscountEnded(DiscountEnded {
                partner: enrolled.partner.clone(),
                provision: provision.clone(),
                ended_on: command.ended_on,
            })
        });
        Ok(
            std::iter::once(EnrolmentEvent::Ended(PartnerEnrolmentEnded {
                partner: enrolled.partner.clone(),
                ended_on: command.ended_on,
            }))
            .chain(discounts_ended)
            .collect(),
        )
    }

    /// A standing discount with an active enrolment that delivers the provision, for a provision of
    /// the form `discount`; the same terms again change nothing, other terms replace the agreement.
    fn agree_discount(
        &self,
        command: AgreeDiscount,
    ) -> Result<Vec<EnrolmentEvent>, EnrolmentError> {
        let enrolled = self.active().ok_or(EnrolmentError::NotEnrolled)?;
        if !(1..=100).contains(&command.percent) {
            return Err(EnrolmentError::InvalidPercentage);
        }
        if command
            .max_per_purchase_cents
            .is_some_and(|max| !max.is_positive())
        {
            return Err(EnrolmentError::InvalidMaximum);
        }
        let delivers = enrolled.roles.contains(&PartnerRole::Deliver)
            && enrolled.provisions.contains(&command.provision);
        if !delivers {
            return Err(EnrolmentError::DiscountNotDelivered);
        }
        if command.provision_is_discount != Some(true) {
            return Err(EnrolmentError::NotADiscountProvision);
        }
        let percent =
            u8::try_from(command.percent).map_err(|_| EnrolmentError::InvalidPercentage)?;
        let earlier = self.discounts.get(&command.provision);
        let same = earlier.is_some_and(|earlier| {
            earlier.percent == percent
                && earlier.max_per_purchase_cents == command.max_per_purchase_cents
        });
        if same {
            return Ok(vec![]);
        }
        Ok(vec![EnrolmentEvent::DiscountAgreed(DiscountAgreed {
            partner: enrolled.partner.clone(),
            provision: command.provision,
            percent,
            max_per_purchase_cents: command.max_per_purchase_cents,
            agreed_on: command.agreed_on,
        })])
    }

    fn end_discount(&self, command: EndDiscount) -> Result<Vec<EnrolmentEvent>, EnrolmentError> {
        let enrolled = self.enrolled.as_ref().ok_or(EnrolmentError::NotEnrolled)?;
        if !self.discounts.contains_key(&command.provision) {
            return Err(EnrolmentError::NoDiscount);
        }
        Ok(vec![EnrolmentEvent::DiscountEnded(DiscountEnded {
            partner: enrolled.partner.clone(),
            provision: command.provision,
            ended_on: command.ended_on,
        })])
    }

    /// The enrolment, while it has not ended.
    fn active(&self) -> Option<&PartnerEnrolled> {
        self.enrolled.as_ref().filter(|_| self.ended_on.is_none())
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

    fn agree(provision: &str, percent: i64, is_discount: Option<bool>) -> EnrolmentCommand {
        EnrolmentCommand::AgreeDiscount(AgreeDiscount {
            provision: ProvisionCode::parse(provision).unwrap(),
            percent,
            max_per_purchase_cents: Some(Cents(3_000)),
            provision_is_discount: is_discount,
            agreed_on: date!(2026 - 02 - 01),
        })
    }

    #[tokio::test]
    async fn a_discount_is_agreed_for_a_delivered_discount_provision_from_1_to_100_percent() {
        let given = || {
            vec![EnrolmentEvent::Enrolled {
                gemeente: gemeente(),
                enrolment: enrolled(),
            }]
        };
        for (command, error) in [
            (
                agree("fiets-brugklas", 0, Some(true)),
                EnrolmentError::InvalidPercentage,
            ),
            (
                agree("fiets-brugklas", 101, Some(true)),
                EnrolmentError::InvalidPercentage,
            ),
            (
                agree("sportkorting", 50, Some(true)),
                EnrolmentError::DiscountNotDelivered,
            ),
            (
                agree("fiets-brugklas", 50, Some(false)),
                EnrolmentError::NotADiscountProvision,
            ),
            (
                agree("fiets-brugklas", 50, None),
                EnrolmentError::NotADiscountProvision,
            ),
        ] {
            TestFramework::<Enrolment>::with(())
                .given(given())
                .when_async(command)
                .await
                .then_expect_error(error);
        }
        let agreed = DiscountAgreed {
            partner: enrolled().partner,
            provision: ProvisionCode::parse("fiets-brugklas").unwrap(),
            percent: 100,
            max_per_purchase_cents: Some(Cents(3_000)),
            agreed_on: date!(2026 - 02 - 01),
        };
        TestFramework::<Enrolment>::with(())
            .given(given())
            .when_async(agree("fiets-brugklas", 100, Some(true)))
            .await
            .then_expect_events(vec![EnrolmentEvent::DiscountAgreed(agreed.clone())]);
        let mut with_discount = given();
        with_discount.push(EnrolmentEvent::DiscountAgreed(agreed.clone()));
        TestFramework::<Enrolment>::with(())
            .given(with_discount.clone())
            .when_async(agree("fiets-brugklas", 100, Some(true)))
            .await
            .then_expect_events(vec![]);
        // Ending the enrolment ends its discounts.
        TestFramework::<Enrolment>::with(())
            .given(with_discount)
            .when_async(end(date!(2026 - 06 - 30)))
            .await
            .then_expect_events(vec![
                EnrolmentEvent::Ended(PartnerEnrolmentEnded {
                    partner: enrolled().partner,
                    ended_on: date!(2026 - 06 - 30),
                }),
                EnrolmentEvent::DiscountEnded(DiscountEnded {
                    partner: enrolled().partner,
                    provision: agreed.provision,
                    ended_on: date!(2026 - 06 - 30),
                }),
            ]);
    }
}
