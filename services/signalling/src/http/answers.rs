//! One-time links (`crate::links`): the regievoerder makes one for a referral to a partner without
//! an account; the partner opens and answers it without logging in. The token in the URL is the only
//! credential, so these two operations take no token: they declare the role `eenmalige-link` in
//! the OpenAPI document, and the service's rate limit counts their callers as anonymous (per client
//! address), as every request without a valid token.

use aide::generate::GenContext;
use aide::openapi::Operation;
use aide::OperationInput;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use kindpakket_platform::clock;
use kindpakket_platform::http::caller::ROLES_EXTENSION;
use kindpakket_platform::http::conventions::CorrelationId;
use kindpakket_platform::http::vocabulary::ProvisionTypeDto;
use kindpakket_platform::http::{refused, ApiError, ApiJson, ApiPath, Created, InGemeente};
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{OrganisationId, WijkCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use super::signals::{SignalPath, StatusDto};
use super::{AppState, Regie};
use crate::enrolments;
use crate::links::{self, Answer, LinkError};

/// The role the document names for the operations a one-time link opens.
pub const LINK_HOLDER: &str = "eenmalige-link";

/// Whoever holds a one-time link: no login, the token in the path is the credential.
#[derive(Debug, Clone, Copy)]
pub struct LinkHolder {
    pub correlation_id: Uuid,
}

impl<S: Send + Sync> FromRequestParts<S> for LinkHolder {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let correlation_id = parts
            .extensions
            .get::<CorrelationId>()
            .map_or_else(Uuid::new_v4, |id| id.0);
        Ok(Self { correlation_id })
    }
}

impl OperationInput for LinkHolder {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        operation
            .extensions
            .insert(ROLES_EXTENSION.to_owned(), serde_json::json!([LINK_HOLDER]));
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MakeLinkRequest {
    /// How many days the link holds: 1 to 60, 14 when left out.
    #[serde(rename = "geldigDagen", default)]
    pub valid_days: Option<u8>,
}

/// A link was made. The URL is shown once: only its hash is kept.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LinkMade {
    /// The path to send the partner (on the signalling service's address).
    pub url: String,
    #[serde(rename = "geldigTot", with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub valid_until: OffsetDateTime,
}

/// The token in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct TokenPath {
    /// The token of the link, as it was sent.
    pub token: String,
}

/// The signalling organisation, as the link shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SignallerShown {
    pub code: OrganisationId,
    /// The public name it was enrolled under, if it was.
    #[serde(rename = "naam")]
    pub name: Option<String>,
}

/// What a link shows: the minimum to act on.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LinkView {
    #[serde(rename = "voorzieningsoort")]
    pub provision_type: Option<ProvisionTypeDto>,
    pub wijk: Option<WijkCode>,
    #[serde(rename = "signaleerder")]
    pub signaller: SignallerShown,
    #[serde(rename = "uiterlijk")]
    #[schemars(with = "Option<DateSchema>")]
    pub due_on: Option<Date>,
}

/// The answer through a link.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub enum AnswerDto {
    #[serde(rename = "opgepakt")]
    Accepted,
    #[serde(rename = "teruggegeven")]
    HandedBack,
    #[serde(rename = "gezin-bereikt")]
    FamilyReached,
    #[serde(rename = "afgezien")]
    Declined,
    #[serde(rename = "onbereikbaar")]
    Unreachable,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    #[serde(rename = "antwoord")]
    pub answer: AnswerDto,
}

/// The answer was recorded.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AnswerRecorded {
    pub status: StatusDto,
}

impl From<LinkError> for ApiError {
    fn from(error: LinkError) -> Self {
        match error {
            LinkError::Refused(refusal) => match refusal.status() {
                410 => ApiError::new(
                    StatusCode::GONE,
                    "Link niet meer geldig",
                    refusal.to_string(),
                ),
                _ => refused(&refusal),
            },
            LinkError::Unknown(error) => error.into(),
            LinkError::Command(error) => error.into(),
            LinkError::Technical(cause) => ApiError::internal(cause),
            LinkError::Random => ApiError::internal("no random bytes for a token"),
        }
    }
}

/// The regievoerder makes a one-time link for the partner a signal is referred to (409 for a signal
/// at the loket, handed back or closed).
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, signal_id = %id))]
pub async fn make_link(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(SignalPath { id }): ApiPath<SignalPath>,
    ApiJson(request): ApiJson<MakeLinkRequest>,
) -> Result<Created<LinkMade>, ApiError> {
    let days = match request.valid_days {
        None => links::DEFAULT_VALID_DAYS,
        Some(days @ 1..=60) => i64::from(days),
        Some(_) => {
            return Err(ApiError::unprocessable(
                "Het veld 'geldigDagen' moet een getal van 1 tot en met 60 zijn. Er is niets opgeslagen.",
            ))
        }
    };
    let made = links::make_link(
        &state.pool,
        &state.signals,
        &caller.gemeente,
        id,
        &caller.actor.organisation,
        clock::now(),
        Duration::days(days),
    )
    .await?;
    let url = format!("/api/v1/antwoord/{}", made.token);
    Ok(Created::at(
        url.clone(),
        LinkMade {
            url,
            valid_until: made.valid_until,
        },
    ))
}

/// Opens a link: the provision type, the wijk, who signalled and the due date. Nothing else: not
/// the child, not the reason.
#[tracing::instrument(skip_all)]
pub async fn open_link(
    State(state): State<AppState>,
    _holder: LinkHolder,
    ApiPath(TokenPath { token }): ApiPath<TokenPath>,
) -> Result<Json<LinkView>, ApiError> {
    let opened = links::open(&state.pool, &state.signals, &token, clock::now()).await?;
    let name = enrolments::name_of(&state.pool, &opened.gemeente, &opened.details.signaller)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(LinkView {
        provision_type: opened.details.provision_type.map(ProvisionTypeDto::from),
        wijk: opened.details.wijk.clone(),
        signaller: SignallerShown {
            code: opened.details.signaller.clone(),
            name,
        },
        due_on: opened.due_on,
    }))
}

/// Answers the referral through the link, as the partner it was made for. Once: a second answer,
/// or one after the link expired, is a 410 and changes nothing.
#[tracing::instrument(skip_all)]
pub async fn answer_link(
    State(state): State<AppState>,
    holder: LinkHolder,
    ApiPath(TokenPath { token }): ApiPath<TokenPath>,
    ApiJson(request): ApiJson<AnswerRequest>,
) -> Result<Json<AnswerRecorded>, ApiError> {
    let (answer, status) = match request.answer {
        AnswerDto::Accepted => (Answer::Accepted, StatusDto::Accepted),
        AnswerDto::HandedBack => (Answer::HandedBack, StatusDto::HandedBack),
        AnswerDto::FamilyReached => (
            Answer::Outcome(kindpakket_proto::signalling::SignalOutcome::Contacted),
            StatusDto::FamilyReached,
        ),
        AnswerDto::Declined => (
            Answer::Outcome(kindpakket_proto::signalling::SignalOutcome::Declined),
            StatusDto::Declined,
        ),
        AnswerDto::Unreachable => (
            Answer::Outcome(kindpakket_proto::signalling::SignalOutcome::Unreachable),
            StatusDto::Unreachable,
        ),
    };
    links::answer(
        &state.pool,
        &state.signals,
        &token,
        answer,
        clock::now(),
        holder.correlation_id,
    )
    .await?;
    Ok(Json(AnswerRecorded { status }))
}
