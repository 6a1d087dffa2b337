//! A reminder campaign (campagne): started once by regie with its name, the type of provision it
//! reminds of, and the entitlements it targets (chosen by [`crate::campaigns`] from what still runs
//! unused). Starting it again with the same id and body changes nothing; with another body it is
//! refused.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::provision::CampaignStarted;
use kindpakket_proto::regie::ProvisionType;
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};

/// Starts a campaign.
#[derive(Debug, Clone)]
pub struct StartCampaign {
    pub gemeente: GemeenteCode,
    pub started: CampaignStarted,
}

#[derive(Debug, Clone)]
pub enum CampaignCommand {
    Start(StartCampaign),
}

/// Why a campaign command was refused. The messages are Dutch: the caller reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignError {
    #[error("Er is al een campagne met dit id, met een andere naam of voorzieningsoort.")]
    OtherBody,
    #[error("Er zijn geen toegekende rechten die nog niet gebruikt zijn.")]
    NoTargets,
}

impl Refusal for CampaignError {
    fn kind(&self) -> RefusalKind {
        match self {
            CampaignError::OtherBody => RefusalKind::Conflict,
            CampaignError::NoTargets => RefusalKind::Invalid,
        }
    }
}

/// The events as this service stores them; [`crate::publish`] converts them into the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CampaignEvent {
    CampaignStarted {
        gemeente: GemeenteCode,
        started: CampaignStarted,
    },
}

impl DomainEvent for CampaignEvent {
    fn event_type(&self) -> String {
        match self {
            CampaignEvent::CampaignStarted { .. } => "CampaignStarted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Campaign {
    pub gemeente: Option<GemeenteCode>,
    pub started: Option<CampaignStarted>,
}

impl Aggregate for Campaign {
    const TYPE: &'static str = "campaign";
    type Command = CampaignCommand;
    type Event = CampaignEvent;
    type Error = CampaignError;
    type Services = ();

    async fn handle(
        &mut self,
        command: CampaignCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), CampaignError> {
        let CampaignCommand::Start(command) = command;
        for event in self.start(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: CampaignEvent) {
        match event {
            CampaignEvent::CampaignStarted { gemeente, started } => {
                self.gemeente = Some(gemeente);
                self.started = Some(started);
            }
        }
    }
}

impl Tenanted for Campaign {
    const NOT_FOUND: &'static str = "Deze campagne bestaat niet in deze gemeente.";

    fn gemeente(&self) -> Option<&GemeenteCode> {
        self.gemeente.as_ref()
    }
}

impl Campaign {
    /// Whether this campaign was started with this name and provision type (in `gemeente`).
    pub fn started_as(
        &self,
        gemeente: &GemeenteCode,
        name: &str,
        provision_type: Option<ProvisionType>,
    ) -> Option<bool> {
        let started = self.started.as_ref()?;
        Some(
            self.gemeente.as_ref() == Some(gemeente)
                && started.name == name
                && started.provision_type == provision_type,
        )
    }

    fn start(&self, command: StartCampaign) -> Result<Vec<CampaignEvent>, CampaignError> {
        let started = command.started;
        match self.started_as(&command.gemeente, &started.name, started.provision_type) {
            // The same start again: it was recorded, with the targets of its first time.
            Some(true) => return Ok(vec![]),
            Some(false) => return Err(CampaignError::OtherBody),
            None => {}
        }
        if started.targets.is_empty() {
            return Err(CampaignError::NoTargets);
        }
        Ok(vec![CampaignEvent::CampaignStarted {
            gemeente: command.gemeente,
            started,
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use time::macros::date;
    use uuid::Uuid;

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }

    fn started(name: &str, targets: Vec<Uuid>) -> CampaignStarted {
        CampaignStarted {
            campaign_id: Uuid::from_u128(1),
            name: name.to_owned(),
            provision_type: Some(ProvisionType::School),
            started_on: date!(2026 - 08 - 01),
            targets,
        }
    }

    fn start(started: CampaignStarted) -> CampaignCommand {
        CampaignCommand::Start(StartCampaign {
            gemeente: gemeente(),
            started,
        })
    }

    #[tokio::test]
    async fn a_campaign_is_started_once_with_its_targets() {
        let first = started("Schooljaar", vec![Uuid::from_u128(7), Uuid::from_u128(8)]);
        TestFramework::<Campaign>::with(())
            .given_no_previous_events()
            .when_async(start(first.clone()))
            .await
            .then_expect_events(vec![CampaignEvent::CampaignStarted {
                gemeente: gemeente(),
                started: first.clone(),
            }]);
        let given = vec![CampaignEvent::CampaignStarted {
            gemeente: gemeente(),
            started: first,
        }];
        // Again with the same body, even when the targets chosen now differ: nothing changes.
        TestFramework::<Campaign>::with(())
            .given(given.clone())
            .when_async(start(started("Schooljaar", vec![Uuid::from_u128(9)])))
            .await
            .then_expect_events(vec![]);
        TestFramework::<Campaign>::with(())
            .given(given)
            .when_async(start(started("December", vec![Uuid::from_u128(7)])))
            .await
            .then_expect_error(CampaignError::OtherBody);
    }

    #[tokio::test]
    async fn a_campaign_without_targets_is_refused() {
        TestFramework::<Campaign>::with(())
            .given_no_previous_events()
            .when_async(start(started("Schooljaar", vec![])))
            .await
            .then_expect_error(CampaignError::NoTargets);
    }
}
