//! The shared event contract of the Kindpakket platform.
//!
//! Everything that crosses a service boundary is defined here and nowhere else:
//!
//! - [`envelope`]: the metadata every published event carries (event id, gemeente, aggregate, sequence,
//!   times, schema version, correlation and causation ids, the acting organisation and role);
//! - [`ids`]: validated identifiers (gemeente codes, pseudonymous child and household references, ...);
//! - [`money`]: amounts in cents and periods of days;
//! - [`regie`], [`signalling`], [`application`], [`provision`]: the domain events each service publishes;
//! - [`subjects`]: the NATS subject scheme and the JetStream stream definitions;
//! - [`schema`]: the JSON Schema documents generated from these types (kept in `proto/schemas/`).
//!
//! A serialisable type here is a contract with every service and every outside partner system:
//! add optional fields, never rename or remove one; a new meaning is a new event type.
//! No event carries personal data (names, BSN, addresses, income evidence): children and
//! households appear only as pseudonymous references.

pub mod application;
pub mod envelope;
pub mod ids;
pub mod money;
pub mod provision;
pub mod regie;
pub mod schema;
pub mod signalling;
pub mod subjects;

pub use envelope::{Actor, EventEnvelope, EventMessage, Role};
pub use ids::{ChildRef, GemeenteCode, HouseholdRef, OrganisationId, ProvisionCode, WijkCode};
pub use money::{Cents, Period};
pub use subjects::Service;

/// An event type of one service: its name on the bus and its schema version.
pub trait ContractEvent:
    serde::Serialize + serde::de::DeserializeOwned + schemars::JsonSchema
{
    /// The service that publishes this event.
    const SERVICE: Service;
    /// The event type names of every variant, for schema generation and subject filters.
    const EVENT_TYPES: &'static [&'static str];
    /// The name of this event on the bus, e.g. `ChildSignalled`.
    fn event_type(&self) -> &'static str;
    /// The schema version of this event, e.g. `1`.
    fn schema_version(&self) -> u32 {
        1
    }
}
