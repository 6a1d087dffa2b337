//! Stored application events to the shared contract.

use kindpakket_platform::relay::{translator, Translator};
use kindpakket_proto::application::ApplicationEvent as Contract;

use crate::domain::application::ApplicationEvent;

pub fn to_contract(event: ApplicationEvent) -> Contract {
    match event {
        ApplicationEvent::Submitted { application, .. } => {
            Contract::ApplicationSubmitted(application)
        }
        ApplicationEvent::Granted(event) => Contract::ApplicationGranted(event),
        ApplicationEvent::Rejected(event) => Contract::ApplicationRejected(event),
        ApplicationEvent::Withdrawn(event) => Contract::ApplicationWithdrawn(event),
    }
}

pub fn contract_translator() -> Translator {
    translator(to_contract)
}
