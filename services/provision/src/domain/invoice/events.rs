use cqrs_es::DomainEvent;
use kindpakket_proto::provision::{InvoiceSettled, InvoiceSubmitted};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};

/// The events as this service stores them; [`crate::publish`] converts them into the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InvoiceEvent {
    InvoiceSubmitted {
        gemeente: GemeenteCode,
        invoice: InvoiceSubmitted,
    },
    InvoiceSettled(InvoiceSettled),
}

impl DomainEvent for InvoiceEvent {
    fn event_type(&self) -> String {
        match self {
            InvoiceEvent::InvoiceSubmitted { .. } => "InvoiceSubmitted",
            InvoiceEvent::InvoiceSettled(_) => "InvoiceSettled",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
