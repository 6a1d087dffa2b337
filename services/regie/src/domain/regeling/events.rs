use cqrs_es::DomainEvent;
use kindpakket_proto::regie::{RegelingEnded, RegelingPublished};
use serde::{Deserialize, Serialize};

/// The events as this service stores them; [`crate::publish`] converts them into the contract.
/// A correction stores `Ended` (of the version corrected) and `Published` (of its successor) in
/// the same aggregate, in one commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RegelingEvent {
    Published(RegelingPublished),
    Ended(RegelingEnded),
}

impl DomainEvent for RegelingEvent {
    fn event_type(&self) -> String {
        match self {
            RegelingEvent::Published(_) => "Published",
            RegelingEvent::Ended(_) => "Ended",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
