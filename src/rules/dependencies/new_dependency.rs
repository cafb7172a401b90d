//! DEP005 new-dependency: with a base (`--since`, or a baseline's commit),
//! a distribution the change added to a manifest. The checklists require
//! approval for every new dependency; the message says whether the name is
//! one of the most downloaded PyPI distributions fortress knows offline.

use crate::diagnostic::Severity;
use crate::project::deps::tables;
use crate::rules::report::{Place, ReportCx, ReportRule};
use crate::rules::{Family, RuleMeta};
use crate::testreport::Inputs;

pub const META: RuleMeta = RuleMeta {
    code: "DEP005",
    name: "new-dependency",
    family: Family::Dependencies,
    severity: Severity::Warning,
    fixable: false,
    summary: "With `--since` or a baseline's commit: a distribution the change added to a manifest, which needs approval",
    help: "get the new dependency approved (licence, maintenance, size), and check the name is the package you mean",
    doc: include_str!("../../../rules/DEP005.md"),
    security_severity: None,
};

/// What fortress's offline tables say about a distribution name.
pub fn standing(name: &str) -> String {
    match tables::top_rank(name) {
        Some(rank) => format!(
            "well known (#{} in fortress's list of the most downloaded PyPI distributions)",
            rank + 1
        ),
        None if tables::on_pypi(name) => "on PyPI but not in fortress's list of widely used distributions: check the name (typosquatting)".to_owned(),
        None => "not a PyPI name fortress knows: a private package, or a misspelt name".to_owned(),
    }
}

#[derive(Default)]
pub struct NewDependency;

impl ReportRule for NewDependency {
    const META: RuleMeta = META;

    fn judged(&self, inputs: &Inputs) -> bool {
        inputs.change.is_some()
    }

    fn check(&self, cx: &mut ReportCx<'_>) {
        let Some(change) = &cx.inputs.change else {
            return;
        };
        let base = &change.base[..change.base.len().min(12)];
        for added in &change.added_dependencies {
            cx.report(
                META.code,
                Place::Report {
                    path: added.manifest.clone(),
                    line: added.line,
                },
                format!(
                    "`{}` is a new {} dependency in `{}` (not declared at {base}), {}; every new dependency needs approval",
                    added.name,
                    added.group,
                    added.shown,
                    standing(&added.name),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standing_comes_from_the_offline_tables() {
        assert!(standing("requests").starts_with("well known (#"));
        assert!(!standing("reqeusts").starts_with("well known"));
        assert!(standing("zz-no-such-dist-fortress-test").contains("misspelt"));
    }
}
