//! Typing idioms.

pub mod optional_annotation;
