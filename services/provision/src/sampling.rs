//! Drawing a sample of declarations (steekproef): the population is every declaration submitted in
//! the period, the rate is the regeling's in force at the period's end, the seed is the caller's or
//! random. The draw is recorded with its seed and population, so anyone can draw it again.

use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::provision::{draw_sample, SampleDrawn, SAMPLE_AMOUNT_BANDS_CENTS};
use kindpakket_proto::{GemeenteCode, Period};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::sample::{DrawSample, SampleCommand, SampleDraw, SampleError};
use crate::ledger;
use crate::read_models::regelingen;

/// Why no sample was drawn. The messages are Dutch: the caller reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawRefused {
    #[error("Op de einddatum van de periode (tot) geldt in deze gemeente geen regeling; die bepaalt het steekproefpercentage.")]
    NoRegeling,
    #[error("De regeling stelt geen steekproefpercentage voor declaraties vast. Leg dat eerst vast in een nieuwe versie van de regeling.")]
    NoSampleRate,
    #[error("Er zijn in deze periode geen declaraties ingediend; er valt niets te trekken.")]
    NoDeclarations,
    #[error(transparent)]
    Sample(#[from] SampleError),
}

impl Refusal for DrawRefused {
    fn kind(&self) -> RefusalKind {
        match self {
            DrawRefused::Sample(refusal) => refusal.kind(),
            DrawRefused::NoRegeling | DrawRefused::NoSampleRate | DrawRefused::NoDeclarations => {
                RefusalKind::Invalid
            }
        }
    }
}

/// Draws a sample of the declarations submitted in `period` and records it. Returns the draw's id.
pub async fn draw(
    pool: &PgPool,
    samples: &AggregateStore<SampleDraw>,
    context: &CommandContext,
    gemeente: &GemeenteCode,
    period: Period,
    seed: Option<u64>,
) -> Result<Uuid, CommandError<DrawRefused>> {
    let technical = |error: anyhow::Error| CommandError::Technical(format!("{error:#}"));
    let regeling = regelingen::in_force(pool, gemeente, period.until)
        .await
        .map_err(technical)?
        .ok_or(CommandError::Rejected(DrawRefused::NoRegeling))?;
    let rate_percent = regeling
        .declaration_sample_percent
        .ok_or(CommandError::Rejected(DrawRefused::NoSampleRate))?;
    let history = ledger::load(pool, gemeente).await.map_err(technical)?;
    let population = history.declarations_submitted(period);
    if population.is_empty() {
        return Err(CommandError::Rejected(DrawRefused::NoDeclarations));
    }
    let seed = seed.unwrap_or_else(|| Uuid::new_v4().as_u64_pair().0);
    let selected = draw_sample(seed, rate_percent, &SAMPLE_AMOUNT_BANDS_CENTS, &population);
    let draw_id = Uuid::new_v4();
    let command = SampleCommand::Draw(DrawSample {
        gemeente: gemeente.clone(),
        drawn: SampleDrawn {
            draw_id,
            period_from: period.from,
            period_until: period.until,
            rate_percent,
            seed,
            amount_bands_cents: SAMPLE_AMOUNT_BANDS_CENTS.to_vec(),
            population,
            selected,
        },
    });
    samples
        .execute(draw_id, command, context)
        .await
        .map_err(|error| match error {
            CommandError::Rejected(refusal) => CommandError::Rejected(DrawRefused::from(refusal)),
            CommandError::Conflict => CommandError::Conflict,
            CommandError::Technical(cause) => CommandError::Technical(cause),
        })?;
    Ok(draw_id)
}
