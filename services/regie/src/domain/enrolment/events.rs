use cqrs_es::DomainEvent;
use kindpakket_proto::regie::{
    DiscountAgreed, DiscountEnded, PartnerEnrolled, PartnerEnrolmentEnded,
};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};

/// The events as this service stores them; [`crate::publish`] converts them into the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EnrolmentEvent {
    Enrolled {
        gemeente: GemeenteCode,
        enrolment: PartnerEnrolled,
    },
    Ended(PartnerEnrolmentEnded),
    DiscountAgreed(DiscountAgreed),
    DiscountEnded(DiscountEnded),
}

impl DomainEvent for EnrolmentEvent {
    fn event_type(&self) -> String {
        match self {
            EnrolmentEvent::Enrolled { .. } => "Enrolled",
            EnrolmentEvent::Ended(_) => "Ended",
            EnrolmentEvent::DiscountAgreed(_) => "DiscountAgreed",
            EnrolmentEvent::DiscountEnded(_) => "DiscountEnded",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
