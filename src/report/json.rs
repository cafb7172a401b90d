//! `--format json`: one stable object (documented in README.md).

use serde::Serialize;

use super::{Report, VERSION};

#[derive(Serialize)]
struct JsonReport<'a> {
    version: &'a str,
    verdict: &'a str,
    /// Why the verdict is what it is, one line.
    reason: &'a str,
    /// The Python version checked against (`3.10`) and where it came from.
    target_version: String,
    target_version_source: &'a str,
    summary: JsonSummary,
    /// The test-enforcement conditions (new-code and total coverage,
    /// failing tests, task rule), measured or why not.
    conditions: Vec<JsonCondition<'a>>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    errors: Vec<JsonError<'a>>,
}

#[derive(Serialize)]
struct JsonCondition<'a> {
    name: &'a str,
    threshold: &'a str,
    actual: &'a str,
    /// `passed`, `warning`, `failed`, `not_applicable` or `too_small`.
    status: &'static str,
    /// Why a condition was not applicable or too small to judge.
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<&'a str>,
}

fn condition(c: &crate::testgate::Condition) -> JsonCondition<'_> {
    use crate::testgate::Status;
    let (status, why) = match &c.status {
        Status::Passed => ("passed", None),
        Status::Warned => ("warning", None),
        Status::Failed => ("failed", None),
        Status::NotApplicable(why) => ("not_applicable", Some(why.as_str())),
        Status::TooSmall(why) => ("too_small", Some(why.as_str())),
    };
    JsonCondition {
        name: c.name,
        threshold: &c.threshold,
        actual: &c.actual,
        status,
        why,
    }
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    blocker: usize,
    warning: usize,
    info: usize,
    /// Python files the configuration's exclusions left out.
    excluded: usize,
    /// With a base: the new findings per severity (the verdict counts these
    /// and the updated ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    new: Option<Counts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unchanged: Option<usize>,
    /// Base findings no longer found.
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed: Option<usize>,
}

#[derive(Serialize, Default)]
struct Counts {
    blocker: usize,
    warning: usize,
    info: usize,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    name: &'a str,
    severity: &'a str,
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    path: &'a str,
    message: &'a str,
}

pub fn render(report: &Report<'_>) -> Vec<u8> {
    let r = report.result;
    let errors = r
        .file_problems
        .iter()
        .map(|(file, message)| JsonError {
            path: report.path(*file),
            message,
        })
        .chain(r.walk_errors.iter().map(|e| JsonError {
            path: &e.path,
            message: &e.message,
        }))
        .collect();
    // With a base, `summary` counts every finding listed, like without one;
    // `new`, `updated`, `unchanged` and `fixed` say how they compare.
    let totals = crate::gate::Summary::new(report.summary.files, &r.diagnostics);
    let mut new = Counts::default();
    let (mut updated, mut unchanged) = (0, 0);
    for (i, d) in r.diagnostics.iter().enumerate() {
        match report.state(i) {
            Some(crate::baseline::State::New) => match d.severity {
                crate::diagnostic::Severity::Blocker => new.blocker += 1,
                crate::diagnostic::Severity::Warning => new.warning += 1,
                crate::diagnostic::Severity::Info => new.info += 1,
            },
            Some(crate::baseline::State::Updated) => updated += 1,
            Some(crate::baseline::State::Unchanged) => unchanged += 1,
            None => {}
        }
    }
    let with_base = report.change.is_some();
    let value = JsonReport {
        version: VERSION,
        verdict: report.verdict.json_name(),
        reason: &report.reason,
        target_version: report.target.to_string(),
        target_version_source: &report.target_source,
        summary: JsonSummary {
            files: report.summary.files,
            blocker: totals.blocker,
            warning: totals.warning,
            info: totals.info,
            excluded: r.excluded,
            new: with_base.then_some(new),
            updated: with_base.then_some(updated),
            unchanged: with_base.then_some(unchanged),
            fixed: report.change.map(|c| c.fixed_count()),
        },
        conditions: report
            .gate
            .map(|g| g.conditions.rows.iter().map(condition).collect())
            .unwrap_or_default(),
        diagnostics: r
            .diagnostics
            .iter()
            .enumerate()
            .map(|(i, d)| JsonDiagnostic {
                code: d.code,
                name: d.name,
                severity: d.severity.as_str(),
                path: report.path(d.file),
                line: d.start.line,
                column: d.start.column,
                end_line: d.end.line,
                end_column: d.end.column,
                message: &d.message,
                baseline_state: report.state(i).map(|s| s.as_str()),
            })
            .collect(),
        errors,
    };
    let mut out = serde_json::to_vec_pretty(&value).unwrap_or_default();
    out.push(b'\n');
    super::escape_json_controls(out)
}
