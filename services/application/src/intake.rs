//! Taking in an application, the use-case behind `POST /aanvragen`. A parent applies for the
//! household their login names, for themselves: they name no organisation. A partner or a signaller
//! applies on a family's behalf as itself — `namens` is its own organisation, filled in when left
//! out — and only while that organisation is enrolled in the gemeente to take in applications (the
//! partner role `aanvragen_innemen`, kept from the regie stream by [`crate::consume`]). The loket
//! (regievoerder) may record an organisation that is so enrolled. So the recorded `namens`, which a
//! partner's right to read the application follows ([`crate::access`]), cannot be forged.
//!
//! An application taken on a family's behalf (by a partner, a signaller or the loket) records who
//! took it, the parent's consent and the gezag ([`crate::domain::application::taken`]): without the
//! consent or a declared gezag it is refused (422), nothing stored. The gezag is checked through the
//! [`GezagCheck`] port: today [`DeclarationRecorded`] accepts the applicant's declaration, recorded
//! as checked by the worker (the token's subject) now. **A BRP lookup plugs in here**: an
//! implementation of [`GezagCheck`] that reads the parent's and the children's BSN from the vault
//! (`crate::vault`, by the household and children of the [`GezagQuestion`]) and asks the BRP's gezag
//! service, answering a [`Gezag`] with source [`GezagSource::Brp`] or [`GezagRefused`]; it is chosen
//! in `crate::startup`. A parent who applies under their own login may name the organisation that
//! helped them (`geholpenDoor`), which must be enrolled to take in applications.

use std::future::Future;
use std::pin::Pin;

use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::{ChildRef, GemeenteCode, HouseholdRef, OrganisationId};
use sqlx::PgPool;
use time::OffsetDateTime;

use kindpakket_platform::clock::today;

use crate::access::{Acting, NotTheirHousehold};
use crate::consume::takes_applications;
use crate::domain::application::taken::{Consent, Gezag, GezagSource, OnBehalf, Taken, Worker};
use crate::domain::application::{
    Application, ApplicationCommand, ApplicationError, NewApplication, Submit,
};

/// What the caller stated of how the application was taken.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stated {
    /// The parent's consent, when an intermediary applies.
    pub consent: Option<Consent>,
    /// Whether the applicant declared to have gezag, when an intermediary applies.
    pub gezag_declared: Option<bool>,
    /// The organisation that helped a parent apply under their own login.
    pub assisted_by: Option<OrganisationId>,
}

/// What a gezag check is asked: whether the applicant of this household has gezag over these
/// children, as declared, asked by `worker` at `at`.
#[derive(Debug, Clone)]
pub struct GezagQuestion<'a> {
    pub gemeente: &'a GemeenteCode,
    pub household: HouseholdRef,
    pub children: Vec<ChildRef>,
    pub declared: bool,
    pub worker: &'a str,
    pub at: OffsetDateTime,
}

/// A gezag check found the applicant has no gezag over a child applied for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Volgens de controle heeft de aanvrager geen gezag over (een van) de kinderen. Er is niets opgeslagen.")]
pub struct GezagRefused;

/// What a gezag check answers, in time: a finding, a refusal, or a technical failure.
pub type GezagAnswer<'a> =
    Pin<Box<dyn Future<Output = Result<Result<Gezag, GezagRefused>, anyhow::Error>> + Send + 'a>>;

/// The port where gezag is checked. Today [`DeclarationRecorded`]; a BRP lookup is another
/// implementation (see the module's documentation).
pub trait GezagCheck: Send + Sync {
    fn check<'a>(&'a self, question: GezagQuestion<'a>) -> GezagAnswer<'a>;
}

/// Today's gezag check: the applicant's declaration, recorded as checked by the worker now.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeclarationRecorded;

impl GezagCheck for DeclarationRecorded {
    fn check<'a>(&'a self, question: GezagQuestion<'a>) -> GezagAnswer<'a> {
        Box::pin(async move {
            Ok(Ok(Gezag {
                declared: question.declared,
                checked_by: question.worker.to_owned(),
                checked_at: question.at,
                source: GezagSource::Declaration,
            }))
        })
    }
}

/// Why an application was not taken in. The messages are Dutch and name no organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IntakeRefusal {
    #[error("{0}")]
    Household(NotTheirHousehold),
    #[error("Een ouder vraagt aan voor het eigen huishouden: laat 'namens' weg. Dat veld is voor een organisatie die namens het gezin aanvraagt.")]
    ParentOnBehalf,
    #[error("U kunt alleen namens uw eigen organisatie aanvragen: laat 'namens' weg of vul uw eigen organisatiecode in.")]
    OtherOrganisation,
    #[error("Uw organisatie is in deze gemeente niet ingeschreven om aanvragen in te nemen (rol aanvragen_innemen). Vraag de regievoerder om die inschrijving; er is niets opgeslagen.")]
    NotEnrolled,
    #[error("De organisatie in 'namens' is in deze gemeente niet ingeschreven om aanvragen in te nemen (rol aanvragen_innemen); er is niets opgeslagen.")]
    NamedNotEnrolled,
    #[error("De organisatie in 'geholpenDoor' is in deze gemeente niet ingeschreven om aanvragen in te nemen (rol aanvragen_innemen); er is niets opgeslagen.")]
    HelperNotEnrolled,
    #[error("'geholpenDoor' is voor een ouder die met de eigen inlog aanvraagt en daarbij geholpen werd; wie namens het gezin aanvraagt, geeft 'toestemming' en 'gezag'. Er is niets opgeslagen.")]
    HelperForIntermediary,
    #[error("{0}")]
    Gezag(GezagRefused),
}

impl Refusal for IntakeRefusal {
    fn kind(&self) -> RefusalKind {
        match self {
            IntakeRefusal::NamedNotEnrolled
            | IntakeRefusal::HelperNotEnrolled
            | IntakeRefusal::HelperForIntermediary
            | IntakeRefusal::Gezag(_) => RefusalKind::Invalid,
            _ => RefusalKind::Forbidden,
        }
    }
}

/// Why an application was not taken in: a refusal of intake, of the aggregate, or a technical
/// failure (logged).
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("{0}")]
    Refused(IntakeRefusal),
    #[error("{0}")]
    Rejected(CommandError<ApplicationError>),
    #[error("{0:#}")]
    Technical(anyhow::Error),
}

impl From<IntakeRefusal> for IntakeError {
    fn from(refusal: IntakeRefusal) -> Self {
        IntakeError::Refused(refusal)
    }
}

impl From<anyhow::Error> for IntakeError {
    fn from(error: anyhow::Error) -> Self {
        IntakeError::Technical(error)
    }
}

impl From<CommandError<ApplicationError>> for IntakeError {
    fn from(error: CommandError<ApplicationError>) -> Self {
        match error {
            CommandError::Rejected(ApplicationError::KeysUnavailable(cause)) => {
                IntakeError::Technical(anyhow::anyhow!("sealing the application: {cause}"))
            }
            error => IntakeError::Rejected(error),
        }
    }
}

/// Who takes in the application: the caller's organisation, role and subject (from the token).
#[derive(Clone, Copy)]
pub struct Taker<'a> {
    pub acting: &'a Acting,
    pub worker: &'a Worker,
    pub gezag: &'a dyn GezagCheck,
}

/// Takes in `application` as `taker` submits it, with its `namens` as the caller may state it and
/// how it was taken from what the caller `stated`.
pub async fn submit(
    applications: &AggregateStore<Application>,
    pool: &PgPool,
    context: &CommandContext,
    taker: Taker<'_>,
    stated: Stated,
    mut application: NewApplication,
) -> Result<(), IntakeError> {
    let acting = taker.acting;
    acting
        .may_apply_for(&application.household)
        .map_err(IntakeRefusal::Household)?;
    application.on_behalf_of =
        on_behalf_of(pool, context, acting, application.on_behalf_of.take()).await?;
    application.taken = Some(taken(pool, context, taker, stated, &application).await?);
    let application_id = application.application_id;
    let command = ApplicationCommand::Submit(Submit {
        gemeente: context.gemeente.clone(),
        application,
    });
    // The application's id was just made: executed without reading a history first.
    applications
        .execute_new(application_id, command, context)
        .await?;
    Ok(())
}

/// The organisation recorded as applying on the family's behalf, from what the caller `stated`.
async fn on_behalf_of(
    pool: &PgPool,
    context: &CommandContext,
    acting: &Acting,
    stated: Option<OrganisationId>,
) -> Result<Option<OrganisationId>, IntakeError> {
    let gemeente = &context.gemeente;
    match (acting, stated) {
        (Acting::Parent { .. }, None) => Ok(None),
        (Acting::Parent { .. }, Some(_)) => Err(IntakeRefusal::ParentOnBehalf.into()),
        (Acting::Gemeente, None) => Ok(None),
        (Acting::Gemeente, Some(named)) => {
            if takes_applications(pool, gemeente, &named, today()).await? {
                Ok(Some(named))
            } else {
                Err(IntakeRefusal::NamedNotEnrolled.into())
            }
        }
        (Acting::Partner { organisation } | Acting::Signaller { organisation }, stated) => {
            if stated.is_some_and(|named| &named != organisation) {
                return Err(IntakeRefusal::OtherOrganisation.into());
            }
            if !takes_applications(pool, gemeente, organisation, today()).await? {
                return Err(IntakeRefusal::NotEnrolled.into());
            }
            Ok(Some(organisation.clone()))
        }
    }
}

/// How the application was taken, from what the caller stated: a parent perhaps helped by an
/// enrolled organisation; anyone else on the family's behalf, with consent and a gezag checked
/// through the port.
async fn taken(
    pool: &PgPool,
    context: &CommandContext,
    taker: Taker<'_>,
    stated: Stated,
    application: &NewApplication,
) -> Result<Taken, IntakeError> {
    if let Acting::Parent { .. } = taker.acting {
        if let Some(helper) = &stated.assisted_by {
            if !takes_applications(pool, &context.gemeente, helper, today()).await? {
                return Err(IntakeRefusal::HelperNotEnrolled.into());
            }
        }
        return Ok(Taken::ByParent {
            assisted_by: stated.assisted_by,
        });
    }
    let refused = |error: ApplicationError| IntakeError::Rejected(CommandError::Rejected(error));
    if stated.assisted_by.is_some() {
        return Err(IntakeRefusal::HelperForIntermediary.into());
    }
    let consent = stated
        .consent
        .ok_or_else(|| refused(ApplicationError::NoConsent))?;
    let declared = stated.gezag_declared.unwrap_or(false);
    if !declared {
        return Err(refused(ApplicationError::NoGezag));
    }
    let question = GezagQuestion {
        gemeente: &context.gemeente,
        household: application.household,
        children: application
            .children
            .iter()
            .map(|child| child.child)
            .collect(),
        declared,
        worker: &taker.worker.subject,
        at: OffsetDateTime::now_utc(),
    };
    let gezag = taker
        .gezag
        .check(question)
        .await?
        .map_err(IntakeRefusal::Gezag)?;
    Ok(Taken::OnBehalf(OnBehalf {
        taken_by: taker.worker.clone(),
        consent,
        gezag,
    }))
}
