//! Typing idioms.

pub mod optional_annotation;
pub mod missing_type_hints;
pub mod unvalidated_request_body;
pub mod pydantic_v1_pattern;
