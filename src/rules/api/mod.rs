//! The API contract (API): what every route responds with.
pub mod options;
pub mod response_envelope;
