use kindpakket_platform::refusal::{Refusal, RefusalKind};

/// Why an enrolment command was refused. The messages are Dutch: the regievoerder reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrolmentError {
    #[error("Deze partner is al ingeschreven in deze gemeente.")]
    AlreadyEnrolled,
    #[error("Deze partner is niet ingeschreven in deze gemeente.")]
    NotEnrolled,
    #[error("De inschrijving van deze partner is al beëindigd.")]
    AlreadyEnded,
    #[error("Geef ten minste één rol op in 'rollen', en ten minste één voorziening in 'voorzieningen' voor elke rol behalve 'signaleren'.")]
    NothingToDo,
    #[error("De naam van de partner ontbreekt.")]
    MissingName,
    #[error("De einddatum ligt vóór de datum van inschrijving.")]
    EndsBeforeEnrolment,
    #[error("Een partner die mag besluiten heeft een mandaat nodig, en een mandaat hoort bij de rol 'besluiten'.")]
    MandateWithoutDecideRole,
    #[error("Het mandaat mag alleen voorzieningen noemen waarvoor de partner is ingeschreven, en een maximumbedrag boven 0 cent.")]
    InvalidMandate,
    #[error("Een korting wordt afgesproken met een partner die in deze gemeente is ingeschreven om deze voorziening te verstrekken (rol 'verstrekken'); deze partner is dat niet.")]
    DiscountNotDelivered,
    #[error("Deze voorziening heeft in de regeling die nu geldt niet de vorm 'korting'; alleen voor zo'n voorziening wordt een korting afgesproken.")]
    NotADiscountProvision,
    #[error(
        "Het kortingspercentage ('percentage') moet een geheel getal van 1 tot en met 100 zijn."
    )]
    InvalidPercentage,
    #[error("Het maximum per aankoop ('maximumPerAankoopCents') moet groter zijn dan 0 cent; laat het weg voor geen maximum.")]
    InvalidMaximum,
    #[error("Met deze partner is voor deze voorziening geen korting afgesproken.")]
    NoDiscount,
}

impl Refusal for EnrolmentError {
    fn kind(&self) -> RefusalKind {
        match self {
            EnrolmentError::AlreadyEnrolled | EnrolmentError::AlreadyEnded => RefusalKind::Conflict,
            EnrolmentError::NotEnrolled | EnrolmentError::NoDiscount => RefusalKind::NotFound,
            _ => RefusalKind::Invalid,
        }
    }
}
