//! `# fortress: ignore[CODE, ...] -- reason` and `# fortress: ignore-file[CODE] -- reason`.
//!
//! A suppression must name the rules it silences and say why; one that does
//! not is itself a finding (SUP003) and silences nothing. One that silences
//! nothing is reported too (SUP004), so stale suppressions do not pile up.

use std::ops::Range;

use crate::config::Settings;
use crate::diagnostic::{Diagnostic, Edit, Fix, LineIndex};
use crate::rules;
pub use crate::rules::suppression::{INVALID_SUPPRESSION, UNUSED_SUPPRESSION};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Suppression {
    pub file_level: bool,
    /// 0-based line of the comment.
    pub row: u32,
    /// Span of the directive in the source.
    pub span: Range<usize>,
    #[serde(with = "crate::diagnostic::interned::list")]
    pub codes: Vec<crate::diagnostic::interned::Static>,
    /// Another tool's directive for the same check (`# noqa: S608`,
    /// `# nosec B608`): it covers a finding on any of the finding's lines,
    /// and is never reported as unused (it is that tool's).
    #[serde(default)]
    pub external: bool,
}

/// Other tools' codes for the checks of fortress rules: ruff's
/// flake8-bandit (`S...`) and bandit's own (`B...`). A team that reviewed a
/// line for that tool has reviewed it for the fortress rule too.
const EXTERNAL_CODES: &[(&str, &str)] = &[
    ("S608", "SEC001"),
    ("S608", "SEC008"),
    ("B608", "SEC001"),
    ("B608", "SEC008"),
    ("S105", "SEC004"),
    ("S106", "SEC004"),
    ("S107", "SEC004"),
    ("B105", "SEC004"),
    ("B106", "SEC004"),
    ("B107", "SEC004"),
    // SEC005's calls: exec, eval, pickle, unsafe YAML, shell commands,
    // requests without certificate checks.
    ("S102", "SEC005"),
    ("S307", "SEC005"),
    ("S301", "SEC005"),
    ("S506", "SEC005"),
    ("S501", "SEC005"),
    ("S602", "SEC005"),
    ("S604", "SEC005"),
    ("S605", "SEC005"),
    ("B102", "SEC005"),
    ("B307", "SEC005"),
    ("B301", "SEC005"),
    ("B506", "SEC005"),
    ("B501", "SEC005"),
    ("B602", "SEC005"),
    ("B604", "SEC005"),
    ("B605", "SEC005"),
];

/// Does the file hold a directive [`parse_external`] may read?
pub fn may_hold_external(source: &str) -> bool {
    source.contains("noqa") || source.contains("nosec")
}

/// `# noqa: S608` / `# nosec` / `# nosec B608`: the fortress rules the
/// directive covers, if any. A blanket `# noqa` covers nothing here (SUP002
/// reports it); a blanket `# nosec` covers every rule with a bandit code.
pub fn parse_external(comment: &str, comment_start: usize, row: u32) -> Option<Suppression> {
    let mut codes: Vec<crate::diagnostic::interned::Static> = Vec::new();
    let mut add = |code: &str| {
        let upper = code.trim().to_ascii_uppercase();
        for (external, ours) in EXTERNAL_CODES {
            if *external == upper {
                if let Some(meta) = rules::meta(ours) {
                    if !codes.contains(&meta.code) {
                        codes.push(meta.code);
                    }
                }
            }
        }
    };
    let lower = comment.to_ascii_lowercase();
    let mut span_start = None;
    if let Some(at) = lower.find("noqa:") {
        span_start = Some(at);
        comment[at + "noqa:".len()..]
            .split(|c: char| c == ',' || c.is_whitespace())
            .take_while(|c| c.is_empty() || c.chars().all(|c| c.is_ascii_alphanumeric()))
            .filter(|c| !c.is_empty())
            .for_each(&mut add);
    }
    if let Some(at) = lower.find("nosec") {
        span_start = Some(span_start.map_or(at, |s: usize| s.min(at)));
        let named: Vec<&str> = comment[at + "nosec".len()..]
            .split(|c: char| c == ',' || c.is_whitespace())
            .take_while(|c| c.is_empty() || c.chars().all(|c| c.is_ascii_alphanumeric()))
            .filter(|c| !c.is_empty())
            .collect();
        if named.is_empty() {
            for (external, _) in EXTERNAL_CODES.iter().filter(|(e, _)| e.starts_with('B')) {
                add(external);
            }
        } else {
            named.into_iter().for_each(&mut add);
        }
    }
    let start = span_start?;
    let start = comment[..start].rfind('#').unwrap_or(start);
    if codes.is_empty() {
        return None;
    }
    Some(Suppression {
        file_level: false,
        row,
        span: comment_start + start..comment_start + comment.len(),
        codes,
        external: true,
    })
}

/// The suppressions of one file and the multi-line statements a line
/// suppression on their first line covers.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileSuppressions {
    pub items: Vec<Suppression>,
    /// (first row, last row) of multi-line simple statements and compound statement headers.
    pub statements: Vec<(u32, u32)>,
}

impl FileSuppressions {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Parse a comment. `None`: not a fortress directive. `Some(Err(msg))`: a
/// malformed directive (SUP003) with the byte span to report.
pub fn parse_comment(
    comment: &str,
    comment_start: usize,
    row: u32,
) -> Option<Result<Suppression, (Range<usize>, String)>> {
    let at = comment.find("fortress:")?;
    let hash = comment[..at].rfind('#')?;
    if !comment[hash + 1..at].trim().is_empty() {
        return None;
    }
    let span = comment_start + hash..comment_start + comment.len();
    let rest = comment[at + "fortress:".len()..].trim_start();
    let (file_level, rest) = if let Some(r) = rest.strip_prefix("ignore-file") {
        (true, r)
    } else if let Some(r) = rest.strip_prefix("ignore") {
        (false, r)
    } else {
        return Some(Err((
            span,
            "unknown fortress directive; use `# fortress: ignore[CODE] -- reason` or `# fortress: ignore-file[CODE] -- reason`".to_owned(),
        )));
    };
    let directive = if file_level { "ignore-file" } else { "ignore" };
    let rest = rest.trim_start();
    let Some(list) = rest.strip_prefix('[') else {
        return Some(Err((
            span,
            format!("`# fortress: {directive}` must name the rules it silences: `# fortress: {directive}[CODE] -- reason`"),
        )));
    };
    let Some(close) = list.find(']') else {
        return Some(Err((
            span,
            "unclosed `[` in fortress suppression".to_owned(),
        )));
    };
    let mut codes = Vec::new();
    for raw in list[..close]
        .split([',', ' '])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match rules::meta(raw) {
            Some(meta) => codes.push(meta.code),
            None => {
                return Some(Err((
                    span,
                    format!("`{raw}` is not a fortress rule code (see `fortress rules`)"),
                )))
            }
        }
    }
    if codes.is_empty() {
        return Some(Err((
            span,
            format!("`# fortress: {directive}[]` names no rule; list the codes it silences"),
        )));
    }
    let after = list[close + 1..].trim_start();
    let reason = after.strip_prefix("--").map(str::trim).unwrap_or("");
    if reason.is_empty() {
        return Some(Err((
            span,
            format!(
                "suppression of {} gives no reason; add one after `--`",
                codes.join(", ")
            ),
        )));
    }
    Some(Ok(Suppression {
        file_level,
        row,
        span,
        codes,
        external: false,
    }))
}

/// Drop the diagnostics a file's suppressions cover. Returns, for every code of
/// every valid suppression, whether it silenced something.
pub fn apply(diagnostics: &mut Vec<Diagnostic>, sup: &FileSuppressions) -> Vec<Vec<bool>> {
    let mut used: Vec<Vec<bool>> = sup
        .items
        .iter()
        .map(|s| vec![false; s.codes.len()])
        .collect();
    if sup.items.is_empty() {
        return used;
    }
    diagnostics.retain(|d| {
        if d.code == UNUSED_SUPPRESSION.code {
            return true;
        }
        let row = d.start.line.saturating_sub(1);
        let last_row = d.end.line.saturating_sub(1);
        let mut suppressed = false;
        for (i, s) in sup.items.iter().enumerate() {
            let covers = s.file_level
                || s.row == row
                || (s.external && row <= s.row && s.row <= last_row)
                || sup
                    .statements
                    .iter()
                    .any(|&(first, last)| first == s.row && first < row && row <= last);
            if !covers {
                continue;
            }
            if let Some(j) = s.codes.iter().position(|c| *c == d.code) {
                used[i][j] = true;
                suppressed = true;
            }
        }
        !suppressed
    });
    used
}

/// Whether `code` is a report rule's (judged by the test gate after the run).
fn is_report_code(code: &str) -> bool {
    rules::index_of(code)
        .is_some_and(|i| matches!(rules::registry()[i].kind, rules::RuleKind::Report { .. }))
}

/// Split the use flags of [`apply`]: report-rule codes count as used for
/// now (the gate decides later), and the suppressions naming them, with
/// only those codes, are returned for the gate.
pub fn split_report_codes(
    sup: &FileSuppressions,
    mut used: Vec<Vec<bool>>,
) -> (Vec<Vec<bool>>, Option<FileSuppressions>) {
    let mut later = Vec::new();
    for (s, flags) in sup.items.iter().zip(used.iter_mut()) {
        let codes: Vec<&'static str> = s
            .codes
            .iter()
            .zip(flags.iter_mut())
            .filter(|(c, _)| is_report_code(c))
            .map(|(c, flag)| {
                *flag = true;
                *c
            })
            .collect();
        if !codes.is_empty() {
            later.push(Suppression { codes, ..s.clone() });
        }
    }
    let later = (!later.is_empty()).then(|| FileSuppressions {
        items: later,
        statements: sup.statements.clone(),
    });
    (used, later)
}

/// SUP004 for each suppression code that silenced nothing and whose rule is
/// enabled for the file (`used` as [`apply`] returned it).
pub fn unused(
    settings: &Settings,
    file: usize,
    source: &str,
    lines: &LineIndex,
    sup: &FileSuppressions,
    used: &[Vec<bool>],
    enabled: &[bool],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Some(unused_index) = rules::index_of(UNUSED_SUPPRESSION.code) else {
        return out;
    };
    if !enabled.get(unused_index).copied().unwrap_or(false) {
        return out;
    }
    for (s, flags) in sup.items.iter().zip(used) {
        if s.external {
            continue;
        }
        let unused: Vec<&str> = s
            .codes
            .iter()
            .zip(flags)
            .filter(|(code, used)| {
                !**used
                    && rules::index_of(code)
                        .is_some_and(|i| enabled.get(i).copied().unwrap_or(false))
            })
            .map(|(code, _)| *code)
            .collect();
        if unused.is_empty() {
            continue;
        }
        let meta = &rules::registry()[unused_index].meta;
        let message = format!(
            "suppression of {} matches no finding{}; remove it",
            unused.join(", "),
            if s.file_level {
                " in this file"
            } else {
                " on this line"
            }
        );
        out.push(Diagnostic {
            code: meta.code,
            name: meta.name,
            severity: settings.severity[unused_index],
            file,
            span: s.span.clone(),
            start: lines.position(s.span.start, source),
            end: lines.position(s.span.end, source),
            message: crate::diagnostic::cap_message(message),
            fix: unused_fix(source, s, &unused),
        });
    }
    out
}

/// SUP004's fix (safe: a suppression that silences nothing changes nothing).
/// All codes unused: the directive goes, with the blanks before it, or its
/// whole line when nothing else is on it. Some unused: they leave the list.
/// None when the comment holds more than the directive after it (another
/// `#`: it may be a directive of another tool), which removing would lose.
pub fn unused_fix(source: &str, s: &Suppression, unused: &[&str]) -> Option<Fix> {
    let text = source.get(s.span.clone())?;
    if unused.len() < s.codes.len() {
        let open = text.find('[')?;
        let close = open + text[open..].find(']')?;
        let kept: Vec<&str> = s
            .codes
            .iter()
            .copied()
            .filter(|c| !unused.contains(c))
            .collect();
        return Some(Fix::safe(vec![Edit {
            range: s.span.start + open + 1..s.span.start + close,
            content: kept.join(", "),
        }]));
    }
    if text[1..].contains('#') {
        return None;
    }
    let bytes = source.as_bytes();
    let line_start = source[..s.span.start].rfind('\n').map_or(0, |i| i + 1);
    let before = &source[line_start..s.span.start];
    let mut end = s.span.end;
    let rest_of_line = source[end..].find('\n').map_or(source.len(), |i| end + i);
    if !source[end..rest_of_line]
        .trim_end_matches('\r')
        .trim()
        .is_empty()
    {
        return None;
    }
    let start = if before.trim().is_empty() {
        // The comment is alone on its line: the line goes.
        end = if rest_of_line < source.len() {
            rest_of_line + 1
        } else {
            rest_of_line
        };
        line_start
    } else {
        let mut start = s.span.start;
        while start > line_start && matches!(bytes[start - 1], b' ' | b'\t') {
            start -= 1;
        }
        start
    };
    Some(Fix::safe(vec![Edit {
        range: start..end,
        content: String::new(),
    }]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(source: &str, unused: &[&str]) -> Option<String> {
        let at = source.find("# fortress:")?;
        let end = source[at..].find('\n').map_or(source.len(), |i| at + i);
        let end = if source[..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        let s = parse_comment(&source[at..end], at, 0)?.ok()?;
        let fix = unused_fix(source, &s, unused)?;
        let mut out = source.to_owned();
        for e in fix.edits.iter().rev() {
            out.replace_range(e.range.clone(), &e.content);
        }
        Some(out)
    }

    #[test]
    fn unused_suppressions_are_removed() {
        assert_eq!(
            fixed(
                "x = 1  # fortress: ignore[TYP001] -- old\ny = 2\n",
                &["TYP001"]
            )
            .as_deref(),
            Some("x = 1\ny = 2\n")
        );
        assert_eq!(
            fixed(
                "x = 1\r\n# fortress: ignore-file[TYP001] -- old\r\ny = 2\r\n",
                &["TYP001"]
            )
            .as_deref(),
            Some("x = 1\r\ny = 2\r\n")
        );
        assert_eq!(
            fixed(
                "x = 1  # noqa: E501  # fortress: ignore[TYP001] -- old",
                &["TYP001"]
            )
            .as_deref(),
            Some("x = 1  # noqa: E501")
        );
        assert_eq!(
            fixed(
                "x: O[int]  # fortress: ignore[TYP001, SUP002] -- one used\n",
                &["SUP002"]
            )
            .as_deref(),
            Some("x: O[int]  # fortress: ignore[TYP001] -- one used\n")
        );
        // Another tool's directive after the reason would be lost: no fix.
        assert_eq!(
            fixed(
                "x = 1  # fortress: ignore[TYP001] -- old  # type: ignore\n",
                &["TYP001"]
            ),
            None
        );
    }

    fn parse(c: &str) -> Option<Result<Suppression, (Range<usize>, String)>> {
        parse_comment(c, 0, 0)
    }

    #[test]
    fn external_directives_map_to_the_same_checks() {
        let codes = |c: &str| parse_external(c, 0, 0).map(|s| s.codes);
        assert_eq!(codes("# noqa: S608"), Some(vec!["SEC001", "SEC008"]));
        assert_eq!(
            codes("# noqa: E501, S608  # why"),
            Some(vec!["SEC001", "SEC008"])
        );
        assert_eq!(codes("# NOQA:S105"), Some(vec!["SEC004"]));
        assert_eq!(codes("# nosec B608"), Some(vec!["SEC001", "SEC008"]));
        assert_eq!(
            codes("# nosec"),
            Some(vec!["SEC001", "SEC008", "SEC004", "SEC005"])
        );
        assert_eq!(codes("# noqa: S102"), Some(vec!["SEC005"]));
        assert_eq!(codes("# nosec B602"), Some(vec!["SEC005"]));
        assert_eq!(codes("# noqa: E501"), None);
        assert_eq!(codes("# noqa"), None);
        assert_eq!(codes("# nosecurity here"), None);
        let s = parse_external("x  # noqa: S608", 10, 3).expect("directive");
        assert!(s.external && !s.file_level && s.row == 3 && s.span == (13..25));
    }

    #[test]
    fn valid_forms() {
        let s = parse("# fortress: ignore[TYP001, SUP001] -- legacy API")
            .unwrap()
            .unwrap();
        assert_eq!(s.codes, vec!["TYP001", "SUP001"]);
        assert!(!s.file_level);
        let s = parse("# fortress: ignore-file[TYP001] -- generated")
            .unwrap()
            .unwrap();
        assert!(s.file_level);
        let s = parse("# noqa: E501  # fortress: ignore[TYP001] -- why")
            .unwrap()
            .unwrap();
        assert_eq!(s.span, 14..47);
    }

    #[test]
    fn invalid_forms() {
        for bad in [
            "# fortress: ignore",
            "# fortress: ignore -- reason",
            "# fortress: ignore[] -- reason",
            "# fortress: ignore[TYP001]",
            "# fortress: ignore[TYP001] --  ",
            "# fortress: ignore[NOPE1] -- reason",
            "# fortress: ignore[TYP001 -- reason",
            "# fortress: silence[TYP001] -- reason",
        ] {
            assert!(matches!(parse(bad), Some(Err(_))), "{bad}");
        }
        assert!(parse("# see fortress: docs").is_none());
        assert!(parse("# plain comment").is_none());
    }
}
