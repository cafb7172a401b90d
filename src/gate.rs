//! The verdict: any blocker fails, any warning makes it conditional.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::FailOn;
use crate::diagnostic::{Diagnostic, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    #[serde(rename = "PASS")]
    Pass,
    #[serde(rename = "CONDITIONAL_PASS")]
    ConditionalPass,
    #[serde(rename = "FAIL")]
    Fail,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::ConditionalPass => "CONDITIONAL PASS",
            Verdict::Fail => "FAIL",
        }
    }

    pub fn json_name(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::ConditionalPass => "CONDITIONAL_PASS",
            Verdict::Fail => "FAIL",
        }
    }

    /// Process exit code: 1 when the gate fails (or is conditional under `--fail-on conditional`).
    pub fn exit_code(self, fail_on: FailOn) -> u8 {
        match (self, fail_on) {
            (Verdict::Fail, _) => 1,
            (Verdict::ConditionalPass, FailOn::Conditional) => 1,
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub blocker: usize,
    pub warning: usize,
    pub info: usize,
    /// code -> (severity, count)
    pub by_rule: BTreeMap<&'static str, (Severity, usize)>,
}

impl Summary {
    pub fn new(files: usize, diagnostics: &[Diagnostic]) -> Summary {
        Summary::of(files, diagnostics)
    }

    /// The counts of some diagnostics of a run (those the gate judges).
    pub fn of<'d>(files: usize, diagnostics: impl IntoIterator<Item = &'d Diagnostic>) -> Summary {
        let mut s = Summary {
            files,
            ..Summary::default()
        };
        for d in diagnostics {
            match d.severity {
                Severity::Blocker => s.blocker += 1,
                Severity::Warning => s.warning += 1,
                Severity::Info => s.info += 1,
            }
            s.by_rule.entry(d.code).or_insert((d.severity, 0)).1 += 1;
        }
        s
    }

    pub fn verdict(&self) -> Verdict {
        if self.blocker > 0 {
            Verdict::Fail
        } else if self.warning > 0 {
            Verdict::ConditionalPass
        } else {
            Verdict::Pass
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(Verdict::Fail.exit_code(FailOn::Fail), 1);
        assert_eq!(Verdict::ConditionalPass.exit_code(FailOn::Fail), 0);
        assert_eq!(Verdict::ConditionalPass.exit_code(FailOn::Conditional), 1);
        assert_eq!(Verdict::Pass.exit_code(FailOn::Conditional), 0);
    }
}
