//! Signalling a child: the use-case that needs the enrolments and routing read models
//! ([`crate::enrolments`], [`crate::routing`]) and the children's keys. Before the command, it
//! checks that the signalling organisation is enrolled in the gemeente with the role `signaleren`
//! (the gemeente's regievoerder may always signal); nothing is stored when it is not. The routing
//! table says where the signal goes and by when it must be picked up. Then it seals the reason and
//! the signaller's note under the child's key ([`WhySignalled`]) and gives the sealed value to the
//! command: the aggregate stays pure and its tests need no keys. A child that was forgotten gets
//! nothing new recorded about it.

use kindpakket_platform::free_text::Note;
use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_platform::shredding::{SealError, SubjectKeys};
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::regie::ProvisionType;
use kindpakket_proto::signalling::SignalReason;
use kindpakket_proto::{ChildRef, GemeenteCode, HouseholdRef, OrganisationId, Role, WijkCode};
use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use crate::domain::signal::{Signal, SignalChild, SignalCommand, SignalError, WhySignalled};
use crate::routing;

/// A signal as it is asked for, its reason and note not yet sealed.
#[derive(Debug, Clone)]
pub struct NewSignal {
    pub gemeente: GemeenteCode,
    pub signal_id: Uuid,
    pub signaller: OrganisationId,
    pub child: ChildRef,
    pub household: Option<HouseholdRef>,
    pub reason: SignalReason,
    /// Checked free text ([`kindpakket_platform::free_text::FreeText::checked`]).
    pub note: Option<Note>,
    pub provision_type: Option<ProvisionType>,
    pub wijk: Option<WijkCode>,
    pub signalled_on: Date,
}

/// A child that was forgotten: nothing new is recorded about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("De gegevens van dit kind zijn vergeten; er wordt niets nieuws over vastgelegd. Er is niets opgeslagen.")]
pub struct ForgottenChild;

impl Refusal for ForgottenChild {
    fn kind(&self) -> RefusalKind {
        RefusalKind::Conflict
    }
}

/// Why an organisation's enrolment does not allow this signal. The messages are Dutch, name the
/// field and what is expected, and never repeat what the caller sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnrolmentRefusal {
    #[error("Uw organisatie is in deze gemeente niet ingeschreven om te signaleren. Vraag de regievoerder om een inschrijving met de rol 'signaleren'.")]
    SignallerNotEnrolled,
    #[error("Het veld 'naar.partner' moet een partner noemen die in deze gemeente is ingeschreven voor deze soort voorziening; verwijs anders naar het loket (\"naar\": \"loket\"). Er is niets veranderd.")]
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
    #[error("{0}")]
    Forgotten(ForgottenChild),
    #[error("the enrolments could not be read: {0}")]
    Technical(#[from] sqlx::Error),
    #[error("the reason could not be sealed: {0:#}")]
    Sealing(anyhow::Error),
}

/// Signals a child as the caller of `context`, when its enrolment allows it on `today`.
pub async fn signal_child(
    pool: &PgPool,
    signals: &AggregateStore<Signal>,
    keys: &SubjectKeys,
    command: NewSignal,
    context: &CommandContext,
    today: Date,
) -> Result<(), SignalChildError> {
    let gemeente = &command.gemeente;
    let setting = routing::signal_setting(pool, gemeente, &command.signaller).await?;
    if context.actor.role != Role::Regievoerder
        && !setting
            .signaller
            .as_ref()
            .is_some_and(|enrolment| enrolment.may_signal_on(today))
    {
        return Err(SignalChildError::NotEnrolled(
            EnrolmentRefusal::SignallerNotEnrolled,
        ));
    }
    let routed = routing::route_signal(
        &setting,
        command.provision_type,
        command.wijk.as_ref(),
        command.signalled_on,
        today,
    );
    let why = WhySignalled {
        reason: command.reason,
        note: command.note,
    };
    let why = match keys.seal(command.child.0, &why).await {
        Ok(sealed) => sealed,
        Err(SealError::Forgotten) => return Err(SignalChildError::Forgotten(ForgottenChild)),
        Err(SealError::Technical(error)) => return Err(SignalChildError::Sealing(error)),
    };
    let signal_id = command.signal_id;
    let command = SignalChild {
        gemeente: command.gemeente,
        signal_id,
        signaller: command.signaller,
        child: command.child,
        household: command.household,
        why,
        provision_type: command.provision_type,
        wijk: command.wijk,
        referral: routed.referral,
        due_on: routed.due_on,
        signalled_on: command.signalled_on,
    };
    // A signal's id is made for it (`Uuid::new_v4`): executed without reading a history first.
    signals
        .execute_new(signal_id, SignalCommand::SignalChild(command), context)
        .await
        .map_err(SignalChildError::Refused)
}
