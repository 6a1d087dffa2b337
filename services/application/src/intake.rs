//! Taking in an application, the use-case behind `POST /aanvragen`. A parent applies for the
//! household their login names, for themselves: they name no organisation. A partner or a signaller
//! applies on a family's behalf as itself — `namens` is its own organisation, filled in when left
//! out — and only while that organisation is enrolled in the gemeente to take in applications (the
//! partner role `aanvragen_innemen`, kept from the regie stream by [`crate::consume`]). The loket
//! (regievoerder) may record an organisation that is so enrolled. So the recorded `namens`, which a
//! partner's right to read the application follows ([`crate::access`]), cannot be forged.

use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::OrganisationId;
use sqlx::PgPool;

use kindpakket_platform::clock::today;

use crate::access::{Acting, NotTheirHousehold};
use crate::consume::takes_applications;
use crate::domain::application::{
    Application, ApplicationCommand, ApplicationError, NewApplication, Submit,
};

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
}

impl Refusal for IntakeRefusal {
    fn kind(&self) -> RefusalKind {
        match self {
            IntakeRefusal::NamedNotEnrolled => RefusalKind::Invalid,
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

/// Takes in `application` as `acting` submits it, with its `namens` as the caller may state it.
pub async fn submit(
    applications: &AggregateStore<Application>,
    pool: &PgPool,
    context: &CommandContext,
    acting: &Acting,
    mut application: NewApplication,
) -> Result<(), IntakeError> {
    acting
        .may_apply_for(&application.household)
        .map_err(IntakeRefusal::Household)?;
    application.on_behalf_of =
        on_behalf_of(pool, context, acting, application.on_behalf_of.take()).await?;
    let application_id = application.application_id;
    let command = ApplicationCommand::Submit(Submit {
        gemeente: context.gemeente.clone(),
        application,
    });
    applications
        .execute(application_id, command, context)
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
