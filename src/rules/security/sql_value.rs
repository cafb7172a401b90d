//! SEC001's evaluator: what an expression is known to hold as far as SQL
//! string building goes (a constant, a string, built by formatting with
//! something non-constant), names read through the semantic model.

use std::collections::HashMap;

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast::{self as pyast, fid};
use crate::python::semantic::{BindingId, ScopeId, Semantic};
use crate::rules::context::Cx;

use super::sql_slot::looks_like_sql;
pub(super) use super::sql_slot::Slot;
use super::sql_slot::{fstring_slot, slot_of, template_slot};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum How {
    FString,
    Concat,
    Percent,
    Format,
}

impl How {
    pub(super) fn describe(self) -> &'static str {
        match self {
            How::FString => "an f-string",
            How::Concat => "`+` concatenation",
            How::Percent => "`%` formatting",
            How::Format => "`.format()`",
        }
    }
}

/// A string built at runtime: how, where (start and end byte), and the
/// worst slot a runtime piece fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Dynamic {
    pub(super) how: How,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) slot: Slot,
}

impl Dynamic {
    /// Of two builds that reach one value, the one that formats a value
    /// (the injection) counts; else the first.
    fn join(a: Option<Dynamic>, b: Option<Dynamic>) -> Option<Dynamic> {
        match (a, b) {
            (Some(a), Some(b)) if b.slot > a.slot => Some(b),
            (a, b) => a.or(b),
        }
    }
}

/// Does the f-string placeholder whose expression starts at `at` build the
/// name of a bound parameter (`:{param}`, `:tag_id_{i}`)? Not a cast
/// (`x::{type}`), not a slice or dict inside the expression.
fn names_bound_parameter(source: &str, at: usize) -> bool {
    let Some(before) = source.get(..at) else {
        return false;
    };
    let Some(before) = before.trim_end().strip_suffix('{') else {
        return false;
    };
    let name_start = before.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
    name_start.ends_with(':') && !name_start.ends_with("::")
}

/// What is known about an expression's value.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Value {
    /// Known to be a string.
    pub(super) stringish: bool,
    /// Built only from literals and constants.
    pub(super) constant: bool,
    /// Built by formatting with something non-constant: how, where, and
    /// the slot the runtime piece fills.
    pub(super) dynamic: Option<Dynamic>,
    /// A literal part looks like SQL.
    pub(super) sql: bool,
    /// For a constant SQL-looking template: the worst slot of its
    /// `.format()` fields and of its `%` fields.
    pub(super) format_slot: Option<Slot>,
    pub(super) percent_slot: Option<Slot>,
    /// For a constant SQL-looking string: the slot a piece appended to it
    /// fills (`"... WHERE id = " + x`).
    pub(super) tail_slot: Option<Slot>,
}

impl Value {
    pub(super) fn constant(stringish: bool) -> Value {
        Value {
            stringish,
            constant: true,
            ..Value::default()
        }
    }

    /// What either of two values (branches, bindings that both reach a use)
    /// may hold.
    pub(super) fn join(self, other: Value) -> Value {
        Value {
            stringish: self.stringish || other.stringish,
            constant: self.constant && other.constant,
            dynamic: Dynamic::join(self.dynamic, other.dynamic),
            sql: self.sql || other.sql,
            format_slot: self.format_slot.max(other.format_slot),
            percent_slot: self.percent_slot.max(other.percent_slot),
            tail_slot: self.tail_slot.max(other.tail_slot),
        }
    }
}

/// Where an expression is evaluated: the file, its semantic model and the
/// scope.
#[derive(Clone, Copy)]
pub(super) struct Env<'m, 'a> {
    pub(super) source: &'a str,
    pub(super) model: &'m Semantic<'a>,
    pub(super) scope: ScopeId,
    /// Inside a same-file function called with constant arguments (see
    /// [`Values::eval_local_call`]): that function's scope, whose
    /// parameters hold constants, and how many such calls are open.
    pub(super) assume: Option<ScopeId>,
    pub(super) calls: usize,
}

impl<'m, 'a> Env<'m, 'a> {
    pub(super) fn of(cx: &'m Cx<'a>, node: Node<'_>) -> Env<'m, 'a> {
        Env {
            source: cx.source,
            model: cx.semantic,
            scope: cx.scope(node),
            assume: None,
            calls: 0,
        }
    }
}

/// How many calls to same-file functions an evaluation follows inside each
/// other (`a()` returning `b()`...); recursion stops there.
pub(super) const MAX_LOCAL_CALLS: usize = 3;

/// What the rule learnt of the bindings it evaluated.
#[derive(Default)]
pub(super) struct Values(HashMap<BindingId, Value>);

impl Values {
    pub(super) fn set(&mut self, id: BindingId, value: Value) {
        self.0.insert(id, value);
    }

    /// The value of the identifier `name` where it is used: the bindings of
    /// it in its scope before the use join (branches, `if a: sql = f"..."
    /// else: sql = "..."`, keep an earlier dynamic build counting), from the
    /// latest one that holds on every path on; without one, the binding of
    /// the enclosing scopes. Names whose values
    /// this rule never learnt are unknown.
    pub(super) fn lookup(&self, env: Env<'_, '_>, name: Node<'_>) -> Value {
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
            let value = self.0.get(&id).copied().unwrap_or_default();
            joined = Some(match joined {
                None => value,
                Some(old) => old.join(value),
            });
        }
        if let Some(value) = joined {
            return value;
        }
        env.model
            .lookup_id(env.scope, text, at)
            .and_then(|id| self.0.get(&id).copied())
            .unwrap_or_default()
    }

    /// What `node` evaluates to, as far as string building goes. Recursion
    /// is bounded; `+` chains are flattened with a loop so long ones are fine.
    pub(super) fn eval(&self, node: Node<'_>, env: Env<'_, '_>, depth: usize) -> Value {
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
                    sql,
                    ..Value::default()
                };
                let pieces = pyast::interpolations(node);
                for &e in &pieces {
                    // `:tag_id_{i}`, `= :{param}`: the name of a bound
                    // parameter, which is the cure, not the injection.
                    if names_bound_parameter(source, e.start_byte()) {
                        continue;
                    }
                    let inner = self.eval(e, env, depth + 1);
                    if !inner.constant {
                        value.constant = false;
                        // A piece that itself formats a value keeps that harm.
                        let slot = match inner.dynamic {
                            Some(d) if d.slot == Slot::Value => Slot::Value,
                            _ => fstring_slot(e, source),
                        };
                        let here = Dynamic {
                            how: How::FString,
                            start: node.start_byte(),
                            end: node.end_byte(),
                            slot,
                        };
                        value.dynamic = Some(match value.dynamic {
                            Some(d) => Dynamic {
                                slot: d.slot.max(slot),
                                ..d
                            },
                            None => here,
                        });
                    }
                }
                if sql && value.constant && pieces.is_empty() {
                    let literal = pyast::string_text(node, source);
                    value.format_slot = template_slot(&literal, false);
                    value.percent_slot = template_slot(&literal, true);
                    value.tail_slot = Some(slot_of(&literal, ""));
                }
                value
            }
            "integer" | "float" | "true" | "false" | "none" => Value::constant(false),
            "identifier" => {
                if let Some(value) = self.comprehension_variable(env, node, depth) {
                    return value;
                }
                let value = self
                    .assumed(env, node, depth)
                    .unwrap_or_else(|| self.lookup(env, node));
                if !value.constant && self.trusted_name(env, node, depth) {
                    Value {
                        sql: value.sql,
                        ..Value::constant(value.stringish)
                    }
                } else {
                    value
                }
            }
            "list_comprehension" | "set_comprehension" | "generator_expression" => {
                self.eval_comprehension(node, env, depth)
            }
            "parenthesized_expression" => match node.named_child(0) {
                Some(inner) => self.eval(inner, env, depth + 1),
                None => Value::default(),
            },
            "attribute" => {
                let attr = node
                    .child_by_field_id(*fid::ATTRIBUTE)
                    .map(text)
                    .unwrap_or("");
                if attr == "__tablename__"
                    || pyast::is_constant_name(attr)
                    || self.trusted_attribute(env, node, depth)
                {
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
                a.join(b)
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
                operands.reverse();
                let mut value = Value {
                    constant: true,
                    ..Value::default()
                };
                // The literal SQL so far (runtime pieces as `{}`), to tell
                // the slot each runtime operand fills.
                let mut before = String::new();
                let mut tail: Option<Slot> = None;
                for (i, operand) in operands.iter().enumerate() {
                    let v = self.eval(*operand, env, depth + 1);
                    value.stringish |= v.stringish;
                    value.constant &= v.constant;
                    value.sql |= v.sql;
                    let literal = pyast::is_constant_string(*operand);
                    if !v.constant && v.dynamic.is_none() {
                        let after = operands
                            .get(i + 1)
                            .filter(|n| pyast::is_constant_string(**n))
                            .map(|n| pyast::string_text(*n, source))
                            .unwrap_or_default();
                        let slot = match tail {
                            Some(slot) if before.is_empty() => slot,
                            _ => slot_of(&before, &after),
                        };
                        value.dynamic = Dynamic::join(
                            value.dynamic,
                            Some(Dynamic {
                                how: How::Concat,
                                start: node.start_byte(),
                                end: node.end_byte(),
                                slot,
                            }),
                        );
                    } else {
                        value.dynamic = Dynamic::join(value.dynamic, v.dynamic);
                    }
                    if literal {
                        before.push_str(&pyast::string_text(*operand, source));
                    } else {
                        tail = v.tail_slot.filter(|_| i == 0);
                        if !before.is_empty() || i > 0 {
                            before.push_str("{}");
                        }
                    }
                }
                if !value.stringish {
                    value.dynamic = None;
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
                    dynamic: l.dynamic.or_else(|| {
                        (!r.constant).then_some(Dynamic {
                            how: How::Percent,
                            start: node.start_byte(),
                            end: node.end_byte(),
                            slot: l.percent_slot.unwrap_or(Slot::Value),
                        })
                    }),
                    sql: l.sql,
                    ..Value::default()
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
        // A quoted identifier or a sanitised word.
        if self.trusted_call(node, env) {
            return Value::constant(true);
        }
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
                _ if args_constant(self) => self.eval_local_call(function, env, depth),
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
                                (!constant).then_some(Dynamic {
                                    how: How::Format,
                                    start: node.start_byte(),
                                    end: node.end_byte(),
                                    slot: receiver.format_slot.unwrap_or(Slot::Value),
                                })
                            }),
                            sql: receiver.sql,
                            ..Value::default()
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
