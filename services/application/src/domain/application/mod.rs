//! An application of one household, and its decision: assessed by the regeling in force, granted by
//! hand, rejected, or withdrawn.

mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use commands::{
    ApplicationCommand, Assess, EntitlementToGrant, Grant, Reject, Submit, Withdraw, Withdrawer,
};
pub use error::ApplicationError;
pub use events::ApplicationEvent;

use std::collections::HashSet;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::application::{
    ApplicantChild, ApplicationGranted, ApplicationRejected, ApplicationSubmitted,
    ApplicationWithdrawn, Assessment, GrantedEntitlement, Outcome,
};
use kindpakket_proto::regie::{Mandate, Provision, RegelingPublished};
use kindpakket_proto::{ChildRef, GemeenteCode, Period, ProvisionCode};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::eligibility::{self, HandGrant};

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
    pub submitted: Option<ApplicationSubmitted>,
    pub status: Option<Status>,
    pub entitlements: Vec<GrantedEntitlement>,
    pub rejection_reason: Option<String>,
    pub decided_on: Option<Date>,
    pub assessment: Option<Assessment>,
}

/// What the family reads when the rules grant none of what was asked.
const NOTHING_GRANTED: &str = "Volgens de regeling krijgt u geen van de aangevraagde voorzieningen. De uitleg per kind en voorziening staat bij de beoordeling.";

impl Aggregate for Application {
    const TYPE: &'static str = "application";
    type Command = ApplicationCommand;
    type Event = ApplicationEvent;
    type Error = ApplicationError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ApplicationCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ApplicationError> {
        let events = match command {
            ApplicationCommand::Submit(command) => self.submit(command)?,
            ApplicationCommand::Assess(command) => self.assess(command)?,
            ApplicationCommand::Grant(command) => self.grant(command)?,
            ApplicationCommand::Reject(command) => self.reject(command)?,
            ApplicationCommand::Withdraw(command) => self.withdraw(command)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
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
                self.assessment = granted.assessment;
            }
            ApplicationEvent::Rejected(rejected) => {
                self.status = Some(Status::Rejected);
                self.rejection_reason = Some(rejected.reason);
                self.decided_on = Some(rejected.decided_on);
                self.assessment = rejected.assessment;
            }
            ApplicationEvent::Withdrawn(withdrawn) => {
                self.status = Some(Status::Withdrawn);
                self.decided_on = Some(withdrawn.withdrawn_on);
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

impl Application {
    fn submit(&self, command: Submit) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if self.submitted.is_some() {
            return Err(ApplicationError::AlreadyExists);
        }
        validate_submission(&command.application)?;
        Ok(vec![ApplicationEvent::Submitted {
            gemeente: command.gemeente,
            application: command.application,
        }])
    }

    fn assess(&self, command: Assess) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        let submitted = self.undecided_in(&command.gemeente)?;
        let regeling = &command.regeling;
        let assessment = eligibility::assess(
            regeling,
            submitted,
            command.custom.as_ref(),
            &command.prior_grants,
        )?;
        if let Some(mandate) = &command.mandate {
            within_mandate(&assessment, mandate)?;
        }
        let entitlements = entitlements_assessed(submitted.application_id, regeling, &assessment);
        let event = if entitlements.is_empty() {
            ApplicationEvent::Rejected(ApplicationRejected {
                application_id: submitted.application_id,
                reason: NOTHING_GRANTED.to_owned(),
                decided_on: command.decided_on,
                assessment: Some(assessment),
            })
        } else {
            ApplicationEvent::Granted(ApplicationGranted {
                application_id: submitted.application_id,
                entitlements,
                decided_on: command.decided_on,
                assessment: Some(assessment),
            })
        };
        Ok(vec![event])
    }

    fn grant(&self, command: Grant) -> Result<Vec<ApplicationEvent>, ApplicationError> {
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
        let assessment =
            eligibility::grant_by_hand(regeling, submitted, &chosen, &command.prior_grants)?;
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
        Ok(vec![ApplicationEvent::Granted(ApplicationGranted {
            application_id: submitted.application_id,
            entitlements,
            decided_on: command.decided_on,
            assessment: Some(assessment),
        })])
    }

    fn reject(&self, command: Reject) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        let submitted = self.undecided_in(&command.gemeente)?;
        let reason = command.reason.trim().to_owned();
        if reason.is_empty() {
            return Err(ApplicationError::MissingReason);
        }
        Ok(vec![ApplicationEvent::Rejected(ApplicationRejected {
            application_id: submitted.application_id,
            reason,
            decided_on: command.decided_on,
            assessment: None,
        })])
    }

    fn withdraw(&self, command: Withdraw) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        let submitted = self.submitted_in(&command.gemeente)?;
        // Whoever may not withdraw it learns nothing of it, not even whether it was decided.
        if !may_withdraw(submitted, &command.by) {
            return Err(ApplicationError::NotFound);
        }
        let submitted = self.undecided_in(&command.gemeente)?;
        Ok(vec![ApplicationEvent::Withdrawn(ApplicationWithdrawn {
            application_id: submitted.application_id,
            withdrawn_on: command.withdrawn_on,
        })])
    }

    /// The application, when it was submitted in `gemeente`.
    fn submitted_in(
        &self,
        gemeente: &GemeenteCode,
    ) -> Result<&ApplicationSubmitted, ApplicationError> {
        match (&self.gemeente, &self.submitted) {
            (Some(own), Some(submitted)) if own == gemeente => Ok(submitted),
            _ => Err(ApplicationError::NotFound),
        }
    }

    /// The application, when it was submitted in `gemeente` and nothing was decided yet.
    fn undecided_in(
        &self,
        gemeente: &GemeenteCode,
    ) -> Result<&ApplicationSubmitted, ApplicationError> {
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
fn may_withdraw(submitted: &ApplicationSubmitted, by: &Withdrawer) -> bool {
    match by {
        Withdrawer::Parent { household } => *household == Some(submitted.household.0),
        Withdrawer::Organisation(organisation) => {
            submitted.on_behalf_of.as_ref() == Some(organisation)
        }
        Withdrawer::Gemeente => true,
    }
}

fn validate_submission(application: &ApplicationSubmitted) -> Result<(), ApplicationError> {
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
    if application.income_percent > 1000 {
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
    assessment
        .outcomes
        .iter()
        .filter(|outcome| outcome.granted && outcome.amount_cents.is_positive())
        .map(|outcome| entitlement_of(application_id, regeling, outcome, period))
        .collect()
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
