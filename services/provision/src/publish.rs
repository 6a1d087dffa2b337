//! Stored entitlement events to the shared contract.

use kindpakket_platform::relay::{translator, Translator};
use kindpakket_proto::provision::ProvisionEvent;

use crate::domain::entitlement::EntitlementEvent;

pub fn to_contract(event: EntitlementEvent) -> ProvisionEvent {
    match event {
        EntitlementEvent::Opened { opened, .. } => ProvisionEvent::EntitlementOpened(opened),
        EntitlementEvent::Delivered(event) => ProvisionEvent::DeliveryRecorded(event),
    }
}

pub fn contract_translator() -> Translator {
    translator(to_contract)
}
