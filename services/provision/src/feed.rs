//! The partners' feed (docs/money.md §6): each partner's own account of the events that concern it,
//! as CloudEvents 1.0, under its own pseudonyms — never the internal streams.
//!
//! What is fed, and to whom ([`of_provision`] and [`of_signalling`] say it with one match arm per
//! event kind, so a new kind is one arm):
//!
//! - `entitlement_opened`: an entitlement becomes visible to a partner by the rule of
//!   [`crate::access`] — not a voucher, of a provision the partner is enrolled to deliver — fed to
//!   every partner so enrolled when it opens, and to a partner enrolled later for its provision when
//!   that enrolment arrives ([`crate::consume::regie`]);
//! - `delivery_recorded`, `pass_redeemed`: to the partner that delivered or redeemed;
//! - `declaration_submitted`, `declaration_decided`: to the declarant, when it is a partner enrolled
//!   in the gemeente (the loket's and parents' declarations concern no partner);
//! - `invoice_settled`, `credit_note_issued`: to the invoicing partner, each line's decision, the
//!   lines it credited (no child: the lines name the delivery and the partner's own id of the
//!   entitlement);
//! - `child_signalled`, `signal_referred`: a referral routed to the partner (by the routing, or
//!   re-routed by regie); `signal_accepted`, `signal_handed_back`: its later steps, to the partner it
//!   is referred to.
//!
//! Children and entitlements appear under the partner's own pseudonyms, the ids its API answers
//! show ([`crate::access::Pseudonyms`]); nothing else personal: no household, no wijk, no reason.
//! Nothing new is fed about a child once forgotten, and forgetting removes its entries
//! ([`crate::read_models::partner_feed::forget_child`]).

use kindpakket_platform::consume::HandlerError;
use kindpakket_platform::http::vocabulary::{DeliveryFormDto, ProvisionTypeDto};
use kindpakket_platform::shredding::SubjectKeys;
use kindpakket_proto::provision::{EntitlementOpened, ProvisionEvent, ReclaimFrom};
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::signalling::{Referral, SignallingEvent};
use kindpakket_proto::{
    Actor, Cents, ChildRef, EventEnvelope, GemeenteCode, OrganisationId, ProvisionCode, Role,
    Service,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::access::Pseudonyms;
use crate::read_models::partner_feed::{self, NewEntry};

/// A partner's view of the ids: its own pseudonyms of children and entitlements.
pub struct PartnerView<'a> {
    pseudonyms: &'a Pseudonyms,
    actor: Actor,
}

impl<'a> PartnerView<'a> {
    pub fn new(pseudonyms: &'a Pseudonyms, partner: &OrganisationId) -> Self {
        Self {
            pseudonyms,
            actor: Actor {
                organisation: partner.clone(),
                role: Role::Partner,
            },
        }
    }

    /// The partner's own reference of the child (the identification's, the API's).
    pub fn child(&self, child: ChildRef) -> String {
        self.pseudonyms.child_for(&self.actor, child)
    }

    /// The partner's own id of the entitlement.
    pub fn entitlement(&self, entitlement_id: Uuid) -> Uuid {
        self.pseudonyms.entitlement_for(&self.actor, entitlement_id)
    }
}

/// Who an event concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every partner that may see an entitlement of this provision (enrolled to deliver it), unless
    /// the entitlement is a voucher (served at the till by its code).
    SeesEntitlement {
        provision: ProvisionCode,
        voucher: bool,
    },
    /// This partner.
    Partner(OrganisationId),
    /// This organisation, when it is a partner enrolled in the gemeente (a declarant may be the
    /// loket or a parent).
    IfPartner(OrganisationId),
    /// The partner the signal is referred to now (kept in `feed_referrals`).
    ReferredPartner(Uuid),
}

/// How an entry reads for one partner: its `subject` and its `data`.
pub type Render<'e> = Box<dyn Fn(&PartnerView<'_>) -> (String, FeedData) + Send + Sync + 'e>;

/// What to feed of one event: to whom, about which child, and how it reads for a partner.
pub struct Fed<'e> {
    /// `nl.kindpakket.<name>.v1`.
    pub name: &'static str,
    pub audience: Audience,
    /// The child it is about, when one: nothing is fed about a forgotten child, and forgetting
    /// removes the entry.
    pub child: Option<ChildRef>,
    /// The entry's `subject` and `data` as `partner` reads them.
    pub render: Render<'e>,
}

impl<'e> Fed<'e> {
    fn new(
        name: &'static str,
        audience: Audience,
        child: Option<ChildRef>,
        render: impl Fn(&PartnerView<'_>) -> (String, FeedData) + Send + Sync + 'e,
    ) -> Self {
        Self {
            name,
            audience,
            child,
            render: Box::new(render),
        }
    }

    /// The CloudEvent `type`.
    pub fn event_type(&self) -> String {
        event_type(self.name)
    }
}

/// The CloudEvent `type` of a feed entry: `nl.kindpakket.<name>.v1`.
pub fn event_type(name: &str) -> String {
    format!("nl.kindpakket.{name}.v1")
}

/// What of a provision event is fed (see the module's list). One arm per event kind: events that
/// concern no partner (passes issued and blocked, expiry, samples, campaigns, an invoice submitted by
/// the partner itself) are not fed.
pub fn of_provision(event: &ProvisionEvent) -> Option<Fed<'_>> {
    match event {
        ProvisionEvent::EntitlementOpened(opened) => Some(Fed::new(
            "entitlement_opened",
            Audience::SeesEntitlement {
                provision: opened.provision.clone(),
                voucher: !crate::access::served_by_recording(opened),
            },
            Some(opened.child),
            move |view| {
                let recht = view.entitlement(opened.entitlement_id);
                (
                    format!("rechten/{recht}"),
                    FeedData::Entitlement(EntitlementData {
                        entitlement: recht,
                        child: view.child(opened.child),
                        provision: opened.provision.clone(),
                        amount_cents: opened.amount_cents,
                        valid_from: opened.valid_from,
                        valid_until: opened.valid_until,
                        form: opened.form.map(DeliveryFormDto::from),
                        unit_value_cents: opened.unit_value_cents,
                    }),
                )
            },
        )),
        ProvisionEvent::DeliveryRecorded(delivery) => Some(Fed::new(
            "delivery_recorded",
            Audience::Partner(delivery.partner.clone()),
            Some(delivery.child),
            move |view| {
                let recht = view.entitlement(delivery.entitlement_id);
                (
                    format!("rechten/{recht}/verstrekkingen/{}", delivery.delivery_id),
                    FeedData::Delivery(DeliveryData {
                        id: delivery.delivery_id,
                        entitlement: recht,
                        child: view.child(delivery.child),
                        provision: delivery.provision.clone(),
                        form: delivery.form.into(),
                        amount_cents: delivery.amount_cents,
                        remaining_cents: delivery.remaining_cents,
                        date: delivery.delivered_on,
                        full_price_cents: delivery.full_price_cents,
                    }),
                )
            },
        )),
        ProvisionEvent::PassRedeemed(redeemed) => Some(Fed::new(
            "pass_redeemed",
            Audience::Partner(redeemed.partner.clone()),
            Some(redeemed.child),
            move |view| {
                (
                    format!("verzilveringen/{}", redeemed.redemption_id),
                    FeedData::Redemption(RedemptionData {
                        id: redeemed.redemption_id,
                        pass: redeemed.pass_id,
                        entitlement: view.entitlement(redeemed.entitlement_id),
                        child: view.child(redeemed.child),
                        provision: redeemed.provision.clone(),
                        amount_cents: redeemed.amount_cents,
                        remaining_cents: redeemed.remaining_cents,
                        date: redeemed.redeemed_on,
                    }),
                )
            },
        )),
        ProvisionEvent::DeclarationSubmitted(submitted) => Some(Fed::new(
            "declaration_submitted",
            Audience::IfPartner(submitted.submitted_by.clone()),
            Some(submitted.child),
            move |view| {
                let recht = view.entitlement(submitted.entitlement_id);
                (
                    format!("rechten/{recht}/declaraties/{}", submitted.declaration_id),
                    FeedData::Declaration(DeclarationData {
                        id: submitted.declaration_id,
                        entitlement: recht,
                        child: view.child(submitted.child),
                        provision: submitted.provision.clone(),
                        amount_cents: submitted.amount_cents,
                        date: submitted.submitted_on,
                        approved: None,
                    }),
                )
            },
        )),
        ProvisionEvent::DeclarationDecided(decided) => Some(Fed::new(
            "declaration_decided",
            Audience::IfPartner(decided.submitted_by.clone()),
            Some(decided.child),
            move |view| {
                let recht = view.entitlement(decided.entitlement_id);
                (
                    format!("rechten/{recht}/declaraties/{}", decided.declaration_id),
                    FeedData::Declaration(DeclarationData {
                        id: decided.declaration_id,
                        entitlement: recht,
                        child: view.child(decided.child),
                        provision: decided.provision.clone(),
                        amount_cents: decided.amount_cents,
                        date: decided.decided_on,
                        approved: Some(decided.approved),
                    }),
                )
            },
        )),
        ProvisionEvent::InvoiceSettled(settled) => Some(Fed::new(
            "invoice_settled",
            Audience::Partner(settled.partner.clone()),
            None,
            move |view| {
                (
                    format!("facturen/{}", settled.invoice_id),
                    FeedData::Settlement(SettlementData {
                        invoice: settled.invoice_id,
                        lines: settled
                            .lines
                            .iter()
                            .map(|line| SettledLineData {
                                delivery: line.delivery_id,
                                entitlement: view.entitlement(line.entitlement_id),
                                provision: line.provision.clone(),
                                approved: line.approved,
                                amount_cents: line.amount_cents,
                                delivered_on: line.delivered_on,
                            })
                            .collect(),
                        complete: settled.complete,
                        date: settled.settled_on,
                    }),
                )
            },
        )),
        ProvisionEvent::CreditNoteIssued(credited) => Some(Fed::new(
            "credit_note_issued",
            Audience::Partner(credited.partner.clone()),
            None,
            move |view| {
                (
                    format!(
                        "facturen/{}/creditnotas/{}",
                        credited.invoice_id, credited.credit_note_id
                    ),
                    FeedData::CreditNote(CreditNoteData {
                        credit_note: credited.credit_note_id,
                        invoice: credited.invoice_id,
                        lines: credited
                            .lines
                            .iter()
                            .map(|line| CreditedLineData {
                                delivery: line.delivery_id,
                                entitlement: view.entitlement(line.entitlement_id),
                                provision: line.provision.clone(),
                                amount_cents: line.amount_cents,
                            })
                            .collect(),
                        total_cents: credited.total_cents,
                        date: credited.issued_on,
                    }),
                )
            },
        )),
        // A reclaim from a partner is that partner's to book; one from a household is not fed.
        ProvisionEvent::ReclaimDecided(reclaim) => {
            let partner = reclaim
                .partner
                .clone()
                .filter(|_| reclaim.from == ReclaimFrom::Partner)?;
            Some(Fed::new(
                "reclaim_decided",
                Audience::Partner(partner),
                Some(reclaim.child),
                move |view| {
                    let recht = view.entitlement(reclaim.entitlement_id);
                    (
                        format!("rechten/{recht}/declaraties/{}", reclaim.declaration_id),
                        FeedData::Reclaim(ReclaimData {
                            reclaim: reclaim.reclaim_id,
                            declaration: reclaim.declaration_id,
                            entitlement: recht,
                            child: view.child(reclaim.child),
                            provision: reclaim.provision.clone(),
                            amount_cents: reclaim.amount_cents,
                            date: reclaim.decided_on,
                        }),
                    )
                },
            ))
        }
        ProvisionEvent::ProofAttached(_)
        | ProvisionEvent::PassIssued(_)
        | ProvisionEvent::PassBlocked(_)
        | ProvisionEvent::EntitlementExpired(_)
        | ProvisionEvent::InvoiceSubmitted(_)
        | ProvisionEvent::SampleDrawn(_)
        | ProvisionEvent::SampleCheckRecorded(_)
        | ProvisionEvent::CampaignStarted(_) => None,
    }
}

/// What is known of a referral when its later steps arrive (kept in `feed_referrals`).
#[derive(Debug, Clone)]
pub struct ReferralFacts {
    pub signal_id: Uuid,
    pub child: ChildRef,
    pub signaller: OrganisationId,
    pub provision_type: Option<ProvisionTypeDto>,
    pub due_on: Option<Date>,
}

/// What of a signalling event is fed: a referral routed to a partner, and its later steps to the
/// partner it is referred to. `known` is what `feed_referrals` keeps of the signal (needed for the
/// events after the first).
pub fn of_signalling<'e>(
    event: &'e SignallingEvent,
    known: Option<&'e ReferralFacts>,
) -> Option<Fed<'e>> {
    let referral = |name: &'static str, facts: ReferralFacts, partner: &OrganisationId, date| {
        Fed::new(
            name,
            Audience::Partner(partner.clone()),
            Some(facts.child),
            move |view| {
                (
                    format!("signaleringen/{}", facts.signal_id),
                    FeedData::Referral(ReferralData {
                        signal: facts.signal_id,
                        child: view.child(facts.child),
                        signaller: facts.signaller.clone(),
                        provision_type: facts.provision_type,
                        due_on: facts.due_on,
                        date,
                    }),
                )
            },
        )
    };
    let step = |name: &'static str, signal_id: Uuid, date: Date| {
        let facts = known?;
        Some(Fed::new(
            name,
            Audience::ReferredPartner(signal_id),
            Some(facts.child),
            move |_| {
                (
                    format!("signaleringen/{signal_id}"),
                    FeedData::ReferralStep(ReferralStepData {
                        signal: signal_id,
                        date,
                    }),
                )
            },
        ))
    };
    match event {
        SignallingEvent::ChildSignalled(signalled) => match &signalled.referral {
            Referral::Partner { partner } => Some(referral(
                "child_signalled",
                ReferralFacts {
                    signal_id: signalled.signal_id,
                    child: signalled.child,
                    signaller: signalled.signaller.clone(),
                    provision_type: signalled.provision_type.map(ProvisionTypeDto::from),
                    due_on: signalled.due_on,
                },
                partner,
                signalled.signalled_on,
            )),
            Referral::Loket => None,
        },
        SignallingEvent::SignalReferred(referred) => match (&referred.referral, known) {
            (Referral::Partner { partner }, Some(facts)) => Some(referral(
                "signal_referred",
                ReferralFacts {
                    due_on: referred.due_on,
                    ..facts.clone()
                },
                partner,
                referred.referred_on,
            )),
            _ => None,
        },
        SignallingEvent::SignalAccepted(accepted) => {
            step("signal_accepted", accepted.signal_id, accepted.accepted_on)
        }
        SignallingEvent::SignalHandedBack(handed_back) => step(
            "signal_handed_back",
            handed_back.signal_id,
            handed_back.handed_back_on,
        ),
        // What the signaller recorded of its own signal is the signaller's.
        SignallingEvent::SignalOutcomeRecorded(_) => None,
    }
}

/// The `data` of a feed entry: one of these, by its `type`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum FeedData {
    /// `entitlement_opened`.
    Entitlement(EntitlementData),
    /// `delivery_recorded`.
    Delivery(DeliveryData),
    /// `pass_redeemed`.
    Redemption(RedemptionData),
    /// `declaration_submitted`, `declaration_decided`.
    Declaration(DeclarationData),
    /// `invoice_settled`.
    Settlement(SettlementData),
    /// `credit_note_issued`.
    CreditNote(CreditNoteData),
    /// `reclaim_decided` (from the partner).
    Reclaim(ReclaimData),
    /// `child_signalled`, `signal_referred`.
    Referral(ReferralData),
    /// `signal_accepted`, `signal_handed_back`.
    ReferralStep(ReferralStepData),
}

/// An entitlement the partner may serve.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EntitlementData {
    /// The partner's own id of the entitlement (as `GET …/rechten` shows it).
    #[serde(rename = "recht")]
    pub entitlement: Uuid,
    /// The partner's own reference of the child (as its identification answered).
    #[serde(rename = "kind")]
    pub child: String,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    #[serde(rename = "geldigVanaf")]
    #[schemars(with = "DateSchema")]
    pub valid_from: Date,
    #[serde(rename = "geldigTot")]
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    #[serde(rename = "vorm", default, skip_serializing_if = "Option::is_none")]
    pub form: Option<DeliveryFormDto>,
    /// For a strippenkaart: the value of one strip.
    #[serde(
        rename = "eenheidCent",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub unit_value_cents: Option<Cents>,
}

/// A delivery the partner recorded.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryData {
    pub id: Uuid,
    #[serde(rename = "recht")]
    pub entitlement: Uuid,
    #[serde(rename = "kind")]
    pub child: String,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "vorm")]
    pub form: DeliveryFormDto,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    /// What is left on the entitlement after it.
    #[serde(rename = "restCent")]
    pub remaining_cents: Cents,
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub date: Date,
    /// For a discount: the full price, of which `bedragCent` was the discount.
    #[serde(
        rename = "volledigePrijsCent",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub full_price_cents: Option<Cents>,
}

/// A pass the partner redeemed at its till.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RedemptionData {
    /// The redemption's id (`verzilvering` in the redemption's answer; a line of an invoice).
    pub id: Uuid,
    #[serde(rename = "pas")]
    pub pass: Uuid,
    #[serde(rename = "recht")]
    pub entitlement: Uuid,
    #[serde(rename = "kind")]
    pub child: String,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    /// The pass's balance after it.
    #[serde(rename = "restCent")]
    pub remaining_cents: Cents,
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub date: Date,
}

/// A declaration the partner submitted, and its decision.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DeclarationData {
    pub id: Uuid,
    #[serde(rename = "recht")]
    pub entitlement: Uuid,
    #[serde(rename = "kind")]
    pub child: String,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    /// When it was submitted, or decided.
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub date: Date,
    /// The decision: absent while submitted.
    #[serde(
        rename = "goedgekeurd",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub approved: Option<bool>,
}

/// Regie decided lines of the partner's invoice.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SettlementData {
    #[serde(rename = "factuur")]
    pub invoice: Uuid,
    #[serde(rename = "regels")]
    pub lines: Vec<SettledLineData>,
    /// Whether every line of the invoice is decided now.
    #[serde(rename = "afgehandeld")]
    pub complete: bool,
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub date: Date,
}

/// The decision on one line.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SettledLineData {
    /// The delivery's or redemption's id.
    #[serde(rename = "verstrekking")]
    pub delivery: Uuid,
    #[serde(rename = "recht")]
    pub entitlement: Uuid,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "goedgekeurd")]
    pub approved: bool,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    #[serde(rename = "geleverdOp")]
    #[schemars(with = "DateSchema")]
    pub delivered_on: Date,
}

/// Regie reclaims from the partner what was paid for a declaration a sample check found not in order.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReclaimData {
    #[serde(rename = "terugvordering")]
    pub reclaim: Uuid,
    #[serde(rename = "declaratie")]
    pub declaration: Uuid,
    /// The entitlement, under the partner's own id.
    #[serde(rename = "recht")]
    pub entitlement: Uuid,
    /// The child, under the partner's own reference.
    #[serde(rename = "kind")]
    pub child: String,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub date: Date,
}

/// The partner credited rejected lines of its invoice (creditnota).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CreditNoteData {
    #[serde(rename = "creditnota")]
    pub credit_note: Uuid,
    #[serde(rename = "factuur")]
    pub invoice: Uuid,
    #[serde(rename = "regels")]
    pub lines: Vec<CreditedLineData>,
    #[serde(rename = "totaalCent")]
    pub total_cents: Cents,
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub date: Date,
}

/// One credited line.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CreditedLineData {
    /// The delivery's or redemption's id.
    #[serde(rename = "verstrekking")]
    pub delivery: Uuid,
    #[serde(rename = "recht")]
    pub entitlement: Uuid,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
}

/// A referral routed to the partner: pick it up through the signalling API.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReferralData {
    #[serde(rename = "signalering")]
    pub signal: Uuid,
    #[serde(rename = "kind")]
    pub child: String,
    #[serde(rename = "signaleerder")]
    pub signaller: OrganisationId,
    #[serde(
        rename = "voorzieningsoort",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub provision_type: Option<ProvisionTypeDto>,
    /// By when it must be picked up.
    #[serde(rename = "uiterlijk", default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DateSchema>")]
    pub due_on: Option<Date>,
    /// When it was referred.
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub date: Date,
}

/// A step of a referral: picked up, or handed back.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReferralStepData {
    #[serde(rename = "signalering")]
    pub signal: Uuid,
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub date: Date,
}

/// Where an entry comes from: the platform's event id, its service and when it occurred.
#[derive(Debug, Clone)]
pub struct Source {
    pub gemeente: GemeenteCode,
    pub event_id: Uuid,
    pub service: Service,
    pub time: OffsetDateTime,
}

impl Source {
    pub fn of(envelope: &EventEnvelope) -> Self {
        Self {
            gemeente: envelope.gemeente.clone(),
            event_id: envelope.event_id,
            service: envelope.service,
            time: envelope.occurred_at,
        }
    }
}

/// Writes the feed in a consumer's transaction (as the projector, under the gemeente's feed lock).
#[derive(Clone)]
pub struct Feeder {
    pub pseudonyms: Pseudonyms,
    pub keys: SubjectKeys,
}

impl Feeder {
    /// Adds `fed` to the feed of every partner it concerns (or only `only`'s, when given), once.
    /// Nothing is fed about a forgotten child.
    pub async fn write(
        &self,
        connection: &mut PgConnection,
        source: &Source,
        fed: &Fed<'_>,
        only: Option<&OrganisationId>,
    ) -> Result<usize, HandlerError> {
        let gemeente = &source.gemeente;
        // The lock first, then whether the child is forgotten: a forgetting destroys the keys, then
        // deletes the child's entries under the same lock, so an entry either sees the child
        // forgotten or is committed before that delete runs.
        partner_feed::lock(connection, gemeente).await?;
        if let Some(child) = fed.child {
            if self
                .keys
                .is_forgotten(child.0)
                .await
                .map_err(HandlerError::Transient)?
            {
                return Ok(0);
            }
        }
        let partners: Vec<OrganisationId> = match &fed.audience {
            Audience::SeesEntitlement { voucher: true, .. } => Vec::new(),
            Audience::SeesEntitlement { provision, .. } => {
                partner_feed::partners_seeing(connection, gemeente, provision, source.time.date())
                    .await?
                    .iter()
                    .filter_map(|partner| OrganisationId::parse(partner).ok())
                    .collect()
            }
            Audience::Partner(partner) => vec![partner.clone()],
            Audience::IfPartner(organisation) => {
                if partner_feed::is_partner(connection, gemeente, organisation).await? {
                    vec![organisation.clone()]
                } else {
                    Vec::new()
                }
            }
            Audience::ReferredPartner(signal_id) => partner_feed::referral(connection, *signal_id)
                .await?
                .and_then(|(_, partner)| partner)
                .and_then(|partner| OrganisationId::parse(&partner).ok())
                .into_iter()
                .collect(),
        };
        let event_type = fed.event_type();
        let mut written = 0;
        for partner in partners
            .iter()
            .filter(|partner| only.is_none_or(|only| only == *partner))
        {
            let view = PartnerView::new(&self.pseudonyms, partner);
            let (subject, data) = (fed.render)(&view);
            let data = serde_json::to_value(&data)
                .map_err(|error| HandlerError::Poison(format!("feed data: {error}")))?;
            partner_feed::append(
                connection,
                NewEntry {
                    gemeente,
                    partner,
                    event_id: source.event_id,
                    service: source.service.as_str(),
                    event_type: &event_type,
                    time: source.time,
                    subject: &subject,
                    data,
                    child: fed.child.map(|child| child.0),
                },
            )
            .await?;
            written += 1;
        }
        Ok(written)
    }

    /// A partner was enrolled to deliver `provisions`: the entitlements of those provisions opened
    /// before become visible to it (the rule of [`crate::access`]), so they are fed to it now, each
    /// under the event id of its opening (a partner already fed one gets nothing new).
    pub async fn enrolled(
        &self,
        connection: &mut PgConnection,
        gemeente: &GemeenteCode,
        partner: &OrganisationId,
        provisions: &[ProvisionCode],
    ) -> Result<usize, HandlerError> {
        if provisions.is_empty() {
            return Ok(0);
        }
        partner_feed::lock(connection, gemeente).await?;
        let codes: Vec<String> = provisions
            .iter()
            .map(|code| code.as_str().to_owned())
            .collect();
        let mut written = 0;
        for stored in partner_feed::openings(connection, gemeente, &codes).await? {
            let opened: EntitlementOpened =
                serde_json::from_value(stored.opened).map_err(|error| {
                    HandlerError::Poison(format!("a stored opening cannot be read: {error}"))
                })?;
            let time = stored
                .occurred_at
                .as_deref()
                .and_then(|text| OffsetDateTime::parse(text, &Rfc3339).ok())
                .unwrap_or_else(kindpakket_platform::clock::now);
            let source = Source {
                gemeente: gemeente.clone(),
                event_id: kindpakket_proto::envelope::event_id(
                    Service::Provision,
                    "entitlement",
                    &stored.aggregate_id,
                    u64::try_from(stored.sequence).unwrap_or_default(),
                ),
                service: Service::Provision,
                time,
            };
            let event = ProvisionEvent::EntitlementOpened(opened);
            let fed = of_provision(&event);
            if let Some(fed) = &fed {
                written += self.write(connection, &source, fed, Some(partner)).await?;
            }
        }
        Ok(written)
    }
}

/// Drops the feed's entries of events that occurred more than `retention_days` before the platform
/// clock's today (`KINDPAKKET_RETENTION_DAYS`, as the keys of what was sealed then): run with the
/// hourly retention sweep.
pub async fn sweep(pool: &sqlx::PgPool, retention_days: u32) -> anyhow::Result<()> {
    let cutoff =
        kindpakket_platform::clock::now() - time::Duration::days(i64::from(retention_days));
    let mut transaction = pool.begin().await?;
    crate::access::as_projector(&mut transaction).await?;
    let dropped = partner_feed::sweep(&mut transaction, cutoff).await?;
    transaction.commit().await?;
    if dropped > 0 {
        tracing::info!(dropped, %cutoff, "dropped feed entries past retention");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use kindpakket_proto::provision::{
        DeliveryRecorded, EntitlementOpened, InvoiceSettled, SettledLine,
    };
    use kindpakket_proto::regie::DeliveryForm;
    use kindpakket_proto::signalling::{ChildSignalled, SignalAccepted};

    use super::*;

    const KEY: &[u8] = b"a secret of at least sixteen bytes";

    fn club() -> OrganisationId {
        OrganisationId::parse("sportclub").unwrap()
    }

    fn day() -> Date {
        Date::from_calendar_date(2026, time::Month::March, 1).unwrap()
    }

    fn opened(form: DeliveryForm) -> EntitlementOpened {
        EntitlementOpened {
            entitlement_id: Uuid::new_v4(),
            application_id: Uuid::new_v4(),
            child: ChildRef(Uuid::new_v4()),
            provision: ProvisionCode::parse("zwemles").unwrap(),
            amount_cents: Cents::new(30_000),
            valid_from: day(),
            valid_until: day(),
            funder: None,
            co_financing: None,
            form: Some(form),
            unit_value_cents: None,
            regeling_id: None,
            household_children: Vec::new(),
        }
    }

    #[test]
    fn an_entitlement_is_for_the_partners_that_may_see_it_never_a_voucher() {
        let in_kind = ProvisionEvent::EntitlementOpened(opened(DeliveryForm::InKind));
        let fed = of_provision(&in_kind).unwrap();
        assert_eq!(
            fed.audience,
            Audience::SeesEntitlement {
                provision: ProvisionCode::parse("zwemles").unwrap(),
                voucher: false
            }
        );
        let voucher = ProvisionEvent::EntitlementOpened(opened(DeliveryForm::Voucher));
        assert!(matches!(
            of_provision(&voucher).unwrap().audience,
            Audience::SeesEntitlement { voucher: true, .. }
        ));
    }

    #[test]
    fn a_delivery_reads_under_the_partners_own_ids_only() {
        let pseudonyms = Pseudonyms::new(KEY.to_vec());
        let child = ChildRef(Uuid::new_v4());
        let entitlement_id = Uuid::new_v4();
        let event = ProvisionEvent::DeliveryRecorded(DeliveryRecorded {
            entitlement_id,
            delivery_id: Uuid::new_v4(),
            child,
            provision: ProvisionCode::parse("zwemles").unwrap(),
            partner: club(),
            form: DeliveryForm::InKind,
            amount_cents: Cents::new(1_000),
            remaining_cents: Cents::new(29_000),
            delivered_on: day(),
            full_price_cents: None,
        });
        let fed = of_provision(&event).unwrap();
        assert_eq!(fed.audience, Audience::Partner(club()));
        assert_eq!(fed.child, Some(child));
        let (subject, data) = (fed.render)(&PartnerView::new(&pseudonyms, &club()));
        let text = serde_json::to_string(&data).unwrap();
        assert!(!text.contains(&child.0.to_string()), "{text}");
        assert!(!text.contains(&entitlement_id.to_string()), "{text}");
        assert!(!subject.contains(&entitlement_id.to_string()), "{subject}");
        let own = crate::access::entitlement_pseudonym(KEY, &club(), entitlement_id);
        assert!(subject.starts_with(&format!("rechten/{own}/verstrekkingen/")));
        assert!(text.contains(&kindpakket_platform::reference::reference(
            KEY,
            &club(),
            kindpakket_platform::reference::ReferenceKind::Child,
            child.0
        )));
    }

    #[test]
    fn a_settlement_names_no_child_and_what_concerns_no_partner_is_not_fed() {
        let child = ChildRef(Uuid::new_v4());
        let settled = ProvisionEvent::InvoiceSettled(InvoiceSettled {
            invoice_id: Uuid::new_v4(),
            partner: club(),
            lines: vec![SettledLine {
                delivery_id: Uuid::new_v4(),
                entitlement_id: Uuid::new_v4(),
                child,
                provision: ProvisionCode::parse("zwemles").unwrap(),
                approved: true,
                amount_cents: Cents::new(1_000),
                delivered_on: day(),
                funding: Vec::new(),
            }],
            complete: true,
            settled_on: day(),
        });
        let fed = of_provision(&settled).unwrap();
        assert_eq!(fed.child, None);
        let pseudonyms = Pseudonyms::new(KEY.to_vec());
        let (_, data) = (fed.render)(&PartnerView::new(&pseudonyms, &club()));
        assert!(!serde_json::to_string(&data).unwrap().contains("kind"));
        assert_eq!(event_type(fed.name), "nl.kindpakket.invoice_settled.v1");
    }

    #[test]
    fn a_credit_note_goes_to_the_invoicing_partner_under_its_own_ids_without_a_child() {
        let entitlement_id = Uuid::new_v4();
        let credited =
            ProvisionEvent::CreditNoteIssued(kindpakket_proto::provision::CreditNoteIssued {
                invoice_id: Uuid::new_v4(),
                credit_note_id: Uuid::new_v4(),
                partner: club(),
                lines: vec![kindpakket_proto::provision::CreditedLine {
                    delivery_id: Uuid::new_v4(),
                    entitlement_id,
                    child: ChildRef(Uuid::new_v4()),
                    provision: ProvisionCode::parse("zwemles").unwrap(),
                    amount_cents: Cents::new(1_000),
                }],
                total_cents: Cents::new(1_000),
                issued_on: day(),
            });
        let fed = of_provision(&credited).unwrap();
        assert_eq!(fed.audience, Audience::Partner(club()));
        assert_eq!(fed.child, None);
        let pseudonyms = Pseudonyms::new(KEY.to_vec());
        let (_, data) = (fed.render)(&PartnerView::new(&pseudonyms, &club()));
        let text = serde_json::to_string(&data).unwrap();
        assert!(!text.contains(&entitlement_id.to_string()), "{text}");
        assert!(!text.contains("kind"), "{text}");
        assert!(text.contains(
            &crate::access::entitlement_pseudonym(KEY, &club(), entitlement_id).to_string()
        ));
    }

    #[test]
    fn a_reclaim_goes_to_the_partner_it_is_reclaimed_from_and_one_from_a_household_to_nobody() {
        let entitlement_id = Uuid::new_v4();
        let child = ChildRef(Uuid::new_v4());
        let reclaim = |from, partner| {
            ProvisionEvent::ReclaimDecided(kindpakket_proto::provision::ReclaimDecided {
                reclaim_id: Uuid::new_v4(),
                draw_id: Uuid::new_v4(),
                declaration_id: Uuid::new_v4(),
                entitlement_id,
                child,
                provision: ProvisionCode::parse("zwemles").unwrap(),
                from,
                partner,
                amount_cents: Cents::new(2_500),
                funding: vec![],
                decided_on: day(),
            })
        };
        let from_club = reclaim(ReclaimFrom::Partner, Some(club()));
        let fed = of_provision(&from_club).unwrap();
        assert_eq!(fed.audience, Audience::Partner(club()));
        assert_eq!(fed.child, Some(child));
        let pseudonyms = Pseudonyms::new(KEY.to_vec());
        let (_, data) = (fed.render)(&PartnerView::new(&pseudonyms, &club()));
        let text = serde_json::to_string(&data).unwrap();
        assert!(!text.contains(&entitlement_id.to_string()), "{text}");
        assert!(!text.contains(&child.0.to_string()), "{text}");
        assert!(text.contains("2500"), "{text}");
        assert!(of_provision(&reclaim(ReclaimFrom::Household, None)).is_none());
    }

    #[test]
    fn a_referral_is_fed_to_the_partner_it_is_routed_to_and_its_steps_only_when_known() {
        let signalled = |referral| {
            SignallingEvent::ChildSignalled(ChildSignalled {
                signal_id: Uuid::new_v4(),
                signaller: OrganisationId::parse("wijkteam").unwrap(),
                child: ChildRef(Uuid::new_v4()),
                household: None,
                referral,
                signalled_on: day(),
                due_on: None,
                wijk: None,
                provision_type: None,
            })
        };
        let to_club = signalled(Referral::Partner { partner: club() });
        assert_eq!(
            of_signalling(&to_club, None).unwrap().audience,
            Audience::Partner(club())
        );
        assert!(of_signalling(&signalled(Referral::Loket), None).is_none());
        let accepted = SignallingEvent::SignalAccepted(SignalAccepted {
            signal_id: Uuid::new_v4(),
            accepted_on: day(),
        });
        assert!(of_signalling(&accepted, None).is_none());
    }
}
