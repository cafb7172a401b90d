//! Rules about comments that silence other tools.

pub mod blanket_noqa;
pub mod blanket_type_ignore;
