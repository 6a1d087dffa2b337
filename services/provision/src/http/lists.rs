//! The work lists of provision: entitlements (`GET …/rechten`), declarations (`GET …/declaraties`)
//! and invoices (`GET …/facturen`), each filtered and paged the one way
//! (`kindpakket_platform::http::paging`), each row only what the caller may see. The rows come from
//! read models under row-level security ([`crate::access::reading_for`]); the queries narrow
//! further by the caller's organisation or household themselves, so a policy and a `WHERE` must
//! both fail before a row leaks.
//!
//! - regie and the auditor: every row of their gemeente, under the gemeente's ids;
//! - a partner: the entitlements it serves by recording, its own declarations and invoices, each
//!   entitlement and child under its own pseudonyms;
//! - a parent (role `applicant`): their household's entitlements (what is left, until when, the
//!   last characters of a pass) and declarations, under the ids they read elsewhere.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::http::paging::{ApiQuery, Page, Paging};
use kindpakket_platform::http::{ApiError, Caller, InGemeente};
use kindpakket_platform::roles;
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{Cents, OrganisationId, ProvisionCode, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::{load_in, AppState, Readers};
use crate::access;
use crate::read_models::work_lists::{self, DeclarationQuery, EntitlementScope};

roles!(
    /// Who lists entitlements and declarations: a partner its own share, regie and the auditor the
    /// gemeente's, a parent their household's.
    pub ListReaders = [Partner, Regievoerder, Auditor, Applicant]
);

/// `GET …/rechten`: which entitlements.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntitlementFilter {
    /// Only the entitlements of this provision (its code).
    #[serde(default)]
    pub voorziening: Option<String>,
    #[serde(flatten)]
    pub paging: Paging,
}

/// `GET …/declaraties`: which declarations.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeclarationFilter {
    /// Only declarations in this state: `te-beoordelen` for the ones still to judge.
    #[serde(default)]
    pub status: Option<DeclarationListStatus>,
    /// Only the declarations of this provision (its code).
    #[serde(default)]
    pub voorziening: Option<String>,
    #[serde(flatten)]
    pub paging: Paging,
}

/// `GET …/facturen`: which invoices.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceFilter {
    /// Only invoices in this state: `te-beoordelen` for the ones still to settle.
    #[serde(default)]
    pub status: Option<InvoiceListStatus>,
    /// Only the invoices of this partner (a partner reads its own only, whatever it names).
    #[serde(default)]
    pub partner: Option<String>,
    #[serde(flatten)]
    pub paging: Paging,
}

/// Where a declaration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DeclarationListStatus {
    #[serde(rename = "te-beoordelen")]
    ToJudge,
    #[serde(rename = "goedgekeurd")]
    Approved,
    #[serde(rename = "afgewezen")]
    Rejected,
}

impl DeclarationListStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::ToJudge => work_lists::TO_JUDGE,
            Self::Approved => work_lists::APPROVED,
            Self::Rejected => work_lists::REJECTED,
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            work_lists::APPROVED => Self::Approved,
            work_lists::REJECTED => Self::Rejected,
            _ => Self::ToJudge,
        }
    }
}

/// Where an invoice stands: lines still to settle, or every line decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum InvoiceListStatus {
    #[serde(rename = "te-beoordelen")]
    ToJudge,
    #[serde(rename = "afgehandeld")]
    Settled,
}

impl InvoiceListStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::ToJudge => work_lists::TO_JUDGE,
            Self::Settled => work_lists::SETTLED,
        }
    }
}

/// An entitlement in a list.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EntitlementSummary {
    /// The entitlement: for a partner its own pseudonym, for the gemeente and the parent the id
    /// itself.
    pub id: Uuid,
    /// The child: for a partner its own reference of it (`platform::reference`), for the gemeente
    /// and the parent its id; `null` once the child was forgotten.
    #[serde(rename = "kind")]
    pub child: Option<String>,
    /// Whether the child was forgotten (erased at the gemeente): then `kind` is `null`. For a
    /// household budget: every one of its children.
    #[serde(rename = "vergeten")]
    pub forgotten: bool,
    /// For a household budget (gezinstegoed): the children who may spend it, as `kind` names a
    /// child (a forgotten one is left out); absent for a child's own entitlement.
    #[serde(rename = "kinderen", default, skip_serializing_if = "Vec::is_empty")]
    pub household_children: Vec<String>,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    /// What is left: for a pass or voucher its balance.
    #[serde(rename = "restCent")]
    pub remaining_cents: Cents,
    /// For a strippenkaart: the strips left.
    #[serde(rename = "restAantal")]
    pub remaining_units: Option<i64>,
    #[serde(rename = "geldigTot")]
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    #[serde(rename = "verlopen")]
    pub expired: bool,
    /// The last four characters of the pass in use (not blocked), to recognise it; `null` without
    /// a pass, and for a partner (a pass is served at the till, by its code).
    #[serde(rename = "pasLaatsteTekens")]
    pub pass_hint: Option<String>,
}

/// A declaration in a list: what to judge, never the proof (read it on the entitlement).
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeclarationSummary {
    pub id: Uuid,
    /// The entitlement: for a partner its own pseudonym.
    #[serde(rename = "recht")]
    pub entitlement: Uuid,
    /// The child: for a partner its own reference of it, for the gemeente and the parent its id;
    /// `null` once the child was forgotten.
    #[serde(rename = "kind")]
    pub child: Option<String>,
    #[serde(rename = "vergeten")]
    pub forgotten: bool,
    #[serde(rename = "voorziening")]
    pub provision: String,
    /// Who declared: a partner, the gemeente's loket, or `ouder` for a parent.
    #[serde(rename = "ingediendDoor")]
    pub submitted_by: String,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    #[serde(rename = "ingediendOp")]
    #[schemars(with = "DateSchema")]
    pub submitted_on: Date,
    pub status: DeclarationListStatus,
    #[serde(rename = "beoordeeldOp")]
    #[schemars(with = "Option<DateSchema>")]
    pub decided_on: Option<Date>,
}

/// An invoice in a list.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InvoiceSummary {
    pub id: Uuid,
    pub partner: String,
    #[serde(rename = "vanaf")]
    #[schemars(with = "DateSchema")]
    pub period_from: Date,
    #[serde(rename = "tot")]
    #[schemars(with = "DateSchema")]
    pub period_until: Date,
    #[serde(rename = "regels")]
    pub lines: i32,
    #[serde(rename = "totaalCent")]
    pub total_cents: Cents,
    pub status: InvoiceListStatus,
    #[serde(rename = "afgehandeldOp")]
    #[schemars(with = "Option<DateSchema>")]
    pub settled_on: Option<Date>,
}

/// A provision code from the query string, or a 400 naming the parameter.
fn provision_filter(value: Option<&str>) -> Result<Option<String>, ApiError> {
    value
        .map(|text| {
            ProvisionCode::parse(text)
                .map(|code| code.as_str().to_owned())
                .map_err(|_| {
                    ApiError::bad_request(
                        "De parameter 'voorziening' in de URL heeft niet de juiste vorm: de code van een voorziening, zoals 'sportcontributie'.",
                    )
                })
        })
        .transpose()
}

/// The household of a parent's login; a parent's token without one reads nothing.
fn household_of(caller: &Caller) -> Result<Option<Uuid>, ApiError> {
    if caller.actor.role != Role::Applicant {
        return Ok(None);
    }
    caller.household.map(Some).ok_or_else(|| {
        ApiError::forbidden(
            "Uw inlog noemt geen huishouden; u kunt alleen de gegevens van uw eigen huishouden zien.",
        )
    })
}

/// The entitlements the caller may see: a page of them, in the order of their ids, each with what
/// is left on it.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn list_entitlements(
    State(state): State<AppState>,
    caller: InGemeente<ListReaders>,
    ApiQuery(filter): ApiQuery<EntitlementFilter>,
) -> Result<Json<Page<EntitlementSummary>>, ApiError> {
    let limit = filter.paging.limit()?;
    let after: Option<Uuid> = filter.paging.after()?;
    let provision = provision_filter(filter.voorziening.as_deref())?;
    let household = household_of(&caller)?;
    let today = kindpakket_platform::clock::today();
    let scope = match (caller.actor.role, household) {
        (Role::Partner, _) => EntitlementScope::Partner(caller.actor.organisation.as_str(), today),
        (_, Some(household)) => EntitlementScope::Household(household),
        _ => EntitlementScope::Gemeente,
    };
    let mut transaction =
        access::reading_for(&state.pool, &caller.actor, household, &caller.gemeente)
            .await
            .map_err(ApiError::internal)?;
    let rows = work_lists::entitlements(
        &mut transaction,
        &caller.gemeente,
        &scope,
        provision.as_deref(),
        after,
        i64::from(limit) + 1,
    )
    .await
    .map_err(ApiError::internal)?;
    transaction.commit().await.map_err(ApiError::internal)?;
    let page = Page::from_rows(rows, limit, |row| row.entitlement_id);
    let partner = caller.actor.role == Role::Partner;
    let mut items = Vec::with_capacity(page.items.len());
    for row in page.items {
        let entitlement = load_in(
            &state.entitlements,
            &caller.gemeente,
            row.entitlement_id,
            || ApiError::internal("a listed entitlement has no events"),
        )
        .await?;
        let Some(opened) = entitlement.opened.as_ref() else {
            continue;
        };
        let forgotten = row.child.is_none();
        let shown = |child: Uuid| {
            state
                .pseudonyms
                .child_for(&caller.actor, kindpakket_proto::ChildRef(child))
        };
        items.push(EntitlementSummary {
            id: state
                .pseudonyms
                .entitlement_for(&caller.actor, opened.entitlement_id),
            child: row.child.map(shown),
            forgotten,
            household_children: row.household_children.iter().copied().map(shown).collect(),
            provision: opened.provision.clone(),
            amount_cents: opened.amount_cents,
            remaining_cents: entitlement.remaining_cents(),
            remaining_units: entitlement.remaining_units(),
            valid_until: opened.valid_until,
            expired: entitlement.expired.is_some(),
            pass_hint: entitlement
                .passes
                .iter()
                .filter(|pass| !partner && pass.blocked.is_none())
                .map(|pass| pass.issued.code_hint.clone())
                .next_back(),
        });
    }
    Ok(Json(Page {
        items,
        volgende: page.volgende,
    }))
}

/// The declarations the caller may see: regie's `?status=te-beoordelen` is its queue to judge.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn list_declarations(
    State(state): State<AppState>,
    caller: InGemeente<ListReaders>,
    ApiQuery(filter): ApiQuery<DeclarationFilter>,
) -> Result<Json<Page<DeclarationSummary>>, ApiError> {
    let limit = filter.paging.limit()?;
    let after: Option<i64> = filter.paging.after()?;
    let provision = provision_filter(filter.voorziening.as_deref())?;
    let household = household_of(&caller)?;
    let partner = caller.actor.role == Role::Partner;
    let query = DeclarationQuery {
        status: filter.status.map(DeclarationListStatus::as_str),
        provision: provision.as_deref(),
        submitted_by: partner.then(|| caller.actor.organisation.as_str()),
        household,
        after,
        limit: i64::from(limit) + 1,
    };
    let mut transaction =
        access::reading_for(&state.pool, &caller.actor, household, &caller.gemeente)
            .await
            .map_err(ApiError::internal)?;
    let rows = work_lists::declarations(&mut transaction, &caller.gemeente, &query)
        .await
        .map_err(ApiError::internal)?;
    transaction.commit().await.map_err(ApiError::internal)?;
    let page = Page::from_rows(rows, limit, |row| row.position);
    Ok(Json(page.map(|row| {
        let forgotten = row.child.is_none();
        DeclarationSummary {
            id: row.declaration_id,
            entitlement: state
                .pseudonyms
                .entitlement_for(&caller.actor, row.entitlement_id),
            child: row.child.map(|child| {
                state
                    .pseudonyms
                    .child_for(&caller.actor, kindpakket_proto::ChildRef(child))
            }),
            forgotten,
            provision: row.provision,
            submitted_by: row.submitted_by,
            amount_cents: Cents::new(row.amount_cents),
            submitted_on: row.submitted_on,
            status: DeclarationListStatus::parse(&row.status),
            decided_on: row.decided_on,
        }
    })))
}

/// The invoices the caller may see: regie's `?status=te-beoordelen` is its queue to settle.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn list_invoices(
    State(state): State<AppState>,
    caller: InGemeente<Readers>,
    ApiQuery(filter): ApiQuery<InvoiceFilter>,
) -> Result<Json<Page<InvoiceSummary>>, ApiError> {
    let limit = filter.paging.limit()?;
    let after: Option<i64> = filter.paging.after()?;
    let named = filter
        .partner
        .as_deref()
        .map(|text| {
            OrganisationId::parse(text).map_err(|_| {
                ApiError::bad_request(
                    "De parameter 'partner' in de URL heeft niet de juiste vorm: de code van een organisatie.",
                )
            })
        })
        .transpose()?;
    // A partner reads its own invoices, whatever it names.
    let partner = if caller.actor.role == Role::Partner {
        Some(caller.actor.organisation.clone())
    } else {
        named.clone()
    };
    if caller.actor.role == Role::Partner
        && named.is_some_and(|named| named != caller.actor.organisation)
    {
        return Ok(Json(Page {
            items: Vec::new(),
            volgende: None,
        }));
    }
    let mut transaction = access::reading_as(&state.pool, &caller.actor, &caller.gemeente)
        .await
        .map_err(ApiError::internal)?;
    let rows = work_lists::invoices(
        &mut transaction,
        &caller.gemeente,
        filter.status.map(InvoiceListStatus::as_str),
        partner.as_ref().map(OrganisationId::as_str),
        after,
        i64::from(limit) + 1,
    )
    .await
    .map_err(ApiError::internal)?;
    transaction.commit().await.map_err(ApiError::internal)?;
    let page = Page::from_rows(rows, limit, |row| row.position);
    Ok(Json(page.map(|row| InvoiceSummary {
        id: row.invoice_id,
        partner: row.partner,
        period_from: row.period_from,
        period_until: row.period_until,
        lines: row.lines,
        total_cents: Cents::new(row.total_cents),
        status: if row.status == work_lists::SETTLED {
            InvoiceListStatus::Settled
        } else {
            InvoiceListStatus::ToJudge
        },
        settled_on: row.settled_on,
    })))
}
