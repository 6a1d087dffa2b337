use kindpakket_platform::refusal::{Refusal, RefusalKind};

/// Why a regeling version was refused. The messages are Dutch: the regievoerder reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegelingError {
    #[error("Deze regeling is al gepubliceerd.")]
    AlreadyPublished,
    #[error("Een regeling geldt voor ten minste één gemeente.")]
    NoGemeente,
    #[error("De inkomensgrens {0}% is niet toegestaan: kies 110, 115, 120, 125 of 130% van het sociaal minimum, of 'individueel'.")]
    ThresholdNotAllowed(u16),
    #[error("De einddatum van de regeling ligt vóór de begindatum.")]
    EndsBeforeItStarts,
    #[error("Het jaar van de regeling ({year}) past niet bij de begindatum.")]
    YearMismatch { year: i32 },
    #[error("Een regeling heeft ten minste één voorziening.")]
    NoProvisions,
    #[error("De voorziening '{0}' staat twee keer in de regeling.")]
    DuplicateProvision(String),
    #[error("De leeftijdsgroep van '{0}' klopt niet: de leeftijden liggen tussen 0 en 17 en 'van' is niet groter dan 'tot'.")]
    InvalidAgeBand(String),
    #[error("De waarde van '{0}' moet groter zijn dan 0 cent.")]
    InvalidValue(String),
    #[error("De naam van '{0}' ontbreekt.")]
    MissingName(String),
    #[error("De leeftijdsgroepen van de inkomensgrens per leeftijd kloppen niet: elke leeftijd tussen 0 en 17 hoort bij hoogstens één groep.")]
    InvalidAgeThresholds,
    #[error("Een glijdende schaal hoort bij een inkomensgrens in procenten: elke trede ligt boven de vorige (en boven de inkomensgrens) en vergoedt 1 tot 99 procent, niet meer dan de trede ervoor.")]
    InvalidSlidingScale,
    #[error("De bedragen van de regel voor besteedbaar inkomen mogen niet negatief zijn.")]
    InvalidDisposableIncomeRule,
    #[error("Een budget is voor één voorziening uit de regeling of voor één type voorziening, met een bedrag boven 0 cent.")]
    InvalidBudget,
    #[error("Een financier staat twee keer bij '{0}'.")]
    DuplicateFunder(String),
    #[error("De medefinanciering van '{0}' klopt niet: het aandeel ligt tussen 1 en 99 procent en de medefinancier is geen van de eerste financiers.")]
    InvalidCoFinancing(String),
    #[error("Het steekproefpercentage voor declaraties ligt tussen 0 en 100.")]
    InvalidSamplePercent,
    #[error("Het aantal van '{0}' moet ten minste 1 zijn, en de waarde moet in hele centen over dat aantal te verdelen zijn.")]
    InvalidUnits(String),
}

impl Refusal for RegelingError {
    fn kind(&self) -> RefusalKind {
        match self {
            RegelingError::AlreadyPublished => RefusalKind::Conflict,
            _ => RefusalKind::Invalid,
        }
    }
}
