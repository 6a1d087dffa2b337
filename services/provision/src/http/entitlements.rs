//! `/rechten`: listing and reading entitlements, deliveries in kind and as a discount, passes issued
//! and blocked, declarations submitted and decided.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::clock;
use kindpakket_platform::free_text::FreeText;
use kindpakket_platform::http::{
    refused, ApiError, ApiJson, ApiPath, Caller, InGemeente, Recorded,
};
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{Cents, ChildRef, OrganisationId, ProvisionCode, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::{load_in, AppState, Declarants, DeliveryFormDto, EntitlementReaders, Partners, Regie};
use crate::access::{self, Pseudonyms};
use crate::domain::entitlement::{
    BlockPass, DecideDeclaration, Declaration, Entitlement, EntitlementCommand, EntitlementError,
    IssuePass, Pass, RecordDelivery, SubmitDeclaration,
};
use crate::notes::{self, Field, ForgottenChild, Unsealed};
use crate::pass_codes;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryRequest {
    /// Optional id chosen by the partner's system: a retried request with the same id is recorded once.
    #[serde(default)]
    pub id: Option<Uuid>,
    #[serde(rename = "vorm")]
    pub form: DeliveryFormDto,
    /// In kind: what the partner paid. Discount: the discount given. Give this or `aantal`.
    #[serde(rename = "bedragCent", default)]
    pub amount_cents: Option<Cents>,
    /// For a strippenkaart: the number of strips used. Give this or `bedragCent`.
    #[serde(rename = "aantal", default)]
    pub units: Option<u32>,
    /// Discount only: the provider's full price.
    #[serde(rename = "volledigePrijsCent", default)]
    pub full_price_cents: Option<Cents>,
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
    /// For a household budget (gezinstegoed): the child that spends, as you know it (a partner its
    /// own reference of the child, as its list shows it); without it the first child. Another
    /// child: 422, nothing is recorded.
    #[serde(rename = "kind", default)]
    pub child: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuePassRequest {
    /// Optional id of the new pass: a retried request issues it once.
    #[serde(default)]
    pub id: Option<Uuid>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockPassRequest {
    /// Why, if you want to say (e.g. "kwijt"): kept sealed under the child's key, shown to regie
    /// only.
    #[serde(rename = "reden", default)]
    pub reason: Option<FreeText>,
    /// Issue a new pass with the remaining balance at once.
    #[serde(rename = "nieuwePas", default)]
    pub replace: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationRequest {
    /// Optional id chosen by the submitter: a retried request with the same id is recorded once.
    #[serde(default)]
    pub id: Option<Uuid>,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    /// The number or reference of the receipt, invoice or quote (required; kept sealed under the
    /// child's key).
    #[serde(rename = "bewijs", default)]
    pub proof_reference: Option<FreeText>,
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
    /// For a household budget (gezinstegoed): the child the costs were for, as you know it (a
    /// partner its own reference of the child); without it the first child. Another child: 422,
    /// nothing is recorded.
    #[serde(rename = "kind", default)]
    pub child: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationDecisionRequest {
    #[serde(rename = "goedgekeurd")]
    pub approved: bool,
    /// Why it is rejected (required then; the submitter reads it; kept sealed under the child's
    /// key). An approval keeps none.
    #[serde(rename = "reden", default)]
    pub reason: Option<FreeText>,
}

/// The entitlement in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct EntitlementPath {
    /// The entitlement's id: for a partner its own pseudonym, as its list shows it.
    pub id: Uuid,
}

/// A pass of the entitlement in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PassPath {
    /// The entitlement's id.
    pub id: Uuid,
    /// The pass's id.
    #[serde(rename = "pas")]
    pub pass_id: Uuid,
}

/// A declaration on the entitlement in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeclarationPath {
    /// The entitlement's id.
    pub id: Uuid,
    /// The declaration's id.
    #[serde(rename = "declaratie")]
    pub declaration_id: Uuid,
}

/// An entitlement and everything spent on it. A partner sees its own pseudonyms of the entitlement and
/// the child, no application, no passes and only its own declarations: nothing to join on. The pass
/// code itself is shown to regie only (it hands the pass to the family).
#[derive(Debug, Serialize, JsonSchema)]
pub struct EntitlementView {
    /// The entitlement: for a partner its own pseudonym, for the gemeente the id itself.
    pub id: Uuid,
    /// The application it was granted on; `null` for a partner.
    #[serde(rename = "aanvraag")]
    pub application: Option<Uuid>,
    /// The child: for a partner its own reference of it (`platform::reference`), for the gemeente its id; `null`
    /// once the child was forgotten.
    #[serde(rename = "kind")]
    pub child: Option<String>,
    /// Whether the child was forgotten (erased at the gemeente): then `kind` is `null`, and what was
    /// written about it reads `null` too. For a household budget: every one of its children.
    #[serde(rename = "vergeten")]
    pub forgotten: bool,
    /// For a household budget (gezinstegoed): the children who may spend it, as `kind` names a
    /// child (a forgotten one is left out); absent for a child's own entitlement.
    #[serde(rename = "kinderen", default, skip_serializing_if = "Vec::is_empty")]
    pub household_children: Vec<String>,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "vorm")]
    pub form: Option<DeliveryFormDto>,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    /// For a strippenkaart: the value of one strip.
    #[serde(rename = "stripwaardeCent")]
    pub unit_value_cents: Option<Cents>,
    /// For a strippenkaart: the strips left.
    #[serde(rename = "restAantal")]
    pub remaining_units: Option<i64>,
    #[serde(rename = "besteedCent")]
    pub used_cents: Cents,
    /// Held by declarations not yet decided.
    #[serde(rename = "gereserveerdCent")]
    pub held_cents: Cents,
    #[serde(rename = "restCent")]
    pub remaining_cents: Cents,
    #[serde(rename = "geldigVanaf")]
    #[schemars(with = "DateSchema")]
    pub valid_from: Date,
    #[serde(rename = "geldigTot")]
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    #[serde(rename = "verlopen")]
    pub expired: Option<ExpiryView>,
    /// How many deliveries were recorded.
    #[serde(rename = "verstrekkingen")]
    pub deliveries: usize,
    /// How many redemptions were recorded.
    #[serde(rename = "verzilveringen")]
    pub redemptions: usize,
    /// The passes; empty for a partner (a pass is served at the till, by its code).
    #[serde(rename = "passen")]
    pub passes: Vec<PassView>,
    /// The declarations; for a partner only its own.
    #[serde(rename = "declaraties")]
    pub declarations: Vec<DeclarationView>,
}

/// The year end of an entitlement.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ExpiryView {
    #[serde(rename = "op")]
    #[schemars(with = "DateSchema")]
    pub on: Date,
    #[serde(rename = "ongebruiktCent")]
    pub unused_cents: Cents,
}

/// A pass or voucher of an entitlement.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PassView {
    pub id: Uuid,
    /// The code itself, for regie; `null` for everyone else.
    pub code: Option<String>,
    #[serde(rename = "laatsteTekens")]
    pub code_hint: String,
    #[serde(rename = "uitgegevenOp")]
    #[schemars(with = "DateSchema")]
    pub issued_on: Date,
    #[serde(rename = "geldigTot")]
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    /// The pass it replaces.
    #[serde(rename = "vervangt")]
    pub replaces: Option<Uuid>,
    #[serde(rename = "geblokkeerd")]
    pub blocked: Option<BlockView>,
}

/// Why and when a pass was blocked.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BlockView {
    #[serde(rename = "op")]
    #[schemars(with = "DateSchema")]
    pub on: Date,
    /// Why, when a reason was given and can still be read.
    #[serde(rename = "reden")]
    pub reason: Option<String>,
    /// Whether a reason was given that can no longer be read: the child was forgotten.
    #[serde(rename = "vergeten")]
    pub forgotten: bool,
}

/// A declaration on an entitlement.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeclarationView {
    pub id: Uuid,
    #[serde(rename = "ingediendDoor")]
    pub submitted_by: OrganisationId,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    /// The proof's reference; `null` once the child was forgotten.
    #[serde(rename = "bewijs")]
    pub proof_reference: Option<String>,
    #[serde(rename = "ingediendOp")]
    #[schemars(with = "DateSchema")]
    pub submitted_on: Date,
    pub status: DeclarationStatus,
    /// The reason of a rejection; `null` for an approval, and once the child was forgotten.
    #[serde(rename = "reden")]
    pub reason: Option<String>,
    /// Whether what was written about it (proof, reason) can no longer be read: the child was
    /// forgotten.
    #[serde(rename = "vergeten")]
    pub forgotten: bool,
}

/// Where a declaration stands.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub enum DeclarationStatus {
    #[serde(rename = "ingediend")]
    Submitted,
    #[serde(rename = "goedgekeurd")]
    Approved,
    #[serde(rename = "afgewezen")]
    Rejected,
}

/// The entitlement after a delivery, with the delivery's id.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeliveryRecordedView {
    #[serde(flatten)]
    pub entitlement: EntitlementView,
    #[serde(rename = "verstrekking")]
    pub delivery_id: Uuid,
}

/// The entitlement after a pass was issued, with the pass's id.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PassIssuedView {
    #[serde(flatten)]
    pub entitlement: EntitlementView,
    #[serde(rename = "pas")]
    pub pass_id: Uuid,
}

/// The entitlement after a declaration, with the declaration's id.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeclarationSubmittedView {
    #[serde(flatten)]
    pub entitlement: EntitlementView,
    #[serde(rename = "declaratie")]
    pub declaration_id: Uuid,
}

impl EntitlementView {
    /// The entitlement as `caller` may see it; `None` before it was opened.
    pub(super) fn of(
        pseudonyms: &Pseudonyms,
        caller: &Caller,
        entitlement: &Entitlement,
        unsealed: &Unsealed,
    ) -> Option<Self> {
        let role = caller.actor.role;
        let partner = role == Role::Partner;
        let opened = entitlement.opened.as_ref()?;
        // A household budget stays its remaining children's when one of them is forgotten.
        let living: Vec<ChildRef> = opened
            .spenders()
            .into_iter()
            .filter(|child| !unsealed.child_forgotten(*child))
            .collect();
        let forgotten = living.is_empty();
        Some(Self {
            id: pseudonyms.entitlement_for(&caller.actor, opened.entitlement_id),
            application: (role != Role::Partner).then_some(opened.application_id),
            child: living
                .first()
                .map(|child| pseudonyms.child_for(&caller.actor, *child)),
            forgotten,
            household_children: if opened.is_household() {
                living
                    .iter()
                    .map(|child| pseudonyms.child_for(&caller.actor, *child))
                    .collect()
            } else {
                Vec::new()
            },
            provision: opened.provision.clone(),
            form: opened.form.map(DeliveryFormDto::from),
            amount_cents: opened.amount_cents,
            unit_value_cents: entitlement.unit_value_cents(),
            remaining_units: entitlement.remaining_units(),
            used_cents: entitlement.used_cents,
            held_cents: entitlement.held_cents,
            remaining_cents: entitlement.remaining_cents(),
            valid_from: opened.valid_from,
            valid_until: opened.valid_until,
            expired: entitlement.expired.as_ref().map(|expired| ExpiryView {
                on: expired.expired_on,
                unused_cents: expired.unused_cents,
            }),
            deliveries: entitlement.deliveries.len(),
            redemptions: entitlement.redemptions.len(),
            passes: entitlement
                .passes
                .iter()
                .filter(|_| !partner)
                .map(|pass| PassView::of(role, pass, unsealed))
                .collect(),
            declarations: entitlement
                .declarations
                .iter()
                .filter(|declaration| {
                    !matches!(role, Role::Partner | Role::Applicant)
                        || declaration.submitted.submitted_by == declarant(caller)
                })
                .map(|declaration| DeclarationView::of(declaration, unsealed))
                .collect(),
        })
    }
}

impl PassView {
    pub(super) fn of(role: Role, pass: &Pass, unsealed: &Unsealed) -> Self {
        let id = pass.issued.pass_id;
        Self {
            id: pass.issued.pass_id,
            code: (role == Role::Regievoerder).then(|| pass.code.clone()),
            code_hint: pass.issued.code_hint.clone(),
            issued_on: pass.issued.issued_on,
            valid_until: pass.issued.valid_until,
            replaces: pass.issued.replaces,
            blocked: pass.blocked.as_ref().map(|blocked| BlockView {
                on: blocked.blocked_on,
                reason: unsealed.text(Field::BlockReason, id),
                forgotten: unsealed.forgotten(Field::BlockReason, id),
            }),
        }
    }
}

impl DeclarationView {
    pub(super) fn of(declaration: &Declaration, unsealed: &Unsealed) -> Self {
        let submitted = &declaration.submitted;
        let id = submitted.declaration_id;
        Self {
            id,
            submitted_by: submitted.submitted_by.clone(),
            amount_cents: submitted.amount_cents,
            proof_reference: unsealed.text(Field::Proof, id),
            submitted_on: submitted.submitted_on,
            status: match &declaration.decided {
                None => DeclarationStatus::Submitted,
                Some(decided) if decided.approved => DeclarationStatus::Approved,
                Some(_) => DeclarationStatus::Rejected,
            },
            reason: unsealed.text(Field::Rejection, id),
            forgotten: unsealed.forgotten(Field::Proof, id)
                || unsealed.forgotten(Field::Rejection, id),
        }
    }
}

/// The amount of a request that gives either an amount or a number of units (strips).
pub(super) fn amount_or_units(
    entitlement: &Entitlement,
    amount_cents: Option<Cents>,
    units: Option<u32>,
) -> Result<Cents, ApiError> {
    match (amount_cents, units) {
        (Some(amount), None) => Ok(amount),
        (None, Some(units)) => entitlement
            .unit_value_cents()
            .map(|unit| unit.times(i64::from(units)))
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "Dit recht is geen strippenkaart: geef een bedrag in centen (bedragCent), geen aantal.",
                )
            }),
        _ => Err(ApiError::unprocessable(
            "Geef óf een bedrag in centen (bedragCent), óf een aantal strippen (aantal).",
        )),
    }
}

/// An entitlement that does not exist, or that the caller may not see: the same answer, so nothing
/// leaks, and without the id the caller sent.
fn not_visible() -> ApiError {
    ApiError::not_found("Dit recht bestaat niet, of u mag het niet zien.")
}

/// The entitlement an id in the caller's path names, when it exists in the caller's gemeente: its
/// own id and its state. A partner names an entitlement by its own pseudonym; anything else it
/// sends (another partner's pseudonym, the gemeente's id) names nothing.
async fn entitlement_in<R>(
    state: &AppState,
    caller: &InGemeente<R>,
    shown_id: Uuid,
) -> Result<(Uuid, Entitlement), ApiError> {
    let entitlement_id = state.pseudonyms.entitlement_from(&caller.actor, shown_id);
    let entitlement = load_in(
        &state.entitlements,
        &caller.gemeente,
        entitlement_id,
        not_visible,
    )
    .await?;
    Ok((entitlement_id, entitlement))
}

/// The child of an opened entitlement.
fn child_of(entitlement: &Entitlement) -> Result<ChildRef, ApiError> {
    entitlement
        .opened
        .as_ref()
        .map(|opened| opened.child)
        .ok_or_else(not_visible)
}

/// Refuses anything new about a child that was forgotten (a pass, a replacement); a household
/// budget is refused only when every one of its children was.
async fn require_not_forgotten(
    state: &AppState,
    entitlement: &Entitlement,
) -> Result<(), ApiError> {
    let opened = entitlement.opened.as_ref().ok_or_else(not_visible)?;
    for child in opened.spenders() {
        let forgotten = state
            .keys
            .is_forgotten(child.0)
            .await
            .map_err(|error| ApiError::internal(format!("{error:#}")))?;
        if !forgotten {
            return Ok(());
        }
    }
    Err(refused(&ForgottenChild))
}

/// The child that spends a household budget, as [`spending_child`] read it from the request: a
/// child the gemeente forgot spends nothing more (409, nothing recorded), and without a child
/// named the first child still remembered spends. A child's own entitlement is left as it was.
pub(super) async fn living_spender(
    state: &AppState,
    entitlement: &Entitlement,
    named: Option<ChildRef>,
) -> Result<Option<ChildRef>, ApiError> {
    let Some(opened) = entitlement.opened.as_ref().filter(|o| o.is_household()) else {
        return Ok(named);
    };
    let forgotten = |child: ChildRef| async move {
        state
            .keys
            .is_forgotten(child.0)
            .await
            .map_err(|error| ApiError::internal(format!("{error:#}")))
    };
    match named {
        Some(child) if opened.may_spend(child) && forgotten(child).await? => {
            Err(refused(&ForgottenChild))
        }
        Some(child) => Ok(Some(child)),
        None => {
            for child in opened.spenders() {
                if !forgotten(child).await? {
                    return Ok(Some(child));
                }
            }
            Ok(None)
        }
    }
}

/// The child a spending request names in `kind`, as the caller knows it: a partner by its own
/// reference of the child, which must be one of the entitlement's children (a reference of
/// another child names nobody here); regie, the loket and a parent by the child's id, which the
/// entitlement itself checks. `None` when the request names no child (the first child spends).
pub(super) fn spending_child(
    pseudonyms: &Pseudonyms,
    caller: &Caller,
    entitlement: &Entitlement,
    shown: Option<&str>,
) -> Result<Option<ChildRef>, ApiError> {
    let Some(shown) = shown.map(str::trim) else {
        return Ok(None);
    };
    let not_in_household = || refused(&EntitlementError::NotInHousehold);
    let opened = entitlement.opened.as_ref().ok_or_else(not_visible)?;
    if caller.actor.role == Role::Partner {
        return opened
            .spenders()
            .into_iter()
            .find(|child| pseudonyms.child_for(&caller.actor, *child) == shown)
            .map(Some)
            .ok_or_else(not_in_household);
    }
    Uuid::parse_str(shown)
        .map(|id| Some(ChildRef(id)))
        .map_err(|_| not_in_household())
}

/// Refuses a partner what it does not serve by recording: an entitlement served at the till is as
/// unknown to it as one that does not exist; one of a provision it is not enrolled to deliver is
/// forbidden.
async fn require_served_by<R>(
    state: &AppState,
    caller: &InGemeente<R>,
    entitlement: &Entitlement,
) -> Result<(), ApiError> {
    let Some(opened) = entitlement
        .opened
        .as_ref()
        .filter(|opened| access::served_by_recording(opened))
    else {
        return Err(not_visible());
    };
    let partner = &caller.actor.organisation;
    let enrolled = access::is_enrolled(&state.pool, &caller.gemeente, partner, &opened.provision)
        .await
        .map_err(ApiError::internal)?;
    if enrolled {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "U bent in deze gemeente niet ingeschreven om '{}' te verstrekken. Er is niets afgeboekt.",
            opened.provision
        )))
    }
}

/// The entitlement as `caller` may see it, its sealed texts opened.
pub(super) async fn view_of(
    state: &AppState,
    caller: &Caller,
    entitlement: &Entitlement,
) -> Result<EntitlementView, ApiError> {
    let unsealed = Unsealed::of_entitlement(&state.keys, entitlement)
        .await
        .map_err(|error| ApiError::internal(format!("{error:#}")))?;
    EntitlementView::of(&state.pseudonyms, caller, entitlement, &unsealed).ok_or_else(not_visible)
}

/// Executes a command on the entitlement and answers with the entitlement as it is now.
async fn execute_and_view<R>(
    state: &AppState,
    caller: &InGemeente<R>,
    entitlement_id: Uuid,
    command: EntitlementCommand,
) -> Result<EntitlementView, ApiError> {
    state
        .entitlements
        .execute(
            entitlement_id,
            command,
            &caller.command_context(&caller.gemeente),
        )
        .await?;
    let entitlement = load_in(
        &state.entitlements,
        &caller.gemeente,
        entitlement_id,
        not_visible,
    )
    .await?;
    view_of(state, caller, &entitlement).await
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, entitlement_id = %id))]
pub async fn get_entitlement(
    State(state): State<AppState>,
    caller: InGemeente<EntitlementReaders>,
    ApiPath(EntitlementPath { id }): ApiPath<EntitlementPath>,
) -> Result<Json<EntitlementView>, ApiError> {
    let (entitlement_id, entitlement) = entitlement_in(&state, &caller, id).await?;
    let visible = if caller.is(Role::Applicant) {
        require_households(&state, &caller, entitlement_id)
            .await
            .is_ok()
    } else {
        access::visible_entitlement(&state.pool, &caller.actor, &caller.gemeente, entitlement_id)
            .await
            .map_err(ApiError::internal)?
            .is_some()
    };
    if !visible {
        return Err(not_visible());
    }
    view_of(&state, &caller, &entitlement).await.map(Json)
}

/// Refuses a parent an entitlement that is not their household's (as one that does not exist),
/// and a parent's login without a household.
async fn require_households<R>(
    state: &AppState,
    caller: &InGemeente<R>,
    entitlement_id: Uuid,
) -> Result<(), ApiError> {
    let Some(household) = caller.household else {
        return Err(ApiError::forbidden(
            "Uw inlog noemt geen huishouden; u kunt alleen voor uw eigen huishouden declareren.",
        ));
    };
    let theirs = access::is_households(
        &state.pool,
        &caller.actor,
        household,
        &caller.gemeente,
        entitlement_id,
    )
    .await
    .map_err(ApiError::internal)?;
    if theirs {
        Ok(())
    } else {
        Err(not_visible())
    }
}

/// Who the caller is as a declarant: a parent declares as `ouder` (their household is the
/// entitlement's), an organisation as itself.
fn declarant(caller: &Caller) -> OrganisationId {
    if caller.actor.role == Role::Applicant {
        OrganisationId::parent()
    } else {
        caller.actor.organisation.clone()
    }
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, entitlement_id = %id, partner = %caller.actor.organisation))]
pub async fn record_delivery(
    State(state): State<AppState>,
    caller: InGemeente<Partners>,
    ApiPath(EntitlementPath { id }): ApiPath<EntitlementPath>,
    ApiJson(request): ApiJson<DeliveryRequest>,
) -> Result<Recorded<DeliveryRecordedView>, ApiError> {
    let (id, entitlement) = entitlement_in(&state, &caller, id).await?;
    require_served_by(&state, &caller, &entitlement).await?;
    let delivery_id = request.id.unwrap_or_else(Uuid::new_v4);
    let amount_cents = amount_or_units(&entitlement, request.amount_cents, request.units)?;
    let child = spending_child(
        &state.pseudonyms,
        &caller,
        &entitlement,
        request.child.as_deref(),
    )?;
    let child = living_spender(&state, &entitlement, child).await?;
    let command = EntitlementCommand::RecordDelivery(RecordDelivery {
        gemeente: caller.gemeente.clone(),
        delivery_id,
        partner: caller.actor.organisation.clone(),
        form: request.form.into(),
        amount_cents,
        full_price_cents: request.full_price_cents,
        delivered_on: request.date.unwrap_or_else(clock::today),
        child,
    });
    let entitlement = execute_and_view(&state, &caller, id, command).await?;
    Ok(Recorded(DeliveryRecordedView {
        entitlement,
        delivery_id,
    }))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, entitlement_id = %id))]
pub async fn issue_pass(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(EntitlementPath { id }): ApiPath<EntitlementPath>,
    ApiJson(request): ApiJson<IssuePassRequest>,
) -> Result<Recorded<PassIssuedView>, ApiError> {
    let (id, entitlement) = entitlement_in(&state, &caller, id).await?;
    require_not_forgotten(&state, &entitlement).await?;
    let pass_id = request.id.unwrap_or_else(Uuid::new_v4);
    let pass = pass_codes::new_pass(&state.pool, pass_id, &caller.gemeente, id)
        .await
        .map_err(ApiError::internal)?;
    let command = EntitlementCommand::IssuePass(IssuePass {
        gemeente: caller.gemeente.clone(),
        pass,
        issued_on: clock::today(),
    });
    let entitlement = execute_and_view(&state, &caller, id, command).await?;
    Ok(Recorded(PassIssuedView {
        entitlement,
        pass_id,
    }))
}

/// Regie blocks a pass; a reason, if given, is checked free text (a Dutch 422 when it holds a BSN,
/// IBAN, e-mail address or telephone number, and nothing is stored) sealed under the child's key.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, entitlement_id = %id, pass_id = %pass_id))]
pub async fn block_pass(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(PassPath { id, pass_id }): ApiPath<PassPath>,
    ApiJson(request): ApiJson<BlockPassRequest>,
) -> Result<Json<EntitlementView>, ApiError> {
    let reason = notes::check(request.reason, "reden").map_err(|refusal| refused(&refusal))?;
    let (id, entitlement) = entitlement_in(&state, &caller, id).await?;
    let child = child_of(&entitlement)?;
    let reason = notes::seal(&state.keys, child, reason).await?;
    let replacement = if request.replace {
        require_not_forgotten(&state, &entitlement).await?;
        let replacement_id = Uuid::new_v5(&pass_id, b"replacement");
        let pass = pass_codes::new_pass(&state.pool, replacement_id, &caller.gemeente, id)
            .await
            .map_err(ApiError::internal)?;
        Some(pass)
    } else {
        None
    };
    let command = EntitlementCommand::BlockPass(BlockPass {
        gemeente: caller.gemeente.clone(),
        pass_id,
        reason,
        blocked_on: clock::today(),
        replacement,
    });
    execute_and_view(&state, &caller, id, command)
        .await
        .map(Json)
}

/// A declaration's proof is checked free text (a Dutch 422 when it holds a BSN, IBAN, e-mail
/// address or telephone number, and nothing is stored), sealed under the child's key. A partner
/// declares what it serves; a parent (the seed's declaration form: a receipt for their own child)
/// only on their household's entitlement, as `ouder`, for the regie to judge.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, entitlement_id = %id))]
pub async fn submit_declaration(
    State(state): State<AppState>,
    caller: InGemeente<Declarants>,
    ApiPath(EntitlementPath { id }): ApiPath<EntitlementPath>,
    ApiJson(request): ApiJson<DeclarationRequest>,
) -> Result<Recorded<DeclarationSubmittedView>, ApiError> {
    let proof =
        notes::check(request.proof_reference, "bewijs").map_err(|refusal| refused(&refusal))?;
    let (id, entitlement) = entitlement_in(&state, &caller, id).await?;
    if caller.is(Role::Partner) {
        require_served_by(&state, &caller, &entitlement).await?;
    }
    if caller.is(Role::Applicant) {
        require_households(&state, &caller, id).await?;
    }
    let child = spending_child(
        &state.pseudonyms,
        &caller,
        &entitlement,
        request.child.as_deref(),
    )?;
    let child = living_spender(&state, &entitlement, child).await?;
    // Sealed under the key of the child the costs were for (the first child when none is named).
    let sealed_for = match child {
        Some(child)
            if entitlement
                .opened
                .as_ref()
                .is_some_and(|o| o.may_spend(child)) =>
        {
            child
        }
        _ => child_of(&entitlement)?,
    };
    let proof = notes::seal(&state.keys, sealed_for, proof).await?;
    let declaration_id = request.id.unwrap_or_else(Uuid::new_v4);
    let command = EntitlementCommand::SubmitDeclaration(SubmitDeclaration {
        gemeente: caller.gemeente.clone(),
        declaration_id,
        submitted_by: declarant(&caller),
        amount_cents: request.amount_cents,
        proof,
        submitted_on: request.date.unwrap_or_else(clock::today),
        child,
    });
    let entitlement = execute_and_view(&state, &caller, id, command).await?;
    Ok(Recorded(DeclarationSubmittedView {
        entitlement,
        declaration_id,
    }))
}

/// A rejection's reason is checked free text, sealed under the child's key; an approval keeps none.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, entitlement_id = %id, declaration_id = %declaration_id))]
pub async fn decide_declaration(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(DeclarationPath { id, declaration_id }): ApiPath<DeclarationPath>,
    ApiJson(request): ApiJson<DeclarationDecisionRequest>,
) -> Result<Json<EntitlementView>, ApiError> {
    let reason = notes::check(request.reason, "reden").map_err(|refusal| refused(&refusal))?;
    let (id, entitlement) = entitlement_in(&state, &caller, id).await?;
    let reason = if request.approved {
        None
    } else {
        notes::seal(&state.keys, child_of(&entitlement)?, reason).await?
    };
    let command = EntitlementCommand::DecideDeclaration(DecideDeclaration {
        gemeente: caller.gemeente.clone(),
        declaration_id,
        approved: request.approved,
        reason,
        decided_on: clock::today(),
    });
    execute_and_view(&state, &caller, id, command)
        .await
        .map(Json)
}
