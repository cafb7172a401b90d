//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning. Relative URIs under
//! `%SRCROOT%`, every enabled rule described, levels by severity, and line
//! fingerprints that survive unrelated edits.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{Report, INFORMATION_URI, VERSION};
use crate::diagnostic::Severity;
use crate::rules::{self, RuleMeta};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const MAX_DESCRIPTION: usize = 1024;

pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Blocker => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn render(report: &Report<'_>) -> Vec<u8> {
    let result = report.result;
    let rule_index: HashMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, m)| (m.code, i))
        .collect();
    let driver_rules: Vec<Value> = report.rules.iter().map(|m| rule_descriptor(m)).collect();

    let mut occurrences: HashMap<(usize, &str, u64), usize> = HashMap::new();
    // Hashing is per line, not per finding: thousands of findings on one
    // 2 MB line must not rehash the line each time.
    let mut line_hashes: HashMap<(usize, u32, &str), u64> = HashMap::new();
    let results: Vec<Value> = result
        .diagnostics
        .iter()
        .map(|d| {
            let line_hash = *line_hashes
                .entry((d.file, d.start.line, d.code))
                .or_insert_with(|| {
                    let line_text = line_text(&result.sources[d.file], d.span.start);
                    fnv1a64(format!("{}\0{}", d.code, normalize(line_text)).as_bytes())
                });
            let n = occurrences.entry((d.file, d.code, line_hash)).or_insert(0);
            *n += 1;
            let mut value = json!({
                "ruleId": d.code,
                "level": level(d.severity),
                "message": { "text": d.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact(report, d.file),
                        "region": {
                            "startLine": d.start.line,
                            "startColumn": d.start.column,
                            "endLine": d.end.line,
                            "endColumn": d.end.column,
                        }
                    }
                }],
                "partialFingerprints": {
                    "primaryLocationLineHash": format!("{line_hash:016x}:{n}"),
                },
            });
            if let Some(i) = rule_index.get(d.code) {
                value["ruleIndex"] = json!(i);
            }
            value
        })
        .collect();

    let notifications: Vec<Value> = result
        .file_problems
        .iter()
        .map(|(file, message)| {
            json!({
                "level": "warning",
                "message": { "text": format!("{}: {message}", report.path(*file)) },
                "locations": [{ "physicalLocation": { "artifactLocation": artifact(report, *file) } }],
            })
        })
        .chain(result.walk_errors.iter().map(|e| {
            json!({
                "level": "warning",
                "message": { "text": format!("{}: {}", e.path, e.message) },
            })
        }))
        .collect();

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
            // No absolute `uri` here: the report stays identical on every
            // machine, and GitHub code scanning maps %SRCROOT% to the
            // repository root itself.
            "originalUriBaseIds": {
                "%SRCROOT%": {
                    "description": { "text": "The directory fortress was run from; result paths are relative to it." }
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut out = serde_json::to_vec_pretty(&sarif).unwrap_or_default();
    out.push(b'\n');
    out
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

fn artifact(report: &Report<'_>, file: usize) -> Value {
    let info = &report.result.files[file];
    match info.path.strip_prefix(&report.base_dir) {
        Ok(rel) => json!({
            "uri": encode_path(&rel.to_string_lossy().replace('\\', "/")),
            "uriBaseId": "%SRCROOT%",
        }),
        Err(_) => {
            json!({ "uri": file_uri(&info.path) })
        }
    }
}

/// `file://` URI of an absolute path outside the run's directory.
fn file_uri(path: &std::path::Path) -> String {
    let mut path = path.to_string_lossy().replace('\\', "/");
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    format!("file://{}", encode_path(&path))
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

    #[test]
    fn encodes_paths() {
        assert_eq!(encode_path("app/my file.py"), "app/my%20file.py");
        assert_eq!(
            file_uri(std::path::Path::new("/w/p q.py")),
            "file:///w/p%20q.py"
        );
    }

    #[test]
    fn fingerprint_ignores_indentation() {
        assert_eq!(normalize("    x =  1"), normalize("x = 1"));
        assert_ne!(fnv1a64(b"a"), fnv1a64(b"b"));
    }
}
