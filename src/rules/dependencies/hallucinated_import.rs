//! DEP001 hallucinated-import: see `rules/DEP001.md`.

use crate::diagnostic::Severity;
use crate::project::deps::check;
use crate::project::FactSet;
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "DEP001",
    name: "hallucinated-import",
    family: Family::Dependencies,
    severity: Severity::Blocker,
    fixable: false,
    summary: "An import that no declared, locked or installed distribution provides and no known package is named like",
    help: "fix the module name, or declare the distribution that provides it",
    doc: include_str!("../../../rules/DEP001.md"),
    security_severity: None,
};

#[derive(Default)]
pub struct HallucinatedImport;

impl ProjectRule for HallucinatedImport {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS
        .union(FactSet::DYNAMIC_IMPORTS)
        .union(FactSet::MANIFESTS);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let (project, out, other) = (cx.project, &mut *cx.findings, &mut *cx.other);
        check::run(project, check::HALLUCINATED, out, other);
    }
}
