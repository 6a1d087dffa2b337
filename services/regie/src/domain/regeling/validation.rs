//! The rules a regeling version must satisfy before it is published; each has its own Dutch message.

use std::collections::HashSet;

use kindpakket_proto::regie::{IncomeThreshold, RegelingPublished};
use kindpakket_proto::Cents;

use super::{Position, RegelingError};

/// The percentages of the sociaal minimum a regeling may use as its income threshold.
pub const ALLOWED_THRESHOLDS: [u16; 5] = [110, 115, 120, 125, 130];

/// Checks a regeling before it is published, in a fixed order: the first rule broken is reported.
pub fn validate(regeling: &RegelingPublished) -> Result<(), RegelingError> {
    if regeling.gemeenten.is_empty() {
        return Err(RegelingError::NoGemeente);
    }
    if let IncomeThreshold::PercentOfSocialMinimum { percent } = regeling.income_threshold {
        if !ALLOWED_THRESHOLDS.contains(&percent) {
            return Err(RegelingError::ThresholdNotAllowed);
        }
    }
    if regeling.valid_until < regeling.valid_from {
        return Err(RegelingError::EndsBeforeItStarts);
    }
    if regeling.valid_from.year() != regeling.year {
        return Err(RegelingError::YearMismatch);
    }
    if regeling.provisions.is_empty() {
        return Err(RegelingError::NoProvisions);
    }
    validate_income_rules(regeling)?;
    let mut codes = HashSet::new();
    for (index, provision) in regeling.provisions.iter().enumerate() {
        let position = Position::of(index);
        if !codes.insert(&provision.code) {
            return Err(RegelingError::DuplicateProvision(position));
        }
        let band = provision.target_group;
        if band.min_age > band.max_age || band.max_age > 17 {
            return Err(RegelingError::InvalidAgeBand(position));
        }
        if !provision.value_cents.is_positive() {
            return Err(RegelingError::InvalidValue(position));
        }
        if provision.name.trim().is_empty() {
            return Err(RegelingError::MissingName(position));
        }
    }
    Ok(())
}

/// Thresholds per age, the sliding scale, budgets, funders, units, the sample and the
/// disposable-income rule.
fn validate_income_rules(regeling: &RegelingPublished) -> Result<(), RegelingError> {
    let mut ages_taken = [false; 18];
    for threshold in &regeling.thresholds_by_age {
        if !ALLOWED_THRESHOLDS.contains(&threshold.percent) {
            return Err(RegelingError::AgeThresholdNotAllowed);
        }
        let band = threshold.ages;
        if band.min_age > band.max_age || band.max_age > 17 {
            return Err(RegelingError::InvalidAgeThresholds);
        }
        for age in band.min_age..=band.max_age {
            if std::mem::replace(&mut ages_taken[usize::from(age)], true) {
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
        if !names_a_provision || !budget.amount_cents.is_positive() {
            return Err(RegelingError::InvalidBudget);
        }
    }
    for (index, provision) in regeling.provisions.iter().enumerate() {
        let position = Position::of(index);
        let mut seen = HashSet::new();
        if !provision.funders.iter().all(|funder| seen.insert(funder)) {
            return Err(RegelingError::DuplicateFunder(position));
        }
        // A household budget is shared by several children: an amount, not a count of strips.
        if provision.per_household && provision.units.is_some() {
            return Err(RegelingError::HouseholdUnits(position));
        }
        if let Some(units) = provision.units {
            if units == 0 || provision.value_cents.get() % i64::from(units) != 0 {
                return Err(RegelingError::InvalidUnits(position));
            }
        }
        if let Some(co) = &provision.co_financing {
            if !(1..=99).contains(&co.share_percent) || provision.funders.contains(&co.funder) {
                return Err(RegelingError::InvalidCoFinancing(position));
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
        let amounts = [
            rule.first_adult_cents,
            rule.second_adult_cents,
            rule.per_child_cents,
        ];
        if amounts.iter().any(|amount| *amount < Cents::ZERO) {
            return Err(RegelingError::InvalidDisposableIncomeRule);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::regeling::tests::regeling;
    use kindpakket_proto::regie::{AgeBand, AgeThreshold, ScaleBand};

    #[test]
    fn age_bands_of_thresholds_may_not_overlap() {
        let mut rotterdam = regeling(120);
        rotterdam.thresholds_by_age = vec![
            AgeThreshold {
                ages: AgeBand {
                    min_age: 4,
                    max_age: 11,
                },
                percent: 110,
            },
            AgeThreshold {
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

    #[test]
    fn age_bands_must_lie_within_childhood() {
        let mut bad = regeling(120);
        bad.provisions[0].target_group = AgeBand {
            min_age: 12,
            max_age: 18,
        };
        assert_eq!(
            validate(&bad),
            Err(RegelingError::InvalidAgeBand(Position(1)))
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
            Err(RegelingError::DuplicateProvision(Position(2)))
        );
    }

    #[test]
    fn money_must_be_positive_and_disposable_income_margins_not_negative() {
        let mut free = regeling(120);
        free.provisions[0].value_cents = Cents::ZERO;
        assert_eq!(
            validate(&free),
            Err(RegelingError::InvalidValue(Position(1)))
        );
        let mut negative_margin = regeling(120);
        negative_margin.disposable_income_rule =
            Some(kindpakket_proto::regie::DisposableIncomeRule {
                first_adult_cents: Cents(18_000),
                second_adult_cents: Cents(-1),
                per_child_cents: Cents(5_000),
            });
        assert_eq!(
            validate(&negative_margin),
            Err(RegelingError::InvalidDisposableIncomeRule)
        );
    }

    #[test]
    fn a_refusal_names_the_field_and_place_never_the_value_sent() {
        let mut bad = regeling(120);
        bad.provisions.push(bad.provisions[0].clone());
        let message = validate(&bad).unwrap_err().to_string();
        assert!(
            message.contains("voorziening 2 in 'voorzieningen'"),
            "{message}"
        );
        assert!(!message.contains("verjaardagsbox"), "{message}");
        let message = validate(&regeling(117)).unwrap_err().to_string();
        assert!(message.contains("'inkomensgrens'"), "{message}");
        assert!(!message.contains("117"), "{message}");
    }
}
