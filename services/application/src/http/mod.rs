//! The application API.

mod applications;
pub mod persons;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use kindpakket_platform::http::{OpenApi, Operation};
use kindpakket_platform::store::AggregateStore;
use kindpakket_proto::Role;
use serde_json::Value;

use crate::domain::application::Application;

#[derive(Clone)]
pub struct AppState {
    pub applications: Arc<AggregateStore<Application>>,
    /// For the regeling versions kept by [`crate::consume`].
    pub pool: sqlx::PgPool,
    /// The personal data vault and its audit log.
    pub vault: Arc<crate::vault::Vault>,
    /// Per kind of record, the days it is kept.
    pub retention: Vec<(String, i64)>,
}

impl std::ops::Deref for AppState {
    type Target = AggregateStore<Application>;
    fn deref(&self) -> &Self::Target {
        &self.applications
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/api/v1/gemeenten/{gemeente}/aanvragen",
            post(applications::submit),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/aanvragen/{id}",
            get(applications::get_application),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/beoordeling",
            post(applications::assess),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/toekenning",
            post(applications::grant),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/afwijzing",
            post(applications::reject),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/intrekking",
            post(applications::withdraw),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/personen",
            post(persons::register),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/personen/{id}",
            get(persons::read),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/personen/{id}/verwijdering",
            post(persons::erase),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/bewaartermijnen",
            post(persons::retention),
        )
        .route(
            "/api/v1/gemeenten/{gemeente}/auditlog",
            get(persons::audit_log),
        )
        .with_state(state)
}

pub fn openapi() -> Value {
    OpenApi::new(
        "Kindpakket — aanvragen",
        "Een huishouden vraagt het Kindpakket of losse voorzieningen aan; de gemeente kent toe of wijst af.",
    )
    .with_body::<applications::SubmitRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/aanvragen",
        summary: "Een aanvraag indienen",
        roles: applications::SUBMITTERS,
        status: 201,
    })
    .without_body(Operation {
        method: "GET",
        path: "/api/v1/gemeenten/{gemeente}/aanvragen/{id}",
        summary: "Een aanvraag en het besluit",
        roles: &[Role::Regievoerder, Role::Applicant, Role::Partner],
        status: 200,
    })
    .with_body::<applications::AssessRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/beoordeling",
        summary: "Een aanvraag beoordelen volgens de regeling (eventueel met maatwerk) en besluiten; een partner binnen zijn mandaat",
        roles: &[Role::Regievoerder, Role::Partner],
        status: 200,
    })
    .with_body::<applications::GrantRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/toekenning",
        summary: "Een aanvraag toekennen",
        roles: &[Role::Regievoerder],
        status: 200,
    })
    .with_body::<applications::RejectRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/afwijzing",
        summary: "Een aanvraag afwijzen",
        roles: &[Role::Regievoerder],
        status: 200,
    })
    .with_body::<applications::WithdrawRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/intrekking",
        summary: "Een aanvraag intrekken",
        roles: applications::SUBMITTERS,
        status: 200,
    })
    .with_body::<persons::PersonRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/personen",
        summary: "Persoonsgegevens in de kluis bewaren en een pseudoniem krijgen (alleen de gemeente)",
        roles: persons::WRITERS,
        status: 201,
    })
    .without_body(Operation {
        method: "GET",
        path: "/api/v1/gemeenten/{gemeente}/personen/{id}",
        summary: "Persoonsgegevens lezen, met het doel in de kopregel X-Doel",
        roles: persons::READERS,
        status: 200,
    })
    .with_body::<persons::ErasureRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/personen/{id}/verwijdering",
        summary: "Een persoon vergeten: de sleutel wordt vernietigd",
        roles: persons::READERS,
        status: 200,
    })
    .with_body::<persons::RetentionRequest>(Operation {
        method: "POST",
        path: "/api/v1/gemeenten/{gemeente}/bewaartermijnen",
        summary: "Bewaartermijnen toepassen op een peildatum",
        roles: persons::READERS,
        status: 200,
    })
    .without_body(Operation {
        method: "GET",
        path: "/api/v1/gemeenten/{gemeente}/auditlog",
        summary: "Het auditlog van persoonsgegevens, met controle van de keten",
        roles: &[Role::Auditor],
        status: 200,
    })
    .document()
}
