use kindpakket_platform::refusal::{Refusal, RefusalKind};

use crate::domain::eligibility::AssessmentError;

/// Why an application command was refused. The messages are Dutch: the family, the loket or the
/// partner reads them. They name a child or an entitlement by its place in the request, never by
/// what the caller sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationError {
    #[error("Deze aanvraag bestaat al.")]
    AlreadyExists,
    #[error("Deze aanvraag bestaat niet in deze gemeente.")]
    NotFound,
    #[error("Over deze aanvraag is al besloten, of zij is ingetrokken.")]
    AlreadyDecided,
    #[error("Een aanvraag noemt ten minste één kind.")]
    NoChildren,
    #[error("Hetzelfde kind staat twee keer in de aanvraag.")]
    DuplicateChild,
    #[error("Kind {0}: deze geboortemaand bestaat niet; gebruik 1 tot en met 12.")]
    InvalidBirthMonth(usize),
    #[error("Een kind in de aanvraag is op de aanvraagdatum niet tussen 0 en 17 jaar oud.")]
    ChildNotUnderEighteen,
    #[error("Het inkomen als percentage van het sociaal minimum moet tussen 0 en 1000 liggen.")]
    InvalidIncome,
    #[error("Recht {0}: de einddatum ligt vóór de begindatum.")]
    InvalidPeriod(usize),
    #[error("Recht {0}: de geldigheid valt buiten de periode van de regeling die op de aanvraagdatum geldt.")]
    PeriodOutsideRegeling(usize),
    #[error("Een aanvraag namens het gezin vraagt de toestemming van de ouder ('toestemming' met 'gegeven': true, de datum en de vorm). Er is niets opgeslagen.")]
    NoConsent,
    #[error("De toestemming van de ouder ('toestemming.datum') ligt na de aanvraagdatum. Er is niets opgeslagen.")]
    ConsentAfterApplication,
    #[error("Een aanvraag namens het gezin vraagt dat de aanvrager verklaart het gezag over de kinderen te hebben ('gezag' met 'verklaard': true). Er is niets opgeslagen.")]
    NoGezag,
    #[error("Geef de reden van de afwijzing; de familie leest haar.")]
    MissingReason,
    #[error("{0}")]
    Assessment(#[from] AssessmentError),
    #[error("Dit besluit valt buiten uw mandaat: {0}. Leg de aanvraag voor aan de gemeente.")]
    OutsideMandate(String),
    #[error("Dit huishouden is vergeten (verwijderd of bewaartermijn verstreken): er wordt niets nieuws over bewaard en over deze aanvraag kan niet meer worden besloten. Er is niets opgeslagen.")]
    HouseholdForgotten,
    /// The keys could not be reached: a technical failure, which the use-cases log and answer as
    /// one (never shown as such).
    #[error(
        "De sleutels zijn nu niet bereikbaar; er is niets opgeslagen. Probeer het later opnieuw."
    )]
    KeysUnavailable(String),
}

impl Refusal for ApplicationError {
    fn kind(&self) -> RefusalKind {
        match self {
            ApplicationError::AlreadyExists | ApplicationError::AlreadyDecided => {
                RefusalKind::Conflict
            }
            ApplicationError::Assessment(refusal) if refusal.conflicts_with_earlier_grants() => {
                RefusalKind::Conflict
            }
            ApplicationError::NotFound => RefusalKind::NotFound,
            ApplicationError::HouseholdForgotten | ApplicationError::KeysUnavailable(_) => {
                RefusalKind::Conflict
            }
            ApplicationError::OutsideMandate(_) => RefusalKind::Forbidden,
            _ => RefusalKind::Invalid,
        }
    }
}
