//! A sample check (steekproef) of declarations: drawn once, stratified by submitter and amount band,
//! with its seed and population recorded so an auditor can draw it again; then one recorded outcome
//! per drawn declaration.

use std::collections::HashMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use kindpakket_platform::http::{Rejection, RejectionKind};
use kindpakket_proto::provision::{CheckOutcome, SampleCheckRecorded, SampleDrawn};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct SampleDraw {
    pub gemeente: Option<GemeenteCode>,
    pub drawn: Option<SampleDrawn>,
    pub checks: HashMap<Uuid, SampleCheckRecorded>,
}

#[derive(Debug, Clone)]
pub enum SampleCommand {
    Draw {
        gemeente: GemeenteCode,
        drawn: SampleDrawn,
    },
    RecordCheck {
        gemeente: GemeenteCode,
        declaration_id: Uuid,
        outcome: CheckOutcome,
        note: String,
        checked_on: Date,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SampleEvent {
    SampleDrawn {
        gemeente: GemeenteCode,
        drawn: SampleDrawn,
    },
    SampleCheckRecorded(SampleCheckRecorded),
}

impl DomainEvent for SampleEvent {
    fn event_type(&self) -> String {
        match self {
            SampleEvent::SampleDrawn { .. } => "SampleDrawn",
            SampleEvent::SampleCheckRecorded(_) => "SampleCheckRecorded",
        }
        .to_owned()
    }
    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    #[error("Deze steekproef bestaat niet in deze gemeente.")]
    NotFound,
    #[error("Deze steekproef is al getrokken.")]
    AlreadyDrawn,
    #[error("De trekking klopt niet met haar zaad en populatie.")]
    NotReproducible,
    #[error("Declaratie '{0}' is niet getrokken in deze steekproef.")]
    NotSelected(Uuid),
    #[error("De uitkomst van de controle van declaratie '{0}' is al vastgelegd.")]
    AlreadyChecked(Uuid),
    #[error("Beschrijf wat er bij de controle niet in orde was.")]
    MissingNote,
}

impl Rejection for SampleError {
    fn kind(&self) -> RejectionKind {
        match self {
            SampleError::NotFound => RejectionKind::NotFound,
            SampleError::AlreadyDrawn | SampleError::AlreadyChecked(_) => RejectionKind::Conflict,
            _ => RejectionKind::Invalid,
        }
    }
}

impl SampleDraw {
    pub fn in_gemeente(&self, gemeente: &GemeenteCode) -> Option<&SampleDrawn> {
        match (&self.gemeente, &self.drawn) {
            (Some(own), Some(drawn)) if own == gemeente => Some(drawn),
            _ => None,
        }
    }
}

impl Aggregate for SampleDraw {
    const TYPE: &'static str = "sample";
    type Command = SampleCommand;
    type Event = SampleEvent;
    type Error = SampleError;
    type Services = ();

    async fn handle(
        &mut self,
        command: SampleCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), SampleError> {
        match command {
            SampleCommand::Draw { gemeente, drawn } => {
                if self.drawn.is_some() {
                    return Err(SampleError::AlreadyDrawn);
                }
                let again = kindpakket_proto::provision::draw_sample(
                    drawn.seed,
                    drawn.rate_percent,
                    &drawn.amount_bands_cents,
                    &drawn.population,
                );
                if again != drawn.selected {
                    return Err(SampleError::NotReproducible);
                }
                sink.write(SampleEvent::SampleDrawn { gemeente, drawn }, self)
                    .await;
            }
            SampleCommand::RecordCheck {
                gemeente,
                declaration_id,
                outcome,
                note,
                checked_on,
            } => {
                let drawn = self.in_gemeente(&gemeente).ok_or(SampleError::NotFound)?;
                if !drawn.selected.contains(&declaration_id) {
                    return Err(SampleError::NotSelected(declaration_id));
                }
                if self.checks.contains_key(&declaration_id) {
                    return Err(SampleError::AlreadyChecked(declaration_id));
                }
                let note = note.trim().to_owned();
                if outcome == CheckOutcome::NotInOrder && note.is_empty() {
                    return Err(SampleError::MissingNote);
                }
                let event = SampleCheckRecorded {
                    draw_id: drawn.draw_id,
                    declaration_id,
                    outcome,
                    note,
                    checked_on,
                };
                sink.write(SampleEvent::SampleCheckRecorded(event), self)
                    .await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: SampleEvent) {
        match event {
            SampleEvent::SampleDrawn { gemeente, drawn } => {
                self.gemeente = Some(gemeente);
                self.drawn = Some(drawn);
            }
            SampleEvent::SampleCheckRecorded(check) => {
                self.checks.insert(check.declaration_id, check);
            }
        }
    }
}
