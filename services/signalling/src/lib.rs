//! The signalling service: wijkteams, schools, CJG's and partners signal a child in need, refer the
//! family, and record what came of it.
//!
//! - [`domain`]: the `Signal` aggregate, pure rules without I/O;
//! - [`http`]: the API (`/api/v1/gemeenten/{gemeente}/signaleringen`);
//! - [`publish`]: stored events to the `proto` contract, for the relay;
//! - [`startup`] wires the parts together.

pub mod domain;
pub mod http;
pub mod publish;
pub mod startup;
