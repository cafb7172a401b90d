//! TST006 failing-test: a test failed or errored in a JUnit report.

use crate::diagnostic::Severity;
use crate::rules::report::{Place, ReportCx, ReportRule};
use crate::rules::{Family, RuleMeta};
use crate::testreport::Inputs;

#[derive(Default)]
pub struct FailingTest;

impl ReportRule for FailingTest {
    const META: RuleMeta = RuleMeta {
        code: "TST006",
        name: "failing-test",
        family: Family::Tests,
        severity: Severity::Blocker,
        fixable: false,
        summary: "A test failed or errored in the JUnit report (`--junit`), reported at the test's definition",
        help: "make the test pass; a test that is wrong is fixed or removed in a reviewed change",
        doc: include_str!("../../../rules/TST006.md"),
        security_severity: None,
    };

    fn judged(&self, inputs: &Inputs) -> bool {
        !inputs.junit.is_empty()
    }

    fn check(&self, cx: &mut ReportCx<'_>) {
        for f in &cx.measures.failures {
            let place = match &f.at {
                Some((rel, line)) => Place::Line {
                    rel: rel.clone(),
                    line: *line,
                    last: *line,
                },
                None => match cx.inputs.junit.get(f.report) {
                    Some(report) => Place::Report {
                        path: report.file.path.clone(),
                        line: f.row,
                    },
                    None => continue,
                },
            };
            let verb = if f.errored { "errored" } else { "failed" };
            let message = if f.message.is_empty() {
                format!("test `{}` {verb}", f.id)
            } else {
                format!("test `{}` {verb}: {}", f.id, f.message)
            };
            cx.findings.push(crate::rules::report::ReportFinding {
                code: Self::META.code,
                place,
                message,
            });
        }
    }
}
