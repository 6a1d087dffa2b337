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
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            ApiError::bad_request(dutch_json_error(error.inner(), &path))
        })?;
        // Trailing characters after the JSON value.
        deserializer
            .end()
            .map_err(|error| ApiError::bad_request(dutch_json_error(&error, "")))?;
        Ok(ApiJson(value))
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

/// Explains a JSON error in Dutch: which field (`path`, as `kinderen[0].geboortemaand`) and what
/// form it must have. Never repeats what the caller sent: a refused value can be anything, a BSN or
/// markup included. Messages of our own validated types are Dutch already and name no value.
pub fn dutch_json_error(error: &serde_json::Error, path: &str) -> String {
    let message = error.to_string();
    let position = format!("(regel {}, kolom {})", error.line(), error.column());
    let field = match path {
        "" | "." => String::from("het verzoek"),
        path => format!("het veld '{}'", plain(path)),
    };
    let quoted = |text: &str| plain(text.split('`').nth(1).unwrap_or(""));
    let explanation = if message.starts_with("unknown field") {
        let known: Vec<String> = expected_words(&message);
        let mut text = format!("{field} bevat het onbekende veld '{}'", quoted(&message));
        if !known.is_empty() {
            text.push_str(&format!("; bekende velden: {}", known.join(", ")));
        }
        text
    } else if message.starts_with("missing field") {
        let missing = quoted(&message);
        match path {
            "" | "." => format!("het verplichte veld '{missing}' ontbreekt"),
            path => format!("het verplichte veld '{}.{missing}' ontbreekt", plain(path)),
        }
    } else if message.starts_with("unknown variant") {
        format!(
            "{field} heeft een waarde die niet is toegestaan; kies uit: {}",
            expected_words(&message).join(", ")
        )
    } else if error.is_syntax() || error.is_eof() {
        "de tekst is geen geldige JSON".to_owned()
    } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
        format!("{field} moet {} zijn", expected_form(&message))
    } else if message.starts_with("is geen geldige") {
        // One of our own validated types (a gemeentecode, an organisation code, ...).
        format!(
            "{field} {}",
            message.split(" at line").next().unwrap_or(&message)
        )
    } else if message.contains("UUID") {
        format!("{field} moet {} zijn", FORM_UUID)
    } else if message.contains("Date") || message.contains("component") {
        format!("{field} moet {} zijn", FORM_DATE)
    } else {
        format!("{field} heeft niet de verwachte vorm")
    };
    format!("De gegevens kloppen niet: {explanation} {position}.")
}

const FORM_UUID: &str = "een UUID (zoals 3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f)";
const FORM_DATE: &str = "een datum als JJJJ-MM-DD";

/// What a field must be, from serde's "expected …" in English.
fn expected_form(message: &str) -> &'static str {
    let expected = message.rsplit("expected ").next().unwrap_or("");
    let expected = expected.split(" at line").next().unwrap_or(expected);
    match expected.trim_matches('`') {
        "u8" => "een geheel getal van 0 tot en met 255",
        "u16" => "een geheel getal van 0 tot en met 65535",
        "u32" | "u64" | "usize" => "een geheel getal van 0 of meer",
        "i8" | "i16" | "i32" | "i64" | "isize" => "een geheel getal",
        "f32" | "f64" => "een getal",
        "a string" | "a borrowed string" => "tekst",
        "a boolean" => "true of false",
        "a sequence" => "een lijst",
        form if form.contains("Date") => FORM_DATE,
        form if form.contains("UUID") || form.contains("Uuid") => FORM_UUID,
        form if form.starts_with("struct")
            || form.starts_with("a map")
            || form.contains("enum") =>
        {
            "een object"
        }
        _ => "in de juiste vorm",
    }
}

/// The names between backquotes after "expected" in serde's message: the allowed values or fields.
fn expected_words(message: &str) -> Vec<String> {
    message
        .split("expected ")
        .nth(1)
        .unwrap_or("")
        .split('`')
        .enumerate()
        .filter(|(index, _)| index % 2 == 1)
        .map(|(_, word)| plain(word))
        .collect()
}

/// A field name or path as the caller may read it back: only letters, digits and `._[]`, at most 60
/// characters (a name the caller invented is shown, but never markup or a long value).
fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '[' | ']' | '-'))
        .take(60)
        .collect()
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
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let error = serde_path_to_error::deserialize::<_, Example>(&mut deserializer).unwrap_err();
        let path = error.path().to_string();
        dutch_json_error(error.inner(), &path)
    }

    #[test]
    fn json_errors_are_explained_in_dutch_with_the_field_named_and_no_value_repeated() {
        let unknown = explain(r#"{"gemeente":"GM0518","aantal":1,"soort":"loket","naam":"Jan"}"#);
        assert!(unknown.contains("het onbekende veld 'naam'"), "{unknown}");
        assert!(!unknown.contains("Jan"), "{unknown}");
        assert!(explain(r#"{"gemeente":"GM0518","soort":"loket"}"#)
            .contains("het verplichte veld 'aantal' ontbreekt"));
        let variant = explain(r#"{"gemeente":"GM0518","aantal":1,"soort":"balie"}"#);
        assert!(
            variant.contains("het veld 'soort' heeft een waarde die niet is toegestaan; kies uit: loket, partner"),
            "{variant}"
        );
        assert!(!variant.contains("balie"), "{variant}");
        let wrong_type = explain(r#"{"gemeente":"GM0518","aantal":"123456789","soort":"loket"}"#);
        assert!(
            wrong_type.contains("het veld 'aantal' moet een geheel getal van 0 of meer zijn"),
            "{wrong_type}"
        );
        assert!(!wrong_type.contains("123456789"), "{wrong_type}");
        let out_of_range = explain(r#"{"gemeente":"GM0518","aantal":-7,"soort":"loket"}"#);
        assert!(!out_of_range.contains("-7"), "{out_of_range}");
        assert!(explain(r#"{"gemeente":"#).contains("geen geldige JSON"));
        let markup = explain(r#"{"gemeente":"GM0518","aantal":1,"soort":"loket","<script>":1}"#);
        assert!(!markup.contains('<'), "{markup}");
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Dated {
        datum: time::Date,
        kind: uuid::Uuid,
        kinderen: Vec<Child>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Child {
        geboortemaand: u8,
    }

    fn explain_dated(json: &str) -> String {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let error = serde_path_to_error::deserialize::<_, Dated>(&mut deserializer).unwrap_err();
        let path = error.path().to_string();
        dutch_json_error(error.inner(), &path)
    }

    #[test]
    fn dates_ids_and_nested_fields_are_named_with_their_form() {
        let ok_rest = r#""kind":"3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f","kinderen":[]"#;
        let date = explain_dated(&format!(r#"{{"datum":"1-2-3",{ok_rest}}}"#));
        assert!(
            date.contains("het veld 'datum' moet een datum als JJJJ-MM-DD zijn"),
            "{date}"
        );
        let id = explain_dated(r#"{"datum":"2026-01-01","kind":"123456782","kinderen":[]}"#);
        assert!(id.contains("het veld 'kind' moet een UUID"), "{id}");
        assert!(!id.contains("123456782"), "{id}");
        let nested = explain_dated(
            r#"{"datum":"2026-01-01","kind":"3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f","kinderen":[{"geboortemaand":300}]}"#,
        );
        assert!(
            nested.contains("het veld 'kinderen[0].geboortemaand' moet een geheel getal van 0 tot en met 255 zijn"),
            "{nested}"
        );
    }

    #[test]
    fn our_own_validation_messages_pass_through_in_dutch_without_the_value() {
        let explained = explain(r#"{"gemeente":"GM51","aantal":1,"soort":"loket"}"#);
        assert!(
            explained.contains("het veld 'gemeente' is geen geldige gemeentecode"),
            "{explained}"
        );
        assert!(!explained.contains("GM51"), "{explained}");
    }
}
