//! Stored regie events to the shared contract. Five aggregates, one stream: the translator picks the
//! stored type by the row's aggregate type.

use std::sync::Arc;

use anyhow::Context;
use kindpakket_platform::relay::{translator, StoredEvent, Translator};
use kindpakket_proto::regie::RegieEvent;

use crate::domain::enrolment::EnrolmentEvent;
use crate::domain::regeling::RegelingEvent;
use crate::domain::routing::RoutingEvent;
use crate::domain::target_group::TargetGroupEvent;
use crate::domain::wish::WishEvent;

pub fn regeling_to_contract(event: RegelingEvent) -> RegieEvent {
    match event {
        RegelingEvent::Published(event) => RegieEvent::RegelingPublished(event),
        RegelingEvent::Ended(event) => RegieEvent::RegelingEnded(event),
    }
}

pub fn enrolment_to_contract(event: EnrolmentEvent) -> RegieEvent {
    match event {
        EnrolmentEvent::Enrolled { enrolment, .. } => RegieEvent::PartnerEnrolled(enrolment),
        EnrolmentEvent::Ended(event) => RegieEvent::PartnerEnrolmentEnded(event),
        EnrolmentEvent::DiscountAgreed(event) => RegieEvent::DiscountAgreed(event),
        EnrolmentEvent::DiscountEnded(event) => RegieEvent::DiscountEnded(event),
    }
}

pub fn routing_to_contract(event: RoutingEvent) -> RegieEvent {
    match event {
        RoutingEvent::Set(event) => RegieEvent::RoutingSet(event),
    }
}

pub fn target_group_to_contract(event: TargetGroupEvent) -> RegieEvent {
    match event {
        TargetGroupEvent::Set(event) => RegieEvent::TargetGroupSet(event),
    }
}

pub fn wish_to_contract(event: WishEvent) -> RegieEvent {
    match event {
        WishEvent::Submitted(event) => RegieEvent::WishSubmitted(event),
    }
}

pub fn contract_translator() -> Translator {
    let regeling = translator(regeling_to_contract);
    let enrolment = translator(enrolment_to_contract);
    let routing = translator(routing_to_contract);
    let target_group = translator(target_group_to_contract);
    let wish = translator(wish_to_contract);
    Arc::new(
        move |stored: &StoredEvent| match stored.aggregate_type.as_str() {
            "regeling" => regeling(stored),
            "enrolment" => enrolment(stored),
            "routing" => routing(stored),
            "target_group" => target_group(stored),
            "wish" => wish(stored),
            other => Err(anyhow::anyhow!("unknown aggregate type {other}")).context("regie relay"),
        },
    )
}
