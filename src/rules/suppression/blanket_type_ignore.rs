//! SUP001: `# type: ignore` without the error codes it silences.

use tree_sitter::Node;

use crate::diagnostic::Severity;
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct BlanketTypeIgnore;

impl Rule for BlanketTypeIgnore {
    const META: RuleMeta = RuleMeta {
        code: "SUP001",
        name: "blanket-type-ignore",
        family: Family::Suppression,
        severity: Severity::Warning,
        fixable: false,
        summary: "`# type: ignore` without a bracketed list of error codes",
        help: "add the error codes: `# type: ignore[code]`",
        doc: include_str!("../../../rules/SUP001.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &["comment"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        let text = cx.text(node);
        if !text.contains("ignore") {
            return;
        }
        for (hash, _) in text.match_indices('#') {
            if is_blanket_type_ignore(&text[hash + 1..]) {
                let start = node.start_byte() + hash;
                cx.report_span(
                    start..start + directive_len(&text[hash..]),
                    "blanket `# type: ignore` silences every type error on this line; name the codes, e.g. `# type: ignore[attr-defined]`",
                );
            }
        }
    }
}

/// Length of `# type: ignore[...]` starting at `#`: up to the next `#` or the end of the comment.
fn directive_len(from_hash: &str) -> usize {
    let rest = &from_hash[1..];
    let end = rest.find('#').map_or(from_hash.len(), |i| i + 1);
    from_hash[..end].trim_end().len()
}

/// `rest` follows a `#`. True for `type: ignore` not followed by `[codes]`.
fn is_blanket_type_ignore(rest: &str) -> bool {
    let Some(rest) = rest.trim_start().strip_prefix("type") else {
        return false;
    };
    let Some(rest) = rest.trim_start().strip_prefix(':') else {
        return false;
    };
    let Some(rest) = rest.trim_start().strip_prefix("ignore") else {
        return false;
    };
    match rest.chars().next() {
        None => true,
        Some('[') => {
            rest[1..]
                .split(']')
                .next()
                .is_none_or(|codes| codes.trim().is_empty())
                && rest.contains(']')
        }
        Some(c) => c.is_whitespace() || c == '#',
    }
}

#[cfg(test)]
mod tests {
    use super::is_blanket_type_ignore;

    #[test]
    fn recognises_the_forms() {
        assert!(is_blanket_type_ignore(" type: ignore"));
        assert!(is_blanket_type_ignore("type:ignore"));
        assert!(is_blanket_type_ignore(" type: ignore  # noqa"));
        assert!(is_blanket_type_ignore(" type: ignore[]"));
        assert!(!is_blanket_type_ignore(" type: ignore[attr-defined]"));
        assert!(!is_blanket_type_ignore(" type: ignored"));
        assert!(!is_blanket_type_ignore(" type: int"));
    }
}
