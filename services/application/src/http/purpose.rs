//! What every read of personal or case data records on the audit log beside who reads: the purpose
//! (`X-Doel`, doelbinding) and the origin of the request.
//!
//! The purpose is kept on the append-only audit log for ever, where nothing can be forgotten, so it
//! is held to the free-text rules ([`FreeText::checked`]: no BSN, IBAN, e-mail address or telephone
//! number), short (at most [`MAX_PURPOSE_CHARS`] characters) and plain (no control characters); a
//! purpose that breaks them is refused with `422`, nothing read. An endpoint that does not require
//! one records its own default.

use aide::generate::GenContext;
use aide::openapi::{
    HeaderStyle, Operation, Parameter, ParameterData, ParameterSchemaOrContent, ReferenceOr,
    SchemaObject,
};
use aide::OperationInput;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use indexmap::IndexMap;
use kindpakket_platform::free_text::FreeText;
use kindpakket_platform::http::{refused, ApiError, Caller};

use crate::vault::audit::Actor;

/// The longest purpose kept, in characters.
pub const MAX_PURPOSE_CHARS: usize = 200;

/// The `X-Doel` header: what the caller needs the data for (doelbinding), as far as sent.
#[derive(Debug, Clone)]
pub struct Purpose(Option<Vec<u8>>);

impl Purpose {
    /// The stated purpose, checked, or 400 when none was stated.
    pub fn required(self) -> Result<String, ApiError> {
        match self.0 {
            Some(raw) => checked(&raw),
            None => Err(ApiError::bad_request(
                "Geef in de kopregel X-Doel op waarvoor u deze persoonsgegevens nodig hebt (doelbinding).",
            )),
        }
    }

    /// The stated purpose, checked, or `default` when none was stated.
    pub fn or(self, default: &str) -> Result<String, ApiError> {
        match self.0 {
            Some(raw) => checked(&raw),
            None => Ok(default.to_owned()),
        }
    }
}

/// A purpose as the audit log may keep it.
fn checked(raw: &[u8]) -> Result<String, ApiError> {
    let invalid = || {
        ApiError::unprocessable(format!(
            "De kopregel X-Doel moet gewone tekst zijn van hoogstens {MAX_PURPOSE_CHARS} tekens, zonder regeleinden of stuurtekens. Er is niets gelezen."
        ))
    };
    let text = std::str::from_utf8(raw).map_err(|_| invalid())?.trim();
    if text.chars().count() > MAX_PURPOSE_CHARS || text.chars().any(char::is_control) {
        return Err(invalid());
    }
    let note = FreeText::new(text)
        .checked("X-Doel")
        .map_err(|refusal| refused(&refusal))?;
    if note.is_empty() {
        return Err(invalid());
    }
    Ok(note.as_str().to_owned())
}

impl<S: Send + Sync> FromRequestParts<S> for Purpose {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Purpose(
            parts
                .headers
                .get("x-doel")
                .map(|value| value.as_bytes().to_vec())
                .filter(|value| !value.iter().all(u8::is_ascii_whitespace)),
        ))
    }
}

impl OperationInput for Purpose {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let json_schema = ctx.schema.subschema_for::<String>();
        operation.parameters.push(ReferenceOr::Item(Parameter::Header {
            parameter_data: ParameterData {
                name: "X-Doel".to_owned(),
                description: Some(format!(
                    "Waarvoor u de gegevens nodig hebt (doelbinding), vastgelegd in het auditlog: gewone tekst van hoogstens {MAX_PURPOSE_CHARS} tekens, zonder BSN, IBAN, e-mailadres of telefoonnummer. Verplicht voor de gemeente bij het lezen, registreren en rectificeren van persoonsgegevens; bij het lezen van een aanvraag geldt anders een vast doel."
                )),
                required: false,
                format: ParameterSchemaOrContent::Schema(SchemaObject {
                    json_schema,
                    example: None,
                    external_docs: None,
                }),
                extensions: IndexMap::default(),
                deprecated: None,
                example: None,
                examples: IndexMap::default(),
                explode: None,
            },
            style: HeaderStyle::Simple,
        }));
    }
}

/// Where a request came from, for the audit log: `http`, or `http <X-Forwarded-For>`.
#[derive(Debug, Clone)]
pub struct Origin(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Origin(
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|value| value.to_str().ok())
                .map(|value| format!("http {value}"))
                .unwrap_or_else(|| "http".to_owned()),
        ))
    }
}

/// Set by the proxy in front of the service, not by the caller: not part of the API.
impl OperationInput for Origin {}

/// The caller, as the audit log names them, acting from `origin`.
pub fn actor<'a>(caller: &'a Caller, origin: &'a str) -> Actor<'a> {
    Actor {
        subject: &caller.subject,
        organisation: caller.actor.organisation.as_str(),
        role: caller.actor.role.as_str(),
        origin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purpose_is_short_plain_text_without_personal_data() {
        assert_eq!(
            Purpose(Some(b" controle aanvraag ".to_vec()))
                .or("x")
                .unwrap(),
            "controle aanvraag"
        );
        assert_eq!(
            Purpose(None).or("aanvraag inzien").unwrap(),
            "aanvraag inzien"
        );
        assert!(Purpose(None).required().is_err());
        for refused in [
            "bel 0612345678".as_bytes().to_vec(),
            "mail j.jansen@example.nl".as_bytes().to_vec(),
            "bsn 111222333".as_bytes().to_vec(),
            "a\u{7}b".as_bytes().to_vec(),
            "x".repeat(MAX_PURPOSE_CHARS + 1).into_bytes(),
            vec![0xff, 0xfe],
        ] {
            let error = Purpose(Some(refused.clone())).or("x").unwrap_err();
            assert_eq!(error.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
            let sent = String::from_utf8_lossy(&refused).to_string();
            assert!(!error.detail.contains(sent.trim()), "{}", error.detail);
        }
    }
}
