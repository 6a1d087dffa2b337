//! The application stream: grants open entitlements; a forgotten child is forgotten here too.
//!
//! - `ApplicationGranted`: the entitlement's id comes with the grant and `Open` is idempotent, so a
//!   redelivered grant opens nothing twice even though each command commits in its own transaction;
//!   the read model [`crate::read_models::entitlements`] gets its row in the consumer's transaction.
//! - `SubjectForgotten` of a child (AVG art. 17 and 19, or the end of retention): the child's keys
//!   are destroyed, so every text sealed under them (block reasons, proofs, rejection reasons, check
//!   notes) reads as forgotten in the store, in replays and in old backups; the child's reference in
//!   the `entitlements` read model is set to `NULL`, its passes' codes and its proof documents
//!   (`proof_documents`, sealed under the destroyed keys) are dropped, in the
//!   consumer's transaction with its offset. The entitlements, declarations and invoices themselves
//!   stay: what was spent must stay accounted for to the funders, and they name the child only by a
//!   pseudonymous reference whose link to a person the gemeente has just destroyed. Destroying keys
//!   is idempotent, and the read-model change commits with the offset, so a crash or a redelivery
//!   at any point repeats harmlessly. The partners' feed loses every entry about the child
//!   ([`crate::read_models::partner_feed::forget_child`]) in the same transaction. Of a household, this service keeps its keys (none used so far)
//!   and which applications, entitlements and declarations are its: all forgotten.
//! - `ApplicationSubmitted`: which household the application is for
//!   ([`crate::read_models::work_lists`]), so that its entitlements are listed for that household's
//!   parent; `SubjectForgotten` of a household drops that link everywhere.
//! - `SubjectRectified`: acknowledged; this service keeps no personal data of a person to correct
//!   (only pseudonymous references, which a rectification does not change).

use std::sync::Arc;

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_platform::shredding::SubjectKeys;
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::application::{
    ApplicationEvent, ApplicationGranted, ForgetReason, GrantedEntitlement, SubjectForgotten,
    SubjectKind,
};
use kindpakket_proto::provision::EntitlementOpened;
use kindpakket_proto::regie::DeliveryForm;
use kindpakket_proto::{ChildRef, GemeenteCode, Service};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::access::as_projector;
use crate::domain::entitlement::{Entitlement, EntitlementCommand, Open};
use crate::pass_codes;
use crate::read_models::{entitlements, partner_feed, work_lists};

/// Opens the entitlements of every grant, and forgets the children the gemeente forgot.
pub struct ApplicationHandler {
    pub entitlements: Arc<AggregateStore<Entitlement>>,
    pub pool: PgPool,
    pub keys: SubjectKeys,
}

impl EventHandler for ApplicationHandler {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        match event.decode::<ApplicationEvent>()? {
            ApplicationEvent::ApplicationGranted(granted) => {
                let context = CommandContext::caused_by(&event.envelope, Service::Provision);
                as_projector(connection).await?;
                for entitlement in &granted.entitlements {
                    self.open(
                        connection,
                        &event.envelope.gemeente,
                        &granted,
                        entitlement,
                        &context,
                    )
                    .await?;
                }
            }
            ApplicationEvent::SubjectForgotten(forgotten) => {
                self.forget(connection, &event.envelope.gemeente, &forgotten)
                    .await?;
            }
            ApplicationEvent::SubjectRectified(rectified) => {
                tracing::info!(subject_kind = ?rectified.kind, "rectification acknowledged: nothing kept to correct");
            }
            ApplicationEvent::ApplicationSubmitted(submitted) => {
                as_projector(connection).await?;
                work_lists::record_application(
                    connection,
                    &event.envelope.gemeente,
                    submitted.application_id,
                    submitted.household,
                    submitted.on_behalf_of.as_ref(),
                )
                .await?;
            }
            ApplicationEvent::ApplicationRejected(_)
            | ApplicationEvent::ApplicationWithdrawn(_) => {}
        }
        Ok(())
    }
}

/// What the keys database records as the reason a subject was forgotten.
pub fn forget_reason(why: ForgetReason) -> &'static str {
    match why {
        ForgetReason::Erasure => "erasure",
        ForgetReason::Retention => "retention",
    }
}

impl ApplicationHandler {
    /// Forgets a child or household: its keys first (idempotent, in the keys database), then the
    /// read models in the consumer's transaction, which commits with the offset.
    async fn forget(
        &self,
        connection: &mut PgConnection,
        gemeente: &GemeenteCode,
        forgotten: &SubjectForgotten,
    ) -> Result<(), HandlerError> {
        self.keys
            .forget(forgotten.subject, forget_reason(forgotten.why))
            .await
            .map_err(HandlerError::Transient)?;
        as_projector(connection).await?;
        if forgotten.kind == SubjectKind::Child {
            let anonymised =
                entitlements::forget_child(connection, ChildRef(forgotten.subject)).await?;
            work_lists::forget_child(connection, forgotten.subject).await?;
            // Under the gemeente's feed lock, after the keys are gone: an entry being written now
            // is either committed before this delete or sees the child forgotten.
            partner_feed::lock(connection, gemeente).await?;
            let fed = partner_feed::forget_child(connection, forgotten.subject).await?;
            let codes = pass_codes::forget_entitlements(connection, &anonymised).await?;
            let proofs =
                crate::http::proofs::forget_child(connection, ChildRef(forgotten.subject)).await?;
            tracing::info!(
                entitlements = anonymised.len(),
                pass_codes = codes,
                proof_documents = proofs,
                feed_entries = fed,
                "forgot a child"
            );
        } else {
            work_lists::forget_household(connection, forgotten.subject).await?;
            tracing::info!(
                "forgot a household: its link to applications, entitlements and declarations"
            );
        }
        Ok(())
    }

    async fn open(
        &self,
        connection: &mut PgConnection,
        gemeente: &GemeenteCode,
        granted: &ApplicationGranted,
        entitlement: &GrantedEntitlement,
        context: &CommandContext,
    ) -> Result<(), HandlerError> {
        let entitlement_id = entitlement.entitlement_id;
        // A voucher gets its pass when it opens, and so does a discount (the holder shows it at the
        // till); the pass id is stable, so a redelivered grant issues no second pass (its fresh
        // code is registered, but never issued).
        let gets_pass = matches!(
            entitlement.form,
            Some(DeliveryForm::Voucher | DeliveryForm::Discount)
        );
        let pass = if gets_pass {
            let pass_id = Uuid::new_v5(&entitlement_id, b"pass-1");
            Some(pass_codes::new_pass(&self.pool, pass_id, gemeente, entitlement_id).await?)
        } else {
            None
        };
        let opened = EntitlementOpened {
            entitlement_id,
            application_id: granted.application_id,
            child: entitlement.child,
            provision: entitlement.provision.clone(),
            amount_cents: entitlement.amount_cents,
            valid_from: entitlement.valid_from,
            valid_until: entitlement.valid_until,
            funder: entitlement.funder.clone(),
            co_financing: entitlement.co_financing.clone(),
            form: entitlement.form,
            unit_value_cents: entitlement.unit_value_cents,
            household_children: entitlement.household_children.clone(),
            regeling_id: granted
                .assessment
                .as_ref()
                .map(|assessment| assessment.regeling_id),
        };
        let mut living = Vec::new();
        for child in opened.spenders() {
            let forgotten = self
                .keys
                .is_forgotten(child.0)
                .await
                .map_err(HandlerError::Transient)?;
            if !forgotten {
                living.push(child);
            }
        }
        let household = work_lists::household_of(connection, granted.application_id).await?;
        entitlements::record(connection, gemeente, &opened, &living, household).await?;
        let command = EntitlementCommand::Open(Open {
            gemeente: gemeente.clone(),
            opened,
            pass,
            opened_on: granted.decided_on,
        });
        // The grant made the entitlement's id: opened without reading a history first (a
        // redelivered grant finds its history and is decided by it, see `execute_new`).
        match self
            .entitlements
            .execute_new(entitlement_id, command, context)
            .await
        {
            Ok(()) => {
                tracing::info!(%entitlement_id, "entitlement opened");
                Ok(())
            }
            Err(CommandError::Rejected(refusal)) => Err(HandlerError::Poison(format!(
                "grant cannot open entitlement: {refusal}"
            ))),
            Err(error) => Err(HandlerError::Transient(anyhow::anyhow!("{error}"))),
        }
    }
}
