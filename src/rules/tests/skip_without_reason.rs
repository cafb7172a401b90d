//! TST004: a skip or expected failure that does not say why.

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::python::ast::{self as pyast, fid};

use super::{positional_args, shown};
use crate::diagnostic::{Edit, Fix, Severity};
use crate::python::constant::truthiness;
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct SkipWithoutReason;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Helper {
    /// `pytest.mark.skip`: reason positional or `reason=`.
    MarkSkip,
    /// `pytest.mark.skipif` / `pytest.mark.xfail`: the positional is the condition.
    MarkConditional,
    /// `pytest.skip()` / `pytest.xfail()`: `reason=` or (older) `msg=`.
    PytestCall,
    /// `unittest.skip(reason)`, `self.skipTest(reason)`, `unittest.SkipTest(reason)`.
    FirstArgument,
    /// `unittest.skipIf(condition, reason)` / `skipUnless`.
    SecondArgument,
}

impl Rule for SkipWithoutReason {
    const META: RuleMeta = RuleMeta {
        code: "TST004",
        name: "skip-without-reason",
        family: Family::Tests,
        severity: Severity::Warning,
        fixable: true,
        summary: "Skipped or xfail test without a reason",
        help:
            "give the reason (`reason=\"...\"`): why the test is skipped and when it can run again",
        doc: include_str!("../../../rules/TST004.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &["call", "attribute", "decorator"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        if !super::in_test_code(cx) {
            return;
        }
        match node.kind_str() {
            "call" => check_call(node, cx),
            "attribute" => {
                // A call or a longer attribute chain is handled at that node.
                let handled_elsewhere = cx.parent().is_some_and(|p| {
                    (p.kind_str() == "call" && p.child_by_field_id(*fid::FUNCTION) == Some(node))
                        || p.kind_str() == "attribute"
                });
                if !handled_elsewhere {
                    let in_decorator = cx.parent().is_some_and(|p| p.kind_str() == "decorator");
                    check_bare(node, in_decorator, cx);
                }
            }
            _ => {
                // Only bare names here (`@skip`); attributes and calls are visited themselves.
                if let Some(expr) = node.named_child(0).filter(|e| e.kind_str() == "identifier") {
                    check_bare(expr, true, cx);
                }
            }
        }
    }
}

fn is_module(base: &str, module: &str, cx: &Cx<'_>) -> bool {
    cx.imports
        .iter()
        .any(|i| i.module_alias(module) == Some(base))
}

fn imported_from(local: &str, module: &str, names: &[&str], cx: &Cx<'_>) -> Option<Helper> {
    let name = names
        .iter()
        .find(|n| cx.imports.iter().any(|i| i.binds(module, n) == Some(local)))?;
    classify_name(module, name)
}

fn classify_name(module: &str, name: &str) -> Option<Helper> {
    match (module, name) {
        ("pytest", "skip" | "xfail") => Some(Helper::PytestCall),
        ("unittest", "skip" | "SkipTest") => Some(Helper::FirstArgument),
        ("unittest", "skipIf" | "skipUnless") => Some(Helper::SecondArgument),
        _ => None,
    }
}

/// What skip helper `callee` (a name or attribute) refers to.
fn classify(callee: Node<'_>, cx: &Cx<'_>) -> Option<Helper> {
    match callee.kind_str() {
        "identifier" => {
            let name = cx.text(callee);
            imported_from(name, "pytest", &["skip", "xfail"], cx).or_else(|| {
                imported_from(
                    name,
                    "unittest",
                    &["skip", "skipIf", "skipUnless", "SkipTest"],
                    cx,
                )
            })
        }
        "attribute" => {
            let attr = cx.text(callee.child_by_field_id(*fid::ATTRIBUTE)?);
            if !matches!(
                attr,
                "skip" | "skipif" | "xfail" | "skipIf" | "skipUnless" | "skipTest" | "SkipTest"
            ) {
                return None;
            }
            if attr == "skipTest" {
                return Some(Helper::FirstArgument);
            }
            let object = callee.child_by_field_id(*fid::OBJECT)?;
            let is_mark = match object.kind_str() {
                "attribute" => {
                    object
                        .child_by_field_id(*fid::ATTRIBUTE)
                        .is_some_and(|a| cx.text(a) == "mark")
                        && object
                            .child_by_field_id(*fid::OBJECT)
                            .is_some_and(|o| is_module(cx.text(o), "pytest", cx))
                }
                "identifier" => cx
                    .imports
                    .iter()
                    .any(|i| i.binds("pytest", "mark") == Some(cx.text(object))),
                _ => false,
            };
            if is_mark {
                return match attr {
                    "skip" => Some(Helper::MarkSkip),
                    "skipif" | "xfail" => Some(Helper::MarkConditional),
                    _ => None,
                };
            }
            if object.kind_str() != "identifier" {
                return None;
            }
            let base = cx.text(object);
            if is_module(base, "pytest", cx) {
                classify_name("pytest", attr)
            } else if is_module(base, "unittest", cx) {
                classify_name("unittest", attr)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// A reason that says something: anything but an empty string, `None`, `False`.
fn says_something(node: Node<'_>, cx: &Cx<'_>) -> bool {
    truthiness(pyast::unparenthesize(node), cx.source) != Some(false)
}

fn has_splat(call: Node<'_>) -> bool {
    call.child_by_field_id(*fid::ARGUMENTS).is_some_and(|args| {
        let mut cursor = args.walk();
        let found = args
            .named_children(&mut cursor)
            .any(|a| matches!(a.kind_str(), "list_splat" | "dictionary_splat"));
        found
    })
}

/// `call` is the call being visited (its callee is `cx.call_function()`).
fn check_call(call: Node<'_>, cx: &mut Cx<'_>) {
    let Some(function) = cx.call_function() else {
        return;
    };
    let Some(kind) = classify(function, cx) else {
        return;
    };
    if has_splat(call) {
        return;
    }
    let positional = positional_args(call);
    let keyword = |name: &str| pyast::call_keyword(call, name, cx.source);
    let reason = match kind {
        Helper::MarkSkip | Helper::FirstArgument => {
            keyword("reason").or_else(|| positional.first().copied())
        }
        Helper::MarkConditional => keyword("reason"),
        Helper::PytestCall => keyword("reason")
            .or_else(|| keyword("msg"))
            .or_else(|| positional.first().copied()),
        Helper::SecondArgument => keyword("reason").or_else(|| positional.get(1).copied()),
    };
    if reason.is_some_and(|r| says_something(r, cx)) {
        return;
    }
    let what = shown(cx.text(function));
    let message = match (kind, reason) {
        (_, Some(_)) => format!("`{what}(...)` with an empty reason; say why the test is skipped"),
        (Helper::MarkConditional, None) => {
            format!("`{what}(...)` without `reason=`; say why and when the test can run again")
        }
        _ => format!("`{what}(...)` without a reason; say why and when the test can run again"),
    };
    let fix = call_fix(call, kind, reason, cx);
    cx.report_fix(call.byte_range(), message, fix);
}

/// The placeholder the (unsafe) fix writes: a human must still say why.
const TODO_REASON: &str = "\"TODO: explain\"";

/// TST004's fix for a call: the empty reason replaced, or a reason added
/// (`reason=` where the helper takes it, else positional). Unsafe: the
/// placeholder is not a reason yet.
fn call_fix(call: Node<'_>, kind: Helper, reason: Option<Node<'_>>, cx: &Cx<'_>) -> Option<Fix> {
    if let Some(empty) = reason {
        return Some(Fix::unsafe_edits(vec![Edit {
            range: empty.byte_range(),
            content: TODO_REASON.to_owned(),
        }]));
    }
    let args = call.child_by_field_id(*fid::ARGUMENTS)?;
    if args.kind_str() != "argument_list" {
        return None;
    }
    let mut cursor = args.walk();
    let last = args
        .named_children(&mut cursor)
        .filter(|n| n.kind_str() != "comment")
        .last();
    // `unittest.SkipTest("...")` takes no keyword; `skip(reason)` either way.
    let text = match kind {
        Helper::FirstArgument if last.is_none() => TODO_REASON.to_owned(),
        _ => format!("reason={TODO_REASON}"),
    };
    let edit = match last {
        Some(last) => Edit {
            range: last.end_byte()..last.end_byte(),
            content: format!(", {text}"),
        },
        None => {
            let close = args.end_byte().checked_sub(1)?;
            if cx.source.as_bytes().get(close) != Some(&b')') {
                return None;
            }
            Edit {
                range: close..close,
                content: text,
            }
        }
    };
    Some(Fix::unsafe_edits(vec![edit]))
}

/// `@pytest.mark.skip`, `marks=pytest.mark.xfail`, `@unittest.skip`, `@skip`: no arguments at all.
/// pytest marks are markers wherever they appear; unittest's helpers are
/// plain functions (`table = [unittest.skipIf]`) unless used as a decorator.
fn check_bare(expr: Node<'_>, in_decorator: bool, cx: &mut Cx<'_>) {
    let Some(kind) = classify(expr, cx) else {
        return;
    };
    let is_marker = match kind {
        Helper::MarkSkip | Helper::MarkConditional => true,
        Helper::FirstArgument | Helper::SecondArgument => in_decorator,
        Helper::PytestCall => false,
    };
    if !is_marker {
        return;
    }
    let name = cx.text(expr);
    // `unittest.SkipTest` and `self.skipTest` are not markers; without a call
    // there is nothing to check.
    if name.ends_with("SkipTest") || name.ends_with("skipTest") {
        return;
    }
    // A marker gets its reason in a call; `skipIf` without its condition cannot be completed.
    let fix = match kind {
        Helper::MarkSkip | Helper::MarkConditional => Some(format!("(reason={TODO_REASON})")),
        Helper::FirstArgument => Some(format!("({TODO_REASON})")),
        _ => None,
    }
    .map(|content| {
        Fix::unsafe_edits(vec![Edit {
            range: expr.end_byte()..expr.end_byte(),
            content,
        }])
    });
    cx.report_fix(
        expr.byte_range(),
        format!(
            "`{}` without a reason; say why and when the test can run again",
            shown(name)
        ),
        fix,
    );
}
