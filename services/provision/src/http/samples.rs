//! `/steekproeven`: the sample check of declarations, drawn and checked by regie or the auditor.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::free_text::FreeText;
use kindpakket_platform::http::{
    refused, ApiError, ApiJson, ApiPath, Created, InGemeente, Recorded,
};
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{Cents, OrganisationId, Period};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use std::collections::HashMap;

use kindpakket_proto::GemeenteCode;

use super::invoices::FundingView;
use super::{load_in, AppState, Control};
use crate::domain::entitlement::Entitlement;
use crate::domain::sample::{RecordCheck, SampleCommand, SampleDraw};
use crate::notes::{self, Field, Unsealed};
use crate::sampling;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawRequest {
    /// First day of the period whose declarations are the population.
    #[serde(rename = "vanaf")]
    #[schemars(with = "DateSchema")]
    pub from: Date,
    /// Last day of the period; the regeling in force on it sets the rate.
    #[serde(rename = "tot")]
    #[schemars(with = "DateSchema")]
    pub until: Date,
    /// The seed; when absent one is chosen at random. It is recorded either way.
    #[serde(rename = "zaad", default)]
    pub seed: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    #[serde(rename = "declaratie")]
    pub declaration_id: Uuid,
    #[serde(rename = "uitkomst")]
    pub outcome: CheckOutcomeDto,
    /// What was not in order; required when it was not. Kept sealed under the key of the
    /// declaration's child.
    #[serde(rename = "toelichting", default)]
    pub note: Option<FreeText>,
}

dutch_enum!(
    /// What the check found.
    CheckOutcomeDto <=> kindpakket_proto::provision::CheckOutcome {
        InOrder = "in_orde",
        NotInOrder = "niet_in_orde",
    }
);

/// The sample in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SamplePath {
    /// The draw's id.
    pub id: Uuid,
}

/// How the sample is drawn, so that anyone can draw it again from the recorded seed and population.
const METHOD: &str = "Per partner en bedragklasse wordt afgerond naar boven het percentage getrokken: de declaraties met de laagste SHA-256(zaad als 8 bytes big-endian ‖ declaratie-id als 16 bytes), eerste 8 bytes als getal.";

/// A sample draw: its period, rate, seed, population and selection, and the checks so far.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SampleView {
    pub id: Uuid,
    #[serde(rename = "vanaf")]
    #[schemars(with = "DateSchema")]
    pub from: Date,
    #[serde(rename = "tot")]
    #[schemars(with = "DateSchema")]
    pub until: Date,
    #[serde(rename = "percentage")]
    pub rate_percent: u8,
    #[serde(rename = "zaad")]
    pub seed: u64,
    /// The amount bands' lower bounds.
    #[serde(rename = "bedragklassenCent")]
    pub amount_bands_cents: Vec<Cents>,
    #[serde(rename = "populatie")]
    pub population: Vec<MemberView>,
    #[serde(rename = "getrokken")]
    pub selected: Vec<SelectedView>,
    #[serde(rename = "methode")]
    pub method: &'static str,
    /// The reclaims decided after the checks, in order.
    #[serde(rename = "terugvorderingen")]
    pub reclaims: Vec<ReclaimView>,
}

/// A reclaim of what was paid for a declaration found not in order.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReclaimView {
    pub id: Uuid,
    #[serde(rename = "declaratie")]
    pub declaration_id: Uuid,
    #[serde(rename = "recht")]
    pub entitlement_id: Uuid,
    #[serde(rename = "van")]
    pub from: super::reclaims::ReclaimFromDto,
    /// The partner it is reclaimed from; `null` for the household.
    pub partner: Option<OrganisationId>,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    /// Who gets it back, to the cent: the declaration's funders, split as its approval was.
    #[serde(rename = "financiering")]
    pub funding: Vec<FundingView>,
    #[serde(rename = "beslotenOp")]
    #[schemars(with = "DateSchema")]
    pub decided_on: Date,
}

/// Whether a drawn declaration has a proof document, and where regie and the auditor open it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProofLink {
    /// The URL of the document (`GET`, regie and the auditor).
    pub url: String,
    #[serde(rename = "type")]
    pub content_type: String,
    #[serde(rename = "grootteBytes")]
    pub size_bytes: u64,
}

/// A declaration of the population.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MemberView {
    #[serde(rename = "declaratie")]
    pub declaration_id: Uuid,
    #[serde(rename = "recht")]
    pub entitlement_id: Uuid,
    #[serde(rename = "ingediendDoor")]
    pub submitted_by: OrganisationId,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
}

/// A drawn declaration and its check, once recorded.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SelectedView {
    #[serde(rename = "declaratie")]
    pub declaration_id: Uuid,
    #[serde(rename = "uitkomst")]
    pub outcome: Option<CheckOutcomeDto>,
    /// The checker's note; `null` when none, and once the child was forgotten.
    #[serde(rename = "toelichting")]
    pub note: Option<String>,
    /// Whether the note can no longer be read: the child was forgotten.
    #[serde(rename = "vergeten")]
    pub forgotten: bool,
    #[serde(rename = "gecontroleerdOp")]
    #[schemars(with = "Option<DateSchema>")]
    pub checked_on: Option<Date>,
    /// Whether a proof document is attached to the declaration.
    #[serde(rename = "bewijsBijgevoegd")]
    pub proof_attached: bool,
    /// The proof document, when one is attached.
    #[serde(rename = "bewijs")]
    pub proof: Option<ProofLink>,
    /// What was reclaimed of it so far.
    #[serde(rename = "teruggevorderdCent")]
    pub reclaimed_cents: Cents,
}

impl SampleView {
    /// The sample; `None` before it was drawn.
    pub(super) fn of(
        gemeente: &GemeenteCode,
        sample: &SampleDraw,
        unsealed: &Unsealed,
        entitlements: &HashMap<Uuid, Entitlement>,
    ) -> Option<Self> {
        let drawn = sample.drawn.as_ref()?;
        let proof_of = |declaration_id: Uuid| {
            let entitlement_id = drawn
                .population
                .iter()
                .find(|member| member.declaration_id == declaration_id)?
                .entitlement_id;
            let document = entitlements
                .get(&entitlement_id)?
                .declarations
                .iter()
                .find(|declaration| declaration.submitted.declaration_id == declaration_id)?
                .proof_document
                .as_ref()?;
            Some(ProofLink {
                url: format!(
                    "/api/v1/gemeenten/{gemeente}/rechten/{entitlement_id}/declaraties/{declaration_id}/bewijs"
                ),
                content_type: document.content_type.clone(),
                size_bytes: document.size_bytes,
            })
        };
        Some(Self {
            id: drawn.draw_id,
            from: drawn.period_from,
            until: drawn.period_until,
            rate_percent: drawn.rate_percent,
            seed: drawn.seed,
            amount_bands_cents: drawn.amount_bands_cents.clone(),
            population: drawn
                .population
                .iter()
                .map(|member| MemberView {
                    declaration_id: member.declaration_id,
                    entitlement_id: member.entitlement_id,
                    submitted_by: member.submitted_by.clone(),
                    amount_cents: member.amount_cents,
                })
                .collect(),
            selected: drawn
                .selected
                .iter()
                .map(|declaration_id| {
                    let check = sample.checks.get(declaration_id);
                    let proof = proof_of(*declaration_id);
                    SelectedView {
                        proof_attached: proof.is_some(),
                        proof,
                        reclaimed_cents: sample.reclaimed_of(*declaration_id),
                        declaration_id: *declaration_id,
                        outcome: check.map(|check| check.outcome.into()),
                        note: unsealed.text(Field::CheckNote, *declaration_id),
                        forgotten: unsealed.forgotten(Field::CheckNote, *declaration_id),
                        checked_on: check.map(|check| check.checked_on),
                    }
                })
                .collect(),
            method: METHOD,
            reclaims: sample
                .reclaims
                .iter()
                .map(|reclaim| ReclaimView {
                    id: reclaim.reclaim_id,
                    declaration_id: reclaim.declaration_id,
                    entitlement_id: reclaim.entitlement_id,
                    from: reclaim.from.into(),
                    partner: reclaim.partner.clone(),
                    amount_cents: reclaim.amount_cents,
                    funding: reclaim.funding.iter().map(FundingView::of).collect(),
                    decided_on: reclaim.decided_on,
                })
                .collect(),
        })
    }
}

/// A draw that does not exist in this gemeente (without the id the caller sent).
pub(super) fn not_in_gemeente() -> ApiError {
    ApiError::not_found("Deze steekproef bestaat niet in deze gemeente.")
}

/// The sample as it is now, loaded in `gemeente` (the caller's), with the entitlements of its
/// drawn declarations (whether each has a proof).
pub(super) async fn view(
    state: &AppState,
    gemeente: &GemeenteCode,
    draw_id: Uuid,
) -> Result<SampleView, ApiError> {
    let sample = load_in(&state.samples, gemeente, draw_id, not_in_gemeente).await?;
    let unsealed = Unsealed::of_sample(&state.keys, &sample)
        .await
        .map_err(|error| ApiError::internal(format!("{error:#}")))?;
    let mut entitlements = HashMap::new();
    if let Some(drawn) = &sample.drawn {
        for member in &drawn.population {
            if drawn.selected.contains(&member.declaration_id)
                && !entitlements.contains_key(&member.entitlement_id)
            {
                let entitlement = state
                    .entitlements
                    .load_in(gemeente, member.entitlement_id)
                    .await
                    .map_err(ApiError::from)?;
                entitlements.insert(member.entitlement_id, entitlement);
            }
        }
    }
    SampleView::of(gemeente, &sample, &unsealed, &entitlements).ok_or_else(not_in_gemeente)
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn draw(
    State(state): State<AppState>,
    caller: InGemeente<Control>,
    ApiJson(request): ApiJson<DrawRequest>,
) -> Result<Created<SampleView>, ApiError> {
    let period = Period::new(request.from, request.until).ok_or_else(|| {
        ApiError::unprocessable("De einddatum van de periode ligt vóór de begindatum.")
    })?;
    let gemeente = &caller.gemeente;
    let draw_id = sampling::draw(
        &state.pool,
        &state.samples,
        &caller.command_context(gemeente),
        gemeente,
        period,
        request.seed,
    )
    .await?;
    Ok(Created::at(
        format!("/api/v1/gemeenten/{gemeente}/steekproeven/{draw_id}"),
        view(&state, &caller.gemeente, draw_id).await?,
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, draw_id = %id))]
pub async fn get_sample(
    State(state): State<AppState>,
    caller: InGemeente<Control>,
    ApiPath(SamplePath { id }): ApiPath<SamplePath>,
) -> Result<Json<SampleView>, ApiError> {
    view(&state, &caller.gemeente, id).await.map(Json)
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, draw_id = %id))]
pub async fn record_check(
    State(state): State<AppState>,
    caller: InGemeente<Control>,
    ApiPath(SamplePath { id }): ApiPath<SamplePath>,
    ApiJson(request): ApiJson<CheckRequest>,
) -> Result<Recorded<SampleView>, ApiError> {
    let note = notes::check(request.note, "toelichting").map_err(|refusal| refused(&refusal))?;
    let sample = load_in(&state.samples, &caller.gemeente, id, not_in_gemeente).await?;
    // The note is sealed under the key of the checked declaration's child; a declaration not in the
    // draw has none, and the draw refuses it.
    let entitlement_id = sample.drawn.as_ref().and_then(|drawn| {
        drawn
            .population
            .iter()
            .find(|member| member.declaration_id == request.declaration_id)
            .map(|member| member.entitlement_id)
    });
    let note = match entitlement_id {
        Some(entitlement_id) => {
            let entitlement = state
                .entitlements
                .load_in(&caller.gemeente, entitlement_id)
                .await
                .map_err(ApiError::from)?;
            match entitlement.opened.as_ref().map(|opened| opened.child) {
                Some(child) => notes::seal(&state.keys, child, note).await?,
                None => None,
            }
        }
        None => None,
    };
    let command = SampleCommand::RecordCheck(RecordCheck {
        gemeente: caller.gemeente.clone(),
        declaration_id: request.declaration_id,
        outcome: request.outcome.into(),
        note,
        checked_on: kindpakket_platform::clock::today(),
    });
    state
        .samples
        .execute(id, command, &caller.command_context(&caller.gemeente))
        .await?;
    view(&state, &caller.gemeente, id).await.map(Recorded)
}
