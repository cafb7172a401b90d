//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning. Relative URIs under
//! `%SRCROOT%`, every enabled rule described, levels by severity, line
//! fingerprints that survive unrelated edits, and at most [`MAX_RESULTS`]
//! results.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{PortablePath, Report, INFORMATION_URI, VERSION};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{self, RuleMeta};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const MAX_DESCRIPTION: usize = 1024;

/// Most results in one run. GitHub code scanning refuses a run with more
/// than 25,000 results; past this, the most severe are kept and a tool
/// execution notification says how many were left out.
pub const MAX_RESULTS: usize = 25_000;

/// The run's directory (what the other reports' paths are relative to).
const SRCROOT: &str = "%SRCROOT%";
/// The project root, for files outside the run's directory but below it.
const PROJECTROOT: &str = "%PROJECTROOT%";
/// Files outside both: only the file name is known to the report.
const OUTSIDE: &str = "%OUTSIDE%";

pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Blocker => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn render(report: &Report<'_>) -> Vec<u8> {
    render_with_limit(report, MAX_RESULTS)
}

/// [`render`] with at most `max_results` results.
fn render_with_limit(report: &Report<'_>, max_results: usize) -> Vec<u8> {
    let result = report.result;
    let rule_index: HashMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, m)| (m.code, i))
        .collect();
    let driver_rules: Vec<Value> = report.rules.iter().map(|m| rule_descriptor(m)).collect();
    let mut bases = BaseIds::default();

    // Fingerprints over every finding in report order, before any is left
    // out: a kept finding's fingerprint does not depend on the limit.
    let mut occurrences: HashMap<(usize, &str, u64), usize> = HashMap::new();
    // Hashing is per line, not per finding: thousands of findings on one
    // 2 MB line must not rehash the line each time.
    let mut line_hashes: HashMap<(usize, u32, &str), u64> = HashMap::new();
    // Diagnostics come grouped by file: one file's text at a time (read
    // again when the run released it), dropped when the next file starts.
    let mut text: Option<(usize, std::borrow::Cow<'_, str>)> = None;
    let mut fingerprints: Vec<String> = Vec::with_capacity(result.diagnostics.len());
    for d in &result.diagnostics {
        let line_hash = *line_hashes
            .entry((d.file, d.start.line, d.code))
            .or_insert_with(|| {
                if text.as_ref().is_none_or(|(file, _)| *file != d.file) {
                    text = Some((d.file, result.sources.load(d.file).unwrap_or_default()));
                }
                let source = text.as_ref().map_or("", |(_, t)| t.as_ref());
                let line_text = line_text(source, d.span.start);
                fnv1a64(format!("{}\0{}", d.code, normalize(line_text)).as_bytes())
            });
        let n = occurrences.entry((d.file, d.code, line_hash)).or_insert(0);
        *n += 1;
        fingerprints.push(format!("{line_hash:016x}:{n}"));
    }
    drop(text);

    let kept = keep(&result.diagnostics, max_results);
    let results: Vec<Value> = kept
        .iter()
        .map(|&i| {
            let d = &result.diagnostics[i];
            let mut value = json!({
                "ruleId": d.code,
                "level": level(d.severity),
                "message": { "text": d.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact(report, d.file, &mut bases),
                        "region": {
                            "startLine": d.start.line,
                            "startColumn": d.start.column,
                            "endLine": d.end.line,
                            "endColumn": d.end.column,
                        }
                    }
                }],
                "partialFingerprints": {
                    "primaryLocationLineHash": fingerprints[i],
                },
            });
            if let Some(i) = rule_index.get(d.code) {
                value["ruleIndex"] = json!(i);
            }
            if let Some(state) = report.state(i) {
                value["baselineState"] = json!(state.as_str());
            }
            value
        })
        .collect();
    let mut results = results;
    if let Some(change) = report.change.filter(|c| c.report_fixed) {
        // Findings of the base that are gone, as `absent` results (no
        // region: the base's lines are not the head's), within the limit.
        let room = max_results.saturating_sub(results.len());
        let absent = change
            .fixed
            .iter()
            .flat_map(|e| std::iter::repeat_n(e, e.count))
            .take(room);
        for e in absent {
            let location = artifact_at(report.portable_rel(&e.path), &mut bases);
            let mut value = json!({
                "ruleId": e.code,
                "level": level(rules::meta(&e.code).map_or(Severity::Warning, |m| m.severity)),
                "message": { "text": e.message },
                "locations": [{ "physicalLocation": { "artifactLocation": location } }],
                "baselineState": "absent",
            });
            if let Some(i) = rule_index.get(e.code.as_str()) {
                value["ruleIndex"] = json!(i);
            }
            results.push(value);
        }
    }

    let mut notifications: Vec<Value> = Vec::new();
    for (file, message) in &result.file_problems {
        let shown = report.portable_path(*file).into_string();
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!("{shown}: {message}") },
            "locations": [{ "physicalLocation": { "artifactLocation": artifact(report, *file, &mut bases) } }],
        }));
    }
    for e in &result.walk_errors {
        let shown = report.portable_shown(&e.path).into_string();
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!("{shown}: {}", e.message) },
        }));
    }
    if kept.len() < result.diagnostics.len() {
        notifications.push(left_out_notification(
            &result.diagnostics,
            &kept,
            max_results,
        ));
    }

    // No absolute `uri` here: the report stays identical on every machine,
    // and GitHub code scanning maps %SRCROOT% to the repository root itself.
    let mut base_ids = json!({
        SRCROOT: {
            "description": { "text": "The directory fortress was run from; result paths are relative to it." }
        }
    });
    if bases.project {
        base_ids[PROJECTROOT] = json!({
            "description": { "text": "The project root (the directory of the configuration file); paths of files outside the directory fortress was run from are relative to it." }
        });
    }
    if bases.outside {
        base_ids[OUTSIDE] = json!({
            "description": { "text": "Files outside both the directory fortress was run from and the project root; only their file name is given, so the report reveals no directory of the machine that produced it." }
        });
    }

    let sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "fortress",
                    "version": VERSION,
                    "semanticVersion": VERSION,
                    "informationUri": INFORMATION_URI,
                    "rules": driver_rules,
                }
            },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": base_ids,
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut out = serde_json::to_vec_pretty(&sarif).unwrap_or_default();
    out.push(b'\n');
    super::escape_json_controls(out)
}

/// Indices of the diagnostics a run reports: all of them in report order
/// (path, line, column, code) when they fit, else the first `max` by severity
/// (blockers, then warnings, then info), in report order within a severity.
fn keep(diagnostics: &[Diagnostic], max: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..diagnostics.len()).collect();
    if order.len() > max {
        // Stable: report order is kept within a severity.
        order.sort_by_key(|&i| std::cmp::Reverse(diagnostics[i].severity));
        order.truncate(max);
    }
    order
}

/// The tool execution notification of a run that left results out: it ran
/// fine, but the log does not hold everything it found.
fn left_out_notification(diagnostics: &[Diagnostic], kept: &[usize], max: usize) -> Value {
    let count = |severity: Severity| {
        diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    let kept_count = |severity: Severity| {
        kept.iter()
            .filter(|&&i| diagnostics[i].severity == severity)
            .count()
    };
    let left_out: Vec<String> = Severity::ALL
        .iter()
        .map(|&s| {
            let n = count(s) - kept_count(s);
            match s {
                Severity::Info => format!("{n} info"),
                _ => format!("{n} {s}{}", if n == 1 { "" } else { "s" }),
            }
        })
        .collect();
    let dropped = diagnostics.len() - kept.len();
    json!({
        "level": "warning",
        "message": {
            "text": format!(
                "{dropped} of {} results left out ({}): GitHub code scanning accepts at most {max} results per run. \
                 The {} kept are the most severe (blockers, then warnings, then info, each by path and position); \
                 the text and json formats list every finding.",
                diagnostics.len(),
                left_out.join(", "),
                kept.len(),
            )
        },
        "properties": {
            "resultsFound": diagnostics.len(),
            "resultsKept": kept.len(),
            "resultsLeftOut": dropped,
        },
    })
}

/// The uriBaseIds a log used besides `%SRCROOT%` (declared only then).
#[derive(Default)]
struct BaseIds {
    project: bool,
    outside: bool,
}

fn rule_descriptor(m: &RuleMeta) -> Value {
    let full = rules::doc_section(m.doc, "What it does").unwrap_or(m.summary);
    let mut properties = json!({ "tags": m.tags() });
    if let Some(score) = m.security_severity {
        properties["security-severity"] = json!(score);
    }
    json!({
        "id": m.code,
        "name": m.name,
        "shortDescription": { "text": truncate(m.summary) },
        "fullDescription": { "text": truncate(full) },
        "help": { "text": m.doc, "markdown": m.doc },
        "helpUri": format!("{INFORMATION_URI}/blob/main/rules/{}.md", m.code),
        "defaultConfiguration": { "level": level(m.severity) },
        "properties": properties,
    })
}

/// Where a file is. Never an absolute URI (no `file://`, no leading `/`, no
/// `..`): the log may be published from a pull request of a fork, and must not
/// reveal the directories of the machine that ran. A file below the run's
/// directory is relative to `%SRCROOT%`; one outside it but below the project
/// root (the configuration's directory) is relative to `%PROJECTROOT%`; any
/// other file is given by its name alone under `%OUTSIDE%`, a base nobody can
/// resolve. GitHub reads every relative URI as relative to the repository,
/// so the first two are right when the run's directory, or the project root,
/// is the repository's root.
fn artifact(report: &Report<'_>, file: usize, bases: &mut BaseIds) -> Value {
    artifact_at(report.portable_path(file), bases)
}

fn artifact_at(path: PortablePath, bases: &mut BaseIds) -> Value {
    let (uri, base) = match path {
        PortablePath::Run(rel) => (rel, SRCROOT),
        PortablePath::Project(rel) => {
            bases.project = true;
            (rel, PROJECTROOT)
        }
        PortablePath::Outside(name) => {
            bases.outside = true;
            (name, OUTSIDE)
        }
    };
    json!({ "uri": encode_path(&uri), "uriBaseId": base })
}

/// Percent-encode a path for a URI, keeping `/` and RFC 3986 unreserved characters.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn truncate(s: &str) -> String {
    if s.len() <= MAX_DESCRIPTION {
        return s.to_owned();
    }
    let mut end = MAX_DESCRIPTION - 3;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

fn line_text(source: &str, offset: usize) -> &str {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    &source[start..end]
}

fn normalize(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// FNV-1a, 64 bit: stable across platforms, versions and runs.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Position;
    use crate::engine::RunResult;
    use crate::files::FileInfo;
    use crate::gate::Summary;
    use std::path::PathBuf;

    fn file(path: &str) -> FileInfo {
        FileInfo {
            path: PathBuf::from(path),
            display: path.trim_start_matches("/run/").to_owned(),
            rel: path.to_owned(),
            is_test: false,
        }
    }

    fn diagnostic(file: usize, line: u32, severity: Severity) -> Diagnostic {
        let meta = &crate::rules::registry()[0].meta;
        Diagnostic {
            code: meta.code,
            name: meta.name,
            severity,
            file,
            span: 0..0,
            start: Position { line, column: 1 },
            end: Position { line, column: 2 },
            message: format!("finding on line {line}"),
            fix: None,
        }
    }

    /// The SARIF of a run over `files` (absolute paths; the run's directory
    /// is `/run`, the project root `/proj`) with `diagnostics`.
    fn sarif(files: &[&str], diagnostics: Vec<Diagnostic>, max: usize) -> Value {
        let result = RunResult {
            files: files.iter().map(|p| file(p)).collect(),
            python_files: files.len(),
            sources: files.iter().map(|_| "x = 1\n".repeat(10)).collect(),
            diagnostics,
            ..RunResult::default()
        };
        let summary = Summary::new(files.len(), &result.diagnostics);
        let report = Report {
            result: &result,
            summary: &summary,
            verdict: summary.verdict(),
            rules: vec![&crate::rules::registry()[0].meta],
            base_dir: PathBuf::from("/run"),
            project_root: PathBuf::from("/proj"),
            change: None,
            target: crate::version::PythonVersion::DEFAULT,
            target_source: "default".to_owned(),
            reason: String::new(),
            gate: None,
            links: None,
        };
        serde_json::from_slice(&render_with_limit(&report, max)).expect("SARIF is JSON")
    }

    fn lines_and_levels(sarif: &Value) -> Vec<(String, u64, String)> {
        sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                let location = &r["locations"][0]["physicalLocation"];
                (
                    location["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned(),
                    location["region"]["startLine"].as_u64().unwrap_or(0),
                    r["level"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn results_past_the_limit_are_left_out_least_severe_first() {
        use Severity::{Blocker, Info, Warning};
        let diagnostics = vec![
            diagnostic(0, 1, Info),
            diagnostic(0, 2, Warning),
            diagnostic(0, 3, Blocker),
            diagnostic(0, 4, Warning),
            diagnostic(1, 1, Warning),
            diagnostic(1, 2, Blocker),
            diagnostic(1, 3, Info),
        ];
        let all = sarif(&["/run/a.py", "/run/b.py"], diagnostics.clone(), 7);
        assert_eq!(lines_and_levels(&all).len(), 7);
        assert_eq!(
            lines_and_levels(&all)[0],
            ("a.py".to_owned(), 1, "note".to_owned())
        );
        let notifications = &all["runs"][0]["invocations"][0]["toolExecutionNotifications"];
        assert_eq!(notifications, &json!([]));

        let capped = sarif(&["/run/a.py", "/run/b.py"], diagnostics.clone(), 4);
        let got: Vec<(&str, u64, &str)> = lines_and_levels(&capped)
            .iter()
            .map(|(u, l, v)| (if u == "a.py" { "a" } else { "b" }, *l, v.as_str()))
            .map(|(u, l, v)| {
                (
                    u,
                    l,
                    match v {
                        "error" => "E",
                        "warning" => "W",
                        _ => "I",
                    },
                )
            })
            .collect();
        assert_eq!(
            got,
            [("a", 3, "E"), ("b", 2, "E"), ("a", 2, "W"), ("a", 4, "W")]
        );
        let notifications = capped["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .expect("notifications");
        assert_eq!(notifications.len(), 1);
        let text = notifications[0]["message"]["text"].as_str().expect("text");
        assert!(
            text.starts_with("3 of 7 results left out (0 blockers, 1 warning, 2 info)")
                && text.contains("at most 4 results per run")
                && text.contains("The 4 kept"),
            "{text}"
        );
        assert_eq!(notifications[0]["properties"]["resultsKept"], 4);
        assert_eq!(notifications[0]["properties"]["resultsLeftOut"], 3);

        // A kept finding's fingerprint does not depend on the limit.
        let print = |s: &Value, line: u64| {
            s["runs"][0]["results"]
                .as_array()
                .expect("results")
                .iter()
                .find(|r| {
                    r["locations"][0]["physicalLocation"]["region"]["startLine"] == line
                        && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                            == "a.py"
                })
                .map(|r| r["partialFingerprints"].clone())
        };
        assert_eq!(print(&capped, 4), print(&all, 4));
        assert!(print(&capped, 4).is_some());

        let none = sarif(&["/run/a.py", "/run/b.py"], diagnostics, 0);
        assert_eq!(lines_and_levels(&none), []);
    }

    #[test]
    fn no_uri_reveals_the_machine() {
        use Severity::Warning;
        let files = [
            "/run/app/m.py",
            "/proj/shared/s p.py",
            "/elsewhere/deep/x.py",
        ];
        let log = sarif(
            &files,
            (0..3).map(|f| diagnostic(f, 1, Warning)).collect(),
            MAX_RESULTS,
        );
        let run = &log["runs"][0];
        let locations: Vec<Value> = run["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"].clone())
            .collect();
        assert_eq!(
            locations,
            [
                json!({"uri": "app/m.py", "uriBaseId": "%SRCROOT%"}),
                json!({"uri": "shared/s%20p.py", "uriBaseId": "%PROJECTROOT%"}),
                json!({"uri": "x.py", "uriBaseId": "%OUTSIDE%"}),
            ]
        );
        let bases: Vec<&String> = run["originalUriBaseIds"]
            .as_object()
            .expect("originalUriBaseIds")
            .keys()
            .collect();
        assert_eq!(bases.len(), 3, "{bases:?}");
        let text = log.to_string();
        assert!(!text.contains("elsewhere") && !text.contains("/proj") && !text.contains("file:"));

        // Only the bases in use are declared.
        let local = sarif(&files[..1], vec![diagnostic(0, 1, Warning)], MAX_RESULTS);
        let bases = local["runs"][0]["originalUriBaseIds"]
            .as_object()
            .expect("bases");
        assert_eq!(bases.keys().collect::<Vec<_>>(), ["%SRCROOT%"]);
    }

    #[test]
    fn encodes_paths() {
        assert_eq!(encode_path("app/my file.py"), "app/my%20file.py");
        assert_eq!(encode_path("a:b\x1b.py"), "a%3Ab%1B.py");
    }

    #[test]
    fn fingerprint_ignores_indentation() {
        assert_eq!(normalize("    x =  1"), normalize("x = 1"));
        assert_ne!(fnv1a64(b"a"), fnv1a64(b"b"));
    }
}
