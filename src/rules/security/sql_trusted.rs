//! SEC001/SEC008's evaluator, pieces the code makes trusted although they
//! are not literals: a name checked against a constant allowlist (or
//! compared with a number) just before it is used, a loop or comprehension
//! variable over a constant collection, an identifier quoted by the
//! dialect's preparer, a character-class sanitiser, ORM table metadata, an
//! `Enum` member's value, and a `self.x` whose every assignment is trusted.
//! Each is a fact of the code read through the semantic model, never a name
//! list of one project.

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast::{self as pyast, fid};
use crate::python::descent::{ancestors_of, named_children_before};
use crate::python::semantic::BindingKind;

use super::sql_value::{Env, Value, Values};

/// Methods of SQLAlchemy's `IdentifierPreparer` that return a quoted
/// identifier whatever the receiver is called.
const QUOTING_METHODS: &[&str] = &[
    "format_table",
    "format_column",
    "format_schema",
    "format_table_seq",
    "quote_identifier",
    "quote_schema",
];

/// String methods that hold only when the text is a word or a number.
const WORD_CHECKS: &[&str] = &[
    "isidentifier",
    "isalnum",
    "isalpha",
    "isdigit",
    "isdecimal",
    "isnumeric",
];

/// Statements after which the code below an `if` does not run.
const EXITS: &[&str] = &[
    "raise_statement",
    "return_statement",
    "continue_statement",
    "break_statement",
];

impl Values {
    /// An identifier whose value the bindings do not make constant, trusted
    /// all the same: a comprehension or loop variable over a constant
    /// collection, or a name checked just before the use.
    pub(super) fn trusted_name(&self, env: Env<'_, '_>, name: Node<'_>, depth: usize) -> bool {
        let model = env.model;
        let text = pyast::text(name, env.source);
        let at = name.start_byte();
        // `for name in names:` around the use, `names` constant.
        if let Some(id) = model.lookup_id(env.scope, text, at) {
            if let BindingKind::For { iterable } = model.binding(id).kind {
                let around = iterable.parent().is_some_and(|f| {
                    f.kind_str() == "for_statement" && f.byte_range().contains(&at)
                });
                if around && self.eval(iterable, env, depth + 1).constant {
                    return true;
                }
            }
        }
        self.guarded(env, name)
    }

    /// A comprehension's own variable (`name` in `f"..{name}" for name in
    /// names`): constant when the collection it runs over is. Read from the
    /// syntax, since a rule may evaluate the comprehension before the
    /// semantic model has opened its scope; `None` for other names.
    pub(super) fn comprehension_variable(
        &self,
        env: Env<'_, '_>,
        name: Node<'_>,
        depth: usize,
    ) -> Option<Value> {
        let iterable = comprehension_iterable(env.model.root(), name, env.source)?;
        Some(if self.eval(iterable, env, depth + 1).constant {
            Value::constant(false)
        } else {
            Value::default()
        })
    }

    /// `X.__table__.name`, `table.name`, `Mode.FAST.value`, `self.x` whose
    /// every assignment in the class is trusted, or an attribute checked
    /// just before the use.
    pub(super) fn trusted_attribute(&self, env: Env<'_, '_>, node: Node<'_>, depth: usize) -> bool {
        let source = env.source;
        let (Some(object), Some(attr)) = (
            node.child_by_field_id(*fid::OBJECT),
            node.child_by_field_id(*fid::ATTRIBUTE),
        ) else {
            return false;
        };
        let attr = pyast::text(attr, source);
        let object_last = match object.kind_str() {
            "attribute" => object
                .child_by_field_id(*fid::ATTRIBUTE)
                .map_or("", |a| pyast::text(a, source)),
            "identifier" => pyast::text(object, source),
            _ => "",
        };
        // ORM table metadata: `Model.__table__.name`, `table.name`, `self.table.fullname`.
        let table_like =
            object_last == "__table__" || object_last == "table" || object_last.ends_with("_table");
        if matches!(attr, "name" | "fullname") && table_like {
            return true;
        }
        // An Enum member's value or name: `Mode.FAST.value`.
        if matches!(attr, "value" | "name")
            && object.kind_str() == "attribute"
            && pyast::is_constant_name(object_last)
        {
            return true;
        }
        if object.kind_str() == "identifier" && self.trusted_member(env, object, attr, depth) {
            return true;
        }
        self.guarded(env, node)
    }

    /// `receiver.attr` in a method: every binding of `attr` in the class
    /// (class attributes and `self.attr = ...` in any method) is an
    /// assignment whose value is constant where it is made, or is checked
    /// right after it in the same block (`self.mode = mode.lower()` then
    /// `if self.mode not in MODES: raise`).
    fn trusted_member(
        &self,
        env: Env<'_, '_>,
        receiver: Node<'_>,
        attr: &str,
        depth: usize,
    ) -> bool {
        let model = env.model;
        let Some(method) = model.function_of(env.scope) else {
            return false;
        };
        if model.scope(method).receiver != Some(pyast::text(receiver, env.source)) {
            return false;
        }
        let Some(class) = model.class_of_method(method) else {
            return false;
        };
        let ids: Vec<_> = model.bindings_before(class, attr, usize::MAX).collect();
        if ids.is_empty() {
            return false;
        }
        ids.into_iter().all(|id| {
            let binding = model.binding(id);
            let BindingKind::Assignment {
                value: Some(value),
                unpacked: false,
                ..
            } = binding.kind
            else {
                return false;
            };
            let inner = Env {
                scope: model.scope_containing(value.start_byte()),
                assume: None,
                ..env
            };
            if self.eval(value, inner, depth + 1).constant {
                return true;
            }
            // The target as written (`self.mode`), checked after the assignment.
            let Some(target) = binding.name_node.parent() else {
                return false;
            };
            checked_after(target, env.source)
        })
    }

    /// `preparer.quote(x)`, `dialect.identifier_preparer.format_table(t)`,
    /// `re.sub(r"[^A-Za-z0-9_]", "", x)`: the call returns a quoted
    /// identifier or a word.
    pub(super) fn trusted_call(&self, node: Node<'_>, env: Env<'_, '_>) -> bool {
        let source = env.source;
        let Some((object, method)) = pyast::method_call(node) else {
            return false;
        };
        let method = pyast::text(method, source);
        if QUOTING_METHODS.contains(&method) {
            return true;
        }
        let receiver = pyast::dotted_name(object, source).unwrap_or_default();
        let receiver = pyast::last_segment(&receiver).to_ascii_lowercase();
        if method == "quote" && receiver.contains("preparer") {
            return true;
        }
        if method == "sub" && receiver == "re" {
            let Some(args) = pyast::call_arguments(node) else {
                return false;
            };
            let pattern = pyast::positional_arg(args, 0)
                .filter(|p| pyast::is_constant_string(*p))
                .map(|p| pyast::string_text(p, source));
            let replacement = pyast::positional_arg(args, 1)
                .filter(|p| pyast::is_constant_string(*p))
                .map(|p| pyast::string_text(p, source));
            return match (pattern, replacement) {
                (Some(p), Some(r)) => keeps_only_word_chars(&p) && r.chars().all(is_word_char),
                _ => false,
            };
        }
        false
    }

    /// A comprehension or generator whose elements are constant: its body
    /// is (its variables over constant collections).
    pub(super) fn eval_comprehension(
        &self,
        node: Node<'_>,
        env: Env<'_, '_>,
        depth: usize,
    ) -> Value {
        match node.child_by_field_id(*fid::BODY) {
            Some(body) if self.eval(body, env, depth + 1).constant => Value::constant(false),
            _ => Value::default(),
        }
    }

    /// Is the name or attribute `subject` checked before this use in its
    /// function: inside `if x in ALLOWED:` (or `x.isidentifier()`, `x ==
    /// "a"`, `x > 0`), or after `if x not in ALLOWED: raise` (or `if x <= 0:
    /// return`, `if not x.isalnum(): continue`) in an enclosing block, with
    /// no other binding of the name in between?
    fn guarded(&self, env: Env<'_, '_>, subject: Node<'_>) -> bool {
        let source = env.source;
        let text = pyast::text(subject, source);
        let at = subject.start_byte();
        let same_binding = |n: Node<'_>| {
            subject.kind_str() != "identifier"
                || env.model.lookup_id(env.scope, text, n.start_byte())
                    == env.model.lookup_id(env.scope, text, at)
        };
        let is_constant = |c: Node<'_>| self.eval(c, env, 20).constant;
        // The chain of parents read in one descent (`Node::parent` descends
        // from the root on every call).
        let chain = ancestors_of(env.model.root(), subject);
        let mut child = subject;
        for &parent in chain.iter().rev() {
            match parent.kind_str() {
                "function_definition" | "lambda" | "class_definition" => return false,
                "if_statement" => {
                    let inside = parent
                        .child_by_field_id(*fid::CONSEQUENCE)
                        .is_some_and(|c| c.id() == child.id());
                    if inside
                        && parent.child_by_field_id(*fid::CONDITION).is_some_and(|c| {
                            holds(c, text, source, &is_constant) && same_binding(parent)
                        })
                    {
                        return true;
                    }
                }
                "block" | "module" => {
                    let exits = |s: Node<'_>| {
                        exits_unless(s, text, source, &is_constant) && same_binding(s)
                    };
                    // The statements before, in one pass over the block
                    // (`prev_named_sibling` looks up the parent each time).
                    if let Some(before) = named_children_before(parent, child) {
                        if before.into_iter().any(exits) {
                            return true;
                        }
                    } else {
                        let mut prev = child.prev_named_sibling();
                        while let Some(s) = prev {
                            if exits(s) {
                                return true;
                            }
                            prev = s.prev_named_sibling();
                        }
                    }
                }
                _ => {}
            }
            child = parent;
        }
        false
    }
}

/// The collection the comprehension around `name` iterates with `name`
/// as (part of) its target, if `name` is such a variable there.
fn comprehension_iterable<'t>(root: Node<'t>, name: Node<'t>, source: &str) -> Option<Node<'t>> {
    let text = pyast::text(name, source);
    let at = name.start_byte();
    for parent in ancestors_of(root, name).into_iter().rev() {
        match parent.kind_str() {
            "function_definition" | "lambda" | "class_definition" => return None,
            "list_comprehension"
            | "set_comprehension"
            | "generator_expression"
            | "dictionary_comprehension" => {
                let mut cursor = parent.walk();
                let found = parent
                    .named_children(&mut cursor)
                    .filter(|c| c.kind_str() == "for_in_clause")
                    .filter_map(pyast::left_right)
                    .find(|(left, right)| {
                        !right.byte_range().contains(&at) && binds(*left, text, source)
                    })
                    .map(|(_, right)| right);
                if found.is_some() {
                    return found;
                }
            }
            _ => {}
        }
    }
    None
}

/// Does the `for` target `left` bind `name` (`name`, `name, other`)?
fn binds(left: Node<'_>, name: &str, source: &str) -> bool {
    match left.kind_str() {
        "identifier" => pyast::text(left, source) == name,
        "pattern_list" | "tuple_pattern" => {
            let mut cursor = left.walk();
            let found = left
                .named_children(&mut cursor)
                .any(|c| c.kind_str() == "identifier" && pyast::text(c, source) == name);
            found
        }
        _ => false,
    }
}

/// Is `target` (the left side of an assignment statement) checked by an
/// `if ...: raise` later in the same block?
fn checked_after(target: Node<'_>, source: &str) -> bool {
    let text = pyast::text(target, source);
    let Some(assignment) = target.parent().filter(|a| a.kind_str() == "assignment") else {
        return false;
    };
    let Some(statement) = assignment
        .parent()
        .filter(|s| s.kind_str() == "expression_statement")
    else {
        return false;
    };
    // Only the literal collections count here: there is no evaluation
    // environment for the rest of the block.
    let is_constant = |c: Node<'_>| literal_collection(c);
    let mut next = statement.next_named_sibling();
    while let Some(s) = next {
        if exits_unless(s, text, source, &is_constant) {
            return true;
        }
        next = s.next_named_sibling();
    }
    false
}

fn literal_collection(node: Node<'_>) -> bool {
    let node = pyast::unparenthesize(node);
    if !matches!(node.kind_str(), "set" | "tuple" | "list") {
        return false;
    }
    let mut cursor = node.walk();
    let all = node
        .named_children(&mut cursor)
        .all(|c| pyast::is_constant_string(c) || matches!(c.kind_str(), "integer" | "float"));
    all
}

/// `if <cond>: ... raise` (no `elif`/`else`) where `cond` being false means
/// `subject` is checked: the code after it runs only for checked values.
fn exits_unless(
    statement: Node<'_>,
    subject: &str,
    source: &str,
    is_constant: &dyn Fn(Node<'_>) -> bool,
) -> bool {
    if statement.kind_str() != "if_statement"
        || statement.child_by_field_id(*fid::ALTERNATIVE).is_some()
    {
        return false;
    }
    let exits = statement
        .child_by_field_id(*fid::CONSEQUENCE)
        .and_then(|b| {
            let mut cursor = b.walk();
            let last = b
                .named_children(&mut cursor)
                .filter(|n| n.kind_str() != "comment")
                .last();
            last
        })
        .is_some_and(|last| EXITS.contains(&last.kind_str()));
    exits
        && statement
            .child_by_field_id(*fid::CONDITION)
            .is_some_and(|c| fails(c, subject, source, is_constant))
}

/// When `cond` is false, is `subject` checked? (`x not in ALLOWED`, `x <=
/// 0`, `not x.isidentifier()`, either side of an `or`.)
fn fails(
    cond: Node<'_>,
    subject: &str,
    source: &str,
    is_constant: &dyn Fn(Node<'_>) -> bool,
) -> bool {
    let cond = pyast::unparenthesize(cond);
    match cond.kind_str() {
        "not_operator" => cond
            .child_by_field_id(*fid::ARGUMENT)
            .is_some_and(|a| holds(a, subject, source, is_constant)),
        "boolean_operator" => {
            let op = cond
                .child_by_field_id(*fid::OPERATOR)
                .map_or("", |o| pyast::text(o, source));
            op == "or"
                && pyast::left_right(cond).is_some_and(|(l, r)| {
                    fails(l, subject, source, is_constant) || fails(r, subject, source, is_constant)
                })
        }
        "comparison_operator" => compares(cond, subject, source, is_constant, false),
        _ => false,
    }
}

/// When `cond` is true, is `subject` checked? (`x in ALLOWED`, `x == "a"`,
/// `x > 0`, `x.isidentifier()`, either side of an `and`.)
fn holds(
    cond: Node<'_>,
    subject: &str,
    source: &str,
    is_constant: &dyn Fn(Node<'_>) -> bool,
) -> bool {
    let cond = pyast::unparenthesize(cond);
    match cond.kind_str() {
        "boolean_operator" => {
            let op = cond
                .child_by_field_id(*fid::OPERATOR)
                .map_or("", |o| pyast::text(o, source));
            op == "and"
                && pyast::left_right(cond).is_some_and(|(l, r)| {
                    holds(l, subject, source, is_constant) || holds(r, subject, source, is_constant)
                })
        }
        "comparison_operator" => compares(cond, subject, source, is_constant, true),
        "call" => pyast::method_call(cond).is_some_and(|(object, method)| {
            pyast::text(object, source) == subject
                && WORD_CHECKS.contains(&pyast::text(method, source))
                && pyast::call_arguments(cond).is_none_or(|a| a.named_child_count() == 0)
        }),
        _ => false,
    }
}

/// A comparison of `subject` with one other operand that checks it: when
/// `positive`, the comparison being true (`in C`, `== "a"`); else its being
/// false (`not in C`, `!= "a"`). An ordering against a number checks it
/// either way (it raises `TypeError` for a string).
fn compares(
    cond: Node<'_>,
    subject: &str,
    source: &str,
    is_constant: &dyn Fn(Node<'_>) -> bool,
    positive: bool,
) -> bool {
    if cond.named_child_count() != 2 {
        return false;
    }
    let (Some(left), Some(right)) = (cond.named_child(0), cond.named_child(1)) else {
        return false;
    };
    let op = source
        .get(left.end_byte()..right.start_byte())
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let is_subject = |n: Node<'_>| pyast::text(pyast::unparenthesize(n), source) == subject;
    let is_number = |n: Node<'_>| {
        let n = pyast::unparenthesize(n);
        matches!(n.kind_str(), "integer" | "float")
            || (n.kind_str() == "unary_operator"
                && n.named_child(0)
                    .is_some_and(|c| matches!(c.kind_str(), "integer" | "float")))
    };
    let ordering = matches!(op.as_str(), "<" | "<=" | ">" | ">=");
    if ordering {
        return (is_subject(left) && is_number(right)) || (is_number(left) && is_subject(right));
    }
    let membership = if positive { "in" } else { "not in" };
    let equality = if positive { "==" } else { "!=" };
    if op == membership {
        return is_subject(left) && is_constant(right);
    }
    if op == equality {
        let literal = |n: Node<'_>| pyast::is_constant_string(n) || is_number(n);
        return (is_subject(left) && literal(right)) || (literal(left) && is_subject(right));
    }
    false
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Is `pattern` a negated character class of word characters only
/// (`[^A-Za-z0-9_]`, `[^\d]`, `[^\w]+`), so that deleting its matches
/// leaves letters, digits and underscores?
fn keeps_only_word_chars(pattern: &str) -> bool {
    let pattern = pattern.strip_suffix('+').unwrap_or(pattern);
    let Some(class) = pattern.strip_prefix("[^").and_then(|p| p.strip_suffix(']')) else {
        return false;
    };
    if class.is_empty() {
        return false;
    }
    let mut chars = class.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('d' | 'w') => {}
                _ => return false,
            },
            '-' => {}
            c if is_word_char(c) => {}
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::keeps_only_word_chars;

    #[test]
    fn sanitiser_classes() {
        assert!(keeps_only_word_chars(r"[^\d]"));
        assert!(keeps_only_word_chars("[^A-Za-z0-9_]"));
        assert!(keeps_only_word_chars(r"[^\w]+"));
        assert!(!keeps_only_word_chars(r"[^\w.]"));
        assert!(!keeps_only_word_chars("[^a-z ]"));
        assert!(!keeps_only_word_chars("[a-z]"));
        assert!(!keeps_only_word_chars(r"[^\s]"));
    }
}
