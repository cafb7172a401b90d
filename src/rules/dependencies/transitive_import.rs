//! DEP002 transitive-import: see `rules/DEP002.md`.

use crate::diagnostic::Severity;
use std::collections::BTreeMap;

use crate::project::deps::names::normalize;
use crate::project::deps::Resolution;
use crate::project::{FactSet, ProjectFinding};
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
    const NEEDS: FactSet = super::RESOLUTION_FACTS;

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let project = cx.project;
        let facts = project.dependencies(cx.other);
        // Once per distribution: its first import, with the count.
        let mut by_dist: BTreeMap<&str, Vec<ProjectFinding>> = BTreeMap::new();
        // Examples, docs and notebooks are run with their own requirements
        // (a training script's `torch`), not the project's.
        for i in facts
            .imports
            .iter()
            .filter(|i| !i.paired && !i.sample && !i.type_checking)
        {
            let shown = &i.module;
            let (dist, message) = match &i.resolution {
                Resolution::Transitive { dist, via, evidence } => {
                    let what = subject(shown, dist);
                    let message = match via {
                        Some(v) if evidence.is_empty() => format!("{what} declared only as a development dependency; production has it only through `{v}`, a runtime dependency named after it: declare it"),
                        Some(v) => format!("{what} not declared: {evidence} installs it only as a dependency of `{v}`"),
                        None => format!("{what} not declared: only {evidence} lists it"),
                    };
                    (dist, message)
                }
                Resolution::Undeclared { dist } => (dist, format!(
                    "{} not declared in any manifest: it works only while another package happens to install it",
                    subject(shown, dist)
                )),
                Resolution::Obscure { dist, suggestion } => (dist, format!(
                    "{} not declared, and it is not a widely used package: make sure it is the one you mean, then declare it{}",
                    subject(shown, dist),
                    super::did_you_mean(suggestion.as_deref())
                )),
                _ => continue,
            };
            by_dist
                .entry(dist)
                .or_default()
                .push(super::at_import(META.code, i, message));
        }
        for (_, mut findings) in by_dist {
            findings.sort_by(|a, b| {
                (&project.files[a.file].rel, a.start).cmp(&(&project.files[b.file].rel, b.start))
            });
            let count = findings.len();
            let mut others: Vec<&str> = Vec::new();
            for f in &findings[1..] {
                let rel = project.files[f.file].display.as_str();
                if f.file != findings[0].file && !others.contains(&rel) {
                    others.push(rel);
                }
            }
            let mut first = findings.swap_remove(0);
            if count > 1 {
                let shown: Vec<String> = others.iter().take(3).map(|o| format!("`{o}`")).collect();
                let more = others.len().saturating_sub(3);
                let also = match (shown.is_empty(), more) {
                    (true, _) => String::new(),
                    (false, 0) => format!(", also in {}", shown.join(", ")),
                    (false, n) => format!(", also in {} and {n} more file(s)", shown.join(", ")),
                };
                first.message = format!("{} ({count} imports{also})", first.message);
            }
            cx.findings.push(first);
        }
    }
}

/// "`pydantic` is" or "`yaml` comes from `pyyaml`, which is".
fn subject(shown: &str, dist: &str) -> String {
    let top = shown.split('.').next().unwrap_or(shown);
    if normalize(top) == dist {
        format!("`{dist}` is")
    } else {
        format!("`{shown}` comes from `{dist}`, which is")
    }
}
