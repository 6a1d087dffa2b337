//! The personal data vault's API: the gemeente keeps a person (a parent enters the people of the
//! household their login names) and gets their pseudonymous reference; the regievoerder reads them
//! back, registers and corrects (rectification) for a stated purpose (`X-Doel`), forgets them and
//! applies the retention periods; the auditor reads the hash-chained audit log. The use-cases are
//! [`crate::vault::persons`] and [`crate::vault::retention`].

use aide::generate::GenContext;
use aide::openapi::{Operation, Response, StatusCode as DocumentedStatus};
use aide::OperationOutput;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kindpakket_platform::free_text::FreeText;
use kindpakket_platform::http::{
    refused, ApiError, ApiJson, ApiPath, ApiQuery, InGemeente, Page, Paging,
};
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::Role;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::purpose::{actor, Origin, Purpose};
use super::{AppState, Auditors, PersonWriters, Regie};
use crate::vault::audit;
use crate::vault::persons::{self, Registrant, Registration, VaultError};
use crate::vault::retention::{self, RetentionError};
use crate::vault::{Correction, PersonState, PersonalData};

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

/// A child or a parent.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
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

/// Corrected data of a person (rectification): they replace the current version as a whole; the
/// earlier version is kept, sealed, and read by nobody. The BSN is not corrected: a wrong BSN is
/// another person (register them, and forget this one).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RectificationRequest {
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// Why (e.g. "verzoek van betrokkene, AVG art. 17"): kept on the audit log, so short and
    /// without personal data.
    #[serde(rename = "reden")]
    pub reason: FreeText,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionRequest {
    /// The day to apply the retention periods on (defaults to today).
    #[serde(rename = "peildatum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub on: Option<Date>,
}

/// The person in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PersonPath {
    /// The person's pseudonymous reference, as their registration answered.
    pub id: Uuid,
}

/// A person kept in the vault: the reference to use from now on.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PersonRegistered {
    pub id: Uuid,
    #[serde(rename = "soort")]
    pub kind: PersonKindDto,
}

/// A person as the vault answers the regievoerder: present with their data (the current version),
/// or forgotten; who registered them and which records may be the same person.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "status")]
pub enum PersonView {
    #[serde(rename = "verwijderd")]
    Erased {
        id: Uuid,
        /// `kind` or `ouder`.
        soort: String,
        /// Why they were forgotten.
        reden: String,
        /// The household of the parent who registered them, if a parent did.
        huishouden: Option<Uuid>,
        /// The record the vault already kept under the same BSN when a household registered them.
        #[serde(rename = "mogelijkDubbelVan")]
        mogelijk_dubbel_van: Option<Uuid>,
        /// Records households registered later under the same BSN.
        #[serde(rename = "mogelijkeDubbelen")]
        mogelijke_dubbelen: Vec<Uuid>,
    },
    #[serde(rename = "aanwezig")]
    Present {
        id: Uuid,
        /// `kind` or `ouder`.
        soort: String,
        /// The household of the parent who registered them, if a parent did.
        huishouden: Option<Uuid>,
        /// The record the vault already kept under the same BSN when a household registered them.
        #[serde(rename = "mogelijkDubbelVan")]
        mogelijk_dubbel_van: Option<Uuid>,
        /// Records households registered later under the same BSN.
        #[serde(rename = "mogelijkeDubbelen")]
        mogelijke_dubbelen: Vec<Uuid>,
        /// The version of the data: 1, and one more for every rectification.
        versie: i32,
        bsn: String,
        naam: String,
        adres: Option<String>,
        geboortedatum: Option<String>,
        iban: Option<String>,
        inkomensbewijs: Option<String>,
    },
}

/// What became of a person.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub enum ErasedStatus {
    #[serde(rename = "verwijderd")]
    Erased,
}

/// What became of a person's data.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub enum RectifiedStatus {
    #[serde(rename = "gerectificeerd")]
    Rectified,
}

/// A person's data were corrected: the corrected data are version `versie`, the earlier version is
/// kept, sealed under the person's key.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PersonRectified {
    pub id: Uuid,
    pub status: RectifiedStatus,
    #[serde(rename = "versie")]
    pub version: i32,
}

/// A person was forgotten: their key is destroyed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PersonErased {
    pub id: Uuid,
    pub status: ErasedStatus,
}

/// The retention periods were applied.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RetentionApplied {
    #[serde(rename = "peildatum")]
    #[schemars(with = "DateSchema")]
    pub on: Date,
    /// How many people were forgotten.
    #[serde(rename = "verwijderd")]
    pub erased: usize,
}

/// Whether the audit log's chain is whole.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub enum ChainState {
    #[serde(rename = "in orde")]
    Whole,
    #[serde(rename = "verbroken")]
    Broken,
}

/// A page of the audit log of the gemeente's personal data, in the chain's order, and whether its
/// chain (over all gemeenten) holds.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditLogView {
    #[serde(rename = "keten")]
    pub chain: ChainState,
    /// The first row at which the chain is broken.
    #[serde(rename = "verbrokenVanafRegel")]
    pub broken_from: Option<i64>,
    #[serde(rename = "regels")]
    pub rows: Vec<audit::Row>,
    /// Pass as `na` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volgende: Option<String>,
}

/// The query string of the audit log: which page.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AuditLogQuery {
    #[serde(flatten)]
    pub paging: Paging,
}

/// `201 Created` for a person new to the vault, and always for a parent (whatever the vault knew);
/// `200 OK` for the regievoerder when the vault knew the BSN (nothing replaced). The body is the
/// same.
#[derive(Debug)]
pub struct Registered<T> {
    pub created: bool,
    pub body: T,
}

impl<T: Serialize> IntoResponse for Registered<T> {
    fn into_response(self) -> axum::response::Response {
        let status = if self.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        (status, Json(self.body)).into_response()
    }
}

impl<T: JsonSchema> OperationOutput for Registered<T> {
    type Inner = T;

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<Response> {
        Json::<T>::operation_response(ctx, operation)
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<DocumentedStatus>, Response)> {
        let Some(response) = Self::operation_response(ctx, operation) else {
            return Vec::new();
        };
        let described = |description: &str| Response {
            description: description.to_owned(),
            ..response.clone()
        };
        vec![
            (
                Some(DocumentedStatus::Code(201)),
                described("Bewaard; een ouder krijgt altijd dit antwoord"),
            ),
            (
                Some(DocumentedStatus::Code(200)),
                described(
                    "Alleen voor de gemeente: deze persoon was al bekend; er is niets gewijzigd",
                ),
            ),
        ]
    }
}

impl From<VaultError> for ApiError {
    fn from(error: VaultError) -> Self {
        match error {
            VaultError::InvalidBsn | VaultError::MissingName | VaultError::MissingReason => {
                ApiError::unprocessable(error.to_string())
            }
            VaultError::NoHousehold => ApiError::forbidden(error.to_string()),
            VaultError::Unknown => ApiError::not_found(error.to_string()),
            VaultError::Erased => ApiError::conflict(error.to_string()),
            VaultError::Technical(cause) => ApiError::internal(format!("{cause:#}")),
        }
    }
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn register(
    State(state): State<AppState>,
    caller: InGemeente<PersonWriters>,
    Origin(origin): Origin,
    purpose: Purpose,
    ApiJson(request): ApiJson<PersonRequest>,
) -> Result<Registered<PersonRegistered>, ApiError> {
    // A parent for the household their login names; the regievoerder for a stated purpose.
    let (registrant, purpose) = match caller.actor.role {
        Role::Regievoerder => (Registrant::Gemeente, purpose.required()?),
        _ => (
            Registrant::Parent {
                household: caller.household,
            },
            purpose.or("aanvraag Kindpakket")?,
        ),
    };
    let registration = Registration {
        kind: request.kind.as_str(),
        data: PersonalData {
            bsn: request.bsn,
            name: request.name,
            address: request.address,
            birth_date: request.birth_date,
            iban: request.iban,
            income_evidence: request.income_evidence,
        },
    };
    let registered = persons::register(
        &state.vault,
        &caller.gemeente,
        registration,
        registrant,
        actor(&caller, &origin),
        &purpose,
    )
    .await?;
    Ok(Registered {
        created: registered.created,
        body: PersonRegistered {
            id: registered.person_id,
            kind: request.kind,
        },
    })
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn read(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(PersonPath { id }): ApiPath<PersonPath>,
    Origin(origin): Origin,
    purpose: Purpose,
) -> Result<Json<PersonView>, ApiError> {
    let purpose = purpose.required()?;
    let person = persons::read(
        &state.vault,
        &caller.gemeente,
        id,
        actor(&caller, &origin),
        &purpose,
    )
    .await?;
    let (soort, huishouden, mogelijk_dubbel_van, mogelijke_dubbelen) = (
        person.kind,
        person.household,
        person.possible_duplicate_of,
        person.possible_duplicates,
    );
    Ok(Json(match person.state {
        PersonState::Erased { why } => PersonView::Erased {
            id,
            soort,
            reden: why,
            huishouden,
            mogelijk_dubbel_van,
            mogelijke_dubbelen,
        },
        PersonState::Readable { data, version } => PersonView::Present {
            id,
            soort,
            huishouden,
            mogelijk_dubbel_van,
            mogelijke_dubbelen,
            versie: version,
            bsn: data.bsn,
            naam: data.name,
            adres: data.address,
            geboortedatum: data.birth_date,
            iban: data.iban,
            inkomensbewijs: data.income_evidence,
        },
    }))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn rectify(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(PersonPath { id }): ApiPath<PersonPath>,
    Origin(origin): Origin,
    purpose: Purpose,
    ApiJson(request): ApiJson<RectificationRequest>,
) -> Result<Json<PersonRectified>, ApiError> {
    let purpose = purpose.required()?;
    let correction = Correction {
        name: request.name,
        address: request.address,
        birth_date: request.birth_date,
        iban: request.iban,
        income_evidence: request.income_evidence,
    };
    let version = persons::rectify(
        &state.forgetting,
        &caller.gemeente,
        id,
        correction,
        actor(&caller, &origin),
        &purpose,
        &caller.command_context(&caller.gemeente),
    )
    .await?;
    Ok(Json(PersonRectified {
        id,
        status: RectifiedStatus::Rectified,
        version,
    }))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn erase(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(PersonPath { id }): ApiPath<PersonPath>,
    Origin(origin): Origin,
    ApiJson(request): ApiJson<ErasureRequest>,
) -> Result<Json<PersonErased>, ApiError> {
    let reason = request
        .reason
        .checked("reden")
        .map_err(|refusal| refused(&refusal))?;
    persons::erase(
        &state.forgetting,
        &caller.gemeente,
        id,
        &reason,
        actor(&caller, &origin),
        &caller.command_context(&caller.gemeente),
    )
    .await?;
    Ok(Json(PersonErased {
        id,
        status: ErasedStatus::Erased,
    }))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn retention(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiJson(request): ApiJson<RetentionRequest>,
) -> Result<Json<RetentionApplied>, ApiError> {
    let on = request.on.unwrap_or_else(kindpakket_platform::clock::today);
    let erased = retention::apply(
        &state.forgetting,
        &state.retention,
        &caller.gemeente,
        on,
        actor(&caller, retention::ORIGIN),
        &caller.command_context(&caller.gemeente),
    )
    .await
    .map_err(|error| match error {
        RetentionError::InTheFuture => ApiError::unprocessable(error.to_string()),
        RetentionError::Technical(cause) => ApiError::internal(format!("{cause:#}")),
    })?;
    Ok(Json(RetentionApplied { on, erased }))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn audit_log(
    State(state): State<AppState>,
    caller: InGemeente<Auditors>,
    ApiQuery(query): ApiQuery<AuditLogQuery>,
) -> Result<Json<AuditLogView>, ApiError> {
    let limit = query.paging.limit()?;
    let after = query.paging.after::<i64>()?;
    let (rows, broken) = state
        .vault
        .audit_log(caller.gemeente.as_str(), after, query.paging.fetch_limit()?)
        .await
        .map_err(ApiError::internal)?;
    let page = Page::from_rows(rows, limit, |row| row.seq);
    Ok(Json(AuditLogView {
        chain: if broken.is_none() {
            ChainState::Whole
        } else {
            ChainState::Broken
        },
        broken_from: broken,
        rows: page.items,
        volgende: page.volgende,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_person_reads_as_present_with_nulls_or_as_forgotten() {
        let id = Uuid::from_u128(1);
        let present = PersonView::Present {
            id,
            soort: "ouder".to_owned(),
            huishouden: Some(Uuid::from_u128(6)),
            mogelijk_dubbel_van: Some(Uuid::from_u128(2)),
            mogelijke_dubbelen: vec![],
            versie: 2,
            bsn: "111222333".to_owned(),
            naam: "J. Jansen".to_owned(),
            adres: None,
            geboortedatum: Some("1990-01-01".to_owned()),
            iban: None,
            inkomensbewijs: None,
        };
        assert_eq!(
            serde_json::to_value(present).unwrap(),
            json!({
                "id": id, "soort": "ouder", "status": "aanwezig",
                "huishouden": Uuid::from_u128(6), "mogelijkDubbelVan": Uuid::from_u128(2),
                "mogelijkeDubbelen": [], "versie": 2,
                "bsn": "111222333", "naam": "J. Jansen", "adres": null,
                "geboortedatum": "1990-01-01", "iban": null, "inkomensbewijs": null,
            })
        );
        let erased = PersonView::Erased {
            id,
            soort: "kind".to_owned(),
            reden: "bewaartermijn verstreken".to_owned(),
            huishouden: None,
            mogelijk_dubbel_van: None,
            mogelijke_dubbelen: vec![Uuid::from_u128(3)],
        };
        assert_eq!(
            serde_json::to_value(erased).unwrap(),
            json!({"id": id, "soort": "kind", "status": "verwijderd", "reden": "bewaartermijn verstreken",
                   "huishouden": null, "mogelijkDubbelVan": null, "mogelijkeDubbelen": [Uuid::from_u128(3)]})
        );
    }

    #[test]
    fn the_small_answers_read_as_before() {
        let id = Uuid::from_u128(1);
        assert_eq!(
            serde_json::to_value(PersonRegistered {
                id,
                kind: PersonKindDto::Child
            })
            .unwrap(),
            json!({"id": id, "soort": "kind"})
        );
        assert_eq!(
            serde_json::to_value(PersonRectified {
                id,
                status: RectifiedStatus::Rectified,
                version: 2
            })
            .unwrap(),
            json!({"id": id, "status": "gerectificeerd", "versie": 2})
        );
        assert_eq!(
            serde_json::to_value(PersonErased {
                id,
                status: ErasedStatus::Erased
            })
            .unwrap(),
            json!({"id": id, "status": "verwijderd"})
        );
        assert_eq!(
            serde_json::to_value(RetentionApplied {
                on: time::macros::date!(2033 - 01 - 01),
                erased: 2
            })
            .unwrap(),
            json!({"peildatum": "2033-01-01", "verwijderd": 2})
        );
        assert_eq!(
            serde_json::to_value(AuditLogView {
                chain: ChainState::Whole,
                broken_from: None,
                rows: vec![],
                volgende: None,
            })
            .unwrap(),
            json!({"keten": "in orde", "verbrokenVanafRegel": null, "regels": []})
        );
        assert_eq!(
            serde_json::to_value(AuditLogView {
                chain: ChainState::Broken,
                broken_from: Some(3),
                rows: vec![],
                volgende: Some("Mw".to_owned()),
            })
            .unwrap(),
            json!({"keten": "verbroken", "verbrokenVanafRegel": 3, "regels": [], "volgende": "Mw"})
        );
    }
}
