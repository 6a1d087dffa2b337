//! Stored events to the shared contract. A pass code stays in this service: the contract carries
//! its last four characters only.

use cqrs_es::Aggregate;
use kindpakket_platform::relay::{by_aggregate_type, translator, Translator};
use kindpakket_proto::provision::ProvisionEvent;

use crate::domain::entitlement::{Entitlement, EntitlementEvent};
use crate::domain::invoice::{Invoice, InvoiceEvent};
use crate::domain::sample::{SampleDraw, SampleEvent};

pub fn entitlement_to_contract(event: EntitlementEvent) -> ProvisionEvent {
    match event {
        EntitlementEvent::Opened { opened, .. } => ProvisionEvent::EntitlementOpened(opened),
        EntitlementEvent::Delivered(event) => ProvisionEvent::DeliveryRecorded(event),
        EntitlementEvent::PassIssued { issued, .. } => ProvisionEvent::PassIssued(issued),
        EntitlementEvent::PassBlocked(event) => ProvisionEvent::PassBlocked(event),
        EntitlementEvent::PassRedeemed(event) => ProvisionEvent::PassRedeemed(event),
        EntitlementEvent::DeclarationSubmitted(event) => {
            ProvisionEvent::DeclarationSubmitted(event)
        }
        EntitlementEvent::DeclarationDecided(event) => ProvisionEvent::DeclarationDecided(event),
        EntitlementEvent::Expired(event) => ProvisionEvent::EntitlementExpired(event),
    }
}

pub fn invoice_to_contract(event: InvoiceEvent) -> ProvisionEvent {
    match event {
        InvoiceEvent::InvoiceSubmitted { invoice, .. } => ProvisionEvent::InvoiceSubmitted(invoice),
        InvoiceEvent::InvoiceSettled(event) => ProvisionEvent::InvoiceSettled(event),
    }
}

pub fn sample_to_contract(event: SampleEvent) -> ProvisionEvent {
    match event {
        SampleEvent::SampleDrawn { drawn, .. } => ProvisionEvent::SampleDrawn(drawn),
        SampleEvent::SampleCheckRecorded(event) => ProvisionEvent::SampleCheckRecorded(event),
    }
}

pub fn contract_translator() -> Translator {
    by_aggregate_type(vec![
        (Entitlement::TYPE, translator(entitlement_to_contract)),
        (Invoice::TYPE, translator(invoice_to_contract)),
        (SampleDraw::TYPE, translator(sample_to_contract)),
    ])
}
