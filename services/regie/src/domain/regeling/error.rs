use kindpakket_platform::refusal::{Refusal, RefusalKind};

/// Which provision of the request a refusal is about: its place in `voorzieningen`, counted from 1.
/// A refusal names the place, never the code the caller sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position(pub usize);

impl Position {
    /// The place of the provision at `index` (counted from 0).
    pub fn of(index: usize) -> Self {
        Position(index + 1)
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why a regeling version was refused. The messages are Dutch: the regievoerder reads them. They
/// name the field and what it should be, never a value the caller sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegelingError {
    #[error("Deze regeling is al gepubliceerd.")]
    AlreadyPublished,
    #[error("Deze regeling bestaat niet in deze gemeente.")]
    UnknownVersion,
    #[error(
        "Deze regeling is al beëindigd of gewijzigd: wijzig of beëindig de versie die nu geldt."
    )]
    AlreadyEnded,
    #[error("De datum ligt vóór de begindatum van de regeling: een wijziging of beëindiging gaat in op of na 'geldigVanaf' van de versie.")]
    BeforeStart,
    #[error("De datum ligt na de einddatum van de regeling: daarna geldt zij al niet meer.")]
    AfterEnd,
    #[error("Een wijziging geldt voor dezelfde gemeenten als de versie die zij wijzigt: laat 'gemeenten' weg of noem dezelfde gemeenten.")]
    OtherGemeenten,
    #[error("Een regeling geldt voor ten minste één gemeente.")]
    NoGemeente,
    #[error("Het percentage van 'inkomensgrens' is niet toegestaan: kies 110, 115, 120, 125 of 130% van het sociaal minimum, of 'individueel'.")]
    ThresholdNotAllowed,
    #[error("Een percentage in 'inkomensgrensPerLeeftijd' is niet toegestaan: kies 110, 115, 120, 125 of 130% van het sociaal minimum.")]
    AgeThresholdNotAllowed,
    #[error("De einddatum van de regeling ligt vóór de begindatum.")]
    EndsBeforeItStarts,
    #[error(
        "Het 'jaar' van de regeling past niet bij 'geldigVanaf': de begindatum ligt in dat jaar."
    )]
    YearMismatch,
    #[error("Een regeling heeft ten minste één voorziening.")]
    NoProvisions,
    #[error("De 'code' van voorziening {0} in 'voorzieningen' staat al eerder in de regeling: elke code komt één keer voor.")]
    DuplicateProvision(Position),
    #[error("De leeftijdsgroep van voorziening {0} in 'voorzieningen' klopt niet: 'leeftijdVan' en 'leeftijdTot' liggen tussen 0 en 17 en 'leeftijdVan' is niet groter dan 'leeftijdTot'.")]
    InvalidAgeBand(Position),
    #[error("De 'waardeCent' van voorziening {0} in 'voorzieningen' moet groter zijn dan 0.")]
    InvalidValue(Position),
    #[error("De 'naam' van voorziening {0} in 'voorzieningen' ontbreekt.")]
    MissingName(Position),
    #[error("De leeftijdsgroepen van de inkomensgrens per leeftijd kloppen niet: elke leeftijd tussen 0 en 17 hoort bij hoogstens één groep.")]
    InvalidAgeThresholds,
    #[error("Een glijdende schaal hoort bij een inkomensgrens in procenten: elke trede ligt boven de vorige (en boven de inkomensgrens) en vergoedt 1 tot 99 procent, niet meer dan de trede ervoor.")]
    InvalidSlidingScale,
    #[error("De bedragen van de regel voor besteedbaar inkomen mogen niet negatief zijn.")]
    InvalidDisposableIncomeRule,
    #[error("Een budget is voor één voorziening uit de regeling of voor één type voorziening, met een bedrag boven 0 cent.")]
    InvalidBudget,
    #[error(
        "Een financier staat twee keer in 'financiers' van voorziening {0} in 'voorzieningen'."
    )]
    DuplicateFunder(Position),
    #[error("De 'medefinanciering' van voorziening {0} in 'voorzieningen' klopt niet: het aandeel ligt tussen 1 en 99 procent en de medefinancier is geen van de eerste financiers.")]
    InvalidCoFinancing(Position),
    #[error("Het steekproefpercentage voor declaraties ligt tussen 0 en 100.")]
    InvalidSamplePercent,
    #[error("Het 'aantal' van voorziening {0} in 'voorzieningen' moet ten minste 1 zijn, en 'waardeCent' moet in hele centen over dat aantal te verdelen zijn.")]
    InvalidUnits(Position),
    #[error("Voorziening {0} in 'voorzieningen' is een gezinstegoed ('perHuishouden'): dat is één bedrag voor het hele gezin, geen 'aantal' strippen. Laat 'aantal' weg of maak er een tegoed per kind van.")]
    HouseholdUnits(Position),
}

impl Refusal for RegelingError {
    fn kind(&self) -> RefusalKind {
        match self {
            RegelingError::AlreadyPublished => RefusalKind::Conflict,
            RegelingError::UnknownVersion => RefusalKind::NotFound,
            _ => RefusalKind::Invalid,
        }
    }
}
