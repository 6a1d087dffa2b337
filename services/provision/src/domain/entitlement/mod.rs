//! An entitlement: one child's right to one provision, and what was delivered against it.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use kindpakket_platform::http::{Rejection, RejectionKind};
use kindpakket_proto::provision::{DeliveryRecorded, EntitlementOpened};
use kindpakket_proto::regie::DeliveryForm;
use kindpakket_proto::{GemeenteCode, OrganisationId};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Entitlement {
    pub gemeente: Option<GemeenteCode>,
    pub opened: Option<EntitlementOpened>,
    pub spent_cents: i64,
    pub deliveries: Vec<DeliveryRecorded>,
}

#[derive(Debug, Clone)]
pub enum EntitlementCommand {
    /// Opens the entitlement; opening it again with the same terms changes nothing (a redelivered
    /// grant must not fail).
    Open {
        gemeente: GemeenteCode,
        opened: EntitlementOpened,
    },
    RecordDelivery {
        gemeente: GemeenteCode,
        delivery_id: Uuid,
        partner: OrganisationId,
        form: DeliveryForm,
        amount_cents: i64,
        delivered_on: Date,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EntitlementEvent {
    Opened {
        gemeente: GemeenteCode,
        opened: EntitlementOpened,
    },
    Delivered(DeliveryRecorded),
}

impl DomainEvent for EntitlementEvent {
    fn event_type(&self) -> String {
        match self {
            EntitlementEvent::Opened { .. } => "Opened",
            EntitlementEvent::Delivered(_) => "Delivered",
        }
        .to_owned()
    }
    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntitlementError {
    #[error("Dit recht bestaat niet in deze gemeente.")]
    NotFound,
    #[error("Dit recht is al geopend met andere voorwaarden.")]
    OpenedDifferently,
    #[error("Het bedrag moet groter zijn dan 0 cent.")]
    InvalidAmount,
    #[error("Het bedrag is hoger dan wat er op dit recht over is ({remaining_cents} cent). Er is niets afgeboekt.")]
    Overspent { remaining_cents: i64 },
    #[error("De datum van verstrekking valt buiten de geldigheid van het recht ({valid_from} tot en met {valid_until}).")]
    OutsidePeriod { valid_from: Date, valid_until: Date },
    #[error("Deze verstrekking is al vastgelegd met andere gegevens.")]
    DeliveryIdReused,
}

impl Rejection for EntitlementError {
    fn kind(&self) -> RejectionKind {
        match self {
            EntitlementError::NotFound => RejectionKind::NotFound,
            EntitlementError::OpenedDifferently
            | EntitlementError::Overspent { .. }
            | EntitlementError::DeliveryIdReused => RejectionKind::Conflict,
            _ => RejectionKind::Invalid,
        }
    }
}

impl Entitlement {
    pub fn remaining_cents(&self) -> i64 {
        self.opened
            .as_ref()
            .map_or(0, |opened| opened.amount_cents - self.spent_cents)
    }

    pub fn in_gemeente(&self, gemeente: &GemeenteCode) -> Option<&EntitlementOpened> {
        match (&self.gemeente, &self.opened) {
            (Some(own), Some(opened)) if own == gemeente => Some(opened),
            _ => None,
        }
    }
}

impl Aggregate for Entitlement {
    const TYPE: &'static str = "entitlement";
    type Command = EntitlementCommand;
    type Event = EntitlementEvent;
    type Error = EntitlementError;
    type Services = ();

    async fn handle(
        &mut self,
        command: EntitlementCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), EntitlementError> {
        match command {
            EntitlementCommand::Open { gemeente, opened } => {
                if let Some(existing) = &self.opened {
                    return if *existing == opened && self.gemeente.as_ref() == Some(&gemeente) {
                        Ok(())
                    } else {
                        Err(EntitlementError::OpenedDifferently)
                    };
                }
                if opened.amount_cents <= 0 {
                    return Err(EntitlementError::InvalidAmount);
                }
                sink.write(EntitlementEvent::Opened { gemeente, opened }, self)
                    .await;
            }
            EntitlementCommand::RecordDelivery {
                gemeente,
                delivery_id,
                partner,
                form,
                amount_cents,
                delivered_on,
            } => {
                let opened = self
                    .in_gemeente(&gemeente)
                    .ok_or(EntitlementError::NotFound)?
                    .clone();
                if let Some(existing) = self
                    .deliveries
                    .iter()
                    .find(|d| d.delivery_id == delivery_id)
                {
                    // A retried request with the same delivery id is recorded once.
                    let same = existing.partner == partner
                        && existing.amount_cents == amount_cents
                        && existing.form == form;
                    return if same {
                        Ok(())
                    } else {
                        Err(EntitlementError::DeliveryIdReused)
                    };
                }
                if amount_cents <= 0 {
                    return Err(EntitlementError::InvalidAmount);
                }
                if delivered_on < opened.valid_from || delivered_on > opened.valid_until {
                    return Err(EntitlementError::OutsidePeriod {
                        valid_from: opened.valid_from,
                        valid_until: opened.valid_until,
                    });
                }
                let remaining_cents = self.remaining_cents();
                if amount_cents > remaining_cents {
                    return Err(EntitlementError::Overspent { remaining_cents });
                }
                let event = DeliveryRecorded {
                    entitlement_id: opened.entitlement_id,
                    delivery_id,
                    child: opened.child,
                    provision: opened.provision.clone(),
                    partner,
                    form,
                    amount_cents,
                    remaining_cents: remaining_cents - amount_cents,
                    delivered_on,
                };
                sink.write(EntitlementEvent::Delivered(event), self).await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: EntitlementEvent) {
        match event {
            EntitlementEvent::Opened { gemeente, opened } => {
                self.gemeente = Some(gemeente);
                self.opened = Some(opened);
            }
            EntitlementEvent::Delivered(delivery) => {
                self.spent_cents += delivery.amount_cents;
                self.deliveries.push(delivery);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use kindpakket_proto::{ChildRef, ProvisionCode};
    use time::macros::date;

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }

    fn opened() -> EntitlementOpened {
        EntitlementOpened {
            entitlement_id: Uuid::from_u128(1),
            application_id: Uuid::from_u128(2),
            child: ChildRef(Uuid::from_u128(3)),
            provision: ProvisionCode::parse("sportcontributie").unwrap(),
            amount_cents: 25_000,
            valid_from: date!(2026 - 01 - 01),
            valid_until: date!(2026 - 12 - 31),
            funder: None,
        }
    }

    fn given_open() -> Vec<EntitlementEvent> {
        vec![EntitlementEvent::Opened {
            gemeente: gemeente(),
            opened: opened(),
        }]
    }

    fn deliver(delivery: u128, amount_cents: i64) -> EntitlementCommand {
        EntitlementCommand::RecordDelivery {
            gemeente: gemeente(),
            delivery_id: Uuid::from_u128(delivery),
            partner: OrganisationId::parse("jeugdfonds-sport").unwrap(),
            form: DeliveryForm::InKind,
            amount_cents,
            delivered_on: date!(2026 - 09 - 15),
        }
    }

    fn delivered(delivery: u128, amount_cents: i64, remaining_cents: i64) -> EntitlementEvent {
        EntitlementEvent::Delivered(DeliveryRecorded {
            entitlement_id: Uuid::from_u128(1),
            delivery_id: Uuid::from_u128(delivery),
            child: ChildRef(Uuid::from_u128(3)),
            provision: ProvisionCode::parse("sportcontributie").unwrap(),
            partner: OrganisationId::parse("jeugdfonds-sport").unwrap(),
            form: DeliveryForm::InKind,
            amount_cents,
            remaining_cents,
            delivered_on: date!(2026 - 09 - 15),
        })
    }

    #[tokio::test]
    async fn opening_again_with_the_same_terms_changes_nothing() {
        TestFramework::<Entitlement>::with(())
            .given(given_open())
            .when_async(EntitlementCommand::Open {
                gemeente: gemeente(),
                opened: opened(),
            })
            .await
            .then_expect_events(vec![]);
    }

    #[tokio::test]
    async fn a_delivery_within_the_remaining_amount_is_recorded() {
        TestFramework::<Entitlement>::with(())
            .given(given_open())
            .when_async(deliver(9, 20_000))
            .await
            .then_expect_events(vec![delivered(9, 20_000, 5_000)]);
    }

    #[tokio::test]
    async fn an_entitlement_is_never_overspent() {
        let mut events = given_open();
        events.push(delivered(9, 20_000, 5_000));
        TestFramework::<Entitlement>::with(())
            .given(events)
            .when_async(deliver(10, 5_001))
            .await
            .then_expect_error(EntitlementError::Overspent {
                remaining_cents: 5_000,
            });
    }

    #[tokio::test]
    async fn a_retried_delivery_is_recorded_once() {
        let mut events = given_open();
        events.push(delivered(9, 20_000, 5_000));
        TestFramework::<Entitlement>::with(())
            .given(events)
            .when_async(deliver(9, 20_000))
            .await
            .then_expect_events(vec![]);
    }

    #[tokio::test]
    async fn a_delivery_in_another_gemeente_finds_no_entitlement() {
        TestFramework::<Entitlement>::with(())
            .given(given_open())
            .when_async(EntitlementCommand::RecordDelivery {
                gemeente: GemeenteCode::parse("GM0363").unwrap(),
                delivery_id: Uuid::from_u128(9),
                partner: OrganisationId::parse("jeugdfonds-sport").unwrap(),
                form: DeliveryForm::InKind,
                amount_cents: 100,
                delivered_on: date!(2026 - 09 - 15),
            })
            .await
            .then_expect_error(EntitlementError::NotFound);
    }
}
