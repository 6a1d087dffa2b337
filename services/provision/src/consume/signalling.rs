//! The signalling stream, for the partners' feed only: a referral routed to a partner (by the
//! routing table when the child is signalled, or re-routed by regie) is fed to that partner, and its
//! later steps — picked up, handed back — to the partner it is referred to then
//! ([`crate::feed::of_signalling`]). What is known of each referral is kept in `feed_referrals`, in
//! the consumer's transaction with its offset. A child forgotten before its signal arrives is not
//! fed (nor kept); forgetting one later removes its referrals with its entries.

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_platform::http::vocabulary::ProvisionTypeDto;
use kindpakket_proto::signalling::{Referral, SignallingEvent};
use sqlx::PgConnection;

use crate::access::as_projector;
use crate::feed::{self, Feeder, ReferralFacts, Source};
use crate::read_models::partner_feed;

/// Feeds the partners the referrals routed to them.
pub struct SignallingHandler {
    pub feeder: Feeder,
}

impl EventHandler for SignallingHandler {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let gemeente = &event.envelope.gemeente;
        let decoded = event.decode::<SignallingEvent>()?;
        as_projector(connection).await?;
        // The feed's lock before anything is kept of a child, as the forgetting takes it.
        partner_feed::lock(connection, gemeente).await?;
        let signal_id = match &decoded {
            SignallingEvent::ChildSignalled(signalled) => {
                let forgotten = self
                    .feeder
                    .keys
                    .is_forgotten(signalled.child.0)
                    .await
                    .map_err(HandlerError::Transient)?;
                if forgotten {
                    return Ok(());
                }
                let facts = ReferralFacts {
                    signal_id: signalled.signal_id,
                    child: signalled.child,
                    signaller: signalled.signaller.clone(),
                    provision_type: signalled.provision_type.map(ProvisionTypeDto::from),
                    due_on: signalled.due_on,
                };
                let partner = match &signalled.referral {
                    Referral::Partner { partner } => Some(partner),
                    Referral::Loket => None,
                };
                partner_feed::record_referral(
                    connection,
                    gemeente,
                    &facts,
                    signalled.signalled_on,
                    partner,
                )
                .await?;
                signalled.signal_id
            }
            SignallingEvent::SignalReferred(referred) => referred.signal_id,
            SignallingEvent::SignalAccepted(accepted) => accepted.signal_id,
            SignallingEvent::SignalHandedBack(handed_back) => handed_back.signal_id,
            SignallingEvent::SignalOutcomeRecorded(_) => return Ok(()),
        };
        let known = partner_feed::referral(connection, signal_id)
            .await?
            .map(|(facts, _)| facts);
        if !matches!(decoded, SignallingEvent::ChildSignalled(_)) && known.is_none() {
            // Signalled before this consumer kept referrals, or its child was forgotten.
            return Ok(());
        }
        if let SignallingEvent::SignalReferred(referred) = &decoded {
            let partner = match &referred.referral {
                Referral::Partner { partner } => Some(partner),
                Referral::Loket => None,
            };
            partner_feed::refer(connection, signal_id, partner).await?;
        }
        if let Some(fed) = feed::of_signalling(&decoded, known.as_ref()) {
            self.feeder
                .write(connection, &Source::of(&event.envelope), &fed, None)
                .await?;
        }
        if let SignallingEvent::SignalHandedBack(_) = &decoded {
            partner_feed::refer(connection, signal_id, None).await?;
        }
        Ok(())
    }
}
