//! DEP003 unused-dependency: see `rules/DEP003.md`.

use crate::diagnostic::Severity;
use std::collections::HashMap;

use crate::diagnostic::LineIndex;
use crate::project::{FactSet, ProjectFinding};
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
    const NEEDS: FactSet = super::RESOLUTION_FACTS;

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let facts = cx.project.dependencies(cx.other);
        let mut lines: HashMap<usize, LineIndex> = HashMap::new();
        for d in &facts.unused {
            let f = facts.manifest(d.file);
            let file = cx.other.add(&f.path, &f.source);
            let lines = lines
                .entry(d.file)
                .or_insert_with(|| LineIndex::new(&f.source));
            cx.findings.push(ProjectFinding {
                code: META.code,
                file,
                span: d.span.clone(),
                start: lines.position(d.span.start, &f.source),
                end: lines.position(d.span.end, &f.source),
                message: format!(
                    "`{}` is declared as a dependency in {}, but no module imports it",
                    d.written,
                    facts.manifest_name(d.file)
                ),
            });
        }
    }
}
