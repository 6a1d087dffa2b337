//! `/regelingen`: publish a regeling version, read one, correct it from a date (`/wijziging`) or end
//! it (`/beeindiging`).

use axum::extract::State;
use axum::Json;
use kindpakket_platform::dutch_enum;
pub use kindpakket_platform::http::vocabulary::{
    DeliveryFormDto, FundingSourceDto, ProvisionTypeDto,
};
use kindpakket_platform::http::{ApiError, ApiJson, ApiPath, Created, InGemeente};
use kindpakket_proto::regie::{
    AgeBand, AgeThreshold, Budget, CoFinancing, DisposableIncomeRule, Funder, IncomeThreshold,
    Provision, RegelingPublished, ScaleBand,
};
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{Cents, GemeenteCode, OrganisationId, ProvisionCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::{AppState, Readers, Regie};
use crate::calendar;
use crate::domain::regeling::Version;
use crate::publication::{self, PublicationError};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRegelingRequest {
    #[serde(rename = "jaar")]
    pub year: i32,
    #[serde(rename = "geldigVanaf")]
    #[schemars(with = "DateSchema")]
    pub valid_from: Date,
    #[serde(rename = "geldigTot")]
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    /// For a samenwerkingsverband: every gemeente the regeling covers (the one in the path included).
    /// The caller's login must act for each of them (otherwise 403).
    #[serde(rename = "gemeenten", default)]
    pub gemeenten: Vec<GemeenteCode>,
    #[serde(rename = "inkomensgrens")]
    pub income_threshold: ThresholdDto,
    #[serde(rename = "voorzieningen")]
    pub provisions: Vec<ProvisionDto>,
    /// A threshold per age band (Rotterdam: 110% for 4–11, 130% for 12–17).
    #[serde(rename = "inkomensgrensPerLeeftijd", default)]
    pub thresholds_by_age: Vec<AgeThresholdDto>,
    /// Above the threshold, part of the value up to a higher income (Overijssel: half up to 120%).
    #[serde(rename = "glijdendeSchaal", default)]
    pub sliding_scale: Vec<ScaleBandDto>,
    /// Families whose money left per week after fixed costs is below this margin qualify too.
    #[serde(rename = "besteedbaarInkomen", default)]
    pub disposable_income_rule: Option<DisposableIncomeDto>,
    /// The year's budgets per provision (or type) and funding source.
    #[serde(rename = "budgetten", default)]
    pub budgets: Vec<BudgetDto>,
    /// Percentage of declarations drawn for the sample check (steekproef), 0–100.
    #[serde(rename = "steekproefPercentage", default)]
    pub declaration_sample_percent: Option<u8>,
}

/// A regeling version as it is read back: what was published, with its id and gemeenten, and the
/// day it ended when it was corrected or ended early.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RegelingView {
    pub id: Uuid,
    pub gemeenten: Vec<GemeenteCode>,
    #[serde(rename = "jaar")]
    pub year: i32,
    #[serde(rename = "geldigVanaf")]
    #[schemars(with = "DateSchema")]
    pub valid_from: Date,
    /// The last day it is in force: as published, or the day before it was corrected or ended.
    #[serde(rename = "geldigTot")]
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    /// Whether it was corrected or ended before its published end.
    #[serde(rename = "beeindigd")]
    pub ended: bool,
    /// The version that corrects it, from the day after `geldigTot`.
    #[serde(rename = "opgevolgdDoor")]
    pub successor: Option<Uuid>,
    #[serde(rename = "inkomensgrens")]
    pub income_threshold: ThresholdDto,
    #[serde(rename = "voorzieningen")]
    pub provisions: Vec<ProvisionDto>,
    #[serde(rename = "inkomensgrensPerLeeftijd")]
    pub thresholds_by_age: Vec<AgeThresholdDto>,
    #[serde(rename = "glijdendeSchaal")]
    pub sliding_scale: Vec<ScaleBandDto>,
    #[serde(rename = "besteedbaarInkomen")]
    pub disposable_income_rule: Option<DisposableIncomeDto>,
    #[serde(rename = "budgetten")]
    pub budgets: Vec<BudgetDto>,
    #[serde(rename = "steekproefPercentage")]
    pub declaration_sample_percent: Option<u8>,
}

/// A regeling version was published.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RegelingCreated {
    pub id: Uuid,
}

/// Ends a version without a successor.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndRegelingRequest {
    /// The first day the version no longer holds; it is in force until the day before. On or after
    /// its `geldigVanaf`, and no later than its `geldigTot`.
    #[schemars(with = "DateSchema")]
    pub per: Date,
}

/// A version was ended.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RegelingEndedView {
    pub id: Uuid,
    /// The last day it is in force.
    #[serde(rename = "geldigTot")]
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
}

/// The regeling version in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RegelingPath {
    /// The version's id, as its publication answered.
    pub id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetDto {
    #[serde(
        rename = "voorziening",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub provision: Option<ProvisionCode>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub provision_type: Option<ProvisionTypeDto>,
    #[serde(rename = "bron")]
    pub source: FundingSourceDto,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
}

/// Who pays, in order: the first whose budget has room funds a grant.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FunderDto {
    #[serde(rename = "organisatie")]
    pub organisation: OrganisationId,
    #[serde(rename = "bron")]
    pub source: FundingSourceDto,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgeThresholdDto {
    #[serde(rename = "leeftijdVan")]
    pub min_age: u8,
    #[serde(rename = "leeftijdTot")]
    pub max_age: u8,
    pub percentage: u16,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleBandDto {
    #[serde(rename = "totPercentage")]
    pub up_to_percent: u16,
    #[serde(rename = "aandeelPercentage")]
    pub share_percent: u8,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisposableIncomeDto {
    #[serde(rename = "eersteVolwasseneCent")]
    pub first_adult_cents: Cents,
    #[serde(rename = "tweedeVolwasseneCent")]
    pub second_adult_cents: Cents,
    #[serde(rename = "perKindCent")]
    pub per_child_cents: Cents,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "soort", deny_unknown_fields)]
pub enum ThresholdDto {
    /// Income up to this percentage of the sociaal minimum.
    #[serde(rename = "percentage")]
    Percentage { percentage: u16 },
    /// Individual circumstances decide.
    #[serde(rename = "individueel")]
    Individual,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisionDto {
    pub code: ProvisionCode,
    #[serde(rename = "naam")]
    pub name: String,
    #[serde(rename = "type")]
    pub provision_type: ProvisionTypeDto,
    #[serde(rename = "leeftijdVan")]
    pub min_age: u8,
    #[serde(rename = "leeftijdTot")]
    pub max_age: u8,
    #[serde(rename = "waardeCent")]
    pub value_cents: Cents,
    #[serde(rename = "vorm")]
    pub form: DeliveryFormDto,
    /// A group narrower than the age band, e.g. only brugklassers.
    #[serde(rename = "doelgroep", default, skip_serializing_if = "Option::is_none")]
    pub specific_group: Option<SpecificGroupDto>,
    /// Whether families may ask for it on its own (default) or only with the whole package.
    #[serde(rename = "losAanTeVragen", default = "yes")]
    pub requestable_separately: bool,
    /// Who pays, first to last (voorliggende voorziening first).
    #[serde(rename = "financiers", default, skip_serializing_if = "Vec::is_empty")]
    pub funders: Vec<FunderDto>,
    /// A second funder paying a fixed share of every euro spent.
    #[serde(
        rename = "medefinanciering",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub co_financing: Option<CoFinancingDto>,
    /// A count instead of an amount (strippenkaart): the value is divided over this many units.
    #[serde(rename = "aantal", default, skip_serializing_if = "Option::is_none")]
    pub units: Option<u32>,
    /// A gezinstegoed: the value is for the whole household, one budget that every qualifying
    /// child of an application may spend. Always an amount, never a count (`aantal`).
    #[serde(
        rename = "perHuishouden",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub per_household: bool,
}

/// A second funder and its share.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoFinancingDto {
    #[serde(rename = "organisatie")]
    pub organisation: OrganisationId,
    #[serde(rename = "bron")]
    pub source: FundingSourceDto,
    #[serde(rename = "aandeelPercentage")]
    pub share_percent: u8,
}

fn yes() -> bool {
    true
}

dutch_enum!(
    /// A target group narrower than an age band.
    SpecificGroupDto <=> kindpakket_proto::regie::SpecificGroup {
        Brugklas = "brugklas",
        PrimarySchool = "basisschool",
        SecondarySchool = "voortgezet_onderwijs",
        MboUnder18 = "mbo_onder_18",
    }
);

impl From<ThresholdDto> for IncomeThreshold {
    fn from(threshold: ThresholdDto) -> Self {
        match threshold {
            ThresholdDto::Percentage { percentage } => IncomeThreshold::PercentOfSocialMinimum {
                percent: percentage,
            },
            ThresholdDto::Individual => IncomeThreshold::IndividualCircumstances,
        }
    }
}

impl From<IncomeThreshold> for ThresholdDto {
    fn from(threshold: IncomeThreshold) -> Self {
        match threshold {
            IncomeThreshold::PercentOfSocialMinimum { percent } => ThresholdDto::Percentage {
                percentage: percent,
            },
            IncomeThreshold::IndividualCircumstances => ThresholdDto::Individual,
        }
    }
}

impl From<FunderDto> for Funder {
    fn from(funder: FunderDto) -> Self {
        Funder {
            organisation: funder.organisation,
            source: funder.source.into(),
        }
    }
}

impl From<Funder> for FunderDto {
    fn from(funder: Funder) -> Self {
        FunderDto {
            organisation: funder.organisation,
            source: funder.source.into(),
        }
    }
}

impl From<CoFinancingDto> for CoFinancing {
    fn from(co: CoFinancingDto) -> Self {
        CoFinancing {
            funder: Funder {
                organisation: co.organisation,
                source: co.source.into(),
            },
            share_percent: co.share_percent,
        }
    }
}

impl From<CoFinancing> for CoFinancingDto {
    fn from(co: CoFinancing) -> Self {
        CoFinancingDto {
            organisation: co.funder.organisation,
            source: co.funder.source.into(),
            share_percent: co.share_percent,
        }
    }
}

impl From<ProvisionDto> for Provision {
    fn from(provision: ProvisionDto) -> Self {
        Provision {
            code: provision.code,
            name: provision.name,
            provision_type: provision.provision_type.into(),
            target_group: AgeBand {
                min_age: provision.min_age,
                max_age: provision.max_age,
            },
            value_cents: provision.value_cents,
            form: provision.form.into(),
            specific_group: provision.specific_group.map(Into::into),
            requestable_separately: provision.requestable_separately,
            funders: provision.funders.into_iter().map(Into::into).collect(),
            co_financing: provision.co_financing.map(Into::into),
            units: provision.units,
            per_household: provision.per_household,
        }
    }
}

impl From<Provision> for ProvisionDto {
    fn from(provision: Provision) -> Self {
        ProvisionDto {
            code: provision.code,
            name: provision.name,
            provision_type: provision.provision_type.into(),
            min_age: provision.target_group.min_age,
            max_age: provision.target_group.max_age,
            value_cents: provision.value_cents,
            form: provision.form.into(),
            specific_group: provision.specific_group.map(Into::into),
            requestable_separately: provision.requestable_separately,
            funders: provision.funders.into_iter().map(Into::into).collect(),
            co_financing: provision.co_financing.map(Into::into),
            units: provision.units,
            per_household: provision.per_household,
        }
    }
}

impl From<BudgetDto> for Budget {
    fn from(budget: BudgetDto) -> Self {
        Budget {
            provision: budget.provision,
            provision_type: budget.provision_type.map(Into::into),
            source: budget.source.into(),
            amount_cents: budget.amount_cents,
        }
    }
}

impl From<Budget> for BudgetDto {
    fn from(budget: Budget) -> Self {
        BudgetDto {
            provision: budget.provision,
            provision_type: budget.provision_type.map(Into::into),
            source: budget.source.into(),
            amount_cents: budget.amount_cents,
        }
    }
}

impl From<AgeThresholdDto> for AgeThreshold {
    fn from(threshold: AgeThresholdDto) -> Self {
        AgeThreshold {
            ages: AgeBand {
                min_age: threshold.min_age,
                max_age: threshold.max_age,
            },
            percent: threshold.percentage,
        }
    }
}

impl From<AgeThreshold> for AgeThresholdDto {
    fn from(threshold: AgeThreshold) -> Self {
        AgeThresholdDto {
            min_age: threshold.ages.min_age,
            max_age: threshold.ages.max_age,
            percentage: threshold.percent,
        }
    }
}

impl From<ScaleBandDto> for ScaleBand {
    fn from(band: ScaleBandDto) -> Self {
        ScaleBand {
            up_to_percent: band.up_to_percent,
            share_percent: band.share_percent,
        }
    }
}

impl From<ScaleBand> for ScaleBandDto {
    fn from(band: ScaleBand) -> Self {
        ScaleBandDto {
            up_to_percent: band.up_to_percent,
            share_percent: band.share_percent,
        }
    }
}

impl From<DisposableIncomeDto> for DisposableIncomeRule {
    fn from(rule: DisposableIncomeDto) -> Self {
        DisposableIncomeRule {
            first_adult_cents: rule.first_adult_cents,
            second_adult_cents: rule.second_adult_cents,
            per_child_cents: rule.per_child_cents,
        }
    }
}

impl From<DisposableIncomeRule> for DisposableIncomeDto {
    fn from(rule: DisposableIncomeRule) -> Self {
        DisposableIncomeDto {
            first_adult_cents: rule.first_adult_cents,
            second_adult_cents: rule.second_adult_cents,
            per_child_cents: rule.per_child_cents,
        }
    }
}

impl PublishRegelingRequest {
    /// The version as it will be published under `regeling_id`; its gemeenten as listed (the
    /// publication settles them).
    fn into_version(self, regeling_id: Uuid) -> RegelingPublished {
        RegelingPublished {
            regeling_id,
            gemeenten: self.gemeenten,
            year: self.year,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            income_threshold: self.income_threshold.into(),
            provisions: self.provisions.into_iter().map(Into::into).collect(),
            thresholds_by_age: self.thresholds_by_age.into_iter().map(Into::into).collect(),
            sliding_scale: self.sliding_scale.into_iter().map(Into::into).collect(),
            disposable_income_rule: self.disposable_income_rule.map(Into::into),
            budgets: self.budgets.into_iter().map(Into::into).collect(),
            declaration_sample_percent: self.declaration_sample_percent,
        }
    }
}

impl From<Version> for RegelingView {
    fn from(version: Version) -> Self {
        let valid_until = version.in_force_until();
        let successor = version.ended.as_ref().and_then(|ended| ended.successor);
        let ended = version.ended.is_some();
        let version = version.published;
        RegelingView {
            id: version.regeling_id,
            gemeenten: version.gemeenten,
            year: version.year,
            valid_from: version.valid_from,
            valid_until,
            ended,
            successor,
            income_threshold: version.income_threshold.into(),
            provisions: version.provisions.into_iter().map(Into::into).collect(),
            thresholds_by_age: version
                .thresholds_by_age
                .into_iter()
                .map(Into::into)
                .collect(),
            sliding_scale: version.sliding_scale.into_iter().map(Into::into).collect(),
            disposable_income_rule: version.disposable_income_rule.map(Into::into),
            budgets: version.budgets.into_iter().map(Into::into).collect(),
            declaration_sample_percent: version.declaration_sample_percent,
        }
    }
}

impl From<PublicationError> for ApiError {
    fn from(error: PublicationError) -> Self {
        match error {
            PublicationError::NotActingForAll => ApiError::forbidden(error.to_string()),
            PublicationError::PublisherNotCovered | PublicationError::Overlaps(_) => {
                ApiError::unprocessable(error.to_string())
            }
            PublicationError::Refused(refused) => refused.into(),
            PublicationError::Technical(cause) => ApiError::internal(cause),
        }
    }
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn publish(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiJson(request): ApiJson<PublishRegelingRequest>,
) -> Result<Created<RegelingCreated>, ApiError> {
    let gemeente = &caller.gemeente;
    let regeling_id = Uuid::new_v4();
    publication::publish(
        &state.pool,
        &state.regelingen,
        request.into_version(regeling_id),
        &caller.gemeenten,
        &caller.command_context(gemeente),
    )
    .await?;
    Ok(Created::at(
        format!("/api/v1/gemeenten/{gemeente}/regelingen/{regeling_id}"),
        RegelingCreated { id: regeling_id },
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, regeling_id = %id))]
pub async fn get_regeling(
    State(state): State<AppState>,
    caller: InGemeente<Readers>,
    ApiPath(RegelingPath { id }): ApiPath<RegelingPath>,
) -> Result<Json<RegelingView>, ApiError> {
    let unknown = || ApiError::not_found("Deze regeling bestaat niet in deze gemeente.");
    let regeling_id = calendar::regeling_of(&state.pool, id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(unknown)?;
    let regeling = state
        .regelingen
        .load(regeling_id)
        .await
        .map_err(ApiError::internal)?;
    let version = regeling
        .version_in(id, &caller.gemeente)
        .ok_or_else(unknown)?;
    Ok(Json(version.into()))
}

/// The versions of the gemeente's regelingen, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RegelingList {
    pub items: Vec<RegelingView>,
}

/// Every version that covers the caller's gemeente (a samenwerkingsverband's included), corrected and
/// ended ones too, the one that starts latest first: to find the version in force without knowing its
/// id. Not paged: a gemeente has a version or two a year.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn list_regelingen(
    State(state): State<AppState>,
    caller: InGemeente<Readers>,
) -> Result<Json<RegelingList>, ApiError> {
    let mut items = Vec::new();
    for regeling_id in calendar::regelingen_in(&state.pool, &caller.gemeente)
        .await
        .map_err(ApiError::internal)?
    {
        let regeling = state
            .regelingen
            .load(regeling_id)
            .await
            .map_err(ApiError::internal)?;
        items.extend(
            regeling
                .versions
                .into_iter()
                .filter(|version| version.published.gemeenten.contains(&caller.gemeente))
                .map(RegelingView::from),
        );
    }
    items.sort_by_key(|version| std::cmp::Reverse(version.valid_from));
    Ok(Json(RegelingList { items }))
}

/// A correction: the whole version as it holds from its `geldigVanaf` (the day the correction takes
/// effect); the version in the path ends the day before. `gemeenten` may be left out (the same as
/// the version corrected).
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, regeling_id = %id))]
pub async fn amend(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(RegelingPath { id }): ApiPath<RegelingPath>,
    ApiJson(request): ApiJson<PublishRegelingRequest>,
) -> Result<Created<RegelingCreated>, ApiError> {
    let gemeente = &caller.gemeente;
    let successor_id = Uuid::new_v4();
    publication::amend(
        &state.pool,
        &state.regelingen,
        id,
        request.into_version(successor_id),
        &caller.gemeenten,
        &caller.command_context(gemeente),
    )
    .await?;
    Ok(Created::at(
        format!("/api/v1/gemeenten/{gemeente}/regelingen/{successor_id}"),
        RegelingCreated { id: successor_id },
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, regeling_id = %id))]
pub async fn end(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(RegelingPath { id }): ApiPath<RegelingPath>,
    ApiJson(request): ApiJson<EndRegelingRequest>,
) -> Result<Json<RegelingEndedView>, ApiError> {
    let gemeente = &caller.gemeente;
    publication::end(
        &state.pool,
        &state.regelingen,
        id,
        request.per,
        &caller.gemeenten,
        &caller.command_context(gemeente),
    )
    .await?;
    Ok(Json(RegelingEndedView {
        id,
        valid_until: request.per.previous_day().unwrap_or(request.per),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A request with every optional part, as the demo loader and the tests send it.
    fn full_request() -> serde_json::Value {
        json!({
            "jaar": 2026,
            "geldigVanaf": "2026-01-01",
            "geldigTot": "2026-12-31",
            "gemeenten": ["GM0518"],
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [{
                "code": "laptop",
                "naam": "Laptop",
                "type": "school",
                "leeftijdVan": 12,
                "leeftijdTot": 17,
                "waardeCent": 45000,
                "vorm": "in_natura",
                "doelgroep": "voortgezet_onderwijs",
                "losAanTeVragen": false,
                "financiers": [{"organisatie": "jeugdfonds-sport-cultuur", "bron": "externe_fondsen"}],
                "medefinanciering": {"organisatie": "leergeld-den-haag", "bron": "private_partijen", "aandeelPercentage": 50},
                "aantal": 3
            }, {
                "code": "zwemles",
                "naam": "Zwemles",
                "type": "maatschappelijke_participatie",
                "leeftijdVan": 4,
                "leeftijdTot": 12,
                "waardeCent": 30000,
                "vorm": "declaratie",
                "losAanTeVragen": true
            }],
            "inkomensgrensPerLeeftijd": [{"leeftijdVan": 4, "leeftijdTot": 11, "percentage": 110}],
            "glijdendeSchaal": [{"totPercentage": 130, "aandeelPercentage": 50}],
            "besteedbaarInkomen": {"eersteVolwasseneCent": 18000, "tweedeVolwasseneCent": 6000, "perKindCent": 5000},
            "budgetten": [
                {"voorziening": "laptop", "bron": "externe_fondsen", "bedragCent": 900000},
                {"type": "school", "bron": "gemeentelijke_fondsen", "bedragCent": 100000}
            ],
            "steekproefPercentage": 10
        })
    }

    #[test]
    fn a_published_regeling_reads_back_as_it_was_sent() {
        let request: PublishRegelingRequest = serde_json::from_value(full_request()).unwrap();
        let id = Uuid::from_u128(7);
        let view = RegelingView::from(Version {
            published: request.into_version(id),
            ended: None,
        });
        let mut expected = full_request();
        expected["id"] = json!(id);
        expected["beeindigd"] = json!(false);
        expected["opgevolgdDoor"] = json!(null);
        assert_eq!(serde_json::to_value(&view).unwrap(), expected);
    }

    #[test]
    fn what_a_regeling_leaves_out_reads_back_as_empty_lists_and_nulls() {
        let request: PublishRegelingRequest = serde_json::from_value(json!({
            "jaar": 2026,
            "geldigVanaf": "2026-01-01",
            "geldigTot": "2026-12-31",
            "inkomensgrens": {"soort": "individueel"},
            "voorzieningen": [{
                "code": "zwemles", "naam": "Zwemles", "type": "maatschappelijke_participatie",
                "leeftijdVan": 4, "leeftijdTot": 12, "waardeCent": 30000, "vorm": "declaratie"
            }]
        }))
        .unwrap();
        let mut version = request.into_version(Uuid::from_u128(7));
        version.gemeenten = vec![GemeenteCode::parse("GM0518").unwrap()];
        let view = serde_json::to_value(RegelingView::from(Version {
            published: version,
            ended: None,
        }))
        .unwrap();
        assert_eq!(view["inkomensgrens"], json!({"soort": "individueel"}));
        assert_eq!(view["voorzieningen"][0]["losAanTeVragen"], json!(true));
        assert!(view["voorzieningen"][0].get("financiers").is_none());
        assert_eq!(view["inkomensgrensPerLeeftijd"], json!([]));
        assert_eq!(view["glijdendeSchaal"], json!([]));
        assert_eq!(view["budgetten"], json!([]));
        assert_eq!(view["besteedbaarInkomen"], json!(null));
        assert_eq!(view["steekproefPercentage"], json!(null));
        assert_eq!(view["gemeenten"], json!(["GM0518"]));
    }
}
