//! One file: read (bounded), decode, guard, parse, walk, and its findings.

use super::walk::walk_tree;
use super::*;
use crate::diagnostic::LineIndex;
use crate::files::FileInfo;
use crate::rules::{self};

pub(super) fn unreadable(
    info: &FileInfo,
    plan: &Plan<'_>,
    why: &str,
    code: &'static str,
) -> FileOutcome {
    let enabled = plan.enabled_for(&info.rel);
    let mut outcome = FileOutcome {
        enabled,
        problem: Some(format!("cannot read file: {why}")),
        ..FileOutcome::default()
    };
    push_engine_finding(
        plan,
        &mut outcome,
        usize::MAX,
        code,
        0..0,
        format!("cannot read file: {why}"),
    );
    outcome
}

pub(super) fn push_engine_finding(
    plan: &Plan<'_>,
    outcome: &mut FileOutcome,
    file: usize,
    code: &'static str,
    span: std::ops::Range<usize>,
    message: String,
) {
    let Some(index) = rules::index_of(code) else {
        return;
    };
    if !outcome.enabled[index] {
        return;
    }
    let start = outcome.lines.position(span.start, &outcome.source);
    let end = outcome.lines.position(span.end, &outcome.source);
    outcome.diagnostics.push(make_diagnostic(
        plan.settings,
        index,
        file,
        span,
        start,
        end,
        message,
    ));
}

/// Read, decode, parse and walk one file.
pub fn check_file(info: &FileInfo, plan: &Plan<'_>) -> FileOutcome {
    match crate::files::read_bounded(&info.path, plan.settings.max_file_size) {
        Ok(bytes) => check_bytes(&bytes, info, plan),
        Err(why) => read_failed(info, plan, why),
    }
}

/// The outcome of a file that could not be read.
pub(super) fn read_failed(
    info: &FileInfo,
    plan: &Plan<'_>,
    why: crate::files::ReadError,
) -> FileOutcome {
    // A regular file nobody could check is a blocker (SYN003): the gate
    // never passes over code it did not see. What is not a regular file (a
    // pipe, a dangling link) stays SYN002.
    let code = if why.is_unchecked_regular_file() {
        crate::rules::syntax::UNCHECKED_FILE.code
    } else {
        crate::rules::syntax::IO_ERROR.code
    };
    let why = match why {
        crate::files::ReadError::TooLarge { .. } => {
            format!("{why} (`max-file-size`)")
        }
        crate::files::ReadError::Missing => {
            "file disappeared or is a dangling symbolic link".to_owned()
        }
        other => other.to_string(),
    };
    unreadable(info, plan, &why, code)
}

/// Decode, parse and walk the bytes of `info`'s file (already read).
pub fn check_bytes(bytes: &[u8], info: &FileInfo, plan: &Plan<'_>) -> FileOutcome {
    let enabled = plan.enabled_for(&info.rel);
    match crate::source::decode(bytes) {
        Ok(source) => check_source(source, info, plan, enabled),
        Err(err) => {
            let source = err.display;
            let lines = LineIndex::new(&source);
            let at = err.display_offset.min(source.len());
            let end = source[at..]
                .chars()
                .next()
                .filter(|c| *c != '\n')
                .map_or(at, |c| at + c.len_utf8());
            let mut outcome = FileOutcome {
                source,
                lines,
                enabled,
                problem: Some(err.message.clone()),
                ..FileOutcome::default()
            };
            push_engine_finding(
                plan,
                &mut outcome,
                usize::MAX,
                crate::rules::syntax::SYNTAX_ERROR.code,
                at..end,
                err.message,
            );
            outcome
        }
    }
}

/// Check already-decoded source text (also used by the fixture tests).
pub fn check_source(
    source: String,
    info: &FileInfo,
    plan: &Plan<'_>,
    enabled: impl Into<std::sync::Arc<[bool]>>,
) -> FileOutcome {
    let lines = LineIndex::new(&source);
    let mut outcome = FileOutcome {
        lines,
        enabled: enabled.into(),
        ..FileOutcome::default()
    };
    if let Some((span, message)) = crate::engine::syntax::indentation_guard(&source) {
        outcome.source = source;
        syntax_problem(plan, &mut outcome, span, message);
        return outcome;
    }
    let Some(tree) = crate::parse::parse(&source) else {
        outcome.source = source;
        syntax_problem(
            plan,
            &mut outcome,
            0..0,
            "the parser gave up on this file".to_owned(),
        );
        return outcome;
    };
    let walk = walk_tree(&tree, &source, info, plan, &outcome.enabled, &outcome.lines);
    outcome.suppressions = walk.suppressions;
    // A deep clone has exact capacities: the walk's vectors grew by
    // doubling, and the project pass holds every file's facts at once.
    outcome.facts = Some(Box::new(walk.facts.clone()));
    outcome.source = source;
    if let Some((span, message)) = walk.syntax_error {
        syntax_problem(plan, &mut outcome, span, message);
    }
    for (span, message) in walk.invalid_suppressions {
        push_engine_finding(
            plan,
            &mut outcome,
            usize::MAX,
            suppress::INVALID_SUPPRESSION.code,
            span,
            message,
        );
    }
    for finding in walk.findings {
        let Some(index) = rules::index_of(finding.code) else {
            continue;
        };
        let start = outcome.lines.position(finding.span.start, &outcome.source);
        let end = outcome.lines.position(finding.span.end, &outcome.source);
        let mut diagnostic = make_diagnostic(
            plan.settings,
            index,
            usize::MAX,
            finding.span,
            start,
            end,
            finding.message,
        );
        diagnostic.fix = finding.fix;
        outcome.diagnostics.push(diagnostic);
    }
    outcome
}

/// The file is not valid source (SYN001): the finding, and the problem the
/// SARIF notifications list.
fn syntax_problem(
    plan: &Plan<'_>,
    outcome: &mut FileOutcome,
    span: std::ops::Range<usize>,
    message: String,
) {
    outcome.problem = Some(message.clone());
    push_engine_finding(
        plan,
        outcome,
        usize::MAX,
        crate::rules::syntax::SYNTAX_ERROR.code,
        span,
        message,
    );
}
