//! An application of one household, and its decision.

use std::collections::HashSet;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use kindpakket_platform::http::{Rejection, RejectionKind};
use kindpakket_proto::application::{
    ApplicantChild, ApplicationGranted, ApplicationRejected, ApplicationSubmitted,
    ApplicationWithdrawn, Assessment, GrantedEntitlement,
};
use kindpakket_proto::regie::{Mandate, RegelingPublished};
use kindpakket_proto::{ChildRef, GemeenteCode, ProvisionCode};

use super::eligibility::{self, AssessmentError, CustomDecision, PriorGrant};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

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

/// One entitlement the decision-maker grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementToGrant {
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub amount_cents: i64,
    pub valid_from: Date,
    pub valid_until: Date,
}

#[derive(Debug, Clone)]
pub enum ApplicationCommand {
    Submit {
        gemeente: GemeenteCode,
        application: ApplicationSubmitted,
    },
    Grant {
        gemeente: GemeenteCode,
        entitlements: Vec<EntitlementToGrant>,
        decided_on: Date,
        /// Earlier grants in the gemeente: the same child is not funded twice.
        prior_grants: Vec<PriorGrant>,
    },
    Reject {
        gemeente: GemeenteCode,
        reason: String,
        decided_on: Date,
    },
    /// Decides by the regeling version in force on the application date, optionally with maatwerk.
    Assess {
        gemeente: GemeenteCode,
        regeling: Box<RegelingPublished>,
        custom: Option<CustomDecision>,
        /// When a partner decides: its mandate, which the decision must stay within.
        mandate: Option<Mandate>,
        decided_on: Date,
        /// Earlier grants in the regeling's gemeenten: budgets used, and nothing funded twice.
        prior_grants: Vec<PriorGrant>,
    },
    Withdraw {
        gemeente: GemeenteCode,
        withdrawn_on: Date,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ApplicationEvent {
    Submitted {
        gemeente: GemeenteCode,
        application: ApplicationSubmitted,
    },
    Granted(ApplicationGranted),
    Rejected(ApplicationRejected),
    Withdrawn(ApplicationWithdrawn),
}

impl DomainEvent for ApplicationEvent {
    fn event_type(&self) -> String {
        match self {
            ApplicationEvent::Submitted { .. } => "Submitted",
            ApplicationEvent::Granted(_) => "Granted",
            ApplicationEvent::Rejected(_) => "Rejected",
            ApplicationEvent::Withdrawn(_) => "Withdrawn",
        }
        .to_owned()
    }
    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationError {
    #[error("Deze aanvraag bestaat al.")]
    AlreadyExists,
    #[error("Deze aanvraag bestaat niet in deze gemeente.")]
    NotFound,
    #[error("Over deze aanvraag is al besloten, of zij is ingetrokken.")]
    AlreadyDecided,
    #[error("Een aanvraag noemt ten minste één kind.")]
    NoChildren,
    #[error("Hetzelfde kind staat twee keer in de aanvraag.")]
    DuplicateChild,
    #[error("De geboortemaand {0} bestaat niet: gebruik 1 tot en met 12.")]
    InvalidBirthMonth(u8),
    #[error("Een kind in de aanvraag is op de aanvraagdatum niet tussen 0 en 17 jaar oud.")]
    ChildNotUnderEighteen,
    #[error("Het inkomen als percentage van het sociaal minimum moet tussen 0 en 1000 liggen.")]
    InvalidIncome,
    #[error("Een toekenning bevat ten minste één recht.")]
    NoEntitlements,
    #[error("Het kind {0} staat niet in deze aanvraag.")]
    UnknownChild(ChildRef),
    #[error("De voorziening '{0}' is niet aangevraagd.")]
    ProvisionNotRequested(ProvisionCode),
    #[error("Het bedrag van een recht moet groter zijn dan 0 cent.")]
    InvalidAmount,
    #[error("De einddatum van een recht ligt vóór de begindatum.")]
    InvalidPeriod,
    #[error("Hetzelfde kind krijgt de voorziening '{0}' twee keer.")]
    DuplicateEntitlement(ProvisionCode),
    #[error("Geef de reden van de afwijzing; de familie leest haar.")]
    MissingReason,
    #[error("{0}")]
    Assessment(#[from] AssessmentError),
    #[error("Dit kind heeft '{0}' voor deze periode al gekregen; dezelfde kosten worden niet twee keer vergoed.")]
    AlreadyGranted(ProvisionCode),
    #[error("Dit besluit valt buiten uw mandaat: {0}. Leg de aanvraag voor aan de gemeente.")]
    OutsideMandate(String),
}

impl Rejection for ApplicationError {
    fn kind(&self) -> RejectionKind {
        match self {
            ApplicationError::AlreadyExists
            | ApplicationError::AlreadyDecided
            | ApplicationError::AlreadyGranted(_) => RejectionKind::Conflict,
            ApplicationError::NotFound => RejectionKind::NotFound,
            ApplicationError::OutsideMandate(_) => RejectionKind::Forbidden,
            _ => RejectionKind::Invalid,
        }
    }
}

/// The namespace of entitlement ids: one child's right to one provision from one application.
const ENTITLEMENT_NAMESPACE: Uuid = Uuid::from_u128(0x0e1c_55a1_7d4b_4c1e_9f20_6b69_6e64_7265);

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

fn validate_submission(application: &ApplicationSubmitted) -> Result<(), ApplicationError> {
    if application.children.is_empty() {
        return Err(ApplicationError::NoChildren);
    }
    let mut seen = HashSet::new();
    for child in &application.children {
        if !seen.insert(child.child) {
            return Err(ApplicationError::DuplicateChild);
        }
        if !(1..=12).contains(&child.birth_month) {
            return Err(ApplicationError::InvalidBirthMonth(child.birth_month));
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

impl Application {
    fn submitted_in(
        &self,
        gemeente: &GemeenteCode,
    ) -> Result<&ApplicationSubmitted, ApplicationError> {
        match (&self.gemeente, &self.submitted) {
            (Some(own), Some(submitted)) if own == gemeente => Ok(submitted),
            _ => Err(ApplicationError::NotFound),
        }
    }

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
        match command {
            ApplicationCommand::Submit {
                gemeente,
                application,
            } => {
                if self.submitted.is_some() {
                    return Err(ApplicationError::AlreadyExists);
                }
                validate_submission(&application)?;
                sink.write(
                    ApplicationEvent::Submitted {
                        gemeente,
                        application,
                    },
                    self,
                )
                .await;
            }
            ApplicationCommand::Grant {
                gemeente,
                entitlements,
                decided_on,
                prior_grants,
            } => {
                let submitted = self.undecided_in(&gemeente)?;
                if entitlements.is_empty() {
                    return Err(ApplicationError::NoEntitlements);
                }
                let children: HashSet<ChildRef> =
                    submitted.children.iter().map(|child| child.child).collect();
                let mut granted = Vec::with_capacity(entitlements.len());
                let mut seen = HashSet::new();
                for entitlement in entitlements {
                    if !children.contains(&entitlement.child) {
                        return Err(ApplicationError::UnknownChild(entitlement.child));
                    }
                    let whole_package = submitted.requested_provisions.is_empty();
                    if !whole_package
                        && !submitted
                            .requested_provisions
                            .contains(&entitlement.provision)
                    {
                        return Err(ApplicationError::ProvisionNotRequested(
                            entitlement.provision,
                        ));
                    }
                    if entitlement.amount_cents <= 0 {
                        return Err(ApplicationError::InvalidAmount);
                    }
                    if entitlement.valid_until < entitlement.valid_from {
                        return Err(ApplicationError::InvalidPeriod);
                    }
                    if !seen.insert((entitlement.child, entitlement.provision.clone())) {
                        return Err(ApplicationError::DuplicateEntitlement(
                            entitlement.provision,
                        ));
                    }
                    let funded_before = prior_grants.iter().any(|grant| {
                        grant.application_id != submitted.application_id
                            && grant.child == entitlement.child
                            && grant.provision == entitlement.provision
                            && grant.valid_from <= entitlement.valid_until
                            && grant.valid_until >= entitlement.valid_from
                    });
                    if funded_before {
                        return Err(ApplicationError::AlreadyGranted(entitlement.provision));
                    }
                    granted.push(GrantedEntitlement {
                        entitlement_id: entitlement_id(
                            submitted.application_id,
                            entitlement.child,
                            &entitlement.provision,
                        ),
                        child: entitlement.child,
                        provision: entitlement.provision,
                        amount_cents: entitlement.amount_cents,
                        valid_from: entitlement.valid_from,
                        valid_until: entitlement.valid_until,
                        funder: None,
                        co_financing: None,
                        form: None,
                        unit_value_cents: None,
                    });
                }
                let event = ApplicationGranted {
                    application_id: submitted.application_id,
                    entitlements: granted,
                    decided_on,
                    assessment: None,
                };
                sink.write(ApplicationEvent::Granted(event), self).await;
            }
            ApplicationCommand::Reject {
                gemeente,
                reason,
                decided_on,
            } => {
                let submitted = self.undecided_in(&gemeente)?;
                let reason = reason.trim().to_owned();
                if reason.is_empty() {
                    return Err(ApplicationError::MissingReason);
                }
                let event = ApplicationRejected {
                    application_id: submitted.application_id,
                    reason,
                    decided_on,
                    assessment: None,
                };
                sink.write(ApplicationEvent::Rejected(event), self).await;
            }
            ApplicationCommand::Assess {
                gemeente,
                regeling,
                custom,
                mandate,
                decided_on,
                prior_grants,
            } => {
                let submitted = self.undecided_in(&gemeente)?;
                let assessment =
                    eligibility::assess(&regeling, submitted, custom.as_ref(), &prior_grants)?;
                if let Some(mandate) = &mandate {
                    within_mandate(&assessment, mandate)?;
                }
                let entitlements: Vec<GrantedEntitlement> = assessment
                    .outcomes
                    .iter()
                    .filter(|outcome| outcome.granted && outcome.amount_cents > 0)
                    .map(|outcome| GrantedEntitlement {
                        entitlement_id: entitlement_id(
                            submitted.application_id,
                            outcome.child,
                            &outcome.provision,
                        ),
                        child: outcome.child,
                        provision: outcome.provision.clone(),
                        amount_cents: outcome.amount_cents,
                        valid_from: regeling.valid_from,
                        valid_until: regeling.valid_until,
                        funder: outcome.funder.clone(),
                        co_financing: provision_of(&regeling, &outcome.provision)
                            .and_then(|provision| provision.co_financing.clone()),
                        form: provision_of(&regeling, &outcome.provision)
                            .map(|provision| provision.form),
                        unit_value_cents: provision_of(&regeling, &outcome.provision)
                            .and_then(|provision| provision.unit_value_cents()),
                    })
                    .collect();
                let event = if entitlements.is_empty() {
                    ApplicationEvent::Rejected(ApplicationRejected {
                        application_id: submitted.application_id,
                        reason: "Volgens de regeling krijgt u geen van de aangevraagde voorzieningen. De uitleg per kind en voorziening staat bij de beoordeling.".to_owned(),
                        decided_on,
                        assessment: Some(assessment),
                    })
                } else {
                    ApplicationEvent::Granted(ApplicationGranted {
                        application_id: submitted.application_id,
                        entitlements,
                        decided_on,
                        assessment: Some(assessment),
                    })
                };
                sink.write(event, self).await;
            }
            ApplicationCommand::Withdraw {
                gemeente,
                withdrawn_on,
            } => {
                let submitted = self.undecided_in(&gemeente)?;
                let event = ApplicationWithdrawn {
                    application_id: submitted.application_id,
                    withdrawn_on,
                };
                sink.write(ApplicationEvent::Withdrawn(event), self).await;
            }
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

/// The provision of the regeling with this code.
fn provision_of<'a>(
    regeling: &'a kindpakket_proto::regie::RegelingPublished,
    code: &kindpakket_proto::ProvisionCode,
) -> Option<&'a kindpakket_proto::regie::Provision> {
    regeling
        .provisions
        .iter()
        .find(|provision| &provision.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use kindpakket_proto::application::Channel;
    use kindpakket_proto::HouseholdRef;
    use time::macros::date;

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }
    fn child() -> ChildRef {
        ChildRef(Uuid::from_u128(11))
    }
    fn sport() -> ProvisionCode {
        ProvisionCode::parse("sportcontributie").unwrap()
    }

    fn submitted(birth_year: i32) -> ApplicationSubmitted {
        ApplicationSubmitted {
            application_id: Uuid::from_u128(5),
            household: HouseholdRef(Uuid::from_u128(6)),
            channel: Channel::Loket,
            on_behalf_of: None,
            children: vec![ApplicantChild {
                child: child(),
                birth_year,
                birth_month: 5,
                school: None,
            }],
            income_percent: 115,
            requested_provisions: vec![sport()],
            signal_id: None,
            submitted_on: date!(2026 - 09 - 01),
            adults: None,
            money_left_cents: None,
        }
    }

    fn given_submitted() -> Vec<ApplicationEvent> {
        vec![ApplicationEvent::Submitted {
            gemeente: gemeente(),
            application: submitted(2016),
        }]
    }

    fn grant(provision: ProvisionCode, amount_cents: i64) -> ApplicationCommand {
        ApplicationCommand::Grant {
            gemeente: gemeente(),
            entitlements: vec![EntitlementToGrant {
                child: child(),
                provision,
                amount_cents,
                valid_from: date!(2026 - 09 - 01),
                valid_until: date!(2026 - 12 - 31),
            }],
            decided_on: date!(2026 - 09 - 10),
            prior_grants: vec![],
        }
    }

    #[tokio::test]
    async fn a_child_of_eighteen_cannot_be_in_an_application() {
        TestFramework::<Application>::with(())
            .given_no_previous_events()
            .when_async(ApplicationCommand::Submit {
                gemeente: gemeente(),
                application: submitted(2008),
            })
            .await
            .then_expect_error(ApplicationError::ChildNotUnderEighteen);
    }

    #[tokio::test]
    async fn a_grant_opens_one_entitlement_per_child_and_provision_with_a_stable_id() {
        let expected = ApplicationGranted {
            application_id: Uuid::from_u128(5),
            entitlements: vec![GrantedEntitlement {
                entitlement_id: entitlement_id(Uuid::from_u128(5), child(), &sport()),
                child: child(),
                provision: sport(),
                amount_cents: 25_000,
                valid_from: date!(2026 - 09 - 01),
                valid_until: date!(2026 - 12 - 31),
                funder: None,
                co_financing: None,
                form: None,
                unit_value_cents: None,
            }],
            decided_on: date!(2026 - 09 - 10),
            assessment: None,
        };
        TestFramework::<Application>::with(())
            .given(given_submitted())
            .when_async(grant(sport(), 25_000))
            .await
            .then_expect_events(vec![ApplicationEvent::Granted(expected)]);
    }

    #[tokio::test]
    async fn a_provision_that_was_not_asked_for_is_not_granted() {
        let bike = ProvisionCode::parse("fiets").unwrap();
        TestFramework::<Application>::with(())
            .given(given_submitted())
            .when_async(grant(bike.clone(), 10_000))
            .await
            .then_expect_error(ApplicationError::ProvisionNotRequested(bike));
    }

    #[tokio::test]
    async fn a_decided_application_is_not_decided_again() {
        let mut events = given_submitted();
        events.push(ApplicationEvent::Rejected(ApplicationRejected {
            application_id: Uuid::from_u128(5),
            reason: "Inkomen boven de grens".to_owned(),
            decided_on: date!(2026 - 09 - 10),
            assessment: None,
        }));
        TestFramework::<Application>::with(())
            .given(events)
            .when_async(grant(sport(), 25_000))
            .await
            .then_expect_error(ApplicationError::AlreadyDecided);
    }

    fn regeling_with_sport() -> RegelingPublished {
        use kindpakket_proto::regie::{
            AgeBand, DeliveryForm, IncomeThreshold, Provision, ProvisionType,
        };
        RegelingPublished {
            regeling_id: Uuid::from_u128(2026),
            gemeenten: vec![gemeente()],
            year: 2026,
            valid_from: date!(2026 - 01 - 01),
            valid_until: date!(2026 - 12 - 31),
            income_threshold: IncomeThreshold::PercentOfSocialMinimum { percent: 120 },
            provisions: vec![Provision {
                code: sport(),
                name: "Sportcontributie".to_owned(),
                provision_type: ProvisionType::Participation,
                target_group: AgeBand {
                    min_age: 4,
                    max_age: 17,
                },
                value_cents: 25_000,
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

    fn assess_under(mandate: Mandate) -> ApplicationCommand {
        ApplicationCommand::Assess {
            gemeente: gemeente(),
            regeling: Box::new(regeling_with_sport()),
            custom: None,
            mandate: Some(mandate),
            decided_on: date!(2026 - 09 - 10),
            prior_grants: vec![],
        }
    }

    #[tokio::test]
    async fn a_partner_decides_only_within_its_mandate() {
        let too_small = Mandate {
            provisions: vec![sport()],
            max_amount_cents: 10_000,
            custom_decisions: false,
        };
        TestFramework::<Application>::with(())
            .given(given_submitted())
            .when_async(assess_under(too_small))
            .await
            .then_expect_error(ApplicationError::OutsideMandate(
                "'sportcontributie' kost € 250,00, meer dan uw maximum van € 100,00".to_owned(),
            ));
        let other_provision = Mandate {
            provisions: vec![ProvisionCode::parse("schoolspullen").unwrap()],
            max_amount_cents: 100_000,
            custom_decisions: false,
        };
        TestFramework::<Application>::with(())
            .given(given_submitted())
            .when_async(assess_under(other_provision))
            .await
            .then_expect_error(ApplicationError::OutsideMandate(
                "u mag 'sportcontributie' niet toekennen".to_owned(),
            ));
        let enough = Mandate {
            provisions: vec![sport()],
            max_amount_cents: 25_000,
            custom_decisions: false,
        };
        let granted = TestFramework::<Application>::with(())
            .given(given_submitted())
            .when_async(assess_under(enough))
            .await
            .inspect_result();
        assert!(granted.is_ok(), "{granted:?}");
    }

    #[test]
    fn age_counts_whole_years_from_the_birth_month() {
        let child = ApplicantChild {
            child: child(),
            birth_year: 2014,
            birth_month: 5,
            school: None,
        };
        assert_eq!(age_on(&child, date!(2026 - 04 - 30)), Some(11));
        assert_eq!(age_on(&child, date!(2026 - 05 - 01)), Some(12));
    }
}
