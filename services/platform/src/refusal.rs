//! How a domain says no. Aggregates and use-cases return their own error enums; each implements
//! [`Refusal`] to say what kind of no it is, and its `Display` is the Dutch sentence the caller reads.
//! The HTTP layer ([`crate::http`]) maps the kind onto a status; the domain never sees HTTP.

/// What kind of no a refusal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The request breaks a rule (HTTP 422).
    Invalid,
    /// The thing asked for does not exist, or not for this caller (HTTP 404).
    NotFound,
    /// The request conflicts with the current state, e.g. made twice with other data (HTTP 409).
    Conflict,
    /// The caller may not do this, e.g. outside its mandate (HTTP 403).
    Forbidden,
}

/// A domain error that a person can read: its `Display` is Dutch and says what to do.
pub trait Refusal: std::error::Error {
    fn kind(&self) -> RefusalKind;
}
