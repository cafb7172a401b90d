//! SEC001's evaluator, calls to functions of the same file: with constant
//! arguments, `author("$.user_id")` where `def author(path): return
//! f"json_extract(message, '{path}')"` is a compile-time constant, as the
//! strings it builds from constants and its parameters are.

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast::{self as pyast, fid, Descent};
use crate::python::semantic::{BindingId, BindingKind, ScopeKind};

use super::sql_value::{Env, Value, Values, MAX_LOCAL_CALLS};

/// Nodes of a function body searched for its `return`s.
const MAX_BODY_NODES: usize = 2_000;

impl Values {
    /// A name read inside a function evaluated for a call with constant
    /// arguments: its parameters hold constants (their defaults, where
    /// given, what those evaluate to), its locals what their assignments
    /// evaluate to there; `None` for names the function does not bind.
    pub(super) fn assumed(&self, env: Env<'_, '_>, name: Node<'_>, depth: usize) -> Option<Value> {
        let scope = env.assume.filter(|s| *s == env.scope)?;
        let text = pyast::text(name, env.source);
        let ids: Vec<BindingId> = env
            .model
            .bindings_before(scope, text, name.start_byte())
            .collect();
        let mut joined: Option<Value> = None;
        for id in ids {
            let value = match env.model.binding(id).kind {
                BindingKind::Parameter { default: None, .. } => Value::constant(false),
                BindingKind::Parameter {
                    default: Some(d), ..
                } => self.eval(d, env, depth + 1),
                BindingKind::Assignment {
                    value: Some(v),
                    unpacked: false,
                    ..
                } => self.eval(v, env, depth + 1),
                _ => Value::default(),
            };
            joined = Some(match joined {
                None => value,
                Some(old) => old.join(value),
            });
        }
        joined
    }

    /// A call, with constant arguments, of the function `function` names:
    /// constant when every function of this file the name may be bound to
    /// (its bindings before the call in the caller's scope, else all of
    /// them in the nearest enclosing scope that binds it) is a plain `def`
    /// whose every `return` is constant given constant parameters.
    /// Decorated, `async` and generator functions, other bindings of the
    /// name, recursion and calls nested deeper than [`MAX_LOCAL_CALLS`] are
    /// unknown.
    pub(super) fn eval_local_call(
        &self,
        function: Node<'_>,
        env: Env<'_, '_>,
        depth: usize,
    ) -> Value {
        if env.calls >= MAX_LOCAL_CALLS {
            return Value::default();
        }
        let model = env.model;
        let name = pyast::text(function, env.source);
        let at = function.start_byte();
        let mut ids: Vec<BindingId> = model.bindings_before(env.scope, name, at).collect();
        let mut current = model.scope(env.scope).parent;
        while ids.is_empty() {
            let Some(s) = current else {
                return Value::default();
            };
            if model.scope(s).kind != ScopeKind::Class {
                ids = model.bindings_before(s, name, usize::MAX).collect();
            }
            current = model.scope(s).parent;
        }
        let mut joined: Option<Value> = None;
        for id in ids {
            let BindingKind::Function { node: def } = model.binding(id).kind else {
                return Value::default();
            };
            let Some(value) = self.eval_returns(def, env, depth) else {
                return Value::default();
            };
            joined = Some(match joined {
                None => value,
                Some(old) => old.join(value),
            });
        }
        match joined {
            Some(v) if v.constant => Value {
                sql: v.sql,
                ..Value::constant(v.stringish)
            },
            _ => Value::default(),
        }
    }

    /// What the `return`s of `def` (not of functions nested in it) join to
    /// when its parameters hold constants; `None` when the function is not
    /// one this evaluator follows.
    fn eval_returns(&self, def: Node<'_>, env: Env<'_, '_>, depth: usize) -> Option<Value> {
        let model = env.model;
        let decorated = def
            .parent()
            .is_some_and(|p| p.kind_str() == "decorated_definition");
        let scope = model.scope_for_node(def)?;
        let plain = model.scope(scope).kind == (ScopeKind::Function { is_async: false });
        // Direct recursion (longer cycles end at `MAX_LOCAL_CALLS`).
        if decorated || !plain || env.assume == Some(scope) || env.scope == scope {
            return None;
        }
        let inner = Env {
            scope,
            assume: Some(scope),
            calls: env.calls + 1,
            ..env
        };
        let mut walk = Descent::new(def.child_by_field_id(*fid::BODY)?, MAX_BODY_NODES);
        let mut joined: Option<Value> = None;
        while let Some(n) = walk.next() {
            match n.kind_str() {
                "function_definition" | "lambda" | "class_definition" => walk.skip_children(),
                "yield" => return None,
                "return_statement" => {
                    let value = match n.named_child(0) {
                        Some(v) => self.eval(v, inner, depth + 1),
                        None => Value::constant(false),
                    };
                    if !value.constant {
                        return None;
                    }
                    joined = Some(match joined {
                        None => value,
                        Some(old) => old.join(value),
                    });
                }
                _ => {}
            }
        }
        // A body too big to read whole is not judged constant.
        if walk.cut_short() {
            return None;
        }
        joined
    }
}
