//! The application API: every endpoint declared once, in [`routes`]; who may call it, what it takes
//! and what it answers follow from its handler's types.

mod applications;
mod identification;
mod persons;
pub mod purpose;
pub mod views;

use std::sync::Arc;

use aide::axum::routing::{get_with, post_with};
use aide::axum::ApiRouter;
use kindpakket_platform::http::ApiDescription;
use kindpakket_platform::roles;
use kindpakket_platform::store::{AggregateStore, CommandContext};

use crate::decisions::Decisions;
use crate::domain::application::Application;
use crate::forgetting::Forgetting;
use crate::pseudonyms::Pseudonyms;
use crate::sealing::Sealer;
use crate::vault::retention::RetentionPeriods;
use crate::vault::Vault;

#[derive(Clone)]
pub struct AppState {
    pub applications: Arc<AggregateStore<Application>>,
    /// The service's own database: regeling versions and mandates kept by [`crate::consume`], the
    /// earlier grants of [`crate::grants`] and the overview of [`crate::overview`].
    pub pool: sqlx::PgPool,
    /// The personal data vault and its audit log.
    pub vault: Arc<Vault>,
    /// Forgetting and rectifying persons, and telling the platform.
    pub forgetting: Arc<Forgetting>,
    /// Opens what the applications keep sealed under the households' keys.
    pub sealer: Sealer,
    /// The partners' own ids of children, households and entitlements.
    pub pseudonyms: Pseudonyms,
    /// Per kind of record, the days it is kept.
    pub retention: Arc<RetentionPeriods>,
    /// Where an application on a family's behalf has its gezag checked (today the declaration;
    /// a BRP lookup plugs in here, see [`crate::intake`]).
    pub gezag: Arc<dyn crate::intake::GezagCheck>,
}

impl AppState {
    /// The decisions as the caller of `context` takes them.
    pub fn decisions<'a>(&'a self, context: &'a CommandContext) -> Decisions<'a> {
        Decisions {
            applications: &self.applications,
            pool: &self.pool,
            context,
        }
    }
}

roles!(
    /// Who applies, and withdraws: parents for their own household, partners and signallers on a
    /// family's behalf as themselves, the loket. Who may withdraw which application, the
    /// application itself decides.
    pub Submitters = [Applicant, Partner, Signaller, Regievoerder]
);

roles!(
    /// Who reads an application: the gemeente, the parent, the partner (each as far as it may see).
    pub ApplicationReaders = [Regievoerder, Applicant, Partner]
);

roles!(
    /// Who assesses by the regeling: the gemeente, and a partner within its mandate.
    pub Assessors = [Regievoerder, Partner]
);

roles!(
    /// The gemeente alone: grants and rejections by hand, reading and forgetting persons, retention.
    pub Regie = [Regievoerder]
);

roles!(
    /// Who keeps a person in the vault: the gemeente, and a parent entering the people of the
    /// household their login names.
    pub PersonWriters = [Regievoerder, Applicant]
);

roles!(
    /// Who reads the audit log of personal data.
    pub Auditors = [Auditor]
);

pub const DESCRIPTION: ApiDescription = ApiDescription {
    title: "Kindpakket — aanvragen",
    description: "Een huishouden vraagt het Kindpakket of losse voorzieningen aan; de gemeente kent toe of wijst af.",
};

pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/api/v1/gemeenten/{gemeente}/aanvragen",
            post_with(applications::submit, |op| {
                op.summary("Een aanvraag indienen: een ouder voor het eigen huishouden, een partner of signaleerder namens de eigen organisatie (ingeschreven voor aanvragen_innemen)")
            })
            .get_with(applications::list, |op| {
                op.summary("De aanvragen die u mag zien: de gemeente alle, een partner die het namens gezinnen innam, een ouder die van het eigen huishouden; elke lezing staat in het auditlog")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/aanvragen/{id}",
            get_with(applications::get_application, |op| {
                op.summary("Een aanvraag en het besluit")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/beoordeling",
            post_with(applications::assess, |op| {
                op.summary("Een aanvraag beoordelen volgens de regeling (eventueel met maatwerk) en besluiten; een partner binnen zijn mandaat")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/toekenning",
            post_with(applications::grant, |op| {
                op.summary("Een aanvraag met de hand toekennen (gekozen bedragen), volgens de regeling van kracht: catalogus, financiers, budgetten, nooit twee keer")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/afwijzing",
            post_with(applications::reject, |op| op.summary("Een aanvraag afwijzen")),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/intrekking",
            post_with(applications::withdraw, |op| {
                op.summary("Een aanvraag intrekken: de ouder van het huishouden, de organisatie die haar indiende, of de gemeente")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/identificaties",
            post_with(identification::identify, |op| {
                op.summary("Een kind (en eventueel een ouder, voor het huishouden) identificeren zoals u het kent — BSN, of naam en geboortedatum — en uw eigen referenties krijgen; het antwoord zegt nooit of de persoon al bekend was")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/personen",
            post_with(persons::register, |op| {
                op.summary("Persoonsgegevens in de kluis bewaren en een pseudoniem krijgen: een ouder voor het eigen huishouden, de gemeente met X-Doel; bewaarde gegevens worden nooit overschreven")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/personen/{id}",
            get_with(persons::read, |op| {
                op.summary("Persoonsgegevens lezen, met het doel in de kopregel X-Doel, met wie ze registreerde en mogelijke dubbelen")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/personen/{id}/rectificatie",
            post_with(persons::rectify, |op| {
                op.summary("Persoonsgegevens corrigeren (rectificatie), met het doel in X-Doel; de vorige versie blijft versleuteld bewaard")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/personen/{id}/verwijdering",
            post_with(persons::erase, |op| {
                op.summary("Een persoon vergeten: de sleutel wordt vernietigd")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/bewaartermijnen",
            post_with(persons::retention, |op| {
                op.summary("Bewaartermijnen toepassen op een peildatum (vandaag of eerder, nooit in de toekomst)")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/auditlog",
            get_with(persons::audit_log, |op| {
                op.summary("Het auditlog van persoonsgegevens van de gemeente, per pagina in de volgorde van de keten (`aantal`, `na`), met controle van de hele keten")
            }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn every_endpoint_says_who_may_call_it() {
        let (_, document) =
            kindpakket_platform::http::finish(routes(), DESCRIPTION).expect("a complete document");
        let json = serde_json::to_value(&document).unwrap();
        let roles = |path: &str, method: &str| -> Value {
            json["paths"][format!("/api/v1/gemeenten/{{gemeente}}{path}")][method]["x-rollen"]
                .clone()
        };
        let submitters = json!(["applicant", "partner", "signaller", "regievoerder"]);
        let regie = json!(["regievoerder"]);
        assert_eq!(
            document.paths.as_ref().map_or(0, |paths| paths.paths.len()),
            13
        );
        assert_eq!(
            roles("/identificaties", "post"),
            json!(["signaller", "partner", "regievoerder"])
        );
        assert_eq!(roles("/aanvragen", "post"), submitters);
        assert_eq!(
            roles("/aanvragen", "get"),
            json!(["regievoerder", "applicant", "partner"])
        );
        assert_eq!(
            roles("/aanvragen/{id}", "get"),
            json!(["regievoerder", "applicant", "partner"])
        );
        assert_eq!(
            roles("/aanvragen/{id}/beoordeling", "post"),
            json!(["regievoerder", "partner"])
        );
        assert_eq!(roles("/aanvragen/{id}/toekenning", "post"), regie);
        assert_eq!(roles("/aanvragen/{id}/afwijzing", "post"), regie);
        assert_eq!(roles("/aanvragen/{id}/intrekking", "post"), submitters);
        assert_eq!(
            roles("/personen", "post"),
            json!(["regievoerder", "applicant"])
        );
        assert_eq!(roles("/personen/{id}", "get"), regie);
        assert_eq!(roles("/personen/{id}/verwijdering", "post"), regie);
        assert_eq!(roles("/personen/{id}/rectificatie", "post"), regie);
        assert_eq!(roles("/bewaartermijnen", "post"), regie);
        assert_eq!(roles("/auditlog", "get"), json!(["auditor"]));
        let read = &json["paths"]["/api/v1/gemeenten/{gemeente}/personen/{id}"]["get"];
        assert!(
            read["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|parameter| parameter["name"] == "X-Doel" && parameter["in"] == "header"),
            "{read}"
        );
    }
}
