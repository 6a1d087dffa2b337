use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_proto::{Cents, Period};
use time::Date;

/// Why an entitlement command was refused. The messages are Dutch: the caller reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntitlementError {
    #[error("Dit recht bestaat niet in deze gemeente.")]
    NotFound,
    #[error("Dit recht is al geopend met andere voorwaarden.")]
    OpenedDifferently,
    #[error("Het bedrag moet groter zijn dan 0 cent.")]
    InvalidAmount,
    #[error("Het bedrag is hoger dan wat er op dit recht over is ({} cent). Er is niets afgeboekt.", .remaining_cents.get())]
    Overspent { remaining_cents: Cents },
    #[error("De datum valt buiten de geldigheid van het recht ({} tot en met {}). Er is niets afgeboekt.", .0.from, .0.until)]
    OutsidePeriod(Period),
    #[error("Deze verstrekking, verzilvering of declaratie is al vastgelegd met andere gegevens.")]
    IdReused,
    #[error("Dit recht is verlopen op {0}. Er kan niets meer op worden afgeboekt.")]
    Expired(Date),
    #[error("Een tegoedbon of pas wordt verzilverd met zijn code, en een declaratie wordt ingediend met een bewijs; leg die niet vast als verstrekking.")]
    WrongRoute,
    #[error("Bij korting is de volledige prijs ten minste even hoog als de gegeven korting.")]
    InvalidFullPrice,
    #[error("Er is al een geldige pas voor dit recht. Blokkeer die eerst als hij kwijt is.")]
    PassAlreadyActive,
    #[error("Deze pas bestaat niet bij dit recht.")]
    UnknownPass,
    #[error("Deze pascode is onbekend. Er is niets afgeboekt.")]
    UnknownCode,
    #[error("Deze pas is geblokkeerd. Er is niets afgeboekt.")]
    PassBlocked,
    #[error("Deze pas is verlopen op {0}. Er is niets afgeboekt.")]
    PassExpired(Date),
    #[error("Een declaratie heeft een bewijs nodig: vul het nummer of kenmerk van de kassabon, factuur of offerte in. Er is niets afgeboekt.")]
    MissingProof,
    #[error("Deze declaratie bestaat niet bij dit recht.")]
    UnknownDeclaration,
    #[error("Over deze declaratie is al besloten.")]
    DeclarationAlreadyDecided,
    #[error("Geef de reden van de afwijzing op; de indiener leest die.")]
    MissingRejectionReason,
    #[error("Dit recht loopt nog tot en met {0}; het verloopt pas daarna.")]
    NotYetExpired(Date),
    #[error("Dit recht is een korting: die wordt aan de kassa gegeven met de pascode en de volledige prijs (kortingen), tegen het percentage dat de gemeente met u afsprak. Er is niets afgeboekt.")]
    DiscountAtTill,
    #[error("Het kortingstegoed van dit kind is op.")]
    DiscountUsedUp,
    #[error("De volledige prijs ('volledigePrijsCents') moet groter zijn dan 0 cent. Er is niets afgeboekt.")]
    NoFullPrice,
    #[error("Op deze prijs is de korting minder dan 1 cent. Er is niets afgeboekt.")]
    NoDiscountOnPrice,
    #[error("Dit recht is geen korting: deze pas wordt verzilverd, niet met korting afgerekend. Er is niets afgeboekt.")]
    NotADiscount,
    #[error("Dit recht is een strippenkaart: er wordt per hele strip van {} cent afgeboekt. Er is niets afgeboekt.", .0.get())]
    NotWholeUnits(Cents),
    #[error("Dit kind hoort niet bij dit gezinstegoed. Er is niets afgeboekt.")]
    NotInHousehold,
}

impl Refusal for EntitlementError {
    fn kind(&self) -> RefusalKind {
        match self {
            EntitlementError::NotFound
            | EntitlementError::UnknownPass
            | EntitlementError::UnknownCode
            | EntitlementError::UnknownDeclaration => RefusalKind::NotFound,
            EntitlementError::OpenedDifferently
            | EntitlementError::Overspent { .. }
            | EntitlementError::IdReused
            | EntitlementError::Expired(_)
            | EntitlementError::PassAlreadyActive
            | EntitlementError::PassBlocked
            | EntitlementError::PassExpired(_)
            | EntitlementError::DeclarationAlreadyDecided => RefusalKind::Conflict,
            EntitlementError::InvalidAmount
            | EntitlementError::OutsidePeriod(_)
            | EntitlementError::WrongRoute
            | EntitlementError::InvalidFullPrice
            | EntitlementError::MissingProof
            | EntitlementError::MissingRejectionReason
            | EntitlementError::NotYetExpired(_)
            | EntitlementError::NotWholeUnits(_)
            | EntitlementError::DiscountUsedUp
            | EntitlementError::DiscountAtTill
            | EntitlementError::NoFullPrice
            | EntitlementError::NoDiscountOnPrice
            | EntitlementError::NotADiscount
            | EntitlementError::NotInHousehold => RefusalKind::Invalid,
        }
    }
}
