//! The envelope: what every published event carries besides its payload.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::ids::{GemeenteCode, OrganisationId};
use crate::subjects::Service;

/// The role an organisation acts in (the roles are in README.md). `System` is a service acting on its
/// own: reacting to an event, or a job such as the year end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Regievoerder,
    Signaller,
    Partner,
    Applicant,
    OverlegViewer,
    Auditor,
    System,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Regievoerder,
        Role::Signaller,
        Role::Partner,
        Role::Applicant,
        Role::OverlegViewer,
        Role::Auditor,
        Role::System,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Regievoerder => "regievoerder",
            Role::Signaller => "signaller",
            Role::Partner => "partner",
            Role::Applicant => "applicant",
            Role::OverlegViewer => "overleg_viewer",
            Role::Auditor => "auditor",
            Role::System => "system",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == value)
    }

    /// How the role is called in Dutch, for messages people read.
    pub fn dutch_name(&self) -> &'static str {
        match self {
            Role::Regievoerder => "regievoerder",
            Role::Signaller => "signaleerder",
            Role::Partner => "partner",
            Role::Applicant => "aanvrager",
            Role::OverlegViewer => "deelnemer kwartaaloverleg",
            Role::Auditor => "controller",
            Role::System => "systeem",
        }
    }
}

/// Who caused an event: an organisation acting in a role. Never a person's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Actor {
    pub organisation: OrganisationId,
    pub role: Role,
}

impl Actor {
    /// A service of the platform acting on its own: a job, or a command caused by another event.
    pub fn system(service: Service) -> Self {
        Self {
            organisation: OrganisationId::of_service(service),
            role: Role::System,
        }
    }
}

/// The metadata of one published event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventEnvelope {
    /// Stable id of this event, derived from the store key (see [`event_id`]): a republished event
    /// has the same id.
    pub event_id: Uuid,
    /// The tenant.
    pub gemeente: GemeenteCode,
    /// The service whose store holds the event.
    pub service: Service,
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// Position of the event within its aggregate, from 1 without gaps.
    pub sequence: u64,
    /// Position in the publishing service's store, increasing in commit order (for diagnosis only:
    /// consumers order by `sequence` per aggregate).
    pub store_position: i64,
    pub event_type: String,
    pub schema_version: u32,
    /// When the command that caused the event was accepted.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub occurred_at: OffsetDateTime,
    /// Follows one case across services and NATS hops.
    pub correlation_id: Uuid,
    /// The event that caused this one, when a service reacted to another event.
    pub causation_id: Option<Uuid>,
    pub actor: Actor,
}

/// An event as it travels on the bus: envelope plus payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventMessage<E> {
    pub envelope: EventEnvelope,
    pub event: E,
}

/// The namespace of event ids (UUID v5).
pub const EVENT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6b1d_2f3e_8c4a_4f0b_9a51_4b69_6e64_7061);

/// The key of an event in its store, `<service>:<aggregate_type>:<aggregate_id>:<sequence>`.
/// It is the `Nats-Msg-Id` of the published message, so JetStream drops a republished copy.
pub fn message_id(
    service: Service,
    aggregate_type: &str,
    aggregate_id: &str,
    sequence: u64,
) -> String {
    format!(
        "{}:{aggregate_type}:{aggregate_id}:{sequence}",
        service.as_str()
    )
}

/// The stable event id derived from the store key.
pub fn event_id(service: Service, aggregate_type: &str, aggregate_id: &str, sequence: u64) -> Uuid {
    Uuid::new_v5(
        &EVENT_ID_NAMESPACE,
        message_id(service, aggregate_type, aggregate_id, sequence).as_bytes(),
    )
}

/// NATS header names carried by every published event (besides `Nats-Msg-Id`).
pub mod headers {
    pub const MESSAGE_ID: &str = "Nats-Msg-Id";
    pub const EVENT_TYPE: &str = "Kindpakket-Event-Type";
    pub const SCHEMA_VERSION: &str = "Kindpakket-Schema-Version";
    pub const GEMEENTE: &str = "Kindpakket-Gemeente";
    pub const STORE_POSITION: &str = "Kindpakket-Store-Position";
    pub const CORRELATION_ID: &str = "Kindpakket-Correlation-Id";
    /// Only while traces are exported: the W3C trace context (`00-<trace id>-<span id>-<flags>`) of
    /// the command that stored the event; a consumer's span continues it. Ids only; not part of the
    /// envelope, so the payload is the same with or without it.
    pub const TRACEPARENT: &str = "traceparent";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_id_is_stable_for_the_same_store_key_and_differs_otherwise() {
        let a = event_id(Service::Signalling, "signal", "abc", 1);
        assert_eq!(a, event_id(Service::Signalling, "signal", "abc", 1));
        assert_ne!(a, event_id(Service::Signalling, "signal", "abc", 2));
        assert_ne!(a, event_id(Service::Application, "signal", "abc", 1));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
