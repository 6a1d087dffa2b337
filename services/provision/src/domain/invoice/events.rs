use std::collections::BTreeMap;

use cqrs_es::DomainEvent;
use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::Sealed;
use kindpakket_proto::provision::{CreditNoteIssued, InvoiceSettled, InvoiceSubmitted};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The events as this service stores them; [`crate::publish`] converts them into the contract.
///
/// Version 2: the reason of each rejected line is kept beside the contract's settlement, by the
/// line's delivery id, sealed under the key of the line's child. Version 1 kept it as plaintext in
/// the line ([`crate::reseal`] rewrites such rows once, at start).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InvoiceEvent {
    InvoiceSubmitted {
        gemeente: GemeenteCode,
        invoice: InvoiceSubmitted,
    },
    InvoiceSettled {
        settled: InvoiceSettled,
        /// Why each rejected line was rejected, by its delivery's (or redemption's) id.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        reasons: BTreeMap<Uuid, Sealed<Note>>,
    },
    CreditNoteIssued(CreditNoteIssued),
}

/// The stored version of every invoice event.
pub const EVENT_VERSION: &str = "2";

impl DomainEvent for InvoiceEvent {
    fn event_type(&self) -> String {
        match self {
            InvoiceEvent::InvoiceSubmitted { .. } => "InvoiceSubmitted",
            InvoiceEvent::InvoiceSettled { .. } => "InvoiceSettled",
            InvoiceEvent::CreditNoteIssued(_) => "CreditNoteIssued",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        EVENT_VERSION.to_owned()
    }
}
