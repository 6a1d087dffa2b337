use cqrs_es::test::TestFramework;
use kindpakket_platform::free_text::FreeText;
use kindpakket_proto::application::Channel;
use kindpakket_proto::regie::{AgeBand, DeliveryForm, IncomeThreshold, Provision, ProvisionType};
use kindpakket_proto::{Cents, HouseholdRef};
use time::macros::date;

use super::*;
use crate::domain::eligibility::{AssessmentError, PriorGrant};
use crate::sealing::Sealer;

fn household() -> Uuid {
    Uuid::from_u128(6)
}

fn gemeente() -> GemeenteCode {
    GemeenteCode::parse("GM0518").unwrap()
}
fn child() -> ChildRef {
    ChildRef(Uuid::from_u128(11))
}
fn sport() -> ProvisionCode {
    ProvisionCode::parse("sportcontributie").unwrap()
}

fn inputs(income_percent: u16) -> AssessmentInputs {
    AssessmentInputs {
        income_percent,
        adults: None,
        money_left_cents: None,
    }
}

fn submitted(birth_year: i32) -> NewApplication {
    NewApplication {
        application_id: Uuid::from_u128(5),
        household: HouseholdRef(household()),
        channel: Channel::Loket,
        on_behalf_of: None,
        children: vec![ApplicantChild {
            child: child(),
            birth_year,
            birth_month: 5,
            school: None,
        }],
        requested_provisions: vec![sport()],
        signal_id: None,
        submitted_on: date!(2026 - 09 - 01),
        inputs: inputs(115),
        taken: None,
    }
}

/// The submission as the store keeps it, its inputs sealed by a plain sealer.
fn stored(income_percent: u16) -> Submitted {
    let application = submitted(2016);
    Submitted {
        application_id: application.application_id,
        household: application.household,
        channel: application.channel,
        on_behalf_of: application.on_behalf_of,
        children: application.children,
        requested_provisions: application.requested_provisions,
        signal_id: application.signal_id,
        submitted_on: application.submitted_on,
        inputs: Sealer::plain_sealed(household(), &inputs(income_percent)),
        taken: None,
    }
}

fn given_submitted() -> Vec<ApplicationEvent> {
    vec![ApplicationEvent::Submitted {
        gemeente: gemeente(),
        application: stored(115),
    }]
}

fn entitlement(provision: ProvisionCode, amount_cents: i64) -> EntitlementToGrant {
    EntitlementToGrant {
        child: child(),
        provision,
        amount_cents: Cents(amount_cents),
        valid_from: Some(date!(2026 - 09 - 01)),
        valid_until: Some(date!(2026 - 12 - 31)),
    }
}

fn grant_all(
    entitlements: Vec<EntitlementToGrant>,
    prior_grants: Vec<PriorGrant>,
) -> ApplicationCommand {
    grant_under(regeling_with_sport(), entitlements, prior_grants)
}

fn grant_under(
    regeling: RegelingPublished,
    entitlements: Vec<EntitlementToGrant>,
    prior_grants: Vec<PriorGrant>,
) -> ApplicationCommand {
    ApplicationCommand::Grant(Grant {
        gemeente: gemeente(),
        regeling: Box::new(regeling),
        entitlements,
        decided_on: date!(2026 - 09 - 10),
        prior_grants,
    })
}

fn withdraw_by(by: Withdrawer) -> ApplicationCommand {
    ApplicationCommand::Withdraw(Withdraw {
        gemeente: gemeente(),
        withdrawn_on: date!(2026 - 09 - 02),
        by,
        reason: None,
    })
}

fn grant(provision: ProvisionCode, amount_cents: i64) -> ApplicationCommand {
    grant_all(vec![entitlement(provision, amount_cents)], vec![])
}

#[tokio::test]
async fn a_child_of_eighteen_cannot_be_in_an_application() {
    TestFramework::<Application>::with(Sealer::plain())
        .given_no_previous_events()
        .when_async(ApplicationCommand::Submit(Submit {
            gemeente: gemeente(),
            application: submitted(2008),
        }))
        .await
        .then_expect_error(ApplicationError::ChildNotUnderEighteen);
}

#[tokio::test]
async fn a_refused_birth_month_names_the_child_by_its_place_not_the_value() {
    let mut application = submitted(2016);
    application.children[0].birth_month = 13;
    TestFramework::<Application>::with(Sealer::plain())
        .given_no_previous_events()
        .when_async(ApplicationCommand::Submit(Submit {
            gemeente: gemeente(),
            application,
        }))
        .await
        .then_expect_error(ApplicationError::InvalidBirthMonth(1));
    let message = ApplicationError::InvalidBirthMonth(1).to_string();
    assert!(!message.contains("13"), "{message}");
}

#[tokio::test]
async fn an_application_is_submitted_once() {
    TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(ApplicationCommand::Submit(Submit {
            gemeente: gemeente(),
            application: submitted(2016),
        }))
        .await
        .then_expect_error(ApplicationError::AlreadyExists);
}

#[tokio::test]
async fn a_grant_by_hand_opens_one_entitlement_per_child_and_provision_as_the_regeling_says() {
    let events = TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(grant(sport(), 20_000))
        .await
        .inspect_result()
        .unwrap();
    let [ApplicationEvent::Granted(granted)] = events.as_slice() else {
        panic!("{events:?}");
    };
    let expected = GrantedEntitlement {
        entitlement_id: entitlement_id(Uuid::from_u128(5), child(), &sport()),
        child: child(),
        provision: sport(),
        amount_cents: Cents(20_000),
        valid_from: date!(2026 - 09 - 01),
        valid_until: date!(2026 - 12 - 31),
        funder: None,
        co_financing: None,
        form: Some(DeliveryForm::InKind),
        unit_value_cents: None,
        household_children: vec![],
    };
    assert_eq!(granted.entitlements, vec![expected]);
    let assessment = granted
        .assessment
        .as_ref()
        .expect("the decision records how");
    assert_eq!(assessment.regeling_id, Uuid::from_u128(2026));
    assert!(assessment.by_hand, "{assessment:?}");
    assert!(assessment
        .outcomes
        .iter()
        .all(|outcome| outcome.reason == eligibility::GRANTED_BY_HAND));
    assert_eq!(assessment.outcomes[0].amount_cents, Cents(20_000));
    // Without dates: the regeling's period.
    let events = TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(grant_all(
            vec![EntitlementToGrant {
                valid_from: None,
                valid_until: None,
                ..entitlement(sport(), 25_000)
            }],
            vec![],
        ))
        .await
        .inspect_result()
        .unwrap();
    let [ApplicationEvent::Granted(granted)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(
        (
            granted.entitlements[0].valid_from,
            granted.entitlements[0].valid_until
        ),
        (date!(2026 - 01 - 01), date!(2026 - 12 - 31))
    );
}

#[tokio::test]
async fn a_voucher_granted_by_hand_carries_its_form_funder_and_unit_value() {
    use kindpakket_proto::regie::{Funder, FundingSource};
    let mut regeling = regeling_with_sport();
    let funder = Funder {
        organisation: kindpakket_proto::OrganisationId::parse("gemeente-den-haag").unwrap(),
        source: FundingSource::Municipal,
    };
    regeling.provisions[0].form = DeliveryForm::Voucher;
    regeling.provisions[0].units = Some(10);
    regeling.provisions[0].funders = vec![funder.clone()];
    let events = TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(grant_under(
            regeling,
            vec![entitlement(sport(), 5_000)],
            vec![],
        ))
        .await
        .inspect_result()
        .unwrap();
    let [ApplicationEvent::Granted(granted)] = events.as_slice() else {
        panic!("{events:?}");
    };
    let entitlement = &granted.entitlements[0];
    assert_eq!(entitlement.form, Some(DeliveryForm::Voucher));
    assert_eq!(entitlement.funder, Some(funder));
    assert_eq!(entitlement.unit_value_cents, Some(Cents(2_500)));
}

#[tokio::test]
async fn a_provision_that_was_not_asked_for_or_is_not_in_the_regeling_is_not_granted() {
    let bike = ProvisionCode::parse("fiets").unwrap();
    TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(grant(bike.clone(), 10_000))
        .await
        .then_expect_error(ApplicationError::Assessment(
            AssessmentError::NotInRegeling(1),
        ));
    let mut with_bike = regeling_with_sport();
    let mut bike_provision = with_bike.provisions[0].clone();
    bike_provision.code = bike.clone();
    with_bike.provisions.push(bike_provision);
    TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(grant_under(
            with_bike,
            vec![entitlement(bike, 10_000)],
            vec![],
        ))
        .await
        .then_expect_error(ApplicationError::Assessment(AssessmentError::NotRequested(
            1,
        )));
}

#[tokio::test]
async fn an_entitlement_granted_by_hand_has_an_amount_and_a_period_within_the_regeling_and_is_granted_once(
) {
    TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(grant(sport(), 0))
        .await
        .then_expect_error(ApplicationError::Assessment(
            AssessmentError::InvalidAmount(1),
        ));
    let backwards = EntitlementToGrant {
        valid_until: Some(date!(2026 - 08 - 31)),
        ..entitlement(sport(), 25_000)
    };
    TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(grant_all(vec![backwards], vec![]))
        .await
        .then_expect_error(ApplicationError::InvalidPeriod(1));
    let next_year = EntitlementToGrant {
        valid_until: Some(date!(2027 - 08 - 31)),
        ..entitlement(sport(), 25_000)
    };
    TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(grant_all(vec![next_year], vec![]))
        .await
        .then_expect_error(ApplicationError::PeriodOutsideRegeling(1));
    TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(grant_all(
            vec![entitlement(sport(), 25_000), entitlement(sport(), 100)],
            vec![],
        ))
        .await
        .then_expect_error(ApplicationError::Assessment(
            AssessmentError::DuplicateEntitlement(2),
        ));
}

#[tokio::test]
async fn the_same_child_is_not_granted_the_same_provision_twice_by_hand() {
    let elsewhere = PriorGrant {
        application_id: Uuid::from_u128(99),
        child: child(),
        provision: sport(),
        period: Period::year(2026).unwrap(),
        amount_cents: Cents(25_000),
        funder: None,
        co_financing: None,
    };
    let refusal = ApplicationError::Assessment(AssessmentError::AlreadyGranted(1));
    assert_eq!(
        kindpakket_platform::refusal::Refusal::kind(&refusal),
        kindpakket_platform::refusal::RefusalKind::Conflict
    );
    TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(grant_all(
            vec![entitlement(sport(), 25_000)],
            vec![elsewhere.clone()],
        ))
        .await
        .then_expect_error(refusal);
    let last_year = PriorGrant {
        period: Period::year(2025).unwrap(),
        ..elsewhere
    };
    let granted = TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(grant_all(
            vec![entitlement(sport(), 25_000)],
            vec![last_year],
        ))
        .await
        .inspect_result();
    assert!(granted.is_ok(), "{granted:?}");
}

#[tokio::test]
async fn only_the_household_the_organisation_that_applied_or_the_gemeente_withdraws() {
    let leergeld = kindpakket_proto::OrganisationId::parse("leergeld").unwrap();
    let on_behalf = vec![ApplicationEvent::Submitted {
        gemeente: gemeente(),
        application: Submitted {
            on_behalf_of: Some(leergeld.clone()),
            ..stored(115)
        },
    }];
    for stranger in [
        Withdrawer::Parent {
            household: Some(Uuid::from_u128(7)),
        },
        Withdrawer::Parent { household: None },
        Withdrawer::Organisation(kindpakket_proto::OrganisationId::parse("kledingbank").unwrap()),
    ] {
        TestFramework::<Application>::with(Sealer::plain())
            .given(on_behalf.clone())
            .when_async(withdraw_by(stranger))
            .await
            .then_expect_error(ApplicationError::NotFound);
    }
    // Not even whether it was decided: a stranger gets the same answer after a decision.
    let mut decided = on_behalf.clone();
    decided.push(ApplicationEvent::Withdrawn(Withdrawn {
        application_id: Uuid::from_u128(5),
        withdrawn_on: date!(2026 - 09 - 02),
        reason: None,
    }));
    TestFramework::<Application>::with(Sealer::plain())
        .given(decided)
        .when_async(withdraw_by(Withdrawer::Organisation(
            kindpakket_proto::OrganisationId::parse("kledingbank").unwrap(),
        )))
        .await
        .then_expect_error(ApplicationError::NotFound);
    for allowed in [
        Withdrawer::Parent {
            household: Some(Uuid::from_u128(6)),
        },
        Withdrawer::Organisation(leergeld.clone()),
        Withdrawer::Gemeente,
    ] {
        let withdrawn = TestFramework::<Application>::with(Sealer::plain())
            .given(on_behalf.clone())
            .when_async(withdraw_by(allowed))
            .await
            .inspect_result();
        assert!(withdrawn.is_ok(), "{withdrawn:?}");
    }
}

#[tokio::test]
async fn a_decided_application_is_not_decided_again() {
    let mut events = given_submitted();
    events.push(ApplicationEvent::Rejected(Rejected {
        application_id: Uuid::from_u128(5),
        reason: RejectionReason::Written(Sealer::plain_sealed(
            household(),
            &"Inkomen boven de grens".to_owned(),
        )),
        decided_on: date!(2026 - 09 - 10),
        assessment: None,
    }));
    TestFramework::<Application>::with(Sealer::plain())
        .given(events)
        .when_async(grant(sport(), 25_000))
        .await
        .then_expect_error(ApplicationError::AlreadyDecided);
}

#[tokio::test]
async fn an_application_is_decided_only_in_its_own_gemeente() {
    TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(ApplicationCommand::Withdraw(Withdraw {
            gemeente: GemeenteCode::parse("GM0363").unwrap(),
            withdrawn_on: date!(2026 - 09 - 02),
            by: Withdrawer::Gemeente,
            reason: None,
        }))
        .await
        .then_expect_error(ApplicationError::NotFound);
}

#[tokio::test]
async fn a_rejection_gives_its_reason() {
    TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(ApplicationCommand::Reject(Reject {
            gemeente: gemeente(),
            reason: FreeText::new("  ").checked("reden").unwrap(),
            decided_on: date!(2026 - 09 - 10),
        }))
        .await
        .then_expect_error(ApplicationError::MissingReason);
}

fn regeling_with_sport() -> RegelingPublished {
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
            value_cents: Cents(25_000),
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

fn assess_under(mandate: Option<Mandate>) -> ApplicationCommand {
    ApplicationCommand::Assess(Assess {
        gemeente: gemeente(),
        regeling: Box::new(regeling_with_sport()),
        custom: None,
        mandate,
        decided_on: date!(2026 - 09 - 10),
        prior_grants: vec![],
    })
}

#[tokio::test]
async fn an_assessment_grants_for_the_regelings_period_and_records_how() {
    let events = TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(assess_under(None))
        .await
        .inspect_result()
        .unwrap();
    let [ApplicationEvent::Granted(granted)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(granted.entitlements.len(), 1);
    let entitlement = &granted.entitlements[0];
    assert_eq!(entitlement.amount_cents, Cents(25_000));
    assert_eq!(entitlement.valid_from, date!(2026 - 01 - 01));
    assert_eq!(entitlement.valid_until, date!(2026 - 12 - 31));
    assert_eq!(entitlement.form, Some(DeliveryForm::InKind));
    assert_eq!(
        granted
            .assessment
            .as_ref()
            .map(|assessment| assessment.regeling_id),
        Some(Uuid::from_u128(2026))
    );
}

#[tokio::test]
async fn an_assessment_that_grants_nothing_rejects_with_the_explanation_attached() {
    let above = stored(150);
    let events = TestFramework::<Application>::with(Sealer::plain())
        .given(vec![ApplicationEvent::Submitted {
            gemeente: gemeente(),
            application: above,
        }])
        .when_async(assess_under(None))
        .await
        .inspect_result()
        .unwrap();
    let [ApplicationEvent::Rejected(rejected)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(rejected.reason, RejectionReason::NothingGranted);
    assert!(rejected.assessment.is_some());
}

#[tokio::test]
async fn a_partner_decides_only_within_its_mandate() {
    let too_small = Mandate {
        provisions: vec![sport()],
        max_amount_cents: Cents(10_000),
        custom_decisions: false,
    };
    TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(assess_under(Some(too_small)))
        .await
        .then_expect_error(ApplicationError::OutsideMandate(
            "'sportcontributie' kost € 250,00, meer dan uw maximum van € 100,00".to_owned(),
        ));
    let other_provision = Mandate {
        provisions: vec![ProvisionCode::parse("schoolspullen").unwrap()],
        max_amount_cents: Cents(100_000),
        custom_decisions: false,
    };
    TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(assess_under(Some(other_provision)))
        .await
        .then_expect_error(ApplicationError::OutsideMandate(
            "u mag 'sportcontributie' niet toekennen".to_owned(),
        ));
    let enough = Mandate {
        provisions: vec![sport()],
        max_amount_cents: Cents(25_000),
        custom_decisions: false,
    };
    let granted = TestFramework::<Application>::with(Sealer::plain())
        .given(given_submitted())
        .when_async(assess_under(Some(enough)))
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

#[tokio::test]
async fn a_submission_keeps_the_households_inputs_sealed_under_its_key() {
    let sealer = Sealer::plain();
    let events = TestFramework::<Application>::with(sealer.clone())
        .given_no_previous_events()
        .when_async(ApplicationCommand::Submit(Submit {
            gemeente: gemeente(),
            application: NewApplication {
                inputs: AssessmentInputs {
                    income_percent: 117,
                    adults: Some(2),
                    money_left_cents: Some(Cents(31_000)),
                },
                ..submitted(2016)
            },
        }))
        .await
        .inspect_result()
        .unwrap();
    let [ApplicationEvent::Submitted { application, .. }] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(application.inputs.subject, household());
    let opened = sealer.opened(&application.inputs).await;
    assert_eq!(
        (
            opened.income_percent,
            opened.adults,
            opened.money_left_cents
        ),
        (117, Some(2), Some(Cents(31_000)))
    );
    // Outside its seal the event says nothing of the household's means.
    let mut plain = serde_json::to_value(application).unwrap();
    plain.as_object_mut().unwrap().remove("inputs");
    assert!(!plain.to_string().contains("income_percent"), "{plain}");
}

#[tokio::test]
async fn a_decision_seals_its_explanations_and_is_reproduced_from_the_opened_inputs() {
    let sealer = Sealer::plain();
    let events = TestFramework::<Application>::with(sealer.clone())
        .given(given_submitted())
        .when_async(assess_under(None))
        .await
        .inspect_result()
        .unwrap();
    let [ApplicationEvent::Granted(granted)] = events.as_slice() else {
        panic!("{events:?}");
    };
    let decision = granted.assessment.as_ref().unwrap();
    assert_eq!(decision.details.subject, household());
    let mut plain = serde_json::to_value(decision).unwrap();
    plain.as_object_mut().unwrap().remove("details");
    let plain = plain.to_string();
    assert!(
        !plain.contains("explanation") && !plain.contains("share_percent"),
        "{plain}"
    );
    let details = sealer.opened(&decision.details).await;
    assert!(details.outcomes[0]
        .explanation
        .contains("Uw inkomen is 115%"));
    // The engine again, on the regeling version recorded and the inputs opened from the seal.
    let submission = stored(115);
    let opened = sealer.opened(&submission.inputs).await;
    let reproduced = eligibility::assess(
        &regeling_with_sport(),
        &submission.submission(&opened),
        None,
        &[],
    )
    .unwrap();
    assert_eq!(reproduced.regeling_id, decision.regeling_id);
    assert_eq!(decision.assessment(&details), reproduced);
}

#[tokio::test]
async fn a_forgotten_household_is_decided_on_no_more_and_a_withdrawal_keeps_no_reason() {
    let sealer = Sealer::plain();
    sealer.forget(household());
    TestFramework::<Application>::with(sealer.clone())
        .given(given_submitted())
        .when_async(assess_under(None))
        .await
        .then_expect_error(ApplicationError::HouseholdForgotten);
    TestFramework::<Application>::with(sealer.clone())
        .given(given_submitted())
        .when_async(ApplicationCommand::Reject(Reject {
            gemeente: gemeente(),
            reason: FreeText::new("Geen bewijs").checked("reden").unwrap(),
            decided_on: date!(2026 - 09 - 10),
        }))
        .await
        .then_expect_error(ApplicationError::HouseholdForgotten);
    let withdrawn = TestFramework::<Application>::with(sealer)
        .given(given_submitted())
        .when_async(ApplicationCommand::Withdraw(Withdraw {
            gemeente: gemeente(),
            withdrawn_on: date!(2026 - 09 - 02),
            by: Withdrawer::Gemeente,
            reason: Some(FreeText::new("verhuisd").checked("reden").unwrap()),
        }))
        .await
        .inspect_result()
        .unwrap();
    let [ApplicationEvent::Withdrawn(withdrawn)] = withdrawn.as_slice() else {
        panic!("{withdrawn:?}");
    };
    assert_eq!(withdrawn.reason, None);
}

#[tokio::test]
async fn a_rejection_and_a_withdrawal_keep_their_reasons_sealed() {
    let sealer = Sealer::plain();
    let events = TestFramework::<Application>::with(sealer.clone())
        .given(given_submitted())
        .when_async(ApplicationCommand::Reject(Reject {
            gemeente: gemeente(),
            reason: FreeText::new(" Geen inkomensbewijs ")
                .checked("reden")
                .unwrap(),
            decided_on: date!(2026 - 09 - 10),
        }))
        .await
        .inspect_result()
        .unwrap();
    let [ApplicationEvent::Rejected(Rejected {
        reason: RejectionReason::Written(reason),
        ..
    })] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert_eq!(sealer.opened(reason).await, "Geen inkomensbewijs");
    let events = TestFramework::<Application>::with(sealer.clone())
        .given(given_submitted())
        .when_async(ApplicationCommand::Withdraw(Withdraw {
            gemeente: gemeente(),
            withdrawn_on: date!(2026 - 09 - 02),
            by: Withdrawer::Gemeente,
            reason: Some(FreeText::new("verhuisd").checked("reden").unwrap()),
        }))
        .await
        .inspect_result()
        .unwrap();
    let [ApplicationEvent::Withdrawn(Withdrawn {
        reason: Some(reason),
        ..
    })] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert_eq!(sealer.opened(reason).await, "verhuisd");
}

#[tokio::test]
async fn an_application_on_the_familys_behalf_without_a_declared_gezag_or_consent_is_refused() {
    use super::taken::{tests::on_behalf, Taken};
    let mut undeclared = on_behalf();
    undeclared.gezag.declared = false;
    let mut no_consent = on_behalf();
    no_consent.consent.given = false;
    for (taken, error) in [
        (undeclared, ApplicationError::NoGezag),
        (no_consent, ApplicationError::NoConsent),
    ] {
        TestFramework::<Application>::with(Sealer::plain())
            .given_no_previous_events()
            .when_async(ApplicationCommand::Submit(Submit {
                gemeente: gemeente(),
                application: NewApplication {
                    taken: Some(Taken::OnBehalf(taken)),
                    ..submitted(2016)
                },
            }))
            .await
            .then_expect_error(error);
    }
    let events = TestFramework::<Application>::with(Sealer::plain())
        .given_no_previous_events()
        .when_async(ApplicationCommand::Submit(Submit {
            gemeente: gemeente(),
            application: NewApplication {
                taken: Some(Taken::OnBehalf(on_behalf())),
                ..submitted(2016)
            },
        }))
        .await
        .inspect_result()
        .unwrap();
    let [ApplicationEvent::Submitted { application, .. }] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(application.taken, Some(Taken::OnBehalf(on_behalf())));
}

/// A gezinstegoed of €150 for ages 4–17, funded by the gemeente from a budget of exactly €150.
fn regeling_with_household_budget() -> RegelingPublished {
    use kindpakket_proto::regie::{Budget, Funder, FundingSource};
    let mut regeling = regeling_with_sport();
    let provision = &mut regeling.provisions[0];
    provision.per_household = true;
    provision.value_cents = Cents(15_000);
    provision.funders = vec![Funder::gemeente()];
    regeling.budgets = vec![Budget {
        provision: Some(sport()),
        provision_type: None,
        source: FundingSource::Municipal,
        amount_cents: Cents(15_000),
    }];
    regeling
}

fn household_submission(application: u128, children: &[(u128, i32)]) -> eligibility::Submission {
    eligibility::Submission {
        application_id: Uuid::from_u128(application),
        children: children
            .iter()
            .map(|(id, birth_year)| ApplicantChild {
                child: ChildRef(Uuid::from_u128(*id)),
                birth_year: *birth_year,
                birth_month: 5,
                school: None,
            })
            .collect(),
        requested_provisions: vec![],
        submitted_on: date!(2026 - 09 - 01),
        income_percent: 110,
        adults: None,
        money_left_cents: None,
    }
}

#[test]
fn the_qualifying_children_of_an_application_share_one_household_budget_funded_once() {
    let regeling = regeling_with_household_budget();
    // Children 21 and 23 are 10 and 12; child 22 is 18, outside the age band.
    let application = household_submission(5, &[(21, 2016), (22, 2008), (23, 2014)]);
    let assessment = eligibility::assess(&regeling, &application, None, &[]).unwrap();
    let granted: Vec<_> = assessment
        .outcomes
        .iter()
        .map(|outcome| (outcome.child.0.as_u128(), outcome.granted))
        .collect();
    assert_eq!(granted, vec![(21, true), (22, false), (23, true)]);
    let entitlements = entitlements_assessed(Uuid::from_u128(5), &regeling, &assessment);
    assert_eq!(
        entitlements.len(),
        1,
        "one budget for the household: {entitlements:?}"
    );
    let budget = &entitlements[0];
    assert_eq!(
        budget.entitlement_id,
        household_entitlement_id(Uuid::from_u128(5), &sport())
    );
    assert_eq!(budget.child, ChildRef(Uuid::from_u128(21)));
    assert_eq!(
        budget.household_children,
        vec![ChildRef(Uuid::from_u128(21)), ChildRef(Uuid::from_u128(23))]
    );
    assert_eq!(budget.amount_cents, Cents(15_000), "the value once");
    assert_eq!(
        budget.funder,
        Some(kindpakket_proto::regie::Funder::gemeente()),
        "the budget of €150 pays it once, not once per child"
    );
    // A later application of the household: a child who shares the budget is not granted it
    // twice; a child new to the household opens a budget of its own, when the budget has room.
    let prior: Vec<PriorGrant> = budget
        .household_children
        .iter()
        .enumerate()
        .map(|(index, child)| PriorGrant {
            application_id: Uuid::from_u128(5),
            child: *child,
            provision: sport(),
            period: Period {
                from: budget.valid_from,
                until: budget.valid_until,
            },
            amount_cents: if index == 0 {
                budget.amount_cents
            } else {
                Cents::ZERO
            },
            funder: budget.funder.clone(),
            co_financing: None,
        })
        .collect();
    let later = household_submission(6, &[(23, 2014), (24, 2019)]);
    let assessment = eligibility::assess(&regeling, &later, None, &prior).unwrap();
    let reasons: Vec<_> = assessment
        .outcomes
        .iter()
        .map(|outcome| outcome.reason.as_str())
        .collect();
    assert_eq!(reasons, vec!["already_granted", "budget_spent"]);
}

#[test]
fn a_household_budget_granted_by_hand_is_one_amount_for_the_children_named() {
    let regeling = regeling_with_household_budget();
    let application = household_submission(5, &[(21, 2016), (23, 2014)]);
    let hand = |child: u128, amount: i64| eligibility::HandGrant {
        child: ChildRef(Uuid::from_u128(child)),
        provision: sport(),
        amount_cents: Cents(amount),
    };
    assert_eq!(
        eligibility::grant_by_hand(
            &regeling,
            &application,
            &[hand(21, 10_000), hand(23, 5_000)],
            &[]
        ),
        Err(AssessmentError::HouseholdAmountDiffers(2))
    );
    let assessment = eligibility::grant_by_hand(
        &regeling,
        &application,
        &[hand(21, 10_000), hand(23, 10_000)],
        &[],
    )
    .unwrap();
    let entitlements = entitlements_assessed(Uuid::from_u128(5), &regeling, &assessment);
    assert_eq!(entitlements.len(), 1);
    assert_eq!(entitlements[0].amount_cents, Cents(10_000));
    assert_eq!(entitlements[0].household_children.len(), 2);
}
