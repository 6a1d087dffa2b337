use super::*;
use cqrs_es::test::TestFramework;
use kindpakket_proto::regie::{CoFinancing, Funder, FundingPart, FundingSource};
use kindpakket_proto::{ChildRef, OrganisationId, ProvisionCode};
use time::macros::date;

fn gemeente() -> GemeenteCode {
    GemeenteCode::parse("GM0518").unwrap()
}

fn partner() -> OrganisationId {
    OrganisationId::parse("jeugdfonds-sport").unwrap()
}

fn opened() -> EntitlementOpened {
    EntitlementOpened {
        entitlement_id: Uuid::from_u128(1),
        application_id: Uuid::from_u128(2),
        child: ChildRef(Uuid::from_u128(3)),
        provision: ProvisionCode::parse("sportcontributie").unwrap(),
        amount_cents: Cents(25_000),
        valid_from: date!(2026 - 01 - 01),
        valid_until: date!(2026 - 12 - 31),
        funder: None,
        co_financing: None,
        form: None,
        unit_value_cents: None,
        household_children: vec![],
        regeling_id: Some(Uuid::from_u128(7)),
    }
}

fn given_open() -> Vec<EntitlementEvent> {
    vec![EntitlementEvent::Opened {
        gemeente: gemeente(),
        opened: opened(),
    }]
}

fn pass(id: u128, code: &str) -> EntitlementEvent {
    Entitlement::pass_issued(
        &opened(),
        NewPass {
            pass_id: Uuid::from_u128(id),
            code: code.to_owned(),
        },
        date!(2026 - 01 - 01),
        None,
    )
}

fn delivery(delivery: u128, amount_cents: i64) -> RecordDelivery {
    RecordDelivery {
        gemeente: gemeente(),
        delivery_id: Uuid::from_u128(delivery),
        partner: partner(),
        form: DeliveryForm::InKind,
        amount_cents: Cents(amount_cents),
        full_price_cents: None,
        delivered_on: date!(2026 - 09 - 15),
        child: None,
    }
}

fn deliver(id: u128, amount_cents: i64) -> EntitlementCommand {
    EntitlementCommand::RecordDelivery(delivery(id, amount_cents))
}

fn delivered(delivery: u128, amount_cents: i64, remaining_cents: i64) -> EntitlementEvent {
    EntitlementEvent::Delivered(DeliveryRecorded {
        entitlement_id: Uuid::from_u128(1),
        delivery_id: Uuid::from_u128(delivery),
        child: ChildRef(Uuid::from_u128(3)),
        provision: ProvisionCode::parse("sportcontributie").unwrap(),
        partner: partner(),
        form: DeliveryForm::InKind,
        amount_cents: Cents(amount_cents),
        remaining_cents: Cents(remaining_cents),
        delivered_on: date!(2026 - 09 - 15),
        full_price_cents: None,
    })
}

fn redeem(redemption: u128, code: &str, amount_cents: i64, on: Date) -> EntitlementCommand {
    EntitlementCommand::RedeemPass(RedeemPass {
        gemeente: gemeente(),
        code: code.to_owned(),
        redemption_id: Uuid::from_u128(redemption),
        partner: partner(),
        amount_cents: Cents(amount_cents),
        redeemed_on: on,
        child: None,
    })
}

/// A text sealed under the child's key as a stored event holds it: opaque (the aggregate never
/// opens what it carries), made here without a key.
fn sealed(text: &str) -> Sealed<Note> {
    serde_json::from_value(serde_json::json!({
        "s": Uuid::from_u128(3), "e": 202603, "n": "AAAAAAAAAAAAAAAA", "c": text
    }))
    .unwrap()
}

fn submit(declaration: u128, amount_cents: i64, proof: Option<&str>) -> EntitlementCommand {
    EntitlementCommand::SubmitDeclaration(SubmitDeclaration {
        gemeente: gemeente(),
        declaration_id: Uuid::from_u128(declaration),
        submitted_by: partner(),
        amount_cents: Cents(amount_cents),
        proof: proof.map(sealed),
        submitted_on: date!(2026 - 03 - 01),
        child: None,
    })
}

fn submitted(declaration: u128, amount_cents: i64) -> EntitlementEvent {
    EntitlementEvent::DeclarationSubmitted {
        submitted: DeclarationSubmitted {
            entitlement_id: Uuid::from_u128(1),
            declaration_id: Uuid::from_u128(declaration),
            child: ChildRef(Uuid::from_u128(3)),
            provision: ProvisionCode::parse("sportcontributie").unwrap(),
            submitted_by: partner(),
            amount_cents: Cents(amount_cents),
            submitted_on: date!(2026 - 03 - 01),
        },
        proof: Some(sealed("bon 17")),
    }
}

fn decide(declaration: u128, approved: bool, reason: Option<&str>) -> EntitlementCommand {
    EntitlementCommand::DecideDeclaration(DecideDeclaration {
        gemeente: gemeente(),
        declaration_id: Uuid::from_u128(declaration),
        approved,
        reason: reason.map(sealed),
        decided_on: date!(2026 - 03 - 10),
    })
}

fn state(events: Vec<EntitlementEvent>) -> Entitlement {
    let mut entitlement = Entitlement::default();
    for event in events {
        entitlement.apply(event);
    }
    entitlement
}

#[tokio::test]
async fn opening_again_with_the_same_terms_changes_nothing() {
    TestFramework::<Entitlement>::with(())
        .given(given_open())
        .when_async(EntitlementCommand::Open(Open {
            gemeente: gemeente(),
            opened: opened(),
            pass: None,
            opened_on: date!(2026 - 01 - 01),
        }))
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
            remaining_cents: Cents(5_000),
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
        .when_async(EntitlementCommand::RecordDelivery(RecordDelivery {
            gemeente: GemeenteCode::parse("GM0363").unwrap(),
            ..delivery(9, 100)
        }))
        .await
        .then_expect_error(EntitlementError::NotFound);
}

#[tokio::test]
async fn a_voucher_entitlement_opens_with_a_pass() {
    let mut voucher = opened();
    voucher.form = Some(DeliveryForm::Voucher);
    let events = TestFramework::<Entitlement>::with(())
        .given_no_previous_events()
        .when_async(EntitlementCommand::Open(Open {
            gemeente: gemeente(),
            opened: voucher.clone(),
            pass: Some(NewPass {
                pass_id: Uuid::from_u128(50),
                code: "AAAA-BBBB-CCCC".to_owned(),
            }),
            opened_on: date!(2025 - 12 - 20),
        }))
        .await
        .inspect_result()
        .unwrap();
    assert_eq!(events.len(), 2);
    let EntitlementEvent::PassIssued { code, issued } = &events[1] else {
        panic!("expected a pass, got {:?}", events[1]);
    };
    assert_eq!(code, "AAAA-BBBB-CCCC");
    assert_eq!(issued.code_hint, "CCCC");
    assert_eq!(
        issued.issued_on,
        date!(2026 - 01 - 01),
        "valid from the entitlement's start"
    );
    assert_eq!(issued.valid_until, voucher.valid_until);
}

#[tokio::test]
async fn a_pass_is_redeemed_in_parts_and_never_beyond_its_balance() {
    let mut events = given_open();
    events.push(pass(50, "AAAA-BBBB-CCCC"));
    let entitlement = state(events.clone());
    assert_eq!(entitlement.remaining_cents(), Cents(25_000));
    let first = TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(redeem(60, "AAAA-BBBB-CCCC", 10_000, date!(2026 - 05 - 01)))
        .await
        .inspect_result()
        .unwrap();
    let EntitlementEvent::PassRedeemed(redeemed) = &first[0] else {
        panic!("expected a redemption");
    };
    assert_eq!(redeemed.remaining_cents, Cents(15_000));
    events.extend(first);
    TestFramework::<Entitlement>::with(())
        .given(events)
        .when_async(redeem(61, "AAAA-BBBB-CCCC", 15_001, date!(2026 - 05 - 02)))
        .await
        .then_expect_error(EntitlementError::Overspent {
            remaining_cents: Cents(15_000),
        });
}

#[tokio::test]
async fn a_blocked_pass_is_refused_and_its_replacement_carries_the_balance() {
    let mut events = given_open();
    events.push(pass(50, "AAAA-BBBB-CCCC"));
    let blocked = TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(EntitlementCommand::BlockPass(BlockPass {
            gemeente: gemeente(),
            pass_id: Uuid::from_u128(50),
            reason: Some(sealed("kwijt")),
            blocked_on: date!(2026 - 04 - 01),
            replacement: Some(NewPass {
                pass_id: Uuid::from_u128(51),
                code: "DDDD-EEEE-FFFF".to_owned(),
            }),
        }))
        .await
        .inspect_result()
        .unwrap();
    assert_eq!(blocked.len(), 2);
    events.extend(blocked);
    TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(redeem(60, "AAAA-BBBB-CCCC", 100, date!(2026 - 05 - 01)))
        .await
        .then_expect_error(EntitlementError::PassBlocked);
    let redeemed = TestFramework::<Entitlement>::with(())
        .given(events)
        .when_async(redeem(60, "DDDD-EEEE-FFFF", 25_000, date!(2026 - 05 - 01)))
        .await
        .inspect_result()
        .unwrap();
    assert_eq!(redeemed.len(), 1, "the new pass has the whole balance");
}

#[tokio::test]
async fn a_pass_cannot_be_redeemed_after_it_expired() {
    let mut events = given_open();
    events.push(pass(50, "AAAA-BBBB-CCCC"));
    TestFramework::<Entitlement>::with(())
        .given(events)
        .when_async(redeem(60, "AAAA-BBBB-CCCC", 100, date!(2027 - 01 - 01)))
        .await
        .then_expect_error(EntitlementError::PassExpired(date!(2026 - 12 - 31)));
}

#[tokio::test]
async fn a_declaration_without_proof_is_refused() {
    TestFramework::<Entitlement>::with(())
        .given(given_open())
        .when_async(submit(70, 1_000, None))
        .await
        .then_expect_error(EntitlementError::MissingProof);
}

#[tokio::test]
async fn a_submitted_declaration_holds_its_amount_and_a_rejected_one_spends_nothing() {
    let mut events = given_open();
    events.push(submitted(70, 20_000));
    TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(deliver(9, 5_001))
        .await
        .then_expect_error(EntitlementError::Overspent {
            remaining_cents: Cents(5_000),
        });
    TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(decide(70, false, None))
        .await
        .then_expect_error(EntitlementError::MissingRejectionReason);
    let rejected = TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(decide(70, false, Some("bon is van een ander kind")))
        .await
        .inspect_result()
        .unwrap();
    events.extend(rejected);
    let after = state(events);
    assert_eq!(after.used_cents, Cents::ZERO);
    assert_eq!(after.remaining_cents(), Cents(25_000));
}

#[tokio::test]
async fn an_approved_declaration_is_paid_by_its_funders_to_the_cent() {
    let mut co_financed = opened();
    co_financed.funder = Some(Funder {
        organisation: OrganisationId::parse("gemeente-eindhoven").unwrap(),
        source: FundingSource::Municipal,
    });
    let leergeld = Funder {
        organisation: OrganisationId::parse("leergeld").unwrap(),
        source: FundingSource::ExternalFunds,
    };
    co_financed.co_financing = Some(CoFinancing {
        funder: leergeld.clone(),
        share_percent: 33,
    });
    let events = vec![
        EntitlementEvent::Opened {
            gemeente: gemeente(),
            opened: co_financed,
        },
        submitted(70, 10_001),
    ];
    let decided = TestFramework::<Entitlement>::with(())
        .given(events)
        .when_async(decide(70, true, None))
        .await
        .inspect_result()
        .unwrap();
    let EntitlementEvent::DeclarationDecided { decided, reason } = &decided[0] else {
        panic!("expected a decision");
    };
    assert!(reason.is_none(), "an approval keeps no reason");
    assert_eq!(
        decided.funding[1],
        FundingPart {
            funder: leergeld,
            amount_cents: Cents(3_300)
        }
    );
    assert_eq!(decided.funding[0].amount_cents, Cents(6_701));
}

#[tokio::test]
async fn at_the_year_end_the_unused_amount_is_recorded_and_nothing_is_spent_after() {
    let mut events = given_open();
    events.push(delivered(9, 20_000, 5_000));
    TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(EntitlementCommand::Expire(Expire {
            gemeente: gemeente(),
            on: date!(2026 - 12 - 31),
        }))
        .await
        .then_expect_error(EntitlementError::NotYetExpired(date!(2026 - 12 - 31)));
    let expired = TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(EntitlementCommand::Expire(Expire {
            gemeente: gemeente(),
            on: date!(2027 - 01 - 01),
        }))
        .await
        .inspect_result()
        .unwrap();
    let EntitlementEvent::Expired(record) = &expired[0] else {
        panic!("expected expiry");
    };
    assert_eq!(
        (record.used_cents, record.unused_cents),
        (Cents(20_000), Cents(5_000))
    );
    events.extend(expired);
    TestFramework::<Entitlement>::with(())
        .given(events)
        .when_async(deliver(10, 100))
        .await
        .then_expect_error(EntitlementError::Expired(date!(2027 - 01 - 01)));
}

#[tokio::test]
async fn voucher_and_declaration_are_not_recorded_as_deliveries() {
    TestFramework::<Entitlement>::with(())
        .given(given_open())
        .when_async(EntitlementCommand::RecordDelivery(RecordDelivery {
            form: DeliveryForm::Voucher,
            ..delivery(9, 100)
        }))
        .await
        .then_expect_error(EntitlementError::WrongRoute);
}

#[tokio::test]
async fn a_strippenkaart_is_spent_in_whole_strips() {
    let mut strips = opened();
    strips.amount_cents = Cents(5_000);
    strips.unit_value_cents = Some(Cents(500));
    let events = vec![EntitlementEvent::Opened {
        gemeente: gemeente(),
        opened: strips,
    }];
    TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(deliver(9, 700))
        .await
        .then_expect_error(EntitlementError::NotWholeUnits(Cents(500)));
    let spent = TestFramework::<Entitlement>::with(())
        .given(events)
        .when_async(deliver(9, 1_500))
        .await
        .inspect_result()
        .unwrap();
    assert_eq!(spent.len(), 1);
}

#[tokio::test]
async fn an_id_used_again_with_other_data_is_refused() {
    let mut events = given_open();
    events.push(delivered(9, 20_000, 5_000));
    TestFramework::<Entitlement>::with(())
        .given(events)
        .when_async(deliver(9, 1_000))
        .await
        .then_expect_error(EntitlementError::IdReused);
    let mut events = given_open();
    events.push(pass(50, "AAAA-BBBB-CCCC"));
    let redeemed = TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(redeem(60, "AAAA-BBBB-CCCC", 1_000, date!(2026 - 05 - 01)))
        .await
        .inspect_result()
        .unwrap();
    events.extend(redeemed);
    TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(redeem(60, "AAAA-BBBB-CCCC", 1_000, date!(2026 - 05 - 02)))
        .await
        .then_expect_events(vec![]);
    TestFramework::<Entitlement>::with(())
        .given(events)
        .when_async(redeem(60, "AAAA-BBBB-CCCC", 2_000, date!(2026 - 05 - 01)))
        .await
        .then_expect_error(EntitlementError::IdReused);
    let mut events = given_open();
    events.push(submitted(70, 1_000));
    TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(submit(70, 1_000, Some("bon 17")))
        .await
        .then_expect_events(vec![]);
    TestFramework::<Entitlement>::with(())
        .given(events)
        .when_async(submit(70, 2_000, Some("bon 17")))
        .await
        .then_expect_error(EntitlementError::IdReused);
}

#[tokio::test]
async fn a_decision_is_taken_once_and_a_grant_opens_once_on_its_terms() {
    let mut events = given_open();
    events.push(submitted(70, 1_000));
    let approved = TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(decide(70, true, None))
        .await
        .inspect_result()
        .unwrap();
    events.extend(approved);
    TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(decide(70, true, None))
        .await
        .then_expect_events(vec![]);
    TestFramework::<Entitlement>::with(())
        .given(events)
        .when_async(decide(70, false, Some("toch niet")))
        .await
        .then_expect_error(EntitlementError::DeclarationAlreadyDecided);
    let mut other_terms = opened();
    other_terms.amount_cents = Cents(30_000);
    TestFramework::<Entitlement>::with(())
        .given(given_open())
        .when_async(EntitlementCommand::Open(Open {
            gemeente: gemeente(),
            opened: other_terms,
            pass: None,
            opened_on: date!(2026 - 01 - 01),
        }))
        .await
        .then_expect_error(EntitlementError::OpenedDifferently);
}

#[test]
fn amounts_in_refusals_read_in_cents_as_before() {
    assert_eq!(
        EntitlementError::Overspent {
            remaining_cents: Cents(5_000)
        }
        .to_string(),
        "Het bedrag is hoger dan wat er op dit recht over is (5000 cent). Er is niets afgeboekt."
    );
    assert_eq!(
        EntitlementError::NotWholeUnits(Cents(500)).to_string(),
        "Dit recht is een strippenkaart: er wordt per hele strip van 500 cent afgeboekt. Er is niets afgeboekt."
    );
    assert_eq!(
        EntitlementError::OutsidePeriod(Period {
            from: date!(2026 - 01 - 01),
            until: date!(2026 - 12 - 31)
        })
        .to_string(),
        "De datum valt buiten de geldigheid van het recht (2026-01-01 tot en met 2026-12-31). Er is niets afgeboekt."
    );
}

fn discount_right() -> Vec<EntitlementEvent> {
    let opened = EntitlementOpened {
        amount_cents: Cents(10_000),
        form: Some(DeliveryForm::Discount),
        ..opened()
    };
    vec![
        EntitlementEvent::Opened {
            gemeente: gemeente(),
            opened: opened.clone(),
        },
        Entitlement::pass_issued(
            &opened,
            NewPass {
                pass_id: Uuid::from_u128(9),
                code: "KORTING".to_owned(),
            },
            date!(2026 - 01 - 01),
            None,
        ),
    ]
}

fn give(id: u128, full_price_cents: i64) -> EntitlementCommand {
    EntitlementCommand::GiveDiscount(GiveDiscount {
        gemeente: gemeente(),
        code: "KORTING".to_owned(),
        delivery_id: Uuid::from_u128(id),
        partner: partner(),
        full_price_cents: Cents(full_price_cents),
        percent: 50,
        max_per_purchase_cents: Some(Cents(3_000)),
        given_on: date!(2026 - 05 - 01),
    })
}

/// The discount amounts a series of purchases gets, each applied before the next.
async fn discounts(prices: &[i64]) -> Vec<Result<i64, EntitlementError>> {
    let mut events = discount_right();
    let mut given = Vec::new();
    for (i, price) in prices.iter().enumerate() {
        let result = TestFramework::<Entitlement>::with(())
            .given(events.clone())
            .when_async(give(100 + i as u128, *price))
            .await
            .inspect_result();
        match result {
            Ok(new) => {
                let EntitlementEvent::Delivered(delivered) = &new[0] else {
                    panic!("expected a delivery");
                };
                assert_eq!(delivered.form, DeliveryForm::Discount);
                assert_eq!(delivered.full_price_cents, Some(Cents(*price)));
                given.push(Ok(delivered.amount_cents.get()));
                events.extend(new);
            }
            Err(error) => given.push(Err(error)),
        }
    }
    given
}

#[tokio::test]
async fn a_discount_is_the_percentage_capped_per_purchase_and_by_what_is_left() {
    assert_eq!(
        discounts(&[8_000, 10_000, 3_000, 10_000, 2_000, 1]).await,
        vec![
            Ok(3_000),
            Ok(3_000),
            Ok(1_500),
            Ok(2_500),
            Err(EntitlementError::DiscountUsedUp),
            Err(EntitlementError::DiscountUsedUp),
        ]
    );
    // Half of one cent is no discount; a price of nothing is refused.
    assert_eq!(
        discounts(&[1, 0]).await,
        vec![
            Err(EntitlementError::NoDiscountOnPrice),
            Err(EntitlementError::NoFullPrice)
        ]
    );
}

#[tokio::test]
async fn a_discount_right_is_spent_at_the_till_only_and_a_till_discount_needs_a_discount_right() {
    TestFramework::<Entitlement>::with(())
        .given(discount_right())
        .when_async(deliver(1, 100))
        .await
        .then_expect_error(EntitlementError::DiscountAtTill);
    TestFramework::<Entitlement>::with(())
        .given(discount_right())
        .when_async(redeem(1, "KORTING", 100, date!(2026 - 05 - 01)))
        .await
        .then_expect_error(EntitlementError::DiscountAtTill);
    let mut voucher = given_open();
    voucher.push(pass(9, "KORTING"));
    TestFramework::<Entitlement>::with(())
        .given(voucher)
        .when_async(give(1, 1_000))
        .await
        .then_expect_error(EntitlementError::NotADiscount);
}

#[tokio::test]
async fn a_retried_discount_is_given_once_and_a_blocked_pass_gets_none() {
    let mut events = discount_right();
    events.extend(
        TestFramework::<Entitlement>::with(())
            .given(events.clone())
            .when_async(give(1, 8_000))
            .await
            .inspect_result()
            .unwrap(),
    );
    TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(give(1, 8_000))
        .await
        .then_expect_events(vec![]);
    TestFramework::<Entitlement>::with(())
        .given(events.clone())
        .when_async(give(1, 9_000))
        .await
        .then_expect_error(EntitlementError::IdReused);
    events.push(EntitlementEvent::PassBlocked {
        blocked: PassBlocked {
            entitlement_id: Uuid::from_u128(1),
            pass_id: Uuid::from_u128(9),
            blocked_on: date!(2026 - 04 - 01),
        },
        reason: None,
    });
    TestFramework::<Entitlement>::with(())
        .given(events)
        .when_async(give(2, 8_000))
        .await
        .then_expect_error(EntitlementError::PassBlocked);
}

/// A household budget (gezinstegoed) of €150 for three children (3, 4 and 5), co-financed half by
/// Leergeld.
fn household() -> EntitlementOpened {
    EntitlementOpened {
        amount_cents: Cents(15_000),
        household_children: vec![
            ChildRef(Uuid::from_u128(3)),
            ChildRef(Uuid::from_u128(4)),
            ChildRef(Uuid::from_u128(5)),
        ],
        funder: Some(Funder::gemeente()),
        co_financing: Some(CoFinancing {
            funder: Funder {
                organisation: OrganisationId::parse("leergeld").unwrap(),
                source: FundingSource::ExternalFunds,
            },
            share_percent: 50,
        }),
        ..opened()
    }
}

fn household_open() -> Entitlement {
    let mut entitlement = Entitlement::default();
    entitlement.apply(EntitlementEvent::Opened {
        gemeente: gemeente(),
        opened: household(),
    });
    entitlement
}

/// Runs a command on the entitlement as the store would: its events applied when accepted.
fn run(
    entitlement: &mut Entitlement,
    command: EntitlementCommand,
) -> Result<Vec<EntitlementEvent>, EntitlementError> {
    let events = match command {
        EntitlementCommand::RecordDelivery(command) => entitlement.record_delivery(command),
        EntitlementCommand::RedeemPass(command) => entitlement.redeem_pass(command),
        EntitlementCommand::SubmitDeclaration(command) => entitlement.submit_declaration(command),
        EntitlementCommand::DecideDeclaration(command) => entitlement.decide_declaration(command),
        _ => unreachable!("only spending here"),
    }?;
    for event in &events {
        entitlement.apply(event.clone());
    }
    Ok(events)
}

#[test]
fn each_child_of_a_household_budget_spends_it_and_the_event_names_the_child_that_spent() {
    let mut entitlement = household_open();
    let second = ChildRef(Uuid::from_u128(4));
    let events = run(
        &mut entitlement,
        EntitlementCommand::RecordDelivery(RecordDelivery {
            child: Some(second),
            ..delivery(10, 4_000)
        }),
    )
    .unwrap();
    let [EntitlementEvent::Delivered(delivered)] = events.as_slice() else {
        panic!("one delivery: {events:?}");
    };
    assert_eq!(delivered.child, second);
    assert_eq!(delivered.remaining_cents, Cents(11_000));
    // Without a child named, the first child spends.
    let events = run(&mut entitlement, deliver(11, 1_000)).unwrap();
    let [EntitlementEvent::Delivered(delivered)] = events.as_slice() else {
        panic!("one delivery: {events:?}");
    };
    assert_eq!(delivered.child, ChildRef(Uuid::from_u128(3)));
    // A declaration for the third child: held, then approved and paid half by each funder.
    let third = ChildRef(Uuid::from_u128(5));
    let submit_for_third = match submit(12, 3_001, Some("bon 12")) {
        EntitlementCommand::SubmitDeclaration(command) => {
            EntitlementCommand::SubmitDeclaration(SubmitDeclaration {
                child: Some(third),
                ..command
            })
        }
        _ => unreachable!(),
    };
    run(&mut entitlement, submit_for_third).unwrap();
    let events = run(&mut entitlement, decide(12, true, None)).unwrap();
    let [EntitlementEvent::DeclarationDecided { decided, .. }] = events.as_slice() else {
        panic!("one decision: {events:?}");
    };
    assert_eq!(
        decided.child, third,
        "the decision names the child it was for"
    );
    let parts: Vec<Cents> = decided
        .funding
        .iter()
        .map(|part| part.amount_cents)
        .collect();
    assert_eq!(parts, vec![Cents(1_501), Cents(1_500)], "split to the cent");
    assert_eq!(
        entitlement.remaining_cents(),
        Cents(15_000 - 4_000 - 1_000 - 3_001)
    );
}

#[test]
fn a_child_outside_the_household_is_refused_and_nothing_changes() {
    let mut entitlement = household_open();
    let stranger = ChildRef(Uuid::from_u128(99));
    for command in [
        EntitlementCommand::RecordDelivery(RecordDelivery {
            child: Some(stranger),
            ..delivery(10, 1_000)
        }),
        match submit(11, 1_000, Some("bon")) {
            EntitlementCommand::SubmitDeclaration(command) => {
                EntitlementCommand::SubmitDeclaration(SubmitDeclaration {
                    child: Some(stranger),
                    ..command
                })
            }
            _ => unreachable!(),
        },
    ] {
        assert_eq!(
            run(&mut entitlement, command),
            Err(EntitlementError::NotInHousehold)
        );
    }
    assert_eq!(entitlement.remaining_cents(), Cents(15_000));
    assert!(entitlement.deliveries.is_empty() && entitlement.declarations.is_empty());
    // A child's own entitlement: only its own child may be named.
    let mut own = Entitlement::default();
    own.apply(given_open().remove(0));
    assert_eq!(
        run(
            &mut own,
            EntitlementCommand::RecordDelivery(RecordDelivery {
                child: Some(ChildRef(Uuid::from_u128(4))),
                ..delivery(10, 1_000)
            })
        ),
        Err(EntitlementError::NotInHousehold)
    );
    assert!(run(
        &mut own,
        EntitlementCommand::RecordDelivery(RecordDelivery {
            child: Some(ChildRef(Uuid::from_u128(3))),
            ..delivery(10, 1_000)
        })
    )
    .is_ok());
}

#[test]
fn a_retry_naming_another_child_is_not_the_same_delivery() {
    let mut entitlement = household_open();
    let with = |child: u128| {
        EntitlementCommand::RecordDelivery(RecordDelivery {
            child: Some(ChildRef(Uuid::from_u128(child))),
            ..delivery(10, 1_000)
        })
    };
    run(&mut entitlement, with(4)).unwrap();
    assert_eq!(run(&mut entitlement, with(4)), Ok(vec![]), "the same again");
    assert_eq!(
        run(&mut entitlement, with(5)),
        Err(EntitlementError::IdReused)
    );
    assert_eq!(entitlement.remaining_cents(), Cents(14_000));
}

#[test]
fn the_children_together_never_spend_more_than_the_household_budget() {
    let mut entitlement = household_open();
    let mut accepted = 0;
    for id in 0..20u128 {
        let child = ChildRef(Uuid::from_u128(3 + id % 3));
        let result = run(
            &mut entitlement,
            EntitlementCommand::RecordDelivery(RecordDelivery {
                child: Some(child),
                ..delivery(100 + id, 1_000)
            }),
        );
        match result {
            Ok(_) => accepted += 1,
            Err(error) => assert_eq!(
                error,
                EntitlementError::Overspent {
                    remaining_cents: Cents::ZERO
                }
            ),
        }
    }
    assert_eq!(accepted, 15);
    assert_eq!(entitlement.remaining_cents(), Cents::ZERO);
    assert_eq!(entitlement.used_cents, Cents(15_000));
}
