//! Stored signal events to the shared contract (`ChildSignalled` version 2: no reason). The reason
//! and the signaller's note stay in this service, sealed; they are dropped here, so no stream and no
//! consumer ever holds them.

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
