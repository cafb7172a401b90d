//! SUP002: `# noqa` and file-wide exemptions that silence every rule.

use tree_sitter::Node;

use crate::diagnostic::{Edit, Fix, Severity};
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct BlanketNoqa;

impl Rule for BlanketNoqa {
    const META: RuleMeta = RuleMeta {
        code: "SUP002",
        name: "blanket-noqa",
        family: Family::Suppression,
        severity: Severity::Warning,
        fixable: true,
        summary: "`# noqa` without codes, or a file-wide `# ruff: noqa` / `# flake8: noqa` / `# pylint: disable=all`",
        help: "list the codes: `# noqa: CODE`",
        doc: include_str!("../../../rules/SUP002.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &["comment"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        let text = cx.text(node);
        let lower = text.to_ascii_lowercase();
        if !(lower.contains("noqa") || lower.contains("pylint")) {
            return;
        }
        for (hash, _) in text.match_indices('#') {
            if let Some(problem) = blanket_directive(&lower[hash + 1..]) {
                let start = node.start_byte() + hash;
                // `# noqa E501`: the codes are written, only the colon is
                // missing. Unsafe: the line's other findings stop being silenced.
                let fix = (problem == MISSING_COLON)
                    .then(|| lower[hash..].find("noqa"))
                    .flatten()
                    .map(|at| {
                        let after = start + at + "noqa".len();
                        Fix::unsafe_edits(vec![Edit {
                            range: after..after,
                            content: ":".to_owned(),
                        }])
                    });
                cx.report_fix(start..start + directive_len(&text[hash..]), problem, fix);
            }
        }
    }
}

/// `rest` follows a `#` (lower-cased). Describes the problem when it is a blanket directive.
fn blanket_directive(rest: &str) -> Option<&'static str> {
    let rest = rest.trim_start();
    if let Some(after) = rest.strip_prefix("noqa") {
        return line_noqa(after);
    }
    for tool in ["ruff", "flake8"] {
        if let Some(after) = rest.strip_prefix(tool) {
            let after = after.trim_start().strip_prefix(':')?.trim_start();
            let after = after.strip_prefix("noqa")?;
            return match codes_after_colon(after) {
                Some(true) => None,
                _ => Some("file-wide `noqa` silences every rule in the file; ignore specific codes where they occur"),
            };
        }
    }
    if let Some(after) = rest.strip_prefix("pylint") {
        let after = after.trim_start().strip_prefix(':')?.trim_start();
        let directive: String = after.chars().filter(|c| !c.is_whitespace()).collect();
        if directive.starts_with("disable=all")
            || directive.starts_with("disable-all")
            || directive.starts_with("skip-file")
        {
            return Some(
                "`pylint: disable=all` silences every check; disable specific messages instead",
            );
        }
    }
    None
}

fn line_noqa(after: &str) -> Option<&'static str> {
    match after.chars().next() {
        None => Some(BLANKET),
        Some(':') => match codes_after_colon(after) {
            Some(true) => None,
            _ => Some("`# noqa:` names no codes, so it silences every rule on this line; list the codes after the colon"),
        },
        Some(c) if c.is_whitespace() => {
            let next = after.trim_start();
            if starts_with_code(next) {
                Some(MISSING_COLON)
            } else {
                Some(BLANKET)
            }
        }
        Some('#') => Some(BLANKET),
        Some(_) => None,
    }
}

/// Length of the directive starting at `#`: up to the next `#` or the end of the comment.
fn directive_len(from_hash: &str) -> usize {
    let rest = &from_hash[1..];
    let end = rest.find('#').map_or(from_hash.len(), |i| i + 1);
    from_hash[..end].trim_end().len()
}

const MISSING_COLON: &str =
    "`# noqa` codes need a colon (`# noqa: E501`); without it every rule on the line is silenced";

const BLANKET: &str =
    "blanket `# noqa` silences every rule on this line; name the codes, e.g. `# noqa: E501`";

/// `after` starts right after `noqa`. Some(true) when a colon is followed by at least one code.
fn codes_after_colon(after: &str) -> Option<bool> {
    let after = after.strip_prefix(':')?;
    Some(starts_with_code(after.trim_start()))
}

fn starts_with_code(s: &str) -> bool {
    let letters = s.chars().take_while(|c| c.is_ascii_alphabetic()).count();
    letters > 0 && s[letters..].starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::blanket_directive as b;

    #[test]
    fn recognises_the_forms() {
        assert!(b(" noqa").is_some());
        assert!(b("noqa").is_some());
        assert!(b(" noqa:").is_some());
        assert!(b(" noqa e501").is_some());
        assert!(b(" noqa: e501").is_none());
        assert!(b(" noqa:e501,w291").is_none());
        assert!(b(" ruff: noqa").is_some());
        assert!(b(" flake8: noqa").is_some());
        assert!(b(" ruff: noqa: f401").is_none());
        assert!(b(" pylint: disable=all").is_some());
        assert!(b(" pylint: disable=line-too-long").is_none());
        assert!(b(" noqanother").is_none());
    }
}
