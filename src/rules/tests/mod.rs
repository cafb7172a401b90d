//! Test-quality rules (TST) and what they share: which functions are tests.
//!
//! A test, as pytest and unittest collect it: in a test module
//! (`settings.tests.is_test_module`), a function whose name matches
//! `python-functions`, defined at module level or directly in a test class,
//! and not a fixture. A test class matches `python-classes` and defines no
//! `__init__`/`__new__`, or subclasses `unittest.TestCase` (any base whose
//! name ends in `TestCase`, or a class of the same file that does).

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::python::ast::{self as pyast, fid};

use crate::rules::context::Cx;

pub mod failing_test;
pub mod mock_echo_assertion;
pub mod patched_db_in_api_test;
pub mod skip_without_reason;
pub mod tautological_assertion;
pub mod test_name_format;
pub mod test_without_assertion;

/// Is the visited file test code the TST rules look at (not a migration)?
pub fn in_test_code(cx: &Cx<'_>) -> bool {
    cx.file.is_test && !cx.migration
}

/// Finds the tests of one file. Feed it every `class_definition` (in walk
/// order, before their methods) and ask about `function_definition`s.
#[derive(Default)]
pub struct Collector {
    /// Classes of this file that subclass `unittest.TestCase`, by name.
    testcase_classes: HashSet<String>,
    /// Class node start byte -> is the class collected.
    test_classes: HashMap<usize, bool>,
}

impl Collector {
    pub fn visit_class(&mut self, class: Node<'_>, cx: &Cx<'_>) {
        let name = class
            .child_by_field_id(*fid::NAME)
            .map(|n| cx.text(n))
            .unwrap_or("");
        let mut is_testcase = false;
        if let Some(bases) = class.child_by_field_id(*fid::SUPERCLASSES) {
            let mut cursor = bases.walk();
            for base in bases.named_children(&mut cursor) {
                let base_name = match base.kind_str() {
                    "identifier" => cx.text(base),
                    "attribute" => base
                        .child_by_field_id(*fid::ATTRIBUTE)
                        .map(|a| cx.text(a))
                        .unwrap_or(""),
                    _ => continue,
                };
                if base_name.ends_with("TestCase")
                    || (base.kind_str() == "identifier"
                        && self.testcase_classes.contains(base_name))
                {
                    is_testcase = true;
                }
            }
        }
        if is_testcase {
            self.testcase_classes.insert(name.to_owned());
        }
        let collected = match enclosing_scope(cx.ancestors) {
            Scope::Module => true,
            Scope::Class(outer) => self.test_classes.get(&outer.start_byte()) == Some(&true),
            Scope::Function => false,
        } && !opts_out(class, cx)
            && (is_testcase
                || (cx.options.project.tests.is_test_class_name(name)
                    && !has_constructor(class, cx)));
        self.test_classes.insert(class.start_byte(), collected);
    }

    /// Is `func` (being visited, so `cx.ancestors` are its ancestors) a test?
    pub fn is_test(&self, func: Node<'_>, cx: &Cx<'_>) -> bool {
        if !in_test_code(cx) || !cx.options.project.tests.is_test_module(&cx.file.rel) {
            return false;
        }
        let Some(name) = func.child_by_field_id(*fid::NAME) else {
            return false;
        };
        if !cx
            .options
            .project
            .tests
            .is_test_function_name(cx.text(name))
        {
            return false;
        }
        let in_test_scope = match enclosing_scope(cx.ancestors) {
            Scope::Module => true,
            Scope::Class(class) => self.test_classes.get(&class.start_byte()) == Some(&true),
            Scope::Function => false,
        };
        in_test_scope
            && !decorators(cx.ancestors)
                .any(|d| matches!(decorator_name(d, cx.source), "fixture" | "yield_fixture"))
    }
}

enum Scope<'t> {
    Module,
    Class(Node<'t>),
    Function,
}

/// The innermost function or class around the node whose ancestors these are.
fn enclosing_scope<'t>(ancestors: &[Node<'t>]) -> Scope<'t> {
    for a in ancestors.iter().rev() {
        match a.kind_str() {
            "class_definition" => return Scope::Class(*a),
            "function_definition" | "lambda" => return Scope::Function,
            _ => {}
        }
    }
    Scope::Module
}

/// pytest does not collect a class with a constructor.
fn has_constructor(class: Node<'_>, cx: &Cx<'_>) -> bool {
    body_statements(class).any(|s| {
        let def = if s.kind_str() == "decorated_definition" {
            s.child_by_field_id(*fid::DEFINITION)
        } else {
            Some(s)
        };
        def.filter(|d| d.kind_str() == "function_definition")
            .and_then(|d| d.child_by_field_id(*fid::NAME))
            .is_some_and(|n| matches!(cx.text(n), "__init__" | "__new__"))
    })
}

/// `__test__ = False` in the class body turns collection off.
fn opts_out(class: Node<'_>, cx: &Cx<'_>) -> bool {
    body_statements(class).any(|s| {
        s.kind_str() == "expression_statement"
            && s.named_child(0).is_some_and(|a| {
                a.kind_str() == "assignment"
                    && a.child_by_field_id(*fid::LEFT)
                        .is_some_and(|l| cx.text(l) == "__test__")
                    && a.child_by_field_id(*fid::RIGHT)
                        .is_some_and(|r| r.kind_str() == "false")
            })
    })
}

fn body_statements<'t>(def: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    let body = def.child_by_field_id(*fid::BODY);
    let count = body.map_or(0, |b| b.named_child_count());
    (0..count).filter_map(move |i| body.and_then(|b| b.named_child(i as u32)))
}

/// Decorator expressions of the definition whose ancestors these are
/// (the definition's parent is the `decorated_definition`).
pub fn decorators<'t>(ancestors: &[Node<'t>]) -> impl Iterator<Item = Node<'t>> {
    let parent = ancestors
        .last()
        .copied()
        .filter(|p| p.kind_str() == "decorated_definition");
    let count = parent.map_or(0, |p| p.named_child_count());
    (0..count)
        .filter_map(move |i| parent.and_then(|p| p.named_child(i as u32)))
        .filter(|d| d.kind_str() == "decorator")
        .filter_map(|d| d.named_child(0))
}

/// Last name of a decorator: `fixture` for `@pytest.fixture(scope="module")`.
pub fn decorator_name<'s>(expr: Node<'_>, source: &'s str) -> &'s str {
    let target = if expr.kind_str() == "call" {
        expr.child_by_field_id(*fid::FUNCTION).unwrap_or(expr)
    } else {
        expr
    };
    pyast::last_name(target, source).unwrap_or("")
}

/// Positional (non-keyword) arguments of a call.
pub fn positional_args<'t>(call: Node<'t>) -> Vec<Node<'t>> {
    let Some(args) = call.child_by_field_id(*fid::ARGUMENTS) else {
        return Vec::new();
    };
    let mut out = pyast::named_children_of(args);
    out.retain(|a| !matches!(a.kind_str(), "keyword_argument" | "comment"));
    out
}

/// Whitespace-normalised source text of a node, for messages and comparisons.
pub fn flat(node: Node<'_>, source: &str) -> String {
    let text = source.get(node.byte_range()).unwrap_or("");
    if text.contains(['\n', '\r', '\t']) || text.contains("  ") {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        text.to_owned()
    }
}

/// Shortened for a message.
pub fn shown(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    }
}
