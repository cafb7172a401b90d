//! TST005: asserting that a mock returns the value the test gave it.
//!
//! Per outermost function of a test file, in document order: every mock
//! return value the function configures is recorded under the call it answers
//! (`m.get.return_value = V` -> `m.get()`; `m = Mock(return_value=V)` -> `m()`),
//! names bound to such a call are recorded too (`r = m.get()` -> `r`), and an
//! equality assertion between such an expression and the configured value
//! itself is reported. Values configured on `self` in `setUp` carry over to
//! the test methods of the class.

use std::collections::HashMap;

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::python::ast::{self as pyast, fid};

use super::{decorators, flat, positional_args, shown};
use crate::diagnostic::Severity;
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct MockEchoAssertion {
    /// End byte of the outermost function being followed (0: none yet).
    /// Compared with each node's start instead of scanning the ancestors,
    /// which deep nesting would make quadratic.
    scope_end: usize,
    /// Class of that function, when it is a method.
    scope_class: Option<usize>,
    /// Whether that function is a `setUp`-like method.
    scope_is_setup: bool,
    /// Expression key (`m.get()`, `r`) -> what it evaluates to.
    values: HashMap<String, Configured>,
    /// Class start byte -> `self.*` values configured by its `setUp`.
    class_values: HashMap<usize, HashMap<String, Configured>>,
}

#[derive(Clone)]
struct Configured {
    /// Whitespace-normalised source of the value.
    value: String,
    /// Where it was configured (for the message).
    at: usize,
}

/// Calls that make a mock and accept `return_value=`.
const MOCK_FACTORIES: &[&str] = &[
    "AsyncMock",
    "MagicMock",
    "Mock",
    "NonCallableMagicMock",
    "NonCallableMock",
    "create_autospec",
    "patch",
];

const SETUP_METHODS: &[&str] = &["asyncSetUp", "setUp", "setup", "setup_method"];

const EQUALITY_METHODS: &[&str] = &[
    "assertAlmostEqual",
    "assertCountEqual",
    "assertDictEqual",
    "assertEqual",
    "assertEquals",
    "assertIs",
    "assertListEqual",
    "assertMultiLineEqual",
    "assertSequenceEqual",
    "assertSetEqual",
    "assertTupleEqual",
];

/// Attribute chains are followed at most this deep.
const MAX_CHAIN: usize = 32;

impl Rule for MockEchoAssertion {
    const META: RuleMeta = RuleMeta {
        code: "TST005",
        name: "mock-echo-assertion",
        family: Family::Tests,
        severity: Severity::Blocker,
        fixable: false,
        summary: "Assertion that a mock returns the value the test configured, without the code under test in between",
        help: "call the code under test with the mock and assert on its result or on how it used the mock",
        doc: include_str!("../../../rules/TST005.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &[
        "function_definition",
        "assignment",
        "with_item",
        "assert_statement",
        "call",
    ];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        if !super::in_test_code(cx) {
            return;
        }
        let inside = node.start_byte() < self.scope_end;
        if node.kind_str() == "function_definition" {
            if !inside {
                self.enter(node, cx);
            }
            return;
        }
        if !inside {
            return;
        }
        match node.kind_str() {
            "assignment" => self.assignment(node, cx),
            "with_item" => self.with_item(node, cx),
            "assert_statement" => {
                let test = {
                    let mut cursor = node.walk();
                    let first = node
                        .named_children(&mut cursor)
                        .find(|c| c.kind_str() != "comment");
                    first
                };
                let Some(test) = test.map(pyast::unparenthesize) else {
                    return;
                };
                if test.kind_str() != "comparison_operator" {
                    return;
                }
                let mut cursor = test.walk();
                let parts: Vec<Node<'_>> = test
                    .named_children(&mut cursor)
                    .filter(|c| c.kind_str() != "comment")
                    .collect();
                let [left, right] = parts.as_slice() else {
                    return;
                };
                let op = cx
                    .source
                    .get(left.end_byte()..right.start_byte())
                    .unwrap_or("")
                    .trim();
                if op == "==" || op == "is" {
                    self.check_pair(*left, *right, test, cx);
                }
            }
            _ => {
                let Some(function) = cx.call_function() else {
                    return;
                };
                if function.kind_str() != "attribute" {
                    return;
                }
                let is_equality = cx
                    .callee_last_name()
                    .is_some_and(|m| EQUALITY_METHODS.binary_search(&m).is_ok());
                if !is_equality {
                    return;
                }
                if let [first, second, ..] = positional_args(node).as_slice() {
                    self.check_pair(*first, *second, node, cx);
                }
            }
        }
    }
}

impl MockEchoAssertion {
    fn enter(&mut self, func: Node<'_>, cx: &Cx<'_>) {
        self.scope_end = func.end_byte();
        self.scope_class = cx
            .ancestors
            .iter()
            .rev()
            .find(|a| a.kind_str() == "class_definition")
            .map(|c| c.start_byte());
        let name = func
            .child_by_field_id(*fid::NAME)
            .map(|n| cx.text(n))
            .unwrap_or("");
        self.scope_is_setup = self.scope_class.is_some() && SETUP_METHODS.contains(&name);
        self.values = self
            .scope_class
            .filter(|_| !self.scope_is_setup)
            .and_then(|c| self.class_values.get(&c).cloned())
            .unwrap_or_default();
        // `@patch.object(Service, "get", return_value=V)`
        for d in decorators(cx.ancestors) {
            if d.kind_str() == "call" {
                if let Some((target, value)) = patched_object(d, cx) {
                    self.store(target, flat(value, cx.source), d.start_byte());
                }
            }
        }
    }

    fn store(&mut self, key: String, value: String, at: usize) {
        if self.scope_is_setup && key.starts_with("self.") {
            if let Some(class) = self.scope_class {
                self.class_values.entry(class).or_default().insert(
                    key.clone(),
                    Configured {
                        value: value.clone(),
                        at,
                    },
                );
            }
        }
        self.values.insert(key, Configured { value, at });
    }

    fn forget(&mut self, key: &str) {
        self.values.retain(|k, _| {
            !(k == key
                || k.strip_prefix(key)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('(')))
        });
    }

    fn assignment(&mut self, node: Node<'_>, cx: &Cx<'_>) {
        // The visited assignment's sides, read once by the walk.
        let Some((left, right)) = cx.assignment_left().zip(cx.assignment_right()) else {
            return;
        };
        let Some(left_key) = chain_key(left, cx.source) else {
            return;
        };
        let at = node.start_byte();
        // `m.get.return_value = V`
        if left.kind_str() == "attribute"
            && pyast::last_name(left, cx.source) == Some("return_value")
        {
            self.store(left_key, flat(right, cx.source), at);
            return;
        }
        let right_inner = pyast::unparenthesize(right);
        // An echo bound to a name: `r = m.get()`.
        let echoed = self.evaluate(right_inner, cx.source);
        self.forget(&left_key);
        if let Some(v) = echoed {
            if left.kind_str() == "identifier" {
                self.store(left_key, v.value, v.at);
            }
            return;
        }
        // `m = Mock(return_value=V)`, `m.get = AsyncMock(return_value=V)`,
        // `m = mocker.patch.object(Service, "get", return_value=V)`.
        if right_inner.kind_str() == "call" {
            if let Some(value) = mock_return_value(right_inner, cx) {
                self.store(format!("{left_key}()"), flat(value, cx.source), at);
                if let Some((target, value)) = patched_object(right_inner, cx) {
                    self.store(target, flat(value, cx.source), at);
                }
            }
        }
    }

    /// `with patch.object(Service, "get", return_value=V) as m:`
    fn with_item(&mut self, node: Node<'_>, cx: &Cx<'_>) {
        let Some(value) = node.child_by_field_id(*fid::VALUE) else {
            return;
        };
        let (call, alias) = if value.kind_str() == "as_pattern" {
            let call = value.named_child(0);
            let alias = value
                .child_by_field_id(*fid::ALIAS)
                .and_then(|a| a.named_child(0))
                .filter(|a| a.kind_str() == "identifier");
            (call, alias)
        } else {
            (Some(value), None)
        };
        let Some(call) = call.filter(|c| c.kind_str() == "call") else {
            return;
        };
        let Some(returned) = mock_return_value(call, cx) else {
            return;
        };
        let at = call.start_byte();
        if let Some(alias) = alias {
            let key = cx.text(alias).to_owned();
            self.forget(&key);
            self.store(format!("{key}()"), flat(returned, cx.source), at);
        }
        if let Some((target, value)) = patched_object(call, cx) {
            self.store(target, flat(value, cx.source), at);
        }
    }

    /// What an expression evaluates to when it only reads configured values:
    /// `m.get()` -> `V`, `m.get().id` -> `V.id`, `r["k"]` -> `V["k"]`.
    fn evaluate(&self, node: Node<'_>, source: &str) -> Option<Configured> {
        let mut current = node;
        let mut suffix: Vec<String> = Vec::new();
        for _ in 0..MAX_CHAIN {
            current = strip(current);
            if let Some(found) = chain_key(current, source).and_then(|k| self.values.get(&k)) {
                let mut value = found.value.clone();
                for s in suffix.iter().rev() {
                    value.push_str(s);
                }
                return Some(Configured {
                    value,
                    at: found.at,
                });
            }
            match current.kind_str() {
                "attribute" => {
                    let attr = current.child_by_field_id(*fid::ATTRIBUTE)?;
                    suffix.push(format!(".{}", source.get(attr.byte_range())?));
                    current = current.child_by_field_id(*fid::OBJECT)?;
                }
                "subscript" => {
                    let value = current.child_by_field_id(*fid::VALUE)?;
                    let index = source.get(value.end_byte()..current.end_byte())?;
                    suffix.push(index.split_whitespace().collect::<Vec<_>>().join(""));
                    current = value;
                }
                _ => return None,
            }
        }
        None
    }

    fn check_pair(&self, a: Node<'_>, b: Node<'_>, at: Node<'_>, cx: &mut Cx<'_>) {
        if self.values.is_empty() {
            return;
        }
        for (echo, expected) in [(a, b), (b, a)] {
            let Some(found) = self.evaluate(echo, cx.source) else {
                continue;
            };
            let expected_text = flat(pyast::unparenthesize(expected), cx.source);
            if same_text(&found.value, &expected_text) {
                let line = cx.source[..found.at.min(cx.source.len())]
                    .bytes()
                    .filter(|&c| c == b'\n')
                    .count()
                    + 1;
                cx.report(
                    at,
                    format!(
                        "`{}` is the mock's own return value, configured on line {line} (`{}`); the assertion checks the mock, not the code under test",
                        shown(&flat(echo, cx.source)),
                        shown(&expected_text)
                    ),
                );
                return;
            }
        }
    }
}

fn same_text(a: &str, b: &str) -> bool {
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    a == b || squash(a) == squash(b)
}

/// Skips `await` and parentheses.
fn strip(mut node: Node<'_>) -> Node<'_> {
    loop {
        let next = match node.kind_str() {
            "parenthesized_expression" => pyast::unparenthesize(node),
            "await" => match node.named_child(0) {
                Some(inner) => inner,
                None => return node,
            },
            _ => return node,
        };
        if next.id() == node.id() {
            return node;
        }
        node = next;
    }
}

/// Key of the value an expression denotes: `m.get(1)` and
/// `m.get.return_value` -> `m.get()`; `await m.x()` -> `m.x()`.
fn chain_key(node: Node<'_>, source: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut current = strip(node);
    for _ in 0..MAX_CHAIN {
        match current.kind_str() {
            "identifier" => {
                let mut key = source.get(current.byte_range())?.to_owned();
                for p in parts.iter().rev() {
                    key.push_str(p);
                }
                return Some(key);
            }
            "attribute" => {
                let attr = source.get(current.child_by_field_id(*fid::ATTRIBUTE)?.byte_range())?;
                parts.push(if attr == "return_value" {
                    "()".to_owned()
                } else {
                    format!(".{attr}")
                });
                current = strip(current.child_by_field_id(*fid::OBJECT)?);
            }
            "call" => {
                parts.push("()".to_owned());
                current = strip(current.child_by_field_id(*fid::FUNCTION)?);
            }
            _ => return None,
        }
    }
    None
}

/// `return_value=` of a call that makes a mock.
fn mock_return_value<'t>(call: Node<'t>, cx: &Cx<'_>) -> Option<Node<'t>> {
    let function = call.child_by_field_id(*fid::FUNCTION)?;
    let name = pyast::last_name(function, cx.source)?;
    let is_factory = MOCK_FACTORIES.contains(&name) || is_patch_object(function, cx);
    if !is_factory {
        return None;
    }
    pyast::call_keyword(call, "return_value", cx.source)
}

/// `patch.object` / `mocker.patch.object`.
fn is_patch_object(function: Node<'_>, cx: &Cx<'_>) -> bool {
    function.kind_str() == "attribute"
        && pyast::last_name(function, cx.source) == Some("object")
        && function
            .child_by_field_id(*fid::OBJECT)
            .and_then(|o| pyast::last_name(o, cx.source))
            == Some("patch")
}

/// `patch.object(Service, "get", return_value=V)`: the key `Service.get()` and `V`.
fn patched_object<'t>(call: Node<'t>, cx: &Cx<'_>) -> Option<(String, Node<'t>)> {
    let function = call.child_by_field_id(*fid::FUNCTION)?;
    if !is_patch_object(function, cx) {
        return None;
    }
    let value = pyast::call_keyword(call, "return_value", cx.source)?;
    let args = positional_args(call);
    let target = chain_key(*args.first()?, cx.source)?;
    let attribute = args.get(1)?;
    let name = cx.text(*attribute);
    let name = name
        .strip_prefix(['"', '\''])
        .and_then(|n| n.strip_suffix(['"', '\'']))?;
    if !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    Some((format!("{target}.{name}()"), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted() {
        for table in [MOCK_FACTORIES, SETUP_METHODS, EQUALITY_METHODS] {
            let mut sorted = table.to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, table);
        }
    }
}
