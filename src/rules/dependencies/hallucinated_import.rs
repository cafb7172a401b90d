//! DEP001 hallucinated-import: see `rules/DEP001.md`.

use crate::diagnostic::Severity;
use crate::project::deps::Resolution;
use crate::project::FactSet;
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};
use crate::version::PythonVersion;

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
    const META: RuleMeta = META;
    const NEEDS: FactSet = super::RESOLUTION_FACTS;

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let target = cx.project.options.target;
        let facts = cx.project.dependencies(cx.other);
        for i in facts.imports.iter().filter(|i| !i.paired) {
            let top = i.module.split('.').next().unwrap_or(&i.module);
            let message = match &i.resolution {
                Resolution::Unknown { suggestion } => format!(
                    "`{}` is not provided by any declared, locked or installed distribution, and no known package is named like it{}",
                    i.module,
                    super::did_you_mean(suggestion.as_deref())
                ),
                Resolution::NotOnTarget {
                    newer,
                    version,
                    backport,
                    backport_import,
                } => not_on_target(top, target, *newer, *version, *backport, *backport_import),
                _ => continue,
            };
            cx.findings.push(super::at_import(META.code, i, message));
        }
    }
}

/// The message of an import the target's standard library lacks.
fn not_on_target(
    top: &str,
    target: PythonVersion,
    newer: bool,
    version: PythonVersion,
    backport: Option<&str>,
    backport_import: Option<&str>,
) -> String {
    if newer {
        let fallback = match (backport, backport_import) {
            (Some(b), Some(i)) => format!(", falling back to the backport `{b}` (`import {i}`)"),
            (Some(b), None) => format!(", or declare the backport `{b}`"),
            _ => String::new(),
        };
        format!(
            "`{top}` is in the standard library only from Python {version}, and the target is {target}: guard the import with `if sys.version_info >= ({}, {})`{fallback}",
            version.major, version.minor
        )
    } else {
        let instead = match (backport, backport_import) {
            (Some(b), None) => format!("declare `{b}`, which provides it"),
            (Some(b), Some(i)) => format!("use `{b}` (`import {i}`) instead"),
            _ => "no backport provides it: port the code".to_owned(),
        };
        format!(
            "`{top}` was removed from the standard library in Python {version}, and the target is {target}: {instead}"
        )
    }
}
