//! The NATS subject scheme and the JetStream streams. Subject and stream names exist only here.
//!
//! Subjects put the tenant first: `kindpakket.<gemeente>.<service>.<EventType>`, e.g.
//! `kindpakket.GM0518.signalling.ChildSignalled`, so a consumer (or a partner system's NATS user)
//! can be limited to one gemeente with a subject filter.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::GemeenteCode;

/// The services that publish events; each has one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Regie,
    Signalling,
    Application,
    Provision,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::Regie,
        Service::Signalling,
        Service::Application,
        Service::Provision,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Service::Regie => "regie",
            Service::Signalling => "signalling",
            Service::Application => "application",
            Service::Provision => "provision",
        }
    }

    pub fn parse(value: &str) -> Option<Service> {
        Service::ALL
            .into_iter()
            .find(|service| service.as_str() == value)
    }

    /// The stream holding this service's events.
    pub fn stream(&self) -> StreamDefinition {
        StreamDefinition {
            name: format!("KINDPAKKET_{}", self.as_str().to_uppercase()),
            subjects: vec![format!("kindpakket.*.{}.>", self.as_str())],
            description: format!(
                "Kindpakket: alle gebeurtenissen van de dienst {}",
                self.as_str()
            ),
        }
    }
}

/// A JetStream stream: its name and the subjects it captures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamDefinition {
    pub name: String,
    pub subjects: Vec<String>,
    pub description: String,
}

/// The subject one event is published on.
pub fn event_subject(gemeente: &GemeenteCode, service: Service, event_type: &str) -> String {
    format!(
        "kindpakket.{}.{}.{event_type}",
        gemeente.as_str(),
        service.as_str()
    )
}

/// All events of one service for one gemeente, for a consumer's filter.
pub fn gemeente_filter(gemeente: &GemeenteCode, service: Service) -> String {
    format!("kindpakket.{}.{}.>", gemeente.as_str(), service.as_str())
}

/// The durable consumer through which `consumer` (a service's name, e.g. `dashboard`) reads the stream
/// of `source`: `dashboard-signalling`. One per (consumer, source); its instances share it.
pub fn durable_name(consumer: &str, source: Service) -> String {
    format!("{consumer}-{}", source.as_str())
}

/// The prefix of the reply subjects of a NATS user (`_INBOX_<user>`): each service's user may
/// subscribe to its own replies only, so it cannot read another's.
pub fn inbox_prefix(user: &str) -> String {
    format!("_INBOX_{user}")
}

/// One event type of one service in every gemeente, for a consumer's filter.
pub fn event_type_filter(service: Service, event_type: &str) -> String {
    format!("kindpakket.*.{}.{event_type}", service.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_put_the_gemeente_first_and_fall_in_their_stream() {
        let gemeente = GemeenteCode::parse("GM0518").unwrap();
        let subject = event_subject(&gemeente, Service::Signalling, "ChildSignalled");
        assert_eq!(subject, "kindpakket.GM0518.signalling.ChildSignalled");
        let stream = Service::Signalling.stream();
        assert_eq!(stream.name, "KINDPAKKET_SIGNALLING");
        assert_eq!(
            stream.subjects,
            vec!["kindpakket.*.signalling.>".to_string()]
        );
    }

    #[test]
    fn streams_do_not_overlap() {
        let subjects: Vec<String> = Service::ALL
            .iter()
            .flat_map(|s| s.stream().subjects)
            .collect();
        let unique: std::collections::HashSet<_> = subjects.iter().collect();
        assert_eq!(unique.len(), subjects.len());
    }
}
