//! Stored events to the shared contract (version 2 of `PassBlocked`, `DeclarationSubmitted`,
//! `DeclarationDecided`, `InvoiceSettled` and `SampleCheckRecorded`). A pass code stays in this
//! service: the contract carries its last four characters only. Every free text stays too: the
//! sealed reasons, proofs and notes beside each stored event are dropped here, so no stream and no
//! consumer ever holds them, sealed or not.

use cqrs_es::Aggregate;
use kindpakket_platform::relay::{by_aggregate_type, translator, Translator};
use kindpakket_proto::provision::ProvisionEvent;

use crate::domain::campaign::{Campaign, CampaignEvent};
use crate::domain::entitlement::{Entitlement, EntitlementEvent};
use crate::domain::invoice::{Invoice, InvoiceEvent};
use crate::domain::sample::{SampleDraw, SampleEvent};

pub fn entitlement_to_contract(event: EntitlementEvent) -> ProvisionEvent {
    match event {
        EntitlementEvent::Opened { opened, .. } => ProvisionEvent::EntitlementOpened(opened),
        EntitlementEvent::Delivered(event) => ProvisionEvent::DeliveryRecorded(event),
        EntitlementEvent::PassIssued { issued, .. } => ProvisionEvent::PassIssued(issued),
        EntitlementEvent::PassBlocked { blocked, .. } => ProvisionEvent::PassBlocked(blocked),
        EntitlementEvent::PassRedeemed(event) => ProvisionEvent::PassRedeemed(event),
        EntitlementEvent::DeclarationSubmitted { submitted, .. } => {
            ProvisionEvent::DeclarationSubmitted(submitted)
        }
        EntitlementEvent::DeclarationDecided { decided, .. } => {
            ProvisionEvent::DeclarationDecided(decided)
        }
        EntitlementEvent::Expired(event) => ProvisionEvent::EntitlementExpired(event),
    }
}

pub fn invoice_to_contract(event: InvoiceEvent) -> ProvisionEvent {
    match event {
        InvoiceEvent::InvoiceSubmitted { invoice, .. } => ProvisionEvent::InvoiceSubmitted(invoice),
        InvoiceEvent::InvoiceSettled { settled, .. } => ProvisionEvent::InvoiceSettled(settled),
        InvoiceEvent::CreditNoteIssued(event) => ProvisionEvent::CreditNoteIssued(event),
    }
}

pub fn sample_to_contract(event: SampleEvent) -> ProvisionEvent {
    match event {
        SampleEvent::SampleDrawn { drawn, .. } => ProvisionEvent::SampleDrawn(drawn),
        SampleEvent::SampleCheckRecorded { check, .. } => {
            ProvisionEvent::SampleCheckRecorded(check)
        }
    }
}

pub fn campaign_to_contract(event: CampaignEvent) -> ProvisionEvent {
    match event {
        CampaignEvent::CampaignStarted { started, .. } => ProvisionEvent::CampaignStarted(started),
    }
}

pub fn contract_translator() -> Translator {
    by_aggregate_type(vec![
        (Entitlement::TYPE, translator(entitlement_to_contract)),
        (Invoice::TYPE, translator(invoice_to_contract)),
        (SampleDraw::TYPE, translator(sample_to_contract)),
        (Campaign::TYPE, translator(campaign_to_contract)),
    ])
}
