//! Stored signal events to the shared contract.

use kindpakket_platform::relay::{translator_with_upcasters, Translator};
use kindpakket_proto::signalling::SignallingEvent;

use crate::domain::signal::{upcasters, SignalEvent};

pub fn to_contract(event: SignalEvent) -> SignallingEvent {
    match event {
        SignalEvent::ChildSignalled { event, .. } => SignallingEvent::ChildSignalled(event),
        SignalEvent::OutcomeRecorded(event) => SignallingEvent::SignalOutcomeRecorded(event),
    }
}

pub fn contract_translator() -> Translator {
    translator_with_upcasters(to_contract, upcasters::upcasters)
}
