//! TST003: a test that checks nothing.
//!
//! Every function of a test module is recorded with whether it checks
//! something directly (an `assert`, a `raise`, a check call) and which names it
//! calls; in `finish`, checking propagates from helpers of the same file to
//! their callers, and the tests that still check nothing are reported.

use std::collections::HashSet;
use std::ops::Range;

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::python::ast::{self as pyast, fid};

use super::{decorator_name, decorators, Collector};
use crate::diagnostic::Severity;
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct TestWithoutAssertion {
    collector: Collector,
    /// Computed on the first visit: is this file a test module?
    active: Option<bool>,
    functions: Vec<Function>,
    /// Functions around the current node, innermost last: (end byte, index).
    /// Kept from visit order so no visit scans the ancestors (deep nesting
    /// would make that quadratic).
    open: Vec<(usize, usize)>,
}

struct Function {
    name: Range<usize>,
    checks: bool,
    /// Byte ranges of the names this function calls (nested functions keep their own).
    callees: Vec<Range<usize>>,
    /// The enclosing function, whose checks include this one's.
    parent: Option<usize>,
    /// Set for tests: where to report.
    test: Option<Range<usize>>,
    /// Its docstring or a comment in its body says that not raising is the
    /// check (`# Should not raise`, `"""... fails gracefully."""`).
    states_no_raise: bool,
    /// It returns a value (`return dataset`, `-> Dataset`): a helper named
    /// like a test (`await self.test_dataset()`), not a test of its own.
    returns_value: bool,
}

/// pytest helpers that are checks (or end the test explicitly) by themselves.
const PYTEST_CHECKS: &[&str] = &[
    "approx",
    "deprecated_call",
    "fail",
    "importorskip",
    "raises",
    "skip",
    "warns",
    "xfail",
];

impl Rule for TestWithoutAssertion {
    const META: RuleMeta = RuleMeta {
        code: "TST003",
        name: "test-without-assertion",
        family: Family::Tests,
        severity: Severity::Blocker,
        fixable: false,
        summary: "Test that checks nothing: no assert, no pytest.raises, no assert*/check* call",
        help: "assert on the outcome (return value, response, state change, raised exception); a test that only runs code passes whatever it returns",
        doc: include_str!("../../../rules/TST003.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &[
        "class_definition",
        "function_definition",
        "assert_statement",
        "raise_statement",
        "return_statement",
        "call",
        "assignment",
        "comment",
    ];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        let active = *self.active.get_or_insert_with(|| {
            super::in_test_code(cx) && cx.options.project.tests.is_test_module(&cx.file.rel)
        });
        if !active {
            return;
        }
        let start = node.start_byte();
        while self.open.last().is_some_and(|&(end, _)| end <= start) {
            self.open.pop();
        }
        let innermost = self.open.last().map(|&(_, i)| i);
        match node.kind_str() {
            "class_definition" => self.collector.visit_class(node, cx),
            "function_definition" => {
                let is_test = self.collector.is_test(node, cx)
                    && !decorators(cx.ancestors).any(|d| {
                        matches!(decorator_name(d, cx.source), "xfail" | "expectedFailure")
                    })
                    && !has_doctest(node, cx);
                let name = node.child_by_field_id(*fid::NAME);
                let mut checks = false;
                let mut callees = Vec::new();
                // A decorator may turn the function into a check
                // (`@jump_test(1, 2, [3])` runs it and compares the trace).
                for d in decorators(cx.ancestors) {
                    let d_name = decorator_name(d, cx.source);
                    if is_check_name(d_name, cx) {
                        checks = true;
                    } else if let Some(range) = decorator_name_range(d) {
                        callees.push(range);
                    }
                }
                self.open.push((node.end_byte(), self.functions.len()));
                self.functions.push(Function {
                    name: name.map_or(0..0, |n| n.byte_range()),
                    checks,
                    callees,
                    parent: innermost,
                    test: name.filter(|_| is_test).map(|n| n.byte_range()),
                    states_no_raise: is_test
                        && docstring(node, cx).is_some_and(|d| states_no_raise(d, cx)),
                    returns_value: node
                        .child_by_field_id(*fid::RETURN_TYPE)
                        .is_some_and(|t| !matches!(cx.text(t), "None" | "NoReturn" | "Never")),
                });
            }
            // `return x` (a value, not `None`): the function hands something back.
            "return_statement" => {
                let value = node.named_child(0).filter(|v| v.kind_str() != "none");
                if let (Some(f), Some(_)) = (innermost, value) {
                    self.functions[f].returns_value = true;
                }
            }
            "comment" => {
                if let Some(f) = innermost {
                    if self.functions[f].test.is_some() && states_no_raise(cx.text(node), cx) {
                        self.functions[f].states_no_raise = true;
                    }
                }
            }
            // `eq = self.assertEqual`, then `eq(a, b)`.
            "assignment" => {
                let aliases_check = cx
                    .assignment_right()
                    .and_then(|r| pyast::last_name(r, cx.source))
                    .is_some_and(|n| is_check_name(n, cx));
                if aliases_check {
                    self.mark_checks(innermost);
                }
            }
            "call" => {
                let Some(name) = cx.callee_last_name() else {
                    return;
                };
                if is_check_call(node, name, cx) {
                    self.mark_checks(innermost);
                } else {
                    let range = cx
                        .call_function()
                        .and_then(name_node)
                        .map(|n| n.byte_range());
                    if let (Some(f), Some(range)) = (innermost, range) {
                        self.functions[f].callees.push(range);
                    }
                }
            }
            // An `assert` or a `raise` (the hand-written form of a failed check).
            _ => self.mark_checks(innermost),
        }
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        if self.functions.is_empty() {
            return;
        }
        // A nested function's checks are its enclosing function's too;
        // parents come first in walk order, so one backward pass suffices.
        for i in (0..self.functions.len()).rev() {
            if let (true, Some(p)) = (self.functions[i].checks, self.functions[i].parent) {
                self.functions[p].checks = true;
            }
        }
        let source = cx.source;
        let text = |r: &Range<usize>| source.get(r.clone()).unwrap_or("");
        let mut checking: HashSet<&str> = self
            .functions
            .iter()
            .filter(|f| f.checks)
            .map(|f| text(&f.name))
            .collect();
        // Propagate from helpers to callers and from nested functions to the
        // functions around them until nothing changes; each round marks at
        // least one more function, so this ends.
        loop {
            let mut changed = false;
            for i in 0..self.functions.len() {
                let f = &self.functions[i];
                if f.checks || !f.callees.iter().any(|c| checking.contains(text(c))) {
                    continue;
                }
                let mut at = Some(i);
                while let Some(j) = at {
                    if self.functions[j].checks {
                        break;
                    }
                    self.functions[j].checks = true;
                    checking.insert(text(&self.functions[j].name));
                    at = self.functions[j].parent;
                }
                changed = true;
            }
            if !changed {
                break;
            }
        }
        let tests = &cx.options.project.tests;
        for f in &self.functions {
            if let (Some(span), false) = (&f.test, f.checks) {
                // `test_config_with_groups_allowed`: not raising is the check.
                if f.states_no_raise || f.returns_value || tests.says_no_raise(text(&f.name)) {
                    continue;
                }
                cx.report_span(
                    span.clone(),
                    format!(
                        "test `{}` checks nothing: it has no assertion, so it passes whatever the code under test returns",
                        text(&f.name)
                    ),
                );
            }
        }
    }
}

impl TestWithoutAssertion {
    fn mark_checks(&mut self, innermost: Option<usize>) {
        if let Some(f) = innermost {
            self.functions[f].checks = true;
        }
    }
}

/// `assertEqual`, `assert_called_once`, `ndiffAssertEqual`, `fail`, `skipTest`,
/// and names with a configured helper prefix.
fn is_check_name(name: &str, cx: &Cx<'_>) -> bool {
    name.starts_with("failUnless")
        || name.starts_with("failIf")
        || name == "fail"
        || name == "skipTest"
        || contains_ignore_case(name, "assert")
        || cx.options.project.tests.is_assertion_helper(name)
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The docstring of a function: the string that is its first statement.
fn docstring<'s>(func: Node<'_>, cx: &Cx<'s>) -> Option<&'s str> {
    func.child_by_field_id(*fid::BODY)
        .and_then(|b| b.named_child(0))
        .filter(|s| s.kind_str() == "expression_statement")
        .and_then(|s| s.named_child(0))
        .filter(|s| s.kind_str() == "string")
        .map(|s| cx.text(s))
}

/// A test whose docstring holds doctest examples is checked by doctest.
fn has_doctest(func: Node<'_>, cx: &Cx<'_>) -> bool {
    docstring(func, cx).is_some_and(|d| d.contains(">>>"))
}

/// Phrases of a docstring or comment that say the test's check is that
/// nothing raises, matched as whole words.
const NO_RAISE_PHRASES: &[&str] = &[
    "not raise",
    "not raises",
    "n't raise",
    "never raise",
    "never raises",
    "not throw",
    "n't throw",
    "no error",
    "no errors",
    "no exception",
    "no exceptions",
    "without error",
    "without errors",
    "without raising",
    "without an error",
    "without an exception",
    "not fail",
    "n't fail",
    "fails gracefully",
    "fail gracefully",
    "handled gracefully",
    "handles gracefully",
    "no op",
    "noop",
    "not crash",
    "n't crash",
    "no crash",
];

/// Does `text` (a docstring or a comment) say that not raising is the
/// check? Off when the project empties `no-raise-words` ("report every test
/// without an explicit check").
fn states_no_raise(text: &str, cx: &Cx<'_>) -> bool {
    if cx.options.project.tests.no_raise_words.is_empty() {
        return false;
    }
    let mut words = String::with_capacity(text.len() + 2);
    words.push(' ');
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '\'' {
            words.push(c);
        } else if !words.ends_with(' ') {
            words.push(' ');
        }
    }
    words.push(' ');
    // `n't raise` ends a word (`doesn't`, `shouldn't`); the others start one.
    NO_RAISE_PHRASES.iter().any(|p| {
        words.match_indices(p).any(|(i, _)| {
            (p.starts_with("n't") || words[..i].ends_with(' '))
                && words[i + p.len()..].starts_with(' ')
        })
    })
}

/// The name node of `c` in `c`, `a.b.c`.
fn name_node(node: Node<'_>) -> Option<Node<'_>> {
    match node.kind_str() {
        "identifier" => Some(node),
        "attribute" => node.child_by_field_id(*fid::ATTRIBUTE),
        _ => None,
    }
}

fn decorator_name_range(expr: Node<'_>) -> Option<Range<usize>> {
    let target = if expr.kind_str() == "call" {
        expr.child_by_field_id(*fid::FUNCTION)?
    } else {
        expr
    };
    name_node(target).map(|n| n.byte_range())
}

/// `self.assertEqual(...)`, `m.assert_called_once()`, `self.fail(...)`,
/// `pytest.raises(...)`, `check_response(...)` and the configured helper prefixes.
fn is_check_call(call: Node<'_>, name: &str, cx: &Cx<'_>) -> bool {
    if is_check_name(name, cx) {
        return true;
    }
    if !PYTEST_CHECKS.contains(&name) {
        return false;
    }
    match call.child_by_field_id(*fid::FUNCTION) {
        Some(f) if f.kind_str() == "identifier" => true,
        Some(f) => f.child_by_field_id(*fid::OBJECT).is_some_and(|o| {
            let base = cx.text(o);
            base == "pytest"
                || cx
                    .imports
                    .iter()
                    .any(|i| i.module_alias("pytest") == Some(base))
        }),
        None => false,
    }
}
