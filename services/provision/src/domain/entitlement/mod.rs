//! An entitlement: one child's right to one provision for a period, and everything spent against it:
//! deliveries in kind and discounts, redemptions of its pass, declarations (held while undecided).
//! Its invariant: delivered + redeemed + approved + held never exceeds the amount granted.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use kindpakket_platform::http::{Rejection, RejectionKind};
use kindpakket_proto::provision::{
    DeclarationDecided, DeclarationSubmitted, DeliveryRecorded, EntitlementExpired,
    EntitlementOpened, PassBlocked, PassIssued, PassRedeemed,
};
use kindpakket_proto::regie::DeliveryForm;
use kindpakket_proto::{GemeenteCode, OrganisationId};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

pub mod code;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Entitlement {
    pub gemeente: Option<GemeenteCode>,
    pub opened: Option<EntitlementOpened>,
    /// Delivered, redeemed and approved.
    pub used_cents: i64,
    /// Held by declarations not yet decided.
    pub held_cents: i64,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declaration {
    pub submitted: DeclarationSubmitted,
    pub decided: Option<DeclarationDecided>,
}

/// A new pass: its id and its code, chosen by the caller (the code is random and registered first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPass {
    pub pass_id: Uuid,
    pub code: String,
}

#[derive(Debug, Clone)]
pub enum EntitlementCommand {
    /// Opens the entitlement (with a pass when it is delivered as a voucher); opening it again with the
    /// same terms changes nothing (a redelivered grant must not fail).
    Open {
        gemeente: GemeenteCode,
        opened: EntitlementOpened,
        pass: Option<NewPass>,
        opened_on: Date,
    },
    RecordDelivery {
        gemeente: GemeenteCode,
        delivery_id: Uuid,
        partner: OrganisationId,
        form: DeliveryForm,
        amount_cents: i64,
        full_price_cents: Option<i64>,
        delivered_on: Date,
    },
    IssuePass {
        gemeente: GemeenteCode,
        pass: NewPass,
        issued_on: Date,
    },
    BlockPass {
        gemeente: GemeenteCode,
        pass_id: Uuid,
        reason: String,
        blocked_on: Date,
        replacement: Option<NewPass>,
    },
    RedeemPass {
        gemeente: GemeenteCode,
        code: String,
        redemption_id: Uuid,
        partner: OrganisationId,
        amount_cents: i64,
        redeemed_on: Date,
    },
    SubmitDeclaration {
        gemeente: GemeenteCode,
        declaration_id: Uuid,
        submitted_by: OrganisationId,
        amount_cents: i64,
        proof_reference: String,
        submitted_on: Date,
    },
    DecideDeclaration {
        gemeente: GemeenteCode,
        declaration_id: Uuid,
        approved: bool,
        reason: Option<String>,
        decided_on: Date,
    },
    /// Ends the entitlement after its period: nothing can be spent on it any more.
    Expire { gemeente: GemeenteCode, on: Date },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EntitlementEvent {
    Opened {
        gemeente: GemeenteCode,
        opened: EntitlementOpened,
    },
    Delivered(DeliveryRecorded),
    PassIssued {
        code: String,
        issued: PassIssued,
    },
    PassBlocked(PassBlocked),
    PassRedeemed(PassRedeemed),
    DeclarationSubmitted(DeclarationSubmitted),
    DeclarationDecided(DeclarationDecided),
    Expired(EntitlementExpired),
}

impl DomainEvent for EntitlementEvent {
    fn event_type(&self) -> String {
        match self {
            EntitlementEvent::Opened { .. } => "Opened",
            EntitlementEvent::Delivered(_) => "Delivered",
            EntitlementEvent::PassIssued { .. } => "PassIssued",
            EntitlementEvent::PassBlocked(_) => "PassBlocked",
            EntitlementEvent::PassRedeemed(_) => "PassRedeemed",
            EntitlementEvent::DeclarationSubmitted(_) => "DeclarationSubmitted",
            EntitlementEvent::DeclarationDecided(_) => "DeclarationDecided",
            EntitlementEvent::Expired(_) => "Expired",
        }
        .to_owned()
    }
    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntitlementError {
    #[error("Dit recht bestaat niet in deze gemeente.")]
    NotFound,
    #[error("Dit recht is al geopend met andere voorwaarden.")]
    OpenedDifferently,
    #[error("Het bedrag moet groter zijn dan 0 cent.")]
    InvalidAmount,
    #[error("Het bedrag is hoger dan wat er op dit recht over is ({remaining_cents} cent). Er is niets afgeboekt.")]
    Overspent { remaining_cents: i64 },
    #[error("De datum valt buiten de geldigheid van het recht ({valid_from} tot en met {valid_until}). Er is niets afgeboekt.")]
    OutsidePeriod { valid_from: Date, valid_until: Date },
    #[error("Deze verstrekking, verzilvering of declaratie is al vastgelegd met andere gegevens.")]
    IdReused,
    #[error("Dit recht is verlopen op {0}. Er kan niets meer op worden afgeboekt.")]
    Expired(Date),
    #[error("Een tegoedbon of pas wordt verzilverd met zijn code, en een declaratie wordt ingediend met een bewijs; leg die niet vast als verstrekking.")]
    WrongRoute,
    #[error("Bij korting is de volledige prijs ten minste even hoog als de gegeven korting.")]
    InvalidFullPrice,
    #[error("Er is al een geldige pas voor dit recht. Blokkeer die eerst als hij kwijt is.")]
    PassAlreadyActive,
    #[error("Deze pas bestaat niet bij dit recht.")]
    UnknownPass,
    #[error("Deze pascode is onbekend. Er is niets afgeboekt.")]
    UnknownCode,
    #[error("Deze pas is geblokkeerd ({0}). Er is niets afgeboekt.")]
    PassBlocked(String),
    #[error("Deze pas is verlopen op {0}. Er is niets afgeboekt.")]
    PassExpired(Date),
    #[error("Geef de reden van de blokkering op.")]
    MissingBlockReason,
    #[error("Een declaratie heeft een bewijs nodig: vul het nummer of kenmerk van de kassabon, factuur of offerte in. Er is niets afgeboekt.")]
    MissingProof,
    #[error("Deze declaratie bestaat niet bij dit recht.")]
    UnknownDeclaration,
    #[error("Over deze declaratie is al besloten.")]
    DeclarationAlreadyDecided,
    #[error("Geef de reden van de afwijzing op; de indiener leest die.")]
    MissingRejectionReason,
    #[error("Dit recht loopt nog tot en met {0}; het verloopt pas daarna.")]
    NotYetExpired(Date),
    #[error("Dit recht is een strippenkaart: er wordt per hele strip van {0} cent afgeboekt. Er is niets afgeboekt.")]
    NotWholeUnits(i64),
}

impl Rejection for EntitlementError {
    fn kind(&self) -> RejectionKind {
        match self {
            EntitlementError::NotFound
            | EntitlementError::UnknownPass
            | EntitlementError::UnknownCode
            | EntitlementError::UnknownDeclaration => RejectionKind::NotFound,
            EntitlementError::OpenedDifferently
            | EntitlementError::Overspent { .. }
            | EntitlementError::IdReused
            | EntitlementError::Expired(_)
            | EntitlementError::PassAlreadyActive
            | EntitlementError::PassBlocked(_)
            | EntitlementError::PassExpired(_)
            | EntitlementError::DeclarationAlreadyDecided => RejectionKind::Conflict,
            _ => RejectionKind::Invalid,
        }
    }
}

impl Entitlement {
    /// What can still be spent: granted minus used minus held.
    pub fn remaining_cents(&self) -> i64 {
        self.opened.as_ref().map_or(0, |opened| {
            opened.amount_cents - self.used_cents - self.held_cents
        })
    }

    pub fn in_gemeente(&self, gemeente: &GemeenteCode) -> Option<&EntitlementOpened> {
        match (&self.gemeente, &self.opened) {
            (Some(own), Some(opened)) if own == gemeente => Some(opened),
            _ => None,
        }
    }

    /// The value of one unit, when the entitlement is a count (strippenkaart).
    pub fn unit_value_cents(&self) -> Option<i64> {
        self.opened
            .as_ref()
            .and_then(|opened| opened.unit_value_cents)
            .filter(|unit| *unit > 0)
    }

    /// The pass that can be used now, if any.
    pub fn active_pass(&self) -> Option<&Pass> {
        self.passes.iter().find(|pass| pass.blocked.is_none())
    }

    fn open_for_spending(
        &self,
        gemeente: &GemeenteCode,
        on: Date,
    ) -> Result<EntitlementOpened, EntitlementError> {
        let opened = self
            .in_gemeente(gemeente)
            .ok_or(EntitlementError::NotFound)?
            .clone();
        if let Some(expired) = &self.expired {
            return Err(EntitlementError::Expired(expired.expired_on));
        }
        if on < opened.valid_from || on > opened.valid_until {
            return Err(EntitlementError::OutsidePeriod {
                valid_from: opened.valid_from,
                valid_until: opened.valid_until,
            });
        }
        Ok(opened)
    }

    fn check_amount(&self, amount_cents: i64) -> Result<(), EntitlementError> {
        if amount_cents <= 0 {
            return Err(EntitlementError::InvalidAmount);
        }
        if let Some(unit) = self.unit_value_cents() {
            if amount_cents % unit != 0 {
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
        match command {
            EntitlementCommand::Open {
                gemeente,
                opened,
                pass,
                opened_on,
            } => {
                if let Some(existing) = &self.opened {
                    return if *existing == opened && self.gemeente.as_ref() == Some(&gemeente) {
                        Ok(())
                    } else {
                        Err(EntitlementError::OpenedDifferently)
                    };
                }
                if opened.amount_cents <= 0 {
                    return Err(EntitlementError::InvalidAmount);
                }
                let pass_event = pass.map(|pass| {
                    Self::pass_issued(&opened, pass, opened_on.max(opened.valid_from), None)
                });
                sink.write(EntitlementEvent::Opened { gemeente, opened }, self)
                    .await;
                if let Some(event) = pass_event {
                    sink.write(event, self).await;
                }
            }
            EntitlementCommand::RecordDelivery {
                gemeente,
                delivery_id,
                partner,
                form,
                amount_cents,
                full_price_cents,
                delivered_on,
            } => {
                self.in_gemeente(&gemeente)
                    .ok_or(EntitlementError::NotFound)?;
                if let Some(existing) = self
                    .deliveries
                    .iter()
                    .find(|d| d.delivery_id == delivery_id)
                {
                    // A retried request with the same delivery id is recorded once.
                    let same = existing.partner == partner
                        && existing.amount_cents == amount_cents
                        && existing.form == form;
                    return if same {
                        Ok(())
                    } else {
                        Err(EntitlementError::IdReused)
                    };
                }
                if matches!(form, DeliveryForm::Voucher | DeliveryForm::Declaration) {
                    return Err(EntitlementError::WrongRoute);
                }
                if full_price_cents.is_some_and(|full| full < amount_cents) {
                    return Err(EntitlementError::InvalidFullPrice);
                }
                let opened = self.open_for_spending(&gemeente, delivered_on)?;
                self.check_amount(amount_cents)?;
                let event = DeliveryRecorded {
                    entitlement_id: opened.entitlement_id,
                    delivery_id,
                    child: opened.child,
                    provision: opened.provision.clone(),
                    partner,
                    form,
                    amount_cents,
                    remaining_cents: self.remaining_cents() - amount_cents,
                    delivered_on,
                    full_price_cents: full_price_cents.filter(|_| form == DeliveryForm::Discount),
                };
                sink.write(EntitlementEvent::Delivered(event), self).await;
            }
            EntitlementCommand::IssuePass {
                gemeente,
                pass,
                issued_on,
            } => {
                if self.passes.iter().any(|p| p.issued.pass_id == pass.pass_id) {
                    return Ok(());
                }
                let opened = self
                    .in_gemeente(&gemeente)
                    .ok_or(EntitlementError::NotFound)?
                    .clone();
                if let Some(expired) = &self.expired {
                    return Err(EntitlementError::Expired(expired.expired_on));
                }
                if self.active_pass().is_some() {
                    return Err(EntitlementError::PassAlreadyActive);
                }
                let event = Self::pass_issued(&opened, pass, issued_on, None);
                sink.write(event, self).await;
            }
            EntitlementCommand::BlockPass {
                gemeente,
                pass_id,
                reason,
                blocked_on,
                replacement,
            } => {
                let opened = self
                    .in_gemeente(&gemeente)
                    .ok_or(EntitlementError::NotFound)?
                    .clone();
                let pass = self
                    .passes
                    .iter()
                    .find(|p| p.issued.pass_id == pass_id)
                    .ok_or(EntitlementError::UnknownPass)?;
                if pass.blocked.is_some() {
                    // Blocked before: a retried request changes nothing.
                    return Ok(());
                }
                let reason = reason.trim().to_owned();
                if reason.is_empty() {
                    return Err(EntitlementError::MissingBlockReason);
                }
                if let Some(expired) = &self.expired {
                    if replacement.is_some() {
                        return Err(EntitlementError::Expired(expired.expired_on));
                    }
                }
                sink.write(
                    EntitlementEvent::PassBlocked(PassBlocked {
                        entitlement_id: opened.entitlement_id,
                        pass_id,
                        reason,
                        blocked_on,
                    }),
                    self,
                )
                .await;
                if let Some(new_pass) = replacement {
                    let event = Self::pass_issued(&opened, new_pass, blocked_on, Some(pass_id));
                    sink.write(event, self).await;
                }
            }
            EntitlementCommand::RedeemPass {
                gemeente,
                code,
                redemption_id,
                partner,
                amount_cents,
                redeemed_on,
            } => {
                let opened = self
                    .in_gemeente(&gemeente)
                    .ok_or(EntitlementError::UnknownCode)?
                    .clone();
                let pass = self
                    .passes
                    .iter()
                    .find(|p| p.code == code)
                    .ok_or(EntitlementError::UnknownCode)?
                    .clone();
                if let Some(existing) = self
                    .redemptions
                    .iter()
                    .find(|r| r.redemption_id == redemption_id)
                {
                    let same = existing.partner == partner
                        && existing.amount_cents == amount_cents
                        && existing.pass_id == pass.issued.pass_id;
                    return if same {
                        Ok(())
                    } else {
                        Err(EntitlementError::IdReused)
                    };
                }
                if let Some(blocked) = &pass.blocked {
                    return Err(EntitlementError::PassBlocked(blocked.reason.clone()));
                }
                if let Some(expired) = &self.expired {
                    return Err(EntitlementError::PassExpired(expired.expired_on));
                }
                if redeemed_on > pass.issued.valid_until {
                    return Err(EntitlementError::PassExpired(pass.issued.valid_until));
                }
                if redeemed_on < opened.valid_from {
                    return Err(EntitlementError::OutsidePeriod {
                        valid_from: opened.valid_from,
                        valid_until: opened.valid_until,
                    });
                }
                self.check_amount(amount_cents)?;
                let event = PassRedeemed {
                    entitlement_id: opened.entitlement_id,
                    pass_id: pass.issued.pass_id,
                    redemption_id,
                    child: opened.child,
                    provision: opened.provision.clone(),
                    partner,
                    amount_cents,
                    remaining_cents: self.remaining_cents() - amount_cents,
                    redeemed_on,
                };
                sink.write(EntitlementEvent::PassRedeemed(event), self)
                    .await;
            }
            EntitlementCommand::SubmitDeclaration {
                gemeente,
                declaration_id,
                submitted_by,
                amount_cents,
                proof_reference,
                submitted_on,
            } => {
                self.in_gemeente(&gemeente)
                    .ok_or(EntitlementError::NotFound)?;
                let proof_reference = proof_reference.trim().to_owned();
                if let Some(existing) = self
                    .declarations
                    .iter()
                    .find(|d| d.submitted.declaration_id == declaration_id)
                {
                    let same = existing.submitted.submitted_by == submitted_by
                        && existing.submitted.amount_cents == amount_cents
                        && existing.submitted.proof_reference == proof_reference;
                    return if same {
                        Ok(())
                    } else {
                        Err(EntitlementError::IdReused)
                    };
                }
                if proof_reference.is_empty() {
                    return Err(EntitlementError::MissingProof);
                }
                let opened = self.open_for_spending(&gemeente, submitted_on)?;
                self.check_amount(amount_cents)?;
                let event = DeclarationSubmitted {
                    entitlement_id: opened.entitlement_id,
                    declaration_id,
                    child: opened.child,
                    provision: opened.provision.clone(),
                    submitted_by,
                    amount_cents,
                    proof_reference,
                    submitted_on,
                };
                sink.write(EntitlementEvent::DeclarationSubmitted(event), self)
                    .await;
            }
            EntitlementCommand::DecideDeclaration {
                gemeente,
                declaration_id,
                approved,
                reason,
                decided_on,
            } => {
                let opened = self
                    .in_gemeente(&gemeente)
                    .ok_or(EntitlementError::NotFound)?
                    .clone();
                let declaration = self
                    .declarations
                    .iter()
                    .find(|d| d.submitted.declaration_id == declaration_id)
                    .ok_or(EntitlementError::UnknownDeclaration)?;
                if let Some(decided) = &declaration.decided {
                    return if decided.approved == approved {
                        Ok(())
                    } else {
                        Err(EntitlementError::DeclarationAlreadyDecided)
                    };
                }
                let reason = reason
                    .map(|reason| reason.trim().to_owned())
                    .filter(|reason| !reason.is_empty());
                if !approved && reason.is_none() {
                    return Err(EntitlementError::MissingRejectionReason);
                }
                let submitted = &declaration.submitted;
                let event = DeclarationDecided {
                    entitlement_id: opened.entitlement_id,
                    declaration_id,
                    child: opened.child,
                    provision: opened.provision.clone(),
                    submitted_by: submitted.submitted_by.clone(),
                    approved,
                    amount_cents: submitted.amount_cents,
                    reason,
                    funding: if approved {
                        opened.funding_of(submitted.amount_cents)
                    } else {
                        vec![]
                    },
                    decided_on,
                };
                sink.write(EntitlementEvent::DeclarationDecided(event), self)
                    .await;
            }
            EntitlementCommand::Expire { gemeente, on } => {
                let opened = self
                    .in_gemeente(&gemeente)
                    .ok_or(EntitlementError::NotFound)?
                    .clone();
                if self.expired.is_some() {
                    return Ok(());
                }
                if on <= opened.valid_until {
                    return Err(EntitlementError::NotYetExpired(opened.valid_until));
                }
                let event = EntitlementExpired {
                    entitlement_id: opened.entitlement_id,
                    child: opened.child,
                    provision: opened.provision.clone(),
                    amount_cents: opened.amount_cents,
                    used_cents: self.used_cents,
                    held_cents: self.held_cents,
                    unused_cents: self.remaining_cents(),
                    expired_on: on,
                };
                sink.write(EntitlementEvent::Expired(event), self).await;
            }
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
            }),
            EntitlementEvent::PassBlocked(blocked) => {
                if let Some(pass) = self
                    .passes
                    .iter_mut()
                    .find(|pass| pass.issued.pass_id == blocked.pass_id)
                {
                    pass.blocked = Some(blocked);
                }
            }
            EntitlementEvent::PassRedeemed(redeemed) => {
                self.used_cents += redeemed.amount_cents;
                self.redemptions.push(redeemed);
            }
            EntitlementEvent::DeclarationSubmitted(submitted) => {
                self.held_cents += submitted.amount_cents;
                self.declarations.push(Declaration {
                    submitted,
                    decided: None,
                });
            }
            EntitlementEvent::DeclarationDecided(decided) => {
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
                }
            }
            EntitlementEvent::Expired(expired) => self.expired = Some(expired),
        }
    }
}

#[cfg(test)]
mod tests;
