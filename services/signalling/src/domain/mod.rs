//! The rules of signalling. No I/O here.

pub mod signal;
