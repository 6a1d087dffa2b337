//! Events of the provision service: entitlements opened from a grant, and deliveries against them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::ids::{ChildRef, OrganisationId, ProvisionCode};
use crate::regie::{DeliveryForm, Funder};
use crate::schema::{contract_events, DateSchema};
use crate::subjects::Service;

contract_events!(
    /// Everything the provision service publishes.
    ProvisionEvent,
    Service::Provision,
    [EntitlementOpened, DeliveryRecorded]
);

/// An entitlement was opened from a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EntitlementOpened {
    pub entitlement_id: Uuid,
    pub application_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub amount_cents: i64,
    #[schemars(with = "DateSchema")]
    pub valid_from: Date,
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    /// Who pays for it, as decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funder: Option<Funder>,
}

/// A partner delivered against an entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryRecorded {
    pub entitlement_id: Uuid,
    pub delivery_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub partner: OrganisationId,
    pub form: DeliveryForm,
    pub amount_cents: i64,
    /// What is left on the entitlement after this delivery.
    pub remaining_cents: i64,
    #[schemars(with = "DateSchema")]
    pub delivered_on: Date,
}
