//! Rules about comments that silence other tools, and the two the engine
//! reports about fortress's own suppressions.

use super::{EngineRule, Family, RuleMeta};
use crate::diagnostic::Severity;

pub mod blanket_noqa;
pub mod blanket_type_ignore;

pub const INVALID_SUPPRESSION: RuleMeta = RuleMeta {
    code: "SUP003",
    name: "invalid-suppression",
    family: Family::Suppression,
    severity: Severity::Warning,
    fixable: false,
    summary: "A `# fortress: ignore` comment without rule codes or without a reason; it suppresses nothing",
    help: "write `# fortress: ignore[CODE, ...] -- reason`",
    doc: include_str!("../../../rules/SUP003.md"),
    security_severity: None,
};

pub const UNUSED_SUPPRESSION: RuleMeta = RuleMeta {
    code: "SUP004",
    name: "unused-suppression",
    family: Family::Suppression,
    severity: Severity::Warning,
    fixable: true,
    summary: "A `# fortress: ignore` comment that suppresses nothing",
    help: "remove the suppression, or the codes in it that no longer match",
    doc: include_str!("../../../rules/SUP004.md"),
    security_severity: None,
};

/// SUP003, reported by the engine while it reads suppression comments.
pub struct InvalidSuppression;
impl EngineRule for InvalidSuppression {
    const META: RuleMeta = INVALID_SUPPRESSION;
}

/// SUP004, reported by the engine once every finding is known.
pub struct UnusedSuppression;
impl EngineRule for UnusedSuppression {
    const META: RuleMeta = UNUSED_SUPPRESSION;
}
