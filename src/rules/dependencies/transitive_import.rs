//! DEP002 transitive-import: see `rules/DEP002.md`.

use crate::diagnostic::Severity;
use crate::project::deps::check;
use crate::project::FactSet;
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "DEP002",
    name: "transitive-import",
    family: Family::Dependencies,
    severity: Severity::Warning,
    fixable: false,
    summary: "An import provided only by a package the project does not declare itself (a dependency of a dependency)",
    help: "declare the distribution that provides the import in the project's manifest",
    doc: include_str!("../../../rules/DEP002.md"),
    security_severity: None,
};

#[derive(Default)]
pub struct TransitiveImport;

impl ProjectRule for TransitiveImport {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS
        .union(FactSet::DYNAMIC_IMPORTS)
        .union(FactSet::MANIFESTS);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let (project, out, other) = (cx.project, &mut *cx.findings, &mut *cx.other);
        check::run(project, check::TRANSITIVE, out, other);
    }
}
