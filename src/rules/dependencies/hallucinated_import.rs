//! DEP001 hallucinated-import: see `rules/DEP001.md`.

use crate::diagnostic::Severity;
use crate::project::deps::check;
use crate::project::{OtherFiles, Project, ProjectFinding};
use crate::rules::{Family, ProjectRule, RuleMeta};

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
    fn check(&self, project: &Project, out: &mut Vec<ProjectFinding>) {
        let mut other = OtherFiles::new(project.files.len());
        check::run(project, check::HALLUCINATED, out, &mut other);
    }

    fn check_with_other_files(
        &self,
        project: &Project,
        out: &mut Vec<ProjectFinding>,
        other: &mut OtherFiles,
    ) {
        check::run(project, check::HALLUCINATED, out, other);
    }
}
