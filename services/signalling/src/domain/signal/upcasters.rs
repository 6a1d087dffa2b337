//! Stored events of older versions, brought to a later shape: pure functions of the stored row, used
//! by the aggregate and the relay alike when they read, and by [`crate::reseal`] when it rewrites.
//!
//! The versions of `ChildSignalled`: 1 without its signaller (its metadata names it: this
//! upcaster); 2 with the reason in plaintext; 3 with the reason sealed under the child's key. From 2
//! to 3 is no pure function (sealing needs the child's key and is done once, in the table, by
//! [`crate::reseal`] at start), so a store holds only version 3 once the service has started.

use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use serde_json::Value;

/// Version 1 of the stored `ChildSignalled` did not name the signaller in the event; the organisation
/// that acted (always the signaller then) is in the event's metadata.
pub struct ChildSignalledV1;

impl EventUpcaster for ChildSignalledV1 {
    fn can_upcast(&self, event_type: &str, event_version: &str) -> bool {
        event_type == "ChildSignalled" && event_version == "1"
    }

    fn upcast(&self, mut event: SerializedEvent) -> SerializedEvent {
        let signaller = event
            .metadata
            .get(kindpakket_platform::store::metadata_keys::ACTOR_ORGANISATION)
            .cloned()
            .unwrap_or(Value::Null);
        if let Some(inner) = event.payload.pointer_mut("/ChildSignalled/event") {
            if let Some(fields) = inner.as_object_mut() {
                fields.entry("signaller").or_insert(signaller);
            }
        }
        event.event_version = "2".to_owned();
        event
    }
}

/// Every upcaster of the signal aggregate, oldest first.
pub fn upcasters() -> Vec<Box<dyn EventUpcaster>> {
    vec![Box::new(ChildSignalledV1)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_version_1_signal_gets_its_signaller_from_the_metadata() {
        let stored = SerializedEvent {
            aggregate_id: "a".to_owned(),
            sequence: 1,
            aggregate_type: "signal".to_owned(),
            event_type: "ChildSignalled".to_owned(),
            event_version: "1".to_owned(),
            payload: json!({"ChildSignalled": {"gemeente": "GM0518", "event": {"signal_id": "x"}}}),
            metadata: json!({"actor_organisation": "cjg-zuid"}),
        };
        assert!(ChildSignalledV1.can_upcast("ChildSignalled", "1"));
        assert!(!ChildSignalledV1.can_upcast("ChildSignalled", "2"));
        let upcast = ChildSignalledV1.upcast(stored);
        assert_eq!(upcast.event_version, "2");
        assert_eq!(
            upcast.payload["ChildSignalled"]["event"]["signaller"],
            "cjg-zuid"
        );
    }
}
