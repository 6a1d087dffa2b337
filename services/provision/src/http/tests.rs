//! The API's document, and its answers compared with the JSON this API gave before its answers were
//! typed: same keys, same values, nulls where there were nulls.

use cqrs_es::Aggregate;
use kindpakket_platform::http::Caller;
use kindpakket_proto::provision::{
    CheckOutcome, DeclarationDecided, DeclarationSubmitted, DeliveryRecorded, EntitlementExpired,
    EntitlementOpened, InvoiceLine, InvoiceSettled, InvoiceSubmitted, PassBlocked, PassIssued,
    PassRedeemed, SampleCheckRecorded, SampleDrawn, SampleMember, SettledLine,
    SAMPLE_AMOUNT_BANDS_CENTS,
};
use kindpakket_proto::regie::{
    Budget, CoFinancing, DeliveryForm, Funder, FundingSource, ProvisionType,
};
use kindpakket_proto::{Actor, Cents, ChildRef, GemeenteCode, OrganisationId, ProvisionCode, Role};
use serde_json::{json, Value};
use time::macros::date;
use uuid::Uuid;

use super::entitlements::EntitlementView;
use super::finance::{funder_totals, BudgetView, EntryView};
use super::invoices::InvoiceView;
use super::passes::PassBalance;
use super::samples::{CheckOutcomeDto, SampleView};
use super::*;
use crate::domain::entitlement::{EntitlementEvent, Pass};
use crate::domain::invoice::InvoiceEvent;
use crate::domain::sample::SampleEvent;
use crate::ledger::{BudgetUse, LedgerEntry};
use crate::notes::{Field, Unsealed};
use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::Sealed;

/// Every operation and the roles that may call it, as the access matrix of the end-to-end tests
/// says.
const MATRIX: &[(&str, &str, &[&str])] = &[
    (
        "get",
        "/rechten",
        &["partner", "regievoerder", "auditor", "applicant"],
    ),
    (
        "get",
        "/rechten/{id}",
        &["partner", "regievoerder", "auditor", "applicant"],
    ),
    (
        "get",
        "/declaraties",
        &["partner", "regievoerder", "auditor", "applicant"],
    ),
    ("post", "/rechten/{id}/verstrekkingen", &["partner"]),
    ("post", "/rechten/{id}/passen", &["regievoerder"]),
    (
        "post",
        "/rechten/{id}/passen/{pas}/blokkering",
        &["regievoerder"],
    ),
    (
        "post",
        "/rechten/{id}/declaraties",
        &["partner", "regievoerder", "applicant"],
    ),
    (
        "post",
        "/rechten/{id}/declaraties/{declaratie}/beoordeling",
        &["regievoerder"],
    ),
    ("post", "/passen/opvragen", &["partner", "regievoerder"]),
    ("post", "/verzilveringen", &["partner"]),
    ("post", "/facturen", &["partner"]),
    ("get", "/facturen", &["partner", "regievoerder", "auditor"]),
    (
        "get",
        "/facturen/{id}",
        &["partner", "regievoerder", "auditor"],
    ),
    ("post", "/facturen/{id}/beoordeling", &["regievoerder"]),
    ("post", "/steekproeven", &["regievoerder", "auditor"]),
    ("get", "/steekproeven/{id}", &["regievoerder", "auditor"]),
    (
        "post",
        "/steekproeven/{id}/controles",
        &["regievoerder", "auditor"],
    ),
    ("post", "/campagnes", &["regievoerder"]),
    ("get", "/campagnes", &["regievoerder", "auditor"]),
    ("get", "/herinneringen", &["partner", "regievoerder"]),
    ("post", "/jaarafsluiting", &["regievoerder"]),
    ("get", "/grootboek/{jaar}", &["regievoerder", "auditor"]),
    ("get", "/budgetten/{jaar}", &["regievoerder", "auditor"]),
    (
        "get",
        "/partners/{partner}/afrekeningen/{jaar}/{kwartaal}",
        &["partner", "regievoerder", "auditor"],
    ),
    ("post", "/kortingen", &["partner"]),
    ("post", "/facturen/{id}/creditnotas", &["partner"]),
    (
        "put",
        "/rechten/{id}/declaraties/{declaratie}/bewijs",
        &["partner", "regievoerder", "applicant"],
    ),
    (
        "get",
        "/rechten/{id}/declaraties/{declaratie}/bewijs",
        &["regievoerder", "auditor"],
    ),
    (
        "post",
        "/steekproeven/{id}/terugvorderingen",
        &["regievoerder"],
    ),
    ("get", "/feed", &["partner", "regievoerder", "auditor"]),
];

#[test]
fn every_endpoint_says_who_may_call_it_as_the_matrix_says() {
    let (_, document) =
        kindpakket_platform::http::finish(routes(), DESCRIPTION).expect("a complete document");
    let document = serde_json::to_value(&document).unwrap();
    let paths = document["paths"].as_object().unwrap();
    let operations: usize = paths
        .values()
        .map(|path| path.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, MATRIX.len());
    for (method, tail, roles) in MATRIX {
        let path = format!("/api/v1/gemeenten/{{gemeente}}{tail}");
        let operation = &document["paths"][&path][method];
        let mut documented: Vec<&str> = operation["x-rollen"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path} is not documented"))
            .iter()
            .map(|role| role.as_str().unwrap())
            .collect();
        documented.sort_unstable();
        let mut expected = roles.to_vec();
        expected.sort_unstable();
        assert_eq!(documented, expected, "{method} {path}");
        // Every parameter of the path is documented by its name.
        let parameters: Vec<&str> = operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|parameter| parameter["name"].as_str().unwrap())
            .collect();
        for name in path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        {
            assert!(
                parameters.contains(&name),
                "{method} {path}: {parameters:?}"
            );
        }
    }
}

fn gemeente() -> GemeenteCode {
    GemeenteCode::parse("GM0518").unwrap()
}

fn leergeld() -> OrganisationId {
    OrganisationId::parse("leergeld").unwrap()
}

fn caller(role: Role) -> Caller {
    Caller {
        actor: Actor {
            organisation: match role {
                Role::Partner => leergeld(),
                _ => OrganisationId::parse("gemeente-eindhoven").unwrap(),
            },
            role,
        },
        subject: "medewerker".to_owned(),
        gemeenten: vec![gemeente()],
        household: None,
        correlation_id: Uuid::nil(),
    }
}

fn pseudonyms() -> Pseudonyms {
    Pseudonyms::new(b"a secret of at least sixteen bytes".to_vec())
}

fn sport() -> ProvisionCode {
    ProvisionCode::parse("sportcontributie").unwrap()
}

fn child() -> ChildRef {
    ChildRef(Uuid::from_u128(3))
}

fn opened(form: Option<DeliveryForm>, unit_value_cents: Option<Cents>) -> EntitlementOpened {
    EntitlementOpened {
        entitlement_id: Uuid::from_u128(1),
        application_id: Uuid::from_u128(2),
        child: child(),
        provision: sport(),
        amount_cents: Cents(25_000),
        valid_from: date!(2026 - 01 - 01),
        valid_until: date!(2026 - 12 - 31),
        funder: Some(Funder {
            organisation: OrganisationId::parse("gemeente-eindhoven").unwrap(),
            source: FundingSource::Municipal,
        }),
        co_financing: Some(CoFinancing {
            funder: Funder {
                organisation: leergeld(),
                source: FundingSource::ExternalFunds,
            },
            share_percent: 33,
        }),
        form,
        unit_value_cents,
        household_children: vec![],
        regeling_id: None,
    }
}

fn pass_issued(id: u128, replaces: Option<Uuid>) -> PassIssued {
    PassIssued {
        entitlement_id: Uuid::from_u128(1),
        pass_id: Uuid::from_u128(id),
        child: child(),
        provision: sport(),
        code_hint: format!("CC{id:02}"),
        issued_on: date!(2026 - 01 - 01),
        valid_until: date!(2026 - 12 - 31),
        replaces,
    }
}

fn submitted(id: u128, amount: i64) -> DeclarationSubmitted {
    DeclarationSubmitted {
        entitlement_id: Uuid::from_u128(1),
        declaration_id: Uuid::from_u128(id),
        child: child(),
        provision: sport(),
        submitted_by: leergeld(),
        amount_cents: Cents(amount),
        submitted_on: date!(2026 - 03 - 01),
    }
}

/// A sealed text as a stored event holds it: opaque here; the answers take their texts from
/// [`unsealed`], as if opened with the child's key.
fn sealed() -> Sealed<Note> {
    serde_json::from_value(json!({"s": child().0, "e": 202602, "n": "AAAAAAAAAAAAAAAA", "c": "x"}))
        .unwrap()
}

/// The texts of [`everything`], [`invoice`] and the sample, as their child's key opens them.
fn unsealed() -> Unsealed {
    let mut unsealed = Unsealed::default();
    unsealed.insert(
        Field::BlockReason,
        Uuid::from_u128(50),
        Some("kwijt".to_owned()),
    );
    for id in [70, 71, 72, 73] {
        unsealed.insert(Field::Proof, Uuid::from_u128(id), Some(format!("bon {id}")));
    }
    unsealed.insert(
        Field::Rejection,
        Uuid::from_u128(71),
        Some("andere bon".to_owned()),
    );
    unsealed.insert(
        Field::LineReason,
        Uuid::from_u128(11),
        Some("dubbel".to_owned()),
    );
    unsealed.insert(
        Field::CheckNote,
        Uuid::from_u128(5),
        Some("bon ontbreekt".to_owned()),
    );
    unsealed
}

fn declared(id: u128, amount: i64) -> EntitlementEvent {
    EntitlementEvent::DeclarationSubmitted {
        submitted: submitted(id, amount),
        proof: Some(sealed()),
    }
}

fn decided(id: u128, amount: i64, approved: bool, reason: Option<&str>) -> EntitlementEvent {
    EntitlementEvent::DeclarationDecided {
        decided: decision(id, amount, approved),
        reason: reason.map(|_| sealed()),
    }
}

fn decision(id: u128, amount: i64, approved: bool) -> DeclarationDecided {
    DeclarationDecided {
        entitlement_id: Uuid::from_u128(1),
        declaration_id: Uuid::from_u128(id),
        child: child(),
        provision: sport(),
        submitted_by: leergeld(),
        approved,
        amount_cents: Cents(amount),
        funding: vec![],
        decided_on: date!(2026 - 03 - 10),
    }
}

/// An entitlement with something of everything: a delivery, a blocked pass and its replacement, a
/// redemption, declarations approved, rejected and pending, and its year end.
fn everything(form: Option<DeliveryForm>, unit_value_cents: Option<Cents>) -> Entitlement {
    let events = vec![
        EntitlementEvent::Opened {
            gemeente: gemeente(),
            opened: opened(form, unit_value_cents),
        },
        EntitlementEvent::Delivered(DeliveryRecorded {
            entitlement_id: Uuid::from_u128(1),
            delivery_id: Uuid::from_u128(10),
            child: child(),
            provision: sport(),
            partner: leergeld(),
            form: DeliveryForm::InKind,
            amount_cents: Cents(1_000),
            remaining_cents: Cents(24_000),
            delivered_on: date!(2026 - 02 - 01),
            full_price_cents: None,
        }),
        EntitlementEvent::PassIssued {
            code: "AAAA-BBBB-CC50".to_owned(),
            issued: pass_issued(50, None),
        },
        EntitlementEvent::PassBlocked {
            blocked: PassBlocked {
                entitlement_id: Uuid::from_u128(1),
                pass_id: Uuid::from_u128(50),
                blocked_on: date!(2026 - 02 - 02),
            },
            reason: Some(sealed()),
        },
        EntitlementEvent::PassIssued {
            code: "DDDD-EEEE-CC51".to_owned(),
            issued: pass_issued(51, Some(Uuid::from_u128(50))),
        },
        EntitlementEvent::PassRedeemed(PassRedeemed {
            entitlement_id: Uuid::from_u128(1),
            pass_id: Uuid::from_u128(51),
            redemption_id: Uuid::from_u128(60),
            child: child(),
            provision: sport(),
            partner: leergeld(),
            amount_cents: Cents(500),
            remaining_cents: Cents(23_500),
            redeemed_on: date!(2026 - 02 - 03),
        }),
        declared(70, 2_000),
        declared(71, 3_000),
        declared(72, 1_500),
        decided(70, 2_000, true, None),
        decided(71, 3_000, false, Some("andere bon")),
        EntitlementEvent::Expired(EntitlementExpired {
            entitlement_id: Uuid::from_u128(1),
            child: child(),
            provision: sport(),
            amount_cents: Cents(25_000),
            used_cents: Cents(3_500),
            held_cents: Cents(1_500),
            unused_cents: Cents(20_000),
            expired_on: date!(2027 - 01 - 01),
        }),
    ];
    let mut entitlement = Entitlement::default();
    for event in events {
        entitlement.apply(event);
    }
    entitlement
}

/// The answer as it was built before, narrowed for a partner (issue 12): its own pseudonym of the
/// entitlement, no passes, only its own declarations; since issue 13 the texts opened from their
/// seal (here from [`unsealed`]) and a `vergeten` beside them.
fn old_entitlement_json(
    pseudonyms: &Pseudonyms,
    caller: &Caller,
    entitlement: &Entitlement,
) -> Value {
    let role = caller.actor.role;
    let opened = entitlement.opened.as_ref().unwrap();
    let passes: Vec<Value> = entitlement
        .passes
        .iter()
        .filter(|_| role != Role::Partner)
        .map(|pass| {
            json!({
                "id": pass.issued.pass_id,
                "code": (role == Role::Regievoerder).then_some(&pass.code),
                "laatsteTekens": pass.issued.code_hint,
                "uitgegevenOp": pass.issued.issued_on,
                "geldigTot": pass.issued.valid_until,
                "vervangt": pass.issued.replaces,
                "geblokkeerd": pass.blocked.as_ref().map(|b| json!({
                    "op": b.blocked_on,
                    "reden": unsealed().text(Field::BlockReason, b.pass_id),
                    "vergeten": false,
                })),
            })
        })
        .collect();
    let declarations: Vec<Value> = entitlement
        .declarations
        .iter()
        .filter(|declaration| {
            role != Role::Partner || declaration.submitted.submitted_by == caller.actor.organisation
        })
        .map(|declaration| {
            let submitted = &declaration.submitted;
            json!({
                "id": submitted.declaration_id,
                "ingediendDoor": submitted.submitted_by,
                "bedragCent": submitted.amount_cents,
                "bewijs": format!("bon {}", submitted.declaration_id.as_u128()),
                "ingediendOp": submitted.submitted_on,
                "status": match &declaration.decided {
                    None => "ingediend",
                    Some(decided) if decided.approved => "goedgekeurd",
                    Some(_) => "afgewezen",
                },
                "reden": unsealed().text(Field::Rejection, submitted.declaration_id),
                "vergeten": false,
                // Added with proof documents (docs/money.md §3).
                "bewijsstuk": null,
            })
        })
        .collect();
    let unit = opened.unit_value_cents.filter(|unit| unit.get() > 0);
    json!({
        "id": pseudonyms.entitlement_for(&caller.actor, opened.entitlement_id),
        "aanvraag": (role != Role::Partner).then_some(opened.application_id),
        "kind": pseudonyms.child_for(&caller.actor, opened.child),
        "vergeten": false,
        "voorziening": opened.provision,
        "vorm": opened.form.map(DeliveryFormDto::from),
        "bedragCent": opened.amount_cents,
        "stripwaardeCent": unit,
        "restAantal": unit.map(|unit| entitlement.remaining_cents().get() / unit.get()),
        "besteedCent": entitlement.used_cents,
        "gereserveerdCent": entitlement.held_cents,
        "restCent": entitlement.remaining_cents(),
        "geldigVanaf": opened.valid_from,
        "geldigTot": opened.valid_until,
        "verlopen": entitlement.expired.as_ref().map(|e| json!({"op": e.expired_on, "ongebruiktCent": e.unused_cents})),
        "verstrekkingen": entitlement.deliveries.len(),
        "verzilveringen": entitlement.redemptions.len(),
        "passen": passes,
        "declaraties": declarations,
    })
}

#[test]
fn an_entitlement_reads_as_before_for_every_reader() {
    let pseudonyms = pseudonyms();
    for entitlement in [
        everything(Some(DeliveryForm::Voucher), None),
        everything(None, Some(Cents(500))),
        {
            let mut fresh = Entitlement::default();
            fresh.apply(EntitlementEvent::Opened {
                gemeente: gemeente(),
                opened: opened(None, None),
            });
            fresh
        },
    ] {
        for role in [Role::Regievoerder, Role::Auditor, Role::Partner] {
            let caller = caller(role);
            let view =
                EntitlementView::of(&pseudonyms, &caller, &entitlement, &unsealed()).unwrap();
            let new = serde_json::to_value(&view).unwrap();
            assert_eq!(
                new,
                old_entitlement_json(&pseudonyms, &caller, &entitlement),
                "{role:?}"
            );
        }
    }
    let partner = caller(Role::Partner);
    let view =
        EntitlementView::of(&pseudonyms, &partner, &everything(None, None), &unsealed()).unwrap();
    let new = serde_json::to_value(&view).unwrap();
    assert_eq!(
        new["aanvraag"],
        Value::Null,
        "a partner sees no application"
    );
    assert_eq!(new["passen"], json!([]), "nor a pass");
    assert_ne!(
        new["kind"],
        json!(child().0),
        "and the child under its own pseudonym"
    );
    assert_ne!(
        new["id"],
        json!(Uuid::from_u128(1)),
        "and the entitlement under its own pseudonym"
    );
    let mut with_another = everything(None, None);
    with_another.apply(EntitlementEvent::DeclarationSubmitted {
        submitted: DeclarationSubmitted {
            declaration_id: Uuid::from_u128(73),
            submitted_by: OrganisationId::parse("jeugdfonds").unwrap(),
            ..submitted(73, 500)
        },
        proof: Some(sealed()),
    });
    let view = EntitlementView::of(&pseudonyms, &partner, &with_another, &unsealed()).unwrap();
    assert!(
        view.declarations
            .iter()
            .all(|declaration| declaration.submitted_by == leergeld()),
        "a partner sees its own declarations only"
    );
    let regie = EntitlementView::of(
        &pseudonyms,
        &caller(Role::Regievoerder),
        &with_another,
        &unsealed(),
    );
    assert_eq!(regie.unwrap().declarations.len(), 4);
}

#[test]
fn the_ids_of_what_was_recorded_are_added_beside_the_entitlement() {
    let pseudonyms = pseudonyms();
    let caller = caller(Role::Partner);
    let entitlement = everything(None, None);
    let view = |entitlement: &Entitlement| {
        EntitlementView::of(&pseudonyms, &caller, entitlement, &unsealed()).unwrap()
    };
    let recorded = serde_json::to_value(super::entitlements::DeliveryRecordedView {
        entitlement: view(&entitlement),
        delivery_id: Uuid::from_u128(10),
    })
    .unwrap();
    let mut old = old_entitlement_json(&pseudonyms, &caller, &entitlement);
    old["verstrekking"] = json!(Uuid::from_u128(10));
    assert_eq!(recorded, old);
    let issued = serde_json::to_value(super::entitlements::PassIssuedView {
        entitlement: view(&entitlement),
        pass_id: Uuid::from_u128(51),
    })
    .unwrap();
    let mut old = old_entitlement_json(&pseudonyms, &caller, &entitlement);
    old["pas"] = json!(Uuid::from_u128(51));
    assert_eq!(issued, old);
    let declared = serde_json::to_value(super::entitlements::DeclarationSubmittedView {
        entitlement: view(&entitlement),
        declaration_id: Uuid::from_u128(72),
    })
    .unwrap();
    let mut old = old_entitlement_json(&pseudonyms, &caller, &entitlement);
    old["declaratie"] = json!(Uuid::from_u128(72));
    assert_eq!(declared, old);
}

#[test]
fn a_pass_balance_reads_as_before() {
    let pseudonyms = pseudonyms();
    for entitlement in [everything(None, Some(Cents(500))), {
        let mut open = Entitlement::default();
        open.apply(EntitlementEvent::Opened {
            gemeente: gemeente(),
            opened: opened(Some(DeliveryForm::Voucher), None),
        });
        open.apply(EntitlementEvent::PassIssued {
            code: "AAAA-BBBB-CC50".to_owned(),
            issued: PassIssued {
                valid_until: date!(2100 - 12 - 31),
                ..pass_issued(50, None)
            },
        });
        open
    }] {
        for role in [Role::Regievoerder, Role::Partner] {
            let caller = caller(role);
            for pass in &entitlement.passes {
                let new = serde_json::to_value(
                    PassBalance::of(&pseudonyms, &caller, &entitlement, pass).unwrap(),
                )
                .unwrap();
                assert_eq!(new, old_pass_json(&pseudonyms, &caller, &entitlement, pass));
            }
        }
    }
}

fn old_pass_json(
    pseudonyms: &Pseudonyms,
    caller: &Caller,
    entitlement: &Entitlement,
    pass: &Pass,
) -> Value {
    let opened = entitlement.opened.as_ref().unwrap();
    let status = if pass.blocked.is_some() {
        "geblokkeerd"
    } else if entitlement.expired.is_some()
        || kindpakket_platform::clock::today() > pass.issued.valid_until
    {
        "verlopen"
    } else {
        "geldig"
    };
    let unit = opened.unit_value_cents.filter(|unit| unit.get() > 0);
    json!({
        "pas": pass.issued.pass_id,
        "laatsteTekens": pass.issued.code_hint,
        "voorziening": opened.provision,
        "kind": pseudonyms.child_for(&caller.actor, opened.child),
        "saldoCent": entitlement.remaining_cents(),
        "saldoAantal": unit.map(|unit| entitlement.remaining_cents().get() / unit.get()),
        "geldigTot": pass.issued.valid_until,
        "status": status,
    })
}

fn invoice() -> Invoice {
    let line = |id: u128, amount: i64| InvoiceLine {
        delivery_id: Uuid::from_u128(id),
        entitlement_id: Uuid::from_u128(1),
        child: child(),
        provision: sport(),
        form: DeliveryForm::InKind,
        amount_cents: Cents(amount),
        delivered_on: date!(2026 - 02 - 01),
        funding: opened(None, None).funding_of(Cents(amount)),
    };
    let lines = vec![line(10, 1_000), line(11, 2_000), line(12, 3_000)];
    let settled = |id: u128, approved: bool| SettledLine {
        delivery_id: Uuid::from_u128(id),
        entitlement_id: Uuid::from_u128(1),
        child: child(),
        provision: sport(),
        approved,
        amount_cents: Cents(1_000 * (id as i64 - 9)),
        delivered_on: date!(2026 - 02 - 01),
        funding: vec![],
    };
    let mut invoice = Invoice::default();
    invoice.apply(InvoiceEvent::InvoiceSubmitted {
        gemeente: gemeente(),
        invoice: InvoiceSubmitted {
            invoice_id: Uuid::from_u128(80),
            partner: leergeld(),
            period_from: date!(2026 - 01 - 01),
            period_until: date!(2026 - 03 - 31),
            total_cents: Cents(6_000),
            lines,
        },
    });
    invoice.apply(InvoiceEvent::InvoiceSettled {
        settled: InvoiceSettled {
            invoice_id: Uuid::from_u128(80),
            partner: leergeld(),
            lines: vec![settled(10, true), settled(11, false)],
            complete: false,
            settled_on: date!(2026 - 04 - 01),
        },
        reasons: [(Uuid::from_u128(11), sealed())].into_iter().collect(),
    });
    invoice
}

fn old_invoice_json(pseudonyms: &Pseudonyms, caller: &Caller, invoice: &Invoice) -> Value {
    let submitted = invoice.submitted.as_ref().unwrap();
    let lines: Vec<Value> = submitted
        .lines
        .iter()
        .map(|line| {
            let decision = invoice.decisions.get(&line.delivery_id);
            json!({
                "verstrekking": line.delivery_id,
                "recht": pseudonyms.entitlement_for(&caller.actor, line.entitlement_id),
                "kind": pseudonyms.child_for(&caller.actor, line.child),
                "voorziening": line.provision,
                "bedragCent": line.amount_cents,
                "datum": line.delivered_on,
                "financiering": line.funding.iter().map(|part| json!({
                    "organisatie": part.funder.organisation,
                    "bron": FundingSourceDto::from(part.funder.source),
                    "bedragCent": part.amount_cents,
                })).collect::<Vec<_>>(),
                "status": match decision {
                    None => "open",
                    Some(line) if line.approved => "goedgekeurd",
                    Some(_) => "afgekeurd",
                },
                "reden": decision.and_then(|_| unsealed().text(Field::LineReason, line.delivery_id)),
                "vergeten": false,
            })
        })
        .collect();
    let approved: i64 = invoice
        .decisions
        .values()
        .filter(|line| line.approved)
        .map(|line| line.amount_cents.get())
        .sum();
    json!({
        "id": submitted.invoice_id,
        "partner": submitted.partner,
        "vanaf": submitted.period_from,
        "tot": submitted.period_until,
        "totaalCent": submitted.total_cents,
        "goedgekeurdCent": approved,
        "afgehandeld": invoice.decisions.len() == submitted.lines.len(),
        "regels": lines,
    })
}

#[test]
fn an_invoice_reads_as_before() {
    let pseudonyms = pseudonyms();
    let invoice = invoice();
    for role in [Role::Regievoerder, Role::Partner] {
        let caller = caller(role);
        let new = serde_json::to_value(
            InvoiceView::of(&pseudonyms, &caller, &invoice, &unsealed()).unwrap(),
        )
        .unwrap();
        // Every field as before; the credit notes (docs/money.md §5) only add two.
        let mut expected = old_invoice_json(&pseudonyms, &caller, &invoice);
        expected["gecrediteerdCent"] = json!(0);
        expected["creditnotas"] = json!([]);
        assert_eq!(new, expected);
    }
}

#[test]
fn a_sample_reads_as_before() {
    let population: Vec<SampleMember> = (1..=6)
        .map(|id| SampleMember {
            declaration_id: Uuid::from_u128(id),
            entitlement_id: Uuid::from_u128(id + 100),
            submitted_by: leergeld(),
            amount_cents: Cents(2_500 * id as i64),
        })
        .collect();
    let mut sample = SampleDraw::default();
    sample.apply(SampleEvent::SampleDrawn {
        gemeente: gemeente(),
        drawn: SampleDrawn {
            draw_id: Uuid::from_u128(90),
            period_from: date!(2026 - 01 - 01),
            period_until: date!(2026 - 03 - 31),
            rate_percent: 50,
            seed: u64::MAX - 7,
            amount_bands_cents: SAMPLE_AMOUNT_BANDS_CENTS.to_vec(),
            population,
            selected: vec![Uuid::from_u128(2), Uuid::from_u128(5)],
        },
    });
    sample.apply(SampleEvent::SampleCheckRecorded {
        check: SampleCheckRecorded {
            draw_id: Uuid::from_u128(90),
            declaration_id: Uuid::from_u128(5),
            outcome: CheckOutcome::NotInOrder,
            checked_on: date!(2026 - 04 - 02),
        },
        note: Some(sealed()),
    });
    let drawn = sample.drawn.as_ref().unwrap();
    let old = json!({
        "id": drawn.draw_id,
        "vanaf": drawn.period_from,
        "tot": drawn.period_until,
        "percentage": drawn.rate_percent,
        "zaad": drawn.seed,
        "bedragklassenCent": drawn.amount_bands_cents,
        "populatie": drawn.population.iter().map(|member| json!({
            "declaratie": member.declaration_id,
            "recht": member.entitlement_id,
            "ingediendDoor": member.submitted_by,
            "bedragCent": member.amount_cents,
        })).collect::<Vec<_>>(),
        "getrokken": drawn.selected.iter().map(|id| {
            let check = sample.checks.get(id);
            json!({
                "declaratie": id,
                "uitkomst": check.map(|c| CheckOutcomeDto::from(c.outcome)),
                "toelichting": check.and_then(|_| unsealed().text(Field::CheckNote, *id)),
                "vergeten": false,
                "gecontroleerdOp": check.map(|c| c.checked_on),
                // Added with proof documents and reclaims (docs/money.md §3, §4).
                "bewijsBijgevoegd": false,
                "bewijs": null,
                "teruggevorderdCent": 0,
            })
        }).collect::<Vec<_>>(),
        "methode": "Per partner en bedragklasse wordt afgerond naar boven het percentage getrokken: de declaraties met de laagste SHA-256(zaad als 8 bytes big-endian ‖ declaratie-id als 16 bytes), eerste 8 bytes als getal.",
        "terugvorderingen": [],
    });
    assert_eq!(
        serde_json::to_value(
            SampleView::of(
                &gemeente(),
                &sample,
                &unsealed(),
                &std::collections::HashMap::new()
            )
            .unwrap()
        )
        .unwrap(),
        old
    );
}

#[test]
fn ledger_lines_totals_and_budgets_read_as_before() {
    let funder = |organisation: &str, source| Funder {
        organisation: OrganisationId::parse(organisation).unwrap(),
        source,
    };
    let entry = |reference: u128, funder: Funder, amount: i64| LedgerEntry {
        kind: crate::ledger::EntryKind::Payment,
        child: child(),
        provision: sport(),
        entitlement_id: Uuid::from_u128(1),
        partner: leergeld(),
        funder,
        amount_cents: Cents(amount),
        date: date!(2026 - 02 - 01),
        reference: Uuid::from_u128(reference),
    };
    let entries = [
        entry(1, funder("jeugdfonds", FundingSource::Private), 100),
        entry(2, funder("gemeente", FundingSource::Municipal), 200),
        entry(3, funder("gemeente", FundingSource::National), 300),
        entry(4, funder("gemeente", FundingSource::Municipal), 400),
        entry(5, funder("gemeente", FundingSource::ExternalFunds), 500),
    ];
    let entries: Vec<&LedgerEntry> = entries.iter().collect();
    let old_totals = {
        let mut totals: std::collections::BTreeMap<(String, String), i64> = Default::default();
        for entry in &entries {
            *totals
                .entry((
                    entry.funder.organisation.to_string(),
                    serde_json::to_value(FundingSourceDto::from(entry.funder.source))
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                ))
                .or_default() += entry.amount_cents.get();
        }
        totals
            .into_iter()
            .map(|((organisation, source), cents)| {
                json!({"organisatie": organisation, "bron": source, "bedragCent": cents})
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        serde_json::to_value(funder_totals(&entries)).unwrap(),
        json!(old_totals)
    );
    let child = Uuid::from_u128(77);
    let old_entry = json!({
        // Added with reclaims (docs/money.md §4).
        "soort": "betaling",
        "teruggevorderdVan": null,
        "datum": entries[0].date,
        "kind": child,
        "voorziening": entries[0].provision,
        "recht": entries[0].entitlement_id,
        "partner": entries[0].partner,
        "financier": entries[0].funder.organisation,
        "bron": FundingSourceDto::from(entries[0].funder.source),
        "bedragCent": entries[0].amount_cents,
        "kenmerk": entries[0].reference,
    });
    assert_eq!(
        serde_json::to_value(EntryView::of(
            entries[0],
            child.to_string(),
            entries[0].entitlement_id
        ))
        .unwrap(),
        old_entry
    );
    for budget in [
        Budget {
            provision: Some(sport()),
            provision_type: None,
            source: FundingSource::Municipal,
            amount_cents: Cents(50_000),
        },
        Budget {
            provision: None,
            provision_type: Some(ProvisionType::School),
            source: FundingSource::National,
            amount_cents: Cents(10_000),
        },
    ] {
        let used = BudgetUse {
            budget: budget.clone(),
            committed_cents: Cents(30_000),
            spent_cents: Cents(12_345),
        };
        let old = json!({
            "voorziening": used.budget.provision,
            "type": used.budget.provision_type.map(ProvisionTypeDto::from),
            "bron": FundingSourceDto::from(used.budget.source),
            "toegekendBudgetCent": used.budget.amount_cents,
            "vastgelegdCent": used.committed_cents,
            "besteedCent": used.spent_cents,
            "over": used.budget.amount_cents.get() - used.spent_cents.get(),
        });
        assert_eq!(serde_json::to_value(BudgetView::of(used)).unwrap(), old);
    }
}
