//! Errors as the caller reads them: `application/problem+json` (RFC 9457) with a Dutch `detail` that
//! says what went wrong and what to do. Technical causes go to the log, never to the caller.

use aide::generate::GenContext;
use aide::openapi::{MediaType, Operation, Response, SchemaObject, StatusCode as DocumentedStatus};
use aide::OperationOutput;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::refusal::{Refusal, RefusalKind};
use crate::store::{CommandError, LoadError};

/// An error as the caller reads it: a status, a short Dutch title and a Dutch explanation.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
}

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    /// Always `about:blank`: the status and title say what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong and what to do, in Dutch.
    pub detail: String,
}

impl ApiError {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            title,
            detail: detail.into(),
        }
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Ongeldig verzoek", detail)
    }
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Verzoek niet uitvoerbaar",
            detail,
        )
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Niet gevonden", detail)
    }
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", detail)
    }
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Niet geïdentificeerd", detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Geen toegang", detail)
    }
    /// A failure on our side. The cause goes to the log, never to the caller.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed on our side");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Interne fout",
            "Er ging aan onze kant iets mis. Er is niets opgeslagen; probeer het later opnieuw.",
        )
    }

    /// The body of this error.
    pub fn problem(&self) -> Problem {
        Problem {
            kind: "about:blank".to_owned(),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.title,
            self.detail
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        let mut response = (self.status, Json(self.problem())).into_response();
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl From<kindpakket_proto::ids::InvalidId> for ApiError {
    fn from(error: kindpakket_proto::ids::InvalidId) -> Self {
        ApiError::bad_request(format!("Deze waarde {}.", error.message))
    }
}

/// A refusal of the domain, with its Dutch message, as the status its kind says.
pub fn refused<E: Refusal>(refusal: &E) -> ApiError {
    let detail = refusal.to_string();
    match refusal.kind() {
        RefusalKind::Invalid => ApiError::unprocessable(detail),
        RefusalKind::NotFound => ApiError::not_found(detail),
        RefusalKind::Conflict => ApiError::conflict(detail),
        RefusalKind::Forbidden => ApiError::forbidden(detail),
    }
}

impl<E: Refusal> From<CommandError<E>> for ApiError {
    fn from(error: CommandError<E>) -> Self {
        match error {
            CommandError::Rejected(refusal) => refused(&refusal),
            CommandError::Conflict => ApiError::conflict(
                "Iemand anders wijzigde dit op hetzelfde moment. Er is niets opgeslagen; probeer het opnieuw.",
            ),
            CommandError::Technical(cause) => ApiError::internal(cause),
        }
    }
}

impl From<LoadError> for ApiError {
    fn from(error: LoadError) -> Self {
        match error {
            LoadError::NotFound(message) => ApiError::not_found(message),
            LoadError::Technical(cause) => ApiError::internal(cause),
        }
    }
}

/// A documented problem answer with the given description.
pub(crate) fn problem_response(ctx: &mut GenContext, description: &str) -> Response {
    let json_schema = ctx.schema.subschema_for::<Problem>();
    Response {
        description: description.to_owned(),
        content: IndexMap::from_iter([(
            "application/problem+json".to_owned(),
            MediaType {
                schema: Some(SchemaObject {
                    json_schema,
                    example: None,
                    external_docs: None,
                }),
                ..Default::default()
            },
        )]),
        ..Default::default()
    }
}

/// The documented problem answers for these statuses.
pub(crate) fn problems(
    ctx: &mut GenContext,
    statuses: &[(u16, &str)],
) -> Vec<(Option<DocumentedStatus>, Response)> {
    statuses
        .iter()
        .map(|(status, description)| {
            (
                Some(DocumentedStatus::Code(*status)),
                problem_response(ctx, description),
            )
        })
        .collect()
}

/// What any handler may answer besides success: the request breaks a rule, the thing does not
/// exist (or is not the caller's), it conflicts with the current state, or we failed.
impl OperationOutput for ApiError {
    type Inner = Problem;

    fn operation_response(ctx: &mut GenContext, _: &mut Operation) -> Option<Response> {
        Some(problem_response(ctx, "Fout"))
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<DocumentedStatus>, Response)> {
        problems(
            ctx,
            &[
                (400, "Ongeldig verzoek"),
                (404, "Niet gevonden"),
                (409, "Conflict met de huidige toestand"),
                (422, "Verzoek niet uitvoerbaar"),
                (500, "Interne fout; er is niets opgeslagen"),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("Er is nog maar 5 euro over.")]
    struct Overspent;

    impl Refusal for Overspent {
        fn kind(&self) -> RefusalKind {
            RefusalKind::Conflict
        }
    }

    #[test]
    fn domain_refusals_become_problems_with_their_dutch_message() {
        let error = ApiError::from(CommandError::Rejected(Overspent));
        assert_eq!(error.status, StatusCode::CONFLICT);
        assert_eq!(error.detail, "Er is nog maar 5 euro over.");
        let lost_race = ApiError::from(CommandError::<Overspent>::Conflict);
        assert_eq!(lost_race.status, StatusCode::CONFLICT);
        assert!(lost_race.detail.contains("probeer het opnieuw"));
    }
}
