//! JSON Schema documents for every event, generated from the Rust types.
//!
//! The generated files live in `proto/schemas/` so that a partner system written in another language
//! can validate what it reads from the streams. The test `schemas_in_the_repository_match_the_types`
//! fails when the types and the files drift apart; `cargo run -p kindpakket-proto --bin generate-schemas`
//! writes them anew.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::Value;

use crate::envelope::{EventEnvelope, EventMessage};
use crate::subjects::Service;
use crate::{application, provision, regie, signalling};

/// A calendar date as `YYYY-MM-DD` on the wire.
pub struct DateSchema;

impl JsonSchema for DateSchema {
    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "date" })
    }
}

/// One service's message schema and the schema of each of its events.
type ServiceSchemas = (Service, Schema, Vec<(&'static str, u32, Schema)>);

/// Every schema document with its path below `proto/schemas/`.
pub fn all_schemas() -> Vec<(String, Value)> {
    let mut documents = vec![(
        "envelope.json".to_owned(),
        schemars::schema_for!(EventEnvelope).to_value(),
    )];
    let per_service: [ServiceSchemas; 4] = [
        (
            Service::Regie,
            schemars::schema_for!(EventMessage<regie::RegieEvent>),
            regie::RegieEvent::variant_schemas(),
        ),
        (
            Service::Signalling,
            schemars::schema_for!(EventMessage<signalling::SignallingEvent>),
            signalling::SignallingEvent::variant_schemas(),
        ),
        (
            Service::Application,
            schemars::schema_for!(EventMessage<application::ApplicationEvent>),
            application::ApplicationEvent::variant_schemas(),
        ),
        (
            Service::Provision,
            schemars::schema_for!(EventMessage<provision::ProvisionEvent>),
            provision::ProvisionEvent::variant_schemas(),
        ),
    ];
    for (service, message, variants) in per_service {
        let folder = service.as_str();
        documents.push((format!("{folder}/message.json"), message.to_value()));
        for (event_type, version, schema) in variants {
            documents.push((
                format!("{folder}/{event_type}.v{version}.json"),
                schema.to_value(),
            ));
        }
    }
    documents
}

/// Defines one service's event enum (internally tagged by `type`), its [`crate::ContractEvent`]
/// implementation, `From` conversions and the per-event schemas.
macro_rules! contract_events {
    ($(#[$doc:meta])* $enum:ident, $service:expr, [$($variant:ident $(= $version:literal)?),+ $(,)?]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(tag = "type")]
        pub enum $enum {
            $($variant($variant)),+
        }

        impl crate::ContractEvent for $enum {
            const SERVICE: crate::subjects::Service = $service;
            const EVENT_TYPES: &'static [&'static str] = &[$(stringify!($variant)),+];
            fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => stringify!($variant)),+
                }
            }
            fn schema_version(&self) -> u32 {
                match self {
                    $(Self::$variant(_) => Self::version_of(stringify!($variant))),+
                }
            }
        }

        impl $enum {
            /// The JSON Schema of each event's payload, by event type and schema version.
            pub fn variant_schemas() -> Vec<(&'static str, u32, schemars::Schema)> {
                vec![$((stringify!($variant), Self::version_of(stringify!($variant)), schemars::schema_for!($variant))),+]
            }

            /// The schema version of an event type: 1 unless the list says `Event = 2`.
            pub fn version_of(event_type: &str) -> u32 {
                $(
                    if event_type == stringify!($variant) {
                        return [1 $(, $version)?][[1 $(, $version)?].len() - 1];
                    }
                )+
                1
            }
        }

        $(
            impl From<$variant> for $enum {
                fn from(event: $variant) -> Self {
                    Self::$variant(event)
                }
            }
        )+
    };
}
pub(crate) use contract_events;

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn schemas_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
    }

    #[test]
    fn schemas_in_the_repository_match_the_types() {
        let mut drifted = Vec::new();
        for (path, generated) in all_schemas() {
            let file = schemas_dir().join(&path);
            let stored: Option<Value> = std::fs::read_to_string(&file)
                .ok()
                .and_then(|text| serde_json::from_str(&text).ok());
            if stored.as_ref() != Some(&generated) {
                drifted.push(path);
            }
        }
        assert!(
            drifted.is_empty(),
            "these schema files differ from the Rust types: {drifted:?}; \
             run `cargo run -p kindpakket-proto --bin generate-schemas` and review the diff"
        );
    }

    #[test]
    fn no_stale_schema_files_remain() {
        let expected: std::collections::HashSet<String> =
            all_schemas().into_iter().map(|(path, _)| path).collect();
        let mut stale = Vec::new();
        let mut folders = vec![schemas_dir()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).expect("proto/schemas exists") {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    let relative = path
                        .strip_prefix(schemas_dir())
                        .unwrap()
                        .to_string_lossy()
                        .to_string();
                    if !expected.contains(&relative) {
                        stale.push(relative);
                    }
                }
            }
        }
        assert!(stale.is_empty(), "schema files without a type: {stale:?}");
    }

    #[test]
    fn every_event_type_has_a_schema_file() {
        use crate::ContractEvent;
        let paths: Vec<String> = all_schemas().into_iter().map(|(path, _)| path).collect();
        let versioned: Vec<(Service, &str, u32)> = regie::RegieEvent::EVENT_TYPES
            .iter()
            .map(|t| (Service::Regie, *t, regie::RegieEvent::version_of(t)))
            .chain(signalling::SignallingEvent::EVENT_TYPES.iter().map(|t| {
                (
                    Service::Signalling,
                    *t,
                    signalling::SignallingEvent::version_of(t),
                )
            }))
            .chain(application::ApplicationEvent::EVENT_TYPES.iter().map(|t| {
                (
                    Service::Application,
                    *t,
                    application::ApplicationEvent::version_of(t),
                )
            }))
            .chain(provision::ProvisionEvent::EVENT_TYPES.iter().map(|t| {
                (
                    Service::Provision,
                    *t,
                    provision::ProvisionEvent::version_of(t),
                )
            }))
            .collect();
        for (service, event_type, version) in versioned {
            let path = format!("{}/{event_type}.v{version}.json", service.as_str());
            assert!(paths.contains(&path), "missing {path}");
        }
    }
}
