//! What may be asked of a gemeente's routing.

use std::collections::{HashMap, HashSet};

use kindpakket_proto::regie::{ProvisionType, RouteTarget};
use kindpakket_proto::{GemeenteCode, OrganisationId};
use time::Date;

#[derive(Debug, Clone)]
pub enum RoutingCommand {
    Set(SetRouting),
}

/// The regievoerder sets the whole routing table of a gemeente; it replaces the table before it.
#[derive(Debug, Clone)]
pub struct SetRouting {
    pub gemeente: GemeenteCode,
    pub routes: Vec<ProposedRoute>,
    pub set_on: Date,
    /// For each partner a route names: the provision types it is enrolled for in this gemeente
    /// (an active enrolment in a role other than signalling), as the use-case found them. A partner
    /// missing here is not enrolled at all.
    pub enrolled: HashMap<OrganisationId, HashSet<ProvisionType>>,
}

/// A route as the regievoerder sent it, before it is checked: the wijk as typed, the response time
/// as any number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposedRoute {
    pub provision_type: ProvisionType,
    pub wijk: Option<String>,
    pub to: RouteTarget,
    pub response_days: u32,
}
