//! `--format json`: one stable object (documented in README.md).

use serde::Serialize;

use super::{Report, VERSION};

#[derive(Serialize)]
struct JsonReport<'a> {
    version: &'a str,
    verdict: &'a str,
    /// The Python version checked against (`3.10`) and where it came from.
    target_version: String,
    target_version_source: &'a str,
    summary: JsonSummary,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    errors: Vec<JsonError<'a>>,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    blocker: usize,
    warning: usize,
    info: usize,
    /// Python files the configuration's exclusions left out.
    excluded: usize,
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
    let value = JsonReport {
        version: VERSION,
        verdict: report.verdict.json_name(),
        target_version: report.target.to_string(),
        target_version_source: &report.target_source,
        summary: JsonSummary {
            files: report.summary.files,
            blocker: report.summary.blocker,
            warning: report.summary.warning,
            info: report.summary.info,
            excluded: r.excluded,
        },
        diagnostics: r
            .diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                code: d.code,
                name: d.name,
                severity: d.severity.as_str(),
                path: report.path(d.file),
                line: d.start.line,
                column: d.start.column,
                end_line: d.end.line,
                end_column: d.end.column,
                message: &d.message,
            })
            .collect(),
        errors,
    };
    let mut out = serde_json::to_vec_pretty(&value).unwrap_or_default();
    out.push(b'\n');
    super::escape_json_controls(out)
}
