//! Eligibility: an application assessed against the regeling version in force, per child and
//! provision, with the reason in plain Dutch (B1) so that the decision can be explained to the family
//! and reproduced from the service's own store while the household's key lives: the decision event
//! records the regeling version and every outcome, and keeps the inputs (income, adults, money left),
//! the shares, the explanations and a maatwerk motivation sealed under the household's key.
//! A grant by hand ([`grant_by_hand`]) takes the same path: the regeling version in force, its
//! catalogue, who pays first and "never funded twice", with the amounts the regievoerder chose
//! recorded as outcomes marked [`GRANTED_BY_HAND`].
//! Pure: no I/O, no clock.

use kindpakket_proto::application::{ApplicantChild, SchoolLevel};
use kindpakket_proto::regie::{
    split_funding, CoFinancing, Funder, IncomeThreshold, Provision, RegelingPublished,
    SpecificGroup,
};
use std::collections::{HashMap, HashSet};

use kindpakket_proto::{Cents, ChildRef, Period, ProvisionCode};
use time::Date;
use uuid::Uuid;

use serde::{Deserialize, Serialize};

use super::application::age_on;

/// What the household told about its means: the inputs of the income rules. Kept sealed under the
/// household's key (the published contract does not carry them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentInputs {
    /// Household income as a percentage of the sociaal minimum.
    pub income_percent: u16,
    /// Adults in the household (for a disposable-income rule).
    #[serde(default)]
    pub adults: Option<u8>,
    /// Money left per week after fixed costs and debt repayments, when the family asks to be
    /// assessed on it (families in debt restructuring).
    #[serde(default)]
    pub money_left_cents: Option<Cents>,
}

/// An application as the engine reads it: the children, what was asked, when, and the household's
/// inputs (opened from their seal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub application_id: Uuid,
    pub children: Vec<ApplicantChild>,
    /// The provisions asked for; empty when the whole package is asked for.
    pub requested_provisions: Vec<ProvisionCode>,
    pub submitted_on: Date,
    pub income_percent: u16,
    pub adults: Option<u8>,
    pub money_left_cents: Option<Cents>,
}

impl Submission {
    /// An application as the contract publishes it, with the household's `inputs` (from this
    /// service's store, opened while the household's key lives): what the engine reproduces a
    /// decision from.
    pub fn of_contract(
        application: &kindpakket_proto::application::ApplicationSubmitted,
        inputs: &AssessmentInputs,
    ) -> Self {
        Submission {
            application_id: application.application_id,
            children: application.children.clone(),
            requested_provisions: application.requested_provisions.clone(),
            submitted_on: application.submitted_on,
            income_percent: inputs.income_percent,
            adults: inputs.adults,
            money_left_cents: inputs.money_left_cents,
        }
    }
}

/// An eligibility assessment: the regeling version applied and the outcome per child and provision,
/// enough to reproduce the decision and explain it to the family. The service's own type: what of
/// it is published is [`kindpakket_proto::application::Assessment`] (codes only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub regeling_id: Uuid,
    pub income_percent: u16,
    pub outcomes: Vec<Outcome>,
    /// The written motivation when an authorised organisation granted outside the rules (maatwerk).
    pub custom_motivation: Option<String>,
}

impl Assessment {
    /// The assessment as the contract publishes it: the regeling version, the outcomes as codes and
    /// amounts, whether maatwerk or a grant by hand.
    pub fn contract(&self, by_hand: bool) -> kindpakket_proto::application::Assessment {
        kindpakket_proto::application::Assessment {
            regeling_id: self.regeling_id,
            outcomes: self
                .outcomes
                .iter()
                .map(|outcome| kindpakket_proto::application::Outcome {
                    child: outcome.child,
                    provision: outcome.provision.clone(),
                    granted: outcome.granted,
                    amount_cents: outcome.amount_cents,
                    reason: outcome.reason.clone(),
                    funder: outcome.funder.clone(),
                })
                .collect(),
            custom: self.custom_motivation.is_some(),
            by_hand,
        }
    }
}

/// One child and one provision: granted or not, how much, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub granted: bool,
    /// The share of the provision's value granted (100 in full, 50 for half on a sliding scale).
    pub share_percent: u8,
    pub amount_cents: Cents,
    /// A stable code for the reason (e.g. `within_threshold`, `above_threshold`, `outside_age_band`).
    pub reason: String,
    /// The reason in plain Dutch (B1), as the family reads it.
    pub explanation: String,
    /// Who pays, when granted.
    pub funder: Option<Funder>,
}

/// A grant outside the rules by an authorised organisation, with its written motivation (maatwerk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomDecision {
    pub motivation: String,
    /// The child and provision pairs granted in full whatever the rules say.
    pub grants: Vec<(ChildRef, ProvisionCode)>,
}

/// A grant made before (in any application of the regeling's gemeenten): it uses budget, and the
/// same child is not funded twice for the same provision in the same period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorGrant {
    pub application_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    /// The days the grant is valid, both ends included.
    pub period: Period,
    pub amount_cents: Cents,
    pub funder: Option<Funder>,
    pub co_financing: Option<CoFinancing>,
}

/// Why an application cannot be assessed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessmentError {
    #[error("De regeling geldt niet op de aanvraagdatum {0}.")]
    RegelingNotInForce(Date),
    #[error("De voorziening '{0}' staat niet in de regeling.")]
    UnknownProvision(ProvisionCode),
    #[error("De voorziening '{0}' kan alleen met het hele pakket worden aangevraagd.")]
    OnlyAsPackage(ProvisionCode),
    #[error("De voorziening '{code}' is voor kinderen van {min_age} tot en met {max_age} jaar; geen kind in deze aanvraag is zo oud.")]
    NoChildInAgeBand {
        code: ProvisionCode,
        min_age: u8,
        max_age: u8,
    },
    #[error("Maatwerk vraagt om een geschreven motivatie.")]
    MissingMotivation,
    #[error("Maatwerk noemt een kind of voorziening die niet in de aanvraag staat.")]
    CustomGrantOutsideApplication,
    #[error("Een toekenning bevat ten minste één recht.")]
    NoEntitlements,
    #[error("Recht {0}: dit kind staat niet in de aanvraag.")]
    UnknownChild(usize),
    #[error(
        "Recht {0}: deze voorziening staat niet in de regeling die op de aanvraagdatum geldt."
    )]
    NotInRegeling(usize),
    #[error("Recht {0}: deze voorziening is niet aangevraagd.")]
    NotRequested(usize),
    #[error("Recht {0}: het bedrag moet groter zijn dan 0 cent.")]
    InvalidAmount(usize),
    #[error("Recht {0}: deze voorziening is een aantal (strippen); het bedrag moet een geheel aantal keer de waarde van één strip zijn.")]
    NotWholeUnits(usize),
    #[error("Recht {0}: hetzelfde kind krijgt deze voorziening al eerder in deze toekenning.")]
    DuplicateEntitlement(usize),
    #[error("Recht {0}: dit kind heeft deze voorziening voor deze periode al gekregen; dezelfde kosten worden niet twee keer vergoed.")]
    AlreadyGranted(usize),
    #[error("Recht {0}: geen financier van deze voorziening heeft nog budget voor dit bedrag.")]
    NoBudgetRoom(usize),
    #[error("Recht {0}: deze voorziening is een gezinstegoed; het gezin krijgt één bedrag. Geef elk kind van het gezin hetzelfde bedrag als het eerste.")]
    HouseholdAmountDiffers(usize),
}

impl AssessmentError {
    /// Whether the refusal follows from earlier decisions (funded before, budget spent) rather than
    /// from what was asked.
    pub fn conflicts_with_earlier_grants(&self) -> bool {
        matches!(
            self,
            AssessmentError::AlreadyGranted(_) | AssessmentError::NoBudgetRoom(_)
        )
    }
}

/// The reason code of an outcome the regievoerder granted by hand.
pub const GRANTED_BY_HAND: &str = "granted_by_hand";

/// One entitlement the regievoerder grants by hand: a child, a provision and the amount chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandGrant {
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub amount_cents: Cents,
}

/// Whether an assessment records a decision given by hand ([`grant_by_hand`]).
pub fn given_by_hand(assessment: &Assessment) -> bool {
    !assessment.outcomes.is_empty()
        && assessment
            .outcomes
            .iter()
            .all(|outcome| outcome.reason == GRANTED_BY_HAND)
}

/// The choices a decision by hand recorded (as the contract publishes it), in their order: with the
/// regeling version, the application and the earlier grants they reproduce it through
/// [`grant_by_hand`] (which needs none of the household's inputs).
pub fn hand_grants_of(assessment: &kindpakket_proto::application::Assessment) -> Vec<HandGrant> {
    assessment
        .outcomes
        .iter()
        .map(|outcome| HandGrant {
            child: outcome.child,
            provision: outcome.provision.clone(),
            amount_cents: outcome.amount_cents,
        })
        .collect()
}

/// A decision the regievoerder gives by hand, taken through the same path as an assessment: the
/// regeling version must be in force on the application date, every provision must be in its
/// catalogue (and asked for, unless the whole package was), every child in the application, every
/// amount above zero (in whole units for a count); then who pays is decided as for an assessment
/// (the first funder with budget room) and nothing is funded twice. Any chosen entitlement that
/// cannot be funded refuses the whole decision: a grant by hand is all or nothing.
pub fn grant_by_hand(
    regeling: &RegelingPublished,
    application: &Submission,
    chosen: &[HandGrant],
    prior_grants: &[PriorGrant],
) -> Result<Assessment, AssessmentError> {
    let on = application.submitted_on;
    if on < regeling.valid_from || on > regeling.valid_until {
        return Err(AssessmentError::RegelingNotInForce(on));
    }
    if chosen.is_empty() {
        return Err(AssessmentError::NoEntitlements);
    }
    let mut seen = HashSet::new();
    let mut household_amounts: HashMap<ProvisionCode, Cents> = HashMap::new();
    let mut outcomes = Vec::with_capacity(chosen.len());
    for (index, grant) in chosen.iter().enumerate() {
        let number = index + 1;
        if !application
            .children
            .iter()
            .any(|child| child.child == grant.child)
        {
            return Err(AssessmentError::UnknownChild(number));
        }
        let provision = regeling
            .provisions
            .iter()
            .find(|provision| provision.code == grant.provision)
            .ok_or(AssessmentError::NotInRegeling(number))?;
        let whole_package = application.requested_provisions.is_empty();
        if !whole_package && !application.requested_provisions.contains(&grant.provision) {
            return Err(AssessmentError::NotRequested(number));
        }
        if !grant.amount_cents.is_positive() {
            return Err(AssessmentError::InvalidAmount(number));
        }
        if let Some(unit) = provision
            .unit_value_cents()
            .filter(|unit| unit.is_positive())
        {
            if grant.amount_cents.get() % unit.get() != 0 {
                return Err(AssessmentError::NotWholeUnits(number));
            }
        }
        if !seen.insert((grant.child, grant.provision.clone())) {
            return Err(AssessmentError::DuplicateEntitlement(number));
        }
        // A household budget is one amount for the household: the children named with it share it.
        if provision.per_household {
            let first = *household_amounts
                .entry(provision.code.clone())
                .or_insert(grant.amount_cents);
            if first != grant.amount_cents {
                return Err(AssessmentError::HouseholdAmountDiffers(number));
            }
        }
        outcomes.push(Outcome {
            child: grant.child,
            provision: provision.code.clone(),
            granted: true,
            share_percent: share_of(grant.amount_cents, provision.value_cents),
            amount_cents: grant.amount_cents,
            reason: GRANTED_BY_HAND.to_owned(),
            explanation: format!(
                "Een medewerker van de gemeente heeft besloten dat u {} krijgt: {}.",
                provision.name,
                euro(grant.amount_cents)
            ),
            funder: None,
        });
    }
    fund(regeling, application, &mut outcomes, prior_grants);
    if let Some(index) = outcomes.iter().position(|outcome| !outcome.granted) {
        let number = index + 1;
        return Err(if outcomes[index].reason == "already_granted" {
            AssessmentError::AlreadyGranted(number)
        } else {
            AssessmentError::NoBudgetRoom(number)
        });
    }
    Ok(Assessment {
        regeling_id: regeling.regeling_id,
        income_percent: application.income_percent,
        outcomes,
        custom_motivation: None,
    })
}

/// The share of a provision's value an amount is, in whole percents, at most 100.
fn share_of(amount: Cents, value: Cents) -> u8 {
    if !value.is_positive() {
        return 100;
    }
    let percent = (i128::from(amount.get()) * 100 / i128::from(value.get())).clamp(0, 100);
    u8::try_from(percent).unwrap_or(100)
}

/// Assesses every requested provision (all of them for the whole package) for every child.
pub fn assess(
    regeling: &RegelingPublished,
    application: &Submission,
    custom: Option<&CustomDecision>,
    prior_grants: &[PriorGrant],
) -> Result<Assessment, AssessmentError> {
    let on = application.submitted_on;
    if on < regeling.valid_from || on > regeling.valid_until {
        return Err(AssessmentError::RegelingNotInForce(on));
    }
    let provisions: Vec<&Provision> = if application.requested_provisions.is_empty() {
        regeling.provisions.iter().collect()
    } else {
        let mut asked = Vec::new();
        for code in &application.requested_provisions {
            let provision = regeling
                .provisions
                .iter()
                .find(|provision| &provision.code == code)
                .ok_or_else(|| AssessmentError::UnknownProvision(code.clone()))?;
            if !provision.requestable_separately {
                return Err(AssessmentError::OnlyAsPackage(code.clone()));
            }
            let band = provision.target_group;
            let any_child_in_band = application.children.iter().any(|child| {
                age_on(child, on).is_some_and(|age| {
                    age >= i32::from(band.min_age) && age <= i32::from(band.max_age)
                })
            });
            if !any_child_in_band {
                return Err(AssessmentError::NoChildInAgeBand {
                    code: code.clone(),
                    min_age: band.min_age,
                    max_age: band.max_age,
                });
            }
            asked.push(provision);
        }
        asked
    };
    if let Some(custom) = custom {
        if custom.motivation.trim().is_empty() {
            return Err(AssessmentError::MissingMotivation);
        }
        let known = custom.grants.iter().all(|(child, code)| {
            application.children.iter().any(|c| &c.child == child)
                && provisions.iter().any(|p| &p.code == code)
        });
        if !known {
            return Err(AssessmentError::CustomGrantOutsideApplication);
        }
    }
    let mut outcomes = Vec::new();
    for child in &application.children {
        for provision in &provisions {
            let by_rules = assess_one(regeling, application, child, provision, on);
            let overridden = custom.filter(|custom| {
                !by_rules.granted
                    && custom.grants.iter().any(|(granted_child, code)| {
                        granted_child == &child.child && code == &provision.code
                    })
            });
            outcomes.push(match overridden {
                Some(custom) => Outcome {
                    child: child.child,
                    provision: provision.code.clone(),
                    granted: true,
                    share_percent: 100,
                    amount_cents: provision.value_cents,
                    reason: "custom_decision".to_owned(),
                    explanation: format!(
                        "Volgens de regels kon u {} niet krijgen. Een medewerker heeft besloten dat u het toch krijgt: {} U krijgt {}.",
                        provision.name,
                        custom.motivation.trim(),
                        euro(provision.value_cents)
                    ),
                    funder: None,
                },
                None => by_rules,
            });
        }
    }
    fund(regeling, application, &mut outcomes, prior_grants);
    Ok(Assessment {
        regeling_id: regeling.regeling_id,
        income_percent: application.income_percent,
        outcomes,
        custom_motivation: custom.map(|custom| custom.motivation.trim().to_owned()),
    })
}

fn assess_one(
    regeling: &RegelingPublished,
    application: &Submission,
    child: &ApplicantChild,
    provision: &Provision,
    on: Date,
) -> Outcome {
    let outcome = |granted: bool, share_percent: u8, reason: &str, explanation: String| Outcome {
        child: child.child,
        provision: provision.code.clone(),
        granted,
        share_percent,
        amount_cents: if granted {
            provision.value_cents.percent(u32::from(share_percent))
        } else {
            Cents::ZERO
        },
        reason: reason.to_owned(),
        explanation,
        funder: None,
    };
    let name = &provision.name;
    let age = age_on(child, on).unwrap_or(-1);
    let band = provision.target_group;
    if age < i32::from(band.min_age) || age > i32::from(band.max_age) {
        return outcome(
            false,
            0,
            "outside_age_band",
            format!(
                "{name} is voor kinderen van {} tot en met {} jaar. Uw kind is {age} jaar. Daarom kan uw kind dit niet krijgen.",
                band.min_age, band.max_age
            ),
        );
    }
    if let Some(group) = provision.specific_group {
        if !in_group(group, child.school) {
            let explanation = match child.school {
                None => format!(
                    "{name} is alleen voor {}. Wij weten niet naar welke school uw kind gaat. Vertel het ons, dan kijken we opnieuw.",
                    group_name(group)
                ),
                Some(_) => format!("{name} is alleen voor {}. Uw kind hoort daar niet bij.", group_name(group)),
            };
            return outcome(false, 0, "not_in_target_group", explanation);
        }
    }
    let income = application.income_percent;
    let threshold = regeling
        .thresholds_by_age
        .iter()
        .find(|threshold| {
            age >= i32::from(threshold.ages.min_age) && age <= i32::from(threshold.ages.max_age)
        })
        .map(|threshold| threshold.percent)
        .or(match regeling.income_threshold {
            IncomeThreshold::PercentOfSocialMinimum { percent } => Some(percent),
            IncomeThreshold::IndividualCircumstances => None,
        });
    let Some(threshold) = threshold else {
        return outcome(
            false,
            0,
            "individual_assessment",
            format!(
                "In deze gemeente kijkt een medewerker naar uw situatie. Er is geen vaste inkomensgrens. Een medewerker beslist over {name}."
            ),
        );
    };
    if income <= threshold {
        return outcome(
            true,
            100,
            "within_threshold",
            format!(
                "Uw inkomen is {income}% van het sociaal minimum. De grens is {threshold}%. U krijgt {name} helemaal vergoed: {}.",
                euro(provision.value_cents)
            ),
        );
    }
    if let Some(band) = regeling
        .sliding_scale
        .iter()
        .find(|band| income <= band.up_to_percent)
    {
        let amount = provision.value_cents.percent(u32::from(band.share_percent));
        return outcome(
            true,
            band.share_percent,
            "sliding_scale",
            format!(
                "Uw inkomen is {income}% van het sociaal minimum. Dat is meer dan de grens van {threshold}%, maar niet meer dan {}%. Daarom krijgt u {}% van {name} vergoed: {}.",
                band.up_to_percent,
                band.share_percent,
                euro(amount)
            ),
        );
    }
    if let (Some(rule), Some(left), Some(adults)) = (
        regeling.disposable_income_rule,
        application.money_left_cents,
        application.adults,
    ) {
        let extra_adults = i64::from(adults.saturating_sub(1));
        let margin = rule.first_adult_cents
            + rule.second_adult_cents.times(extra_adults)
            + rule
                .per_child_cents
                .times(application.children.len() as i64);
        if adults >= 1 && left < margin {
            return outcome(
                true,
                100,
                "disposable_income",
                format!(
                    "Uw inkomen is hoger dan de grens van {threshold}%. Maar na vaste lasten en aflossingen houdt u {} per week over. Dat is minder dan {} voor uw gezin. Daarom krijgt u {name} toch helemaal vergoed: {}.",
                    euro(left),
                    euro(margin),
                    euro(provision.value_cents)
                ),
            );
        }
    }
    outcome(
        false,
        0,
        "above_threshold",
        format!(
            "Uw inkomen is {income}% van het sociaal minimum. De grens is {threshold}%. Daarom kunt u {name} niet krijgen. Heeft u schulden of hoge vaste lasten? Vraag dan of maatwerk mogelijk is."
        ),
    )
}

/// Decides who pays for each granted outcome, and refuses what was funded before: the first funder in
/// the provision's order whose budget (for this provision or its type, from its source) still has room
/// after earlier grants and the outcomes before it in this assessment.
fn fund(
    regeling: &RegelingPublished,
    application: &Submission,
    outcomes: &mut [Outcome],
    prior_grants: &[PriorGrant],
) {
    // The regeling's own period, as published (validated before publication).
    let regeling_period = Period {
        from: regeling.valid_from,
        until: regeling.valid_until,
    };
    let in_period = |grant: &PriorGrant| grant.period.overlaps(&regeling_period);
    let provision_of = |code: &ProvisionCode| {
        regeling
            .provisions
            .iter()
            .find(|provision| &provision.code == code)
    };
    // What each funder has committed per provision: a co-financed grant commits each funder's part.
    let mut committed: Vec<(Funder, ProvisionCode, Cents)> = prior_grants
        .iter()
        .filter(|grant| in_period(grant))
        .filter(|grant| grant.funder.is_some())
        .flat_map(|grant| {
            split_funding(
                grant.amount_cents,
                grant.funder.as_ref(),
                grant.co_financing.as_ref(),
            )
            .into_iter()
            .map(|part| (part.funder, grant.provision.clone(), part.amount_cents))
        })
        .collect();
    // A household budget (gezinstegoed) is funded once, for the first child granted it; the
    // children granted it after that share it, at no further cost to any budget.
    let mut household_funders: HashMap<ProvisionCode, Option<Funder>> = HashMap::new();
    for outcome in outcomes.iter_mut().filter(|outcome| outcome.granted) {
        let Some(provision) = provision_of(&outcome.provision) else {
            continue;
        };
        let funded_before = prior_grants.iter().find(|grant| {
            grant.application_id != application.application_id
                && grant.child == outcome.child
                && grant.provision == outcome.provision
                && in_period(grant)
        });
        if funded_before.is_none() && provision.per_household {
            if let Some(funder) = household_funders.get(&provision.code) {
                outcome.funder = funder.clone();
                outcome.explanation = format!(
                    "{} {} is een gezinstegoed: uw kinderen delen samen één bedrag.",
                    outcome.explanation, provision.name
                );
                continue;
            }
        }
        if funded_before.is_some() {
            *outcome = Outcome {
                granted: false,
                share_percent: 0,
                amount_cents: Cents::ZERO,
                reason: "already_granted".to_owned(),
                explanation: format!(
                    "Uw kind heeft {} voor deze periode al gekregen. Dezelfde kosten vergoeden wij niet twee keer.",
                    provision.name
                ),
                funder: None,
                ..outcome.clone()
            };
            continue;
        }
        if provision.funders.is_empty() {
            if provision.per_household {
                household_funders.insert(provision.code.clone(), None);
            }
            continue;
        }
        let has_room =
            |funder: &Funder, amount_cents: Cents, committed: &[(Funder, ProvisionCode, Cents)]| {
                let budget = regeling
                    .budgets
                    .iter()
                    .filter(|budget| budget.source == funder.source && budget.covers(provision))
                    .min_by_key(|budget| budget.provision.is_none());
                let Some(budget) = budget else {
                    return true;
                };
                let used: Cents = committed
                    .iter()
                    .filter(|(earlier, code, _)| {
                        earlier.source == budget.source
                            && provision_of(code).is_some_and(|p| budget.covers(p))
                    })
                    .map(|(_, _, amount)| amount)
                    .sum();
                used + amount_cents <= budget.amount_cents
            };
        // The first funder with room for its part pays, when the co-funder (if any) has room for its
        // part too.
        let parts_with_room = |funder: &Funder| {
            let parts = split_funding(
                outcome.amount_cents,
                Some(funder),
                provision.co_financing.as_ref(),
            );
            let mut trial = committed.clone();
            for part in &parts {
                if !has_room(&part.funder, part.amount_cents, &trial) {
                    return None;
                }
                trial.push((
                    part.funder.clone(),
                    outcome.provision.clone(),
                    part.amount_cents,
                ));
            }
            Some(trial)
        };
        match provision
            .funders
            .iter()
            .find_map(|funder| parts_with_room(funder).map(|trial| (funder, trial)))
        {
            Some((funder, trial)) => {
                committed = trial;
                outcome.funder = Some(funder.clone());
                if provision.per_household {
                    household_funders.insert(provision.code.clone(), outcome.funder.clone());
                }
            }
            None => {
                *outcome = Outcome {
                    granted: false,
                    share_percent: 0,
                    amount_cents: Cents::ZERO,
                    reason: "budget_spent".to_owned(),
                    explanation: format!(
                        "Het geld voor {} is dit jaar op. Vraag de gemeente of er een andere mogelijkheid is.",
                        provision.name
                    ),
                    funder: None,
                    ..outcome.clone()
                };
            }
        }
    }
}

fn in_group(group: SpecificGroup, school: Option<SchoolLevel>) -> bool {
    matches!(
        (group, school),
        (SpecificGroup::Brugklas, Some(SchoolLevel::Brugklas))
            | (SpecificGroup::PrimarySchool, Some(SchoolLevel::Primary))
            | (
                SpecificGroup::SecondarySchool,
                Some(SchoolLevel::Brugklas | SchoolLevel::Secondary)
            )
            | (SpecificGroup::MboUnder18, Some(SchoolLevel::Mbo))
    )
}

fn group_name(group: SpecificGroup) -> &'static str {
    match group {
        SpecificGroup::Brugklas => "kinderen in de brugklas",
        SpecificGroup::PrimarySchool => "kinderen op de basisschool",
        SpecificGroup::SecondarySchool => "kinderen op de middelbare school",
        SpecificGroup::MboUnder18 => "jongeren op het mbo die jonger zijn dan 18",
    }
}

/// An amount as families read it in an explanation: `€ 12,50`, `€ 1200,00`. Without the thousands
/// separator of [`Cents::euro`]: explanations are recorded in the decision events and must read the
/// same when a decision is reproduced.
pub fn euro(amount: Cents) -> String {
    let cents = amount.get();
    format!("€ {},{:02}", cents / 100, (cents % 100).abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kindpakket_proto::regie::{
        AgeBand, AgeThreshold, DeliveryForm, DisposableIncomeRule, ProvisionType, ScaleBand,
    };
    use kindpakket_proto::GemeenteCode;
    use time::macros::date;
    use uuid::Uuid;

    const APPLIED_ON: Date = date!(2026 - 09 - 01);

    fn provision(code: &str, name: &str, ages: (u8, u8), value_cents: i64) -> Provision {
        let value_cents = Cents(value_cents);
        Provision {
            code: ProvisionCode::parse(code).unwrap(),
            name: name.to_owned(),
            provision_type: ProvisionType::Participation,
            target_group: AgeBand {
                min_age: ages.0,
                max_age: ages.1,
            },
            value_cents,
            form: DeliveryForm::InKind,
            specific_group: None,
            requestable_separately: true,
            funders: vec![],
            co_financing: None,
            units: None,
            per_household: false,
        }
    }

    fn regeling(threshold: IncomeThreshold, provisions: Vec<Provision>) -> RegelingPublished {
        RegelingPublished {
            regeling_id: Uuid::from_u128(2026),
            gemeenten: vec![GemeenteCode::parse("GM0518").unwrap()],
            year: 2026,
            valid_from: date!(2026 - 01 - 01),
            valid_until: date!(2026 - 12 - 31),
            income_threshold: threshold,
            provisions,
            thresholds_by_age: vec![],
            sliding_scale: vec![],
            disposable_income_rule: None,
            budgets: vec![],
            declaration_sample_percent: None,
        }
    }

    fn percent(percent: u16) -> IncomeThreshold {
        IncomeThreshold::PercentOfSocialMinimum { percent }
    }

    fn sport() -> Provision {
        provision("sportcontributie", "Sportcontributie", (4, 17), 30_000)
    }

    /// A child who is `age` on the application date.
    fn child(number: u128, age: i32, school: Option<SchoolLevel>) -> ApplicantChild {
        ApplicantChild {
            child: ChildRef(Uuid::from_u128(number)),
            birth_year: APPLIED_ON.year() - age,
            birth_month: 1,
            school,
        }
    }

    fn application(
        income_percent: u16,
        children: Vec<ApplicantChild>,
        requested: &[&str],
    ) -> Submission {
        Submission {
            application_id: Uuid::from_u128(77),
            children,
            income_percent,
            requested_provisions: requested
                .iter()
                .map(|code| ProvisionCode::parse(code).unwrap())
                .collect(),
            submitted_on: APPLIED_ON,
            adults: None,
            money_left_cents: None,
        }
    }

    fn only(assessment: &Assessment) -> &Outcome {
        assert_eq!(assessment.outcomes.len(), 1, "{assessment:?}");
        &assessment.outcomes[0]
    }

    #[test]
    fn each_allowed_threshold_grants_up_to_and_refuses_above_it() {
        for threshold in [110, 115, 120, 125, 130] {
            let regeling = regeling(percent(threshold), vec![sport()]);
            let at = assess(
                &regeling,
                &application(threshold, vec![child(1, 9, None)], &[]),
                None,
                &[],
            )
            .unwrap();
            assert!(only(&at).granted, "{threshold}%: {at:?}");
            assert_eq!(only(&at).amount_cents, Cents(30_000));
            assert_eq!(only(&at).reason, "within_threshold");
            let above = assess(
                &regeling,
                &application(threshold + 1, vec![child(1, 9, None)], &[]),
                None,
                &[],
            )
            .unwrap();
            assert!(!only(&above).granted, "{threshold}% + 1");
            assert_eq!(only(&above).reason, "above_threshold");
            assert!(only(&above)
                .explanation
                .contains(&format!("De grens is {threshold}%")));
        }
    }

    #[test]
    fn where_individual_circumstances_decide_the_rules_grant_nothing_and_maatwerk_does() {
        let regeling = regeling(IncomeThreshold::IndividualCircumstances, vec![sport()]);
        let family = application(100, vec![child(1, 9, None)], &[]);
        let by_rules = assess(&regeling, &family, None, &[]).unwrap();
        assert_eq!(only(&by_rules).reason, "individual_assessment");
        let custom = CustomDecision {
            motivation: "Keukentafelgesprek: het gezin kan de contributie niet betalen.".to_owned(),
            grants: vec![(ChildRef(Uuid::from_u128(1)), sport().code)],
        };
        let decided = assess(&regeling, &family, Some(&custom), &[]).unwrap();
        assert!(only(&decided).granted);
        assert_eq!(only(&decided).reason, "custom_decision");
    }

    #[test]
    fn the_overijssel_strippenkaart_pays_in_full_up_to_110_and_half_up_to_120() {
        let mut strippenkaart = regeling(
            percent(110),
            vec![provision("strippenkaart", "Strippenkaart", (0, 17), 20_000)],
        );
        strippenkaart.sliding_scale = vec![ScaleBand {
            up_to_percent: 120,
            share_percent: 50,
        }];
        let outcome_at = |income| {
            let assessment = assess(
                &strippenkaart,
                &application(income, vec![child(1, 10, None)], &[]),
                None,
                &[],
            )
            .unwrap();
            only(&assessment).clone()
        };
        assert_eq!(
            (outcome_at(110).share_percent, outcome_at(110).amount_cents),
            (100, Cents(20_000))
        );
        let half = outcome_at(115);
        assert_eq!(
            (half.granted, half.share_percent, half.amount_cents),
            (true, 50, Cents(10_000))
        );
        assert_eq!(half.reason, "sliding_scale");
        assert!(
            half.explanation.contains("50% van Strippenkaart"),
            "{}",
            half.explanation
        );
        assert_eq!(outcome_at(120).share_percent, 50);
        assert!(!outcome_at(121).granted);
    }

    #[test]
    fn the_limburg_family_in_debt_restructuring_is_granted_by_maatwerk_through_leergeld() {
        let regeling = regeling(
            percent(120),
            vec![
                sport(),
                provision("schoolspullen", "Schoolspullen", (4, 17), 7_500),
            ],
        );
        let family = application(
            135,
            vec![child(1, 10, None), child(2, 14, None)],
            &["sportcontributie"],
        );
        let by_rules = assess(&regeling, &family, None, &[]).unwrap();
        assert!(by_rules.outcomes.iter().all(|outcome| !outcome.granted));
        let maatwerk = CustomDecision {
            motivation: "Gezin in schuldhulpverlening; het netto besteedbaar inkomen is te laag (Stichting Leergeld, huisbezoek).".to_owned(),
            grants: vec![(ChildRef(Uuid::from_u128(1)), sport().code), (ChildRef(Uuid::from_u128(2)), sport().code)],
        };
        let decided = assess(&regeling, &family, Some(&maatwerk), &[]).unwrap();
        assert_eq!(
            decided.outcomes.len(),
            2,
            "only the requested provision, for both children"
        );
        assert!(decided
            .outcomes
            .iter()
            .all(|outcome| outcome.granted && outcome.reason == "custom_decision"));
        assert_eq!(
            decided.custom_motivation.as_deref(),
            Some(maatwerk.motivation.as_str())
        );
        let without_motivation = CustomDecision {
            motivation: "  ".to_owned(),
            ..maatwerk
        };
        assert_eq!(
            assess(&regeling, &family, Some(&without_motivation), &[]),
            Err(AssessmentError::MissingMotivation)
        );
    }

    #[test]
    fn the_age_bands_of_the_provisions_are_applied_per_child() {
        let mut library = provision("bibliotheekpas", "Bibliotheekpas", (16, 17), 4_000);
        library.provision_type = ProvisionType::Other;
        let mut bike = provision(
            "fiets-brugklas",
            "Fiets voor brugklassers",
            (10, 15),
            15_000,
        );
        bike.specific_group = Some(SpecificGroup::Brugklas);
        let regeling = regeling(
            percent(120),
            vec![
                provision("verjaardagsbox", "Verjaardagsbox", (4, 12), 2_500),
                library,
                bike,
            ],
        );
        // Asked as part of the whole package: a child outside a band is told why, per provision.
        let granted = |age: i32, school: Option<SchoolLevel>, code: &str| {
            let assessment = assess(
                &regeling,
                &application(100, vec![child(1, age, school)], &[]),
                None,
                &[],
            )
            .unwrap();
            assessment
                .outcomes
                .iter()
                .find(|outcome| outcome.provision.as_str() == code)
                .unwrap()
                .clone()
        };
        assert!(!granted(3, None, "verjaardagsbox").granted);
        assert!(granted(4, None, "verjaardagsbox").granted);
        assert!(granted(12, None, "verjaardagsbox").granted);
        let thirteen = granted(13, None, "verjaardagsbox");
        assert_eq!(thirteen.reason, "outside_age_band");
        assert!(thirteen
            .explanation
            .contains("van 4 tot en met 12 jaar. Uw kind is 13 jaar"));
        assert!(!granted(15, None, "bibliotheekpas").granted);
        assert!(granted(16, None, "bibliotheekpas").granted);
        assert!(granted(12, Some(SchoolLevel::Brugklas), "fiets-brugklas").granted);
        assert_eq!(
            granted(12, Some(SchoolLevel::Primary), "fiets-brugklas").reason,
            "not_in_target_group"
        );
        assert!(granted(12, None, "fiets-brugklas")
            .explanation
            .contains("Vertel het ons"));
    }

    #[test]
    fn rotterdam_holds_young_children_to_110_and_teenagers_to_130() {
        let mut rotterdam = regeling(percent(120), vec![sport()]);
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
        let family = application(125, vec![child(1, 8, None), child(2, 14, None)], &[]);
        let assessment = assess(&rotterdam, &family, None, &[]).unwrap();
        let young = &assessment.outcomes[0];
        let teenager = &assessment.outcomes[1];
        assert!(!young.granted && young.explanation.contains("De grens is 110%"));
        assert!(teenager.granted && teenager.explanation.contains("De grens is 130%"));
    }

    #[test]
    fn noordwest_fryslan_grants_when_too_little_is_left_after_fixed_costs() {
        let mut regeling = regeling(percent(120), vec![sport()]);
        regeling.disposable_income_rule = Some(DisposableIncomeRule {
            first_adult_cents: Cents(18_000),
            second_adult_cents: Cents(6_000),
            per_child_cents: Cents(5_000),
        });
        // Two adults and two children: a margin of €180 + €60 + 2 × €50 = €340 a week.
        let family = |left: i64| Submission {
            adults: Some(2),
            money_left_cents: Some(Cents(left)),
            ..application(135, vec![child(1, 6, None), child(2, 9, None)], &[])
        };
        let short = assess(&regeling, &family(30_000), None, &[]).unwrap();
        assert!(short
            .outcomes
            .iter()
            .all(|outcome| outcome.granted && outcome.reason == "disposable_income"));
        assert!(
            short.outcomes[0].explanation.contains("€ 340,00"),
            "{}",
            short.outcomes[0].explanation
        );
        let enough = assess(&regeling, &family(34_000), None, &[]).unwrap();
        assert!(enough.outcomes.iter().all(|outcome| !outcome.granted));
    }

    #[test]
    fn unknown_or_package_only_provisions_and_other_years_are_refused() {
        let mut box_only_in_package = provision("verjaardagsbox", "Verjaardagsbox", (4, 12), 2_500);
        box_only_in_package.requestable_separately = false;
        let regeling = regeling(percent(120), vec![sport(), box_only_in_package]);
        assert_eq!(
            assess(
                &regeling,
                &application(100, vec![child(1, 9, None)], &["zwemles"]),
                None,
                &[]
            ),
            Err(AssessmentError::UnknownProvision(
                ProvisionCode::parse("zwemles").unwrap()
            ))
        );
        assert!(matches!(
            assess(
                &regeling,
                &application(100, vec![child(1, 9, None)], &["verjaardagsbox"]),
                None,
                &[]
            ),
            Err(AssessmentError::OnlyAsPackage(_))
        ));
        let whole_package = assess(
            &regeling,
            &application(100, vec![child(1, 9, None)], &[]),
            None,
            &[],
        )
        .unwrap();
        assert_eq!(whole_package.outcomes.len(), 2);
        let next_year = Submission {
            submitted_on: date!(2027 - 01 - 05),
            ..application(100, vec![child(1, 9, None)], &[])
        };
        assert!(matches!(
            assess(&regeling, &next_year, None, &[]),
            Err(AssessmentError::RegelingNotInForce(_))
        ));
    }

    #[test]
    fn an_assessment_is_reproduced_exactly_from_the_same_regeling_and_application() {
        let mut regeling = regeling(percent(110), vec![sport()]);
        regeling.sliding_scale = vec![ScaleBand {
            up_to_percent: 120,
            share_percent: 50,
        }];
        let family = application(117, vec![child(1, 9, None), child(2, 3, None)], &[]);
        assert_eq!(
            assess(&regeling, &family, None, &[]),
            assess(&regeling, &family, None, &[])
        );
    }

    fn funder(organisation: &str, source: kindpakket_proto::regie::FundingSource) -> Funder {
        Funder {
            organisation: kindpakket_proto::OrganisationId::parse(organisation).unwrap(),
            source,
        }
    }

    fn prior(
        application: u128,
        child_number: u128,
        year: i32,
        funder: Option<Funder>,
    ) -> PriorGrant {
        PriorGrant {
            application_id: Uuid::from_u128(application),
            child: ChildRef(Uuid::from_u128(child_number)),
            provision: sport().code,
            period: Period::year(year).unwrap(),
            amount_cents: Cents(30_000),
            funder,
            co_financing: None,
        }
    }

    #[test]
    fn the_first_funder_with_budget_left_pays_and_nobody_else() {
        use kindpakket_proto::regie::{Budget, FundingSource};
        let jeugdfonds = funder("jeugdfonds-sport-cultuur", FundingSource::ExternalFunds);
        let gemeente = funder("gemeente-maastricht", FundingSource::Municipal);
        let mut sport_first_by_jeugdfonds = sport();
        sport_first_by_jeugdfonds.funders = vec![jeugdfonds.clone(), gemeente.clone()];
        let mut regeling = regeling(percent(120), vec![sport_first_by_jeugdfonds]);
        // The Jeugdfonds pays for two children this year; one was granted already.
        regeling.budgets = vec![Budget {
            provision: Some(sport().code),
            provision_type: None,
            source: FundingSource::ExternalFunds,
            amount_cents: Cents(60_000),
        }];
        let earlier = [prior(1, 90, 2026, Some(jeugdfonds.clone()))];
        let family = application(100, vec![child(1, 9, None), child(2, 11, None)], &[]);
        let assessment = assess(&regeling, &family, None, &earlier).unwrap();
        assert_eq!(
            assessment.outcomes[0].funder,
            Some(jeugdfonds),
            "the voorliggende voorziening pays first"
        );
        assert_eq!(
            assessment.outcomes[1].funder,
            Some(gemeente),
            "its budget is spent: the gemeente pays"
        );
        assert!(assessment.outcomes.iter().all(|outcome| outcome.granted));
    }

    #[test]
    fn when_every_funder_has_spent_its_budget_nothing_is_granted_and_the_family_is_told() {
        use kindpakket_proto::regie::{Budget, FundingSource};
        let gemeente = funder("gemeente-maastricht", FundingSource::Municipal);
        let mut funded = sport();
        funded.funders = vec![gemeente.clone()];
        let mut regeling = regeling(percent(120), vec![funded]);
        regeling.budgets = vec![Budget {
            provision: None,
            provision_type: Some(kindpakket_proto::regie::ProvisionType::Participation),
            source: FundingSource::Municipal,
            amount_cents: Cents(30_000),
        }];
        let earlier = [prior(1, 90, 2026, Some(gemeente.clone()))];
        let outcome = assess(
            &regeling,
            &application(100, vec![child(1, 9, None)], &[]),
            None,
            &earlier,
        )
        .unwrap();
        assert!(!only(&outcome).granted);
        assert_eq!(only(&outcome).reason, "budget_spent");
        // Last year's grants do not use this year's budget.
        let last_year = [prior(1, 90, 2025, Some(gemeente))];
        let outcome = assess(
            &regeling,
            &application(100, vec![child(1, 9, None)], &[]),
            None,
            &last_year,
        )
        .unwrap();
        assert!(only(&outcome).granted);
    }

    #[test]
    fn the_same_child_is_not_funded_twice_for_the_same_provision_in_the_same_year() {
        let regeling = regeling(percent(120), vec![sport()]);
        let family = application(100, vec![child(1, 9, None)], &[]);
        let granted_elsewhere = [prior(5, 1, 2026, None)];
        let outcome = assess(&regeling, &family, None, &granted_elsewhere).unwrap();
        assert!(!only(&outcome).granted);
        assert_eq!(only(&outcome).reason, "already_granted");
        let custom = CustomDecision {
            motivation: "Nogmaals, want de club is duurder.".to_owned(),
            grants: vec![(ChildRef(Uuid::from_u128(1)), sport().code)],
        };
        let still = assess(&regeling, &family, Some(&custom), &granted_elsewhere).unwrap();
        assert!(
            !only(&still).granted,
            "maatwerk does not fund the same cost twice either"
        );
        let granted_last_year = [prior(5, 1, 2025, None)];
        assert!(only(&assess(&regeling, &family, None, &granted_last_year).unwrap()).granted);
    }

    #[test]
    fn explanations_write_amounts_without_a_thousands_separator() {
        assert_eq!(euro(Cents(1_250)), "€ 12,50");
        assert_eq!(euro(Cents(120_000)), "€ 1200,00");
        assert_eq!(euro(Cents(5)), "€ 0,05");
    }

    #[test]
    fn asking_a_provision_for_which_no_child_has_the_age_is_refused_as_a_request() {
        let regeling = regeling(
            percent(120),
            vec![provision(
                "verjaardagsbox",
                "Verjaardagsbox",
                (4, 12),
                2_500,
            )],
        );
        let teenager = application(100, vec![child(1, 15, None)], &["verjaardagsbox"]);
        let error = assess(&regeling, &teenager, None, &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "De voorziening 'verjaardagsbox' is voor kinderen van 4 tot en met 12 jaar; geen kind in deze aanvraag is zo oud."
        );
    }

    fn by_hand(child_number: u128, code: &str, amount_cents: i64) -> HandGrant {
        HandGrant {
            child: ChildRef(Uuid::from_u128(child_number)),
            provision: ProvisionCode::parse(code).unwrap(),
            amount_cents: Cents(amount_cents),
        }
    }

    #[test]
    fn a_grant_by_hand_is_funded_as_an_assessment_is_and_records_the_amounts_chosen() {
        use kindpakket_proto::regie::{Budget, FundingSource};
        let jeugdfonds = funder("jeugdfonds-sport-cultuur", FundingSource::ExternalFunds);
        let gemeente = funder("gemeente-maastricht", FundingSource::Municipal);
        let mut funded = sport();
        funded.funders = vec![jeugdfonds.clone(), gemeente.clone()];
        let mut regeling = regeling(percent(120), vec![funded]);
        regeling.budgets = vec![Budget {
            provision: Some(sport().code),
            provision_type: None,
            source: FundingSource::ExternalFunds,
            amount_cents: Cents(40_000),
        }];
        // Above the threshold: the rules grant nothing, the regievoerder grants by hand.
        let family = application(200, vec![child(1, 9, None), child(2, 11, None)], &[]);
        let chosen = [
            by_hand(1, "sportcontributie", 20_000),
            by_hand(2, "sportcontributie", 30_000),
        ];
        let assessment = grant_by_hand(&regeling, &family, &chosen, &[]).unwrap();
        assert!(given_by_hand(&assessment), "{assessment:?}");
        assert_eq!(assessment.regeling_id, regeling.regeling_id);
        assert_eq!(assessment.outcomes[0].amount_cents, Cents(20_000));
        assert_eq!(assessment.outcomes[0].share_percent, 66);
        assert_eq!(assessment.outcomes[0].funder, Some(jeugdfonds));
        assert_eq!(
            assessment.outcomes[1].funder,
            Some(gemeente),
            "the fund has €200 left, not €300: the next funder pays"
        );
        let published = assessment.contract(true);
        assert_eq!(hand_grants_of(&published), chosen);
        assert_eq!(
            grant_by_hand(&regeling, &family, &hand_grants_of(&published), &[]),
            Ok(assessment),
            "reproduced from what the decision published"
        );
        assert!(!given_by_hand(
            &assess(&regeling, &family, None, &[]).unwrap()
        ));
    }

    #[test]
    fn a_grant_by_hand_outside_the_catalogue_the_budgets_or_twice_is_refused_as_a_whole() {
        use kindpakket_proto::regie::{Budget, FundingSource};
        let gemeente = funder("gemeente-maastricht", FundingSource::Municipal);
        let mut funded = sport();
        funded.funders = vec![gemeente.clone()];
        let mut regeling = regeling(percent(120), vec![funded]);
        let family = application(100, vec![child(1, 9, None)], &["sportcontributie"]);
        let refused = |chosen: &[HandGrant], prior: &[PriorGrant], regeling: &RegelingPublished| {
            grant_by_hand(regeling, &family, chosen, prior).unwrap_err()
        };
        assert_eq!(
            refused(&[], &[], &regeling),
            AssessmentError::NoEntitlements
        );
        assert_eq!(
            refused(&[by_hand(1, "zwemles", 100)], &[], &regeling),
            AssessmentError::NotInRegeling(1)
        );
        assert_eq!(
            refused(&[by_hand(2, "sportcontributie", 100)], &[], &regeling),
            AssessmentError::UnknownChild(1)
        );
        assert_eq!(
            refused(&[by_hand(1, "sportcontributie", 0)], &[], &regeling),
            AssessmentError::InvalidAmount(1)
        );
        assert_eq!(
            refused(
                &[
                    by_hand(1, "sportcontributie", 100),
                    by_hand(1, "sportcontributie", 200)
                ],
                &[],
                &regeling
            ),
            AssessmentError::DuplicateEntitlement(2)
        );
        assert_eq!(
            refused(
                &[by_hand(1, "sportcontributie", 100)],
                &[prior(5, 1, 2026, None)],
                &regeling
            ),
            AssessmentError::AlreadyGranted(1)
        );
        regeling.budgets = vec![Budget {
            provision: None,
            provision_type: Some(kindpakket_proto::regie::ProvisionType::Participation),
            source: FundingSource::Municipal,
            amount_cents: Cents(40_000),
        }];
        let spent = [prior(5, 90, 2026, Some(gemeente))];
        assert_eq!(
            refused(&[by_hand(1, "sportcontributie", 10_001)], &spent, &regeling),
            AssessmentError::NoBudgetRoom(1)
        );
        assert!(grant_by_hand(
            &regeling,
            &family,
            &[by_hand(1, "sportcontributie", 10_000)],
            &spent
        )
        .is_ok());
        let mut strippenkaart = provision("strippenkaart", "Strippenkaart", (0, 17), 20_000);
        strippenkaart.units = Some(10);
        let regeling = self::regeling(percent(120), vec![strippenkaart]);
        let whole = application(100, vec![child(1, 9, None)], &[]);
        assert_eq!(
            grant_by_hand(
                &regeling,
                &whole,
                &[by_hand(1, "strippenkaart", 3_000)],
                &[]
            ),
            Err(AssessmentError::NotWholeUnits(1))
        );
        assert!(grant_by_hand(
            &regeling,
            &whole,
            &[by_hand(1, "strippenkaart", 4_000)],
            &[]
        )
        .is_ok());
        for error in [
            AssessmentError::NotInRegeling(1),
            AssessmentError::UnknownChild(1),
            AssessmentError::AlreadyGranted(1),
        ] {
            let message = error.to_string();
            assert!(
                !message.contains("zwemles") && !message.contains("sportcontributie"),
                "{message}"
            );
        }
    }
}
