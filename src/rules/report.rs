//! Rules whose inputs are reports rather than source: coverage, JUnit test
//! results, the task a change claims to be (COV, TSK, TST006). They run
//! once per `check`, after the engine, on what [`crate::testreport`]
//! measured, and report at a line of a checked file or of a report.

use std::path::PathBuf;

use super::{Options, RuleMeta};
use crate::testreport::{measure::Measures, Inputs};

/// Where a report rule's finding goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// A line of a checked Python file (project-relative path), with the
    /// last line of the range it covers.
    Line { rel: String, line: u32, last: u32 },
    /// A line of a report file (coverage or JUnit), absolute path.
    Report { path: PathBuf, line: u32 },
    /// A file the change deleted (project-relative path at the base).
    Gone { rel: String },
}

/// A report rule's finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFinding {
    pub code: &'static str,
    pub place: Place,
    pub message: String,
}

/// What a report rule sees.
pub struct ReportCx<'c> {
    pub inputs: &'c Inputs,
    pub measures: &'c Measures,
    pub options: &'c Options,
    pub findings: &'c mut Vec<ReportFinding>,
}

impl ReportCx<'_> {
    pub fn report(&mut self, code: &'static str, place: Place, message: String) {
        self.findings.push(ReportFinding {
            code,
            place,
            message,
        });
    }
}

/// A rule fed the test reports and the change instead of the source walk.
pub trait ReportRule: Default + Send + Sync + 'static {
    const META: RuleMeta;
    /// Whether the run gave this rule what it judges (a coverage report, a
    /// change, a task, a JUnit report): only then is a suppression naming
    /// it that matched nothing unused (SUP004).
    fn judged(&self, inputs: &Inputs) -> bool;
    fn check(&self, cx: &mut ReportCx<'_>);
}

/// Object-safe face of [`ReportRule`].
pub trait ReportChecker: Send + Sync {
    fn judged(&self, inputs: &Inputs) -> bool;
    fn check(&self, cx: &mut ReportCx<'_>);
}

impl<R: ReportRule> ReportChecker for R {
    fn judged(&self, inputs: &Inputs) -> bool {
        ReportRule::judged(self, inputs)
    }
    fn check(&self, cx: &mut ReportCx<'_>) {
        ReportRule::check(self, cx);
    }
}
