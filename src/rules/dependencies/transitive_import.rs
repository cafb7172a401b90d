//! DEP002 transitive-import: see `rules/DEP002.md`.

use crate::diagnostic::Severity;
use crate::project::deps::check;
use crate::project::{OtherFiles, Project, ProjectFinding};
use crate::rules::{Family, ProjectRule, RuleMeta};

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
    fn check(&self, project: &Project, out: &mut Vec<ProjectFinding>) {
        let mut other = OtherFiles::new(project.files.len());
        check::run(project, check::TRANSITIVE, out, &mut other);
    }

    fn check_with_other_files(
        &self,
        project: &Project,
        out: &mut Vec<ProjectFinding>,
        other: &mut OtherFiles,
    ) {
        check::run(project, check::TRANSITIVE, out, other);
    }
}
