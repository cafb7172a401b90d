//! SEC001: SQL assembled by string formatting that reaches an execution sink.
//!
//! A value is followed through the local variables of its function (simple
//! assignments and `+=`), in document order, so `sql = f"..."` ten lines
//! above `cursor.execute(sql)` counts.

use std::collections::HashMap;
use std::ops::Range;

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::diagnostic::Severity;
use crate::python::ast::{self as pyast, fid};
use crate::python::semantic::{BindingId, ScopeId, Semantic};
use crate::python::sqlalchemy::DRIVER_FETCH_METHODS;
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

/// Methods that run the SQL string they are given.
const METHOD_SINKS: &[&str] = &[
    "execute",
    "executemany",
    "executescript",
    "execute_many",
    "exec_driver_sql",
    "exec",
    "raw",
    "read_sql",
    "read_sql_query",
];

fn is_method_sink(name: &str) -> bool {
    METHOD_SINKS.contains(&name) || DRIVER_FETCH_METHODS.contains(&name)
}

/// Sinks that only ever take SQL, whatever the receiver is called.
const SQL_ONLY_METHODS: &[&str] = &[
    "exec_driver_sql",
    "executemany",
    "executescript",
    "read_sql",
    "read_sql_query",
];

const TEXT_FUNCTIONS: &[&str] = &[
    "sqlalchemy.text",
    "sqlalchemy.sql.text",
    "sqlalchemy.sql.expression.text",
    "sqlmodel.text",
];

/// Keyword names under which drivers accept the statement.
const SQL_KEYWORD_ARGS: &[&str] = &["sql", "query", "statement", "operation", "stmt"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    FString,
    Concat,
    Percent,
    Format,
}

impl How {
    fn describe(self) -> &'static str {
        match self {
            How::FString => "an f-string",
            How::Concat => "`+` concatenation",
            How::Percent => "`%` formatting",
            How::Format => "`.format()`",
        }
    }
}

/// What is known about an expression's value.
#[derive(Debug, Clone, Copy, Default)]
struct Value {
    /// Known to be a string.
    stringish: bool,
    /// Built only from literals and constants.
    constant: bool,
    /// Built by formatting with something non-constant: how, and where.
    dynamic: Option<(How, usize)>,
    /// A literal part looks like SQL.
    sql: bool,
}

impl Value {
    fn constant(stringish: bool) -> Value {
        Value {
            stringish,
            constant: true,
            ..Value::default()
        }
    }
}

enum SinkKind {
    Text,
    Method {
        receiver: Option<String>,
        method: String,
    },
}

struct Candidate {
    span: Range<usize>,
    callee: String,
    sink: SinkKind,
    how: How,
    /// Where the SQL was built when the sink gets a variable.
    built_at: Option<usize>,
    sql: bool,
}

/// Where an expression is evaluated: the file, its semantic model and the
/// scope.
#[derive(Clone, Copy)]
struct Env<'m, 'a> {
    source: &'a str,
    model: &'m Semantic<'a>,
    scope: ScopeId,
}

impl<'m, 'a> Env<'m, 'a> {
    fn of(cx: &'m Cx<'a>, node: Node<'_>) -> Env<'m, 'a> {
        Env {
            source: cx.source,
            model: cx.semantic,
            scope: cx.scope(node),
        }
    }
}

#[derive(Default)]
pub struct SqlStringBuilding {
    /// What the bindings of the semantic model this rule evaluated hold.
    values: HashMap<BindingId, Value>,
    candidates: Vec<Candidate>,
    /// Whether the file is a migration, decided on the first visit (the path
    /// test is not free and this rule sees every call and assignment).
    migration: Option<bool>,
}

impl Rule for SqlStringBuilding {
    const META: RuleMeta = RuleMeta {
        code: "SEC001",
        name: "sql-string-building",
        family: Family::Security,
        severity: Severity::Blocker,
        fixable: false,
        summary: "SQL built with an f-string, `+`, `%` or `.format()` reaches `text()`, `.execute()` or another SQL sink",
        help: "keep the SQL constant and pass values as bound parameters: `text(\"... WHERE id = :id\")` with `{\"id\": id}`, or `cursor.execute(sql, params)`",
        doc: include_str!("../../../rules/SEC001.md"),
        security_severity: Some("8.8"),
    };
    const KINDS: &'static [&'static str] = &[
        "call",
        "assignment",
        "augmented_assignment",
        "for_statement",
    ];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        if *self
            .migration
            .get_or_insert_with(|| pyast::is_migration_path(&cx.file.rel))
        {
            return;
        }
        match node.kind_str() {
            "call" => self.visit_call(node, cx),
            "for_statement" => {
                // `for column in ("a", "b"):` iterates over constants.
                let Some((left, right)) = pyast::left_right(node) else {
                    return;
                };
                if left.kind_str() != "identifier" {
                    return;
                }
                let is_range = right.kind_str() == "call"
                    && right
                        .child_by_field_id(*fid::FUNCTION)
                        .is_some_and(|f| cx.text(f) == "range");
                if !is_range && !matches!(right.kind_str(), "list" | "tuple" | "set") {
                    return;
                }
                let env = Env::of(cx, node);
                // `range()` yields integers, which cannot carry SQL.
                if is_range || self.eval(right, env, 0).constant {
                    self.record(cx, env.scope, left, right.end_byte(), Value::constant(true));
                }
            }
            "assignment" => {
                let Some((left, right)) = pyast::left_right(node) else {
                    return;
                };
                if left.kind_str() != "identifier" {
                    return;
                }
                let env = Env::of(cx, node);
                let value = self.eval(right, env, 0);
                if value.stringish || value.constant || value.dynamic.is_some() {
                    self.record(cx, env.scope, left, node.end_byte(), value);
                }
            }
            _ => {
                let (Some(left), Some(right), Some(op)) = (
                    node.child_by_field_id(*fid::LEFT),
                    node.child_by_field_id(*fid::RIGHT),
                    node.child_by_field_id(*fid::OPERATOR),
                ) else {
                    return;
                };
                let op = cx.text(op);
                if left.kind_str() != "identifier" || !(op == "+=" || op == "%=") {
                    return;
                }
                let env = Env::of(cx, node);
                let right_value = self.eval(right, env, 0);
                let old = self.lookup(env, left);
                let stringish = old.stringish || right_value.stringish;
                let constant = old.constant && right_value.constant;
                let how = if op == "+=" {
                    How::Concat
                } else {
                    How::Percent
                };
                let dynamic = old.dynamic.or(right_value.dynamic).or_else(|| {
                    (stringish && !right_value.constant).then_some((how, node.start_byte()))
                });
                let value = Value {
                    stringish,
                    constant,
                    dynamic,
                    sql: old.sql || right_value.sql,
                };
                self.record(cx, env.scope, left, node.end_byte(), value);
            }
        }
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        for c in std::mem::take(&mut self.candidates) {
            let sink = match &c.sink {
                SinkKind::Text => {
                    let resolved =
                        pyast::resolves_to(&c.callee, cx.imports, TEXT_FUNCTIONS).is_some();
                    if !(resolved || c.sql) {
                        continue;
                    }
                    format!("`{}()`", c.callee)
                }
                SinkKind::Method { receiver, method } => {
                    let db_receiver = receiver
                        .as_deref()
                        .is_some_and(|r| is_db_name(pyast::last_segment(r)));
                    if !(c.sql || db_receiver || SQL_ONLY_METHODS.contains(&method.as_str())) {
                        continue;
                    }
                    format!("`{}()`", c.callee)
                }
            };
            let message = match c.built_at {
                Some(at) => format!(
                    "SQL built with {} on line {} reaches {sink}; pass values as bound parameters instead of formatting them into the statement",
                    c.how.describe(),
                    line_of(cx.source, at)
                ),
                None => format!(
                    "SQL built with {} reaches {sink}; pass values as bound parameters instead of formatting them into the statement",
                    c.how.describe()
                ),
            };
            cx.report_span(c.span, message);
        }
    }
}

impl SqlStringBuilding {
    fn visit_call(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        let Some(function) = node.child_by_field_id(*fid::FUNCTION) else {
            return;
        };
        let (name, receiver) = match function.kind_str() {
            "identifier" => (cx.text(function), None),
            "attribute" => match function.child_by_field_id(*fid::ATTRIBUTE) {
                Some(a) => (cx.text(a), function.child_by_field_id(*fid::OBJECT)),
                None => return,
            },
            _ => return,
        };
        let is_text = name == "text";
        if !is_text && (receiver.is_none() || !is_method_sink(name)) {
            return;
        }
        let Some(args) = pyast::call_arguments(node) else {
            return;
        };
        let Some(arg) = pyast::positional_arg(args, 0).or_else(|| {
            SQL_KEYWORD_ARGS
                .iter()
                .find_map(|k| pyast::keyword_arg(args, k, cx.source))
        }) else {
            return;
        };
        let value = self.eval(arg, Env::of(cx, node), 0);
        let Some((how, at)) = value.dynamic else {
            return;
        };
        let callee = pyast::dotted_name(function, cx.source)
            .map(|d| d.into_owned())
            .unwrap_or_else(|| format!(".{name}"));
        let sink = if is_text {
            SinkKind::Text
        } else {
            SinkKind::Method {
                receiver: receiver
                    .and_then(|r| pyast::dotted_name(r, cx.source))
                    .map(|r| r.into_owned()),
                method: name.to_owned(),
            }
        };
        let arg = pyast::unparenthesize(arg);
        let built_at = (arg.kind_str() == "identifier").then_some(at);
        self.candidates.push(Candidate {
            span: arg.byte_range(),
            callee,
            sink,
            how,
            built_at,
            sql: value.sql,
        });
    }

    /// What is known of the value the binding made by this statement gives
    /// `name` (the semantic model made the binding before the rule's visit).
    fn record(&mut self, cx: &Cx<'_>, scope: ScopeId, name: Node<'_>, at: usize, value: Value) {
        if let Some(id) = cx
            .semantic
            .lookup_id(scope, cx.text(name), at)
            .filter(|id| cx.semantic.binding(*id).at == at)
        {
            self.values.insert(id, value);
        }
    }

    /// The value of the identifier `name` where it is used: the bindings of
    /// it in its scope before the use join (branches, `if a: sql = f"..."
    /// else: sql = "..."`, keep an earlier dynamic build counting), from the
    /// latest one that holds on every path on; without one, the binding of
    /// the enclosing scopes. Names whose values
    /// this rule never learnt are unknown.
    fn lookup(&self, env: Env<'_, '_>, name: Node<'_>) -> Value {
        let text = pyast::text(name, env.source);
        if pyast::is_constant_name(text) {
            return Value::constant(false);
        }
        let at = name.start_byte();
        let mut joined: Option<Value> = None;
        let ids: Vec<BindingId> = env.model.bindings_before(env.scope, text, at).collect();
        // From the latest binding back to the first that holds on every
        // path (`sql = "..."` straight before the use overrides the rest).
        let from = ids
            .iter()
            .rposition(|id| env.model.dominates(*id, at))
            .unwrap_or(0);
        for &id in &ids[from..] {
            let value = self.values.get(&id).copied().unwrap_or_default();
            joined = Some(match joined {
                None => value,
                Some(old) => Value {
                    stringish: old.stringish || value.stringish,
                    constant: old.constant && value.constant,
                    dynamic: old.dynamic.or(value.dynamic),
                    sql: old.sql || value.sql,
                },
            });
        }
        if let Some(value) = joined {
            return value;
        }
        env.model
            .lookup_id(env.scope, text, at)
            .and_then(|id| self.values.get(&id).copied())
            .unwrap_or_default()
    }

    /// What `node` evaluates to, as far as string building goes. Recursion
    /// is bounded; `+` chains are flattened with a loop so long ones are fine.
    fn eval(&self, node: Node<'_>, env: Env<'_, '_>, depth: usize) -> Value {
        let source = env.source;
        if depth > 24 {
            return Value::default();
        }
        let text = |n: Node<'_>| pyast::text(n, source);
        match node.kind_str() {
            "string" | "concatenated_string" => {
                let sql = looks_like_sql(&pyast::string_text(node, source));
                let mut value = Value {
                    stringish: true,
                    constant: true,
                    dynamic: None,
                    sql,
                };
                for e in pyast::interpolations(node) {
                    if !self.eval(e, env, depth + 1).constant {
                        value.constant = false;
                        value.dynamic = Some((How::FString, node.start_byte()));
                    }
                }
                value
            }
            "integer" | "float" | "true" | "false" | "none" => Value::constant(false),
            "identifier" => self.lookup(env, node),
            "parenthesized_expression" => match node.named_child(0) {
                Some(inner) => self.eval(inner, env, depth + 1),
                None => Value::default(),
            },
            "attribute" => {
                let attr = node
                    .child_by_field_id(*fid::ATTRIBUTE)
                    .map(text)
                    .unwrap_or("");
                if attr == "__tablename__" || pyast::is_constant_name(attr) {
                    Value::constant(false)
                } else {
                    Value::default()
                }
            }
            "tuple" | "list" | "set" | "expression_list" => {
                let mut cursor = node.walk();
                let all = node
                    .named_children(&mut cursor)
                    .filter(|c| c.kind_str() != "comment")
                    .all(|c| self.eval(c, env, depth + 1).constant);
                if all {
                    Value::constant(false)
                } else {
                    Value::default()
                }
            }
            "dictionary" => {
                let mut cursor = node.walk();
                let all = node.named_children(&mut cursor).all(|pair| {
                    pair.kind_str() == "pair"
                        && pair
                            .child_by_field_id(*fid::VALUE)
                            .is_some_and(|v| self.eval(v, env, depth + 1).constant)
                });
                if all {
                    Value::constant(false)
                } else {
                    Value::default()
                }
            }
            "conditional_expression" => {
                let mut cursor = node.walk();
                let parts: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
                // `a if cond else b`: the condition does not end up in the value.
                let (Some(a), Some(b)) = (parts.first(), parts.get(2)) else {
                    return Value::default();
                };
                let (a, b) = (self.eval(*a, env, depth + 1), self.eval(*b, env, depth + 1));
                Value {
                    stringish: a.stringish || b.stringish,
                    constant: a.constant && b.constant,
                    dynamic: a.dynamic.or(b.dynamic),
                    sql: a.sql || b.sql,
                }
            }
            "binary_operator" => self.eval_binary(node, env, depth),
            "call" => self.eval_call(node, env, depth),
            _ => Value::default(),
        }
    }

    fn eval_binary(&self, node: Node<'_>, env: Env<'_, '_>, depth: usize) -> Value {
        let source = env.source;
        let op = node
            .child_by_field_id(*fid::OPERATOR)
            .map(|o| pyast::text(o, source))
            .unwrap_or("");
        match op {
            "+" => {
                // Flatten the left-deep chain `a + b + c + ...` without recursion.
                let mut operands = Vec::new();
                let mut current = node;
                loop {
                    let is_plus = current.kind_str() == "binary_operator"
                        && current
                            .child_by_field_id(*fid::OPERATOR)
                            .is_some_and(|o| pyast::text(o, source) == "+");
                    if !is_plus {
                        operands.push(current);
                        break;
                    }
                    if let Some(right) = current.child_by_field_id(*fid::RIGHT) {
                        operands.push(right);
                    }
                    match current.child_by_field_id(*fid::LEFT) {
                        Some(left) => current = left,
                        None => break,
                    }
                }
                let mut value = Value {
                    constant: true,
                    ..Value::default()
                };
                for operand in operands.iter().rev() {
                    let v = self.eval(*operand, env, depth + 1);
                    value.stringish |= v.stringish;
                    value.constant &= v.constant;
                    value.sql |= v.sql;
                    value.dynamic = value.dynamic.or(v.dynamic);
                }
                if value.stringish && !value.constant && value.dynamic.is_none() {
                    value.dynamic = Some((How::Concat, node.start_byte()));
                }
                value
            }
            "%" => {
                let Some((left, right)) = pyast::left_right(node) else {
                    return Value::default();
                };
                let l = self.eval(left, env, depth + 1);
                if !l.stringish {
                    return Value::default();
                }
                let r = self.eval(right, env, depth + 1);
                let constant = l.constant && r.constant;
                Value {
                    stringish: true,
                    constant,
                    dynamic: l
                        .dynamic
                        .or_else(|| (!r.constant).then_some((How::Percent, node.start_byte()))),
                    sql: l.sql,
                }
            }
            _ => Value::default(),
        }
    }

    fn eval_call(&self, node: Node<'_>, env: Env<'_, '_>, depth: usize) -> Value {
        let source = env.source;
        let Some(function) = node.child_by_field_id(*fid::FUNCTION) else {
            return Value::default();
        };
        let args = pyast::call_arguments(node);
        let args_constant = |this: &Self| {
            args.is_none_or(|a| {
                let mut cursor = a.walk();
                let all = a.named_children(&mut cursor).all(|c| match c.kind_str() {
                    "comment" => true,
                    "keyword_argument" => c
                        .child_by_field_id(*fid::VALUE)
                        .is_some_and(|v| this.eval(v, env, depth + 1).constant),
                    _ => this.eval(c, env, depth + 1).constant,
                });
                all
            })
        };
        match function.kind_str() {
            "identifier" => match pyast::text(function, source) {
                // Numbers cannot carry SQL.
                "int" | "float" | "len" | "bool" | "round" | "abs" => Value::constant(false),
                "str" => Value {
                    stringish: true,
                    constant: args_constant(self),
                    ..Value::default()
                },
                _ => Value::default(),
            },
            "attribute" => {
                let Some(object) = function.child_by_field_id(*fid::OBJECT) else {
                    return Value::default();
                };
                let method = function
                    .child_by_field_id(*fid::ATTRIBUTE)
                    .map(|a| pyast::text(a, source))
                    .unwrap_or("");
                match method {
                    "format" => {
                        let receiver = self.eval(object, env, depth + 1);
                        if !receiver.stringish {
                            return Value::default();
                        }
                        let constant = receiver.constant && args_constant(self);
                        Value {
                            stringish: true,
                            constant,
                            dynamic: receiver.dynamic.or_else(|| {
                                (!constant).then_some((How::Format, node.start_byte()))
                            }),
                            sql: receiver.sql,
                        }
                    }
                    "join" if pyast::is_constant_string(object) => {
                        // `sep.join(x for x in ...)` has the generator as its arguments.
                        let first = match node.child_by_field_id(*fid::ARGUMENTS) {
                            Some(g) if g.kind_str() == "generator_expression" => Some(g),
                            _ => args.and_then(|a| pyast::positional_arg(a, 0)),
                        };
                        let safe = first.is_some_and(|a| {
                            is_placeholder_list(a, source) || self.eval(a, env, depth + 1).constant
                        });
                        Value {
                            stringish: true,
                            constant: safe,
                            ..Value::default()
                        }
                    }
                    "upper" | "lower" | "strip" | "lstrip" | "rstrip" | "replace" => {
                        let receiver = self.eval(object, env, depth + 1);
                        Value {
                            constant: receiver.constant && args_constant(self),
                            ..receiver
                        }
                    }
                    _ => Value::default(),
                }
            }
            _ => Value::default(),
        }
    }
}

/// `["?"] * len(ids)`, `"%s" * n`, `(":p" for _ in ids)`, `[f":id{i}" for i in ...]`:
/// the argument of a `join` that produces bound-parameter placeholders.
fn is_placeholder_list(node: Node<'_>, source: &str) -> bool {
    let node = pyast::unparenthesize(node);
    match node.kind_str() {
        "binary_operator" => {
            let is_times = node
                .child_by_field_id(*fid::OPERATOR)
                .is_some_and(|o| pyast::text(o, source) == "*");
            is_times
                && [
                    node.child_by_field_id(*fid::LEFT),
                    node.child_by_field_id(*fid::RIGHT),
                ]
                .into_iter()
                .flatten()
                .any(|side| is_placeholder_literal(side, source))
        }
        "list_comprehension" | "generator_expression" | "set_comprehension" => node
            .child_by_field_id(*fid::BODY)
            .is_some_and(|b| is_placeholder_literal(b, source)),
        _ => false,
    }
}

fn is_placeholder_literal(node: Node<'_>, source: &str) -> bool {
    let node = pyast::unparenthesize(node);
    match node.kind_str() {
        // One level only: `["?"]`, `("%s",)`; nesting is not a placeholder.
        "list" | "tuple" => {
            let mut cursor = node.walk();
            let all = node
                .named_children(&mut cursor)
                .all(|c| c.kind_str() == "string" && is_placeholder_literal(c, source));
            all
        }
        "string" => {
            let literal = pyast::string_text(node, source);
            let literal = literal.trim();
            if pyast::has_interpolation(node) {
                // Named placeholders numbered by the loop: `f":id{i}"`, `f"${i}"`.
                literal.starts_with([':', '$', '@']) || literal.starts_with("%(")
            } else {
                matches!(literal, "?" | "%s" | "(%s)" | "(?)")
                    || literal.starts_with(':')
                    || literal.starts_with('$')
            }
        }
        _ => false,
    }
}

/// Does this literal text look like (part of) an SQL statement?
pub fn looks_like_sql(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "select",
        "insert",
        "update",
        "delete",
        "from",
        "where",
        "create",
        "drop",
        "alter",
        "truncate",
        "values",
        "join",
        "pragma",
        "grant",
        "revoke",
        "vacuum",
        "attach",
        "explain",
        "having",
        "returning",
        "limit",
        "offset",
    ];
    if text.len() < 4 {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| WORDS.contains(&w))
}

/// Receivers that are database handles by name.
fn is_db_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let lower = lower.trim_start_matches('_');
    matches!(
        lower,
        "cursor"
            | "cur"
            | "c"
            | "conn"
            | "connection"
            | "con"
            | "db"
            | "database"
            | "session"
            | "engine"
            | "tx"
            | "transaction"
            | "sess"
            | "dbapi_connection"
    ) || lower.ends_with("cursor")
        || lower.ends_with("_conn")
        || lower.ends_with("connection")
        || lower.ends_with("session")
        || lower.ends_with("_db")
        || lower.ends_with("_engine")
}

fn line_of(source: &str, offset: usize) -> usize {
    source
        .get(..offset)
        .map_or(1, |s| s.bytes().filter(|b| *b == b'\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_words() {
        assert!(looks_like_sql("SELECT * FROM users WHERE id = "));
        assert!(looks_like_sql(" AND name = ' ORDER BY x LIMIT "));
        assert!(!looks_like_sql("Hello {name}, welcome"));
        assert!(!looks_like_sql("selected"));
    }
}
