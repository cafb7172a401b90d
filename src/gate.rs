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

/// The codes of one severity in a summary: `TST006 ×2, COV001`.
fn codes(summary: &Summary, severity: Severity) -> String {
    let mut list: Vec<String> = summary
        .by_rule
        .iter()
        .filter(|(_, (s, _))| *s == severity)
        .map(|(code, (_, n))| {
            if *n > 1 {
                format!("{code} ×{n}")
            } else {
                (*code).to_owned()
            }
        })
        .collect();
    if list.len() > 8 {
        let more = list.len() - 8;
        list.truncate(8);
        list.push(format!("{more} more rules"));
    }
    list.join(", ")
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The verdict and its reason, one line.
///
/// - FAIL: at least one blocker.
/// - CONDITIONAL PASS: no blocker, and at least one warning, or a gate
///   condition that could not be judged (`unjudged`: the new-code coverage
///   of a change with fewer executable lines than `min-new-lines`).
/// - PASS: no blocker, no warning, every measured condition judged (info
///   findings do not count).
pub fn decide(summary: &Summary, unjudged: Option<&str>) -> (Verdict, String) {
    if summary.blocker > 0 {
        return (
            Verdict::Fail,
            format!(
                "{}: {}",
                count(summary.blocker, "blocker"),
                codes(summary, Severity::Blocker)
            ),
        );
    }
    let mut why = Vec::new();
    if summary.warning > 0 {
        why.push(format!(
            "{} ({}) and no blocker",
            count(summary.warning, "warning"),
            codes(summary, Severity::Warning)
        ));
    }
    if let Some(u) = unjudged {
        why.push(u.to_owned());
    }
    if why.is_empty() {
        (Verdict::Pass, "no blocker and no warning".to_owned())
    } else {
        (Verdict::ConditionalPass, why.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_and_reasons() {
        let mut s = Summary::default();
        assert_eq!(
            decide(&s, None),
            (Verdict::Pass, "no blocker and no warning".to_owned())
        );
        let (v, why) = decide(&s, Some("new-code coverage is too small to judge"));
        assert_eq!(
            (v, why.as_str()),
            (
                Verdict::ConditionalPass,
                "new-code coverage is too small to judge"
            )
        );
        s.warning = 2;
        s.by_rule.insert("TYP001", (Severity::Warning, 2));
        assert_eq!(decide(&s, None).1, "2 warnings (TYP001 ×2) and no blocker");
        s.blocker = 1;
        s.by_rule.insert("COV001", (Severity::Blocker, 1));
        assert_eq!(
            decide(&s, Some("x")),
            (Verdict::Fail, "1 blocker: COV001".to_owned())
        );
    }

    #[test]
    fn exit_codes() {
        assert_eq!(Verdict::Fail.exit_code(FailOn::Fail), 1);
        assert_eq!(Verdict::ConditionalPass.exit_code(FailOn::Fail), 0);
        assert_eq!(Verdict::ConditionalPass.exit_code(FailOn::Conditional), 1);
        assert_eq!(Verdict::Pass.exit_code(FailOn::Conditional), 0);
    }
}
