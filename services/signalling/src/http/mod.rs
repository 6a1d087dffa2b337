//! The signalling API: every endpoint declared once, in [`routes`]; who may call it, what it takes
//! and what it answers follow from its handler's types.

mod signals;

use std::sync::Arc;

use aide::axum::routing::{get_with, post_with};
use aide::axum::ApiRouter;
use kindpakket_platform::http::ApiDescription;
use kindpakket_platform::roles;
use kindpakket_platform::shredding::SubjectKeys;
use kindpakket_platform::store::AggregateStore;

use crate::domain::signal::Signal;

#[derive(Clone)]
pub struct AppState {
    /// The service's own database: the enrolments kept from the regie stream.
    pub pool: sqlx::PgPool,
    pub signals: Arc<AggregateStore<Signal>>,
    /// The children's keys: the reason of a signal is sealed under them.
    pub keys: SubjectKeys,
}

roles!(
    /// Who signals: wijkteams, schools, CJG's and partners enrolled in the gemeente with the role
    /// `signaleren`, and the gemeente itself.
    pub Signallers = [Signaller, Partner, Regievoerder]
);

pub const DESCRIPTION: ApiDescription = ApiDescription {
    title: "Kindpakket — signalering",
    description: "Wijkteams, scholen, CJG's en partners signaleren een kind, verwijzen het gezin door en leggen de uitkomst vast.",
};

pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/api/v1/gemeenten/{gemeente}/signaleringen",
            post_with(signals::signal_child, |op| {
                op.summary("Een kind signaleren")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/signaleringen/{id}",
            get_with(signals::get_signal, |op| {
                op.summary("Een signalering en haar uitkomst")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/signaleringen/{id}/uitkomst",
            post_with(signals::record_outcome, |op| {
                op.summary("De uitkomst van een signalering vastleggen")
            }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_says_who_may_call_it() {
        let (_, document) =
            kindpakket_platform::http::finish(routes(), DESCRIPTION).expect("a complete document");
        assert_eq!(document.paths.map_or(0, |paths| paths.paths.len()), 3);
    }
}
