//! The referral's life where it needs more than the aggregate: a hand-back's reason sealed under the
//! child's key, and a re-route checked against the enrolments (a partner enrolled for the signal's
//! provision type) with its due date from the routing table. Accepting and recording an outcome are
//! plain commands ([`crate::domain::signal`]).

use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::{SealError, SubjectKeys};
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError, LoadError};
use kindpakket_proto::signalling::Referral;
use kindpakket_proto::GemeenteCode;
use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use crate::domain::signal::{Acting, HandBack, Reroute, Signal, SignalCommand, SignalError};
use crate::signal_child::{EnrolmentRefusal, ForgottenChild};
use crate::{enrolments, routing};

/// Why a referral's step was not taken. Nothing is stored in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum ReferralError {
    #[error("{0}")]
    Unknown(LoadError),
    #[error("{0}")]
    Refused(CommandError<SignalError>),
    #[error("{0}")]
    NotEnrolled(EnrolmentRefusal),
    #[error("{0}")]
    Forgotten(ForgottenChild),
    #[error("the read models could not be read: {0}")]
    Technical(#[from] sqlx::Error),
    #[error("the reason could not be sealed: {0:#}")]
    Sealing(anyhow::Error),
}

/// The partner hands the referral back, with why (checked free text) sealed under the child's key.
pub async fn hand_back(
    signals: &AggregateStore<Signal>,
    keys: &SubjectKeys,
    signal_id: Uuid,
    by: Acting,
    reason: Option<Note>,
    on: Date,
    context: &CommandContext,
) -> Result<(), ReferralError> {
    let reason = match reason {
        Some(reason) => {
            let signal = signals
                .load_in(&by.gemeente, signal_id)
                .await
                .map_err(ReferralError::Unknown)?;
            let Some(details) = &signal.details else {
                return Err(ReferralError::Refused(CommandError::Rejected(
                    SignalError::NotFound,
                )));
            };
            // Who may not hand it back learns nothing more than from the command's refusal.
            if !signal.is_addressee(&by.organisation, by.as_loket) {
                return Err(ReferralError::Refused(CommandError::Rejected(
                    SignalError::NotAddressee,
                )));
            }
            match keys.seal(details.child.0, &reason).await {
                Ok(sealed) => Some(sealed),
                Err(SealError::Forgotten) => return Err(ReferralError::Forgotten(ForgottenChild)),
                Err(SealError::Technical(error)) => return Err(ReferralError::Sealing(error)),
            }
        }
        None => None,
    };
    signals
        .execute(
            signal_id,
            SignalCommand::HandBack(HandBack { by, on, reason }),
            context,
        )
        .await
        .map_err(ReferralError::Refused)
}

/// The regievoerder refers the signal again: to the loket, or to a partner enrolled (today) for the
/// signal's provision type. The due date counts the route's response time (of the signal's type and
/// wijk, else [`routing::DEFAULT_RESPONSE_DAYS`]) from today.
pub async fn reroute(
    pool: &PgPool,
    signals: &AggregateStore<Signal>,
    gemeente: &GemeenteCode,
    signal_id: Uuid,
    to: Referral,
    today: Date,
    context: &CommandContext,
) -> Result<Date, ReferralError> {
    let signal = signals
        .load_in(gemeente, signal_id)
        .await
        .map_err(ReferralError::Unknown)?;
    let details = signal
        .details
        .ok_or(ReferralError::Refused(CommandError::Rejected(
            SignalError::NotFound,
        )))?;
    if let Referral::Partner { partner } = &to {
        let enrolled = match details.provision_type {
            Some(provision_type) => {
                enrolments::enrolled_for_type(pool, gemeente, partner, provision_type, today)
                    .await?
            }
            None => enrolments::enrolment_of(pool, gemeente, partner)
                .await?
                .is_some_and(|enrolment| enrolment.in_force_on(today)),
        };
        if !enrolled {
            return Err(ReferralError::NotEnrolled(
                EnrolmentRefusal::PartnerNotEnrolled,
            ));
        }
    }
    let route = match details.provision_type {
        Some(provision_type) => {
            routing::route_for(pool, gemeente, provision_type, details.wijk.as_ref()).await?
        }
        None => None,
    };
    let days = route.map_or(routing::DEFAULT_RESPONSE_DAYS, |route| route.response_days);
    let due_on = routing::due_date(today, days);
    signals
        .execute(
            signal_id,
            SignalCommand::Reroute(Reroute {
                gemeente: gemeente.clone(),
                to,
                due_on: Some(due_on),
                on: today,
            }),
            context,
        )
        .await
        .map_err(ReferralError::Refused)?;
    Ok(due_on)
}
