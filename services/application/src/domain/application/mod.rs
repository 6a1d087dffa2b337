//! An application of one household, and its decision: assessed by the regeling in force, granted by
//! hand, rejected, or withdrawn.
//!
//! The rules are the small pure methods below; `handle` adds the one step that is not pure: what
//! an event says about the household is sealed under its key by the aggregate's services
//! ([`Sealer`]), after the rules accepted the command (so a refused command makes no key), and the
//! inputs of an assessment are opened from their seal. A household that was forgotten can no
//! longer be decided on: [`ApplicationError::HouseholdForgotten`].

mod commands;
mod error;
mod events;
pub mod taken;
#[cfg(test)]
mod tests;

pub use commands::{
    ApplicationCommand, Assess, EntitlementToGrant, Grant, NewApplication, Reject, Submit,
    Withdraw, Withdrawer,
};
pub use error::ApplicationError;
pub use events::{
    ApplicationEvent, DecidedOutcome, Decision, DecisionDetails, Granted, OutcomeDetails, Rejected,
    RejectionReason, Submitted, Withdrawn, EVENT_VERSION,
};

use std::collections::HashSet;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_platform::shredding::{Opened, SealError, Sealed};
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::application::{ApplicantChild, GrantedEntitlement};
use kindpakket_proto::regie::{Mandate, Provision, RegelingPublished};
use kindpakket_proto::{ChildRef, GemeenteCode, HouseholdRef, Period, ProvisionCode};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::eligibility::{self, Assessment, AssessmentInputs, HandGrant, Outcome, Submission};
use crate::sealing::Sealer;

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Submitted,
    Granted,
    Rejected,
    Withdrawn,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Application {
    pub gemeente: Option<GemeenteCode>,
    pub submitted: Option<Submitted>,
    pub status: Option<Status>,
    pub entitlements: Vec<GrantedEntitlement>,
    pub rejection: Option<RejectionReason>,
    pub withdrawal_reason: Option<Sealed<String>>,
    pub decided_on: Option<Date>,
    pub decision: Option<Decision>,
}

/// What the family reads when the rules grant none of what was asked.
pub const NOTHING_GRANTED: &str = "Volgens de regeling krijgt u geen van de aangevraagde voorzieningen. De uitleg per kind en voorziening staat bij de beoordeling.";

impl Aggregate for Application {
    const TYPE: &'static str = "application";
    type Command = ApplicationCommand;
    type Event = ApplicationEvent;
    type Error = ApplicationError;
    type Services = Sealer;

    async fn handle(
        &mut self,
        command: ApplicationCommand,
        sealer: &Sealer,
        sink: &EventSink<Self>,
    ) -> Result<(), ApplicationError> {
        let event = match command {
            ApplicationCommand::Submit(command) => {
                let Submit {
                    gemeente,
                    application,
                } = self.submit(command)?;
                let inputs = sealer
                    .seal(application.household.0, &application.inputs)
                    .await
                    .map_err(refusal_of)?;
                submitted_event(gemeente, application, inputs)
            }
            ApplicationCommand::Assess(command) => {
                let inputs = self.inputs(&command.gemeente, sealer).await?;
                let reached = self.assess(command, inputs)?;
                reached.sealed(sealer).await?
            }
            ApplicationCommand::Grant(command) => {
                let inputs = self.inputs(&command.gemeente, sealer).await?;
                let reached = self.grant(command, inputs)?;
                reached.sealed(sealer).await?
            }
            ApplicationCommand::Reject(command) => {
                let (household, rejected) = self.reject(command)?;
                let reason = sealer
                    .seal(household.0, &rejected.reason.as_str().to_owned())
                    .await
                    .map_err(refusal_of)?;
                ApplicationEvent::Rejected(Rejected {
                    application_id: rejected.application_id,
                    decided_on: rejected.decided_on,
                    reason: RejectionReason::Written(reason),
                    assessment: None,
                })
            }
            ApplicationCommand::Withdraw(command) => {
                let (household, withdrawal) = self.withdraw(command)?;
                let reason = match withdrawal.reason {
                    None => None,
                    // Nothing new is kept of a forgotten household: the application is withdrawn
                    // without its reason.
                    Some(reason) => {
                        match sealer.seal(household.0, &reason.as_str().to_owned()).await {
                            Ok(sealed) => Some(sealed),
                            Err(SealError::Forgotten) => None,
                            Err(error) => return Err(refusal_of(error)),
                        }
                    }
                };
                ApplicationEvent::Withdrawn(Withdrawn {
                    application_id: withdrawal.application_id,
                    withdrawn_on: withdrawal.withdrawn_on,
                    reason,
                })
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: ApplicationEvent) {
        match event {
            ApplicationEvent::Submitted {
                gemeente,
                application,
            } => {
                self.gemeente = Some(gemeente);
                self.submitted = Some(application);
                self.status = Some(Status::Submitted);
            }
            ApplicationEvent::Granted(granted) => {
                self.status = Some(Status::Granted);
                self.entitlements = granted.entitlements;
                self.decided_on = Some(granted.decided_on);
                self.decision = granted.assessment;
            }
            ApplicationEvent::Rejected(rejected) => {
                self.status = Some(Status::Rejected);
                self.rejection = Some(rejected.reason);
                self.decided_on = Some(rejected.decided_on);
                self.decision = rejected.assessment;
            }
            ApplicationEvent::Withdrawn(withdrawn) => {
                self.status = Some(Status::Withdrawn);
                self.decided_on = Some(withdrawn.withdrawn_on);
                self.withdrawal_reason = withdrawn.reason;
            }
        }
    }
}

impl Tenanted for Application {
    const NOT_FOUND: &'static str = "Deze aanvraag bestaat niet in deze gemeente.";

    fn gemeente(&self) -> Option<&GemeenteCode> {
        self.gemeente.as_ref()
    }
}

/// A refusal for what sealing or opening ran into: the household was forgotten, or the keys could
/// not be reached (a technical failure, which the use-cases answer as one).
fn refusal_of(error: SealError) -> ApplicationError {
    match error {
        SealError::Forgotten => ApplicationError::HouseholdForgotten,
        SealError::Technical(cause) => ApplicationError::KeysUnavailable(format!("{cause:#}")),
    }
}

fn submitted_event(
    gemeente: GemeenteCode,
    application: NewApplication,
    inputs: Sealed<AssessmentInputs>,
) -> ApplicationEvent {
    ApplicationEvent::Submitted {
        gemeente,
        application: Submitted {
            application_id: application.application_id,
            household: application.household,
            channel: application.channel,
            on_behalf_of: application.on_behalf_of,
            children: application.children,
            requested_provisions: application.requested_provisions,
            signal_id: application.signal_id,
            submitted_on: application.submitted_on,
            inputs,
            taken: application.taken,
        },
    }
}

/// A decision as the rules reached it, before what it says about the household is sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub application_id: Uuid,
    pub household: HouseholdRef,
    pub entitlements: Vec<GrantedEntitlement>,
    pub assessment: Assessment,
    pub inputs: AssessmentInputs,
    pub by_hand: bool,
    pub decided_on: Date,
}

impl Reached {
    /// The event: granted when it grants anything, else rejected with the assessment attached;
    /// the inputs, shares, explanations and motivation sealed under the household's key.
    async fn sealed(self, sealer: &Sealer) -> Result<ApplicationEvent, ApplicationError> {
        let details = DecisionDetails {
            inputs: self.inputs.clone(),
            outcomes: self
                .assessment
                .outcomes
                .iter()
                .map(|outcome| OutcomeDetails {
                    share_percent: outcome.share_percent,
                    explanation: outcome.explanation.clone(),
                })
                .collect(),
            custom_motivation: self.assessment.custom_motivation.clone(),
        };
        let details = sealer
            .seal(self.household.0, &details)
            .await
            .map_err(refusal_of)?;
        let decision = Decision {
            regeling_id: self.assessment.regeling_id,
            outcomes: self
                .assessment
                .outcomes
                .iter()
                .map(|outcome| DecidedOutcome {
                    child: outcome.child,
                    provision: outcome.provision.clone(),
                    granted: outcome.granted,
                    amount_cents: outcome.amount_cents,
                    reason: outcome.reason.clone(),
                    funder: outcome.funder.clone(),
                })
                .collect(),
            custom: self.assessment.custom_motivation.is_some(),
            by_hand: self.by_hand,
            details,
        };
        Ok(if self.entitlements.is_empty() {
            ApplicationEvent::Rejected(Rejected {
                application_id: self.application_id,
                decided_on: self.decided_on,
                reason: RejectionReason::NothingGranted,
                assessment: Some(decision),
            })
        } else {
            ApplicationEvent::Granted(Granted {
                application_id: self.application_id,
                entitlements: self.entitlements,
                decided_on: self.decided_on,
                assessment: Some(decision),
            })
        })
    }
}

impl Decision {
    /// The whole assessment again, from the plain part and the opened details: what the engine
    /// reproduces from the regeling version, the application and the earlier grants.
    pub fn assessment(&self, details: &DecisionDetails) -> Assessment {
        Assessment {
            regeling_id: self.regeling_id,
            income_percent: details.inputs.income_percent,
            outcomes: self
                .outcomes
                .iter()
                .zip(&details.outcomes)
                .map(|(outcome, sealed)| Outcome {
                    child: outcome.child,
                    provision: outcome.provision.clone(),
                    granted: outcome.granted,
                    share_percent: sealed.share_percent,
                    amount_cents: outcome.amount_cents,
                    reason: outcome.reason.clone(),
                    explanation: sealed.explanation.clone(),
                    funder: outcome.funder.clone(),
                })
                .collect(),
            custom_motivation: details.custom_motivation.clone(),
        }
    }
}

impl Submitted {
    /// The application as the engine reads it, with the household's `inputs` opened.
    pub fn submission(&self, inputs: &AssessmentInputs) -> Submission {
        Submission {
            application_id: self.application_id,
            children: self.children.clone(),
            requested_provisions: self.requested_provisions.clone(),
            submitted_on: self.submitted_on,
            income_percent: inputs.income_percent,
            adults: inputs.adults,
            money_left_cents: inputs.money_left_cents,
        }
    }
}

/// A rejection the rules accepted, before its reason is sealed.
struct RejectionAccepted {
    application_id: Uuid,
    decided_on: Date,
    reason: kindpakket_platform::free_text::Note,
}

/// A withdrawal the rules accepted, before its reason is sealed.
struct WithdrawalAccepted {
    application_id: Uuid,
    withdrawn_on: Date,
    reason: Option<kindpakket_platform::free_text::Note>,
}

impl Application {
    /// The household's inputs of an undecided application of `gemeente`, opened from their seal.
    async fn inputs(
        &self,
        gemeente: &GemeenteCode,
        sealer: &Sealer,
    ) -> Result<AssessmentInputs, ApplicationError> {
        let submitted = self.undecided_in(gemeente)?;
        match sealer.open(&submitted.inputs).await {
            Ok(Opened::Value(inputs)) => Ok(inputs),
            Ok(Opened::Forgotten) => Err(ApplicationError::HouseholdForgotten),
            Err(cause) => Err(ApplicationError::KeysUnavailable(format!("{cause:#}"))),
        }
    }

    fn submit(&self, command: Submit) -> Result<Submit, ApplicationError> {
        if self.submitted.is_some() {
            return Err(ApplicationError::AlreadyExists);
        }
        validate_submission(&command.application)?;
        if let Some(taken) = &command.application.taken {
            taken.check(command.application.submitted_on)?;
        }
        Ok(command)
    }

    fn assess(
        &self,
        command: Assess,
        inputs: AssessmentInputs,
    ) -> Result<Reached, ApplicationError> {
        let submitted = self.undecided_in(&command.gemeente)?;
        let regeling = &command.regeling;
        let assessment = eligibility::assess(
            regeling,
            &submitted.submission(&inputs),
            command.custom.as_ref(),
            &command.prior_grants,
        )?;
        if let Some(mandate) = &command.mandate {
            within_mandate(&assessment, mandate)?;
        }
        let entitlements = entitlements_assessed(submitted.application_id, regeling, &assessment);
        Ok(Reached {
            application_id: submitted.application_id,
            household: submitted.household,
            entitlements,
            assessment,
            inputs,
            by_hand: false,
            decided_on: command.decided_on,
        })
    }

    fn grant(&self, command: Grant, inputs: AssessmentInputs) -> Result<Reached, ApplicationError> {
        let submitted = self.undecided_in(&command.gemeente)?;
        let regeling = &command.regeling;
        let chosen: Vec<HandGrant> = command
            .entitlements
            .iter()
            .map(|entitlement| HandGrant {
                child: entitlement.child,
                provision: entitlement.provision.clone(),
                amount_cents: entitlement.amount_cents,
            })
            .collect();
        let assessment = eligibility::grant_by_hand(
            regeling,
            &submitted.submission(&inputs),
            &chosen,
            &command.prior_grants,
        )?;
        let regeling_period = Period {
            from: regeling.valid_from,
            until: regeling.valid_until,
        };
        let mut entitlements = Vec::with_capacity(assessment.outcomes.len());
        // One outcome per chosen entitlement, in its order: a grant by hand is all or nothing.
        for (index, (outcome, chosen)) in assessment
            .outcomes
            .iter()
            .zip(&command.entitlements)
            .enumerate()
        {
            let number = index + 1;
            let period = Period::new(
                chosen.valid_from.unwrap_or(regeling_period.from),
                chosen.valid_until.unwrap_or(regeling_period.until),
            )
            .ok_or(ApplicationError::InvalidPeriod(number))?;
            if !regeling_period.contains(period.from) || !regeling_period.contains(period.until) {
                return Err(ApplicationError::PeriodOutsideRegeling(number));
            }
            entitlements.push(entitlement_of(
                submitted.application_id,
                regeling,
                outcome,
                period,
            ));
        }
        let entitlements = pooled(submitted.application_id, regeling, entitlements);
        Ok(Reached {
            application_id: submitted.application_id,
            household: submitted.household,
            entitlements,
            assessment,
            inputs,
            by_hand: true,
            decided_on: command.decided_on,
        })
    }

    fn reject(
        &self,
        command: Reject,
    ) -> Result<(HouseholdRef, RejectionAccepted), ApplicationError> {
        let submitted = self.undecided_in(&command.gemeente)?;
        if command.reason.is_empty() {
            return Err(ApplicationError::MissingReason);
        }
        Ok((
            submitted.household,
            RejectionAccepted {
                application_id: submitted.application_id,
                decided_on: command.decided_on,
                reason: command.reason,
            },
        ))
    }

    fn withdraw(
        &self,
        command: Withdraw,
    ) -> Result<(HouseholdRef, WithdrawalAccepted), ApplicationError> {
        let submitted = self.submitted_in(&command.gemeente)?;
        // Whoever may not withdraw it learns nothing of it, not even whether it was decided.
        if !may_withdraw(submitted, &command.by) {
            return Err(ApplicationError::NotFound);
        }
        let submitted = self.undecided_in(&command.gemeente)?;
        Ok((
            submitted.household,
            WithdrawalAccepted {
                application_id: submitted.application_id,
                withdrawn_on: command.withdrawn_on,
                reason: command.reason.filter(|reason| !reason.is_empty()),
            },
        ))
    }

    /// The application, when it was submitted in `gemeente`.
    fn submitted_in(&self, gemeente: &GemeenteCode) -> Result<&Submitted, ApplicationError> {
        match (&self.gemeente, &self.submitted) {
            (Some(own), Some(submitted)) if own == gemeente => Ok(submitted),
            _ => Err(ApplicationError::NotFound),
        }
    }

    /// The application, when it was submitted in `gemeente` and nothing was decided yet.
    fn undecided_in(&self, gemeente: &GemeenteCode) -> Result<&Submitted, ApplicationError> {
        let submitted = self.submitted_in(gemeente)?;
        if self.status != Some(Status::Submitted) {
            return Err(ApplicationError::AlreadyDecided);
        }
        Ok(submitted)
    }
}

/// The namespace of entitlement ids: one child's right to one provision from one application.
const ENTITLEMENT_NAMESPACE: Uuid = Uuid::from_u128(0x0e1c_55a1_7d4b_4c1e_9f20_6b69_6e64_7265);

/// The id of a child's right to a provision from an application: the same whenever it is derived,
/// so that whoever opens it from a redelivered grant opens nothing twice.
pub fn entitlement_id(application_id: Uuid, child: ChildRef, provision: &ProvisionCode) -> Uuid {
    Uuid::new_v5(
        &ENTITLEMENT_NAMESPACE,
        format!("{application_id}:{child}:{provision}").as_bytes(),
    )
}

/// The id of a household's budget (gezinstegoed) from an application: one per application and
/// provision, whichever of its children are granted it, derived like every entitlement id.
pub fn household_entitlement_id(application_id: Uuid, provision: &ProvisionCode) -> Uuid {
    Uuid::new_v5(
        &ENTITLEMENT_NAMESPACE,
        format!("{application_id}:huishouden:{provision}").as_bytes(),
    )
}

/// The entitlements of a household provision pooled into one household budget: the first child
/// granted it (in the application's order) holds it, with its amount, funder and period, and
/// every child granted it is listed in `household_children`; the others' entitlements of it are
/// not opened. Entitlements of other provisions pass unchanged.
fn pooled(
    application_id: Uuid,
    regeling: &RegelingPublished,
    entitlements: Vec<GrantedEntitlement>,
) -> Vec<GrantedEntitlement> {
    let mut pooled: Vec<GrantedEntitlement> = Vec::with_capacity(entitlements.len());
    for entitlement in entitlements {
        let per_household =
            provision_of(regeling, &entitlement.provision).is_some_and(|p| p.per_household);
        if !per_household {
            pooled.push(entitlement);
            continue;
        }
        if let Some(budget) = pooled.iter_mut().find(|budget| {
            !budget.household_children.is_empty() && budget.provision == entitlement.provision
        }) {
            budget.household_children.push(entitlement.child);
            continue;
        }
        pooled.push(GrantedEntitlement {
            entitlement_id: household_entitlement_id(application_id, &entitlement.provision),
            household_children: vec![entitlement.child],
            ..entitlement
        });
    }
    pooled
}

/// A child's age in whole years on `on`, counting from the first day of the birth month.
pub fn age_on(child: &ApplicantChild, on: Date) -> Option<i32> {
    let month = time::Month::try_from(child.birth_month).ok()?;
    let born = Date::from_calendar_date(child.birth_year, month, 1).ok()?;
    let mut age = on.year() - born.year();
    if (on.month() as u8, on.day()) < (born.month() as u8, born.day()) {
        age -= 1;
    }
    Some(age)
}

/// Who may withdraw an application: the parent of its household, the organisation that applied on
/// the family's behalf, and the regievoerder.
fn may_withdraw(submitted: &Submitted, by: &Withdrawer) -> bool {
    match by {
        Withdrawer::Parent { household } => *household == Some(submitted.household.0),
        Withdrawer::Organisation(organisation) => {
            submitted.on_behalf_of.as_ref() == Some(organisation)
        }
        Withdrawer::Gemeente => true,
    }
}

fn validate_submission(application: &NewApplication) -> Result<(), ApplicationError> {
    if application.children.is_empty() {
        return Err(ApplicationError::NoChildren);
    }
    let mut seen = HashSet::new();
    for (index, child) in application.children.iter().enumerate() {
        if !seen.insert(child.child) {
            return Err(ApplicationError::DuplicateChild);
        }
        if !(1..=12).contains(&child.birth_month) {
            return Err(ApplicationError::InvalidBirthMonth(index + 1));
        }
        match age_on(child, application.submitted_on) {
            Some(age) if (0..=17).contains(&age) => {}
            _ => return Err(ApplicationError::ChildNotUnderEighteen),
        }
    }
    if application.inputs.income_percent > 1000 {
        return Err(ApplicationError::InvalidIncome);
    }
    Ok(())
}

/// A partner's decision stays within its mandate: its provisions, its maximum amount, and maatwerk
/// only when allowed.
fn within_mandate(assessment: &Assessment, mandate: &Mandate) -> Result<(), ApplicationError> {
    if assessment.custom_motivation.is_some() && !mandate.custom_decisions {
        return Err(ApplicationError::OutsideMandate(
            "u mag geen maatwerk toekennen".to_owned(),
        ));
    }
    for outcome in assessment.outcomes.iter().filter(|outcome| outcome.granted) {
        if !mandate.provisions.contains(&outcome.provision) {
            return Err(ApplicationError::OutsideMandate(format!(
                "u mag '{}' niet toekennen",
                outcome.provision
            )));
        }
        if outcome.amount_cents > mandate.max_amount_cents {
            return Err(ApplicationError::OutsideMandate(format!(
                "'{}' kost {}, meer dan uw maximum van {}",
                outcome.provision,
                eligibility::euro(outcome.amount_cents),
                eligibility::euro(mandate.max_amount_cents)
            )));
        }
    }
    Ok(())
}

/// The entitlements an assessment grants: one per granted outcome with an amount, valid for the
/// regeling's period, funded, delivered and counted as the regeling says.
fn entitlements_assessed(
    application_id: Uuid,
    regeling: &RegelingPublished,
    assessment: &Assessment,
) -> Vec<GrantedEntitlement> {
    let period = Period {
        from: regeling.valid_from,
        until: regeling.valid_until,
    };
    let entitlements = assessment
        .outcomes
        .iter()
        .filter(|outcome| outcome.granted && outcome.amount_cents.is_positive())
        .map(|outcome| entitlement_of(application_id, regeling, outcome, period))
        .collect();
    pooled(application_id, regeling, entitlements)
}

/// The entitlement a granted outcome opens for `period`: funded by the outcome's funder, with the
/// co-financing, form and unit value of the regeling's provision.
fn entitlement_of(
    application_id: Uuid,
    regeling: &RegelingPublished,
    outcome: &Outcome,
    period: Period,
) -> GrantedEntitlement {
    let provision = provision_of(regeling, &outcome.provision);
    GrantedEntitlement {
        entitlement_id: entitlement_id(application_id, outcome.child, &outcome.provision),
        child: outcome.child,
        provision: outcome.provision.clone(),
        amount_cents: outcome.amount_cents,
        valid_from: period.from,
        valid_until: period.until,
        funder: outcome.funder.clone(),
        co_financing: provision.and_then(|provision| provision.co_financing.clone()),
        form: provision.map(|provision| provision.form),
        unit_value_cents: provision.and_then(Provision::unit_value_cents),
        household_children: vec![],
    }
}

/// The provision of the regeling with this code.
fn provision_of<'a>(
    regeling: &'a RegelingPublished,
    code: &ProvisionCode,
) -> Option<&'a Provision> {
    regeling
        .provisions
        .iter()
        .find(|provision| &provision.code == code)
}
