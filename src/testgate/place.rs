//! Report-rule findings as diagnostics of the run: a line of a checked
//! file, a line of a report (added to the file table like a manifest), or
//! a file the change deleted (named, with no text).

use std::path::Path;

use crate::config::Settings;
use crate::diagnostic::{cap_message, Diagnostic, LineIndex, Severity};
use crate::engine::discover::Walker;
use crate::engine::{suppress, RunResult};
use crate::rules::{self, report::Place, report::ReportFinding};

/// The file index of `path` in the run, added (with its text) when new.
fn file_index(
    settings: &Settings,
    cwd: &Path,
    result: &mut RunResult,
    path: &Path,
    text: impl FnOnce() -> String,
) -> usize {
    if let Some(i) = result.files.iter().position(|f| f.path == path) {
        return i;
    }
    let walker = Walker {
        settings,
        cwd: cwd.to_path_buf(),
        boundary: result.boundary.clone(),
    };
    result.files.push(walker.file_info(path.to_path_buf()));
    result.sources.push(text());
    result.files.len() - 1
}

/// Make sure the run holds the text of a checked file (released when it had no finding).
fn ensure_text(settings: &Settings, result: &mut RunResult, file: usize) {
    if result.sources.get(file).is_some_and(|s| s.is_empty()) {
        if let Ok(bytes) =
            crate::files::read_bounded(&result.files[file].path, settings.max_file_size)
        {
            if let Ok(text) = crate::source::decode(&bytes) {
                result.sources[file] = text;
            }
        }
    }
}

/// A report finding the gate placed, or that an inline suppression silenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub code: &'static str,
    pub severity: Severity,
    pub suppressed: bool,
}

/// Add the enabled findings that no inline suppression silences; each
/// enabled finding, added or silenced. Then SUP004 for the suppressions of
/// report rules that silenced nothing, among the rules `judged` (the run
/// gave them their inputs).
pub fn add(
    settings: &Settings,
    cwd: &Path,
    result: &mut RunResult,
    findings: Vec<ReportFinding>,
    judged: &dyn Fn(&str) -> bool,
) -> Vec<Placed> {
    let mut added = Vec::new();
    let pending = std::mem::take(&mut result.pending_suppressions);
    let mut used: Vec<Vec<Vec<bool>>> = pending
        .iter()
        .map(|(_, sup)| {
            sup.items
                .iter()
                .map(|s| vec![false; s.codes.len()])
                .collect()
        })
        .collect();
    let root = settings.project().root.clone();
    for f in findings {
        let Some(index) = rules::index_of(f.code) else {
            continue;
        };
        let python = |rel: &str, result: &RunResult| {
            result.files[..result.python_files]
                .iter()
                .position(|i| i.rel == rel)
        };
        let (file, first, last) = match &f.place {
            Place::Line { rel, line, last } => match python(rel, result) {
                Some(i) => (i, *line, *last),
                None => continue,
            },
            Place::Report { path, line } => {
                let i = file_index(settings, cwd, result, path, || {
                    crate::files::read_bounded(path, crate::testreport::REPORT_CAP)
                        .map(crate::files::lossy_text)
                        .unwrap_or_default()
                });
                (i, *line, *line)
            }
            Place::Gone { rel } => match python(rel, result) {
                Some(i) => (i, 1, 1),
                None => (
                    file_index(settings, cwd, result, &root.join(rel), String::new),
                    1,
                    1,
                ),
            },
        };
        if !settings
            .enabled_for(&result.files[file].rel)
            .get(index)
            .copied()
            .unwrap_or(false)
        {
            continue;
        }
        ensure_text(settings, result, file);
        let source = &result.sources[file];
        let lines = LineIndex::new(source);
        let first_line = (first.max(1) - 1) as usize;
        let last_line = (last.max(first).max(1) - 1) as usize;
        let range = lines.line_range(first_line.min(lines.line_count() - 1), source);
        let indent = source[range.clone()]
            .bytes()
            .take_while(|b| *b == b' ' || *b == b'\t')
            .count();
        let start = range.start + indent;
        let end = lines
            .line_range(last_line.min(lines.line_count() - 1), source)
            .end
            .max(start);
        let severity = settings.severity[index];
        let meta = &rules::registry()[index].meta;
        let mut one = vec![Diagnostic {
            code: meta.code,
            name: meta.name,
            severity,
            file,
            span: start..end,
            start: lines.position(start, source),
            end: lines.position(end, source),
            message: cap_message(f.message),
            fix: None,
        }];
        if let Some(p) = pending.iter().position(|(f, _)| *f == file) {
            let flags = suppress::apply(&mut one, &pending[p].1);
            for (all, now) in used[p].iter_mut().zip(flags) {
                for (a, n) in all.iter_mut().zip(now) {
                    *a |= n;
                }
            }
        }
        added.push(Placed {
            code: meta.code,
            severity,
            suppressed: one.is_empty(),
        });
        result.diagnostics.append(&mut one);
    }
    for ((file, sup), mut flags) in pending.into_iter().zip(used) {
        for (s, f) in sup.items.iter().zip(flags.iter_mut()) {
            for (code, flag) in s.codes.iter().zip(f.iter_mut()) {
                *flag |= !judged(code);
            }
        }
        if flags.iter().flatten().all(|f| *f) {
            continue;
        }
        ensure_text(settings, result, file);
        let source = &result.sources[file];
        let lines = LineIndex::new(source);
        let enabled = settings.enabled_for(&result.files[file].rel);
        let unused = suppress::unused(settings, file, source, &lines, &sup, &flags, &enabled);
        result.diagnostics.extend(unused);
    }
    sort(result);
    added
}

/// The run's order: path, position, code, end, message.
fn sort(result: &mut RunResult) {
    crate::engine::sort_diagnostics(&result.files, &mut result.diagnostics);
}
