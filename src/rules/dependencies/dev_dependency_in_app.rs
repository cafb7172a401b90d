//! DEP004 dev-dependency-in-app: see `rules/DEP004.md`.

use crate::diagnostic::Severity;
use std::collections::BTreeMap;

use crate::project::deps::names::normalize;
use crate::project::deps::Resolution;
use crate::project::{FactSet, ProjectFinding};
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
    const NEEDS: FactSet = super::RESOLUTION_FACTS;

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let facts = cx.project.dependencies(cx.other);
        // Once per file and distribution: the first import, with the count.
        let mut by_file: BTreeMap<(usize, String), Vec<ProjectFinding>> = BTreeMap::new();
        // Examples, docs and notebooks are run with their own requirements,
        // and a plugin of a development tool runs only inside that tool.
        for i in facts
            .imports
            .iter()
            .filter(|i| !i.paired && !i.sample && !i.dev_host_plugin)
        {
            let Resolution::DevOnly { dist, group, file } = &i.resolution else {
                continue;
            };
            let where_ = facts.manifest_name(*file);
            let group = if group.is_empty() {
                String::new()
            } else {
                format!(" (`{group}`)")
            };
            by_file
                .entry((i.file, normalize(dist)))
                .or_default()
                .push(super::at_import(
                    META.code,
                    i,
                    format!(
                        "application code imports `{}`, but `{dist}` is declared only as a development dependency{group} in {where_}; production installs will not have it",
                        i.module
                    ),
                ));
        }
        for (_, mut findings) in by_file {
            findings.sort_by_key(|f| f.start);
            let count = findings.len();
            let mut first = findings.swap_remove(0);
            if count > 1 {
                first.message = format!("{} ({count} imports in this file)", first.message);
            }
            cx.findings.push(first);
        }
    }
}
