//! TSK001-TSK003: what a task owes the tests. A fix comes with a test that
//! reproduces the bug, a refactor keeps its tests and its coverage, a
//! feature's new routes and service methods are named by a test. The task
//! is `--task`, or the conventional-commit prefix of the pull request
//! title or the last commit; each rule needs a change (`--since`).

use crate::diagnostic::Severity;
use crate::rules::report::{Place, ReportCx, ReportRule};
use crate::rules::{Family, RuleMeta};
use crate::testreport::measure::show_percent;
use crate::testreport::{Inputs, Task};

fn applies(inputs: &Inputs, task: Task) -> bool {
    inputs.task.task == task && inputs.change.is_some()
}

#[derive(Default)]
pub struct FixWithoutTest;

impl ReportRule for FixWithoutTest {
    const META: RuleMeta = RuleMeta {
        code: "TSK001",
        name: "fix-without-test",
        family: Family::Task,
        severity: Severity::Blocker,
        fixable: false,
        summary: "A fix (`--task fix`, `fix:` title) whose change adds or modifies no test function, or whose changed tests run none of the fix",
        help: "add a test that fails without the fix and passes with it",
        doc: include_str!("../../../rules/TSK001.md"),
        security_severity: None,
    };

    fn judged(&self, inputs: &Inputs) -> bool {
        applies(inputs, Task::Fix)
    }

    fn check(&self, cx: &mut ReportCx<'_>) {
        if !applies(cx.inputs, Task::Fix) {
            return;
        }
        let Some((rel, line)) = cx.measures.first_change.clone() else {
            return; // no application code changed: nothing to reproduce
        };
        let source = cx.inputs.task.source.clone();
        let message = if cx.measures.tests_touched.is_empty() {
            format!("the change is a fix ({source}) but adds or modifies no test function; add one that reproduces the bug")
        } else if cx.measures.touched_tests_run_change == Some(false) {
            let names: Vec<&str> = cx
                .measures
                .tests_touched
                .iter()
                .take(3)
                .map(|t| t.qualname.as_str())
                .collect();
            format!(
                "the change is a fix ({source}) but the tests it changes ({}) run none of its changed lines (per-test coverage contexts)",
                names.join(", ")
            )
        } else {
            return;
        };
        cx.report(
            Self::META.code,
            Place::Line {
                rel,
                line,
                last: line,
            },
            message,
        );
    }
}

#[derive(Default)]
pub struct RefactorDropsTests;

impl ReportRule for RefactorDropsTests {
    const META: RuleMeta = RuleMeta {
        code: "TSK002",
        name: "refactor-drops-tests",
        family: Family::Task,
        severity: Severity::Blocker,
        fixable: false,
        summary: "A refactor that deletes or renames away test functions, or drops total coverage by more than `max-coverage-drop` against `--base-coverage`",
        help: "a refactor keeps behaviour: keep the tests (move them with the code) and the coverage",
        doc: include_str!("../../../rules/TSK002.md"),
        security_severity: None,
    };

    fn judged(&self, inputs: &Inputs) -> bool {
        applies(inputs, Task::Refactor)
    }

    fn check(&self, cx: &mut ReportCx<'_>) {
        if !applies(cx.inputs, Task::Refactor) {
            return;
        }
        let source = cx.inputs.task.source.clone();
        for t in cx.measures.tests_removed.clone() {
            cx.report(
                Self::META.code,
                Place::Gone { rel: t.rel.clone() },
                format!(
                    "the change is a refactor ({source}) but removes test `{}` ({}:{} at the base)",
                    t.qualname, t.rel, t.line
                ),
            );
        }
        let (Some(base), Some(head), Some(file)) = (
            cx.measures.base_total,
            cx.measures.total,
            cx.inputs.coverage_files.first(),
        ) else {
            return;
        };
        let drop = base.percent - head.percent;
        let max = cx.options.coverage.max_coverage_drop;
        if drop > max {
            cx.report(
                Self::META.code,
                Place::Report {
                    path: file.path.clone(),
                    line: 1,
                },
                format!(
                    "the change is a refactor ({source}) but total coverage drops from {} to {} ({:.2} points, more than `max-coverage-drop` {max})",
                    show_percent(base.percent),
                    show_percent(head.percent),
                    drop
                ),
            );
        }
    }
}

#[derive(Default)]
pub struct FeatureWithoutTests;

impl ReportRule for FeatureWithoutTests {
    const META: RuleMeta = RuleMeta {
        code: "TSK003",
        name: "feature-without-tests",
        family: Family::Task,
        severity: Severity::Warning,
        fixable: false,
        summary: "A feature (`--task feat`, `feat:` title) adds a route or public service method that no test references",
        help: "add a test that calls the new route or method",
        doc: include_str!("../../../rules/TSK003.md"),
        security_severity: None,
    };

    fn judged(&self, inputs: &Inputs) -> bool {
        applies(inputs, Task::Feat)
    }

    fn check(&self, cx: &mut ReportCx<'_>) {
        if !applies(cx.inputs, Task::Feat) {
            return;
        }
        for f in cx.measures.untested_features.clone() {
            let what = match &f.route {
                Some(path) if !path.is_empty() => {
                    format!("new route handler `{}` (`{path}`)", f.qualname)
                }
                Some(_) => format!("new route handler `{}`", f.qualname),
                None => format!("new public service method `{}`", f.qualname),
            };
            cx.report(
                Self::META.code,
                Place::Line {
                    rel: f.rel.clone(),
                    line: f.line,
                    last: f.line,
                },
                format!("{what} has no test that references it"),
            );
        }
    }
}
