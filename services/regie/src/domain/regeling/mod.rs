//! A regeling version: one year of a gemeente's (or samenwerkingsverband's) Kindpakket.

use std::collections::HashSet;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use kindpakket_platform::http::{Rejection, RejectionKind};
use kindpakket_proto::regie::{IncomeThreshold, RegelingPublished};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};

/// The percentages of the sociaal minimum a regeling may use as threshold (study, schema 3.3).
pub const ALLOWED_THRESHOLDS: [u16; 5] = [110, 115, 120, 125, 130];

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Regeling {
    pub published: Option<RegelingPublished>,
}

#[derive(Debug, Clone)]
pub enum RegelingCommand {
    Publish(RegelingPublished),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RegelingEvent {
    Published(RegelingPublished),
}

impl DomainEvent for RegelingEvent {
    fn event_type(&self) -> String {
        "Published".to_owned()
    }
    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegelingError {
    #[error("Deze regeling is al gepubliceerd.")]
    AlreadyPublished,
    #[error("Een regeling geldt voor ten minste één gemeente.")]
    NoGemeente,
    #[error("De inkomensgrens {0}% is niet toegestaan: kies 110, 115, 120, 125 of 130% van het sociaal minimum, of 'individueel'.")]
    ThresholdNotAllowed(u16),
    #[error("De einddatum van de regeling ligt vóór de begindatum.")]
    EndsBeforeItStarts,
    #[error("Het jaar van de regeling ({year}) past niet bij de begindatum.")]
    YearMismatch { year: i32 },
    #[error("Een regeling heeft ten minste één voorziening.")]
    NoProvisions,
    #[error("De voorziening '{0}' staat twee keer in de regeling.")]
    DuplicateProvision(String),
    #[error("De leeftijdsgroep van '{0}' klopt niet: de leeftijden liggen tussen 0 en 17 en 'van' is niet groter dan 'tot'.")]
    InvalidAgeBand(String),
    #[error("De waarde van '{0}' moet groter zijn dan 0 cent.")]
    InvalidValue(String),
    #[error("De naam van '{0}' ontbreekt.")]
    MissingName(String),
    #[error("De leeftijdsgroepen van de inkomensgrens per leeftijd kloppen niet: elke leeftijd tussen 0 en 17 hoort bij hoogstens één groep.")]
    InvalidAgeThresholds,
    #[error("Een glijdende schaal hoort bij een inkomensgrens in procenten: elke trede ligt boven de vorige (en boven de inkomensgrens) en vergoedt 1 tot 99 procent, niet meer dan de trede ervoor.")]
    InvalidSlidingScale,
    #[error("De bedragen van de regel voor besteedbaar inkomen mogen niet negatief zijn.")]
    InvalidDisposableIncomeRule,
    #[error("Een budget is voor één voorziening uit de regeling of voor één type voorziening, met een bedrag boven 0 cent.")]
    InvalidBudget,
    #[error("Een financier staat twee keer bij '{0}'.")]
    DuplicateFunder(String),
    #[error("De medefinanciering van '{0}' klopt niet: het aandeel ligt tussen 1 en 99 procent en de medefinancier is geen van de eerste financiers.")]
    InvalidCoFinancing(String),
    #[error("Het steekproefpercentage voor declaraties ligt tussen 0 en 100.")]
    InvalidSamplePercent,
    #[error("Het aantal van '{0}' moet ten minste 1 zijn, en de waarde moet in hele centen over dat aantal te verdelen zijn.")]
    InvalidUnits(String),
}

impl Rejection for RegelingError {
    fn kind(&self) -> RejectionKind {
        match self {
            RegelingError::AlreadyPublished => RejectionKind::Conflict,
            _ => RejectionKind::Invalid,
        }
    }
}

/// Checks a regeling before it is published; every rule has its own Dutch message.
pub fn validate(regeling: &RegelingPublished) -> Result<(), RegelingError> {
    if regeling.gemeenten.is_empty() {
        return Err(RegelingError::NoGemeente);
    }
    if let IncomeThreshold::PercentOfSocialMinimum { percent } = regeling.income_threshold {
        if !ALLOWED_THRESHOLDS.contains(&percent) {
            return Err(RegelingError::ThresholdNotAllowed(percent));
        }
    }
    if regeling.valid_until < regeling.valid_from {
        return Err(RegelingError::EndsBeforeItStarts);
    }
    if regeling.valid_from.year() != regeling.year {
        return Err(RegelingError::YearMismatch {
            year: regeling.year,
        });
    }
    if regeling.provisions.is_empty() {
        return Err(RegelingError::NoProvisions);
    }
    validate_income_rules(regeling)?;
    let mut codes = HashSet::new();
    for provision in &regeling.provisions {
        let code = provision.code.to_string();
        if !codes.insert(code.clone()) {
            return Err(RegelingError::DuplicateProvision(code));
        }
        let band = provision.target_group;
        if band.min_age > band.max_age || band.max_age > 17 {
            return Err(RegelingError::InvalidAgeBand(code));
        }
        if provision.value_cents <= 0 {
            return Err(RegelingError::InvalidValue(code));
        }
        if provision.name.trim().is_empty() {
            return Err(RegelingError::MissingName(code));
        }
    }
    Ok(())
}

fn validate_income_rules(regeling: &RegelingPublished) -> Result<(), RegelingError> {
    let mut ages_taken = [false; 18];
    for threshold in &regeling.thresholds_by_age {
        if !ALLOWED_THRESHOLDS.contains(&threshold.percent) {
            return Err(RegelingError::ThresholdNotAllowed(threshold.percent));
        }
        let band = threshold.ages;
        if band.min_age > band.max_age || band.max_age > 17 {
            return Err(RegelingError::InvalidAgeThresholds);
        }
        for age in band.min_age..=band.max_age {
            if std::mem::replace(&mut ages_taken[age as usize], true) {
                return Err(RegelingError::InvalidAgeThresholds);
            }
        }
    }
    if !regeling.sliding_scale.is_empty() {
        let IncomeThreshold::PercentOfSocialMinimum { percent } = regeling.income_threshold else {
            return Err(RegelingError::InvalidSlidingScale);
        };
        let highest_threshold = regeling
            .thresholds_by_age
            .iter()
            .map(|threshold| threshold.percent)
            .chain([percent])
            .max()
            .unwrap_or(percent);
        let mut previous_limit = highest_threshold;
        let mut previous_share = 100;
        for band in &regeling.sliding_scale {
            let valid = band.up_to_percent > previous_limit
                && (1..=99).contains(&band.share_percent)
                && band.share_percent <= previous_share;
            if !valid {
                return Err(RegelingError::InvalidSlidingScale);
            }
            previous_limit = band.up_to_percent;
            previous_share = band.share_percent;
        }
    }
    for budget in &regeling.budgets {
        let names_a_provision = match (&budget.provision, budget.provision_type) {
            (Some(code), None) => regeling
                .provisions
                .iter()
                .any(|provision| &provision.code == code),
            (None, Some(_)) => true,
            _ => false,
        };
        if !names_a_provision || budget.amount_cents <= 0 {
            return Err(RegelingError::InvalidBudget);
        }
    }
    for provision in &regeling.provisions {
        let mut seen = HashSet::new();
        if !provision.funders.iter().all(|funder| seen.insert(funder)) {
            return Err(RegelingError::DuplicateFunder(provision.code.to_string()));
        }
        if let Some(units) = provision.units {
            if units == 0 || provision.value_cents % i64::from(units) != 0 {
                return Err(RegelingError::InvalidUnits(provision.code.to_string()));
            }
        }
        if let Some(co) = &provision.co_financing {
            if !(1..=99).contains(&co.share_percent) || provision.funders.contains(&co.funder) {
                return Err(RegelingError::InvalidCoFinancing(
                    provision.code.to_string(),
                ));
            }
        }
    }
    if regeling
        .declaration_sample_percent
        .is_some_and(|percent| percent > 100)
    {
        return Err(RegelingError::InvalidSamplePercent);
    }
    if let Some(rule) = regeling.disposable_income_rule {
        if rule.first_adult_cents < 0 || rule.second_adult_cents < 0 || rule.per_child_cents < 0 {
            return Err(RegelingError::InvalidDisposableIncomeRule);
        }
    }
    Ok(())
}

impl Regeling {
    pub fn covers(&self, gemeente: &GemeenteCode) -> bool {
        self.published
            .as_ref()
            .is_some_and(|regeling| regeling.gemeenten.contains(gemeente))
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
        match command {
            RegelingCommand::Publish(regeling) => {
                if self.published.is_some() {
                    return Err(RegelingError::AlreadyPublished);
                }
                validate(&regeling)?;
                sink.write(RegelingEvent::Published(regeling), self).await;
                Ok(())
            }
        }
    }

    fn apply(&mut self, event: RegelingEvent) {
        match event {
            RegelingEvent::Published(regeling) => self.published = Some(regeling),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use kindpakket_proto::regie::{AgeBand, DeliveryForm, Provision, ProvisionType};
    use kindpakket_proto::ProvisionCode;
    use time::macros::date;
    use uuid::Uuid;

    fn regeling(percent: u16) -> RegelingPublished {
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
                value_cents: 2500,
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

    #[test]
    fn age_bands_of_thresholds_may_not_overlap() {
        let mut rotterdam = regeling(120);
        rotterdam.thresholds_by_age = vec![
            kindpakket_proto::regie::AgeThreshold {
                ages: AgeBand {
                    min_age: 4,
                    max_age: 11,
                },
                percent: 110,
            },
            kindpakket_proto::regie::AgeThreshold {
                ages: AgeBand {
                    min_age: 12,
                    max_age: 17,
                },
                percent: 130,
            },
        ];
        assert_eq!(validate(&rotterdam), Ok(()));
        rotterdam.thresholds_by_age[1].ages.min_age = 11;
        assert_eq!(
            validate(&rotterdam),
            Err(RegelingError::InvalidAgeThresholds)
        );
    }

    #[test]
    fn a_sliding_scale_lies_above_the_threshold_and_pays_less_as_income_rises() {
        use kindpakket_proto::regie::ScaleBand;
        let mut overijssel = regeling(110);
        overijssel.sliding_scale = vec![ScaleBand {
            up_to_percent: 120,
            share_percent: 50,
        }];
        assert_eq!(validate(&overijssel), Ok(()));
        overijssel.sliding_scale = vec![ScaleBand {
            up_to_percent: 105,
            share_percent: 50,
        }];
        assert_eq!(
            validate(&overijssel),
            Err(RegelingError::InvalidSlidingScale)
        );
        overijssel.sliding_scale = vec![
            ScaleBand {
                up_to_percent: 120,
                share_percent: 50,
            },
            ScaleBand {
                up_to_percent: 130,
                share_percent: 75,
            },
        ];
        assert_eq!(
            validate(&overijssel),
            Err(RegelingError::InvalidSlidingScale)
        );
        let mut individual = regeling(110);
        individual.income_threshold = IncomeThreshold::IndividualCircumstances;
        individual.sliding_scale = vec![ScaleBand {
            up_to_percent: 120,
            share_percent: 50,
        }];
        assert_eq!(
            validate(&individual),
            Err(RegelingError::InvalidSlidingScale)
        );
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
            .then_expect_error(RegelingError::ThresholdNotAllowed(117));
    }

    #[test]
    fn age_bands_must_lie_within_childhood() {
        let mut bad = regeling(120);
        bad.provisions[0].target_group = AgeBand {
            min_age: 12,
            max_age: 18,
        };
        assert_eq!(
            validate(&bad),
            Err(RegelingError::InvalidAgeBand("verjaardagsbox".to_owned()))
        );
        bad.provisions[0].target_group = AgeBand {
            min_age: 13,
            max_age: 12,
        };
        assert!(validate(&bad).is_err());
    }

    #[test]
    fn a_provision_code_appears_once() {
        let mut bad = regeling(120);
        bad.provisions.push(bad.provisions[0].clone());
        assert_eq!(
            validate(&bad),
            Err(RegelingError::DuplicateProvision(
                "verjaardagsbox".to_owned()
            ))
        );
    }
}
