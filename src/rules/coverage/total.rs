//! COV001 total-coverage: the checked files' line coverage is below `fail-under`.

use crate::diagnostic::Severity;
use crate::rules::report::{Place, ReportCx, ReportRule};
use crate::rules::{Family, RuleMeta};
use crate::testreport::measure::show_percent;
use crate::testreport::Inputs;

#[derive(Default)]
pub struct TotalCoverage;

impl ReportRule for TotalCoverage {
    const META: RuleMeta = RuleMeta {
        code: "COV001",
        name: "total-coverage",
        family: Family::Coverage,
        severity: Severity::Blocker,
        fixable: false,
        summary: "Total line coverage of the checked files is below `[tool.fortress.coverage] fail-under` (default 80%)",
        help: "test the uncovered code (the coverage report lists it), or lower `fail-under` in a change of its own",
        doc: include_str!("../../../rules/COV001.md"),
        security_severity: None,
    };

    fn judged(&self, inputs: &Inputs) -> bool {
        inputs.coverage.is_some()
    }

    fn check(&self, cx: &mut ReportCx<'_>) {
        let (Some(total), Some(file)) = (cx.measures.total, cx.inputs.coverage_files.first())
        else {
            return;
        };
        let min = cx.options.coverage.fail_under;
        if total.percent < min {
            let message = format!(
                "total line coverage is {} ({} of {} statements), below `fail-under` {}",
                show_percent(total.percent),
                total.covered,
                total.statements,
                show_percent(min)
            );
            cx.report(
                Self::META.code,
                Place::Report {
                    path: file.path.clone(),
                    line: 1,
                },
                message,
            );
        }
    }
}
