//! Syntax newer than the target Python: valid Python 3, but not for the
//! version the project runs on. Reported as SYN001 with the version that
//! introduced it, as ruff's version-related syntax errors are.

use tree_sitter::Node;

use super::syntax::{quote, Problem};
use crate::parse::NodeKind;
use crate::version::PythonVersion;

/// Node kinds that only exist from some version on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    Match,
    TypeAlias,
    TypeParameters,
    WithClause,
    Walrus,
    PositionalOnly,
}

/// `what` needs `needed`: a problem when the target is older.
fn needs(
    span: std::ops::Range<usize>,
    needed: PythonVersion,
    target: PythonVersion,
    what: &str,
) -> Option<Problem> {
    (target < needed).then(|| Problem {
        span,
        message: format!("syntax error: {what} requires Python {needed} (target is {target})"),
    })
}

const fn py(minor: u8) -> PythonVersion {
    PythonVersion::new(3, minor)
}

/// A node of a [`Feature`] kind.
pub fn feature(
    feature: Feature,
    node: Node<'_>,
    parent: Option<&Node<'_>>,
    target: PythonVersion,
) -> Option<Problem> {
    let keyword = |len: usize| node.start_byte()..node.start_byte() + len;
    match feature {
        Feature::Match => needs(keyword(5), py(10), target, "the `match` statement"),
        // tree-sitter-python reads `type(obj).attr = value` as a `type`
        // statement whose name is `(obj).attr`: a real one names an identifier.
        Feature::TypeAlias
            if !node
                .child_by_field_name("left")
                .and_then(|l| l.named_child(0))
                .is_some_and(|n| matches!(n.kind_str(), "identifier" | "generic_type")) =>
        {
            None
        }
        Feature::TypeAlias => needs(keyword(4), py(12), target, "the `type` statement (PEP 695)"),
        // `list[int]` in an annotation is a `type_parameter` too.
        Feature::TypeParameters
            if !parent.is_some_and(|p| {
                matches!(p.kind_str(), "function_definition" | "class_definition")
            }) =>
        {
            None
        }
        Feature::TypeParameters => needs(
            node.byte_range(),
            py(12),
            target,
            "a type parameter list (PEP 695)",
        ),
        Feature::Walrus => needs(
            node.byte_range(),
            py(8),
            target,
            "an assignment expression `:=`",
        ),
        Feature::PositionalOnly => needs(
            node.byte_range(),
            py(8),
            target,
            "a positional-only parameter marker `/`",
        ),
        Feature::WithClause => {
            // `with (a, b):` is a tuple in every version; only `as` inside the
            // parentheses needs the 3.9 parser.
            let mut cursor = node.walk();
            let mut children = node.children(&mut cursor);
            if children.next().is_none_or(|c| c.kind_str() != "(") {
                return None;
            }
            let mut cursor = node.walk();
            let has_as = node.named_children(&mut cursor).any(|item| {
                item.child_by_field_name("value")
                    .is_some_and(|v| v.kind_str() == "as_pattern")
            });
            if !has_as {
                return None;
            }
            needs(
                node.byte_range(),
                py(9),
                target,
                "parenthesized context managers",
            )
        }
    }
}

/// An `except` clause: `except*` needs 3.11; `except A, B:` is PEP 758 (3.14)
/// or Python 2. The flag says the form is Python 2 in every version (rules
/// then skip the node).
pub fn except_clause(
    node: Node<'_>,
    source: &str,
    target: PythonVersion,
) -> Option<(Problem, bool)> {
    let mut cursor = node.walk();
    let star = node.children(&mut cursor).find(|c| c.kind_str() == "*");
    let mut cursor = node.walk();
    let values: Vec<Node<'_>> = node.children_by_field_name("value", &mut cursor).collect();
    if values.len() >= 2 {
        let (first, last) = (values[0], values[values.len() - 1]);
        let span = first.start_byte()..last.end_byte();
        let shown = quote(source.get(span.clone()).unwrap_or(""));
        if last.kind_str() == "as_pattern" {
            return Some((
                Problem {
                    span,
                    message: format!(
                        "syntax error: `except {shown}:` needs parentheses around the exception types when it uses `as`: `except (A, B) as name:`"
                    ),
                },
                true,
            ));
        }
        if target < py(14) {
            return Some((
                Problem {
                    span,
                    message: format!(
                        "syntax error: `except {shown}:` is Python 2 syntax, or PEP 758 syntax that requires Python 3.14 (target is {target}); write `except E as name:`, or `except (A, B):` to catch several exceptions"
                    ),
                },
                true,
            ));
        }
    }
    let star = star?;
    needs(
        node.start_byte()..star.end_byte(),
        py(11),
        target,
        "`except*` (PEP 654)",
    )
    .map(|p| (p, false))
}

/// A string opening with a valid template prefix (`t"`, `rt'`, ...).
pub fn is_template(start: &str) -> bool {
    let prefix = start.trim_end_matches(['"', '\'']).to_ascii_lowercase();
    matches!(prefix.as_str(), "t" | "tr" | "rt")
}

/// A string's opening: `t"..."` needs 3.14.
pub fn string_start(node: Node<'_>, target: PythonVersion) -> Option<Problem> {
    needs(
        node.byte_range(),
        py(14),
        target,
        "a template string literal (PEP 750)",
    )
}

/// An f-string replacement field: before 3.12 (PEP 701) it could not hold
/// the string's own quote, a backslash or a comment.
pub fn interpolation(
    node: Node<'_>,
    ancestors: &[Node<'_>],
    source: &str,
    target: PythonVersion,
) -> Option<Problem> {
    if target >= py(12) || node.kind_str() != "interpolation" {
        return None;
    }
    let mut cursor = node.walk();
    if target < py(8) && node.children(&mut cursor).any(|c| c.kind_str() == "=") {
        return needs(
            node.byte_range(),
            py(8),
            target,
            "a self-documenting f-string expression `{x=}`",
        );
    }
    let string = ancestors.last().filter(|s| s.kind_str() == "string")?;
    let opening = string.child(0).filter(|c| c.kind_str() == "string_start")?;
    let opening_text = source.get(opening.byte_range()).unwrap_or("");
    let quote_char = opening_text.chars().last()?;
    let triple = opening_text.ends_with("\"\"\"") || opening_text.ends_with("'''");
    let what = if first_descendant(node, &|n| n.kind_str() == "comment").is_some() {
        Some("a comment inside an f-string replacement field")
    } else if node
        .child_by_field_name("expression")
        .and_then(|e| source.get(e.byte_range()))
        .is_some_and(|t| t.contains('\\'))
    {
        Some("a backslash inside an f-string replacement field")
    } else {
        let expression = node.child_by_field_name("expression")?;
        let reuses_quote = first_descendant(expression, &|n| {
            n.kind_str() == "string_start" && {
                let inner = source.get(n.byte_range()).unwrap_or("");
                let inner_triple = inner.ends_with("\"\"\"") || inner.ends_with("'''");
                inner.ends_with(quote_char) && (!triple || inner_triple)
            }
        });
        reuses_quote.map(|_| "reusing the f-string's quotes inside a replacement field")
    }?;
    needs(node.byte_range(), py(12), target, what).map(|p| Problem {
        message: p.message.replace("requires", "requires (PEP 701)"),
        ..p
    })
}

fn first_descendant<'t>(node: Node<'t>, wanted: &dyn Fn(Node<'t>) -> bool) -> Option<Node<'t>> {
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if wanted(child) {
            return Some(child);
        }
        if let Some(found) = first_descendant(child, wanted) {
            return Some(found);
        }
    }
    None
}

/// tree-sitter-python 0.25 does not know PEP 696 defaults: `[T = int]` is an
/// ERROR node `T =` inside the type parameter list. `Some(None)` when it is
/// one and the target takes it; `Some(Some(problem))` when it is one the
/// target does not take; `None` when the ERROR node is something else.
pub fn type_parameter_default(error: Node<'_>, target: PythonVersion) -> Option<Option<Problem>> {
    if !error.is_error() || error.parent()?.kind_str() != "type_parameter" {
        return None;
    }
    let mut cursor = error.walk();
    let kids: Vec<&str> = error.children(&mut cursor).map(|c| c.kind_str()).collect();
    let is_default = matches!(kids.as_slice(), ["identifier", "="])
        || matches!(kids.as_slice(), [",", "identifier", "="]);
    if !is_default {
        return None;
    }
    Some(needs(
        error.byte_range(),
        py(13),
        target,
        "a type parameter default (PEP 696)",
    ))
}
