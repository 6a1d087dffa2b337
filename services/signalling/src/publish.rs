//! Stored signal events to the shared contract.

use kindpakket_platform::relay::{translator, Translator};
use kindpakket_proto::signalling::SignallingEvent;

use crate::domain::signal::SignalEvent;

pub fn to_contract(event: SignalEvent) -> SignallingEvent {
    match event {
        SignalEvent::ChildSignalled { event, .. } => SignallingEvent::ChildSignalled(event),
        SignalEvent::OutcomeRecorded(event) => SignallingEvent::SignalOutcomeRecorded(event),
    }
}

pub fn contract_translator() -> Translator {
    translator(to_contract)
}
