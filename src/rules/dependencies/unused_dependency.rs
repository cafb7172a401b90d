//! DEP003 unused-dependency: see `rules/DEP003.md`.

use crate::diagnostic::Severity;
use crate::project::deps::check;
use crate::project::{OtherFiles, Project, ProjectFinding};
use crate::rules::{Family, ProjectRule, RuleMeta};

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
    fn check(&self, project: &Project, out: &mut Vec<ProjectFinding>) {
        let mut other = OtherFiles::new(project.files.len());
        check::run(project, check::UNUSED, out, &mut other);
    }

    fn check_with_other_files(
        &self,
        project: &Project,
        out: &mut Vec<ProjectFinding>,
        other: &mut OtherFiles,
    ) {
        check::run(project, check::UNUSED, out, other);
    }
}
