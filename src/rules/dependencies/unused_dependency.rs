//! DEP003 unused-dependency: see `rules/DEP003.md`.

use crate::diagnostic::Severity;
use crate::project::deps::check;
use crate::project::FactSet;
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "DEP003",
    name: "unused-dependency",
    family: Family::Dependencies,
    severity: Severity::Info,
    fixable: false,
    summary: "A declared runtime dependency that no module imports",
    help: "remove the dependency, or list it in `[tool.fortress.dependencies] ignore-unused` if it is used without an import",
    doc: include_str!("../../../rules/DEP003.md"),
    security_severity: None,
};

#[derive(Default)]
pub struct UnusedDependency;

impl ProjectRule for UnusedDependency {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS
        .union(FactSet::DYNAMIC_IMPORTS)
        .union(FactSet::MANIFESTS);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let (project, out, other) = (cx.project, &mut *cx.findings, &mut *cx.other);
        check::run(project, check::UNUSED, out, other);
    }
}
