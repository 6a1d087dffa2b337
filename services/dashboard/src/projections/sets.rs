//! A batch of events written in sets: what a consumer applies together in one transaction
//! ([`kindpakket_platform::consume::EventHandler::handle_batch`]) is gathered per kind of row and
//! written with one `INSERT … SELECT FROM unnest(…)` (or `UPDATE … FROM unnest(…)`) per kind,
//! instead of a few statements per event. The figures are exactly those of applying the events one
//! by one ([`super::DashboardProjection`]'s `handle`, which a batch of one, a trickle, the poison
//! path and the parked replay still use; `tests/e2e/projection_sets.rs` compares the two):
//!
//! - per row kind the flush writes in the order one by one would need: a table's inserts before its
//!   updates (a signal picked up, an application decided, in the batch that took it in);
//! - a later write to a row already pending that one statement could not express (a second upsert
//!   of the same entitlement or partner) flushes what is pending first;
//! - an update is merged per row as one by one would leave it (the last decision's columns, the
//!   first pick-up of a signal);
//! - retention's "facts dated before what was folded are not taken in again" is checked against
//!   `retention_state` once per flush, and each person id goes through the forgetting in one look-up
//!   per flush (the same shared locks, the same `last_fact_on`);
//! - what is rare or changes rows of other events (a forgetting, a regeling, a doelgroep, a wish, a
//!   campaign, a reclaim) flushes what is pending and is applied alone, as one by one.

use std::collections::{BTreeSet, HashMap, HashSet};

use kindpakket_platform::consume::{HandlerError, InBatch, ReceivedEvent};
use kindpakket_proto::application::ApplicationEvent;
use kindpakket_proto::provision::ProvisionEvent;
use kindpakket_proto::regie::{PartnerRole, RegieEvent};
use kindpakket_proto::signalling::{Referral, SignallingEvent};
use kindpakket_proto::Service;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use tracing::Instrument;
use uuid::Uuid;

use super::forgetting::{lock_key, Forgetting};
use super::retention::Retention;
use super::{age_band, word, DashboardProjection, Payers};

/// Applies a batch's events in stream order, in sets.
pub(super) async fn apply(
    projection: &DashboardProjection,
    connection: &mut PgConnection,
    events: &[InBatch<'_>],
) -> Result<(), HandlerError> {
    let mut pending = Pending::default();
    for item in events {
        let mut staged = item.span.in_scope(|| pending.stage(item.event))?;
        if staged == Staged::AfterFlush {
            pending.flush(connection, &projection.forgetting).await?;
            staged = item.span.in_scope(|| pending.stage(item.event))?;
        }
        // Nothing is pending after a flush, so an event offered again is pending or alone; were it
        // still refused, it is applied alone all the same (`stage` changed nothing for it).
        if staged != Staged::Pending {
            pending.flush(connection, &projection.forgetting).await?;
            super::apply_one(projection, connection, item.event)
                .instrument(item.span.clone())
                .await?;
        }
    }
    pending.flush(connection, &projection.forgetting).await
}

/// What became of an event offered to the pending sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Staged {
    /// Its rows are pending (or it writes nothing).
    Pending,
    /// A row of it is pending already in a way one statement cannot express: flush, then offer
    /// it again.
    AfterFlush,
    /// To be applied alone, after what is pending.
    Alone,
}

/// A person id as an event gives it, and the date of the fact (for the forgetting's
/// `last_fact_on`, and for retention).
#[derive(Debug, Clone, Copy)]
struct Person {
    id: Uuid,
    on: Date,
}

struct SignalRow {
    signal_id: Uuid,
    gemeente: String,
    child: Person,
    signaller: String,
    referred_partner: Option<String>,
    acting: String,
    occurred_at: OffsetDateTime,
    wijk: Option<String>,
    provision_type: Option<String>,
    due_on: Option<Date>,
}

struct ApplicationRow {
    application_id: Uuid,
    gemeente: String,
    channel: String,
    signal_id: Option<Uuid>,
    submitted_on: Date,
    occurred_at: OffsetDateTime,
    taken_by: Option<String>,
}

struct ApplicationChildRow {
    application_id: Uuid,
    child: Person,
    age_band: &'static str,
}

/// What the batch's decisions set on an application, column by column (the last one set wins, as
/// one update after the other would leave it).
#[derive(Default)]
struct Decision {
    decided_on: Option<Date>,
    decided_at: Option<OffsetDateTime>,
    custom_by: Option<Option<String>>,
}

/// An entitlement as a grant writes it (overwriting when-and-who-pays) or as its opening writes it
/// (keeping what was there).
struct EntitlementRow {
    entitlement_id: Uuid,
    gemeente: String,
    application_id: Uuid,
    child: Person,
    provision: String,
    amount_cents: i64,
    granted_on: Option<Date>,
    valid_until: Date,
    granted_at: Option<OffsetDateTime>,
    payers: Payers,
}

struct HouseholdChildRow {
    entitlement_id: Uuid,
    gemeente: String,
    child: Person,
    granted_on: Date,
    valid_until: Date,
}

struct ServedRow {
    id: Uuid,
    gemeente: String,
    entitlement_id: Uuid,
    child: Person,
    provision: String,
    partner: String,
    form: String,
    amount_cents: i64,
    on: Date,
    occurred_at: OffsetDateTime,
}

struct ExpiredRow {
    entitlement_id: Uuid,
    gemeente: String,
    child: Person,
    provision: String,
    amount_cents: i64,
    used_cents: i64,
    unused_cents: i64,
    expired_on: Date,
}

/// What an enrolment does to a gemeente's partner row.
enum PartnerChange {
    Enrolled {
        name: String,
        enrolled_on: Date,
    },
    /// Enrolled to signal only: not a partner in the figures.
    SignalOnly,
    Ended {
        ended_on: Date,
    },
}

/// The rows of a batch not yet written, per kind.
#[derive(Default)]
struct Pending {
    signals: Vec<SignalRow>,
    signal_ids: HashSet<Uuid>,
    /// The first pick-up per signal (one by one, a later one changes nothing).
    accepted: Vec<(Uuid, Date)>,
    accepted_ids: HashSet<Uuid>,
    applications: Vec<ApplicationRow>,
    application_ids: HashSet<Uuid>,
    application_children: Vec<ApplicationChildRow>,
    application_child_keys: HashSet<(Uuid, Uuid)>,
    decisions: HashMap<Uuid, Decision>,
    granted: Vec<EntitlementRow>,
    opened: Vec<EntitlementRow>,
    entitlement_ids: HashSet<Uuid>,
    household_children: Vec<HouseholdChildRow>,
    household_child_keys: HashSet<(Uuid, Uuid)>,
    served: Vec<ServedRow>,
    served_ids: HashSet<Uuid>,
    expired: Vec<ExpiredRow>,
    expired_ids: HashSet<Uuid>,
    partners: Vec<((String, String), PartnerChange)>,
    partner_keys: HashSet<(String, String)>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.signals.is_empty()
            && self.accepted.is_empty()
            && self.applications.is_empty()
            && self.application_children.is_empty()
            && self.decisions.is_empty()
            && self.granted.is_empty()
            && self.opened.is_empty()
            && self.household_children.is_empty()
            && self.served.is_empty()
            && self.expired.is_empty()
            && self.partners.is_empty()
    }

    /// Offers one event: its rows become pending, or it says to flush first or to be applied alone.
    fn stage(&mut self, event: &ReceivedEvent) -> Result<Staged, HandlerError> {
        let gemeente = event.envelope.gemeente.as_str();
        let acting = event.envelope.actor.organisation.as_str();
        let occurred_at = event.envelope.occurred_at;
        match event.envelope.service {
            Service::Signalling => match event.decode()? {
                SignallingEvent::ChildSignalled(signal) => {
                    // Written once (`ON CONFLICT DO NOTHING`), before any pick-up of it.
                    if self.signal_ids.contains(&signal.signal_id)
                        || self.accepted_ids.contains(&signal.signal_id)
                    {
                        return Ok(Staged::AfterFlush);
                    }
                    self.signal_ids.insert(signal.signal_id);
                    {
                        self.signals.push(SignalRow {
                            signal_id: signal.signal_id,
                            gemeente: gemeente.to_owned(),
                            child: Person {
                                id: signal.child.0,
                                on: signal.signalled_on,
                            },
                            signaller: signal.signaller.as_str().to_owned(),
                            referred_partner: match &signal.referral {
                                Referral::Loket => None,
                                Referral::Partner { partner } => Some(partner.as_str().to_owned()),
                            },
                            acting: acting.to_owned(),
                            occurred_at,
                            wijk: signal.wijk.as_ref().map(|wijk| wijk.as_str().to_owned()),
                            provision_type: signal.provision_type.as_ref().map(word),
                            due_on: signal.due_on,
                        });
                    }
                }
                SignallingEvent::SignalAccepted(accepted) => {
                    if self.accepted_ids.insert(accepted.signal_id) {
                        self.accepted
                            .push((accepted.signal_id, accepted.accepted_on));
                    }
                }
                SignallingEvent::SignalOutcomeRecorded(_)
                | SignallingEvent::SignalReferred(_)
                | SignallingEvent::SignalHandedBack(_) => {}
            },
            Service::Application => match event.decode()? {
                ApplicationEvent::ApplicationSubmitted(application) => {
                    let keys: Vec<(Uuid, Uuid)> = application
                        .children
                        .iter()
                        .map(|applicant| (application.application_id, applicant.child.0))
                        .collect();
                    let repeated = keys.iter().collect::<HashSet<_>>().len() < keys.len();
                    if repeated {
                        return Ok(Staged::Alone);
                    }
                    if self.application_ids.contains(&application.application_id)
                        || self.decisions.contains_key(&application.application_id)
                        || keys
                            .iter()
                            .any(|key| self.application_child_keys.contains(key))
                    {
                        return Ok(Staged::AfterFlush);
                    }
                    let on = application.submitted_on;
                    self.application_ids.insert(application.application_id);
                    self.applications.push(ApplicationRow {
                        application_id: application.application_id,
                        gemeente: gemeente.to_owned(),
                        channel: word(&application.channel),
                        signal_id: application.signal_id,
                        submitted_on: on,
                        occurred_at,
                        taken_by: application
                            .on_behalf_of
                            .as_ref()
                            .map(|org| org.as_str().to_owned()),
                    });
                    for applicant in &application.children {
                        self.application_child_keys
                            .insert((application.application_id, applicant.child.0));
                        self.application_children.push(ApplicationChildRow {
                            application_id: application.application_id,
                            child: Person {
                                id: applicant.child.0,
                                on,
                            },
                            age_band: age_band(applicant.birth_year, applicant.birth_month, on),
                        });
                    }
                }
                ApplicationEvent::ApplicationGranted(granted) => {
                    let ids: Vec<Uuid> = granted
                        .entitlements
                        .iter()
                        .map(|entitlement| entitlement.entitlement_id)
                        .collect();
                    let members: Vec<(Uuid, Uuid)> = granted
                        .entitlements
                        .iter()
                        .flat_map(|entitlement| {
                            entitlement
                                .household_children
                                .iter()
                                .filter(|member| **member != entitlement.child)
                                .map(|member| (entitlement.entitlement_id, member.0))
                        })
                        .collect();
                    if ids.iter().collect::<HashSet<_>>().len() < ids.len()
                        || members.iter().collect::<HashSet<_>>().len() < members.len()
                    {
                        return Ok(Staged::Alone);
                    }
                    if ids.iter().any(|id| self.entitlement_ids.contains(id))
                        || members
                            .iter()
                            .any(|key| self.household_child_keys.contains(key))
                    {
                        return Ok(Staged::AfterFlush);
                    }
                    let custom = granted.assessment.as_ref().is_some_and(|a| a.custom);
                    let decision = self.decisions.entry(granted.application_id).or_default();
                    decision.decided_on = Some(granted.decided_on);
                    decision.decided_at = Some(occurred_at);
                    decision.custom_by = Some(custom.then(|| acting.to_owned()));
                    for entitlement in &granted.entitlements {
                        let payers = Payers::of(
                            entitlement.funder.as_ref(),
                            entitlement.co_financing.as_ref(),
                        );
                        self.entitlement_ids.insert(entitlement.entitlement_id);
                        self.granted.push(EntitlementRow {
                            entitlement_id: entitlement.entitlement_id,
                            gemeente: gemeente.to_owned(),
                            application_id: granted.application_id,
                            child: Person {
                                id: entitlement.child.0,
                                on: entitlement.valid_until,
                            },
                            provision: entitlement.provision.as_str().to_owned(),
                            amount_cents: entitlement.amount_cents.get(),
                            granted_on: Some(granted.decided_on),
                            valid_until: entitlement.valid_until,
                            granted_at: Some(occurred_at),
                            payers,
                        });
                        for member in entitlement
                            .household_children
                            .iter()
                            .filter(|member| **member != entitlement.child)
                        {
                            self.household_child_keys
                                .insert((entitlement.entitlement_id, member.0));
                            self.household_children.push(HouseholdChildRow {
                                entitlement_id: entitlement.entitlement_id,
                                gemeente: gemeente.to_owned(),
                                child: Person {
                                    id: member.0,
                                    on: entitlement.valid_until,
                                },
                                granted_on: granted.decided_on,
                                valid_until: entitlement.valid_until,
                            });
                        }
                    }
                }
                ApplicationEvent::ApplicationRejected(rejected) => {
                    let decision = self.decisions.entry(rejected.application_id).or_default();
                    decision.decided_on = Some(rejected.decided_on);
                    decision.decided_at = Some(occurred_at);
                }
                ApplicationEvent::ApplicationWithdrawn(withdrawn) => {
                    let decision = self.decisions.entry(withdrawn.application_id).or_default();
                    decision.decided_on = Some(withdrawn.withdrawn_on);
                }
                // Replaces a person's id in every row, pending ones included: after them, alone.
                ApplicationEvent::SubjectForgotten(_) => return Ok(Staged::Alone),
                ApplicationEvent::SubjectRectified(_) => {}
            },
            Service::Provision => match event.decode()? {
                ProvisionEvent::EntitlementOpened(opened) => {
                    if self.entitlement_ids.contains(&opened.entitlement_id) {
                        return Ok(Staged::AfterFlush);
                    }
                    self.entitlement_ids.insert(opened.entitlement_id);
                    self.opened.push(EntitlementRow {
                        entitlement_id: opened.entitlement_id,
                        gemeente: gemeente.to_owned(),
                        application_id: opened.application_id,
                        child: Person {
                            id: opened.child.0,
                            on: opened.valid_until,
                        },
                        provision: opened.provision.as_str().to_owned(),
                        amount_cents: opened.amount_cents.get(),
                        granted_on: None,
                        valid_until: opened.valid_until,
                        granted_at: None,
                        payers: Payers::of(opened.funder.as_ref(), opened.co_financing.as_ref()),
                    });
                }
                ProvisionEvent::DeliveryRecorded(delivery) => {
                    return Ok(self.serve(ServedRow {
                        id: delivery.delivery_id,
                        gemeente: gemeente.to_owned(),
                        entitlement_id: delivery.entitlement_id,
                        child: Person {
                            id: delivery.child.0,
                            on: delivery.delivered_on,
                        },
                        provision: delivery.provision.as_str().to_owned(),
                        partner: delivery.partner.as_str().to_owned(),
                        form: word(&delivery.form),
                        amount_cents: delivery.amount_cents.get(),
                        on: delivery.delivered_on,
                        occurred_at,
                    }))
                }
                ProvisionEvent::PassRedeemed(redeemed) => {
                    return Ok(self.serve(ServedRow {
                        id: redeemed.redemption_id,
                        gemeente: gemeente.to_owned(),
                        entitlement_id: redeemed.entitlement_id,
                        child: Person {
                            id: redeemed.child.0,
                            on: redeemed.redeemed_on,
                        },
                        provision: redeemed.provision.as_str().to_owned(),
                        partner: redeemed.partner.as_str().to_owned(),
                        form: "voucher".to_owned(),
                        amount_cents: redeemed.amount_cents.get(),
                        on: redeemed.redeemed_on,
                        occurred_at,
                    }))
                }
                ProvisionEvent::DeclarationDecided(decided) if decided.approved => {
                    return Ok(self.serve(ServedRow {
                        id: decided.declaration_id,
                        gemeente: gemeente.to_owned(),
                        entitlement_id: decided.entitlement_id,
                        child: Person {
                            id: decided.child.0,
                            on: decided.decided_on,
                        },
                        provision: decided.provision.as_str().to_owned(),
                        partner: decided.submitted_by.as_str().to_owned(),
                        form: "declaration".to_owned(),
                        amount_cents: decided.amount_cents.get(),
                        on: decided.decided_on,
                        occurred_at,
                    }))
                }
                ProvisionEvent::EntitlementExpired(expired) => {
                    if !self.expired_ids.insert(expired.entitlement_id) {
                        return Ok(Staged::AfterFlush);
                    }
                    self.expired.push(ExpiredRow {
                        entitlement_id: expired.entitlement_id,
                        gemeente: gemeente.to_owned(),
                        child: Person {
                            id: expired.child.0,
                            on: expired.expired_on,
                        },
                        provision: expired.provision.as_str().to_owned(),
                        amount_cents: expired.amount_cents.get(),
                        used_cents: expired.used_cents.get(),
                        unused_cents: expired.unused_cents.get(),
                        expired_on: expired.expired_on,
                    });
                }
                ProvisionEvent::PassIssued(_)
                | ProvisionEvent::PassBlocked(_)
                | ProvisionEvent::DeclarationSubmitted(_)
                | ProvisionEvent::DeclarationDecided(_)
                | ProvisionEvent::InvoiceSubmitted(_)
                | ProvisionEvent::InvoiceSettled(_)
                | ProvisionEvent::SampleDrawn(_)
                | ProvisionEvent::SampleCheckRecorded(_)
                | ProvisionEvent::CreditNoteIssued(_)
                | ProvisionEvent::ProofAttached(_) => {}
                ProvisionEvent::ReclaimDecided(_) | ProvisionEvent::CampaignStarted(_) => {
                    return Ok(Staged::Alone)
                }
            },
            Service::Regie => match event.decode()? {
                RegieEvent::PartnerEnrolled(enrolled) => {
                    let key = (gemeente.to_owned(), enrolled.partner.as_str().to_owned());
                    if self.partner_keys.contains(&key) {
                        return Ok(Staged::AfterFlush);
                    }
                    let change = if enrolled
                        .roles
                        .iter()
                        .all(|role| *role == PartnerRole::Signal)
                    {
                        PartnerChange::SignalOnly
                    } else {
                        PartnerChange::Enrolled {
                            name: enrolled.name.clone(),
                            enrolled_on: enrolled.enrolled_on,
                        }
                    };
                    self.partner_keys.insert(key.clone());
                    self.partners.push((key, change));
                }
                RegieEvent::PartnerEnrolmentEnded(ended) => {
                    let key = (gemeente.to_owned(), ended.partner.as_str().to_owned());
                    if self.partner_keys.contains(&key) {
                        return Ok(Staged::AfterFlush);
                    }
                    self.partner_keys.insert(key.clone());
                    self.partners.push((
                        key,
                        PartnerChange::Ended {
                            ended_on: ended.ended_on,
                        },
                    ));
                }
                RegieEvent::RoutingSet(_)
                | RegieEvent::RegelingEnded(_)
                | RegieEvent::DiscountAgreed(_)
                | RegieEvent::DiscountEnded(_) => {}
                RegieEvent::RegelingPublished(_)
                | RegieEvent::TargetGroupSet(_)
                | RegieEvent::WishSubmitted(_) => return Ok(Staged::Alone),
            },
        }
        Ok(Staged::Pending)
    }

    /// A child served: written once (`ON CONFLICT DO NOTHING`), so a second row of the same id
    /// waits for the first to be written.
    fn serve(&mut self, row: ServedRow) -> Staged {
        if !self.served_ids.insert(row.id) {
            return Staged::AfterFlush;
        }
        self.served.push(row);
        Staged::Pending
    }

    /// Writes everything pending, a statement per kind of row, and empties the sets.
    async fn flush(
        &mut self,
        connection: &mut PgConnection,
        forgetting: &Forgetting,
    ) -> Result<(), HandlerError> {
        if self.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(self);
        let folded_before = Retention::folded_before(connection).await?;
        let folded = |on: Date| folded_before.is_some_and(|before| on < before);
        // Each fact dated before the last fold is left out, as one by one: with its person.
        let mut persons: Vec<Person> = Vec::new();
        let signals: Vec<&SignalRow> = pending
            .signals
            .iter()
            .filter(|row| !folded(row.child.on))
            .collect();
        persons.extend(signals.iter().map(|row| row.child));
        let applications: Vec<&ApplicationRow> = pending
            .applications
            .iter()
            .filter(|row| !folded(row.submitted_on))
            .collect();
        let application_children: Vec<&ApplicationChildRow> = pending
            .application_children
            .iter()
            .filter(|row| !folded(row.child.on))
            .collect();
        persons.extend(application_children.iter().map(|row| row.child));
        let granted: Vec<&EntitlementRow> = pending
            .granted
            .iter()
            .filter(|row| !folded(row.valid_until))
            .collect();
        persons.extend(granted.iter().map(|row| row.child));
        let household_children: Vec<&HouseholdChildRow> = pending
            .household_children
            .iter()
            .filter(|row| !folded(row.child.on))
            .collect();
        persons.extend(household_children.iter().map(|row| row.child));
        let opened: Vec<&EntitlementRow> = pending
            .opened
            .iter()
            .filter(|row| !folded(row.valid_until))
            .collect();
        persons.extend(opened.iter().map(|row| row.child));
        let served: Vec<&ServedRow> = pending
            .served
            .iter()
            .filter(|row| !folded(row.child.on))
            .collect();
        persons.extend(served.iter().map(|row| row.child));
        let expired: Vec<&ExpiredRow> = pending
            .expired
            .iter()
            .filter(|row| !folded(row.child.on))
            .collect();
        persons.extend(expired.iter().map(|row| row.child));
        let aliases = resolve(connection, forgetting, &persons).await?;
        let id = |person: &Person| aliases.get(&person.id).copied().unwrap_or(person.id);

        if !signals.is_empty() {
            sqlx::query(
                "INSERT INTO signals (signal_id, gemeente, child, signaller, referred_partner,
                     signalled_on, acting_organisation, occurred_at, wijk, provision_type, due_on)
                 SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[],
                     $6::date[], $7::text[], $8::timestamptz[], $9::text[], $10::text[], $11::date[])
                 ON CONFLICT DO NOTHING",
            )
            .bind(signals.iter().map(|r| r.signal_id).collect::<Vec<_>>())
            .bind(signals.iter().map(|r| r.gemeente.clone()).collect::<Vec<_>>())
            .bind(signals.iter().map(|r| id(&r.child)).collect::<Vec<_>>())
            .bind(signals.iter().map(|r| r.signaller.clone()).collect::<Vec<_>>())
            .bind(
                signals
                    .iter()
                    .map(|r| r.referred_partner.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(signals.iter().map(|r| r.child.on).collect::<Vec<_>>())
            .bind(signals.iter().map(|r| r.acting.clone()).collect::<Vec<_>>())
            .bind(signals.iter().map(|r| r.occurred_at).collect::<Vec<_>>())
            .bind(signals.iter().map(|r| r.wijk.clone()).collect::<Vec<_>>())
            .bind(
                signals
                    .iter()
                    .map(|r| r.provision_type.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(signals.iter().map(|r| r.due_on).collect::<Vec<_>>())
            .execute(&mut *connection)
            .await?;
        }
        if !pending.accepted.is_empty() {
            // After the inserts: a signal taken in by this batch can be picked up in it.
            let (ids, on): (Vec<Uuid>, Vec<Date>) = pending.accepted.iter().copied().unzip();
            sqlx::query(
                "UPDATE signals s SET accepted_on = coalesce(s.accepted_on, k.accepted_on)
                 FROM unnest($1::uuid[], $2::date[]) AS k(signal_id, accepted_on)
                 WHERE s.signal_id = k.signal_id",
            )
            .bind(ids)
            .bind(on)
            .execute(&mut *connection)
            .await?;
        }
        if !applications.is_empty() {
            sqlx::query(
                "INSERT INTO applications (application_id, gemeente, channel, signal_id,
                     submitted_on, occurred_at, taken_by)
                 SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::date[],
                     $6::timestamptz[], $7::text[])
                 ON CONFLICT DO NOTHING",
            )
            .bind(
                applications
                    .iter()
                    .map(|r| r.application_id)
                    .collect::<Vec<_>>(),
            )
            .bind(
                applications
                    .iter()
                    .map(|r| r.gemeente.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(
                applications
                    .iter()
                    .map(|r| r.channel.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(applications.iter().map(|r| r.signal_id).collect::<Vec<_>>())
            .bind(
                applications
                    .iter()
                    .map(|r| r.submitted_on)
                    .collect::<Vec<_>>(),
            )
            .bind(
                applications
                    .iter()
                    .map(|r| r.occurred_at)
                    .collect::<Vec<_>>(),
            )
            .bind(
                applications
                    .iter()
                    .map(|r| r.taken_by.clone())
                    .collect::<Vec<_>>(),
            )
            .execute(&mut *connection)
            .await?;
        }
        if !application_children.is_empty() {
            sqlx::query(
                "INSERT INTO application_children (application_id, child, age_band)
                 SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[])
                 ON CONFLICT DO NOTHING",
            )
            .bind(
                application_children
                    .iter()
                    .map(|r| r.application_id)
                    .collect::<Vec<_>>(),
            )
            .bind(
                application_children
                    .iter()
                    .map(|r| id(&r.child))
                    .collect::<Vec<_>>(),
            )
            .bind(
                application_children
                    .iter()
                    .map(|r| r.age_band.to_owned())
                    .collect::<Vec<_>>(),
            )
            .execute(&mut *connection)
            .await?;
        }
        if !pending.decisions.is_empty() {
            // After the inserts: an application taken in by this batch can be decided in it.
            let mut columns = DecisionColumns::default();
            for (application_id, decision) in &pending.decisions {
                columns.push(*application_id, decision);
            }
            sqlx::query(
                "UPDATE applications a SET
                     decided_on = CASE WHEN k.set_decided_on THEN k.decided_on ELSE a.decided_on END,
                     decided_at = CASE WHEN k.set_decided_at THEN k.decided_at ELSE a.decided_at END,
                     custom_by = CASE WHEN k.set_custom_by THEN k.custom_by ELSE a.custom_by END
                 FROM unnest($1::uuid[], $2::bool[], $3::date[], $4::bool[], $5::timestamptz[],
                     $6::bool[], $7::text[])
                     AS k(application_id, set_decided_on, decided_on, set_decided_at, decided_at,
                          set_custom_by, custom_by)
                 WHERE a.application_id = k.application_id",
            )
            .bind(columns.ids)
            .bind(columns.set_decided_on)
            .bind(columns.decided_on)
            .bind(columns.set_decided_at)
            .bind(columns.decided_at)
            .bind(columns.set_custom_by)
            .bind(columns.custom_by)
            .execute(&mut *connection)
            .await?;
        }
        if !granted.is_empty() {
            let columns = EntitlementColumns::of(&granted, &id);
            sqlx::query(
                "INSERT INTO entitlements (entitlement_id, gemeente, application_id, child, provision,
                     amount_cents, granted_on, valid_until, granted_at,
                     funder, funder_source, co_funder, co_funder_source, co_share_percent)
                 SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[],
                     $6::bigint[], $7::date[], $8::date[], $9::timestamptz[], $10::text[],
                     $11::text[], $12::text[], $13::text[], $14::smallint[])
                 ON CONFLICT (entitlement_id) DO UPDATE SET granted_on = EXCLUDED.granted_on,
                     valid_until = EXCLUDED.valid_until, granted_at = EXCLUDED.granted_at,
                     funder = EXCLUDED.funder, funder_source = EXCLUDED.funder_source,
                     co_funder = EXCLUDED.co_funder, co_funder_source = EXCLUDED.co_funder_source,
                     co_share_percent = EXCLUDED.co_share_percent",
            )
            .bind(columns.entitlement_ids)
            .bind(columns.gemeenten)
            .bind(columns.application_ids)
            .bind(columns.children)
            .bind(columns.provisions)
            .bind(columns.amounts)
            .bind(columns.granted_on)
            .bind(columns.valid_until)
            .bind(columns.granted_at)
            .bind(columns.funders)
            .bind(columns.funder_sources)
            .bind(columns.co_funders)
            .bind(columns.co_funder_sources)
            .bind(columns.co_shares)
            .execute(&mut *connection)
            .await?;
        }
        if !household_children.is_empty() {
            sqlx::query(
                "INSERT INTO household_children (entitlement_id, gemeente, child, granted_on,
                     valid_until)
                 SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::date[], $5::date[])
                 ON CONFLICT DO NOTHING",
            )
            .bind(
                household_children
                    .iter()
                    .map(|r| r.entitlement_id)
                    .collect::<Vec<_>>(),
            )
            .bind(
                household_children
                    .iter()
                    .map(|r| r.gemeente.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(
                household_children
                    .iter()
                    .map(|r| id(&r.child))
                    .collect::<Vec<_>>(),
            )
            .bind(
                household_children
                    .iter()
                    .map(|r| r.granted_on)
                    .collect::<Vec<_>>(),
            )
            .bind(
                household_children
                    .iter()
                    .map(|r| r.valid_until)
                    .collect::<Vec<_>>(),
            )
            .execute(&mut *connection)
            .await?;
        }
        if !opened.is_empty() {
            let columns = EntitlementColumns::of(&opened, &id);
            sqlx::query(
                "INSERT INTO entitlements (entitlement_id, gemeente, application_id, child, provision,
                     amount_cents, opened, valid_until,
                     funder, funder_source, co_funder, co_funder_source, co_share_percent)
                 SELECT k.entitlement_id, k.gemeente, k.application_id, k.child, k.provision,
                     k.amount_cents, true, k.valid_until, k.funder, k.funder_source, k.co_funder,
                     k.co_funder_source, k.co_share_percent
                 FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[],
                     $6::bigint[], $7::date[], $8::text[], $9::text[], $10::text[], $11::text[],
                     $12::smallint[])
                     AS k(entitlement_id, gemeente, application_id, child, provision, amount_cents,
                          valid_until, funder, funder_source, co_funder, co_funder_source,
                          co_share_percent)
                 ON CONFLICT (entitlement_id) DO UPDATE SET opened = true,
                     valid_until = coalesce(entitlements.valid_until, EXCLUDED.valid_until),
                     funder = coalesce(entitlements.funder, EXCLUDED.funder),
                     funder_source = coalesce(entitlements.funder_source, EXCLUDED.funder_source),
                     co_funder = coalesce(entitlements.co_funder, EXCLUDED.co_funder),
                     co_funder_source = coalesce(entitlements.co_funder_source, EXCLUDED.co_funder_source),
                     co_share_percent = coalesce(entitlements.co_share_percent, EXCLUDED.co_share_percent)",
            )
            .bind(columns.entitlement_ids)
            .bind(columns.gemeenten)
            .bind(columns.application_ids)
            .bind(columns.children)
            .bind(columns.provisions)
            .bind(columns.amounts)
            .bind(columns.valid_until)
            .bind(columns.funders)
            .bind(columns.funder_sources)
            .bind(columns.co_funders)
            .bind(columns.co_funder_sources)
            .bind(columns.co_shares)
            .execute(&mut *connection)
            .await?;
        }
        if !served.is_empty() {
            sqlx::query(
                "INSERT INTO deliveries (delivery_id, gemeente, entitlement_id, child, provision,
                     partner, form, amount_cents, delivered_on, occurred_at)
                 SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[],
                     $6::text[], $7::text[], $8::bigint[], $9::date[], $10::timestamptz[])
                 ON CONFLICT DO NOTHING",
            )
            .bind(served.iter().map(|r| r.id).collect::<Vec<_>>())
            .bind(
                served
                    .iter()
                    .map(|r| r.gemeente.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(served.iter().map(|r| r.entitlement_id).collect::<Vec<_>>())
            .bind(served.iter().map(|r| id(&r.child)).collect::<Vec<_>>())
            .bind(
                served
                    .iter()
                    .map(|r| r.provision.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(served.iter().map(|r| r.partner.clone()).collect::<Vec<_>>())
            .bind(served.iter().map(|r| r.form.clone()).collect::<Vec<_>>())
            .bind(served.iter().map(|r| r.amount_cents).collect::<Vec<_>>())
            .bind(served.iter().map(|r| r.on).collect::<Vec<_>>())
            .bind(served.iter().map(|r| r.occurred_at).collect::<Vec<_>>())
            .execute(&mut *connection)
            .await?;
        }
        if !expired.is_empty() {
            sqlx::query(
                "INSERT INTO expirations (entitlement_id, gemeente, child, provision, amount_cents,
                     used_cents, unused_cents, expired_on)
                 SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::bigint[],
                     $6::bigint[], $7::bigint[], $8::date[])
                 ON CONFLICT DO NOTHING",
            )
            .bind(expired.iter().map(|r| r.entitlement_id).collect::<Vec<_>>())
            .bind(
                expired
                    .iter()
                    .map(|r| r.gemeente.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(expired.iter().map(|r| id(&r.child)).collect::<Vec<_>>())
            .bind(
                expired
                    .iter()
                    .map(|r| r.provision.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(expired.iter().map(|r| r.amount_cents).collect::<Vec<_>>())
            .bind(expired.iter().map(|r| r.used_cents).collect::<Vec<_>>())
            .bind(expired.iter().map(|r| r.unused_cents).collect::<Vec<_>>())
            .bind(expired.iter().map(|r| r.expired_on).collect::<Vec<_>>())
            .execute(&mut *connection)
            .await?;
        }
        write_partners(connection, &pending.partners).await?;
        Ok(())
    }
}

/// The person ids to write, after the forgetting: the alias of each one forgotten. Holds every
/// person's shared lock until the transaction ends and moves each forgotten person's
/// `last_fact_on`, as [`Forgetting::person`] does one at a time.
async fn resolve(
    connection: &mut PgConnection,
    forgetting: &Forgetting,
    persons: &[Person],
) -> Result<HashMap<Uuid, Uuid>, HandlerError> {
    if persons.is_empty() {
        return Ok(HashMap::new());
    }
    let mut latest: HashMap<Uuid, Date> = HashMap::new();
    for person in persons {
        let on = latest.entry(person.id).or_insert(person.on);
        *on = (*on).max(person.on);
    }
    let mut markers = Vec::with_capacity(latest.len());
    let mut dates = Vec::with_capacity(latest.len());
    let mut by_marker = HashMap::with_capacity(latest.len());
    let mut locks = BTreeSet::new();
    for (id, on) in &latest {
        let marker = forgetting.marker(*id);
        locks.insert(lock_key(&marker));
        by_marker.insert(marker.clone(), *id);
        markers.push(marker);
        dates.push(*on);
    }
    sqlx::query("SELECT count(pg_advisory_xact_lock_shared(k)) FROM unnest($1::bigint[]) AS k")
        .bind(locks.into_iter().collect::<Vec<i64>>())
        .execute(&mut *connection)
        .await?;
    let aliases: Vec<(Vec<u8>, Uuid)> = sqlx::query_as(
        "UPDATE forgotten_subjects f SET last_fact_on = greatest(f.last_fact_on, k.fact_on)
         FROM unnest($1::bytea[], $2::date[]) AS k(marker, fact_on)
         WHERE f.marker = k.marker
         RETURNING f.marker, f.alias",
    )
    .bind(markers)
    .bind(dates)
    .fetch_all(&mut *connection)
    .await?;
    Ok(aliases
        .into_iter()
        .filter_map(|(marker, alias)| by_marker.get(&marker).map(|id| (*id, alias)))
        .collect())
}

/// The partners' rows: an enrolment (upsert), an enrolment to signal only (not a partner), an
/// enrolment ended; at most one change per partner is pending.
async fn write_partners(
    connection: &mut PgConnection,
    changes: &[((String, String), PartnerChange)],
) -> Result<(), HandlerError> {
    let (mut enrolled, mut removed, mut ended) = (
        (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
        (Vec::new(), Vec::new()),
        (Vec::new(), Vec::new(), Vec::new()),
    );
    for ((gemeente, partner), change) in changes {
        match change {
            PartnerChange::Enrolled { name, enrolled_on } => {
                enrolled.0.push(gemeente.clone());
                enrolled.1.push(partner.clone());
                enrolled.2.push(name.clone());
                enrolled.3.push(*enrolled_on);
            }
            PartnerChange::SignalOnly => {
                removed.0.push(gemeente.clone());
                removed.1.push(partner.clone());
            }
            PartnerChange::Ended { ended_on } => {
                ended.0.push(gemeente.clone());
                ended.1.push(partner.clone());
                ended.2.push(*ended_on);
            }
        }
    }
    if !enrolled.0.is_empty() {
        sqlx::query(
            "INSERT INTO partners (gemeente, partner, name, enrolled_on)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[])
             ON CONFLICT (gemeente, partner) DO UPDATE SET name = EXCLUDED.name,
                 enrolled_on = EXCLUDED.enrolled_on, ended_on = NULL",
        )
        .bind(enrolled.0)
        .bind(enrolled.1)
        .bind(enrolled.2)
        .bind(enrolled.3)
        .execute(&mut *connection)
        .await?;
    }
    if !removed.0.is_empty() {
        sqlx::query(
            "DELETE FROM partners p USING unnest($1::text[], $2::text[]) AS k(gemeente, partner)
             WHERE p.gemeente = k.gemeente AND p.partner = k.partner",
        )
        .bind(removed.0)
        .bind(removed.1)
        .execute(&mut *connection)
        .await?;
    }
    if !ended.0.is_empty() {
        sqlx::query(
            "UPDATE partners p SET ended_on = k.ended_on
             FROM unnest($1::text[], $2::text[], $3::date[]) AS k(gemeente, partner, ended_on)
             WHERE p.gemeente = k.gemeente AND p.partner = k.partner",
        )
        .bind(ended.0)
        .bind(ended.1)
        .bind(ended.2)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// The batch's decisions as columns, for `unnest`.
#[derive(Default)]
struct DecisionColumns {
    ids: Vec<Uuid>,
    set_decided_on: Vec<bool>,
    decided_on: Vec<Option<Date>>,
    set_decided_at: Vec<bool>,
    decided_at: Vec<Option<OffsetDateTime>>,
    set_custom_by: Vec<bool>,
    custom_by: Vec<Option<String>>,
}

impl DecisionColumns {
    fn push(&mut self, application_id: Uuid, decision: &Decision) {
        self.ids.push(application_id);
        self.set_decided_on.push(decision.decided_on.is_some());
        self.decided_on.push(decision.decided_on);
        self.set_decided_at.push(decision.decided_at.is_some());
        self.decided_at.push(decision.decided_at);
        self.set_custom_by.push(decision.custom_by.is_some());
        self.custom_by.push(decision.custom_by.clone().flatten());
    }
}

/// Entitlement rows as columns, for `unnest`.
struct EntitlementColumns {
    entitlement_ids: Vec<Uuid>,
    gemeenten: Vec<String>,
    application_ids: Vec<Uuid>,
    children: Vec<Uuid>,
    provisions: Vec<String>,
    amounts: Vec<i64>,
    granted_on: Vec<Option<Date>>,
    valid_until: Vec<Date>,
    granted_at: Vec<Option<OffsetDateTime>>,
    funders: Vec<Option<String>>,
    funder_sources: Vec<Option<String>>,
    co_funders: Vec<Option<String>>,
    co_funder_sources: Vec<Option<String>>,
    co_shares: Vec<Option<i16>>,
}

impl EntitlementColumns {
    fn of(rows: &[&EntitlementRow], id: &dyn Fn(&Person) -> Uuid) -> Self {
        Self {
            entitlement_ids: rows.iter().map(|r| r.entitlement_id).collect(),
            gemeenten: rows.iter().map(|r| r.gemeente.clone()).collect(),
            application_ids: rows.iter().map(|r| r.application_id).collect(),
            children: rows.iter().map(|r| id(&r.child)).collect(),
            provisions: rows.iter().map(|r| r.provision.clone()).collect(),
            amounts: rows.iter().map(|r| r.amount_cents).collect(),
            granted_on: rows.iter().map(|r| r.granted_on).collect(),
            valid_until: rows.iter().map(|r| r.valid_until).collect(),
            granted_at: rows.iter().map(|r| r.granted_at).collect(),
            funders: rows.iter().map(|r| r.payers.funder.clone()).collect(),
            funder_sources: rows
                .iter()
                .map(|r| r.payers.funder_source.clone())
                .collect(),
            co_funders: rows.iter().map(|r| r.payers.co_funder.clone()).collect(),
            co_funder_sources: rows
                .iter()
                .map(|r| r.payers.co_funder_source.clone())
                .collect(),
            co_shares: rows.iter().map(|r| r.payers.co_share_percent).collect(),
        }
    }
}
