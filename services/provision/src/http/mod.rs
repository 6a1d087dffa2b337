//! The provision API.

mod entitlements;
mod finance;
mod invoices;
mod passes;
mod samples;

pub use finance::close_year;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::http::{OpenApi, Operation};
use kindpakket_platform::store::AggregateStore;
use kindpakket_proto::Role;
use serde_json::Value;
use sqlx::PgPool;

use crate::domain::entitlement::Entitlement;
use crate::domain::invoice::Invoice;
use crate::domain::sample::SampleDraw;

#[derive(Clone)]
pub struct AppState {
    pub entitlements: Arc<AggregateStore<Entitlement>>,
    pub invoices: Arc<AggregateStore<Invoice>>,
    pub samples: Arc<AggregateStore<SampleDraw>>,
    pub pool: PgPool,
    /// The secret behind each partner's own pseudonym for a child.
    pub pseudonym_key: Arc<Vec<u8>>,
}

impl AppState {
    /// The child as this caller may see it: a partner gets its own pseudonym, the gemeente the
    /// reference itself.
    pub fn child_for(
        &self,
        caller: &kindpakket_platform::http::Caller,
        child: kindpakket_proto::ChildRef,
    ) -> uuid::Uuid {
        if caller.actor.role == Role::Partner {
            kindpakket_platform::auth::pseudonym(
                &self.pseudonym_key,
                &caller.actor.organisation,
                child.0,
            )
        } else {
            child.0
        }
    }
}

dutch_enum!(
    /// Where the money comes from, as the regeling names it.
    FundingSourceDto <=> kindpakket_proto::regie::FundingSource {
        National = "rijksmiddelen",
        Municipal = "gemeentelijke_fondsen",
        ExternalFunds = "externe_fondsen",
        Private = "private_partijen",
    }
);

dutch_enum!(
    /// The six types of provision.
    ProvisionTypeDto <=> kindpakket_proto::regie::ProvisionType {
        Participation = "maatschappelijke_participatie",
        School = "school",
        Transport = "vervoer",
        Subsistence = "levensonderhoud",
        Other = "overig",
        SpecialCircumstances = "bijzondere_omstandigheden",
    }
);

const G: &str = "/api/v1/gemeenten/{gemeente}";

pub fn router(state: AppState) -> Router {
    let path = |tail: &str| format!("{G}{tail}");
    Router::new()
        .route(&path("/rechten"), get(entitlements::list_entitlements))
        .route(&path("/rechten/{id}"), get(entitlements::get_entitlement))
        .route(
            &path("/rechten/{id}/verstrekkingen"),
            post(entitlements::record_delivery),
        )
        .route(
            &path("/rechten/{id}/passen"),
            post(entitlements::issue_pass),
        )
        .route(
            &path("/rechten/{id}/passen/{pas}/blokkering"),
            post(entitlements::block_pass),
        )
        .route(
            &path("/rechten/{id}/declaraties"),
            post(entitlements::submit_declaration),
        )
        .route(
            &path("/rechten/{id}/declaraties/{declaratie}/beoordeling"),
            post(entitlements::decide_declaration),
        )
        .route(&path("/passen/{code}"), get(passes::get_pass))
        .route(&path("/passen/{code}/verzilveringen"), post(passes::redeem))
        .route(&path("/facturen"), post(invoices::submit_invoice))
        .route(&path("/facturen/{id}"), get(invoices::get_invoice))
        .route(
            &path("/facturen/{id}/beoordeling"),
            post(invoices::settle_invoice),
        )
        .route(&path("/steekproeven"), post(samples::draw))
        .route(&path("/steekproeven/{id}"), get(samples::get_sample))
        .route(
            &path("/steekproeven/{id}/controles"),
            post(samples::record_check),
        )
        .route(&path("/jaarafsluiting"), post(finance::year_end))
        .route(&path("/grootboek/{jaar}"), get(finance::get_ledger))
        .route(&path("/budgetten/{jaar}"), get(finance::get_budgets))
        .route(
            &path("/partners/{partner}/afrekeningen/{jaar}/{kwartaal}"),
            get(finance::get_statement),
        )
        .with_state(state)
}

pub fn openapi() -> Value {
    const READ_ENTITLEMENT: &[Role] = &[Role::Partner, Role::Regievoerder, Role::Auditor];
    const REGIE: &[Role] = &[Role::Regievoerder];
    const PARTNER: &[Role] = &[Role::Partner];
    const CONTROL: &[Role] = &[Role::Regievoerder, Role::Auditor];
    let op = |method, path, summary, roles, status| Operation {
        method,
        path,
        summary,
        roles,
        status,
    };
    OpenApi::new(
        "Kindpakket — verstrekking en afrekening",
        "Rechten, verstrekkingen, passen en tegoedbonnen, declaraties met steekproef, facturen, grootboek en budgetten.",
    )
    .without_body(op("GET", "/api/v1/gemeenten/{gemeente}/rechten", "De rechten die u mag zien", READ_ENTITLEMENT, 200))
    .without_body(op("GET", "/api/v1/gemeenten/{gemeente}/rechten/{id}", "Een recht, met wat er nog over is", READ_ENTITLEMENT, 200))
    .with_body::<entitlements::DeliveryRequest>(op("POST", "/api/v1/gemeenten/{gemeente}/rechten/{id}/verstrekkingen", "Een verstrekking in natura of een korting vastleggen", PARTNER, 201))
    .with_body::<entitlements::IssuePassRequest>(op("POST", "/api/v1/gemeenten/{gemeente}/rechten/{id}/passen", "Een pas of tegoedbon uitgeven", REGIE, 201))
    .with_body::<entitlements::BlockPassRequest>(op("POST", "/api/v1/gemeenten/{gemeente}/rechten/{id}/passen/{pas}/blokkering", "Een pas blokkeren, eventueel met een nieuwe pas", REGIE, 200))
    .with_body::<entitlements::DeclarationRequest>(op("POST", "/api/v1/gemeenten/{gemeente}/rechten/{id}/declaraties", "Een declaratie met bewijs indienen", &[Role::Partner, Role::Regievoerder], 201))
    .with_body::<entitlements::DeclarationDecisionRequest>(op("POST", "/api/v1/gemeenten/{gemeente}/rechten/{id}/declaraties/{declaratie}/beoordeling", "Een declaratie goedkeuren of afwijzen", REGIE, 200))
    .without_body(op("GET", "/api/v1/gemeenten/{gemeente}/passen/{code}", "Saldo en status van een pas", &[Role::Partner, Role::Regievoerder], 200))
    .with_body::<passes::RedemptionRequest>(op("POST", "/api/v1/gemeenten/{gemeente}/passen/{code}/verzilveringen", "Een pas of tegoedbon (deels) verzilveren", PARTNER, 201))
    .with_body::<invoices::InvoiceRequest>(op("POST", "/api/v1/gemeenten/{gemeente}/facturen", "Een periode factureren", PARTNER, 201))
    .without_body(op("GET", "/api/v1/gemeenten/{gemeente}/facturen/{id}", "Een factuur met haar regels", READ_ENTITLEMENT, 200))
    .with_body::<invoices::SettlementRequest>(op("POST", "/api/v1/gemeenten/{gemeente}/facturen/{id}/beoordeling", "Regels van een factuur goed- of afkeuren", REGIE, 200))
    .with_body::<samples::DrawRequest>(op("POST", "/api/v1/gemeenten/{gemeente}/steekproeven", "Een steekproef van declaraties trekken", CONTROL, 201))
    .without_body(op("GET", "/api/v1/gemeenten/{gemeente}/steekproeven/{id}", "Een steekproef, reproduceerbaar", CONTROL, 200))
    .with_body::<samples::CheckRequest>(op("POST", "/api/v1/gemeenten/{gemeente}/steekproeven/{id}/controles", "De uitkomst van een controle vastleggen", CONTROL, 201))
    .with_body::<finance::YearEndRequest>(op("POST", "/api/v1/gemeenten/{gemeente}/jaarafsluiting", "Het jaar afsluiten: afgelopen rechten vervallen", REGIE, 200))
    .without_body(op("GET", "/api/v1/gemeenten/{gemeente}/grootboek/{jaar}", "Het grootboek over alle financiers", CONTROL, 200))
    .without_body(op("GET", "/api/v1/gemeenten/{gemeente}/budgetten/{jaar}", "Budgetten: toegekend, vastgelegd en besteed", &[Role::Regievoerder, Role::Auditor, Role::OverlegViewer], 200))
    .without_body(op("GET", "/api/v1/gemeenten/{gemeente}/partners/{partner}/afrekeningen/{jaar}/{kwartaal}", "De afrekening van een partner over een kwartaal", READ_ENTITLEMENT, 200))
    .document()
}
