//! Events of the provision service: entitlements opened from a grant; deliveries in kind or as a
//! discount; passes and vouchers issued, blocked and redeemed; declarations submitted and decided;
//! the sample check of declarations; invoices and their settlement; the year end.
//!
//! Money is in integer euro cents everywhere. A pass code is a bearer credential: the stream carries
//! only its last four characters, never the code itself.

use crate::money::Cents;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::ids::{ChildRef, OrganisationId, ProvisionCode};
use crate::regie::{CoFinancing, DeliveryForm, Funder, FundingPart};
use crate::schema::{contract_events, DateSchema};
use crate::subjects::Service;

contract_events!(
    /// Everything the provision service publishes.
    ProvisionEvent,
    Service::Provision,
    [
        EntitlementOpened,
        DeliveryRecorded,
        PassIssued,
        PassBlocked = 2,
        PassRedeemed,
        DeclarationSubmitted = 2,
        DeclarationDecided = 2,
        EntitlementExpired,
        InvoiceSubmitted,
        InvoiceSettled = 2,
        SampleDrawn,
        SampleCheckRecorded = 2,
        CampaignStarted,
        CreditNoteIssued,
    ]
);

/// An entitlement was opened from a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EntitlementOpened {
    pub entitlement_id: Uuid,
    pub application_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub amount_cents: Cents,
    #[schemars(with = "DateSchema")]
    pub valid_from: Date,
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    /// Who pays for it, as decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funder: Option<Funder>,
    /// A second funder paying a share of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co_financing: Option<CoFinancing>,
    /// How it reaches the child; a voucher form gets a pass when it opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<DeliveryForm>,
    /// For a count (strippenkaart): the value of one unit; the amount is spent in whole units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_value_cents: Option<Cents>,
    /// The regeling version it was granted under, when the grant was assessed against one. The
    /// entitlement keeps it, and its own amount and dates, when that version is later corrected or
    /// ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regeling_id: Option<Uuid>,
    /// For a household budget (gezinstegoed): every child that may spend it, `child` first; empty
    /// for a child's own entitlement. Spending names the child that spends (its `child`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub household_children: Vec<ChildRef>,
}

impl EntitlementOpened {
    /// Whether this is a household budget (gezinstegoed).
    pub fn is_household(&self) -> bool {
        !self.household_children.is_empty()
    }

    /// The children who may spend it: the household's children, or the one child.
    pub fn spenders(&self) -> Vec<ChildRef> {
        if self.household_children.is_empty() {
            vec![self.child]
        } else {
            self.household_children.clone()
        }
    }

    /// Whether `child` may spend it.
    pub fn may_spend(&self, child: ChildRef) -> bool {
        child == self.child || self.household_children.contains(&child)
    }

    /// Who pays `amount_cents` of this entitlement, to the cent.
    pub fn funding_of(&self, amount_cents: Cents) -> Vec<FundingPart> {
        crate::regie::split_funding(
            amount_cents,
            self.funder.as_ref(),
            self.co_financing.as_ref(),
        )
    }
}

/// A partner delivered against an entitlement: in kind (it paid the club, school or shop) or as a
/// discount at the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryRecorded {
    pub entitlement_id: Uuid,
    pub delivery_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub partner: OrganisationId,
    pub form: DeliveryForm,
    pub amount_cents: Cents,
    /// What is left on the entitlement after this delivery.
    pub remaining_cents: Cents,
    #[schemars(with = "DateSchema")]
    pub delivered_on: Date,
    /// For a discount: the provider's full price, of which `amount_cents` was given as discount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_price_cents: Option<Cents>,
}

/// A pass or voucher was issued for an entitlement; the entitlement's remaining amount is its balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PassIssued {
    pub entitlement_id: Uuid,
    pub pass_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    /// The last four characters of the code, to recognise it (the code itself is never published).
    pub code_hint: String,
    #[schemars(with = "DateSchema")]
    pub issued_on: Date,
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    /// The lost or stolen pass this one replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<Uuid>,
}

/// A pass was blocked (lost, stolen); it can no longer be redeemed. The reason given (free text)
/// stays in the provision service's store (version 1 carried it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PassBlocked {
    pub entitlement_id: Uuid,
    pub pass_id: Uuid,
    #[schemars(with = "DateSchema")]
    pub blocked_on: Date,
}

/// A pass was redeemed, in part or in full, at an enrolled provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PassRedeemed {
    pub entitlement_id: Uuid,
    pub pass_id: Uuid,
    /// The redemption's id: it is invoiced like a delivery.
    pub redemption_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub partner: OrganisationId,
    pub amount_cents: Cents,
    /// The pass's balance after this redemption.
    pub remaining_cents: Cents,
    #[schemars(with = "DateSchema")]
    pub redeemed_on: Date,
}

/// A declaration (an amount with a proof: receipt, quote) was submitted; the amount is held on the
/// entitlement until it is decided. The proof's reference (free text) stays in the provision
/// service's store (version 1 carried it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeclarationSubmitted {
    pub entitlement_id: Uuid,
    pub declaration_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    /// The organisation that submitted it (a partner, or the gemeente's loket for a parent).
    pub submitted_by: OrganisationId,
    pub amount_cents: Cents,
    #[schemars(with = "DateSchema")]
    pub submitted_on: Date,
}

/// A declaration was approved (the amount is spent, and paid by its funders) or rejected (nothing
/// is spent, the held amount is free again). The reason of a rejection stays in the provision
/// service's store (version 1 carried it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeclarationDecided {
    pub entitlement_id: Uuid,
    pub declaration_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub submitted_by: OrganisationId,
    pub approved: bool,
    pub amount_cents: Cents,
    /// Who pays the approved amount (empty when rejected).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub funding: Vec<FundingPart>,
    #[schemars(with = "DateSchema")]
    pub decided_on: Date,
}

/// The entitlement's period ended; what was not used is lost (the dashboard's non-use figure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EntitlementExpired {
    pub entitlement_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub amount_cents: Cents,
    /// Delivered, redeemed and approved.
    pub used_cents: Cents,
    /// Held by declarations still undecided.
    pub held_cents: Cents,
    pub unused_cents: Cents,
    #[schemars(with = "DateSchema")]
    pub expired_on: Date,
}

/// A partner invoiced a period: every delivery and redemption of its own in that period not yet
/// invoiced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InvoiceSubmitted {
    pub invoice_id: Uuid,
    pub partner: OrganisationId,
    #[schemars(with = "DateSchema")]
    pub period_from: Date,
    #[schemars(with = "DateSchema")]
    pub period_until: Date,
    pub lines: Vec<InvoiceLine>,
    pub total_cents: Cents,
}

/// One delivery or redemption on an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InvoiceLine {
    /// The delivery's or redemption's id.
    pub delivery_id: Uuid,
    pub entitlement_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub form: DeliveryForm,
    pub amount_cents: Cents,
    #[schemars(with = "DateSchema")]
    pub delivered_on: Date,
    /// Who pays it when approved, to the cent.
    pub funding: Vec<FundingPart>,
}

/// Regie decided lines of an invoice: approved lines count as spent against their funders' budgets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InvoiceSettled {
    pub invoice_id: Uuid,
    pub partner: OrganisationId,
    pub lines: Vec<SettledLine>,
    /// True when every line of the invoice is decided.
    pub complete: bool,
    #[schemars(with = "DateSchema")]
    pub settled_on: Date,
}

/// The decision on one invoice line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SettledLine {
    pub delivery_id: Uuid,
    pub entitlement_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub approved: bool,
    pub amount_cents: Cents,
    #[schemars(with = "DateSchema")]
    pub delivered_on: Date,
    /// Who pays it (empty when rejected).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub funding: Vec<FundingPart>,
}

/// A partner credited rejected lines of its invoice (creditnota): each line's delivery may be
/// invoiced again, and regie decides it anew. Only rejected lines are credited, so nothing approved
/// (and nothing in the ledger) changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreditNoteIssued {
    pub invoice_id: Uuid,
    pub credit_note_id: Uuid,
    pub partner: OrganisationId,
    pub lines: Vec<CreditedLine>,
    pub total_cents: Cents,
    #[schemars(with = "DateSchema")]
    pub issued_on: Date,
}

/// One invoice line a credit note credits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreditedLine {
    /// The delivery's or redemption's id.
    pub delivery_id: Uuid,
    pub entitlement_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub amount_cents: Cents,
}

/// A sample of declarations was drawn for checking, stratified by partner and amount, reproducible
/// from this event alone: every member of the population and the seed are recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SampleDrawn {
    pub draw_id: Uuid,
    #[schemars(with = "DateSchema")]
    pub period_from: Date,
    #[schemars(with = "DateSchema")]
    pub period_until: Date,
    pub rate_percent: u8,
    /// The seed of the draw (see `selection_key`).
    pub seed: u64,
    /// The amount bands' lower bounds in cents, e.g. `[0, 10000, 50000]`.
    pub amount_bands_cents: Vec<Cents>,
    pub population: Vec<SampleMember>,
    /// The declarations drawn, in the order drawn.
    pub selected: Vec<Uuid>,
}

/// One declaration the sample was drawn from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SampleMember {
    pub declaration_id: Uuid,
    pub entitlement_id: Uuid,
    pub submitted_by: OrganisationId,
    pub amount_cents: Cents,
}

/// The outcome of checking one drawn declaration against its proof. The checker's note stays in the
/// provision service's store (version 1 carried it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SampleCheckRecorded {
    pub draw_id: Uuid,
    pub declaration_id: Uuid,
    pub outcome: CheckOutcome,
    #[schemars(with = "DateSchema")]
    pub checked_on: Date,
}

/// Regie started a reminder campaign: the entitlements granted that still run and of which nothing
/// was used yet when it started, to be reminded through the organisation that took each
/// application. Entitlement ids only: who the children are stays with the entitlements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CampaignStarted {
    pub campaign_id: Uuid,
    /// The campaign's name as regie gave it, e.g. "Herinnering voor de start van het schooljaar".
    pub name: String,
    /// The type of provision it reminds of; when absent, every type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision_type: Option<crate::regie::ProvisionType>,
    #[schemars(with = "DateSchema")]
    pub started_on: Date,
    /// The entitlements it reminds of.
    pub targets: Vec<Uuid>,
}

/// What the check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// The proof supports the declaration.
    InOrder,
    /// The proof does not support it (to be recovered).
    NotInOrder,
}

/// The amount bands of a sample draw, by lower bound in cents: under €100, €100 to €500, €500 and up.
pub const SAMPLE_AMOUNT_BANDS_CENTS: [Cents; 3] = [Cents(0), Cents(10_000), Cents(50_000)];

/// The key that orders a declaration within its stratum: the first eight bytes, big-endian, of
/// SHA-256 over the seed (8 bytes, big-endian) followed by the declaration id (16 bytes).
pub fn selection_key(seed: u64, declaration_id: Uuid) -> u64 {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(seed.to_be_bytes());
    hasher.update(declaration_id.as_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// Draws the sample: the population is split into strata by submitting organisation and amount band;
/// from each stratum of `n` declarations the `ceil(n × rate / 100)` with the lowest
/// [`selection_key`] are drawn. Anyone holding a [`SampleDrawn`] event can run this again and must
/// find the same `selected`.
pub fn draw_sample(
    seed: u64,
    rate_percent: u8,
    amount_bands_cents: &[Cents],
    population: &[SampleMember],
) -> Vec<Uuid> {
    use std::collections::BTreeMap;
    let band_of = |amount: Cents| {
        amount_bands_cents
            .iter()
            .rposition(|lower| amount >= *lower)
            .unwrap_or(0)
    };
    let mut strata: BTreeMap<(&str, usize), Vec<&SampleMember>> = BTreeMap::new();
    for member in population {
        strata
            .entry((member.submitted_by.as_str(), band_of(member.amount_cents)))
            .or_default()
            .push(member);
    }
    let mut selected = Vec::new();
    for members in strata.values_mut() {
        let take = (members.len() * usize::from(rate_percent.min(100))).div_ceil(100);
        members.sort_by_key(|member| {
            (
                selection_key(seed, member.declaration_id),
                member.declaration_id,
            )
        });
        selected.extend(
            members
                .iter()
                .take(take)
                .map(|member| member.declaration_id),
        );
    }
    selected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: u128, partner: &str, amount_cents: Cents) -> SampleMember {
        SampleMember {
            declaration_id: Uuid::from_u128(id),
            entitlement_id: Uuid::from_u128(id + 1000),
            submitted_by: OrganisationId::parse(partner).unwrap(),
            amount_cents,
        }
    }

    #[test]
    fn every_stratum_gets_its_share_rounded_up_and_the_draw_is_reproducible() {
        let mut population = Vec::new();
        for i in 0..20 {
            population.push(member(i, "leergeld", Cents(2_500))); // 20 small ones of one partner
        }
        for i in 20..25 {
            population.push(member(i, "leergeld", Cents(60_000))); // 5 large ones
        }
        for i in 25..28 {
            population.push(member(i, "jeugdfonds", Cents(2_500))); // 3 of another partner
        }
        let first = draw_sample(42, 10, &SAMPLE_AMOUNT_BANDS_CENTS, &population);
        // 10% of 20 = 2, of 5 = 0.5 → 1, of 3 = 0.3 → 1.
        assert_eq!(first.len(), 4);
        let large: Vec<_> = first
            .iter()
            .filter(|id| (20..25).contains(&id.as_u128()))
            .collect();
        assert_eq!(
            large.len(),
            1,
            "the stratum of large amounts is sampled too"
        );
        let mut shuffled = population.clone();
        shuffled.reverse();
        let mut again = draw_sample(42, 10, &SAMPLE_AMOUNT_BANDS_CENTS, &shuffled);
        let mut sorted_first = first.clone();
        sorted_first.sort();
        again.sort();
        assert_eq!(
            sorted_first, again,
            "the order of the population does not matter"
        );
        let other_seed = draw_sample(7, 10, &SAMPLE_AMOUNT_BANDS_CENTS, &population);
        assert_ne!(first, other_seed, "another seed draws another sample");
    }

    #[test]
    fn no_rate_draws_nothing_and_a_full_rate_draws_everything() {
        let population: Vec<_> = (0..7)
            .map(|i| member(i, "leergeld", Cents(1_000)))
            .collect();
        assert!(draw_sample(1, 0, &SAMPLE_AMOUNT_BANDS_CENTS, &population).is_empty());
        assert_eq!(
            draw_sample(1, 100, &SAMPLE_AMOUNT_BANDS_CENTS, &population).len(),
            7
        );
    }
}
