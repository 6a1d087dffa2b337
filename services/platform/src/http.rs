//! The HTTP conventions every service follows (NL GOV REST API Design Rules): resource nouns, the
//! version in the path, `application/problem+json` errors with a Dutch `detail`, strict JSON (unknown
//! fields and wrong content types refused), the acting organisation and role per request, a
//! correlation id that follows the case, and an OpenAPI 3 document per service.

use std::fmt;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kindpakket_proto::{Actor, GemeenteCode, Role};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::store::{CommandContext, CommandError};

pub const HEADER_CORRELATION_ID: &str = "x-correlation-id";
pub const API_VERSION: &str = "1.0.0";

/// An error as the caller reads it: a status, a short Dutch title and a Dutch explanation of what
/// went wrong and what to do.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: &'static str,
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
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed on our side");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Interne fout",
            "Er ging aan onze kant iets mis. Er is niets opgeslagen; probeer het later opnieuw.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        let mut response = (self.status, Json(body)).into_response();
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl From<kindpakket_proto::ids::InvalidId> for ApiError {
    fn from(error: kindpakket_proto::ids::InvalidId) -> Self {
        ApiError::bad_request(error.message)
    }
}

/// How a domain refusal maps onto HTTP. Domain errors implement [`Rejection`]; their `Display` is the
/// Dutch message for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionKind {
    /// The request breaks a rule (422).
    Invalid,
    /// The thing asked for does not exist (404).
    NotFound,
    /// The request conflicts with the current state, e.g. created twice (409).
    Conflict,
    /// The caller may not do this, e.g. outside its mandate (403).
    Forbidden,
}

pub trait Rejection: std::error::Error {
    fn kind(&self) -> RejectionKind;
}

impl<E: Rejection> From<CommandError<E>> for ApiError {
    fn from(error: CommandError<E>) -> Self {
        match error {
            CommandError::Rejected(rejection) => {
                let detail = rejection.to_string();
                match rejection.kind() {
                    RejectionKind::Invalid => ApiError::unprocessable(detail),
                    RejectionKind::NotFound => ApiError::not_found(detail),
                    RejectionKind::Conflict => ApiError::conflict(detail),
                    RejectionKind::Forbidden => ApiError::forbidden(detail),
                }
            }
            CommandError::Conflict => ApiError::conflict(
                "Iemand anders wijzigde dit op hetzelfde moment. Er is niets opgeslagen; probeer het opnieuw.",
            ),
            CommandError::Technical(cause) => ApiError::internal(cause),
        }
    }
}

/// A JSON body, refused unless the content type is JSON and every field is known and valid.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Verkeerd inhoudstype",
                "Stuur de gegevens als JSON, met de kopregel Content-Type: application/json.",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "Verzoek te groot",
                        "Het verzoek is groter dan toegestaan; stuur minder gegevens per keer.",
                    )
                } else {
                    ApiError::bad_request("Het verzoek kon niet worden gelezen.")
                }
            })?;
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|error| ApiError::bad_request(dutch_json_error(&error)))
    }
}

/// Explains a JSON error in Dutch. Messages of our own validated types are Dutch already.
pub fn dutch_json_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let position = format!("(regel {}, kolom {})", error.line(), error.column());
    let quoted = |text: &str| text.split('`').nth(1).unwrap_or("").to_owned();
    let explanation = if message.starts_with("unknown field") {
        format!("het veld '{}' is onbekend", quoted(&message))
    } else if message.starts_with("missing field") {
        format!("het verplichte veld '{}' ontbreekt", quoted(&message))
    } else if message.starts_with("unknown variant") {
        let allowed: Vec<&str> = message
            .split("expected ")
            .nth(1)
            .unwrap_or("")
            .split('`')
            .enumerate()
            .filter(|(index, _)| index % 2 == 1)
            .map(|(_, value)| value)
            .collect();
        format!(
            "de waarde '{}' is niet toegestaan; kies uit: {}",
            quoted(&message),
            allowed.join(", ")
        )
    } else if message.starts_with("invalid type") {
        let detail = message.split(" at line").next().unwrap_or(&message);
        format!("een veld heeft een verkeerd type ({detail})")
    } else if message.starts_with("EOF")
        || message.starts_with("expected")
        || message.starts_with("trailing")
    {
        "de tekst is geen geldige JSON".to_owned()
    } else {
        message
            .split(" at line")
            .next()
            .unwrap_or(&message)
            .to_owned()
    };
    format!("De gegevens kloppen niet: {explanation} {position}.")
}

/// Who calls, and as part of which case: the bearer token's organisation, role and gemeenten,
/// verified by the [`crate::auth::Authenticator`] the service was started with.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    /// Who acts at the identity provider (the token's `sub`), for the audit log.
    pub subject: String,
    /// The gemeenten the caller acts for; every request is scoped to one of them.
    pub gemeenten: Vec<GemeenteCode>,
    /// For a parent: the household the login established; they act for it alone.
    pub household: Option<Uuid>,
    pub correlation_id: Uuid,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let authenticator = parts
            .extensions
            .get::<std::sync::Arc<crate::auth::Authenticator>>()
            .cloned()
            .ok_or_else(|| ApiError::internal("no authenticator configured"))?;
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "Meld u aan: stuur een geldig token mee in de kopregel Authorization: Bearer <token>.",
                )
            })?;
        let identity = authenticator
            .verify(token)
            .map_err(|error| ApiError::unauthorized(error.to_string()))?;
        let correlation_id = parts
            .extensions
            .get::<CorrelationId>()
            .map(|id| id.0)
            .unwrap_or_else(Uuid::new_v4);
        Ok(Caller {
            subject: identity.subject,
            actor: Actor {
                organisation: identity.organisation,
                role: identity.role,
            },
            gemeenten: identity.gemeenten,
            household: identity.household,
            correlation_id,
        })
    }
}

impl Caller {
    /// Refuses the request unless the caller acts in one of `allowed`.
    pub fn require(&self, allowed: &[Role]) -> Result<(), ApiError> {
        if allowed.contains(&self.actor.role) {
            return Ok(());
        }
        let names: Vec<&str> = allowed.iter().map(Role::dutch_name).collect();
        Err(ApiError::forbidden(format!(
            "Deze handeling is voorbehouden aan: {}. U handelt als {}.",
            names.join(", "),
            self.actor.role.dutch_name()
        )))
    }

    /// The `{gemeente}` of the path, when the caller acts for it; otherwise 403 and nothing else.
    pub fn gemeente(&self, raw: &str) -> Result<GemeenteCode, ApiError> {
        let gemeente = gemeente_from_path(raw)?;
        if self.gemeenten.contains(&gemeente) {
            Ok(gemeente)
        } else {
            Err(ApiError::forbidden(format!(
                "U handelt niet namens gemeente {gemeente}; uw aanmelding geldt niet voor deze gemeente."
            )))
        }
    }

    /// The context written onto the events of a command this caller asks for.
    pub fn command_context(&self, gemeente: &GemeenteCode) -> CommandContext {
        CommandContext {
            gemeente: gemeente.clone(),
            actor: self.actor.clone(),
            correlation_id: self.correlation_id,
            causation_id: None,
        }
    }
}

/// Parses the `{gemeente}` path segment.
pub fn gemeente_from_path(raw: &str) -> Result<GemeenteCode, ApiError> {
    GemeenteCode::parse(raw).map_err(ApiError::from)
}

/// Parses an id path segment; an id that cannot exist is simply not found.
pub fn id_from_path(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::not_found(format!("{what} '{raw}' bestaat niet.")))
}

/// A UUID in its hyphenated form only, as OpenAPI's `format: uuid` says: `Uuid::parse_str` also takes
/// the simple, braced and URN forms, which a schema-abiding client never sends.
fn parse_hyphenated_uuid(raw: &str) -> Option<Uuid> {
    let hyphens_in_place = raw.len() == 36
        && raw
            .char_indices()
            .all(|(i, c)| matches!(i, 8 | 13 | 18 | 23) == (c == '-'));
    if hyphens_in_place {
        Uuid::parse_str(raw).ok()
    } else {
        None
    }
}

/// The correlation id of the current request.
#[derive(Debug, Clone, Copy)]
pub struct CorrelationId(pub Uuid);

/// Takes the caller's `X-Correlation-ID` (or makes one), makes it available to handlers and logs, and
/// returns it with the `API-Version` header on every response.
pub async fn conventions_middleware(mut request: Request, next: Next) -> Response {
    // Absent: we make one. Present but not a UUID: refused, because a case whose correlation id was
    // silently replaced can no longer be followed through the logs by the caller who sent it.
    let correlation_id = match request.headers().get(HEADER_CORRELATION_ID) {
        None => Uuid::new_v4(),
        Some(value) => match value.to_str().ok().and_then(parse_hyphenated_uuid) {
            Some(id) => id,
            None => {
                return ApiError::bad_request(
                    "De header X-Correlation-ID moet een UUID zijn (bijvoorbeeld \
                     3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f), of weggelaten worden.",
                )
                .into_response()
            }
        },
    };
    request
        .extensions_mut()
        .insert(CorrelationId(correlation_id));
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        correlation_id = %correlation_id,
    );
    let mut response = {
        let _entered = span.enter();
        tracing::debug!("request received");
        drop(_entered);
        tracing::Instrument::instrument(next.run(request), span.clone()).await
    };
    span.in_scope(|| tracing::info!(status = response.status().as_u16(), "request handled"));
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("api-version"),
        HeaderValue::from_static(API_VERSION),
    );
    if let Ok(value) = HeaderValue::from_str(&correlation_id.to_string()) {
        headers.insert(HeaderName::from_static(HEADER_CORRELATION_ID), value);
    }
    response
}

/// The answer to a path no route knows.
pub async fn not_found_fallback() -> ApiError {
    ApiError::not_found(
        "Deze URL bestaat niet. Zie /api/v1/openapi.json voor wat deze dienst aanbiedt.",
    )
}

/// The answer to a known path with a method it does not take.
pub async fn method_not_allowed_fallback() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Methode niet toegestaan",
        "Deze URL bestaat, maar niet met deze HTTP-methode. Zie /api/v1/openapi.json.",
    )
}

/// Who may call which operation, read from the service's OpenAPI document (`x-rollen`): one table
/// for the documentation, the enforcement and the access matrix test.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    /// (METHOD, route template) → allowed roles.
    rules: std::collections::HashMap<(String, String), Vec<Role>>,
}

impl AccessPolicy {
    pub fn from_openapi(document: &Value) -> Self {
        let mut rules = std::collections::HashMap::new();
        if let Some(paths) = document["paths"].as_object() {
            for (path, operations) in paths {
                let Some(operations) = operations.as_object() else {
                    continue;
                };
                for (method, operation) in operations {
                    if let Some(roles) = operation["x-rollen"].as_array() {
                        let roles = roles
                            .iter()
                            .filter_map(|role| role.as_str().and_then(Role::parse))
                            .collect();
                        rules.insert((method.to_ascii_uppercase(), path.clone()), roles);
                    }
                }
            }
        }
        Self { rules }
    }
}

/// Refuses, before anything of the request is read, a caller without a valid token (401), in a role
/// the operation does not allow, or for a gemeente it does not act for (403). Handlers check again.
pub async fn access_middleware(
    axum::extract::State(policy): axum::extract::State<std::sync::Arc<AccessPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let Some(route) = route else {
        return next.run(request).await;
    };
    let Some(roles) = policy
        .rules
        .get(&(request.method().as_str().to_owned(), route.clone()))
        .cloned()
    else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &()).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    if let Err(error) = caller.require(&roles) {
        return error.into_response();
    }
    if route.contains("/gemeenten/{gemeente}") {
        let raw = parts
            .uri
            .path()
            .split("/gemeenten/")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or("");
        // An invalid code is the handler's 400; a valid one the caller does not act for is 403.
        if GemeenteCode::parse(raw).is_ok() {
            if let Err(error) = caller.gemeente(raw) {
                return error.into_response();
            }
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Builds a service's OpenAPI 3 document from its operations and request types.
pub struct OpenApi {
    title: String,
    description: String,
    generator: SchemaGenerator,
    paths: Map<String, Value>,
}

/// One operation in the OpenAPI document.
pub struct Operation<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub summary: &'a str,
    /// Roles allowed; empty for a public read.
    pub roles: &'a [Role],
    /// The success status.
    pub status: u16,
}

impl OpenApi {
    pub fn new(title: &str, description: &str) -> Self {
        Self {
            title: title.to_owned(),
            description: description.to_owned(),
            generator: SchemaSettings::openapi3().into_generator(),
            paths: Map::new(),
        }
    }

    /// Adds an operation with a JSON request body of type `Body`.
    pub fn with_body<Body: JsonSchema>(mut self, operation: Operation<'_>) -> Self {
        let schema = self.generator.subschema_for::<Body>().to_value();
        self.add(operation, Some(schema));
        self
    }

    /// Adds an operation without a request body.
    pub fn without_body(mut self, operation: Operation<'_>) -> Self {
        self.add(operation, None);
        self
    }

    fn add(&mut self, operation: Operation<'_>, body: Option<Value>) {
        let mut parameters: Vec<Value> = operation
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        parameters.push(json!({"name": "X-Correlation-ID", "in": "header", "required": false, "schema": {"type": "string", "format": "uuid"}}));
        let problem = json!({"description": "Fout", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
        let mut responses = Map::new();
        responses.insert(
            operation.status.to_string(),
            json!({"description": "Gelukt", "content": {"application/json": {}}}),
        );
        let mut failures = vec!["400", "404"];
        if !operation.roles.is_empty() {
            failures.extend(["401", "403", "409", "422"]);
        }
        if body.is_some() {
            failures.extend(["413", "415"]);
        }
        for status in failures {
            responses.insert(status.to_owned(), problem.clone());
        }
        let allowed: Vec<&str> = operation.roles.iter().map(Role::as_str).collect();
        let mut entry = json!({
            "summary": operation.summary,
            "parameters": parameters,
            "responses": responses,
        });
        if !allowed.is_empty() {
            entry["x-rollen"] = json!(allowed);
            entry["security"] = json!([{"bearer": []}]);
        }
        if let Some(schema) = body {
            entry["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": schema}}});
        }
        let path = self
            .paths
            .entry(operation.path.to_owned())
            .or_insert_with(|| json!({}));
        path[operation.method.to_ascii_lowercase()] = entry;
    }

    pub fn document(mut self) -> Value {
        let mut schemas: Map<String, Value> =
            self.generator.take_definitions(true).into_iter().collect();
        schemas.insert(
            "Problem".to_owned(),
            json!({
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"}
                },
                "required": ["title", "status", "detail"]
            }),
        );
        json!({
            "openapi": "3.0.3",
            "info": {"title": self.title, "description": self.description, "version": API_VERSION},
            "servers": [{"url": "/"}],
            "paths": self.paths,
            "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "Een token van de identity provider van de gemeente (lokaal: de ontwikkeluitgever), met organisatie, rol en gemeenten."}}},
        })
    }
}

/// Defines an API enum whose values are Dutch words, mapped one to one onto a `proto` enum:
/// `dutch_enum!(ReasonDto <=> SignalReason { LowIncome = "laag_inkomen", Debts = "schulden" });`
#[macro_export]
macro_rules! dutch_enum {
    ($(#[$doc:meta])* $dto:ident <=> $domain:path { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        pub enum $dto {
            $(#[serde(rename = $word)] $variant),+
        }

        impl From<$dto> for $domain {
            fn from(value: $dto) -> Self {
                match value {
                    $($dto::$variant => <$domain>::$variant),+
                }
            }
        }

        impl From<$domain> for $dto {
            fn from(value: $domain) -> Self {
                match value {
                    $(<$domain>::$variant => $dto::$variant),+
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Example {
        gemeente: GemeenteCode,
        aantal: u32,
        soort: Kind,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    enum Kind {
        #[serde(rename = "loket")]
        Loket,
        #[serde(rename = "partner")]
        Partner,
    }

    #[test]
    fn a_correlation_id_must_be_a_hyphenated_uuid() {
        let id = "3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f";
        assert_eq!(parse_hyphenated_uuid(id), Uuid::parse_str(id).ok());
        for refused in [
            "3f2b8c1e5d4a4e6b9c7d1a2b3c4d5e6f",
            "{3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f}",
            "urn:uuid:3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f",
            "3f2b8c1e-5d4a-4e6b-9c7d1-a2b3c4d5e6f",
            " 3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6",
            "zaak-42",
            "",
        ] {
            assert_eq!(parse_hyphenated_uuid(refused), None, "{refused}");
        }
    }

    fn explain(json: &str) -> String {
        dutch_json_error(&serde_json::from_str::<Example>(json).unwrap_err())
    }

    #[test]
    fn json_errors_are_explained_in_dutch_with_the_field_named() {
        assert!(
            explain(r#"{"gemeente":"GM0518","aantal":1,"soort":"loket","naam":"Jan"}"#)
                .contains("het veld 'naam' is onbekend")
        );
        assert!(explain(r#"{"gemeente":"GM0518","soort":"loket"}"#)
            .contains("het verplichte veld 'aantal' ontbreekt"));
        assert!(
            explain(r#"{"gemeente":"GM0518","aantal":1,"soort":"balie"}"#)
                .contains("de waarde 'balie' is niet toegestaan; kies uit: loket, partner")
        );
        assert!(
            explain(r#"{"gemeente":"GM0518","aantal":"een","soort":"loket"}"#)
                .contains("verkeerd type")
        );
        assert!(explain(r#"{"gemeente":"#).contains("geen geldige JSON"));
    }

    #[test]
    fn our_own_validation_messages_pass_through_in_dutch() {
        let explained = explain(r#"{"gemeente":"GM51","aantal":1,"soort":"loket"}"#);
        assert!(
            explained.contains("'GM51' is geen geldige gemeentecode"),
            "{explained}"
        );
    }

    #[derive(Debug, thiserror::Error)]
    #[error("Er is nog maar 5 euro over.")]
    struct Overspent;

    impl Rejection for Overspent {
        fn kind(&self) -> RejectionKind {
            RejectionKind::Conflict
        }
    }

    #[test]
    fn domain_rejections_become_problems_with_their_dutch_message() {
        let error = ApiError::from(CommandError::Rejected(Overspent));
        assert_eq!(error.status, StatusCode::CONFLICT);
        assert_eq!(error.detail, "Er is nog maar 5 euro over.");
        let lost_race = ApiError::from(CommandError::<Overspent>::Conflict);
        assert_eq!(lost_race.status, StatusCode::CONFLICT);
        assert!(lost_race.detail.contains("probeer het opnieuw"));
    }

    #[test]
    fn callers_outside_the_allowed_roles_are_refused_in_dutch() {
        let caller = Caller {
            actor: Actor {
                organisation: kindpakket_proto::OrganisationId::parse("wijkteam-centrum").unwrap(),
                role: Role::Signaller,
            },
            subject: "medewerker-1".to_owned(),
            gemeenten: vec![GemeenteCode::parse("GM0518").unwrap()],
            household: None,
            correlation_id: Uuid::nil(),
        };
        assert!(caller.gemeente("GM0518").is_ok());
        let elsewhere = caller.gemeente("GM0363").unwrap_err();
        assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
        assert!(elsewhere.detail.contains("niet namens gemeente GM0363"));
        assert!(caller
            .require(&[Role::Signaller, Role::Regievoerder])
            .is_ok());
        let refused = caller.require(&[Role::Regievoerder]).unwrap_err();
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(
            refused.detail,
            "Deze handeling is voorbehouden aan: regievoerder. U handelt als signaleerder."
        );
    }
}
