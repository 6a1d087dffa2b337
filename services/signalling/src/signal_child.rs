//! Signalling a child: the use-case that needs the enrolments read model ([`crate::enrolments`]).
//! Before the command, it checks that the signalling organisation is enrolled in the gemeente with
//! the role `signaleren` (the gemeente's regievoerder may always signal), and that a referral to a
//! partner names a partner enrolled in the gemeente. Nothing is stored when either check fails.

use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::signalling::Referral;
use kindpakket_proto::Role;
use sqlx::PgPool;
use time::Date;

use crate::domain::signal::{Signal, SignalChild, SignalCommand, SignalError};
use crate::enrolments;

/// Why an organisation's enrolment does not allow this signal. The messages are Dutch, name the
/// field and what is expected, and never repeat what the caller sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnrolmentRefusal {
    #[error("Uw organisatie is in deze gemeente niet ingeschreven om te signaleren. Vraag de regievoerder om een inschrijving met de rol 'signaleren'.")]
    SignallerNotEnrolled,
    #[error("Het veld 'verwezenNaar.partner' moet een partner noemen die in deze gemeente is ingeschreven; verwijs anders naar het loket (\"soort\": \"loket\").")]
    PartnerNotEnrolled,
}

impl Refusal for EnrolmentRefusal {
    fn kind(&self) -> RefusalKind {
        match self {
            EnrolmentRefusal::SignallerNotEnrolled => RefusalKind::Forbidden,
            EnrolmentRefusal::PartnerNotEnrolled => RefusalKind::Invalid,
        }
    }
}

/// Why a child was not signalled: the enrolments say no, the aggregate says no, or the read model
/// could not be read (logged, not shown).
#[derive(Debug, thiserror::Error)]
pub enum SignalChildError {
    #[error("{0}")]
    NotEnrolled(EnrolmentRefusal),
    #[error("{0}")]
    Refused(CommandError<SignalError>),
    #[error("the enrolments could not be read: {0}")]
    Technical(#[from] sqlx::Error),
}

/// Signals a child as the caller of `context`, when its enrolment allows it on `today`.
pub async fn signal_child(
    pool: &PgPool,
    signals: &AggregateStore<Signal>,
    command: SignalChild,
    context: &CommandContext,
    today: Date,
) -> Result<(), SignalChildError> {
    let gemeente = &command.gemeente;
    if context.actor.role != Role::Regievoerder {
        let enrolment = enrolments::enrolment_of(pool, gemeente, &command.signaller).await?;
        if !enrolment.is_some_and(|enrolment| enrolment.may_signal_on(today)) {
            return Err(SignalChildError::NotEnrolled(
                EnrolmentRefusal::SignallerNotEnrolled,
            ));
        }
    }
    if let Referral::Partner { partner } = &command.referral {
        let enrolment = enrolments::enrolment_of(pool, gemeente, partner).await?;
        if !enrolment.is_some_and(|enrolment| enrolment.in_force_on(today)) {
            return Err(SignalChildError::NotEnrolled(
                EnrolmentRefusal::PartnerNotEnrolled,
            ));
        }
    }
    signals
        .execute(
            command.signal_id,
            SignalCommand::SignalChild(command),
            context,
        )
        .await
        .map_err(SignalChildError::Refused)
}
