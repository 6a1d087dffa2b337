//! What may be asked of a partner's enrolment.

use kindpakket_proto::regie::PartnerEnrolled;
use kindpakket_proto::GemeenteCode;
use time::Date;

#[derive(Debug, Clone)]
pub enum EnrolmentCommand {
    Enrol(Enrol),
    End(End),
}

/// The regievoerder enrols a partner for provisions, in roles, with a mandate when it may decide.
#[derive(Debug, Clone)]
pub struct Enrol {
    pub gemeente: GemeenteCode,
    pub enrolment: PartnerEnrolled,
}

/// The regievoerder ends a partner's enrolment.
#[derive(Debug, Clone)]
pub struct End {
    pub ended_on: Date,
}
