//! `/campagnes`: reminder campaigns started by regie for the entitlements granted and not used yet;
//! `/herinneringen`: what each organisation that took applications is to remind of.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::http::{ApiError, ApiJson, ApiQuery, Created, InGemeente, Page, Paging};
use kindpakket_platform::roles;
use kindpakket_proto::provision::CampaignStarted;
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::Role;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::{AppState, Control, ProvisionTypeDto, Regie};
use crate::campaigns;

/// The longest name a campaign may have.
const NAME_MAX_CHARS: usize = 120;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// The campaign's id, chosen by the caller: a repeated start with the same id and body changes
    /// nothing.
    pub id: Uuid,
    /// Its name, e.g. "Herinnering voor de start van het schooljaar". No names of people: it is
    /// kept with the campaign for good.
    pub naam: String,
    /// The type of provision it reminds of; when absent, every type.
    #[serde(default)]
    pub voorzieningsoort: Option<ProvisionTypeDto>,
}

/// A campaign and how many entitlements it reminds of.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CampaignView {
    pub id: Uuid,
    pub naam: String,
    pub voorzieningsoort: Option<ProvisionTypeDto>,
    #[serde(rename = "gestartOp")]
    #[schemars(with = "DateSchema")]
    pub started_on: Date,
    /// The number of entitlements it reminds of.
    #[serde(rename = "rechten")]
    pub targets: usize,
}

impl From<&CampaignStarted> for CampaignView {
    fn from(started: &CampaignStarted) -> Self {
        Self {
            id: started.campaign_id,
            naam: started.name.clone(),
            voorzieningsoort: started.provision_type.map(ProvisionTypeDto::from),
            started_on: started.started_on,
            targets: started.targets.len(),
        }
    }
}

/// The campaigns of a gemeente.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CampaignsView {
    pub campagnes: Vec<CampaignView>,
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn start(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiJson(request): ApiJson<StartRequest>,
) -> Result<Created<CampaignView>, ApiError> {
    let name = request.naam.trim().to_owned();
    if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
        return Err(ApiError::unprocessable(format!(
            "Geef de campagne een naam (naam) van hoogstens {NAME_MAX_CHARS} tekens."
        )));
    }
    // The name goes on the stream, where nothing can be erased: no BSN, IBAN, e-mail address or
    // telephone number in it (the platform's check of every free text).
    kindpakket_platform::free_text::FreeText::new(name.clone())
        .checked("naam")
        .map_err(|refusal| kindpakket_platform::http::refused(&refusal))?;
    let gemeente = &caller.gemeente;
    campaigns::start(
        &state.pool,
        &state.campaigns,
        &caller.command_context(gemeente),
        gemeente,
        campaigns::Start {
            campaign_id: request.id,
            name,
            provision_type: request.voorzieningsoort.map(Into::into),
            today: kindpakket_platform::clock::today(),
        },
    )
    .await?;
    let campaign = state
        .campaigns
        .load_in(gemeente, request.id)
        .await
        .map_err(ApiError::from)?;
    let started = campaign
        .started
        .as_ref()
        .ok_or_else(|| ApiError::not_found("Deze campagne bestaat niet in deze gemeente."))?;
    Ok(Created::at(
        format!("/api/v1/gemeenten/{gemeente}/campagnes/{}", request.id),
        CampaignView::from(started),
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn list(
    State(state): State<AppState>,
    caller: InGemeente<Control>,
) -> Result<Json<CampaignsView>, ApiError> {
    let started = campaigns::of_gemeente(&state.pool, &caller.gemeente)
        .await
        .map_err(|error| ApiError::internal(format!("{error:#}")))?;
    Ok(Json(CampaignsView {
        campagnes: started.iter().map(CampaignView::from).collect(),
    }))
}

roles!(
    /// Who sends a campaign's reminders: the partner for the families it applied for, the loket
    /// (regie) for those that applied themselves.
    pub Reminders = [Partner, Regievoerder]
);

/// One reminder to send: an entitlement of a family the caller took the application of, granted
/// and not used yet.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReminderView {
    /// The campaign it is for.
    pub campagne: Uuid,
    #[serde(rename = "campagneNaam")]
    pub campaign_name: String,
    /// The entitlement: for a partner its own pseudonym, for the loket the id.
    pub recht: Uuid,
    /// The child: for a partner its own reference, for the loket the id.
    pub kind: String,
    pub voorziening: String,
    #[serde(rename = "geldigTot")]
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
}

/// A page of the reminders the caller is to send, by campaign (in the order they were started)
/// and entitlement.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RemindersView {
    pub herinneringen: Vec<ReminderView>,
    /// Pass as `na` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volgende: Option<String>,
}

/// The query string of the reminders: which page.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RemindersQuery {
    #[serde(flatten)]
    pub paging: Paging,
}

/// The cursor of the reminders: the campaign and the entitlement of the last one given. The list
/// is ordered by the campaign's place among the gemeente's campaigns (in the order they were
/// started, which only grows at the end) and then by entitlement, so a campaign started while
/// someone pages comes after what they have seen.
type ReminderCursor = (Uuid, Uuid);

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn reminders(
    State(state): State<AppState>,
    caller: InGemeente<Reminders>,
    ApiQuery(query): ApiQuery<RemindersQuery>,
) -> Result<Json<RemindersView>, ApiError> {
    let limit = query.paging.limit()?;
    let after = query.paging.after::<ReminderCursor>()?;
    let internal = |error: anyhow::Error| ApiError::internal(format!("{error:#}"));
    let order: Vec<Uuid> = campaigns::of_gemeente(&state.pool, &caller.gemeente)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|started| started.campaign_id)
        .collect();
    let rank = |campaign: Uuid| order.iter().position(|known| *known == campaign);
    let after = match after {
        None => None,
        Some((campaign, entitlement)) => Some((
            rank(campaign).ok_or_else(|| {
                ApiError::bad_request(
                    "'na' is geen vervolg dat deze lijst gaf; begin opnieuw zonder 'na'.",
                )
            })?,
            entitlement,
        )),
    };
    let actor = &caller.actor;
    let taker = match actor.role {
        Role::Partner => Some(actor.organisation.as_str()),
        _ => None,
    };
    let reminders = campaigns::reminders(
        &state.pool,
        &caller.gemeente,
        taker,
        kindpakket_platform::clock::today(),
    )
    .await
    .map_err(internal)?;
    // Computed whole (from the campaigns' targets), answered a page at a time.
    let mut ranked: Vec<(usize, campaigns::Reminder)> = reminders
        .into_iter()
        .filter_map(|reminder| Some((rank(reminder.campaign_id)?, reminder)))
        .filter(|(rank, reminder)| {
            after.is_none_or(|after| (*rank, reminder.entitlement_id) > after)
        })
        .collect();
    ranked.sort_by_key(|(rank, reminder)| (*rank, reminder.entitlement_id));
    ranked.truncate(limit as usize + 1);
    let reminders: Vec<campaigns::Reminder> =
        ranked.into_iter().map(|(_, reminder)| reminder).collect();
    let page = Page::from_rows(reminders, limit, |reminder| {
        (reminder.campaign_id, reminder.entitlement_id)
    });
    Ok(Json(RemindersView {
        herinneringen: page
            .items
            .into_iter()
            .map(|reminder| ReminderView {
                campagne: reminder.campaign_id,
                campaign_name: reminder.campaign_name,
                recht: state
                    .pseudonyms
                    .entitlement_for(actor, reminder.entitlement_id),
                kind: state.pseudonyms.child_for(actor, reminder.child),
                voorziening: reminder.provision.as_str().to_owned(),
                valid_until: reminder.valid_until,
            })
            .collect(),
        volgende: page.volgende,
    }))
}
