//! An invoice: a partner's deliveries and redemptions of one period, and regie's decision per line.
//! Which deliveries an invoice lists is decided under a lock per partner ([`crate::invoicing`]), so no
//! delivery is ever on two invoices.

mod commands;
mod error;
mod events;

pub use commands::{InvoiceCommand, IssueCreditNote, LineDecision, SettleInvoice, SubmitInvoice};
pub use error::InvoiceError;
pub use events::{InvoiceEvent, EVENT_VERSION};

use std::collections::{BTreeMap, HashMap, HashSet};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_platform::free_text::Note;
use kindpakket_platform::idempotency::{repeat_of, Repeat};
use kindpakket_platform::shredding::Sealed;
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::provision::{
    CreditNoteIssued, CreditedLine, InvoiceSettled, InvoiceSubmitted, SettledLine,
};
use kindpakket_proto::{Cents, GemeenteCode, OrganisationId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Invoice {
    pub gemeente: Option<GemeenteCode>,
    pub submitted: Option<InvoiceSubmitted>,
    /// The decision per line: approved or not.
    pub decisions: HashMap<Uuid, SettledLine>,
    /// The reason of each rejected line, sealed under its child's key.
    pub reasons: HashMap<Uuid, Sealed<Note>>,
    /// The credit notes the partner issued, oldest first.
    #[serde(default)]
    pub credit_notes: Vec<CreditNoteIssued>,
}

impl Aggregate for Invoice {
    const TYPE: &'static str = "invoice";
    type Command = InvoiceCommand;
    type Event = InvoiceEvent;
    type Error = InvoiceError;
    type Services = ();

    async fn handle(
        &mut self,
        command: InvoiceCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), InvoiceError> {
        let events = match command {
            InvoiceCommand::Submit(command) => self.submit(command)?,
            InvoiceCommand::Settle(command) => self.settle(command)?,
            InvoiceCommand::IssueCreditNote(command) => self.issue_credit_note(command)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: InvoiceEvent) {
        match event {
            InvoiceEvent::InvoiceSubmitted { gemeente, invoice } => {
                self.gemeente = Some(gemeente);
                self.submitted = Some(invoice);
            }
            InvoiceEvent::InvoiceSettled { settled, reasons } => {
                for line in settled.lines {
                    self.decisions.insert(line.delivery_id, line);
                }
                self.reasons.extend(reasons);
            }
            InvoiceEvent::CreditNoteIssued(issued) => self.credit_notes.push(issued),
        }
    }
}

impl Tenanted for Invoice {
    const NOT_FOUND: &'static str = "Deze factuur bestaat niet in deze gemeente.";

    fn gemeente(&self) -> Option<&GemeenteCode> {
        self.gemeente.as_ref()
    }
}

impl Invoice {
    fn submit(&self, command: SubmitInvoice) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        if self.submitted.is_some() {
            return Err(InvoiceError::AlreadySubmitted);
        }
        if command.lines.is_empty() {
            return Err(InvoiceError::NothingToInvoice);
        }
        let invoice = InvoiceSubmitted {
            invoice_id: command.invoice_id,
            partner: command.partner,
            period_from: command.period.from,
            period_until: command.period.until,
            total_cents: command.lines.iter().map(|line| line.amount_cents).sum(),
            lines: command.lines,
        };
        Ok(vec![InvoiceEvent::InvoiceSubmitted {
            gemeente: command.gemeente,
            invoice,
        }])
    }

    fn settle(&self, command: SettleInvoice) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        let invoice = self.in_gemeente(&command.gemeente)?;
        if command.lines.is_empty() {
            return Err(InvoiceError::NoLines);
        }
        let mut seen = HashSet::new();
        let mut settled = Vec::new();
        let mut reasons = BTreeMap::new();
        for (index, decision) in command.lines.into_iter().enumerate() {
            // Named by its place in the request: a refusal never repeats the id the caller sent.
            let place = index + 1;
            if !seen.insert(decision.delivery_id) {
                return Err(InvoiceError::DuplicateLine(place));
            }
            let line = invoice
                .lines
                .iter()
                .find(|line| line.delivery_id == decision.delivery_id)
                .ok_or(InvoiceError::UnknownLine(place))?;
            // An approval keeps no reason; a rejection needs one (the partner reads it).
            let reason = decision.reason.filter(|_| !decision.approved);
            // The same decision again (a retried request) changes nothing; the other is refused.
            let earlier = self.decisions.get(&decision.delivery_id);
            let same = |earlier: &SettledLine| earlier.approved == decision.approved;
            let reused = InvoiceError::LineAlreadyDecided(place);
            if repeat_of(earlier, same, reused)? == Repeat::Again {
                continue;
            }
            if !decision.approved && reason.is_none() {
                return Err(InvoiceError::MissingReason(place));
            }
            if let Some(reason) = reason {
                reasons.insert(line.delivery_id, reason);
            }
            settled.push(SettledLine {
                delivery_id: line.delivery_id,
                entitlement_id: line.entitlement_id,
                child: line.child,
                provision: line.provision.clone(),
                approved: decision.approved,
                amount_cents: line.amount_cents,
                delivered_on: line.delivered_on,
                funding: if decision.approved {
                    line.funding.clone()
                } else {
                    vec![]
                },
            });
        }
        if settled.is_empty() {
            return Ok(vec![]);
        }
        let complete = self.decisions.len() + settled.len() == invoice.lines.len();
        Ok(vec![InvoiceEvent::InvoiceSettled {
            settled: InvoiceSettled {
                invoice_id: invoice.invoice_id,
                partner: invoice.partner.clone(),
                lines: settled,
                complete,
                settled_on: command.settled_on,
            },
            reasons,
        }])
    }

    fn issue_credit_note(
        &self,
        command: IssueCreditNote,
    ) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        let invoice = self.in_gemeente(&command.gemeente)?;
        // Another partner's invoice does not exist for it.
        if invoice.partner != command.partner {
            return Err(InvoiceError::NotFound);
        }
        // The same credit note again (a retried request) changes nothing; its id with other lines
        // is refused.
        let earlier = self
            .credit_notes
            .iter()
            .find(|note| note.credit_note_id == command.credit_note_id);
        let same = |earlier: &CreditNoteIssued| {
            earlier.lines.len() == command.lines.len()
                && earlier
                    .lines
                    .iter()
                    .zip(&command.lines)
                    .all(|(line, id)| line.delivery_id == *id)
        };
        if repeat_of(earlier, same, InvoiceError::CreditNoteReused)? == Repeat::Again {
            return Ok(vec![]);
        }
        if command.lines.is_empty() {
            return Err(InvoiceError::NoLines);
        }
        let mut seen = HashSet::new();
        let mut lines = Vec::with_capacity(command.lines.len());
        for (index, delivery_id) in command.lines.iter().enumerate() {
            // Named by its place in the request: a refusal never repeats the id the caller sent.
            let place = index + 1;
            if !seen.insert(*delivery_id) {
                return Err(InvoiceError::DuplicateCreditLine(place));
            }
            let line = invoice
                .lines
                .iter()
                .find(|line| line.delivery_id == *delivery_id)
                .ok_or(InvoiceError::UnknownCreditLine(place))?;
            if self.is_credited(*delivery_id) {
                return Err(InvoiceError::AlreadyCredited(place));
            }
            match self.decisions.get(delivery_id) {
                None => return Err(InvoiceError::UndecidedLine(place)),
                Some(decided) if decided.approved => return Err(InvoiceError::ApprovedLine(place)),
                Some(_) => {}
            }
            lines.push(CreditedLine {
                delivery_id: line.delivery_id,
                entitlement_id: line.entitlement_id,
                child: line.child,
                provision: line.provision.clone(),
                amount_cents: line.amount_cents,
            });
        }
        Ok(vec![InvoiceEvent::CreditNoteIssued(CreditNoteIssued {
            invoice_id: invoice.invoice_id,
            credit_note_id: command.credit_note_id,
            partner: invoice.partner.clone(),
            total_cents: lines.iter().map(|line| line.amount_cents).sum(),
            lines,
            issued_on: command.issued_on,
        })])
    }

    /// Whether a credit note credited the line of this delivery.
    pub fn is_credited(&self, delivery_id: Uuid) -> bool {
        self.credit_notes
            .iter()
            .flat_map(|note| &note.lines)
            .any(|line| line.delivery_id == delivery_id)
    }

    /// What the partner credited so far.
    pub fn credited_cents(&self) -> Cents {
        self.credit_notes.iter().map(|note| note.total_cents).sum()
    }

    /// The invoice as submitted, when it was submitted in `gemeente`.
    fn in_gemeente(&self, gemeente: &GemeenteCode) -> Result<&InvoiceSubmitted, InvoiceError> {
        match (&self.gemeente, &self.submitted) {
            (Some(own), Some(submitted)) if own == gemeente => Ok(submitted),
            _ => Err(InvoiceError::NotFound),
        }
    }

    /// The partner that submitted it.
    pub fn partner(&self) -> Option<&OrganisationId> {
        self.submitted.as_ref().map(|invoice| &invoice.partner)
    }

    /// What regie approved so far.
    pub fn approved_cents(&self) -> Cents {
        self.decisions
            .values()
            .filter(|line| line.approved)
            .map(|line| line.amount_cents)
            .sum()
    }

    /// Whether every line is decided.
    pub fn is_settled(&self) -> bool {
        self.submitted
            .as_ref()
            .is_some_and(|invoice| self.decisions.len() == invoice.lines.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use kindpakket_proto::provision::InvoiceLine;
    use kindpakket_proto::regie::{split_funding, DeliveryForm};
    use kindpakket_proto::{ChildRef, Period, ProvisionCode};
    use time::macros::date;
    use time::Date;

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }

    fn leergeld() -> OrganisationId {
        OrganisationId::parse("leergeld").unwrap()
    }

    fn first_quarter() -> Period {
        Period::new(date!(2026 - 01 - 01), date!(2026 - 03 - 31)).unwrap()
    }

    fn line(id: u128, amount_cents: i64) -> InvoiceLine {
        InvoiceLine {
            delivery_id: Uuid::from_u128(id),
            entitlement_id: Uuid::from_u128(id + 100),
            child: ChildRef(Uuid::from_u128(id + 200)),
            provision: ProvisionCode::parse("sportcontributie").unwrap(),
            form: DeliveryForm::InKind,
            amount_cents: Cents(amount_cents),
            delivered_on: date!(2026 - 02 - 01),
            funding: split_funding(Cents(amount_cents), None, None),
        }
    }

    fn submitted() -> Vec<InvoiceEvent> {
        vec![InvoiceEvent::InvoiceSubmitted {
            gemeente: gemeente(),
            invoice: InvoiceSubmitted {
                invoice_id: Uuid::from_u128(1),
                partner: leergeld(),
                period_from: date!(2026 - 01 - 01),
                period_until: date!(2026 - 03 - 31),
                lines: vec![line(1, 1_000), line(2, 2_000)],
                total_cents: Cents(3_000),
            },
        }]
    }

    /// A sealed reason as a stored event holds it (opaque here: the aggregate never opens it).
    fn sealed(text: &str) -> Sealed<Note> {
        serde_json::from_value(serde_json::json!({
            "s": Uuid::from_u128(201), "e": 202604, "n": "AAAAAAAAAAAAAAAA", "c": text
        }))
        .unwrap()
    }

    fn decision(id: u128, approved: bool, reason: Option<&str>) -> LineDecision {
        LineDecision {
            delivery_id: Uuid::from_u128(id),
            approved,
            reason: reason.map(sealed),
        }
    }

    fn settle(lines: Vec<LineDecision>, settled_on: Date) -> InvoiceCommand {
        InvoiceCommand::Settle(SettleInvoice {
            gemeente: gemeente(),
            lines,
            settled_on,
        })
    }

    #[tokio::test]
    async fn an_invoice_totals_its_lines_and_an_empty_one_is_refused() {
        let submit = |lines| {
            InvoiceCommand::Submit(SubmitInvoice {
                gemeente: gemeente(),
                invoice_id: Uuid::from_u128(1),
                partner: leergeld(),
                period: first_quarter(),
                lines,
            })
        };
        TestFramework::<Invoice>::with(())
            .given_no_previous_events()
            .when_async(submit(vec![line(1, 1_000), line(2, 2_000)]))
            .await
            .then_expect_events(submitted());
        TestFramework::<Invoice>::with(())
            .given_no_previous_events()
            .when_async(submit(vec![]))
            .await
            .then_expect_error(InvoiceError::NothingToInvoice);
    }

    #[tokio::test]
    async fn approved_lines_carry_their_funding_and_rejected_ones_none() {
        let events = TestFramework::<Invoice>::with(())
            .given(submitted())
            .when_async(settle(
                vec![decision(1, true, None), decision(2, false, Some("dubbel"))],
                date!(2026 - 04 - 10),
            ))
            .await
            .inspect_result()
            .unwrap();
        let InvoiceEvent::InvoiceSettled { settled, reasons } = &events[0] else {
            panic!("expected settlement");
        };
        assert!(settled.complete);
        assert_eq!(reasons.len(), 1);
        assert_eq!(reasons[&Uuid::from_u128(2)], sealed("dubbel"));
        assert_eq!(settled.lines[0].funding[0].amount_cents, Cents(1_000));
        assert!(settled.lines[1].funding.is_empty());
    }

    #[tokio::test]
    async fn a_line_is_decided_once_and_a_rejection_needs_a_reason() {
        TestFramework::<Invoice>::with(())
            .given(submitted())
            .when_async(settle(
                vec![decision(2, false, None)],
                date!(2026 - 04 - 10),
            ))
            .await
            .then_expect_error(InvoiceError::MissingReason(1));
        let mut events = submitted();
        events.extend(
            TestFramework::<Invoice>::with(())
                .given(submitted())
                .when_async(settle(vec![decision(1, true, None)], date!(2026 - 04 - 10)))
                .await
                .inspect_result()
                .unwrap(),
        );
        TestFramework::<Invoice>::with(())
            .given(events.clone())
            .when_async(settle(vec![decision(1, true, None)], date!(2026 - 04 - 11)))
            .await
            .then_expect_events(vec![]);
        TestFramework::<Invoice>::with(())
            .given(events)
            .when_async(settle(
                vec![decision(1, false, Some("toch niet"))],
                date!(2026 - 04 - 11),
            ))
            .await
            .then_expect_error(InvoiceError::LineAlreadyDecided(1));
    }

    #[tokio::test]
    async fn a_line_not_on_the_invoice_is_refused() {
        TestFramework::<Invoice>::with(())
            .given(submitted())
            .when_async(settle(vec![decision(9, true, None)], date!(2026 - 04 - 10)))
            .await
            .then_expect_error(InvoiceError::UnknownLine(1));
    }

    fn credit(lines: &[u128], note: u128) -> InvoiceCommand {
        InvoiceCommand::IssueCreditNote(IssueCreditNote {
            gemeente: gemeente(),
            credit_note_id: Uuid::from_u128(note),
            partner: leergeld(),
            lines: lines.iter().map(|id| Uuid::from_u128(*id)).collect(),
            issued_on: date!(2026 - 04 - 20),
        })
    }

    /// Line 1 approved, line 2 rejected.
    async fn decided() -> Vec<InvoiceEvent> {
        let mut events = submitted();
        events.extend(
            TestFramework::<Invoice>::with(())
                .given(submitted())
                .when_async(settle(
                    vec![decision(1, true, None), decision(2, false, Some("dubbel"))],
                    date!(2026 - 04 - 10),
                ))
                .await
                .inspect_result()
                .unwrap(),
        );
        events
    }

    #[tokio::test]
    async fn only_a_rejected_line_is_credited_once_by_the_partner_that_invoiced() {
        TestFramework::<Invoice>::with(())
            .given(submitted())
            .when_async(credit(&[2], 50))
            .await
            .then_expect_error(InvoiceError::UndecidedLine(1));
        TestFramework::<Invoice>::with(())
            .given(decided().await)
            .when_async(credit(&[2, 1], 50))
            .await
            .then_expect_error(InvoiceError::ApprovedLine(2));
        TestFramework::<Invoice>::with(())
            .given(decided().await)
            .when_async(credit(&[9], 50))
            .await
            .then_expect_error(InvoiceError::UnknownCreditLine(1));
        TestFramework::<Invoice>::with(())
            .given(decided().await)
            .when_async(InvoiceCommand::IssueCreditNote(IssueCreditNote {
                partner: OrganisationId::parse("jeugdfonds").unwrap(),
                ..match credit(&[2], 50) {
                    InvoiceCommand::IssueCreditNote(command) => command,
                    _ => unreachable!(),
                }
            }))
            .await
            .then_expect_error(InvoiceError::NotFound);
        let mut events = decided().await;
        let issued = TestFramework::<Invoice>::with(())
            .given(events.clone())
            .when_async(credit(&[2], 50))
            .await
            .inspect_result()
            .unwrap();
        let InvoiceEvent::CreditNoteIssued(note) = &issued[0] else {
            panic!("expected a credit note");
        };
        assert_eq!(note.total_cents, Cents(2_000));
        assert_eq!(note.lines[0].delivery_id, Uuid::from_u128(2));
        events.extend(issued);
        TestFramework::<Invoice>::with(())
            .given(events.clone())
            .when_async(credit(&[2], 50))
            .await
            .then_expect_events(vec![]);
        TestFramework::<Invoice>::with(())
            .given(events)
            .when_async(credit(&[2], 51))
            .await
            .then_expect_error(InvoiceError::AlreadyCredited(1));
    }
}
