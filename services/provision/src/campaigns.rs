//! Starting a reminder campaign: its targets are the gemeente's entitlements that still run (valid
//! until today or later, not expired) and of which nothing was used (no delivery, redemption or
//! declaration, nothing held), of the provision type asked for when one is given. They are chosen
//! from this service's own history ([`crate::ledger`]) at the moment of the start, and recorded in
//! the campaign; a repeated start keeps those of its first time.

use std::collections::HashMap;

use kindpakket_platform::store::{AggregateStore, CommandContext};
use kindpakket_proto::provision::CampaignStarted;
use kindpakket_proto::regie::{ProvisionType, RegelingPublished};
use kindpakket_proto::{GemeenteCode, ProvisionCode};
use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use crate::domain::campaign::{Campaign, CampaignCommand, StartCampaign};
use crate::domain::entitlement::Entitlement;
use crate::ledger;

/// Whether nothing of `entitlement` was used, and it still runs on `today`.
fn runs_unused(entitlement: &Entitlement, today: Date) -> bool {
    let Some(opened) = &entitlement.opened else {
        return false;
    };
    entitlement.expired.is_none()
        && opened.valid_until >= today
        && entitlement.used_cents.0 == 0
        && entitlement.held_cents.0 == 0
        && entitlement.deliveries.is_empty()
        && entitlement.redemptions.is_empty()
        && entitlement.declarations.is_empty()
}

/// The type of each provision code of the gemeente's regeling versions (a later version's word for
/// a code counts).
async fn provision_types(
    pool: &PgPool,
    gemeente: &GemeenteCode,
) -> anyhow::Result<HashMap<ProvisionCode, ProvisionType>> {
    let bodies: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT body FROM regelingen WHERE $1 = ANY(gemeenten) ORDER BY valid_from",
    )
    .bind(gemeente.as_str())
    .fetch_all(pool)
    .await?;
    let mut types = HashMap::new();
    for body in bodies {
        let regeling: RegelingPublished = serde_json::from_value(body)?;
        for provision in regeling.provisions {
            types.insert(provision.code, provision.provision_type);
        }
    }
    Ok(types)
}

/// The entitlements a campaign started today would target.
pub async fn targets(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    provision_type: Option<ProvisionType>,
    today: Date,
) -> anyhow::Result<Vec<Uuid>> {
    let history = ledger::load(pool, gemeente).await?;
    let types = match provision_type {
        Some(_) => provision_types(pool, gemeente).await?,
        None => HashMap::new(),
    };
    Ok(history
        .entitlements
        .iter()
        .filter(|(_, entitlement)| runs_unused(entitlement, today))
        .filter(
            |(_, entitlement)| match (provision_type, &entitlement.opened) {
                (None, _) => true,
                (Some(wanted), Some(opened)) => types.get(&opened.provision) == Some(&wanted),
                (Some(_), None) => false,
            },
        )
        .map(|(id, _)| *id)
        .collect())
}

/// What a start asks for.
#[derive(Debug, Clone)]
pub struct Start {
    pub campaign_id: Uuid,
    pub name: String,
    pub provision_type: Option<ProvisionType>,
    pub today: Date,
}

/// Starts the campaign (or finds it started with the same body).
pub async fn start(
    pool: &PgPool,
    campaigns: &AggregateStore<Campaign>,
    context: &CommandContext,
    gemeente: &GemeenteCode,
    start: Start,
) -> Result<(), kindpakket_platform::http::ApiError> {
    let targets = targets(pool, gemeente, start.provision_type, start.today)
        .await
        .map_err(|error| kindpakket_platform::http::ApiError::internal(format!("{error:#}")))?;
    let command = CampaignCommand::Start(StartCampaign {
        gemeente: gemeente.clone(),
        started: CampaignStarted {
            campaign_id: start.campaign_id,
            name: start.name,
            provision_type: start.provision_type,
            started_on: start.today,
            targets,
        },
    });
    campaigns
        .execute(start.campaign_id, command, context)
        .await?;
    Ok(())
}

/// The campaigns started in `gemeente`, oldest first.
pub async fn of_gemeente(
    pool: &PgPool,
    gemeente: &GemeenteCode,
) -> anyhow::Result<Vec<CampaignStarted>> {
    let payloads: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT payload::jsonb FROM events
         WHERE metadata->>'gemeente' = $1 AND aggregate_type = 'campaign'
         ORDER BY global_position",
    )
    .bind(gemeente.as_str())
    .fetch_all(pool)
    .await?;
    let mut started = Vec::new();
    for payload in payloads {
        let crate::domain::campaign::CampaignEvent::CampaignStarted { started: event, .. } =
            serde_json::from_value(payload)?;
        started.push(event);
    }
    Ok(started)
}

/// One entitlement a campaign reminds of, and of which campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub campaign_id: Uuid,
    pub campaign_name: String,
    pub started_on: Date,
    pub entitlement_id: Uuid,
    pub child: kindpakket_proto::ChildRef,
    pub provision: ProvisionCode,
    pub valid_until: Date,
}

/// How long a campaign's reminders are to be sent.
pub const REMINDERS_FOR_DAYS: i64 = 90;

/// The entitlements that campaigns started in the last [`REMINDERS_FOR_DAYS`] days remind of and
/// whose application `taker` took (`None`: the loket, for the families that applied without an
/// intermediary). Only those that still run unused today: one used since needs no reminder, and a
/// forgotten child's or household's is not shown.
pub async fn reminders(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    taker: Option<&str>,
    today: Date,
) -> anyhow::Result<Vec<Reminder>> {
    let since = today - time::Duration::days(REMINDERS_FOR_DAYS);
    let recent: Vec<CampaignStarted> = of_gemeente(pool, gemeente)
        .await?
        .into_iter()
        .filter(|started| started.started_on >= since)
        .collect();
    if recent.is_empty() {
        return Ok(vec![]);
    }
    let history = ledger::load(pool, gemeente).await?;
    let applications: Vec<Uuid> = history
        .entitlements
        .values()
        .filter_map(|entitlement| entitlement.opened.as_ref())
        .map(|opened| opened.application_id)
        .collect();
    // Who took each application is kept for the projector only (row-level security): this read
    // decides itself what the caller is shown.
    let mut transaction = pool.begin().await?;
    crate::access::as_projector(&mut transaction).await?;
    let takers: HashMap<Uuid, Option<String>> =
        crate::read_models::work_lists::takers(&mut transaction, &applications)
            .await?
            .into_iter()
            .collect();
    let forgotten_children: Vec<Uuid> = sqlx::query_scalar(
        "SELECT entitlement_id FROM entitlements WHERE gemeente = $1 AND child IS NULL",
    )
    .bind(gemeente.as_str())
    .fetch_all(&mut *transaction)
    .await?;
    transaction.commit().await?;
    let mut reminders = Vec::new();
    for started in recent {
        for entitlement_id in &started.targets {
            let Some(entitlement) = history.entitlements.get(entitlement_id) else {
                continue;
            };
            let Some(opened) = &entitlement.opened else {
                continue;
            };
            let taken_by = match takers.get(&opened.application_id) {
                Some(taken_by) => taken_by.as_deref(),
                None => continue,
            };
            if taken_by != taker
                || !runs_unused(entitlement, today)
                || forgotten_children.contains(entitlement_id)
            {
                continue;
            }
            reminders.push(Reminder {
                campaign_id: started.campaign_id,
                campaign_name: started.name.clone(),
                started_on: started.started_on,
                entitlement_id: *entitlement_id,
                child: opened.child,
                provision: opened.provision.clone(),
                valid_until: opened.valid_until,
            });
        }
    }
    Ok(reminders)
}
