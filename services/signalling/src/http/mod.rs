//! The signalling API: every endpoint declared once, in [`routes`]; who may call it, what it takes
//! and what it answers follow from its handler's types.

mod answers;
mod signals;

use std::sync::Arc;

use aide::axum::routing::{get_with, post_with};
use aide::axum::ApiRouter;
use kindpakket_platform::http::ApiDescription;
use kindpakket_platform::roles;
use kindpakket_platform::shredding::SubjectKeys;
use kindpakket_platform::store::AggregateStore;

use crate::domain::signal::Signal;
use crate::references::References;

pub use answers::LINK_HOLDER;

#[derive(Clone)]
pub struct AppState {
    /// The service's own database: the enrolments and routing kept from the regie stream, the work
    /// list, the one-time links.
    pub pool: sqlx::PgPool,
    pub signals: Arc<AggregateStore<Signal>>,
    /// The children's keys: the reason of a signal and of a hand-back are sealed under them.
    pub keys: SubjectKeys,
    /// The callers' own references of children and households.
    pub references: References,
}

roles!(
    /// Who signals: wijkteams, schools, CJG's and partners enrolled in the gemeente with the role
    /// `signaleren`, and the gemeente itself.
    pub Signallers = [Signaller, Partner, Regievoerder]
);

roles!(
    /// Who answers a referral: the partner it is referred to, or the loket (the regievoerder).
    pub Addressees = [Partner, Regievoerder]
);

roles!(
    /// Who hands a referral back: the partner it is referred to.
    pub Partners = [Partner]
);

roles!(
    /// The gemeente's regie: re-routes, makes one-time links.
    pub Regie = [Regievoerder]
);

pub const DESCRIPTION: ApiDescription = ApiDescription {
    title: "Kindpakket — signalering",
    description: "Wijkteams, scholen, CJG's en partners signaleren een kind; de routering van de regie verwijst het door naar het loket of een partner, die de verwijzing oppakt of teruggeeft en de uitkomst vastlegt.",
};

pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/api/v1/gemeenten/{gemeente}/signaleringen",
            post_with(signals::signal_child, |op| {
                op.summary("Een kind signaleren (met de eigen referentie van het kind)")
            })
            .get_with(signals::list_signals, |op| {
                op.summary("Werklijst: eigen signaleringen, verwijzingen aan u, of alle (regie)")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/signaleringen/{id}",
            get_with(signals::get_signal, |op| {
                op.summary("Een signalering, met wat u ervan mag zien")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/signaleringen/{id}/acceptatie",
            post_with(signals::accept, |op| op.summary("Een verwijzing oppakken")),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/signaleringen/{id}/teruggave",
            post_with(signals::hand_back, |op| {
                op.summary("Een verwijzing teruggeven aan de regie")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/signaleringen/{id}/herroutering",
            post_with(signals::reroute, |op| {
                op.summary("Een signalering opnieuw doorverwijzen")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/signaleringen/{id}/uitkomst",
            post_with(signals::record_outcome, |op| {
                op.summary("De uitkomst van een verwijzing vastleggen")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/signaleringen/{id}/eenmalige-link",
            post_with(answers::make_link, |op| {
                op.summary("Een eenmalige link maken voor een partner zonder account")
            }),
        )
        .api_route(
            "/api/v1/antwoord/{token}",
            get_with(answers::open_link, |op| {
                op.summary("Een eenmalige link openen (zonder inloggen)")
            })
            .post_with(answers::answer_link, |op| {
                op.summary("Een verwijzing beantwoorden met een eenmalige link (zonder inloggen)")
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
        assert_eq!(document.paths.map_or(0, |paths| paths.paths.len()), 8);
    }
}
