//! `--format github`: GitHub Actions workflow commands, one per finding.
//!
//! Annotations are public on pull requests, so a file is named as SARIF names
//! it (see [`super::PortablePath`]): relative to the run's directory, else to
//! the project root; a file outside both gets no `file=` (a bare name could
//! point at another file of the repository) and its name and position open
//! the message instead.

use std::fmt::Write;

use super::{PortablePath, Report};
use crate::diagnostic::Severity;

/// GitHub shows at most this many annotations of each level per step…
const PER_STEP: usize = 10;
/// …and this many per job.
const PER_JOB: usize = 50;

pub fn render(report: &Report<'_>) -> Vec<u8> {
    let mut out = String::new();
    let diagnostics = &report.result.diagnostics;
    let mut order: Vec<usize> = (0..diagnostics.len())
        .filter(|&i| report.shown(i))
        .collect();
    if report.change.is_some() {
        // Blockers first: the annotations GitHub drops past its limits are
        // the least severe. (Stable: report order within a severity.)
        order.sort_by_key(|&i| std::cmp::Reverse(diagnostics[i].severity));
    }
    for d in order.iter().map(|&i| &diagnostics[i]) {
        let command = match d.severity {
            Severity::Blocker => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let title = property(&format!("{} {}", d.code, d.name));
        let _ = match report.portable_path(d.file) {
            PortablePath::Run(path) | PortablePath::Project(path) => writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={title}::{}",
                property(&path),
                d.start.line,
                d.start.column,
                d.end.line,
                d.end.column,
                data(&d.message)
            ),
            PortablePath::Outside(name) => writeln!(
                out,
                "::{command} title={title}::{}",
                data(&format!(
                    "{name}:{}:{}: {}",
                    d.start.line, d.start.column, d.message
                ))
            ),
        };
    }
    if report.change.is_some() {
        if let Some(note) = dropped_note(order.iter().map(|&i| diagnostics[i].severity)) {
            let _ = writeln!(out, "::notice title=fortress::{}", data(&note));
        }
    }
    for e in &report.result.walk_errors {
        let _ = match report.portable_shown(&e.path) {
            PortablePath::Run(path) | PortablePath::Project(path) => writeln!(
                out,
                "::warning file={}::{}",
                property(&path),
                data(&e.message)
            ),
            PortablePath::Outside(name) => writeln!(
                out,
                "::warning::{}",
                data(&format!("{name}: {}", e.message))
            ),
        };
    }
    out.into_bytes()
}

/// How many of these annotations GitHub will not show (at most
/// [`PER_STEP`] per level in a step, [`PER_JOB`] in the job), as a line.
fn dropped_note(severities: impl Iterator<Item = Severity>) -> Option<String> {
    let mut per_level = [0usize; 3];
    for s in severities {
        per_level[s as usize] += 1;
    }
    let total: usize = per_level.iter().sum();
    let shown_per_step: usize = per_level.iter().map(|n| (*n).min(PER_STEP)).sum();
    let shown = shown_per_step.min(PER_JOB);
    let dropped = total - shown;
    (dropped > 0).then(|| {
        format!(
            "{dropped} of these {total} annotations will not be shown: GitHub shows at most {PER_STEP} of each level per step and {PER_JOB} per job (blockers come first); the SARIF upload and the text format list every finding"
        )
    })
}

/// Escaping of a workflow command's message. GitHub's documented escapes
/// are `%25`, `%0D` and `%0A`; every other control character (C0, DEL, C1)
/// is percent-encoded too (its UTF-8 bytes, `%XX` in uppercase hex), so none
/// reaches the log raw: the runner leaves those sequences as they are.
fn data(s: &str) -> String {
    escape(s, false)
}

/// Escaping of a workflow command's property value: [`data`], and `:` and
/// `,` as `%3A` and `%2C`, which would otherwise end the value.
fn property(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, property: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c if c.is_control() => {
                let mut bytes = [0; 4];
                for b in c.encode_utf8(&mut bytes).bytes() {
                    let _ = write!(out, "%{b:02X}");
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{data, dropped_note, property};
    use crate::diagnostic::Severity;

    #[test]
    fn annotation_limits() {
        let many = |b: usize, w: usize| {
            std::iter::repeat_n(Severity::Blocker, b)
                .chain(std::iter::repeat_n(Severity::Warning, w))
        };
        assert_eq!(dropped_note(many(10, 10)), None);
        let note = dropped_note(many(12, 3)).expect("dropped");
        assert!(note.starts_with("2 of these 15 annotations"), "{note}");
    }

    #[test]
    fn escapes() {
        assert_eq!(property("a,b:c%"), "a%2Cb%3Ac%25");
        assert_eq!(data("x\ny:z"), "x%0Ay:z");
        assert_eq!(data("a,b\r\n%"), "a,b%0D%0A%25");
    }

    #[test]
    fn no_control_character_passes_raw() {
        assert_eq!(data("\x1b[31mred"), "%1B[31mred");
        assert_eq!(property("a\x1b]8;;x\x07.py"), "a%1B]8;;x%07.py");
        assert_eq!(data("\0\t\x08\x7f"), "%00%09%08%7F");
        // C1 controls: their UTF-8 bytes (U+009B is CSI, U+0085 NEL).
        assert_eq!(data("\u{9b}2J\u{85}"), "%C2%9B2J%C2%85");
        // Not controls: kept as they are.
        assert_eq!(data("café ✓ \u{a0}"), "café ✓ \u{a0}");
        for c in (0..0x800).filter_map(char::from_u32) {
            let s = c.to_string();
            for escaped in [data(&s), property(&s)] {
                assert!(
                    !escaped.contains(|e: char| e.is_control()),
                    "{c:?} -> {escaped:?}"
                );
            }
        }
    }
}
