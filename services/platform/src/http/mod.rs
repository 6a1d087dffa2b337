//! The HTTP conventions every service follows (NL GOV REST API Design Rules): resource nouns, the
//! version in the path, `application/problem+json` errors with a Dutch `detail`, strict JSON (unknown
//! fields and wrong content types refused), the caller and their roles per operation, a correlation
//! id that follows the case, and an OpenAPI document derived from the handlers.
//!
//! - [`caller`]: who calls ([`Caller`]), and the extractors that say who may ([`InGemeente`],
//!   [`Authorized`], declared with [`roles!`](crate::roles));
//! - [`extract`]: strict JSON bodies ([`ApiJson`]) and typed path parameters ([`ApiPath`]);
//! - [`respond`]: typed answers ([`Created`], [`Recorded`]; `axum::Json` for 200);
//! - [`problem`]: [`ApiError`] and the domain's refusals as problems;
//! - [`conventions`]: correlation id, `API-Version`, fallbacks;
//! - [`vocabulary`]: the Dutch words of contract enums several APIs share;
//! - [`document`]: routes plus the OpenAPI document, refusing an operation that declares no roles.

pub mod caller;
pub mod conventions;
pub mod document;
mod dutch_enum;
pub mod extract;
pub mod paging;
pub mod problem;
pub mod respond;
pub mod vocabulary;

pub use caller::{Authorized, Caller, InGemeente, Roles};
pub use conventions::{
    conventions_middleware, method_not_allowed_fallback, not_found_fallback, record_route,
    CorrelationId, API_VERSION, HEADER_CORRELATION_ID,
};
pub use document::{finish, ApiDescription, DocumentError};
pub use extract::{dutch_json_error, ApiJson, ApiPath};
pub use paging::{ApiQuery, Page, Paging};
pub use problem::{refused, ApiError, Problem};
pub use respond::{Created, Recorded};
