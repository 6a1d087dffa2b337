//! What a request carries, read strictly: a JSON body whose every field is known and valid, path
//! parameters of the right form. Every refusal is a Dutch problem that names the field and the
//! expected form, never echoing what was sent.

use aide::generate::GenContext;
use aide::openapi::{Operation, Response, StatusCode as DocumentedStatus};
use aide::OperationInput;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::problem::{problems, ApiError};

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
            .is_some_and(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
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

impl<T: JsonSchema> OperationInput for ApiJson<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        axum::Json::<T>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<DocumentedStatus>, Response)> {
        problems(
            ctx,
            &[
                (400, "De gegevens kloppen niet"),
                (413, "Verzoek te groot"),
                (415, "Geen JSON"),
            ],
        )
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

/// The path parameters of an operation as a struct (`{id}` → a field `id`). A parameter that cannot
/// be of the right form names nothing that exists: 404, saying which part of the URL and what form.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(path_error(&rejection)),
        }
    }
}

fn path_error(rejection: &PathRejection) -> ApiError {
    use axum::extract::path::ErrorKind;
    let PathRejection::FailedToDeserializePathParams(error) = rejection else {
        return ApiError::internal(rejection.body_text());
    };
    let (key, expected) = match error.kind() {
        ErrorKind::ParseErrorAtKey {
            key, expected_type, ..
        } => (key.as_str(), *expected_type),
        ErrorKind::InvalidUtf8InPathParam { key } => (key.as_str(), "tekst"),
        ErrorKind::Message(message) => {
            // Our own validated types explain themselves in Dutch; anything else is a form problem.
            return ApiError::not_found(format!(
                "Deze URL verwijst naar iets dat niet bestaat: {}.",
                first_sentence(message)
            ));
        }
        _ => ("", ""),
    };
    let form = match expected {
        "Uuid" | "uuid::Uuid" => "een UUID (zoals 3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f)",
        "u16" | "u32" | "u8" | "i32" | "i64" | "u64" => "een getal",
        _ => "in de juiste vorm",
    };
    if key.is_empty() {
        return ApiError::not_found("Deze URL verwijst naar iets dat niet bestaat.");
    }
    ApiError::not_found(format!(
        "Deze URL verwijst naar iets dat niet bestaat: het deel '{key}' moet {form} zijn."
    ))
}

/// The part of a validation message before the caller's value is quoted.
fn first_sentence(message: &str) -> String {
    match message.split_once(": ") {
        Some((_, rest)) if message.starts_with('\'') => rest.to_owned(),
        _ => message.to_owned(),
    }
}

impl<T: JsonSchema> OperationInput for ApiPath<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Path::<T>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<DocumentedStatus>, Response)> {
        problems(ctx, &[(404, "Bestaat niet")])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kindpakket_proto::GemeenteCode;

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
}
