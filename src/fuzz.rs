//! The fuzz entry point: the whole per-file pipeline, in process, on
//! arbitrary bytes.
//!
//! [`run_one`] checks the bytes as `app/api/fuzz.py` with every rule
//! selected: decoding ([`crate::source`]), the parse, the single walk, the
//! suppressions (SUP003/SUP004 included), the project rules on a one-file
//! project, and all four reporters rendered into memory. It must never
//! panic, and it returns an error when a report is not valid (JSON or SARIF
//! that does not parse, report and result disagreeing, a span outside the
//! source).
//!
//! Drivers: `tests/fuzz.rs` (a mutator over `fixtures/`, a fixed-seed smoke
//! run in `cargo test`, long runs through environment variables) and, for
//! nightly users, the cargo-fuzz target in `fuzz/`. See `notes/fuzz.md`.

use std::path::PathBuf;
use std::sync::LazyLock;

use crate::config::{Overrides, Settings};
use crate::engine::discover::Walker;
use crate::engine::{self, Plan, RunResult};
use crate::gate::{Summary, Verdict};
use crate::report::{self, text::TextOptions, Report};
use crate::rules::{self, RuleMeta};

/// Where [`run_one`] pretends the file lives: an endpoint module, so the
/// layer rules have something to say.
pub const DEFAULT_PATH: &str = "app/api/fuzz.py";

/// Settings with every rule selected and no configuration file, rooted at
/// `root`. The project rules look for manifests and virtualenvs under the
/// root: pass a directory that does not exist (or an empty one) for a run
/// that depends on nothing outside the input.
pub fn settings(root: PathBuf) -> Settings {
    let overrides = Overrides {
        select: Some(vec!["ALL".to_owned()]),
        ..Overrides::default()
    };
    // Resolving the built-in defaults with `ALL` has no way to fail.
    Settings::resolve(None, &overrides, root).expect("default settings resolve")
}

/// A prepared fuzz target: settings, the walk's dispatch plan and the file
/// table builder, made once and reused for every input.
pub struct Target<'s> {
    walker: Walker<'s>,
    plan: Plan<'s>,
}

/// What one input produced, for a driver's statistics.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Codes of the diagnostics, in report order.
    pub codes: Vec<&'static str>,
    /// The file could not be decoded or parsed cleanly (SYN001).
    pub problem: bool,
    /// Bytes of the text, JSON, SARIF and GitHub reports.
    pub report_bytes: [usize; 4],
}

impl<'s> Target<'s> {
    pub fn new(settings: &'s Settings) -> Target<'s> {
        Target {
            walker: Walker {
                settings,
                cwd: settings.project().root.clone(),
                boundary: crate::files::Boundary::at(&settings.project().root),
            },
            plan: Plan::new(settings),
        }
    }

    /// Check `bytes` as the file `rel` (relative to the settings' root,
    /// `/`-separated) and render every report. `Err` says which report is
    /// invalid and how.
    pub fn run(&self, rel: &str, bytes: &[u8]) -> Result<Outcome, String> {
        let settings = self.walker.settings;
        let info = self.walker.file_info(settings.project().root.join(rel));
        let outcome = engine::check_bytes(bytes, &info, &self.plan);
        let result = engine::finish(
            &self.walker,
            vec![info],
            vec![outcome],
            Vec::new(),
            0,
            Default::default(),
        );
        check_result(&result)?;
        let summary = Summary::new(result.python_files, &result.diagnostics);
        let report = Report {
            result: &result,
            summary: &summary,
            verdict: summary.verdict(),
            // The CLI passes every enabled rule, and SARIF describes each
            // with its whole documentation: the same ~150 KB whatever the
            // input, most of an execution's time. Describe the rules that
            // reported; `tests/sarif.rs` and the golden files check the
            // full table.
            rules: rules::registry()
                .iter()
                .zip(&settings.enabled)
                .filter(|(r, on)| **on && result.diagnostics.iter().any(|d| d.code == r.meta.code))
                .map(|(r, _)| &r.meta)
                .collect(),
            base_dir: settings.project().root.clone(),
            project_root: settings.project().root.clone(),
            change: None,
            target: settings.project().target,
            target_source: settings.project().target_source.to_string(),
            reason: crate::gate::decide(&summary, None).1,
            gate: None,
            links: None,
        };
        let text = report::text::render(
            &report,
            &TextOptions {
                color: false,
                quiet: false,
            },
        );
        let json = report::json::render(&report);
        let sarif = report::sarif::render(&report);
        let github = report::github::render(&report);
        let markdown = report::markdown::render(&report);
        if markdown.len() > report::markdown::MAX_BYTES
            || String::from_utf8_lossy(&markdown)
                .chars()
                .any(|c| c.is_control() && c != '\n')
        {
            return Err("markdown report over its limit or with a control character".to_owned());
        }
        check_text(&text)?;
        check_json(&json, &result, report.verdict)?;
        check_sarif(&sarif, &result, &report.rules)?;
        check_github(&github, &result)?;
        Ok(Outcome {
            codes: result.diagnostics.iter().map(|d| d.code).collect(),
            problem: !result.file_problems.is_empty(),
            report_bytes: [text.len(), json.len(), sarif.len(), github.len()],
        })
    }
}

static SETTINGS: LazyLock<Settings> = LazyLock::new(|| {
    // Never created: the one-file project has no manifest and no virtualenv.
    let root = std::env::temp_dir().join(format!(
        "fortress-fuzz-root-that-does-not-exist-{}",
        std::process::id()
    ));
    settings(root)
});
static TARGET: LazyLock<Target<'static>> = LazyLock::new(|| Target::new(&SETTINGS));

/// The fuzz entry point: check `bytes` as [`DEFAULT_PATH`] with every rule
/// and render every report. Never panics (that is what fuzzing checks);
/// `Err` when a report is invalid.
pub fn run_one(bytes: &[u8]) -> Result<Outcome, String> {
    TARGET.run(DEFAULT_PATH, bytes)
}

/// [`run_one`] for another path (`tests/test_x.py` runs the TST rules).
pub fn run_as(rel: &str, bytes: &[u8]) -> Result<Outcome, String> {
    TARGET.run(rel, bytes)
}

/// Invariants the reporters rely on: spans inside the text and on
/// character boundaries, positions 1-based and in order.
fn check_result(result: &RunResult) -> Result<(), String> {
    for d in &result.diagnostics {
        let source = result
            .sources
            .get(d.file)
            .ok_or_else(|| format!("{} diagnostic in file {} with no source", d.code, d.file))?;
        let ok = d.span.start <= d.span.end
            && d.span.end <= source.len()
            && source.is_char_boundary(d.span.start)
            && source.is_char_boundary(d.span.end);
        if !ok {
            return Err(format!(
                "{} span {:?} is not a character range of the {}-byte source",
                d.code,
                d.span,
                source.len()
            ));
        }
        if d.start.line == 0 || d.start.column == 0 || d.end < d.start {
            return Err(format!(
                "{} positions {:?}..{:?} are not 1-based and ordered",
                d.code, d.start, d.end
            ));
        }
    }
    Ok(())
}

fn check_text(text: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(text).map_err(|e| format!("text report is not UTF-8: {e}"))?;
    if text.contains('\u{1b}') {
        return Err("text report without colour contains an escape character".to_owned());
    }
    if !text
        .lines()
        .last()
        .is_some_and(|l| l.starts_with("Verdict: "))
    {
        return Err("text report does not end with the verdict line".to_owned());
    }
    Ok(())
}

/// The parts of the JSON report the checks read.
#[derive(serde::Deserialize)]
struct JsonReport {
    verdict: String,
    diagnostics: Vec<serde::de::IgnoredAny>,
}

fn check_json(bytes: &[u8], result: &RunResult, verdict: Verdict) -> Result<(), String> {
    let report: JsonReport =
        serde_json::from_slice(bytes).map_err(|e| format!("JSON report is not valid: {e}"))?;
    if report.verdict != verdict.json_name() {
        return Err(format!(
            "JSON report says {}, the run {verdict:?}",
            report.verdict
        ));
    }
    if report.diagnostics.len() != result.diagnostics.len() {
        return Err(format!(
            "JSON report lists {} diagnostics, the run has {}",
            report.diagnostics.len(),
            result.diagnostics.len()
        ));
    }
    Ok(())
}

/// The parts of a SARIF log the checks read; serde still validates the
/// rest of the JSON while skipping it.
#[derive(serde::Deserialize)]
struct SarifLog {
    version: String,
    runs: Vec<SarifRun>,
}

#[derive(serde::Deserialize)]
struct SarifRun {
    results: Vec<SarifResult>,
}

#[derive(serde::Deserialize)]
struct SarifResult {
    #[serde(rename = "ruleId")]
    rule_id: String,
    #[serde(rename = "ruleIndex")]
    rule_index: Option<usize>,
}

fn check_sarif(bytes: &[u8], result: &RunResult, rules: &[&RuleMeta]) -> Result<(), String> {
    let log: SarifLog =
        serde_json::from_slice(bytes).map_err(|e| format!("SARIF report is not valid: {e}"))?;
    if log.version != "2.1.0" || log.runs.len() != 1 {
        return Err("SARIF report is not one 2.1.0 run".to_owned());
    }
    for r in &log.runs[0].results {
        let indexed = r.rule_index.and_then(|i| rules.get(i)).map(|m| m.code);
        if indexed != Some(r.rule_id.as_str()) {
            return Err(format!(
                "SARIF result {} has rule index {:?}, not its rule's",
                r.rule_id, r.rule_index
            ));
        }
    }
    let shown = log.runs[0].results.len();
    if shown != result.diagnostics.len() {
        return Err(format!(
            "SARIF report lists {shown} results, the run has {}",
            result.diagnostics.len()
        ));
    }
    Ok(())
}

/// One workflow command per line: a message must not break out of its line.
fn check_github(bytes: &[u8], result: &RunResult) -> Result<(), String> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| format!("GitHub report is not UTF-8: {e}"))?;
    let lines: Vec<&str> = text.split('\n').filter(|l| !l.is_empty()).collect();
    let expected = result.diagnostics.len() + result.walk_errors.len();
    if lines.len() != expected
        || lines
            .iter()
            .any(|l| !l.starts_with("::") || l.contains('\r'))
    {
        return Err(format!(
            "GitHub report has {} lines for {expected} commands, or a line that is not one",
            lines.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_finding_goes_through_every_report() {
        let out = super::run_one(b"from typing import Optional\nx: Optional[int] = None\n")
            .expect("valid reports");
        assert!(out.codes.contains(&"TYP001"), "{:?}", out.codes);
        assert!(!out.problem);
        assert!(out.report_bytes.iter().all(|&n| n > 0));
    }

    #[test]
    fn broken_code_with_a_suppression() {
        let out = super::run_one(b"x = )\n# fortress: ignore[SEC001]\n").expect("valid reports");
        assert!(out.problem);
        assert!(out.codes.contains(&"SYN001") && out.codes.contains(&"SUP003"));
    }
}
