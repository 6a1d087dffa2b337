//! `/routering`: the regievoerder sets the whole routing table of a gemeente; the partners and
//! signallers who work with it may read it.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::clock;
use kindpakket_platform::http::vocabulary::ProvisionTypeDto;
use kindpakket_platform::http::{ApiError, ApiJson, InGemeente};
use kindpakket_platform::store::LoadError;
use kindpakket_proto::regie::{Route, RouteTarget, RoutingSet};
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{OrganisationId, WijkCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

use super::{AppState, Readers, Regie};
use crate::domain::routing::{ProposedRoute, Routing};

/// The whole table: every route of the gemeente. A provision type without a route goes to the loket.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRoutingRequest {
    pub routes: Vec<RouteRequest>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteRequest {
    #[serde(rename = "voorzieningsoort")]
    pub provision_type: ProvisionTypeDto,
    /// The CBS wijk code (`WK` and six digits, e.g. `WK051801`); left out or `null`: every wijk
    /// without a route of its own.
    #[serde(default)]
    pub wijk: Option<String>,
    #[serde(rename = "naar")]
    pub to: TargetDto,
    /// Working days (weekends and public holidays not counted), 1 to 60.
    #[serde(rename = "reactietermijnWerkdagen")]
    pub response_days: u32,
}

/// Who receives the signals: `"loket"` or `{"partner": "<organisatiecode>"}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum TargetDto {
    #[serde(rename = "loket")]
    Loket,
    #[serde(rename = "partner")]
    Partner(OrganisationId),
}

/// A gemeente's routing table as it is in force.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RoutingView {
    /// 0 before the first table; each table set gets the next number.
    #[serde(rename = "versie")]
    pub version: u32,
    #[serde(rename = "vastgesteldOp")]
    #[schemars(with = "Option<DateSchema>")]
    pub set_on: Option<Date>,
    pub routes: Vec<RouteView>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RouteView {
    #[serde(rename = "voorzieningsoort")]
    pub provision_type: ProvisionTypeDto,
    pub wijk: Option<WijkCode>,
    #[serde(rename = "naar")]
    pub to: TargetDto,
    #[serde(rename = "reactietermijnWerkdagen")]
    pub response_days: u8,
}

impl From<TargetDto> for RouteTarget {
    fn from(target: TargetDto) -> Self {
        match target {
            TargetDto::Loket => RouteTarget::Loket,
            TargetDto::Partner(partner) => RouteTarget::Partner(partner),
        }
    }
}

impl From<RouteTarget> for TargetDto {
    fn from(target: RouteTarget) -> Self {
        match target {
            RouteTarget::Loket => TargetDto::Loket,
            RouteTarget::Partner(partner) => TargetDto::Partner(partner),
        }
    }
}

impl From<RouteRequest> for ProposedRoute {
    fn from(route: RouteRequest) -> Self {
        ProposedRoute {
            provision_type: route.provision_type.into(),
            wijk: route.wijk,
            to: route.to.into(),
            response_days: route.response_days,
        }
    }
}

impl From<Route> for RouteView {
    fn from(route: Route) -> Self {
        RouteView {
            provision_type: route.provision_type.into(),
            wijk: route.wijk,
            to: route.to.into(),
            response_days: route.response_days,
        }
    }
}

impl RoutingView {
    fn of(set: Option<RoutingSet>) -> Self {
        match set {
            Some(set) => RoutingView {
                version: set.version,
                set_on: Some(set.set_on),
                routes: set.routes.into_iter().map(Into::into).collect(),
            },
            None => RoutingView {
                version: 0,
                set_on: None,
                routes: vec![],
            },
        }
    }
}

async fn current(
    state: &AppState,
    caller_gemeente: &kindpakket_proto::GemeenteCode,
) -> Result<Option<RoutingSet>, ApiError> {
    match state
        .routings
        .load_in(caller_gemeente, caller_gemeente)
        .await
    {
        Ok(Routing { current }) => Ok(current),
        Err(LoadError::NotFound(_)) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn set_routing(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiJson(request): ApiJson<SetRoutingRequest>,
) -> Result<Json<RoutingView>, ApiError> {
    let gemeente = &caller.gemeente;
    crate::routing::set(
        &state.pool,
        &state.routings,
        &state.enrolments,
        gemeente,
        request.routes.into_iter().map(Into::into).collect(),
        clock::today(),
        &caller.command_context(gemeente),
    )
    .await?;
    Ok(Json(RoutingView::of(current(&state, gemeente).await?)))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn get_routing(
    State(state): State<AppState>,
    caller: InGemeente<Readers>,
) -> Result<Json<RoutingView>, ApiError> {
    Ok(Json(RoutingView::of(
        current(&state, &caller.gemeente).await?,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_route_reads_with_loket_or_a_partner() {
        let request: SetRoutingRequest = serde_json::from_value(json!({"routes": [
            {"voorzieningsoort": "maatschappelijke_participatie", "wijk": "WK051801",
             "naar": {"partner": "leergeld"}, "reactietermijnWerkdagen": 5},
            {"voorzieningsoort": "school", "wijk": null, "naar": "loket", "reactietermijnWerkdagen": 10},
            {"voorzieningsoort": "vervoer", "naar": "loket", "reactietermijnWerkdagen": 10}
        ]}))
        .unwrap();
        let routes: Vec<ProposedRoute> = request.routes.into_iter().map(Into::into).collect();
        assert_eq!(
            routes[0].to,
            RouteTarget::Partner(OrganisationId::parse("leergeld").unwrap())
        );
        assert_eq!(routes[1].to, RouteTarget::Loket);
        assert_eq!(routes[2].wijk, None);
        let view = serde_json::to_value(RouteView {
            provision_type: ProvisionTypeDto::School,
            wijk: None,
            to: TargetDto::Partner(OrganisationId::parse("leergeld").unwrap()),
            response_days: 5,
        })
        .unwrap();
        assert_eq!(
            view,
            json!({"voorzieningsoort": "school", "wijk": null, "naar": {"partner": "leergeld"}, "reactietermijnWerkdagen": 5})
        );
    }
}
