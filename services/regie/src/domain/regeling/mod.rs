//! A regeling version: one year of a gemeente's (or samenwerkingsverband's) Kindpakket. Published
//! once, never changed; a new year or a correction is a new version.

mod commands;
mod error;
mod events;
mod validation;

pub use commands::RegelingCommand;
pub use error::{Position, RegelingError};
pub use events::RegelingEvent;
pub use validation::{validate, ALLOWED_THRESHOLDS};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_proto::regie::RegelingPublished;
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Regeling {
    pub published: Option<RegelingPublished>,
}

impl Aggregate for Regeling {
    const TYPE: &'static str = "regeling";
    type Command = RegelingCommand;
    type Event = RegelingEvent;
    type Error = RegelingError;
    type Services = ();

    async fn handle(
        &mut self,
        command: RegelingCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), RegelingError> {
        let events = match command {
            RegelingCommand::Publish(version) => self.publish(version)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: RegelingEvent) {
        match event {
            RegelingEvent::Published(version) => self.published = Some(version),
        }
    }
}

impl Regeling {
    /// The published version, when it covers `gemeente` (a samenwerkingsverband's covers several).
    pub fn published_in(self, gemeente: &GemeenteCode) -> Option<RegelingPublished> {
        self.published
            .filter(|version| version.gemeenten.contains(gemeente))
    }

    fn publish(&self, version: RegelingPublished) -> Result<Vec<RegelingEvent>, RegelingError> {
        if self.published.is_some() {
            return Err(RegelingError::AlreadyPublished);
        }
        validate(&version)?;
        Ok(vec![RegelingEvent::Published(version)])
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use kindpakket_proto::regie::{
        AgeBand, DeliveryForm, IncomeThreshold, Provision, ProvisionType,
    };
    use kindpakket_proto::{Cents, ProvisionCode};
    use time::macros::date;
    use uuid::Uuid;

    /// The smallest valid regeling: one provision, a threshold of `percent`.
    pub(crate) fn regeling(percent: u16) -> RegelingPublished {
        RegelingPublished {
            regeling_id: Uuid::from_u128(7),
            gemeenten: vec![GemeenteCode::parse("GM0518").unwrap()],
            year: 2026,
            valid_from: date!(2026 - 01 - 01),
            valid_until: date!(2026 - 12 - 31),
            income_threshold: IncomeThreshold::PercentOfSocialMinimum { percent },
            provisions: vec![Provision {
                code: ProvisionCode::parse("verjaardagsbox").unwrap(),
                name: "Verjaardagsbox".to_owned(),
                provision_type: ProvisionType::Other,
                target_group: AgeBand {
                    min_age: 4,
                    max_age: 12,
                },
                value_cents: Cents(2500),
                form: DeliveryForm::InKind,
                specific_group: None,
                requestable_separately: true,
                funders: vec![],
                co_financing: None,
                units: None,
            }],
            thresholds_by_age: vec![],
            sliding_scale: vec![],
            disposable_income_rule: None,
            budgets: vec![],
            declaration_sample_percent: None,
        }
    }

    #[tokio::test]
    async fn a_regeling_with_an_allowed_threshold_is_published() {
        TestFramework::<Regeling>::with(())
            .given_no_previous_events()
            .when_async(RegelingCommand::Publish(regeling(120)))
            .await
            .then_expect_events(vec![RegelingEvent::Published(regeling(120))]);
    }

    #[tokio::test]
    async fn a_threshold_outside_the_allowed_set_is_refused() {
        TestFramework::<Regeling>::with(())
            .given_no_previous_events()
            .when_async(RegelingCommand::Publish(regeling(117)))
            .await
            .then_expect_error(RegelingError::ThresholdNotAllowed);
    }

    #[tokio::test]
    async fn a_version_is_published_once() {
        TestFramework::<Regeling>::with(())
            .given(vec![RegelingEvent::Published(regeling(120))])
            .when_async(RegelingCommand::Publish(regeling(120)))
            .await
            .then_expect_error(RegelingError::AlreadyPublished);
    }

    #[test]
    fn a_version_is_found_only_in_the_gemeenten_it_covers() {
        let published = Regeling {
            published: Some(regeling(120)),
        };
        assert!(published
            .clone()
            .published_in(&GemeenteCode::parse("GM0518").unwrap())
            .is_some());
        assert!(published
            .published_in(&GemeenteCode::parse("GM0363").unwrap())
            .is_none());
        assert!(Regeling::default()
            .published_in(&GemeenteCode::parse("GM0518").unwrap())
            .is_none());
    }
}
