//! The dashboard over HTTP: the JSON API ([`api`], every endpoint declared once in [`routes`] and
//! described in the OpenAPI document) and the page for people ([`page`], served by [`pages`] beside
//! the API, not in the document).
//!
//! Both are for the [`Readers`]: an overleg viewer, the regievoerder or the auditor, for the
//! gemeenten their token lists. Regie and the auditor see every figure exactly; the overleg sees
//! them with small counts suppressed (see [`crate::projections::funnel::disclosure`]). The page takes
//! the token from the `Authorization` header (a login proxy) or from the cookie `/inloggen` sets.

pub mod api;
pub mod overleg;
pub mod page;

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use axum::routing::{get, post};
use axum::Router;
use kindpakket_platform::http::{ApiDescription, Caller};
use kindpakket_platform::roles;
use kindpakket_proto::Role;
use sqlx::PgPool;

roles!(
    /// Who may read the quarterly figures: aggregates only, never a child.
    pub Readers = [OverlegViewer, Regievoerder, Auditor]
);

roles!(
    /// Who may read the live funnel: the overleg reads established quarters, never a live view
    /// (a figure that changes by one as a child comes in tells who came in).
    pub LiveReaders = [Regievoerder, Auditor]
);

/// Whether the figures are for the kwartaaloverleg, which sees no small counts.
fn for_the_overleg(reader: &Caller) -> bool {
    reader.is(Role::OverlegViewer)
}

pub const DESCRIPTION: ApiDescription = ApiDescription {
    title: "Kindpakket — dashboard",
    description: "Bereik en gebruik van het Kindpakket: gesignaleerd, aangevraagd, toegekend en bediend, per gemeente en per partner, geteld in kinderen.",
};

/// The JSON API; the platform adds `/health`, the OpenAPI document and the fallbacks.
pub fn routes() -> ApiRouter<PgPool> {
    ApiRouter::new()
        .api_route(
            "/api/v1/trechter",
            get_with(api::all_funnels, |op| {
                op.summary("De trechters van de gemeenten waarvoor u handelt")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/trechter",
            get_with(api::gemeente_funnel, |op| {
                op.summary("De trechter van één gemeente, met de cijfers per partner")
            }),
        )
        .api_route(
            "/api/v1/opbouw",
            get_with(overleg::rebuild_progress, |op| {
                op.summary("Of de cijfers opnieuw worden opgebouwd, en hoe ver")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/kwartalen",
            get_with(overleg::quarters, |op| {
                op.summary("De kwartalen met cijfers, nieuwste eerst")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/kwartalen/{kwartaal}",
            get_with(overleg::quarter, |op| {
                op.summary("De cijfers van één kwartaal, per indeling, voor het kwartaaloverleg")
            }),
        )
}

/// The page and its login, for people: not part of the OpenAPI document. Only `/` reads the
/// session cookie.
pub fn pages(state: page::PageState) -> Router {
    Router::new()
        .route(
            "/",
            get(page::dashboard).layer(axum::middleware::from_fn_with_state(
                state.clone(),
                page::session_middleware,
            )),
        )
        .route("/inloggen", get(page::login_form).post(page::login))
        .route("/uitloggen", post(page::logout))
        .with_state(state)
        .layer(axum::middleware::map_response(crate::web::secure_headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_says_who_may_call_it() {
        let (_, document) =
            kindpakket_platform::http::finish(routes(), DESCRIPTION).expect("a complete document");
        let json = serde_json::to_value(&document).unwrap();
        let paths = json["paths"].as_object().unwrap();
        assert_eq!(paths.len(), 5);
        for path in ["/api/v1/trechter", "/api/v1/gemeenten/{gemeente}/trechter"] {
            assert_eq!(
                paths[path]["get"]["x-rollen"],
                serde_json::json!(["regievoerder", "auditor"]),
                "{path}: the overleg reads no live figures"
            );
        }
        for path in [
            "/api/v1/opbouw",
            "/api/v1/gemeenten/{gemeente}/kwartalen",
            "/api/v1/gemeenten/{gemeente}/kwartalen/{kwartaal}",
        ] {
            assert_eq!(
                paths[path]["get"]["x-rollen"],
                serde_json::json!(["overleg_viewer", "regievoerder", "auditor"]),
                "{path}"
            );
        }
    }
}
