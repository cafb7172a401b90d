//! COV002 new-code-coverage: the change's executable lines are covered
//! below `new-code-fail-under`; each uncovered range is reported where it is.

use crate::diagnostic::Severity;
use crate::rules::report::{Place, ReportCx, ReportRule};
use crate::rules::{Family, RuleMeta};
use crate::testreport::measure::{show_percent, NewCode};
use crate::testreport::Inputs;

#[derive(Default)]
pub struct NewCodeCoverage;

impl ReportRule for NewCodeCoverage {
    const META: RuleMeta = RuleMeta {
        code: "COV002",
        name: "new-code-coverage",
        family: Family::Coverage,
        severity: Severity::Blocker,
        fixable: false,
        summary: "With `--since`: the change's executable lines are covered below `new-code-fail-under` (default 80%); each uncovered range is reported",
        help: "add a test that runs these lines",
        doc: include_str!("../../../rules/COV002.md"),
        security_severity: None,
    };

    fn judged(&self, inputs: &Inputs) -> bool {
        inputs.coverage.is_some() && inputs.change.is_some()
    }

    fn check(&self, cx: &mut ReportCx<'_>) {
        let NewCode::Measured {
            covered,
            lines,
            gaps,
        } = &cx.measures.new_code
        else {
            return;
        };
        let min = cx.options.coverage.new_code_fail_under;
        let percent = NewCode::percent(*covered, *lines);
        if percent >= min {
            return;
        }
        for gap in gaps {
            let what = if gap.first == gap.last {
                format!("changed line {} is", gap.first)
            } else {
                format!(
                    "changed lines {}-{} ({} executable) are",
                    gap.first, gap.last, gap.lines
                )
            };
            let why = if gap.unmeasured {
                "in a file no coverage report measures"
            } else {
                "not run by any test"
            };
            cx.report(
                Self::META.code,
                Place::Line {
                    rel: gap.rel.clone(),
                    line: gap.first,
                    last: gap.last,
                },
                format!(
                    "{what} {why}; new code is {} covered ({covered} of {lines} executable changed lines), below `new-code-fail-under` {}",
                    show_percent(percent),
                    show_percent(min)
                ),
            );
        }
    }
}
