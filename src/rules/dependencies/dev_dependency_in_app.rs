//! DEP004 dev-dependency-in-app: see `rules/DEP004.md`.

use crate::diagnostic::Severity;
use crate::project::deps::check;
use crate::project::FactSet;
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "DEP004",
    name: "dev-dependency-in-app",
    family: Family::Dependencies,
    severity: Severity::Warning,
    fixable: false,
    summary: "Application code imports a distribution declared only as a development dependency",
    help:
        "move the distribution to the runtime dependencies, or keep the import in tests and tooling",
    doc: include_str!("../../../rules/DEP004.md"),
    security_severity: None,
};

#[derive(Default)]
pub struct DevDependencyInApp;

impl ProjectRule for DevDependencyInApp {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS
        .union(FactSet::DYNAMIC_IMPORTS)
        .union(FactSet::MANIFESTS);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let (project, out, other) = (cx.project, &mut *cx.findings, &mut *cx.other);
        check::run(project, check::DEV_IN_APP, out, other);
    }
}
