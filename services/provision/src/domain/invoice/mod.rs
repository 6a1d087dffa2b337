//! An invoice: a partner's deliveries and redemptions of one period, and regie's decision per line.
//! Which deliveries an invoice lists is decided under a lock per partner (see `ledger::invoiceable`),
//! so no delivery is ever on two invoices.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use kindpakket_platform::http::{Rejection, RejectionKind};
use kindpakket_proto::provision::{InvoiceSettled, InvoiceSubmitted, SettledLine};
use kindpakket_proto::{GemeenteCode, OrganisationId};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Invoice {
    pub gemeente: Option<GemeenteCode>,
    pub submitted: Option<InvoiceSubmitted>,
    /// The decision per line: approved or not, with the reason of a rejection.
    pub decisions: HashMap<Uuid, SettledLine>,
}

#[derive(Debug, Clone)]
pub struct LineDecision {
    pub delivery_id: Uuid,
    pub approved: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Clone)]
pub enum InvoiceCommand {
    Submit {
        gemeente: GemeenteCode,
        invoice: InvoiceSubmitted,
    },
    Settle {
        gemeente: GemeenteCode,
        lines: Vec<LineDecision>,
        settled_on: Date,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InvoiceEvent {
    InvoiceSubmitted {
        gemeente: GemeenteCode,
        invoice: InvoiceSubmitted,
    },
    InvoiceSettled(InvoiceSettled),
}

impl DomainEvent for InvoiceEvent {
    fn event_type(&self) -> String {
        match self {
            InvoiceEvent::InvoiceSubmitted { .. } => "InvoiceSubmitted",
            InvoiceEvent::InvoiceSettled(_) => "InvoiceSettled",
        }
        .to_owned()
    }
    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("Deze factuur bestaat niet in deze gemeente.")]
    NotFound,
    #[error("Deze factuur bestaat al.")]
    AlreadySubmitted,
    #[error("Er is in deze periode niets te factureren: alle verstrekkingen en verzilveringen staan al op een factuur, of er zijn er geen.")]
    NothingToInvoice,
    #[error("De einddatum van de periode ligt vóór de begindatum.")]
    InvalidPeriod,
    #[error("Verstrekking '{0}' staat niet op deze factuur.")]
    UnknownLine(Uuid),
    #[error("Over verstrekking '{0}' op deze factuur is al anders besloten.")]
    LineAlreadyDecided(Uuid),
    #[error("Verstrekking '{0}' staat twee keer in dit besluit.")]
    DuplicateLine(Uuid),
    #[error(
        "Geef bij elke afgekeurde regel de reden op; de partner leest die (verstrekking '{0}')."
    )]
    MissingReason(Uuid),
    #[error("Geef ten minste één regel op.")]
    NoLines,
}

impl Rejection for InvoiceError {
    fn kind(&self) -> RejectionKind {
        match self {
            InvoiceError::NotFound => RejectionKind::NotFound,
            InvoiceError::AlreadySubmitted | InvoiceError::LineAlreadyDecided(_) => {
                RejectionKind::Conflict
            }
            _ => RejectionKind::Invalid,
        }
    }
}

impl Invoice {
    pub fn in_gemeente(&self, gemeente: &GemeenteCode) -> Option<&InvoiceSubmitted> {
        match (&self.gemeente, &self.submitted) {
            (Some(own), Some(submitted)) if own == gemeente => Some(submitted),
            _ => None,
        }
    }

    pub fn partner(&self) -> Option<&OrganisationId> {
        self.submitted.as_ref().map(|invoice| &invoice.partner)
    }
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
        match command {
            InvoiceCommand::Submit { gemeente, invoice } => {
                if self.submitted.is_some() {
                    return Err(InvoiceError::AlreadySubmitted);
                }
                if invoice.period_until < invoice.period_from {
                    return Err(InvoiceError::InvalidPeriod);
                }
                if invoice.lines.is_empty() {
                    return Err(InvoiceError::NothingToInvoice);
                }
                sink.write(InvoiceEvent::InvoiceSubmitted { gemeente, invoice }, self)
                    .await;
            }
            InvoiceCommand::Settle {
                gemeente,
                lines,
                settled_on,
            } => {
                let invoice = self
                    .in_gemeente(&gemeente)
                    .ok_or(InvoiceError::NotFound)?
                    .clone();
                if lines.is_empty() {
                    return Err(InvoiceError::NoLines);
                }
                let mut seen = HashSet::new();
                let mut settled = Vec::new();
                for decision in lines {
                    if !seen.insert(decision.delivery_id) {
                        return Err(InvoiceError::DuplicateLine(decision.delivery_id));
                    }
                    let line = invoice
                        .lines
                        .iter()
                        .find(|line| line.delivery_id == decision.delivery_id)
                        .ok_or(InvoiceError::UnknownLine(decision.delivery_id))?;
                    let reason = decision
                        .reason
                        .map(|reason| reason.trim().to_owned())
                        .filter(|reason| !reason.is_empty());
                    if let Some(earlier) = self.decisions.get(&decision.delivery_id) {
                        if earlier.approved != decision.approved {
                            return Err(InvoiceError::LineAlreadyDecided(decision.delivery_id));
                        }
                        // The same decision again (a retried request) changes nothing.
                        continue;
                    }
                    if !decision.approved && reason.is_none() {
                        return Err(InvoiceError::MissingReason(decision.delivery_id));
                    }
                    settled.push(SettledLine {
                        delivery_id: line.delivery_id,
                        entitlement_id: line.entitlement_id,
                        child: line.child,
                        provision: line.provision.clone(),
                        approved: decision.approved,
                        amount_cents: line.amount_cents,
                        delivered_on: line.delivered_on,
                        reason,
                        funding: if decision.approved {
                            line.funding.clone()
                        } else {
                            vec![]
                        },
                    });
                }
                if settled.is_empty() {
                    return Ok(());
                }
                let complete = self.decisions.len() + settled.len() == invoice.lines.len();
                sink.write(
                    InvoiceEvent::InvoiceSettled(InvoiceSettled {
                        invoice_id: invoice.invoice_id,
                        partner: invoice.partner.clone(),
                        lines: settled,
                        complete,
                        settled_on,
                    }),
                    self,
                )
                .await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: InvoiceEvent) {
        match event {
            InvoiceEvent::InvoiceSubmitted { gemeente, invoice } => {
                self.gemeente = Some(gemeente);
                self.submitted = Some(invoice);
            }
            InvoiceEvent::InvoiceSettled(settled) => {
                for line in settled.lines {
                    self.decisions.insert(line.delivery_id, line);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use kindpakket_proto::provision::InvoiceLine;
    use kindpakket_proto::regie::{split_funding, DeliveryForm};
    use kindpakket_proto::{ChildRef, ProvisionCode};
    use time::macros::date;

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }

    fn line(id: u128, amount_cents: i64) -> InvoiceLine {
        InvoiceLine {
            delivery_id: Uuid::from_u128(id),
            entitlement_id: Uuid::from_u128(id + 100),
            child: ChildRef(Uuid::from_u128(id + 200)),
            provision: ProvisionCode::parse("sportcontributie").unwrap(),
            form: DeliveryForm::InKind,
            amount_cents,
            delivered_on: date!(2026 - 02 - 01),
            funding: split_funding(amount_cents, None, None),
        }
    }

    fn submitted() -> Vec<InvoiceEvent> {
        vec![InvoiceEvent::InvoiceSubmitted {
            gemeente: gemeente(),
            invoice: InvoiceSubmitted {
                invoice_id: Uuid::from_u128(1),
                partner: OrganisationId::parse("leergeld").unwrap(),
                period_from: date!(2026 - 01 - 01),
                period_until: date!(2026 - 03 - 31),
                lines: vec![line(1, 1_000), line(2, 2_000)],
                total_cents: 3_000,
            },
        }]
    }

    fn decision(id: u128, approved: bool, reason: Option<&str>) -> LineDecision {
        LineDecision {
            delivery_id: Uuid::from_u128(id),
            approved,
            reason: reason.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn approved_lines_carry_their_funding_and_rejected_ones_none() {
        let events = TestFramework::<Invoice>::with(())
            .given(submitted())
            .when_async(InvoiceCommand::Settle {
                gemeente: gemeente(),
                lines: vec![decision(1, true, None), decision(2, false, Some("dubbel"))],
                settled_on: date!(2026 - 04 - 10),
            })
            .await
            .inspect_result()
            .unwrap();
        let InvoiceEvent::InvoiceSettled(settled) = &events[0] else {
            panic!("expected settlement");
        };
        assert!(settled.complete);
        assert_eq!(settled.lines[0].funding[0].amount_cents, 1_000);
        assert!(settled.lines[1].funding.is_empty());
    }

    #[tokio::test]
    async fn a_line_is_decided_once_and_a_rejection_needs_a_reason() {
        TestFramework::<Invoice>::with(())
            .given(submitted())
            .when_async(InvoiceCommand::Settle {
                gemeente: gemeente(),
                lines: vec![decision(2, false, None)],
                settled_on: date!(2026 - 04 - 10),
            })
            .await
            .then_expect_error(InvoiceError::MissingReason(Uuid::from_u128(2)));
        let mut events = submitted();
        events.extend(
            TestFramework::<Invoice>::with(())
                .given(submitted())
                .when_async(InvoiceCommand::Settle {
                    gemeente: gemeente(),
                    lines: vec![decision(1, true, None)],
                    settled_on: date!(2026 - 04 - 10),
                })
                .await
                .inspect_result()
                .unwrap(),
        );
        TestFramework::<Invoice>::with(())
            .given(events)
            .when_async(InvoiceCommand::Settle {
                gemeente: gemeente(),
                lines: vec![decision(1, false, Some("toch niet"))],
                settled_on: date!(2026 - 04 - 11),
            })
            .await
            .then_expect_error(InvoiceError::LineAlreadyDecided(Uuid::from_u128(1)));
    }

    #[tokio::test]
    async fn a_line_not_on_the_invoice_is_refused() {
        TestFramework::<Invoice>::with(())
            .given(submitted())
            .when_async(InvoiceCommand::Settle {
                gemeente: gemeente(),
                lines: vec![decision(9, true, None)],
                settled_on: date!(2026 - 04 - 10),
            })
            .await
            .then_expect_error(InvoiceError::UnknownLine(Uuid::from_u128(9)));
    }
}
