use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::http::{id_from_path, ApiError, ApiJson, Caller};
use kindpakket_proto::regie::{
    AgeBand, AgeThreshold, Budget, CoFinancing, DisposableIncomeRule, Funder, IncomeThreshold,
    Provision, RegelingPublished, ScaleBand,
};
use kindpakket_proto::{GemeenteCode, OrganisationId, ProvisionCode, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::Date;
use uuid::Uuid;

use super::AppState;
use crate::calendar;
use crate::domain::regeling::RegelingCommand;

pub const READERS: &[Role] = &[
    Role::Regievoerder,
    Role::Partner,
    Role::Signaller,
    Role::Auditor,
];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRegelingRequest {
    #[serde(rename = "jaar")]
    pub year: i32,
    #[serde(rename = "geldigVanaf")]
    #[schemars(with = "String")]
    pub valid_from: Date,
    #[serde(rename = "geldigTot")]
    #[schemars(with = "String")]
    pub valid_until: Date,
    /// For a samenwerkingsverband: every gemeente the regeling covers (the one in the path included).
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
    pub amount_cents: i64,
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

dutch_enum!(
    /// Where the money comes from.
    FundingSourceDto <=> kindpakket_proto::regie::FundingSource {
        National = "rijksmiddelen",
        Municipal = "gemeentelijke_fondsen",
        ExternalFunds = "externe_fondsen",
        Private = "private_partijen",
    }
);

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
    pub first_adult_cents: i64,
    #[serde(rename = "tweedeVolwasseneCent")]
    pub second_adult_cents: i64,
    #[serde(rename = "perKindCent")]
    pub per_child_cents: i64,
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
    pub value_cents: i64,
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

dutch_enum!(
    /// The six types of provision.
    ProvisionTypeDto <=> kindpakket_proto::regie::ProvisionType {
        Participation = "maatschappelijke_participatie",
        School = "school",
        Transport = "vervoer",
        Subsistence = "levensonderhoud",
        Other = "overig",
        SpecialCircumstances = "bijzondere_omstandigheden",
    }
);

dutch_enum!(
    /// How a provision is delivered.
    DeliveryFormDto <=> kindpakket_proto::regie::DeliveryForm {
        InKind = "in_natura",
        Discount = "korting",
        Voucher = "tegoedbon",
        Declaration = "declaratie",
    }
);

#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn publish(
    State(state): State<AppState>,
    Path(gemeente): Path<String>,
    caller: Caller,
    ApiJson(request): ApiJson<PublishRegelingRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Regievoerder])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let mut gemeenten = request.gemeenten;
    if gemeenten.is_empty() {
        gemeenten.push(gemeente.clone());
    }
    if !gemeenten.contains(&gemeente) {
        return Err(ApiError::unprocessable(format!(
            "De gemeente {gemeente} uit de URL moet een van de gemeenten van de regeling zijn."
        )));
    }
    gemeenten.sort();
    gemeenten.dedup();
    let regeling_id = Uuid::new_v4();
    let regeling = RegelingPublished {
        regeling_id,
        gemeenten,
        year: request.year,
        valid_from: request.valid_from,
        valid_until: request.valid_until,
        income_threshold: match request.income_threshold {
            ThresholdDto::Percentage { percentage } => IncomeThreshold::PercentOfSocialMinimum {
                percent: percentage,
            },
            ThresholdDto::Individual => IncomeThreshold::IndividualCircumstances,
        },
        provisions: request
            .provisions
            .into_iter()
            .map(|provision| Provision {
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
                funders: provision
                    .funders
                    .into_iter()
                    .map(|funder| Funder {
                        organisation: funder.organisation,
                        source: funder.source.into(),
                    })
                    .collect(),
                co_financing: provision.co_financing.map(|co| CoFinancing {
                    funder: Funder {
                        organisation: co.organisation,
                        source: co.source.into(),
                    },
                    share_percent: co.share_percent,
                }),
                units: provision.units,
            })
            .collect(),
        declaration_sample_percent: request.declaration_sample_percent,
        budgets: request
            .budgets
            .into_iter()
            .map(|budget| Budget {
                provision: budget.provision,
                provision_type: budget.provision_type.map(Into::into),
                source: budget.source.into(),
                amount_cents: budget.amount_cents,
            })
            .collect(),
        thresholds_by_age: request
            .thresholds_by_age
            .iter()
            .map(|threshold| AgeThreshold {
                ages: AgeBand {
                    min_age: threshold.min_age,
                    max_age: threshold.max_age,
                },
                percent: threshold.percentage,
            })
            .collect(),
        sliding_scale: request
            .sliding_scale
            .iter()
            .map(|band| ScaleBand {
                up_to_percent: band.up_to_percent,
                share_percent: band.share_percent,
            })
            .collect(),
        disposable_income_rule: request
            .disposable_income_rule
            .map(|rule| DisposableIncomeRule {
                first_adult_cents: rule.first_adult_cents,
                second_adult_cents: rule.second_adult_cents,
                per_child_cents: rule.per_child_cents,
            }),
    };
    // Checked and committed under one lock: no two versions of a gemeente overlap.
    let _calendar = calendar::lock(&state.pool)
        .await
        .map_err(ApiError::internal)?;
    let overlap = calendar::overlapping(
        &state.pool,
        &regeling.gemeenten,
        regeling.valid_from,
        regeling.valid_until,
    )
    .await
    .map_err(ApiError::internal)?;
    if let Some(overlap) = overlap {
        return Err(ApiError::unprocessable(format!(
            "Deze regeling overlapt in gemeente {} met regeling {}, die geldt van {} tot en met {}. Laat de nieuwe versie beginnen na het einde van de vorige.",
            overlap.gemeente, overlap.regeling_id, overlap.valid_from, overlap.valid_until
        )));
    }
    state
        .regelingen
        .execute(
            &regeling_id.to_string(),
            RegelingCommand::Publish(regeling),
            &caller.command_context(&gemeente),
        )
        .await?;
    let location = format!("/api/v1/gemeenten/{gemeente}/regelingen/{regeling_id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(json!({"id": regeling_id})),
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, regeling_id = %id))]
pub async fn get_regeling(
    State(state): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(READERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    let regeling_id = id_from_path(&id, "Regeling")?;
    let regeling = state
        .regelingen
        .load(&regeling_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    if !regeling.covers(&gemeente) {
        return Err(ApiError::not_found(format!(
            "Regeling '{regeling_id}' bestaat niet in deze gemeente."
        )));
    }
    let published = regeling.published.expect("covers() implies published");
    let threshold = match published.income_threshold {
        IncomeThreshold::PercentOfSocialMinimum { percent } => ThresholdDto::Percentage {
            percentage: percent,
        },
        IncomeThreshold::IndividualCircumstances => ThresholdDto::Individual,
    };
    let provisions: Vec<ProvisionDto> = published
        .provisions
        .into_iter()
        .map(|provision| ProvisionDto {
            code: provision.code,
            name: provision.name,
            provision_type: provision.provision_type.into(),
            min_age: provision.target_group.min_age,
            max_age: provision.target_group.max_age,
            value_cents: provision.value_cents,
            form: provision.form.into(),
            specific_group: provision.specific_group.map(Into::into),
            requestable_separately: provision.requestable_separately,
            funders: provision
                .funders
                .iter()
                .map(|funder| FunderDto {
                    organisation: funder.organisation.clone(),
                    source: funder.source.into(),
                })
                .collect(),
            co_financing: provision.co_financing.as_ref().map(|co| CoFinancingDto {
                organisation: co.funder.organisation.clone(),
                source: co.funder.source.into(),
                share_percent: co.share_percent,
            }),
            units: provision.units,
        })
        .collect();
    let budgets: Vec<BudgetDto> = published
        .budgets
        .iter()
        .map(|budget| BudgetDto {
            provision: budget.provision.clone(),
            provision_type: budget.provision_type.map(Into::into),
            source: budget.source.into(),
            amount_cents: budget.amount_cents,
        })
        .collect();
    let thresholds_by_age: Vec<AgeThresholdDto> = published
        .thresholds_by_age
        .iter()
        .map(|threshold| AgeThresholdDto {
            min_age: threshold.ages.min_age,
            max_age: threshold.ages.max_age,
            percentage: threshold.percent,
        })
        .collect();
    let sliding_scale: Vec<ScaleBandDto> = published
        .sliding_scale
        .iter()
        .map(|band| ScaleBandDto {
            up_to_percent: band.up_to_percent,
            share_percent: band.share_percent,
        })
        .collect();
    let disposable = published
        .disposable_income_rule
        .map(|rule| DisposableIncomeDto {
            first_adult_cents: rule.first_adult_cents,
            second_adult_cents: rule.second_adult_cents,
            per_child_cents: rule.per_child_cents,
        });
    Ok(Json(json!({
        "id": published.regeling_id,
        "gemeenten": published.gemeenten,
        "jaar": published.year,
        "geldigVanaf": published.valid_from,
        "geldigTot": published.valid_until,
        "inkomensgrens": threshold,
        "voorzieningen": provisions,
        "inkomensgrensPerLeeftijd": thresholds_by_age,
        "glijdendeSchaal": sliding_scale,
        "besteedbaarInkomen": disposable,
        "budgetten": budgets,
        "steekproefPercentage": published.declaration_sample_percent,
    })))
}
