//! `--format text`: codespan-reporting diagnostics, per-rule counts and the verdict banner.

use std::borrow::Cow;
use std::io::Write;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::termcolor::{Buffer, Color, ColorSpec, WriteColor};
use codespan_reporting::term::{self, Config};

use super::Report;
use crate::diagnostic::Severity;
use crate::gate::Verdict;
use crate::rules;

pub struct TextOptions {
    pub color: bool,
    pub quiet: bool,
}

pub fn render(report: &Report<'_>, options: &TextOptions) -> Vec<u8> {
    let mut buf = if options.color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    if !options.quiet {
        diagnostics(report, &mut buf);
        summary(report, &mut buf);
    }
    verdict_line(report, &mut buf);
    buf.into_inner()
}

fn diagnostics(report: &Report<'_>, buf: &mut Buffer) {
    let result = report.result;
    let mut files = SimpleFiles::new();
    let mut ids: Vec<Option<usize>> = vec![None; result.files.len()];
    let config = Config::default();
    for d in &result.diagnostics {
        let id = *ids[d.file].get_or_insert_with(|| {
            files.add(
                printable(&result.files[d.file].display).into_owned(),
                printable(&result.sources[d.file]),
            )
        });
        let severity = match d.severity {
            Severity::Blocker => CsSeverity::Error,
            Severity::Warning => CsSeverity::Warning,
            Severity::Info => CsSeverity::Note,
        };
        let source = &result.sources[d.file];
        let mut span = d.span.start.min(source.len())..d.span.end.min(source.len());
        if !source.is_char_boundary(span.start) || !source.is_char_boundary(span.end) {
            span = 0..0;
        }
        let mut notes = Vec::new();
        if let Some(meta) = rules::meta(d.code) {
            notes.push(format!("help: {}", meta.help));
        }
        let diagnostic = CsDiagnostic::new(severity)
            .with_code(d.code)
            .with_message(printable(&d.message))
            .with_labels(vec![Label::primary(id, span).with_message(d.name)])
            .with_notes(notes);
        if term::emit_to_write_style(buf, &config, &files, &diagnostic).is_err() {
            let _ = writeln!(
                buf,
                "{}:{}:{}: {} [{}] {}",
                printable(&result.files[d.file].display),
                d.start.line,
                d.start.column,
                d.severity,
                d.code,
                printable(&d.message)
            );
        }
    }
    for e in &result.walk_errors {
        let _ = buf.set_color(ColorSpec::new().set_fg(Some(Color::Yellow)).set_bold(true));
        let _ = write!(buf, "warning");
        let _ = buf.reset();
        let _ = writeln!(buf, ": {}: {}", printable(&e.path), printable(&e.message));
    }
}

fn summary(report: &Report<'_>, buf: &mut Buffer) {
    let s = report.summary;
    let total = s.blocker + s.warning + s.info;
    if total == 0 {
        let _ = writeln!(buf, "No findings in {} file{}.", s.files, plural(s.files));
        return;
    }
    let files_with: std::collections::BTreeSet<usize> =
        report.result.diagnostics.iter().map(|d| d.file).collect();
    // Manifests (files past the Python ones) are not among the files checked.
    let manifests = files_with
        .iter()
        .filter(|f| **f >= report.result.python_files)
        .count();
    let manifest_part = if manifests == 0 {
        String::new()
    } else {
        format!(" and {manifests} manifest{}", plural(manifests))
    };
    let _ = writeln!(
        buf,
        "Found {total} finding{} in {} of {} file{}{manifest_part}: {} blocker{}, {} warning{}, {} info.",
        plural(total),
        files_with.len() - manifests,
        s.files,
        plural(s.files),
        s.blocker,
        plural(s.blocker),
        s.warning,
        plural(s.warning),
        s.info
    );
    let width = s
        .by_rule
        .keys()
        .filter_map(|c| rules::meta(c))
        .map(|m| m.name.len())
        .max()
        .unwrap_or(0);
    for (code, (severity, count)) in &s.by_rule {
        let name = rules::meta(code).map_or("", |m| m.name);
        let _ = writeln!(buf, "  {count:>5}  {code:<7} {name:<width$}  {severity}");
    }
}

fn verdict_line(report: &Report<'_>, buf: &mut Buffer) {
    let (color, s) = match report.verdict {
        Verdict::Pass => (Color::Green, report.summary),
        Verdict::ConditionalPass => (Color::Yellow, report.summary),
        Verdict::Fail => (Color::Red, report.summary),
    };
    let _ = write!(buf, "Verdict: ");
    let _ = buf.set_color(ColorSpec::new().set_fg(Some(color)).set_bold(true));
    let _ = write!(buf, "{}", report.verdict.label());
    let _ = buf.reset();
    let _ = writeln!(
        buf,
        " ({} blocker{}, {} warning{}, {} info; {} file{} checked)",
        s.blocker,
        plural(s.blocker),
        s.warning,
        plural(s.warning),
        s.info,
        s.files,
        plural(s.files)
    );
}

/// Source lines, paths and messages go to a terminal: control characters
/// (NUL, ESC, ...) would garble it or drive it. Each is one byte, so `?` in
/// its place keeps every byte span valid.
fn printable(text: &str) -> Cow<'_, str> {
    let is_control = |c: char| c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r');
    if text.contains(is_control) {
        Cow::Owned(text.replace(is_control, "?"))
    } else {
        Cow::Borrowed(text)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
