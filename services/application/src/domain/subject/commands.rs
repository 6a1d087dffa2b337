//! What may be asked of a subject.

use kindpakket_proto::application::{ForgetReason, SubjectKind};
use kindpakket_proto::GemeenteCode;
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum SubjectCommand {
    Forget(Forget),
    Rectify(Rectify),
}

/// The vault forgets the person behind the subject (erasure or retention). Idempotent: a subject is
/// forgotten once, and asking again changes nothing.
#[derive(Debug, Clone)]
pub struct Forget {
    pub subject: Uuid,
    pub gemeente: GemeenteCode,
    pub kind: SubjectKind,
    pub why: ForgetReason,
    pub on: Date,
}

/// The vault corrected the person behind the subject.
#[derive(Debug, Clone)]
pub struct Rectify {
    pub subject: Uuid,
    pub gemeente: GemeenteCode,
    pub kind: SubjectKind,
    pub on: Date,
}
