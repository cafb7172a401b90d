//! Typing idioms.

pub mod missing_type_hints;
pub mod optional_annotation;
mod optional_fix;
pub mod pydantic_v1_pattern;
pub mod unvalidated_request_body;
