//! The regie API: every endpoint declared once, in [`routes`]; who may call it, what it takes and
//! what it answers follow from its handler's types.

mod doelgroep;
mod kortingen;
mod partners;
mod regelingen;
mod routing;
mod wensen;

use std::sync::Arc;

use aide::axum::routing::{get_with, post_with, put_with};
use aide::axum::ApiRouter;
use kindpakket_platform::http::ApiDescription;
use kindpakket_platform::roles;
use kindpakket_platform::store::AggregateStore;

use crate::domain::enrolment::Enrolment;
use crate::domain::regeling::Regeling;
use crate::domain::routing::Routing;
use crate::domain::target_group::TargetGroup;
use crate::domain::wish::Wish;

#[derive(Clone)]
pub struct AppState {
    /// The service's own database: the calendar reads the published versions from its events.
    pub pool: sqlx::PgPool,
    pub regelingen: Arc<AggregateStore<Regeling>>,
    pub enrolments: Arc<AggregateStore<Enrolment>>,
    pub routings: Arc<AggregateStore<Routing>>,
    pub target_groups: Arc<AggregateStore<TargetGroup>>,
    pub wishes: Arc<AggregateStore<Wish>>,
}

roles!(
    /// Who publishes regelingen and enrols partners: the regievoerder alone.
    pub Regie = [Regievoerder]
);

roles!(
    /// Who reads regelingen and enrolments: the regievoerder, the partners and signallers who work
    /// with them, and the auditor.
    pub Readers = [Regievoerder, Partner, Signaller, Auditor]
);

roles!(
    /// Who reads a provider's standing discounts: the regievoerder, the auditor and the partner
    /// itself (its own only).
    pub DiscountReaders = [Regievoerder, Partner, Auditor]
);

roles!(
    /// Who reads a doelgroep (children expected to be eligible, a statistic about no one): the
    /// regievoerder, the auditor and the kwartaaloverleg, which reads reach against it.
    pub TargetGroupReaders = [Regievoerder, OverlegViewer, Auditor]
);

roles!(
    /// Who sends in wishes (what the package lacks): parents, partners, signallers (schools,
    /// wijkteams) and the regievoerder, who enters paper forms. Each speaks for whom it may
    /// ([`crate::domain::wish::may_send`]).
    pub WishSenders = [Applicant, Partner, Signaller, Regievoerder]
);

pub const DESCRIPTION: ApiDescription = ApiDescription {
    title: "Kindpakket — regie",
    description: "De regievoerder publiceert de regeling (inkomensgrens, voorzieningen), wijzigt of beëindigt haar, schrijft partners in, stelt de routering van signaleringen vast en legt per jaar de doelgroep vast (het verwachte aantal kinderen per wijk en leeftijdsgroep). Ouders, partners en signaleerders sturen wensen in: wat er in het Kindpakket mist.",
};

pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/api/v1/gemeenten/{gemeente}/regelingen",
            post_with(regelingen::publish, |op| {
                op.summary("Een regeling publiceren")
            })
            .get_with(regelingen::list_regelingen, |op| {
                op.summary("De regelingen van de gemeente (alle versies, de nieuwste eerst)")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/regelingen/{id}",
            get_with(regelingen::get_regeling, |op| op.summary("Een regeling")),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/regelingen/{id}/wijziging",
            post_with(regelingen::amend, |op| {
                op.summary("Een regeling wijzigen vanaf een datum (een nieuwe versie)")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/regelingen/{id}/beeindiging",
            post_with(regelingen::end, |op| op.summary("Een regeling beëindigen")),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/partners",
            post_with(partners::enrol, |op| op.summary("Een partner inschrijven"))
                .get_with(partners::list_enrolments, |op| {
                    op.summary("De ingeschreven partners en signaleerders van de gemeente")
                }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/partners/{partner}",
            get_with(partners::get_enrolment, |op| {
                op.summary("De inschrijving van een partner")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/partners/{partner}/beeindiging",
            post_with(partners::end, |op| {
                op.summary("De inschrijving van een partner beëindigen")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/routering",
            put_with(routing::set_routing, |op| {
                op.summary("De routering van signaleringen vaststellen (de hele tabel)")
            })
            .get_with(routing::get_routing, |op| {
                op.summary("De routering van signaleringen")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/doelgroep/{jaar}",
            put_with(doelgroep::set_target_group, |op| {
                op.summary(
                    "De doelgroep van een jaar vaststellen: het verwachte aantal kinderen per wijk en leeftijdsgroep (de hele tabel)",
                )
            })
            .get_with(doelgroep::get_target_group, |op| {
                op.summary("De doelgroep van een jaar")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/wensen",
            post_with(wensen::submit_wish, |op| {
                op.summary(
                    "Een wens insturen: wat er in het Kindpakket mist, in één categorie (geen vrije tekst)",
                )
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/partners/{partner}/kortingen/{voorziening}",
            put_with(kortingen::agree, |op| {
                op.summary("Een vaste korting afspreken met een aanbieder voor een voorziening (of wijzigen)")
            })
            .delete_with(kortingen::end, |op| {
                op.summary("Een vaste korting van een aanbieder beëindigen")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/partners/{partner}/kortingen",
            get_with(kortingen::list, |op| {
                op.summary("De vaste kortingen van een aanbieder")
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
        let json = serde_json::to_value(&document).unwrap();
        let roles = |path: &str, method: &str| json["paths"][path][method]["x-rollen"].clone();
        let regie = serde_json::json!(["regievoerder"]);
        let readers = serde_json::json!(["regievoerder", "partner", "signaller", "auditor"]);
        assert_eq!(document.paths.map_or(0, |paths| paths.paths.len()), 12);
        assert_eq!(
            roles("/api/v1/gemeenten/{gemeente}/regelingen", "post"),
            regie
        );
        assert_eq!(
            roles("/api/v1/gemeenten/{gemeente}/regelingen/{id}", "get"),
            readers
        );
        assert_eq!(
            roles("/api/v1/gemeenten/{gemeente}/partners", "post"),
            regie
        );
        assert_eq!(
            roles("/api/v1/gemeenten/{gemeente}/regelingen", "get"),
            readers
        );
        assert_eq!(
            roles("/api/v1/gemeenten/{gemeente}/partners", "get"),
            readers
        );
        assert_eq!(
            roles("/api/v1/gemeenten/{gemeente}/partners/{partner}", "get"),
            readers
        );
        assert_eq!(
            roles(
                "/api/v1/gemeenten/{gemeente}/partners/{partner}/beeindiging",
                "post"
            ),
            regie
        );
        assert_eq!(
            roles("/api/v1/gemeenten/{gemeente}/routering", "put"),
            regie
        );
        assert_eq!(
            roles("/api/v1/gemeenten/{gemeente}/routering", "get"),
            readers
        );
        assert_eq!(
            roles("/api/v1/gemeenten/{gemeente}/doelgroep/{jaar}", "put"),
            regie
        );
        assert_eq!(
            roles("/api/v1/gemeenten/{gemeente}/doelgroep/{jaar}", "get"),
            serde_json::json!(["regievoerder", "overleg_viewer", "auditor"])
        );
        assert_eq!(
            roles("/api/v1/gemeenten/{gemeente}/wensen", "post"),
            serde_json::json!(["applicant", "partner", "signaller", "regievoerder"])
        );
        let discount = "/api/v1/gemeenten/{gemeente}/partners/{partner}/kortingen/{voorziening}";
        assert_eq!(roles(discount, "put"), regie);
        assert_eq!(roles(discount, "delete"), regie);
        assert_eq!(
            roles(
                "/api/v1/gemeenten/{gemeente}/partners/{partner}/kortingen",
                "get"
            ),
            serde_json::json!(["regievoerder", "partner", "auditor"])
        );
    }
}
