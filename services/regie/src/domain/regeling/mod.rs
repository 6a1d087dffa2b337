//! A regeling: one year of a gemeente's (or samenwerkingsverband's) Kindpakket, as a line of
//! versions. A version is published once and never changed; a correction is a new version from a
//! date, which ends the version before on the day before (both events in this aggregate, in one
//! commit, so no reader ever sees two versions in force or a gap); a version can also be ended
//! without a successor. The aggregate's id is the first version's id; [`crate::versions`] finds it
//! for a later version.

mod commands;
mod error;
mod events;
mod validation;

pub use commands::{Amend, End, RegelingCommand};
pub use error::{Position, RegelingError};
pub use events::RegelingEvent;
pub use validation::{validate, ALLOWED_THRESHOLDS};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_proto::regie::{RegelingEnded, RegelingPublished};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Regeling {
    /// The versions, oldest first: the first as published, each later one a correction.
    pub versions: Vec<Version>,
}

/// One version as published, and how it ended when it ended early.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub published: RegelingPublished,
    pub ended: Option<RegelingEnded>,
}

impl Version {
    /// The last day the version is in force: its published end, or the earlier day it was ended on.
    pub fn in_force_until(&self) -> Date {
        self.ended
            .as_ref()
            .map_or(self.published.valid_until, |ended| ended.valid_until)
    }
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
            RegelingCommand::Amend(command) => self.amend(command)?,
            RegelingCommand::End(command) => self.end(command)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: RegelingEvent) {
        match event {
            RegelingEvent::Published(published) => self.versions.push(Version {
                published,
                ended: None,
            }),
            RegelingEvent::Ended(ended) => {
                if let Some(version) = self
                    .versions
                    .iter_mut()
                    .find(|version| version.published.regeling_id == ended.regeling_id)
                {
                    version.ended = Some(ended);
                }
            }
        }
    }
}

impl Regeling {
    /// The version `regeling_id`, when it covers `gemeente` (a samenwerkingsverband's covers several).
    pub fn version_in(self, regeling_id: Uuid, gemeente: &GemeenteCode) -> Option<Version> {
        self.versions.into_iter().find(|version| {
            version.published.regeling_id == regeling_id
                && version.published.gemeenten.contains(gemeente)
        })
    }

    fn publish(&self, version: RegelingPublished) -> Result<Vec<RegelingEvent>, RegelingError> {
        if !self.versions.is_empty() {
            return Err(RegelingError::AlreadyPublished);
        }
        validate(&version)?;
        Ok(vec![RegelingEvent::Published(version)])
    }

    fn amend(&self, command: Amend) -> Result<Vec<RegelingEvent>, RegelingError> {
        let Amend {
            amended,
            mut successor,
        } = command;
        let version = self.open_version(amended, successor.valid_from)?;
        if successor.gemeenten.is_empty() {
            successor.gemeenten = version.published.gemeenten.clone();
        }
        if successor.gemeenten != version.published.gemeenten {
            return Err(RegelingError::OtherGemeenten);
        }
        if self
            .versions
            .iter()
            .any(|other| other.published.regeling_id == successor.regeling_id)
        {
            return Err(RegelingError::AlreadyPublished);
        }
        validate(&successor)?;
        Ok(vec![
            RegelingEvent::Ended(RegelingEnded {
                regeling_id: amended,
                valid_until: day_before(successor.valid_from),
                successor: Some(successor.regeling_id),
            }),
            RegelingEvent::Published(successor),
        ])
    }

    fn end(&self, command: End) -> Result<Vec<RegelingEvent>, RegelingError> {
        self.open_version(command.regeling_id, command.per)?;
        Ok(vec![RegelingEvent::Ended(RegelingEnded {
            regeling_id: command.regeling_id,
            valid_until: day_before(command.per),
            successor: None,
        })])
    }

    /// Whether the version `regeling_id` may be corrected or ended from `per` on: what a use-case
    /// asks before it searches the calendar, so that the caller hears what is wrong with the version
    /// itself first ([`Self::handle`] checks it again).
    pub fn may_end(&self, regeling_id: Uuid, per: Date) -> Result<(), RegelingError> {
        self.open_version(regeling_id, per).map(|_| ())
    }

    /// The version `regeling_id`, when it may still end on the day before `per`: known, not ended
    /// before (a corrected version is ended), and `per` within its period.
    fn open_version(&self, regeling_id: Uuid, per: Date) -> Result<&Version, RegelingError> {
        let version = self
            .versions
            .iter()
            .find(|version| version.published.regeling_id == regeling_id)
            .ok_or(RegelingError::UnknownVersion)?;
        if version.ended.is_some() {
            return Err(RegelingError::AlreadyEnded);
        }
        if per < version.published.valid_from {
            return Err(RegelingError::BeforeStart);
        }
        if per > version.published.valid_until {
            return Err(RegelingError::AfterEnd);
        }
        Ok(version)
    }
}

/// The day before `day` (a version ending on it is in force until then).
fn day_before(day: Date) -> Date {
    day.previous_day().unwrap_or(day)
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
                per_household: false,
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
    async fn a_household_budget_is_an_amount_and_never_a_count_of_strips() {
        let mut household = regeling(120);
        household.provisions[0].per_household = true;
        TestFramework::<Regeling>::with(())
            .given_no_previous_events()
            .when_async(RegelingCommand::Publish(household.clone()))
            .await
            .then_expect_events(vec![RegelingEvent::Published(household.clone())]);
        household.provisions[0].units = Some(5);
        TestFramework::<Regeling>::with(())
            .given_no_previous_events()
            .when_async(RegelingCommand::Publish(household))
            .await
            .then_expect_error(RegelingError::HouseholdUnits(Position::of(0)));
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
            versions: vec![Version {
                published: regeling(120),
                ended: None,
            }],
        };
        let id = regeling(120).regeling_id;
        assert!(published
            .clone()
            .version_in(id, &GemeenteCode::parse("GM0518").unwrap())
            .is_some());
        assert!(published
            .clone()
            .version_in(id, &GemeenteCode::parse("GM0363").unwrap())
            .is_none());
        assert!(published
            .version_in(Uuid::from_u128(8), &GemeenteCode::parse("GM0518").unwrap())
            .is_none());
        assert!(Regeling::default()
            .version_in(id, &GemeenteCode::parse("GM0518").unwrap())
            .is_none());
    }

    /// A correction of `regeling(120)` from 1 July: a higher threshold, its own id.
    fn correction() -> RegelingPublished {
        let mut successor = regeling(130);
        successor.regeling_id = Uuid::from_u128(8);
        successor.valid_from = date!(2026 - 07 - 01);
        successor
    }

    fn amend(successor: RegelingPublished) -> RegelingCommand {
        RegelingCommand::Amend(Amend {
            amended: regeling(120).regeling_id,
            successor,
        })
    }

    fn ended(valid_until: Date, successor: Option<Uuid>) -> RegelingEvent {
        RegelingEvent::Ended(RegelingEnded {
            regeling_id: regeling(120).regeling_id,
            valid_until,
            successor,
        })
    }

    #[tokio::test]
    async fn a_correction_ends_the_version_before_on_the_day_before() {
        TestFramework::<Regeling>::with(())
            .given(vec![RegelingEvent::Published(regeling(120))])
            .when_async(amend(correction()))
            .await
            .then_expect_events(vec![
                ended(date!(2026 - 06 - 30), Some(correction().regeling_id)),
                RegelingEvent::Published(correction()),
            ]);
    }

    #[tokio::test]
    async fn a_correction_from_the_first_day_replaces_the_version_entirely() {
        let mut successor = correction();
        successor.valid_from = date!(2026 - 01 - 01);
        TestFramework::<Regeling>::with(())
            .given(vec![RegelingEvent::Published(regeling(120))])
            .when_async(amend(successor.clone()))
            .await
            .then_expect_events(vec![
                ended(date!(2025 - 12 - 31), Some(successor.regeling_id)),
                RegelingEvent::Published(successor),
            ]);
    }

    #[tokio::test]
    async fn a_correction_or_end_before_the_start_or_after_the_end_is_refused() {
        let mut early = correction();
        early.valid_from = date!(2025 - 12 - 31);
        early.year = 2025;
        TestFramework::<Regeling>::with(())
            .given(vec![RegelingEvent::Published(regeling(120))])
            .when_async(amend(early))
            .await
            .then_expect_error(RegelingError::BeforeStart);
        TestFramework::<Regeling>::with(())
            .given(vec![RegelingEvent::Published(regeling(120))])
            .when_async(RegelingCommand::End(End {
                regeling_id: regeling(120).regeling_id,
                per: date!(2025 - 12 - 31),
            }))
            .await
            .then_expect_error(RegelingError::BeforeStart);
        TestFramework::<Regeling>::with(())
            .given(vec![RegelingEvent::Published(regeling(120))])
            .when_async(RegelingCommand::End(End {
                regeling_id: regeling(120).regeling_id,
                per: date!(2027 - 01 - 01),
            }))
            .await
            .then_expect_error(RegelingError::AfterEnd);
    }

    #[tokio::test]
    async fn a_version_is_ended_once_and_an_ended_version_is_not_corrected() {
        let end = || {
            RegelingCommand::End(End {
                regeling_id: regeling(120).regeling_id,
                per: date!(2026 - 09 - 01),
            })
        };
        TestFramework::<Regeling>::with(())
            .given(vec![RegelingEvent::Published(regeling(120))])
            .when_async(end())
            .await
            .then_expect_events(vec![ended(date!(2026 - 08 - 31), None)]);
        let already_ended = vec![
            RegelingEvent::Published(regeling(120)),
            ended(date!(2026 - 08 - 31), None),
        ];
        TestFramework::<Regeling>::with(())
            .given(already_ended.clone())
            .when_async(end())
            .await
            .then_expect_error(RegelingError::AlreadyEnded);
        TestFramework::<Regeling>::with(())
            .given(already_ended)
            .when_async(amend(correction()))
            .await
            .then_expect_error(RegelingError::AlreadyEnded);
        // A corrected version is ended too: the correction is what is corrected next.
        TestFramework::<Regeling>::with(())
            .given(vec![
                RegelingEvent::Published(regeling(120)),
                ended(date!(2026 - 06 - 30), Some(correction().regeling_id)),
                RegelingEvent::Published(correction()),
            ])
            .when_async(end())
            .await
            .then_expect_error(RegelingError::AlreadyEnded);
    }

    #[tokio::test]
    async fn a_correction_is_checked_like_a_publication_and_covers_the_same_gemeenten() {
        let mut bad = correction();
        bad.income_threshold = IncomeThreshold::PercentOfSocialMinimum { percent: 117 };
        TestFramework::<Regeling>::with(())
            .given(vec![RegelingEvent::Published(regeling(120))])
            .when_async(amend(bad))
            .await
            .then_expect_error(RegelingError::ThresholdNotAllowed);
        let mut elsewhere = correction();
        elsewhere.gemeenten = vec![GemeenteCode::parse("GM0363").unwrap()];
        TestFramework::<Regeling>::with(())
            .given(vec![RegelingEvent::Published(regeling(120))])
            .when_async(amend(elsewhere))
            .await
            .then_expect_error(RegelingError::OtherGemeenten);
        TestFramework::<Regeling>::with(())
            .given_no_previous_events()
            .when_async(amend(correction()))
            .await
            .then_expect_error(RegelingError::UnknownVersion);
    }

    #[test]
    fn a_version_is_in_force_until_its_end_or_the_day_it_was_ended() {
        let mut version = Version {
            published: regeling(120),
            ended: None,
        };
        assert_eq!(version.in_force_until(), date!(2026 - 12 - 31));
        version.ended = Some(RegelingEnded {
            regeling_id: version.published.regeling_id,
            valid_until: date!(2026 - 06 - 30),
            successor: None,
        });
        assert_eq!(version.in_force_until(), date!(2026 - 06 - 30));
    }
}
