//! The test-enforcement conditions of the review report (condition,
//! threshold, actual value, status), and whether one could not be judged
//! (new-code coverage of a change too small), which makes the verdict at
//! best CONDITIONAL PASS.

use super::place::Placed;
use crate::config::Settings;
use crate::diagnostic::Severity;
use crate::testreport::measure::{show_percent, Measures, NewCode};
use crate::testreport::{Inputs, Task};

/// How a condition came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Passed,
    /// Its findings are warnings (by default or by `severity`).
    Warned,
    Failed,
    /// Not measured, and why (no report, no change, rule disabled).
    NotApplicable(String),
    /// Measured but too little to judge (CONDITIONAL PASS), and why.
    TooSmall(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub name: &'static str,
    pub threshold: String,
    pub actual: String,
    pub status: Status,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    /// New-code coverage, total coverage, failing tests, task rule.
    pub rows: Vec<Condition>,
    /// Why a condition could not be judged, when one could not.
    pub unjudged: Option<String>,
}

fn enabled(settings: &Settings, code: &str) -> bool {
    crate::rules::index_of(code).is_some_and(|i| settings.enabled[i])
}

/// The status from the findings of `codes` the gate added (not those an
/// inline suppression silenced).
fn status_of(added: &[Placed], codes: &[&str]) -> Status {
    let worst = added
        .iter()
        .filter(|p| !p.suppressed && codes.contains(&p.code))
        .map(|p| p.severity)
        .max();
    match worst {
        Some(Severity::Blocker) => Status::Failed,
        Some(Severity::Warning) => Status::Warned,
        _ => Status::Passed,
    }
}

/// `actual`, with how many of `code`'s findings an inline suppression silenced.
fn suppressed(actual: String, added: &[Placed], code: &str) -> String {
    match added
        .iter()
        .filter(|p| p.suppressed && p.code == code)
        .count()
    {
        0 => actual,
        n => format!("{actual} ({n} suppressed inline)"),
    }
}

fn disabled(codes: &[&str]) -> Status {
    Status::NotApplicable(format!("{} disabled", codes.join(", ")))
}

pub fn build(
    settings: &Settings,
    inputs: &Inputs,
    measures: &Measures,
    added: &[Placed],
) -> Conditions {
    let o = &settings.options.coverage;
    let mut rows = Vec::new();
    let mut unjudged = None;

    let lines = |covered: usize, lines: usize| {
        format!(
            "{} ({covered} of {lines} line{})",
            show_percent(NewCode::percent(covered, lines)),
            if lines == 1 { "" } else { "s" }
        )
    };
    let (actual, status) = match &measures.new_code {
        _ if !enabled(settings, "COV002") => ("—".to_owned(), disabled(&["COV002"])),
        NewCode::NoChange => (
            "—".to_owned(),
            Status::NotApplicable(
                "no base: use `--since`, or a baseline written in the repository".to_owned(),
            ),
        ),
        NewCode::NoCoverage => (
            "—".to_owned(),
            Status::NotApplicable("no coverage report".to_owned()),
        ),
        NewCode::NothingToJudge => (
            "no executable line changed".to_owned(),
            Status::NotApplicable("nothing to judge".to_owned()),
        ),
        NewCode::TooSmall { covered, lines: n } => {
            let why = format!(
                "too small to judge: {n} executable changed line{}, fewer than `min-new-lines` {}",
                if *n == 1 { "" } else { "s" },
                o.min_new_lines
            );
            unjudged = Some(format!("new-code coverage is {why}"));
            (lines(*covered, *n), Status::TooSmall(why))
        }
        NewCode::Measured {
            covered, lines: n, ..
        } => (
            suppressed(lines(*covered, *n), added, "COV002"),
            status_of(added, &["COV002"]),
        ),
    };
    let actual = match measures.outside_coverage.len() {
        0 => actual,
        n => format!(
            "{actual}; {n} changed file{} outside the measured tree not counted",
            if n == 1 { "" } else { "s" }
        ),
    };
    rows.push(Condition {
        name: "New-code coverage",
        threshold: format!("≥ {}", show_percent(o.new_code_fail_under)),
        actual,
        status,
    });

    let (actual, status) = match measures.total {
        _ if !enabled(settings, "COV001") => ("—".to_owned(), disabled(&["COV001"])),
        None => (
            "—".to_owned(),
            Status::NotApplicable("no coverage report".to_owned()),
        ),
        Some(t) => (
            suppressed(
                format!(
                    "{} ({} of {} statements)",
                    show_percent(t.percent),
                    t.covered,
                    t.statements
                ),
                added,
                "COV001",
            ),
            status_of(added, &["COV001"]),
        ),
    };
    rows.push(Condition {
        name: "Total coverage",
        threshold: format!("≥ {}", show_percent(o.fail_under)),
        actual,
        status,
    });

    let (actual, status) = if !enabled(settings, "TST006") {
        ("—".to_owned(), disabled(&["TST006"]))
    } else if inputs.junit.is_empty() {
        (
            "—".to_owned(),
            Status::NotApplicable("no JUnit report".to_owned()),
        )
    } else {
        (
            suppressed(
                format!(
                    "{} of {} test{}",
                    measures.failures.len(),
                    measures.tests_run,
                    if measures.tests_run == 1 { "" } else { "s" }
                ),
                added,
                "TST006",
            ),
            status_of(added, &["TST006"]),
        )
    };
    rows.push(Condition {
        name: "Failing tests",
        threshold: "0".to_owned(),
        actual,
        status,
    });

    let (code, threshold) = match inputs.task.task {
        Task::Fix => ("TSK001", "a test reproduces the fix"),
        Task::Refactor => ("TSK002", "no test lost, coverage kept"),
        Task::Feat => ("TSK003", "new routes and services tested"),
        Task::None => ("", "—"),
    };
    let (actual, status) = if inputs.task.task == Task::None {
        (
            "no task".to_owned(),
            Status::NotApplicable("no `fix:`/`feat:`/`refactor:` task".to_owned()),
        )
    } else if inputs.change.is_none() {
        (
            format!("{} ({})", inputs.task.task.name(), inputs.task.source),
            Status::NotApplicable(
                "no base: use `--since`, or a baseline written in the repository".to_owned(),
            ),
        )
    } else if !enabled(settings, code) {
        (inputs.task.task.name().to_owned(), disabled(&[code]))
    } else {
        (
            suppressed(
                format!("{} ({})", inputs.task.task.name(), inputs.task.source),
                added,
                code,
            ),
            status_of(added, &[code]),
        )
    };
    rows.push(Condition {
        name: "Task rule",
        threshold: threshold.to_owned(),
        actual,
        status,
    });
    Conditions { rows, unjudged }
}
