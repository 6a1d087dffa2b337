use cqrs_es::DomainEvent;
use kindpakket_proto::application::{ForgetReason, SubjectKind};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

/// The events of a subject as this service stores them; [`crate::publish`] converts them into the
/// contract's `SubjectForgotten` and `SubjectRectified`. They name the subject by its pseudonymous
/// id (also the aggregate id) and nothing else of the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubjectEvent {
    Forgotten {
        /// The subject's pseudonymous id, the aggregate's id.
        subject: Uuid,
        gemeente: GemeenteCode,
        kind: SubjectKind,
        why: ForgetReason,
        forgotten_on: Date,
    },
    Rectified {
        subject: Uuid,
        gemeente: GemeenteCode,
        kind: SubjectKind,
        rectified_on: Date,
    },
}

impl DomainEvent for SubjectEvent {
    fn event_type(&self) -> String {
        match self {
            SubjectEvent::Forgotten { .. } => "Forgotten",
            SubjectEvent::Rectified { .. } => "Rectified",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
