//! `--format text`: codespan-reporting diagnostics, per-rule counts and the verdict banner.

use std::borrow::Cow;
use std::io::Write;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::{self, Files, SimpleFiles};
use codespan_reporting::term::termcolor::{Buffer, Color, ColorSpec, WriteColor};
use codespan_reporting::term::{self, Config};

use super::Report;
use crate::diagnostic::{Position, Severity};
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
        if report.verdict == Verdict::ConditionalPass && !report.reason.is_empty() {
            let _ = writeln!(buf, "Conditional: {}.", printable(&report.reason));
        }
    }
    verdict_line(report, &mut buf);
    buf.into_inner()
}

/// Lines longer than this (bytes) are shown as an excerpt around the
/// finding: codespan would print the whole line for every finding on it.
const LONG_LINE: usize = 1_000;
/// Characters of context either side of the marked span in an excerpt.
const EXCERPT_CONTEXT: usize = 60;
/// Most characters marked in an excerpt; the rest of the span is cut.
const EXCERPT_MARK: usize = 120;

fn diagnostics(report: &Report<'_>, buf: &mut Buffer) {
    let result = report.result;
    let config = Config::default();
    let shown: Vec<usize> = (0..result.diagnostics.len())
        .filter(|&i| report.shown(i))
        .collect();
    // Diagnostics come grouped by file: one file's text at a time (read
    // again from disk when the run released it), not every file's at once.
    for group in shown.chunk_by(|&a, &b| result.diagnostics[a].file == result.diagnostics[b].file) {
        let file = result.diagnostics[group[0]].file;
        let source = result.sources.load(file).unwrap_or_default();
        let mut files: SimpleFiles<String, Cow<'_, str>> = SimpleFiles::new();
        let id = files.add(
            printable(&result.files[file].display).into_owned(),
            printable_source(&source),
        );
        for &i in group {
            emit(
                report,
                &config,
                &files,
                id,
                &source,
                &result.diagnostics[i],
                buf,
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

/// One diagnostic, its snippet from `files` (holding its file as `id`).
fn emit(
    report: &Report<'_>,
    config: &Config,
    files: &SimpleFiles<String, Cow<'_, str>>,
    id: usize,
    source: &str,
    d: &crate::diagnostic::Diagnostic,
    buf: &mut Buffer,
) {
    let result = report.result;
    let severity = match d.severity {
        Severity::Blocker => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Info => CsSeverity::Note,
    };
    let span = crate::diagnostic::char_span(source, &d.span);
    let mut notes = Vec::new();
    if let Some(meta) = rules::meta(d.code) {
        notes.push(format!("help: {}", meta.help));
    }
    let message = printable(&d.message);
    let emitted = if has_long_line(files, id, &span) {
        let excerpt = Excerpt::new(
            printable(&result.files[d.file].display).into_owned(),
            source,
            span,
            d.start,
        );
        let diagnostic = CsDiagnostic::new(severity)
            .with_code(d.code)
            .with_message(message.as_ref())
            .with_labels(vec![
                Label::primary((), excerpt.span.clone()).with_message(d.name)
            ])
            .with_notes(notes);
        term::emit_to_write_style(buf, config, &excerpt, &diagnostic)
    } else {
        let diagnostic = CsDiagnostic::new(severity)
            .with_code(d.code)
            .with_message(message.as_ref())
            .with_labels(vec![Label::primary(id, span).with_message(d.name)])
            .with_notes(notes);
        term::emit_to_write_style(buf, config, files, &diagnostic)
    };
    if emitted.is_err() {
        let _ = writeln!(
            buf,
            "{}:{}:{}: {} [{}] {}",
            printable(&result.files[d.file].display),
            d.start.line,
            d.start.column,
            d.severity,
            d.code,
            message
        );
    }
}

/// Whether codespan would print a line longer than [`LONG_LINE`] for this
/// span: its first and last lines and the context lines of a multi-line span.
fn has_long_line(
    files: &SimpleFiles<String, Cow<'_, str>>,
    id: usize,
    span: &Range<usize>,
) -> bool {
    let (Ok(first), Ok(last)) = (
        files.line_index(id, span.start),
        files.line_index(id, span.end),
    ) else {
        return false;
    };
    let long = |line: usize| {
        files
            .line_range(id, line)
            .is_ok_and(|r| r.len() > LONG_LINE)
    };
    (first..=last.min(first + 4)).any(long) || (last.saturating_sub(1).max(first)..=last).any(long)
}

/// Source text safe to print on a terminal: control characters (but tab and
/// line breaks) become a same-length placeholder, so spans stay valid and a
/// hostile file cannot send escape sequences to the terminal.
fn printable_source(source: &str) -> Cow<'_, str> {
    let is_control = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if !source.contains(is_control) {
        return Cow::Borrowed(source);
    }
    Cow::Owned(
        source
            .chars()
            .map(|c| match c {
                c if !is_control(c) => c,
                // One-byte controls (C0, DEL) and two-byte ones (C1).
                c if c.len_utf8() == 1 => '?',
                _ => '¿',
            })
            .collect(),
    )
}

/// A message or path safe to print on one terminal line.
fn printable(text: &str) -> Cow<'_, str> {
    if !text.contains(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
            .collect(),
    )
}

/// One line of a long source line around a finding, shown under the real
/// line number and columns.
struct Excerpt {
    name: String,
    text: String,
    /// The marked span, in `text`.
    span: Range<usize>,
    line_number: usize,
    /// Characters of the real line before the first character of `text`
    /// that comes from the source (after a leading `…`).
    column_offset: usize,
    /// Bytes of the leading `…` marker (0 when the excerpt starts the line).
    marker: usize,
}

impl Excerpt {
    /// Every scan here is bounded by the window, never by the line's length:
    /// a 2 MB line may carry thousands of findings.
    fn new(name: String, source: &str, span: Range<usize>, start: Position) -> Excerpt {
        let before = source[..span.start]
            .char_indices()
            .rev()
            .take_while(|(_, c)| *c != '\n')
            .take(EXCERPT_CONTEXT);
        let (window_start, before_chars) =
            before.fold((span.start, 0), |(_, n), (i, _)| (i, n + 1));
        let at_line_start = window_start == 0 || source.as_bytes()[window_start - 1] == b'\n';
        let mut marked_end = span.start;
        for (i, c) in source[span.start..].char_indices().take(EXCERPT_MARK) {
            if span.start + i >= span.end || c == '\n' {
                break;
            }
            marked_end = span.start + i + c.len_utf8();
        }
        let mut window_end = marked_end;
        for (i, c) in source[marked_end..].char_indices().take(EXCERPT_CONTEXT) {
            if c == '\n' {
                break;
            }
            window_end = marked_end + i + c.len_utf8();
        }
        let cut_right = !matches!(
            source.as_bytes().get(window_end),
            None | Some(b'\n' | b'\r')
        );
        let shown = source[window_start..window_end].trim_end_matches('\r');
        let marker = if at_line_start { "" } else { "…" };
        let mut text = String::with_capacity(shown.len() + 8);
        text.push_str(marker);
        text.push_str(&printable_source(shown));
        if cut_right {
            text.push('…');
        }
        let span_start = marker.len() + span.start - window_start;
        let span_end = (marker.len() + marked_end - window_start).min(marker.len() + shown.len());
        Excerpt {
            name,
            span: span_start..span_end.max(span_start),
            text,
            line_number: start.line as usize,
            column_offset: (start.column as usize).saturating_sub(1 + before_chars),
            marker: marker.len(),
        }
    }
}

impl<'a> Files<'a> for Excerpt {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok(&self.name)
    }

    fn source(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok(&self.text)
    }

    fn line_index(&'a self, (): (), _byte_index: usize) -> Result<usize, files::Error> {
        Ok(0)
    }

    fn line_number(&'a self, (): (), _line_index: usize) -> Result<usize, files::Error> {
        Ok(self.line_number)
    }

    fn column_number(
        &'a self,
        (): (),
        _line_index: usize,
        byte_index: usize,
    ) -> Result<usize, files::Error> {
        let shown = self
            .text
            .get(self.marker..byte_index.max(self.marker))
            .map_or(0, |s| s.chars().count());
        Ok(self.column_offset + shown + 1)
    }

    fn line_range(&'a self, (): (), line_index: usize) -> Result<Range<usize>, files::Error> {
        if line_index == 0 {
            Ok(0..self.text.len())
        } else {
            Err(files::Error::LineTooLarge {
                given: line_index,
                max: 0,
            })
        }
    }
}

fn summary(report: &Report<'_>, buf: &mut Buffer) {
    let s = report.summary;
    let total = s.blocker + s.warning + s.info;
    let new = if report.change.is_some() { "new " } else { "" };
    if total == 0 {
        let _ = writeln!(
            buf,
            "No {new}findings in {} file{}.",
            s.files,
            plural(s.files)
        );
        change_lines(report, buf);
        footer(report, buf);
        return;
    }
    let gated = |i: &usize| report.state(*i).is_none_or(|s| s.gated());
    let files_with: std::collections::BTreeSet<usize> = (0..report.result.diagnostics.len())
        .filter(gated)
        .map(|i| report.result.diagnostics[i].file)
        .collect();
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
        "Found {total} {new}finding{} in {} of {} file{}{manifest_part}: {} blocker{}, {} warning{}, {} info.",
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
    change_lines(report, buf);
    footer(report, buf);
}

/// With a base: how many pre-existing findings the report leaves out (and
/// how many of them sit in files the change touched), and how many of the
/// base's findings are gone.
fn change_lines(report: &Report<'_>, buf: &mut Buffer) {
    let Some(change) = report.change else {
        return;
    };
    let diagnostics = &report.result.diagnostics;
    let existing: Vec<usize> = (0..diagnostics.len())
        .filter(|&i| report.state(i) == Some(crate::baseline::State::Unchanged))
        .collect();
    let updated = (0..diagnostics.len())
        .filter(|&i| report.state(i) == Some(crate::baseline::State::Updated))
        .count();
    if updated > 0 {
        let _ = writeln!(
            buf,
            "{updated} of them {} pre-existing finding{} in code the change edited.",
            if updated == 1 { "is a" } else { "are" },
            plural(updated)
        );
    }
    if !existing.is_empty() {
        let n = existing.len();
        let touched = change.touched.as_ref().map(|t| {
            existing
                .iter()
                .filter(|&&i| t.get(diagnostics[i].file).copied().unwrap_or(false))
                .count()
        });
        let touched = touched
            .map(|t| format!(" ({t} in files the change touches)"))
            .unwrap_or_default();
        let _ = if change.show_existing {
            writeln!(
                buf,
                "{n} pre-existing finding{}{touched} shown, not counted in the verdict.",
                plural(n)
            )
        } else {
            writeln!(
                buf,
                "{n} pre-existing finding{}{touched} hidden; `--show-existing` shows {}.",
                plural(n),
                if n == 1 { "it" } else { "them" }
            )
        };
    }
    let fixed = change.fixed_count();
    if fixed > 0 {
        let _ = writeln!(
            buf,
            "{fixed} finding{} of the base {} gone.",
            plural(fixed),
            if fixed == 1 { "is" } else { "are" }
        );
    }
}

/// The target Python, and what the configuration left out (so a widened
/// `exclude` is visible).
fn footer(report: &Report<'_>, buf: &mut Buffer) {
    let _ = writeln!(
        buf,
        "Target: Python {} ({}).",
        report.target, report.target_source
    );
    let n = report.result.excluded;
    if n > 0 {
        let _ = writeln!(
            buf,
            "{n} Python file{} excluded by configuration (`exclude`, `extend-exclude`).",
            plural(n)
        );
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

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
