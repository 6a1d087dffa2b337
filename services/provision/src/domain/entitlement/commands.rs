//! What may be asked of an entitlement.

use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::Sealed;
use kindpakket_proto::provision::EntitlementOpened;
use kindpakket_proto::regie::DeliveryForm;
use kindpakket_proto::{Cents, ChildRef, GemeenteCode, OrganisationId};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum EntitlementCommand {
    Open(Open),
    RecordDelivery(RecordDelivery),
    IssuePass(IssuePass),
    BlockPass(BlockPass),
    RedeemPass(RedeemPass),
    GiveDiscount(GiveDiscount),
    SubmitDeclaration(SubmitDeclaration),
    DecideDeclaration(DecideDeclaration),
    Expire(Expire),
}

/// A new pass: its id and its code, chosen by the caller (the code is random and registered first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPass {
    pub pass_id: Uuid,
    pub code: String,
}

/// Opens the entitlement (with a pass when it is delivered as a voucher); opening it again with the
/// same terms changes nothing (a redelivered grant must not fail).
#[derive(Debug, Clone)]
pub struct Open {
    pub gemeente: GemeenteCode,
    pub opened: EntitlementOpened,
    pub pass: Option<NewPass>,
    pub opened_on: Date,
}

/// A partner delivered in kind or gave a discount.
#[derive(Debug, Clone)]
pub struct RecordDelivery {
    pub gemeente: GemeenteCode,
    pub delivery_id: Uuid,
    pub partner: OrganisationId,
    pub form: DeliveryForm,
    pub amount_cents: Cents,
    /// Discount only: the provider's full price.
    pub full_price_cents: Option<Cents>,
    pub delivered_on: Date,
    /// The child that spends: for a household budget one of its children; `None` for the first.
    pub child: Option<ChildRef>,
}

/// Regie issues a pass (or voucher) for the entitlement.
#[derive(Debug, Clone)]
pub struct IssuePass {
    pub gemeente: GemeenteCode,
    pub pass: NewPass,
    pub issued_on: Date,
}

/// Regie blocks a lost or stolen pass, and may issue its replacement at once.
#[derive(Debug, Clone)]
pub struct BlockPass {
    pub gemeente: GemeenteCode,
    pub pass_id: Uuid,
    /// Why, when a reason was given: checked free text, sealed under the child's key.
    pub reason: Option<Sealed<Note>>,
    pub blocked_on: Date,
    pub replacement: Option<NewPass>,
}

/// An enrolled provider redeems (part of) a pass by its code.
#[derive(Debug, Clone)]
pub struct RedeemPass {
    pub gemeente: GemeenteCode,
    pub code: String,
    pub redemption_id: Uuid,
    pub partner: OrganisationId,
    pub amount_cents: Cents,
    pub redeemed_on: Date,
    /// The child that spends: for a household budget one of its children; `None` for the first.
    pub child: Option<ChildRef>,
}

/// A provider with a standing discount gives it at the till, on the pass the holder shows: the
/// discount is `percent` of the full price (rounded down to the cent), at most
/// `max_per_purchase_cents` and at most what is left, worked out by the entitlement itself so that
/// purchases at the same moment never give more than was granted.
#[derive(Debug, Clone)]
pub struct GiveDiscount {
    pub gemeente: GemeenteCode,
    pub code: String,
    pub delivery_id: Uuid,
    pub partner: OrganisationId,
    pub full_price_cents: Cents,
    /// 1 to 100.
    pub percent: u8,
    pub max_per_purchase_cents: Option<Cents>,
    pub given_on: Date,
}

/// A partner, or the gemeente's loket for a parent, declares an amount with its proof.
#[derive(Debug, Clone)]
pub struct SubmitDeclaration {
    pub gemeente: GemeenteCode,
    pub declaration_id: Uuid,
    pub submitted_by: OrganisationId,
    pub amount_cents: Cents,
    /// The receipt's or quote's reference, sealed under the child's key; `None` when none was given
    /// (refused).
    pub proof: Option<Sealed<Note>>,
    pub submitted_on: Date,
    /// The child that spends: for a household budget one of its children; `None` for the first.
    pub child: Option<ChildRef>,
}

/// Regie approves or rejects a declaration.
#[derive(Debug, Clone)]
pub struct DecideDeclaration {
    pub gemeente: GemeenteCode,
    pub declaration_id: Uuid,
    pub approved: bool,
    /// Why it is rejected, sealed under the child's key; required for a rejection.
    pub reason: Option<Sealed<Note>>,
    pub decided_on: Date,
}

/// Ends the entitlement after its period: nothing can be spent on it any more.
#[derive(Debug, Clone)]
pub struct Expire {
    pub gemeente: GemeenteCode,
    pub on: Date,
}
