//! DEP004 dev-dependency-in-app: see `rules/DEP004.md`.

use crate::diagnostic::Severity;
use crate::project::deps::check;
use crate::project::{OtherFiles, Project, ProjectFinding};
use crate::rules::{Family, ProjectRule, RuleMeta};

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
    fn check(&self, project: &Project, out: &mut Vec<ProjectFinding>) {
        let mut other = OtherFiles::new(project.files.len());
        check::run(project, check::DEV_IN_APP, out, &mut other);
    }

    fn check_with_other_files(
        &self,
        project: &Project,
        out: &mut Vec<ProjectFinding>,
        other: &mut OtherFiles,
    ) {
        check::run(project, check::DEV_IN_APP, out, other);
    }
}
