//! Deciding on an application, the use-cases behind `/beoordeling`, `/toekenning`, `/afwijzing` and
//! `/intrekking`. An assessment and a grant by hand find the regeling in force on the application
//! date (an assessment by a partner also its mandate), read the earlier grants and commit under the
//! regeling's gemeenten's grants lock ([`crate::grants`]), so budgets and "never funded twice" hold
//! across applications.

use kindpakket_platform::free_text::Note;
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError, LoadError};
use kindpakket_proto::regie::{Mandate, RegelingPublished};
use kindpakket_proto::{GemeenteCode, OrganisationId};
use sqlx::PgPool;
use time::Date;

use kindpakket_platform::clock::today;
use uuid::Uuid;

use crate::access::Acting;
use crate::consume::{mandate_of, regeling_in_force};
use crate::domain::application::{
    Application, ApplicationCommand, ApplicationError, Assess, EntitlementToGrant, Grant, Reject,
    Withdraw,
};
use crate::domain::eligibility::CustomDecision;
use crate::grants;

/// Why a decision was not taken. The first three are for the caller (Dutch, as they read it, never
/// echoing an id they sent); a refusal of the aggregate keeps its own message; a technical failure
/// is logged.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("{partner} heeft in gemeente {gemeente} geen mandaat om over aanvragen te besluiten.")]
    NoMandate {
        partner: OrganisationId,
        gemeente: GemeenteCode,
    },
    #[error("Deze aanvraag bestaat niet in deze gemeente.")]
    UnknownApplication,
    #[error("Er is in gemeente {gemeente} geen regeling van kracht op de aanvraagdatum {on}. Publiceer eerst de regeling voor dat jaar.")]
    NoRegelingInForce { gemeente: GemeenteCode, on: Date },
    #[error("{0}")]
    Refused(CommandError<ApplicationError>),
    #[error("{0:#}")]
    Technical(anyhow::Error),
}

impl From<anyhow::Error> for DecisionError {
    fn from(error: anyhow::Error) -> Self {
        DecisionError::Technical(error)
    }
}

impl From<CommandError<ApplicationError>> for DecisionError {
    fn from(error: CommandError<ApplicationError>) -> Self {
        match error {
            CommandError::Rejected(ApplicationError::KeysUnavailable(cause)) => {
                DecisionError::Technical(anyhow::anyhow!("sealing the decision: {cause}"))
            }
            error => DecisionError::Refused(error),
        }
    }
}

/// The decisions on one gemeente's applications, as the caller of `context` takes them.
pub struct Decisions<'a> {
    pub applications: &'a AggregateStore<Application>,
    /// The service's own database: regeling versions, mandates and earlier grants.
    pub pool: &'a PgPool,
    /// Who decides, in which gemeente, as part of which case.
    pub context: &'a CommandContext,
}

impl Decisions<'_> {
    fn gemeente(&self) -> &GemeenteCode {
        &self.context.gemeente
    }

    /// Assesses the application by the regeling in force on its date (with maatwerk, if given) and
    /// decides. A partner decides only with a mandate, and within it.
    pub async fn assess(
        &self,
        acting: &Acting,
        application_id: Uuid,
        custom: Option<CustomDecision>,
        decided_on: Date,
    ) -> Result<(), DecisionError> {
        let mandate = self.mandate_of(acting).await?;
        let regeling = self.regeling_for(application_id).await?;
        let (_lock, prior_grants) =
            grants::locked_prior_grants(self.pool, &regeling.gemeenten).await?;
        let command = ApplicationCommand::Assess(Assess {
            gemeente: self.gemeente().clone(),
            regeling: Box::new(regeling),
            custom,
            mandate,
            decided_on,
            prior_grants,
        });
        self.execute(application_id, command).await
    }

    /// Grants what the regievoerder chooses, by hand, through the regeling version in force on the
    /// application date: its catalogue, who pays first, budgets and "never funded twice", under the
    /// same lock as an assessment.
    pub async fn grant(
        &self,
        application_id: Uuid,
        entitlements: Vec<EntitlementToGrant>,
        decided_on: Date,
    ) -> Result<(), DecisionError> {
        let regeling = self.regeling_for(application_id).await?;
        let (_lock, prior_grants) =
            grants::locked_prior_grants(self.pool, &regeling.gemeenten).await?;
        let command = ApplicationCommand::Grant(Grant {
            gemeente: self.gemeente().clone(),
            regeling: Box::new(regeling),
            entitlements,
            decided_on,
            prior_grants,
        });
        self.execute(application_id, command).await
    }

    /// Rejects, with the reason the family reads (checked free text, sealed under the household's
    /// key by the aggregate).
    pub async fn reject(
        &self,
        application_id: Uuid,
        reason: Note,
        decided_on: Date,
    ) -> Result<(), DecisionError> {
        let command = ApplicationCommand::Reject(Reject {
            gemeente: self.gemeente().clone(),
            reason,
            decided_on,
        });
        self.execute(application_id, command).await
    }

    /// Withdraws the application before a decision: the parent of its household, the organisation
    /// that applied on the family's behalf, or the regievoerder (the application decides who).
    pub async fn withdraw(
        &self,
        acting: &Acting,
        application_id: Uuid,
        withdrawn_on: Date,
        reason: Option<Note>,
    ) -> Result<(), DecisionError> {
        let command = ApplicationCommand::Withdraw(Withdraw {
            gemeente: self.gemeente().clone(),
            withdrawn_on,
            by: acting.withdrawer(),
            reason,
        });
        self.execute(application_id, command).await
    }

    /// The mandate a partner decides within (none for the gemeente's own roles); a partner without
    /// one may not decide.
    async fn mandate_of(&self, acting: &Acting) -> Result<Option<Mandate>, DecisionError> {
        let Acting::Partner { organisation } = acting else {
            return Ok(None);
        };
        let gemeente = self.gemeente();
        match mandate_of(self.pool, gemeente, organisation, today()).await? {
            Some(mandate) => Ok(Some(mandate)),
            None => Err(DecisionError::NoMandate {
                partner: organisation.clone(),
                gemeente: gemeente.clone(),
            }),
        }
    }

    /// The regeling version in force in this gemeente on the date the application was submitted.
    async fn regeling_for(&self, application_id: Uuid) -> Result<RegelingPublished, DecisionError> {
        let gemeente = self.gemeente();
        let submitted_on = self.submitted_on(application_id).await?;
        regeling_in_force(self.pool, gemeente, submitted_on)
            .await?
            .ok_or_else(|| DecisionError::NoRegelingInForce {
                gemeente: gemeente.clone(),
                on: submitted_on,
            })
    }

    /// The date an application of this gemeente was submitted on: the regeling in force then decides.
    async fn submitted_on(&self, application_id: Uuid) -> Result<Date, DecisionError> {
        let application = self
            .applications
            .load_in(self.gemeente(), application_id)
            .await
            .map_err(|error| match error {
                LoadError::NotFound(_) => DecisionError::UnknownApplication,
                LoadError::Technical(cause) => DecisionError::Technical(anyhow::anyhow!(cause)),
            })?;
        let submitted = application
            .submitted
            .ok_or(DecisionError::UnknownApplication)?;
        Ok(submitted.submitted_on)
    }

    async fn execute(
        &self,
        application_id: Uuid,
        command: ApplicationCommand,
    ) -> Result<(), DecisionError> {
        self.applications
            .execute(application_id, command, self.context)
            .await?;
        Ok(())
    }
}
