//! TST002: an assertion that cannot fail.

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::python::ast::{self as pyast, fid, text};

use super::{flat, positional_args, shown};
use crate::diagnostic::Severity;
use crate::python::constant::truthiness;
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct TautologicalAssertion;

/// unittest methods that pass when their first two arguments are equal.
const EQUALITY_METHODS: &[&str] = &[
    "assertAlmostEqual",
    "assertAlmostEquals",
    "assertCountEqual",
    "assertDictEqual",
    "assertEqual",
    "assertEquals",
    "assertGreaterEqual",
    "assertIs",
    "assertItemsEqual",
    "assertLessEqual",
    "assertListEqual",
    "assertMultiLineEqual",
    "assertSequenceEqual",
    "assertSetEqual",
    "assertTupleEqual",
    "failUnlessAlmostEqual",
    "failUnlessEqual",
];

/// Builtins that give the same result for the same argument.
const PURE_BUILTINS: &[&str] = &[
    "abs", "bool", "bytes", "float", "hash", "id", "int", "len", "repr", "str", "type",
];

impl Rule for TautologicalAssertion {
    const META: RuleMeta = RuleMeta {
        code: "TST002",
        name: "tautological-assertion",
        family: Family::Tests,
        severity: Severity::Blocker,
        fixable: false,
        summary: "Assertion that cannot fail: a constant, a non-empty tuple, or an expression compared with itself",
        help: "assert on the result of the code under test; compare it with an independently written expected value",
        doc: include_str!("../../../rules/TST002.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &["assert_statement", "call", "comparison_operator"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        if cx.migration {
            return;
        }
        match node.kind_str() {
            "assert_statement" => check_assert(node, cx),
            "call" => check_unittest_call(node, cx),
            _ => check_self_comparison(node, cx),
        }
    }
}

fn first_expression(node: Node<'_>) -> Option<Node<'_>> {
    let mut cursor = node.walk();
    let found = node
        .named_children(&mut cursor)
        .find(|c| c.kind_str() != "comment");
    found
}

fn check_assert(node: Node<'_>, cx: &mut Cx<'_>) {
    let Some(test) = first_expression(node) else {
        return;
    };
    let inner = pyast::unparenthesize(test);
    if inner.kind_str() == "tuple" && truthiness(inner, cx.source) == Some(true) {
        let mut cursor = inner.walk();
        let items: Vec<Node<'_>> = inner
            .named_children(&mut cursor)
            .filter(|c| c.kind_str() != "comment")
            .collect();
        let message = match items.as_slice() {
            [condition, msg] => format!(
                "this asserts a non-empty tuple, which is always true; write `assert {}, {}` without the parentheses",
                shown(&flat(*condition, cx.source)),
                shown(&flat(*msg, cx.source))
            ),
            _ => "this asserts a non-empty tuple, which is always true".to_owned(),
        };
        cx.report(test, message);
        return;
    }
    if let Some(why) = always_true(inner, cx.source) {
        cx.report(
            test,
            format!(
                "`assert {}` cannot fail: {why}",
                shown(&flat(test, cx.source))
            ),
        );
    }
}

/// Why `node` is always true, if it is.
fn always_true(node: Node<'_>, source: &str) -> Option<String> {
    let node = pyast::unparenthesize(node);
    if truthiness(node, source) == Some(true) {
        let text = shown(&flat(node, source));
        return Some(if node.kind_str() == "boolean_operator" {
            format!("`{text}` is always true whatever the other operands are")
        } else {
            format!("`{text}` is always true")
        });
    }
    if node.kind_str() == "call" && is_isinstance_object(node, source) {
        return Some(format!(
            "`{}` is always true: every value is an `object`",
            shown(&flat(node, source))
        ));
    }
    if node.kind_str() == "comparison_operator" && is_length_at_least_zero(node, source) {
        return Some(format!(
            "`{}` is always true: a length is never negative",
            shown(&flat(node, source))
        ));
    }
    None
}

/// `isinstance(x, object)`.
fn is_isinstance_object(call: Node<'_>, source: &str) -> bool {
    let is_isinstance = call
        .child_by_field_id(*fid::FUNCTION)
        .is_some_and(|f| f.kind_str() == "identifier" && text(f, source) == "isinstance");
    is_isinstance
        && matches!(positional_args(call).as_slice(),
            [_, class] if class.kind_str() == "identifier" && text(*class, source) == "object")
}

fn is_len_call(node: Node<'_>, source: &str) -> bool {
    let node = pyast::unparenthesize(node);
    node.kind_str() == "call"
        && node
            .child_by_field_id(*fid::FUNCTION)
            .is_some_and(|f| f.kind_str() == "identifier" && text(f, source) == "len")
        && positional_args(node).len() == 1
}

fn is_zero(node: Node<'_>, source: &str) -> bool {
    let node = pyast::unparenthesize(node);
    node.kind_str() == "integer" && text(node, source) == "0"
}

/// `len(x) >= 0` or `0 <= len(x)`.
fn is_length_at_least_zero(node: Node<'_>, source: &str) -> bool {
    let operands = operands(node);
    let [left, right] = operands.as_slice() else {
        return false;
    };
    match operator_between(*left, *right, source).as_str() {
        ">=" => is_len_call(*left, source) && is_zero(*right, source),
        "<=" => is_zero(*left, source) && is_len_call(*right, source),
        _ => false,
    }
}

fn operands(comparison: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::with_capacity(2);
    let mut cursor = comparison.walk();
    if cursor.goto_first_child() {
        loop {
            let n = cursor.node();
            if n.is_named() && n.kind_str() != "comment" && cursor.field_name() != Some("operators")
            {
                out.push(n);
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    out
}

/// `is not`, `==`, ...: the text between two operands, spaces normalised.
fn operator_between(left: Node<'_>, right: Node<'_>, source: &str) -> String {
    source
        .get(left.end_byte()..right.start_byte())
        .unwrap_or("")
        .split_whitespace()
        .filter(|w| !w.starts_with('#') && *w != ")" && *w != "(")
        .collect::<Vec<_>>()
        .join(" ")
}

/// A literal that is never `None`.
fn is_non_none_literal(node: Node<'_>) -> bool {
    matches!(
        pyast::unparenthesize(node).kind_str(),
        "integer"
            | "float"
            | "string"
            | "concatenated_string"
            | "true"
            | "false"
            | "tuple"
            | "list"
            | "set"
            | "dictionary"
            | "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression"
            | "lambda"
            | "ellipsis"
    )
}

/// `call` is the call being visited (its callee is `cx.call_function()`).
fn check_unittest_call(call: Node<'_>, cx: &mut Cx<'_>) {
    let Some(function) = cx.call_function() else {
        return;
    };
    if function.kind_str() != "attribute" {
        return;
    }
    let Some(method) = function
        .child_by_field_id(*fid::ATTRIBUTE)
        .map(|a| text(a, cx.source))
    else {
        return;
    };
    if !(method.starts_with("assert") || method.starts_with("fail")) {
        return;
    }
    let args = positional_args(call);
    let Some(&first) = args.first() else {
        return;
    };
    let shown_call = || shown(&flat(call, cx.source));
    let arg_text = |n: Node<'_>| shown(&flat(n, cx.source));
    let message = match method {
        "assertTrue" | "assert_" | "failUnless" => always_true(first, cx.source)
            .map(|why| format!("`{}` cannot fail: {why}", shown_call())),
        "assertFalse" | "failIf" => {
            (truthiness(pyast::unparenthesize(first), cx.source) == Some(false)).then(|| {
                format!(
                    "`{}` cannot fail: `{}` is always false",
                    shown_call(),
                    arg_text(first)
                )
            })
        }
        "assertIsNotNone" => is_non_none_literal(first).then(|| {
            format!(
                "`{}` cannot fail: the literal `{}` is never None",
                shown_call(),
                arg_text(first)
            )
        }),
        "assertIsNone" => (pyast::unparenthesize(first).kind_str() == "none")
            .then(|| format!("`{}` cannot fail", shown_call())),
        "assertIsInstance" => matches!(args.get(1),
            Some(class) if class.kind_str() == "identifier" && text(*class, cx.source) == "object")
        .then(|| format!("`{}` cannot fail: every value is an `object`", shown_call())),
        "assertGreaterEqual"
            if args.len() >= 2 && is_len_call(first, cx.source) && is_zero(args[1], cx.source) =>
        {
            Some(format!(
                "`{}` cannot fail: a length is never negative",
                shown_call()
            ))
        }
        "assertLessEqual"
            if args.len() >= 2 && is_zero(first, cx.source) && is_len_call(args[1], cx.source) =>
        {
            Some(format!(
                "`{}` cannot fail: a length is never negative",
                shown_call()
            ))
        }
        _ => None,
    };
    let message = message.or_else(|| {
        (EQUALITY_METHODS.binary_search(&method).is_ok()
            && args.len() >= 2
            && same_value(first, args[1], method == "assertIs", cx.source))
        .then(|| {
            format!(
                "`{}` compares `{}` with itself; it cannot fail",
                shown_call(),
                arg_text(first)
            )
        })
    });
    if let Some(message) = message {
        cx.report(call, message);
    }
}

/// unittest methods whose arguments are assertion conditions (not callables
/// expected to raise, like `assertRaises(E, lambda: a < a)`).
fn is_assertion_method(name: &str) -> bool {
    (name.starts_with("assert")
        && !name.starts_with("assertRaises")
        && !name.starts_with("assertWarns")
        && !name.starts_with("assertLogs")
        && !name.starts_with("assertNoLogs"))
        || name.starts_with("failUnless")
        || name.starts_with("failIf")
}

/// Is the node (whose ancestors these are) part of what an assertion checks:
/// the condition of an `assert`, or an argument of a unittest `assert*` call?
fn in_assertion(node: Node<'_>, ancestors: &[Node<'_>], source: &str) -> bool {
    let mut child = node;
    for (i, a) in ancestors.iter().enumerate().rev() {
        match a.kind_str() {
            "assert_statement" => {
                return first_expression(*a).is_some_and(|t| t.id() == child.id())
            }
            "argument_list" => {
                let is_assertion_call = i
                    .checked_sub(1)
                    .map(|p| ancestors[p])
                    .filter(|call| call.kind_str() == "call")
                    .and_then(|call| call.child_by_field_id(*fid::FUNCTION))
                    .filter(|f| f.kind_str() == "attribute")
                    .and_then(|f| f.child_by_field_id(*fid::ATTRIBUTE))
                    .is_some_and(|m| is_assertion_method(text(m, source)));
                if is_assertion_call {
                    return true;
                }
            }
            "block"
            | "module"
            | "lambda"
            | "function_definition"
            | "class_definition"
            | "expression_statement" => return false,
            _ => {}
        }
        child = *a;
    }
    false
}

fn check_self_comparison(node: Node<'_>, cx: &mut Cx<'_>) {
    let operands = operands(node);
    for pair in operands.windows(2) {
        let (left, right) = (pair[0], pair[1]);
        // Cheap filter before the structural comparison.
        if left.kind_str() != right.kind_str()
            || left.byte_range().len() != right.byte_range().len()
        {
            continue;
        }
        let op = operator_between(left, right, cx.source);
        let outcome = match op.as_str() {
            "==" | "is" | "<=" | ">=" => "always true",
            "!=" | "is not" | "<" | ">" => "always false",
            _ => continue,
        };
        let identity = op.starts_with("is");
        if !same_value(left, right, identity, cx.source)
            || !in_assertion(node, cx.ancestors, cx.source)
        {
            continue;
        }
        let shown_left = shown(&flat(left, cx.source));
        cx.report_span(
            left.start_byte()..right.end_byte(),
            format!(
                "`{shown_left} {op} {shown_left}` compares an expression with itself, so it is {outcome} whatever the code under test does"
            ),
        );
    }
}

/// Are the two expressions the same side-effect-free expression, token for token?
/// For an identity test (`is`, `assertIs`) only names, attributes, subscripts
/// and scalar literals qualify: two equal list displays or two calls of
/// `id(x)` are distinct objects.
pub fn same_value(a: Node<'_>, b: Node<'_>, identity: bool, source: &str) -> bool {
    let (a, b) = (pyast::unparenthesize(a), pyast::unparenthesize(b));
    if a.kind_str() != b.kind_str() || !is_pure(a, identity, source) {
        return false;
    }
    let mut left = leaves(a, source).into_iter();
    let mut right = leaves(b, source).into_iter();
    loop {
        match (left.next(), right.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

/// Names, attributes, subscripts, literals and a few pure builtins: evaluating
/// it twice gives the same value. Operators are left out (they call dunder
/// methods the test may be about).
fn is_pure(node: Node<'_>, identity: bool, source: &str) -> bool {
    let mut cursor = node.walk();
    loop {
        let n = cursor.node();
        if n.is_named() {
            let ok = match n.kind_str() {
                "identifier"
                | "attribute"
                | "subscript"
                | "slice"
                | "integer"
                | "float"
                | "string"
                | "string_start"
                | "string_content"
                | "string_end"
                | "escape_sequence"
                | "concatenated_string"
                | "true"
                | "false"
                | "none"
                | "ellipsis"
                | "unary_operator"
                | "parenthesized_expression"
                | "comment" => true,
                "tuple" | "list" | "set" | "dictionary" | "pair" => !identity,
                "argument_list" => !identity,
                "call" => {
                    !identity
                        && n.child_by_field_id(*fid::FUNCTION).is_some_and(|f| {
                            f.kind_str() == "identifier" && PURE_BUILTINS.contains(&text(f, source))
                        })
                }
                _ => false,
            };
            if !ok {
                return false;
            }
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node().id() == node.id() {
                return true;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return true;
            }
        }
    }
}

fn leaves<'s>(node: Node<'_>, source: &'s str) -> Vec<(u16, &'s str)> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    loop {
        let n = cursor.node();
        if n.child_count() == 0 && n.kind_str() != "comment" {
            out.push((n.kind_id(), text(n, source)));
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node().id() == node.id() {
                return out;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_table_is_sorted() {
        let mut sorted = EQUALITY_METHODS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, EQUALITY_METHODS);
    }
}
