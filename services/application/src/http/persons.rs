//! The personal data vault's API (gemeente only): keep a person and get their pseudonymous
//! reference, read them back for a stated purpose, forget them, apply the retention periods, and
//! the auditor's view of the hash-chained audit log.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use kindpakket_platform::http::{id_from_path, ApiError, ApiJson, Caller};
use kindpakket_proto::{GemeenteCode, Role};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use time::Date;
use uuid::Uuid;

use super::AppState;
use crate::vault::{audit, bsn, Person, PersonalData};

/// Only the gemeente may process a BSN; a parent may enter their own household at the loket.
pub const WRITERS: &[Role] = &[Role::Regievoerder, Role::Applicant];
pub const READERS: &[Role] = &[Role::Regievoerder];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonRequest {
    /// `kind` or `ouder`.
    #[serde(rename = "soort")]
    pub kind: PersonKindDto,
    pub bsn: String,
    #[serde(rename = "naam")]
    pub name: String,
    #[serde(rename = "adres", default)]
    pub address: Option<String>,
    #[serde(rename = "geboortedatum", default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub iban: Option<String>,
    /// What the income evidence is (e.g. "loonstrook juni 2026"), never the document itself.
    #[serde(rename = "inkomensbewijs", default)]
    pub income_evidence: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub enum PersonKindDto {
    #[serde(rename = "kind")]
    Child,
    #[serde(rename = "ouder")]
    Parent,
}

impl PersonKindDto {
    fn as_str(self) -> &'static str {
        match self {
            PersonKindDto::Child => "kind",
            PersonKindDto::Parent => "ouder",
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    #[serde(rename = "reden")]
    pub reason: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionRequest {
    /// The day to apply the retention periods on (defaults to today).
    #[serde(rename = "peildatum", default)]
    #[schemars(with = "Option<String>")]
    pub on: Option<Date>,
}

fn origin(headers: &HeaderMap) -> String {
    headers
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok())
        .map(|value| format!("http {value}"))
        .unwrap_or_else(|| "http".to_owned())
}

fn purpose(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get("x-doel")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(|value| value.chars().take(200).collect())
        .ok_or_else(|| {
            ApiError::bad_request(
                "Geef in de kopregel X-Doel op waarvoor u deze persoonsgegevens nodig hebt (doelbinding).",
            )
        })
}

#[allow(clippy::too_many_arguments)]
async fn record(
    state: &AppState,
    caller: &Caller,
    gemeente: &GemeenteCode,
    headers: &HeaderMap,
    action: &str,
    object: &str,
    result: &str,
    purpose: &str,
) -> Result<(), ApiError> {
    state
        .vault
        .audit(audit::Entry {
            gemeente: gemeente.as_str(),
            action,
            object,
            result,
            origin: &origin(headers),
            actor: &caller.subject,
            organisation: caller.actor.organisation.as_str(),
            role: caller.actor.role.as_str(),
            purpose,
        })
        .await
        .map_err(ApiError::internal)
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn register(
    State(state): State<AppState>,
    Path(gemeente): Path<String>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(request): ApiJson<PersonRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(WRITERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    let purpose = purpose(&headers).unwrap_or_else(|_| "aanvraag Kindpakket".to_owned());
    let bsn = request.bsn.trim().to_owned();
    if !bsn::is_valid(&bsn) {
        record(
            &state,
            &caller,
            &gemeente,
            &headers,
            "registreren",
            "-",
            "geweigerd: BSN voldoet niet aan de 11-proef",
            &purpose,
        )
        .await?;
        return Err(ApiError::unprocessable(
            "Dit BSN klopt niet: een burgerservicenummer heeft 9 cijfers en voldoet aan de 11-proef. Controleer het nummer; er is niets opgeslagen.",
        ));
    }
    if request.name.trim().is_empty() {
        return Err(ApiError::unprocessable(
            "De naam ontbreekt; er is niets opgeslagen.",
        ));
    }
    let data = PersonalData {
        bsn,
        name: request.name.trim().to_owned(),
        address: request.address,
        birth_date: request.birth_date,
        iban: request.iban,
        income_evidence: request.income_evidence,
    };
    let (person_id, created) = state
        .vault
        .register(
            gemeente.as_str(),
            request.kind.as_str(),
            &data,
            time::OffsetDateTime::now_utc().date(),
        )
        .await
        .map_err(ApiError::internal)?;
    record(
        &state,
        &caller,
        &gemeente,
        &headers,
        if created { "registreren" } else { "bijwerken" },
        &person_id.to_string(),
        "gelukt",
        &purpose,
    )
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({ "id": person_id, "soort": request.kind.as_str() })),
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn read(
    State(state): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    caller.require(READERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    let person_id = id_from_path(&id, "Persoon")?;
    let purpose = purpose(&headers)?;
    let person = state
        .vault
        .read(gemeente.as_str(), person_id)
        .await
        .map_err(ApiError::internal)?;
    let (result, body) = match person {
        None => ("niet gevonden", None),
        Some(Person::Erased { kind, why }) => (
            "verwijderd",
            Some(json!({"id": person_id, "soort": kind, "status": "verwijderd", "reden": why})),
        ),
        Some(Person::Readable { kind, data }) => (
            "gelezen",
            Some(json!({
                "id": person_id, "soort": kind, "status": "aanwezig",
                "bsn": data.bsn, "naam": data.name, "adres": data.address,
                "geboortedatum": data.birth_date, "iban": data.iban,
                "inkomensbewijs": data.income_evidence,
            })),
        ),
    };
    record(
        &state,
        &caller,
        &gemeente,
        &headers,
        "lezen",
        &person_id.to_string(),
        result,
        &purpose,
    )
    .await?;
    body.map(Json).ok_or_else(|| {
        ApiError::not_found(format!(
            "Persoon '{person_id}' is niet bekend in deze gemeente."
        ))
    })
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn erase(
    State(state): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ErasureRequest>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    let person_id = id_from_path(&id, "Persoon")?;
    let reason = request.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(ApiError::unprocessable("Geef de reden van het verwijderen op (bijvoorbeeld: verzoek van betrokkene, AVG art. 17)."));
    }
    let erased = state
        .vault
        .erase(gemeente.as_str(), person_id, &reason)
        .await
        .map_err(ApiError::internal)?;
    record(
        &state,
        &caller,
        &gemeente,
        &headers,
        "verwijderen",
        &person_id.to_string(),
        if erased {
            "sleutel vernietigd"
        } else {
            "niet gevonden"
        },
        &reason,
    )
    .await?;
    if !erased {
        return Err(ApiError::not_found(format!(
            "Persoon '{person_id}' is niet bekend in deze gemeente."
        )));
    }
    Ok(Json(json!({"id": person_id, "status": "verwijderd"})))
}

/// Forgets everyone of the gemeente whose retention period has passed on the given day.
pub async fn apply_retention(
    state: &AppState,
    gemeente: &GemeenteCode,
    on: Date,
    actor: (&str, &str, &str),
) -> Result<usize, ApiError> {
    let due = state
        .vault
        .past_retention(gemeente.as_str(), &state.retention, on)
        .await
        .map_err(ApiError::internal)?;
    for person_id in &due {
        state
            .vault
            .erase(gemeente.as_str(), *person_id, "bewaartermijn verstreken")
            .await
            .map_err(ApiError::internal)?;
        state
            .vault
            .audit(audit::Entry {
                gemeente: gemeente.as_str(),
                action: "verwijderen",
                object: &person_id.to_string(),
                result: "sleutel vernietigd",
                origin: "bewaartermijn",
                actor: actor.0,
                organisation: actor.1,
                role: actor.2,
                purpose: "bewaartermijn verstreken",
            })
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(due.len())
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn retention(
    State(state): State<AppState>,
    Path(gemeente): Path<String>,
    caller: Caller,
    ApiJson(request): ApiJson<RetentionRequest>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    let on = request
        .on
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    let erased = apply_retention(
        &state,
        &gemeente,
        on,
        (
            &caller.subject,
            caller.actor.organisation.as_str(),
            caller.actor.role.as_str(),
        ),
    )
    .await?;
    Ok(Json(json!({"peildatum": on, "verwijderd": erased})))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn audit_log(
    State(state): State<AppState>,
    Path(gemeente): Path<String>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Auditor])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let (rows, broken) = state.vault.audit_log().await.map_err(ApiError::internal)?;
    let own: Vec<&audit::Row> = rows
        .iter()
        .filter(|row| row.gemeente == gemeente.as_str())
        .collect();
    Ok(Json(json!({
        "keten": if broken.is_none() { "in orde" } else { "verbroken" },
        "verbrokenVanafRegel": broken,
        "regels": own,
    })))
}

/// A reference for person ids in paths (kept for the OpenAPI document).
pub type PersonId = Uuid;
