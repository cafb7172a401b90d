//! The gate's own configuration: CFG001, which `check --since` reports
//! (in the `baseline` module) when a change weakens it.

use super::{EngineRule, Family, RuleMeta};
use crate::diagnostic::Severity;

pub const GATE_WEAKENED: RuleMeta = RuleMeta {
    code: "CFG001",
    name: "gate-weakened",
    family: Family::Config,
    severity: Severity::Warning,
    fixable: false,
    summary: "With `--since`: the change weakens fortress's configuration (rules disabled, exclusions or per-file ignores added, severities lowered, `fail-on` relaxed)",
    help: "keep the gate as strict as at the base, or have the weakening reviewed on its own",
    doc: include_str!("../../rules/CFG001.md"),
    security_severity: None,
};

/// CFG001, reported by `check --since` when the configuration got weaker.
pub struct GateWeakened;
impl EngineRule for GateWeakened {
    const META: RuleMeta = GATE_WEAKENED;
}
