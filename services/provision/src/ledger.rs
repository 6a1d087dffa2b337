//! The gemeente's provision history: invoiceable deliveries, the ledger across funders, budgets
//! spent versus allocated, the sample population and the entitlements due to expire.
//!
//! [`load`] reads each entitlement's, invoice's and sample draw's state from its row in
//! `ledger_state` ([`crate::read_models::ledger_state`]), which a trigger keeps in the transaction
//! that appends the events (not a projection fed by the stream): the answers are exact at the moment
//! they are asked, which invoicing needs: a delivery must never land on two invoices. It used to
//! fold every event of the gemeente on every request; [`load_folded`] still does, for the tests
//! that compare the two and for the rows' first fill.

use std::collections::{BTreeMap, HashSet};

use cqrs_es::Aggregate;
use kindpakket_proto::provision::{InvoiceLine, ReclaimFrom, SampleMember};
use kindpakket_proto::regie::{Budget, DeliveryForm, Funder, RegelingPublished};
use kindpakket_proto::{Cents, ChildRef, GemeenteCode, OrganisationId, Period, ProvisionCode};
use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use crate::domain::entitlement::{Entitlement, EntitlementEvent};
use crate::domain::invoice::{Invoice, InvoiceEvent};
use crate::domain::sample::{SampleDraw, SampleEvent};
use crate::read_models::ledger_state;

/// Every entitlement, invoice and sample draw of one gemeente, as their aggregates see them.
#[derive(Debug, Default)]
pub struct History {
    pub entitlements: BTreeMap<Uuid, Entitlement>,
    pub invoices: BTreeMap<Uuid, Invoice>,
    /// The sample draws, for their reclaims.
    pub samples: BTreeMap<Uuid, SampleDraw>,
}

/// One stored event of an entitlement or an invoice.
#[derive(Debug, sqlx::FromRow)]
struct StoredEvent {
    aggregate_type: String,
    aggregate_id: String,
    payload: serde_json::Value,
}

/// The history of `gemeente` as it stands committed, from its rows in `ledger_state`
/// ([`crate::read_models::ledger_state`], kept in the events' own transaction).
pub async fn load(pool: &PgPool, gemeente: &GemeenteCode) -> anyhow::Result<History> {
    let rows = ledger_state::rows(pool, gemeente.as_str()).await?;
    let mut history = History::default();
    for row in rows {
        let id = Uuid::parse_str(&row.aggregate_id)?;
        if row.aggregate_type == Entitlement::TYPE {
            history
                .entitlements
                .insert(id, serde_json::from_str(&row.state)?);
        } else if row.aggregate_type == SampleDraw::TYPE {
            history
                .samples
                .insert(id, serde_json::from_str(&row.state)?);
        } else {
            history
                .invoices
                .insert(id, serde_json::from_str(&row.state)?);
        }
    }
    Ok(history)
}

/// The history of `gemeente` folded from every committed event with the aggregates' own `apply`:
/// what the rows of [`load`] must equal (the tests compare them), and what fills those rows at
/// start.
pub async fn load_folded(pool: &PgPool, gemeente: &GemeenteCode) -> anyhow::Result<History> {
    fold(pool, gemeente.as_str()).await
}

pub(crate) async fn fold<'e, E>(executor: E, gemeente: &str) -> anyhow::Result<History>
where
    E: sqlx::PgExecutor<'e>,
{
    let events: Vec<StoredEvent> = sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, payload::jsonb AS payload FROM events
         WHERE metadata->>'gemeente' = $1 AND aggregate_type IN ('entitlement', 'invoice', 'sample')
         ORDER BY aggregate_type, aggregate_id, sequence",
    )
    .bind(gemeente)
    .fetch_all(executor)
    .await?;
    let mut history = History::default();
    for event in events {
        let id = Uuid::parse_str(&event.aggregate_id)?;
        if event.aggregate_type == Entitlement::TYPE {
            history
                .entitlements
                .entry(id)
                .or_default()
                .apply(serde_json::from_value::<EntitlementEvent>(event.payload)?);
        } else if event.aggregate_type == SampleDraw::TYPE {
            history
                .samples
                .entry(id)
                .or_default()
                .apply(serde_json::from_value::<SampleEvent>(event.payload)?);
        } else {
            history
                .invoices
                .entry(id)
                .or_default()
                .apply(serde_json::from_value::<InvoiceEvent>(event.payload)?);
        }
    }
    Ok(history)
}

/// What a ledger entry is: a payment, or a reclaim (a negative amount) after a sample check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Payment,
    Reclaim(ReclaimFrom),
}

/// One amount a funder paid (for an approved invoice line or an approved declaration), or got back
/// (a reclaim of a declaration found not in order: negative).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub kind: EntryKind,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub entitlement_id: Uuid,
    /// The partner invoiced it, or submitted the declaration.
    pub partner: OrganisationId,
    pub funder: Funder,
    pub amount_cents: Cents,
    /// When it was spent: the delivery date of an invoice line, the decision date of a declaration
    /// or of a reclaim.
    pub date: Date,
    /// The delivery, redemption or declaration it pays (or of which a reclaim recovers part).
    pub reference: Uuid,
}

impl History {
    /// The deliveries and redemptions of `partner` in the period that are on no invoice yet (or
    /// only on invoices that credited them), by date.
    pub fn invoiceable(&self, partner: &OrganisationId, period: Period) -> Vec<InvoiceLine> {
        // On an invoice, unless the partner credited it there (a credit note): then it is
        // invoiced again, and regie decides it anew.
        let invoiced: HashSet<Uuid> = self
            .invoices
            .values()
            .filter_map(|invoice| Some((invoice, invoice.submitted.as_ref()?)))
            .flat_map(|(invoice, submitted)| {
                submitted
                    .lines
                    .iter()
                    .map(|line| line.delivery_id)
                    .filter(|id| !invoice.is_credited(*id))
            })
            .collect();
        let mut lines = Vec::new();
        for entitlement in self.entitlements.values() {
            let Some(opened) = &entitlement.opened else {
                continue;
            };
            for delivery in &entitlement.deliveries {
                if &delivery.partner == partner
                    && period.contains(delivery.delivered_on)
                    && !invoiced.contains(&delivery.delivery_id)
                {
                    lines.push(InvoiceLine {
                        delivery_id: delivery.delivery_id,
                        entitlement_id: opened.entitlement_id,
                        // The child that spent (of a household budget, one of its children).
                        child: delivery.child,
                        provision: opened.provision.clone(),
                        form: delivery.form,
                        amount_cents: delivery.amount_cents,
                        delivered_on: delivery.delivered_on,
                        funding: opened.funding_of(delivery.amount_cents),
                    });
                }
            }
            for redemption in &entitlement.redemptions {
                if &redemption.partner == partner
                    && period.contains(redemption.redeemed_on)
                    && !invoiced.contains(&redemption.redemption_id)
                {
                    lines.push(InvoiceLine {
                        delivery_id: redemption.redemption_id,
                        entitlement_id: opened.entitlement_id,
                        child: redemption.child,
                        provision: opened.provision.clone(),
                        form: DeliveryForm::Voucher,
                        amount_cents: redemption.amount_cents,
                        delivered_on: redemption.redeemed_on,
                        funding: opened.funding_of(redemption.amount_cents),
                    });
                }
            }
        }
        lines.sort_by_key(|line| (line.delivered_on, line.delivery_id));
        lines
    }

    /// Every amount paid, per funder part, by date.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        let mut entries = Vec::new();
        for invoice in self.invoices.values() {
            let Some(submitted) = &invoice.submitted else {
                continue;
            };
            for line in invoice.decisions.values().filter(|line| line.approved) {
                for part in &line.funding {
                    entries.push(LedgerEntry {
                        kind: EntryKind::Payment,
                        child: line.child,
                        provision: line.provision.clone(),
                        entitlement_id: line.entitlement_id,
                        partner: submitted.partner.clone(),
                        funder: part.funder.clone(),
                        amount_cents: part.amount_cents,
                        date: line.delivered_on,
                        reference: line.delivery_id,
                    });
                }
            }
        }
        for entitlement in self.entitlements.values() {
            for declaration in &entitlement.declarations {
                let Some(decided) = declaration.decided.as_ref().filter(|d| d.approved) else {
                    continue;
                };
                for part in &decided.funding {
                    entries.push(LedgerEntry {
                        kind: EntryKind::Payment,
                        child: decided.child,
                        provision: decided.provision.clone(),
                        entitlement_id: decided.entitlement_id,
                        partner: decided.submitted_by.clone(),
                        funder: part.funder.clone(),
                        amount_cents: part.amount_cents,
                        date: decided.decided_on,
                        reference: decided.declaration_id,
                    });
                }
            }
        }
        // Reclaims: each funder's part back, as a negative entry; the partner is the declaration's
        // submitter (the statement of a partner lists only what is reclaimed from it).
        for sample in self.samples.values() {
            let Some(drawn) = &sample.drawn else {
                continue;
            };
            for reclaim in &sample.reclaims {
                let submitted_by = drawn
                    .population
                    .iter()
                    .find(|member| member.declaration_id == reclaim.declaration_id)
                    .map(|member| member.submitted_by.clone());
                let partner = reclaim
                    .partner
                    .clone()
                    .or(submitted_by)
                    .unwrap_or_else(OrganisationId::parent);
                for part in &reclaim.funding {
                    entries.push(LedgerEntry {
                        kind: EntryKind::Reclaim(reclaim.from),
                        child: reclaim.child,
                        provision: reclaim.provision.clone(),
                        entitlement_id: reclaim.entitlement_id,
                        partner: partner.clone(),
                        funder: part.funder.clone(),
                        amount_cents: -part.amount_cents,
                        date: reclaim.decided_on,
                        reference: reclaim.declaration_id,
                    });
                }
            }
        }
        entries.sort_by(|a, b| {
            (a.date, a.reference, &a.funder.organisation).cmp(&(
                b.date,
                b.reference,
                &b.funder.organisation,
            ))
        });
        entries
    }

    /// The declarations submitted in the period: the population of a sample draw.
    pub fn declarations_submitted(&self, period: Period) -> Vec<SampleMember> {
        let mut members: Vec<SampleMember> = self
            .entitlements
            .values()
            .flat_map(|entitlement| &entitlement.declarations)
            .map(|declaration| &declaration.submitted)
            .filter(|submitted| period.contains(submitted.submitted_on))
            .map(|submitted| SampleMember {
                declaration_id: submitted.declaration_id,
                entitlement_id: submitted.entitlement_id,
                submitted_by: submitted.submitted_by.clone(),
                amount_cents: submitted.amount_cents,
            })
            .collect();
        members.sort_by_key(|member| member.declaration_id);
        members
    }

    /// Entitlements whose period ended before `on` and that have not expired yet.
    pub fn due_to_expire(&self, on: Date) -> Vec<Uuid> {
        self.entitlements
            .iter()
            .filter(|(_, entitlement)| entitlement.expired.is_none())
            .filter(|(_, entitlement)| {
                entitlement
                    .opened
                    .as_ref()
                    .is_some_and(|opened| opened.valid_until < on)
            })
            .map(|(id, _)| *id)
            .collect()
    }

    /// What was left unused on every entitlement that expired so far.
    pub fn unused_at_expiry(&self) -> Cents {
        self.entitlements
            .values()
            .filter_map(|entitlement| entitlement.expired.as_ref())
            .map(|expired| expired.unused_cents)
            .sum()
    }
}

/// One budget of the regeling: what was allocated, what grants committed, what was paid.
#[derive(Debug, Clone)]
pub struct BudgetUse {
    pub budget: Budget,
    pub committed_cents: Cents,
    pub spent_cents: Cents,
}

/// Spent versus allocated per budget of the regeling. Grants commit a funder's part against the
/// budget of its source for the provision (or its type); payments in the regeling's period spend it.
pub fn budget_use(history: &History, regeling: &RegelingPublished) -> Vec<BudgetUse> {
    let provision_of = |code: &ProvisionCode| {
        regeling
            .provisions
            .iter()
            .find(|provision| &provision.code == code)
    };
    // A funder's part belongs to the narrowest budget of its source that covers the provision.
    let budget_index = |source, code: &ProvisionCode| {
        let provision = provision_of(code)?;
        regeling
            .budgets
            .iter()
            .enumerate()
            .filter(|(_, budget)| budget.source == source && budget.covers(provision))
            .min_by_key(|(_, budget)| budget.provision.is_none())
            .map(|(index, _)| index)
    };
    let mut uses: Vec<BudgetUse> = regeling
        .budgets
        .iter()
        .map(|budget| BudgetUse {
            budget: budget.clone(),
            committed_cents: Cents::ZERO,
            spent_cents: Cents::ZERO,
        })
        .collect();
    let in_force = Period {
        from: regeling.valid_from,
        until: regeling.valid_until,
    };
    for entitlement in history.entitlements.values() {
        // Grants without a funder were not held to a budget when decided.
        let Some(opened) = entitlement.opened.as_ref().filter(|o| o.funder.is_some()) else {
            continue;
        };
        let valid = Period {
            from: opened.valid_from,
            until: opened.valid_until,
        };
        if !valid.overlaps(&in_force) {
            continue;
        }
        for part in opened.funding_of(opened.amount_cents) {
            if let Some(index) = budget_index(part.funder.source, &opened.provision) {
                uses[index].committed_cents += part.amount_cents;
            }
        }
    }
    for entry in history.ledger() {
        if !in_force.contains(entry.date) {
            continue;
        }
        if let Some(index) = budget_index(entry.funder.source, &entry.provision) {
            uses[index].spent_cents += entry.amount_cents;
        }
    }
    uses
}
