//! An entitlement: one child's right to one provision for a period, and everything spent against it:
//! deliveries in kind and discounts, redemptions of its pass, declarations (held while undecided).
//! Its invariant: delivered + redeemed + approved + held never exceeds the amount granted.

pub mod code;
mod commands;
mod error;
mod events;

pub use commands::{
    BlockPass, DecideDeclaration, EntitlementCommand, Expire, GiveDiscount, IssuePass, NewPass,
    Open, RecordDelivery, RedeemPass, SubmitDeclaration,
};
pub use error::EntitlementError;
pub use events::{EntitlementEvent, EVENT_VERSION};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_platform::free_text::Note;
use kindpakket_platform::idempotency::{repeat_of, Repeat};
use kindpakket_platform::shredding::Sealed;
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::provision::{
    DeclarationDecided, DeclarationSubmitted, DeliveryRecorded, EntitlementExpired,
    EntitlementOpened, PassBlocked, PassIssued, PassRedeemed,
};
use kindpakket_proto::regie::DeliveryForm;
use kindpakket_proto::{Cents, ChildRef, GemeenteCode, Period};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Entitlement {
    pub gemeente: Option<GemeenteCode>,
    pub opened: Option<EntitlementOpened>,
    /// Delivered, redeemed and approved.
    pub used_cents: Cents,
    /// Held by declarations not yet decided.
    pub held_cents: Cents,
    pub deliveries: Vec<DeliveryRecorded>,
    pub redemptions: Vec<PassRedeemed>,
    pub passes: Vec<Pass>,
    pub declarations: Vec<Declaration>,
    pub expired: Option<EntitlementExpired>,
}

/// A pass or voucher of the entitlement, with its code (kept in this service's store only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pass {
    pub code: String,
    pub issued: PassIssued,
    pub blocked: Option<PassBlocked>,
    /// Why it was blocked, sealed under the child's key.
    pub block_reason: Option<Sealed<Note>>,
}

/// A declaration with its proof and, once decided, the decision and a rejection's reason, the texts
/// sealed under the child's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declaration {
    pub submitted: DeclarationSubmitted,
    pub proof: Option<Sealed<Note>>,
    pub decided: Option<DeclarationDecided>,
    pub rejection_reason: Option<Sealed<Note>>,
}

impl Aggregate for Entitlement {
    const TYPE: &'static str = "entitlement";
    type Command = EntitlementCommand;
    type Event = EntitlementEvent;
    type Error = EntitlementError;
    type Services = ();

    async fn handle(
        &mut self,
        command: EntitlementCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), EntitlementError> {
        let events = match command {
            EntitlementCommand::Open(command) => self.open(command)?,
            EntitlementCommand::RecordDelivery(command) => self.record_delivery(command)?,
            EntitlementCommand::IssuePass(command) => self.issue_pass(command)?,
            EntitlementCommand::BlockPass(command) => self.block_pass(command)?,
            EntitlementCommand::RedeemPass(command) => self.redeem_pass(command)?,
            EntitlementCommand::GiveDiscount(command) => self.give_discount(command)?,
            EntitlementCommand::SubmitDeclaration(command) => self.submit_declaration(command)?,
            EntitlementCommand::DecideDeclaration(command) => self.decide_declaration(command)?,
            EntitlementCommand::Expire(command) => self.expire(command)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: EntitlementEvent) {
        match event {
            EntitlementEvent::Opened { gemeente, opened } => {
                self.gemeente = Some(gemeente);
                self.opened = Some(opened);
            }
            EntitlementEvent::Delivered(delivery) => {
                self.used_cents += delivery.amount_cents;
                self.deliveries.push(delivery);
            }
            EntitlementEvent::PassIssued { code, issued } => self.passes.push(Pass {
                code,
                issued,
                blocked: None,
                block_reason: None,
            }),
            EntitlementEvent::PassBlocked { blocked, reason } => {
                if let Some(pass) = self
                    .passes
                    .iter_mut()
                    .find(|pass| pass.issued.pass_id == blocked.pass_id)
                {
                    pass.blocked = Some(blocked);
                    pass.block_reason = reason;
                }
            }
            EntitlementEvent::PassRedeemed(redeemed) => {
                self.used_cents += redeemed.amount_cents;
                self.redemptions.push(redeemed);
            }
            EntitlementEvent::DeclarationSubmitted { submitted, proof } => {
                self.held_cents += submitted.amount_cents;
                self.declarations.push(Declaration {
                    submitted,
                    proof,
                    decided: None,
                    rejection_reason: None,
                });
            }
            EntitlementEvent::DeclarationDecided { decided, reason } => {
                self.held_cents -= decided.amount_cents;
                if decided.approved {
                    self.used_cents += decided.amount_cents;
                }
                if let Some(declaration) = self
                    .declarations
                    .iter_mut()
                    .find(|d| d.submitted.declaration_id == decided.declaration_id)
                {
                    declaration.decided = Some(decided);
                    declaration.rejection_reason = reason;
                }
            }
            EntitlementEvent::Expired(expired) => self.expired = Some(expired),
        }
    }
}

impl Tenanted for Entitlement {
    const NOT_FOUND: &'static str = "Dit recht bestaat niet in deze gemeente.";

    fn gemeente(&self) -> Option<&GemeenteCode> {
        self.gemeente.as_ref()
    }
}

/// What the entitlement is asked to do, one method per command; each returns the events to write.
impl Entitlement {
    fn open(&self, command: Open) -> Result<Vec<EntitlementEvent>, EntitlementError> {
        let same_terms = |existing: &EntitlementOpened| {
            *existing == command.opened && self.gemeente.as_ref() == Some(&command.gemeente)
        };
        if repeat_of(
            self.opened.as_ref(),
            same_terms,
            EntitlementError::OpenedDifferently,
        )? == Repeat::Again
        {
            return Ok(vec![]);
        }
        if !command.opened.amount_cents.is_positive() {
            return Err(EntitlementError::InvalidAmount);
        }
        let issued_on = command.opened_on.max(command.opened.valid_from);
        let pass = command
            .pass
            .map(|pass| Self::pass_issued(&command.opened, pass, issued_on, None));
        let opened = EntitlementEvent::Opened {
            gemeente: command.gemeente,
            opened: command.opened,
        };
        Ok(std::iter::once(opened).chain(pass).collect())
    }

    fn record_delivery(
        &self,
        command: RecordDelivery,
    ) -> Result<Vec<EntitlementEvent>, EntitlementError> {
        self.in_gemeente(&command.gemeente)?;
        // A retried request with the same delivery id is recorded once.
        let earlier = self
            .deliveries
            .iter()
            .find(|delivery| delivery.delivery_id == command.delivery_id);
        let spender = self.spender(command.child);
        let same = |earlier: &DeliveryRecorded| {
            earlier.partner == command.partner
                && earlier.amount_cents == command.amount_cents
                && earlier.form == command.form
                && Some(earlier.child) == spender
        };
        if repeat_of(earlier, same, EntitlementError::IdReused)? == Repeat::Again {
            return Ok(vec![]);
        }
        if matches!(
            command.form,
            DeliveryForm::Voucher | DeliveryForm::Declaration
        ) {
            return Err(EntitlementError::WrongRoute);
        }
        // A discount right is spent at the till, on the pass, at the percentage regie agreed with
        // the provider ([`Self::give_discount`]); never by an amount the provider types.
        if self
            .opened
            .as_ref()
            .is_some_and(|opened| opened.form == Some(DeliveryForm::Discount))
        {
            return Err(EntitlementError::DiscountAtTill);
        }
        if command
            .full_price_cents
            .is_some_and(|full| full < command.amount_cents)
        {
            return Err(EntitlementError::InvalidFullPrice);
        }
        let opened = self.open_for_spending(&command.gemeente, command.delivered_on)?;
        let child = self.may_spend(command.child)?;
        self.check_amount(command.amount_cents)?;
        Ok(vec![EntitlementEvent::Delivered(DeliveryRecorded {
            entitlement_id: opened.entitlement_id,
            delivery_id: command.delivery_id,
            child,
            provision: opened.provision.clone(),
            partner: command.partner,
            form: command.form,
            amount_cents: command.amount_cents,
            remaining_cents: self.remaining_cents() - command.amount_cents,
            delivered_on: command.delivered_on,
            full_price_cents: command
                .full_price_cents
                .filter(|_| command.form == DeliveryForm::Discount),
        })])
    }

    fn issue_pass(&self, command: IssuePass) -> Result<Vec<EntitlementEvent>, EntitlementError> {
        // The request carries nothing but the pass id (its code is fresh every time): a known id is
        // the same request again.
        let earlier = self
            .passes
            .iter()
            .find(|pass| pass.issued.pass_id == command.pass.pass_id);
        if repeat_of(earlier, |_| true, EntitlementError::IdReused)? == Repeat::Again {
            return Ok(vec![]);
        }
        let opened = self.in_gemeente(&command.gemeente)?;
        if let Some(expired) = &self.expired {
            return Err(EntitlementError::Expired(expired.expired_on));
        }
        if self.active_pass().is_some() {
            return Err(EntitlementError::PassAlreadyActive);
        }
        Ok(vec![Self::pass_issued(
            opened,
            command.pass,
            command.issued_on,
            None,
        )])
    }

    fn block_pass(&self, command: BlockPass) -> Result<Vec<EntitlementEvent>, EntitlementError> {
        let opened = self.in_gemeente(&command.gemeente)?;
        let pass = self
            .passes
            .iter()
            .find(|pass| pass.issued.pass_id == command.pass_id)
            .ok_or(EntitlementError::UnknownPass)?;
        // Blocked before: a retried request changes nothing, whatever reason it gives.
        if repeat_of(pass.blocked.as_ref(), |_| true, EntitlementError::IdReused)? == Repeat::Again
        {
            return Ok(vec![]);
        }
        if let Some(expired) = &self.expired {
            if command.replacement.is_some() {
                return Err(EntitlementError::Expired(expired.expired_on));
            }
        }
        let blocked = EntitlementEvent::PassBlocked {
            blocked: PassBlocked {
                entitlement_id: opened.entitlement_id,
                pass_id: command.pass_id,
                blocked_on: command.blocked_on,
            },
            reason: command.reason,
        };
        let replacement = command.replacement.map(|new_pass| {
            Self::pass_issued(opened, new_pass, command.blocked_on, Some(command.pass_id))
        });
        Ok(std::iter::once(blocked).chain(replacement).collect())
    }

    fn redeem_pass(&self, command: RedeemPass) -> Result<Vec<EntitlementEvent>, EntitlementError> {
        let opened = self
            .in_gemeente(&command.gemeente)
            .map_err(|_| EntitlementError::UnknownCode)?;
        let pass = self
            .passes
            .iter()
            .find(|pass| pass.code == command.code)
            .ok_or(EntitlementError::UnknownCode)?;
        let earlier = self
            .redemptions
            .iter()
            .find(|redemption| redemption.redemption_id == command.redemption_id);
        let spender = self.spender(command.child);
        let same = |earlier: &PassRedeemed| {
            earlier.partner == command.partner
                && earlier.amount_cents == command.amount_cents
                && earlier.pass_id == pass.issued.pass_id
                && Some(earlier.child) == spender
        };
        if repeat_of(earlier, same, EntitlementError::IdReused)? == Repeat::Again {
            return Ok(vec![]);
        }
        // The pass of a discount right is not redeemed for an amount the provider types: it gets
        // the agreed discount at the till ([`Self::give_discount`]).
        if opened.form == Some(DeliveryForm::Discount) {
            return Err(EntitlementError::DiscountAtTill);
        }
        if pass.blocked.is_some() {
            return Err(EntitlementError::PassBlocked);
        }
        if let Some(expired) = &self.expired {
            return Err(EntitlementError::PassExpired(expired.expired_on));
        }
        if command.redeemed_on > pass.issued.valid_until {
            return Err(EntitlementError::PassExpired(pass.issued.valid_until));
        }
        if command.redeemed_on < opened.valid_from {
            return Err(EntitlementError::OutsidePeriod(validity(opened)));
        }
        let child = self.may_spend(command.child)?;
        self.check_amount(command.amount_cents)?;
        Ok(vec![EntitlementEvent::PassRedeemed(PassRedeemed {
            entitlement_id: opened.entitlement_id,
            pass_id: pass.issued.pass_id,
            redemption_id: command.redemption_id,
            child,
            provision: opened.provision.clone(),
            partner: command.partner,
            amount_cents: command.amount_cents,
            remaining_cents: self.remaining_cents() - command.amount_cents,
            redeemed_on: command.redeemed_on,
        })])
    }

    fn give_discount(
        &self,
        command: GiveDiscount,
    ) -> Result<Vec<EntitlementEvent>, EntitlementError> {
        let opened = self
            .in_gemeente(&command.gemeente)
            .map_err(|_| EntitlementError::UnknownCode)?;
        let pass = self
            .pass_with_code(&command.code)
            .ok_or(EntitlementError::UnknownCode)?;
        // A retried purchase (the same id) is given once: same provider, same full price.
        let earlier = self
            .deliveries
            .iter()
            .find(|delivery| delivery.delivery_id == command.delivery_id);
        let same = |earlier: &DeliveryRecorded| {
            earlier.partner == command.partner
                && earlier.form == DeliveryForm::Discount
                && earlier.full_price_cents == Some(command.full_price_cents)
        };
        if repeat_of(earlier, same, EntitlementError::IdReused)? == Repeat::Again {
            return Ok(vec![]);
        }
        if opened.form != Some(DeliveryForm::Discount) {
            return Err(EntitlementError::NotADiscount);
        }
        if pass.blocked.is_some() {
            return Err(EntitlementError::PassBlocked);
        }
        if let Some(expired) = &self.expired {
            return Err(EntitlementError::PassExpired(expired.expired_on));
        }
        if command.given_on > pass.issued.valid_until {
            return Err(EntitlementError::PassExpired(pass.issued.valid_until));
        }
        if !validity(opened).contains(command.given_on) {
            return Err(EntitlementError::OutsidePeriod(validity(opened)));
        }
        if !command.full_price_cents.is_positive() {
            return Err(EntitlementError::NoFullPrice);
        }
        let remaining_cents = self.remaining_cents();
        if !remaining_cents.is_positive() {
            return Err(EntitlementError::DiscountUsedUp);
        }
        let mut amount_cents = command
            .full_price_cents
            .percent(u32::from(command.percent.min(100)))
            .min(remaining_cents);
        if let Some(max) = command.max_per_purchase_cents {
            amount_cents = amount_cents.min(max);
        }
        if !amount_cents.is_positive() {
            return Err(EntitlementError::NoDiscountOnPrice);
        }
        Ok(vec![EntitlementEvent::Delivered(DeliveryRecorded {
            entitlement_id: opened.entitlement_id,
            delivery_id: command.delivery_id,
            child: opened.child,
            provision: opened.provision.clone(),
            partner: command.partner,
            form: DeliveryForm::Discount,
            amount_cents,
            remaining_cents: remaining_cents - amount_cents,
            delivered_on: command.given_on,
            full_price_cents: Some(command.full_price_cents),
        })])
    }

    fn submit_declaration(
        &self,
        command: SubmitDeclaration,
    ) -> Result<Vec<EntitlementEvent>, EntitlementError> {
        self.in_gemeente(&command.gemeente)?;
        let earlier = self
            .declarations
            .iter()
            .map(|declaration| &declaration.submitted)
            .find(|submitted| submitted.declaration_id == command.declaration_id);
        // The proof is sealed afresh for every request, so a retry is known by who submitted what
        // amount; its proof is not compared.
        let spender = self.spender(command.child);
        let same = |earlier: &DeclarationSubmitted| {
            earlier.submitted_by == command.submitted_by
                && earlier.amount_cents == command.amount_cents
                && Some(earlier.child) == spender
        };
        if repeat_of(earlier, same, EntitlementError::IdReused)? == Repeat::Again {
            return Ok(vec![]);
        }
        let Some(proof) = command.proof else {
            return Err(EntitlementError::MissingProof);
        };
        let opened = self.open_for_spending(&command.gemeente, command.submitted_on)?;
        let child = self.may_spend(command.child)?;
        self.check_amount(command.amount_cents)?;
        Ok(vec![EntitlementEvent::DeclarationSubmitted {
            submitted: DeclarationSubmitted {
                entitlement_id: opened.entitlement_id,
                declaration_id: command.declaration_id,
                child,
                provision: opened.provision.clone(),
                submitted_by: command.submitted_by,
                amount_cents: command.amount_cents,
                submitted_on: command.submitted_on,
            },
            proof: Some(proof),
        }])
    }

    fn decide_declaration(
        &self,
        command: DecideDeclaration,
    ) -> Result<Vec<EntitlementEvent>, EntitlementError> {
        let opened = self.in_gemeente(&command.gemeente)?;
        let declaration = self
            .declarations
            .iter()
            .find(|declaration| declaration.submitted.declaration_id == command.declaration_id)
            .ok_or(EntitlementError::UnknownDeclaration)?;
        // The same decision again changes nothing; the other one is refused.
        let same = |earlier: &DeclarationDecided| earlier.approved == command.approved;
        if repeat_of(
            declaration.decided.as_ref(),
            same,
            EntitlementError::DeclarationAlreadyDecided,
        )? == Repeat::Again
        {
            return Ok(vec![]);
        }
        // An approval keeps no reason; a rejection needs one (the submitter reads it).
        let reason = command.reason.filter(|_| !command.approved);
        if !command.approved && reason.is_none() {
            return Err(EntitlementError::MissingRejectionReason);
        }
        let submitted = &declaration.submitted;
        Ok(vec![EntitlementEvent::DeclarationDecided {
            decided: DeclarationDecided {
                entitlement_id: opened.entitlement_id,
                declaration_id: command.declaration_id,
                // The child that spent: the one the declaration was submitted for.
                child: submitted.child,
                provision: opened.provision.clone(),
                submitted_by: submitted.submitted_by.clone(),
                approved: command.approved,
                amount_cents: submitted.amount_cents,
                funding: if command.approved {
                    opened.funding_of(submitted.amount_cents)
                } else {
                    vec![]
                },
                decided_on: command.decided_on,
            },
            reason,
        }])
    }

    fn expire(&self, command: Expire) -> Result<Vec<EntitlementEvent>, EntitlementError> {
        let opened = self.in_gemeente(&command.gemeente)?;
        if self.expired.is_some() {
            // Expired before (by the job or by hand): nothing more to record.
            return Ok(vec![]);
        }
        if command.on <= opened.valid_until {
            return Err(EntitlementError::NotYetExpired(opened.valid_until));
        }
        Ok(vec![EntitlementEvent::Expired(EntitlementExpired {
            entitlement_id: opened.entitlement_id,
            child: opened.child,
            provision: opened.provision.clone(),
            amount_cents: opened.amount_cents,
            used_cents: self.used_cents,
            held_cents: self.held_cents,
            unused_cents: self.remaining_cents(),
            expired_on: command.on,
        })])
    }
}

/// What readers and the rules ask of an entitlement.
impl Entitlement {
    /// What can still be spent: granted minus used minus held.
    pub fn remaining_cents(&self) -> Cents {
        self.opened.as_ref().map_or(Cents::ZERO, |opened| {
            opened.amount_cents - self.used_cents - self.held_cents
        })
    }

    /// The value of one unit, when the entitlement is a count (strippenkaart).
    pub fn unit_value_cents(&self) -> Option<Cents> {
        self.opened
            .as_ref()
            .and_then(|opened| opened.unit_value_cents)
            .filter(|unit| unit.is_positive())
    }

    /// For a strippenkaart: how many whole units are left.
    pub fn remaining_units(&self) -> Option<i64> {
        self.unit_value_cents()
            .map(|unit| self.remaining_cents().get() / unit.get())
    }

    /// The pass that can be used now, if any.
    pub fn active_pass(&self) -> Option<&Pass> {
        self.passes.iter().find(|pass| pass.blocked.is_none())
    }

    /// The pass with this code, if the entitlement has one.
    pub fn pass_with_code(&self, code: &str) -> Option<&Pass> {
        self.passes.iter().find(|pass| pass.code == code)
    }

    /// The entitlement as opened, when it was opened in `gemeente`.
    fn in_gemeente(&self, gemeente: &GemeenteCode) -> Result<&EntitlementOpened, EntitlementError> {
        match (&self.gemeente, &self.opened) {
            (Some(own), Some(opened)) if own == gemeente => Ok(opened),
            _ => Err(EntitlementError::NotFound),
        }
    }

    /// The entitlement as opened, when something may be spent on it on `on`.
    fn open_for_spending(
        &self,
        gemeente: &GemeenteCode,
        on: Date,
    ) -> Result<&EntitlementOpened, EntitlementError> {
        let opened = self.in_gemeente(gemeente)?;
        if let Some(expired) = &self.expired {
            return Err(EntitlementError::Expired(expired.expired_on));
        }
        let validity = validity(opened);
        if !validity.contains(on) {
            return Err(EntitlementError::OutsidePeriod(validity));
        }
        Ok(opened)
    }

    /// The child a spending command names, or the first child when it names none; `None` before
    /// the entitlement was opened.
    fn spender(&self, child: Option<ChildRef>) -> Option<ChildRef> {
        child.or_else(|| self.opened.as_ref().map(|opened| opened.child))
    }

    /// The child that spends: the one named, when it may spend this entitlement (one of a
    /// household budget's children, or a child's own entitlement's child), else the first child.
    fn may_spend(&self, child: Option<ChildRef>) -> Result<ChildRef, EntitlementError> {
        let opened = self.opened.as_ref().ok_or(EntitlementError::NotFound)?;
        match child {
            None => Ok(opened.child),
            Some(child) if opened.may_spend(child) => Ok(child),
            Some(_) => Err(EntitlementError::NotInHousehold),
        }
    }

    /// Whether `amount_cents` may be spent: positive, in whole units of a strippenkaart, and no more
    /// than what is left.
    fn check_amount(&self, amount_cents: Cents) -> Result<(), EntitlementError> {
        if !amount_cents.is_positive() {
            return Err(EntitlementError::InvalidAmount);
        }
        if let Some(unit) = self.unit_value_cents() {
            if amount_cents.get() % unit.get() != 0 {
                return Err(EntitlementError::NotWholeUnits(unit));
            }
        }
        let remaining_cents = self.remaining_cents();
        if amount_cents > remaining_cents {
            return Err(EntitlementError::Overspent { remaining_cents });
        }
        Ok(())
    }

    fn pass_issued(
        opened: &EntitlementOpened,
        pass: NewPass,
        issued_on: Date,
        replaces: Option<Uuid>,
    ) -> EntitlementEvent {
        EntitlementEvent::PassIssued {
            issued: PassIssued {
                entitlement_id: opened.entitlement_id,
                pass_id: pass.pass_id,
                child: opened.child,
                provision: opened.provision.clone(),
                code_hint: code::hint(&pass.code),
                issued_on,
                valid_until: opened.valid_until,
                replaces,
            },
            code: pass.code,
        }
    }
}

/// The days the entitlement may be spent on.
fn validity(opened: &EntitlementOpened) -> Period {
    Period {
        from: opened.valid_from,
        until: opened.valid_until,
    }
}

#[cfg(test)]
mod tests;
