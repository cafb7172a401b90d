//! Constant folding of truth values: what `bool(expr)` is when the source
//! alone decides it (`assert "message"`, `skipif(True)`, `x or True`),
//! shared by the test rules.

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast::{fid, text, unparenthesize};

/// Truthiness is looked up through at most this many nested operators.
const MAX_DEPTH: u32 = 64;

/// Truth value of a constant expression, `None` when it depends on runtime
/// values (a name, a call, an f-string that only interpolates).
pub fn truthiness(node: Node<'_>, source: &str) -> Option<bool> {
    fold(node, source, 0)
}

fn fold(node: Node<'_>, source: &str, depth: u32) -> Option<bool> {
    if depth > MAX_DEPTH {
        return None;
    }
    match node.kind_str() {
        "true" | "ellipsis" | "lambda" => Some(true),
        "false" | "none" => Some(false),
        "integer" => {
            let t = text(node, source).to_ascii_lowercase().replace('_', "");
            let t = t.trim_end_matches(['j', 'l']);
            let digits = t
                .strip_prefix("0x")
                .or_else(|| t.strip_prefix("0o"))
                .or_else(|| t.strip_prefix("0b"))
                .unwrap_or(t);
            Some(!digits.chars().all(|c| c == '0'))
        }
        "float" => {
            let t = text(node, source).to_ascii_lowercase().replace('_', "");
            t.trim_end_matches('j')
                .parse::<f64>()
                .ok()
                .map(|v| v != 0.0)
        }
        "string" => {
            let mut has_content = false;
            let mut has_interpolation = false;
            for c in non_comment(node) {
                match c.kind_str() {
                    "string_content" | "escape_sequence" if c.start_byte() < c.end_byte() => {
                        has_content = true
                    }
                    "interpolation" => has_interpolation = true,
                    _ => {}
                }
            }
            if has_content {
                Some(true)
            } else if has_interpolation {
                None
            } else {
                Some(false)
            }
        }
        "concatenated_string" => {
            let parts: Vec<Option<bool>> = non_comment(node)
                .into_iter()
                .map(|p| fold(p, source, depth + 1))
                .collect();
            if parts.contains(&Some(true)) {
                Some(true)
            } else if parts.iter().all(|p| *p == Some(false)) {
                Some(false)
            } else {
                None
            }
        }
        "tuple" | "list" | "set" | "dictionary" => {
            let items = non_comment(node);
            let splat = |k: &str| matches!(k, "list_splat" | "dictionary_splat");
            if items.iter().any(|i| !splat(i.kind_str())) {
                Some(true)
            } else if items.is_empty() {
                Some(false)
            } else {
                None
            }
        }
        "parenthesized_expression" => {
            let inner = unparenthesize(node);
            if inner.id() == node.id() {
                None
            } else {
                fold(inner, source, depth + 1)
            }
        }
        "not_operator" => node
            .child_by_field_id(*fid::ARGUMENT)
            .and_then(|a| fold(a, source, depth + 1))
            .map(|v| !v),
        "boolean_operator" => {
            let left = fold(node.child_by_field_id(*fid::LEFT)?, source, depth + 1);
            let right = fold(node.child_by_field_id(*fid::RIGHT)?, source, depth + 1);
            let op = node
                .child_by_field_id(*fid::OPERATOR)
                .map(|o| o.kind_str())?;
            match op {
                "or" => match (left, right) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                },
                "and" => match (left, right) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

fn non_comment(n: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = n.walk();
    let items: Vec<Node<'_>> = n
        .named_children(&mut cursor)
        .filter(|c| c.kind_str() != "comment")
        .collect();
    items
}
