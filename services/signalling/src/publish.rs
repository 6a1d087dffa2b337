//! Stored signal events to the shared contract (`ChildSignalled` version 2: no reason). What the
//! contract does not need stays in this service: the reason and the signaller's note, who answered
//! a referral, through which one-time link, and why it was handed back. They are dropped here, so
//! no stream and no consumer ever holds them. The wijk and the kind of help (codes) go on the bus:
//! the overleg's figures are broken down by them.

use kindpakket_platform::relay::{translator_with_upcasters, Translator};
use kindpakket_proto::signalling::{
    ChildSignalled, SignalAccepted, SignalHandedBack, SignallingEvent,
};

use crate::domain::signal::{upcasters, SignalEvent};

pub fn to_contract(event: SignalEvent) -> SignallingEvent {
    match event {
        // The wijk and the kind of help go on the bus for the overleg's figures per wijk and per
        // provision type: codes, never the reason or the note.
        SignalEvent::ChildSignalled {
            event,
            wijk,
            provision_type,
            ..
        } => SignallingEvent::ChildSignalled(ChildSignalled {
            wijk,
            provision_type,
            ..event
        }),
        SignalEvent::OutcomeRecorded(stored) => {
            SignallingEvent::SignalOutcomeRecorded(stored.event)
        }
        SignalEvent::ReferralAccepted {
            signal_id,
            accepted_on,
            ..
        } => SignallingEvent::SignalAccepted(SignalAccepted {
            signal_id,
            accepted_on,
        }),
        SignalEvent::ReferralHandedBack {
            signal_id,
            handed_back_on,
            ..
        } => SignallingEvent::SignalHandedBack(SignalHandedBack {
            signal_id,
            handed_back_on,
        }),
        SignalEvent::Rerouted(referred) => SignallingEvent::SignalReferred(referred),
    }
}

pub fn contract_translator() -> Translator {
    translator_with_upcasters(to_contract, upcasters::upcasters)
}
