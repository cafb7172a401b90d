//! The semantic model of one file: its scopes (module, class, function,
//! lambda) and the names bound in each, built during the engine's single
//! walk (`build.rs`) and queried by rules: what does this name refer to here
//! — an import (with the qualified name it stands for), a parameter with its
//! annotation, an assignment with its value, a class attribute or a
//! `self.x` assigned in a method?
//!
//! The walk visits nodes in document order, so while a rule visits a node
//! the model holds every binding that starts before it; in a rule's
//! `finish` it holds the whole file. Bindings refer to the file's nodes and
//! text (lifetime `'a`); nothing is copied but the qualified names of imports.
//!
//! `except E as e:` binds `e` in the enclosing scope ([`BindingKind::Except`]);
//! Python unbinds it when the clause ends, which the model does not (a use
//! after the clause still finds the binding: ask [`Semantic::caught_at`]
//! whether a name is the exception being handled).
//!
//! Comprehensions are scopes ([`ScopeKind::Comprehension`]): their `for`
//! targets are bound inside them, and the first iterable is evaluated in the
//! scope around. `global x` / `nonlocal x` in a function send its bindings
//! of `x`, and its uses, to the module / the enclosing function.
//!
//! Limits (documented, deliberate): a name is resolved to the latest
//! binding before the use in straight-line order (branches are not joined
//! here; [`Semantic::bindings_before`] lets a rule join them).

mod build;

use std::collections::HashMap;

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast::fid;

pub use build::SEMANTIC_KINDS;

/// Index of a scope in [`Semantic::scopes`]; the module is [`MODULE`].
pub type ScopeId = usize;
/// Index of a binding in [`Semantic::bindings`].
pub type BindingId = usize;
pub const MODULE: ScopeId = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Class,
    Function {
        is_async: bool,
    },
    Lambda,
    /// A list, set or dict comprehension or a generator expression.
    Comprehension,
}

#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub kind: ScopeKind,
    /// The `def`, `class` or `lambda` node (the root for the module).
    pub node: Node<'a>,
    pub parent: Option<ScopeId>,
    /// The name of the class or function ("" for the module and lambdas).
    pub name: &'a str,
    /// A method's first parameter (`self`, `cls`); `None` for static
    /// methods and plain functions.
    pub receiver: Option<&'a str>,
    /// The node id of the body of the `def`, `class` or `lambda` (read once
    /// when the scope opens: [`Semantic::scope_of`] compares with it for
    /// every query instead of looking the field up again).
    pub body: Option<usize>,
}

#[derive(Debug, Clone)]
pub enum BindingKind<'a> {
    /// `import a.b as c`, `from m import x`: the name stands for `qualified`
    /// (`a.b`, `m.x`; relative imports keep their leading dots).
    Import {
        qualified: String,
    },
    Parameter {
        annotation: Option<Node<'a>>,
        default: Option<Node<'a>>,
    },
    /// `x = value`, `x: T = value`, `x: T`, `(x := value)`; `unpacked` when
    /// the name is one target of several (`a, b = value`).
    Assignment {
        value: Option<Node<'a>>,
        annotation: Option<Node<'a>>,
        unpacked: bool,
    },
    /// `x += value`: the statement (its operator and right side).
    Augmented {
        statement: Node<'a>,
    },
    /// `for x in iterable:`
    For {
        iterable: Node<'a>,
    },
    /// `with value as x:` (`is_async` for `async with`).
    With {
        value: Node<'a>,
        is_async: bool,
    },
    /// `except types as name:` (`types` is `None` only in broken code);
    /// `clause` is the `except_clause`, whose range is where the name holds
    /// the caught exception.
    Except {
        types: Option<Node<'a>>,
        clause: Node<'a>,
    },
    Class {
        node: Node<'a>,
    },
    Function {
        node: Node<'a>,
    },
}

#[derive(Debug, Clone)]
pub struct Binding<'a> {
    pub name: &'a str,
    pub scope: ScopeId,
    pub kind: BindingKind<'a>,
    /// Where the binding takes effect (the end of its statement or
    /// value): a use at or after this offset sees it.
    pub at: usize,
    /// The bound name as written (for `self.x`, the `x`).
    pub name_node: Node<'a>,
    /// `self.x = ...` in a method, bound in the class's scope.
    pub instance: bool,
    /// For `x = ...` / `x += ...` written as a statement of its own: the
    /// byte range of the block (or module) holding that statement, read
    /// from the walk's ancestors when the binding is made, so that
    /// [`Semantic::dominates`] need not walk up with `Node::parent` (each
    /// call a descent from the root).
    pub statement_block: Option<(usize, usize)>,
}

impl<'a> Binding<'a> {
    /// The annotation written on the binding, if any.
    pub fn annotation(&self) -> Option<Node<'a>> {
        match self.kind {
            BindingKind::Parameter { annotation, .. }
            | BindingKind::Assignment { annotation, .. } => annotation,
            _ => None,
        }
    }

    /// The value the name was given directly (`x = value`, a parameter's
    /// default, `with value as x`).
    pub fn value(&self) -> Option<Node<'a>> {
        match self.kind {
            BindingKind::Assignment {
                value,
                unpacked: false,
                ..
            } => value,
            BindingKind::With { value, .. } => Some(value),
            _ => None,
        }
    }
}

/// Scopes and bindings of one file.
#[derive(Debug)]
pub struct Semantic<'a> {
    source: &'a str,
    scopes: Vec<Scope<'a>>,
    bindings: Vec<Binding<'a>>,
    /// Per scope: name -> bindings in document order.
    by_name: Vec<HashMap<&'a str, Vec<BindingId>>>,
    /// Modules of `from m import *`, per scope, in document order.
    stars: Vec<(ScopeId, String)>,
    /// `global x` / `nonlocal x`: (function scope, name) -> the scope that
    /// binds the name.
    declared: Vec<(ScopeId, &'a str, ScopeId)>,
}

impl<'a> Semantic<'a> {
    /// The file's text.
    pub fn source(&self) -> &'a str {
        self.source
    }

    /// The file's root node (the module scope's node).
    pub fn root(&self) -> Node<'a> {
        self.scopes[0].node
    }

    pub fn scopes(&self) -> &[Scope<'a>] {
        &self.scopes
    }

    pub fn scope(&self, id: ScopeId) -> &Scope<'a> {
        &self.scopes[id]
    }

    pub fn binding(&self, id: BindingId) -> &Binding<'a> {
        &self.bindings[id]
    }

    pub fn bindings(&self) -> &[Binding<'a>] {
        &self.bindings
    }

    /// The scope `node` is evaluated in, given its ancestors (outermost
    /// first). A function's parameters, defaults, annotations and
    /// decorators belong to the enclosing scope's evaluation, except that
    /// the parameters themselves are bound in the function: a node inside a
    /// `def`'s body is in the function's scope, anything else of the `def`
    /// is in the scope around it.
    pub fn scope_of(&self, ancestors: &[Node<'_>], node: Node<'_>) -> ScopeId {
        for (i, a) in ancestors.iter().enumerate().rev() {
            let kind = a.kind_str();
            let child = ancestors.get(i + 1).copied().unwrap_or(node);
            let inside = if matches!(kind, "function_definition" | "class_definition" | "lambda") {
                // A node is in the scope only inside the body (the scope
                // records the body's id when it opens).
                if let Some(id) = self.scope_for_node(*a) {
                    if self.scopes[id].body == Some(child.id()) {
                        return id;
                    }
                }
                continue;
            } else if build::COMPREHENSIONS.contains(&kind) {
                let below = if i + 2 < ancestors.len() {
                    Some(ancestors[i + 2])
                } else {
                    (i + 1 < ancestors.len()).then_some(node)
                };
                !is_first_iterable(*a, child, below)
            } else {
                continue;
            };
            if inside {
                if let Some(id) = self.scope_for_node(*a) {
                    return id;
                }
            }
        }
        MODULE
    }

    /// The scope a `def`/`class`/`lambda` node opens, once the walk has
    /// visited it.
    pub fn scope_for_node(&self, node: Node<'_>) -> Option<ScopeId> {
        let start = node.start_byte();
        let inner = &self.scopes[1..];
        let i = inner.partition_point(|s| s.node.start_byte() < start);
        inner
            .get(i)
            .filter(|s| s.node.id() == node.id())
            .map(|_| i + 1)
    }

    /// The innermost function scope around `scope` (itself included).
    pub fn function_of(&self, mut scope: ScopeId) -> Option<ScopeId> {
        loop {
            match self.scopes[scope].kind {
                ScopeKind::Function { .. } | ScopeKind::Lambda => return Some(scope),
                _ => scope = self.scopes[scope].parent?,
            }
        }
    }

    /// The class a method scope belongs to.
    pub fn class_of_method(&self, scope: ScopeId) -> Option<ScopeId> {
        let s = &self.scopes[scope];
        if !matches!(s.kind, ScopeKind::Function { .. }) {
            return None;
        }
        let parent = s.parent?;
        (self.scopes[parent].kind == ScopeKind::Class).then_some(parent)
    }

    /// The binding `name` refers to at offset `at` in `scope`: the latest
    /// binding before `at` in `scope` itself, else the latest binding in the
    /// enclosing function and module scopes (class bodies are not visible
    /// from the functions inside them).
    pub fn lookup(&self, scope: ScopeId, name: &str, at: usize) -> Option<&Binding<'a>> {
        self.lookup_id(scope, name, at).map(|id| &self.bindings[id])
    }

    ///
    /// A comprehension runs where it is written: from one, the enclosing
    /// scopes are searched like its own (the latest binding before `at`)
    /// up to the first function or lambda, whose body runs later (its
    /// enclosing scopes give their latest binding). A name declared
    /// `global`/`nonlocal` is looked up where it lives.
    pub fn lookup_id(&self, scope: ScopeId, name: &str, at: usize) -> Option<BindingId> {
        let before = |s: ScopeId| {
            self.ids(s, name)
                .iter()
                .rev()
                .find(|id| self.bindings[**id].at <= at)
                .copied()
        };
        let own = self.declared_scope(scope, name);
        if own != scope {
            return before(own).or_else(|| self.ids(own, name).last().copied());
        }
        if let Some(id) = before(scope) {
            return Some(id);
        }
        let mut immediate = self.scopes[scope].kind == ScopeKind::Comprehension;
        let mut current = self.scopes[scope].parent;
        while let Some(s) = current {
            if self.scopes[s].kind != ScopeKind::Class {
                let s = self.declared_scope(s, name);
                let found = if immediate {
                    before(s)
                } else {
                    self.ids(s, name).last().copied()
                };
                if found.is_some() {
                    return found;
                }
            }
            immediate = immediate && self.scopes[s].kind == ScopeKind::Comprehension;
            current = self.scopes[s].parent;
        }
        None
    }

    /// The scope `name` lives in when bound or used in `scope`: itself,
    /// unless `scope` declared it `global` or `nonlocal`.
    fn declared_scope(&self, scope: ScopeId, name: &str) -> ScopeId {
        self.declared
            .iter()
            .find(|(s, n, _)| *s == scope && *n == name)
            .map_or(scope, |(_, _, target)| *target)
    }

    /// Every binding of `name` in `scope` itself that takes effect before
    /// `at`, in document order (for rules that join branches).
    pub fn bindings_before(
        &self,
        scope: ScopeId,
        name: &str,
        at: usize,
    ) -> impl Iterator<Item = BindingId> + '_ {
        self.ids(scope, name)
            .iter()
            .copied()
            .filter(move |id| self.bindings[*id].at <= at)
    }

    /// Records, on binding `id` (a plain `x = ...` / `x += ...`), the block
    /// or module its statement sits in directly when the statement is an
    /// expression statement of its own (`ancestors` end with the assignment's
    /// parent): what [`Semantic::dominates`] checks.
    pub(super) fn set_statement_block(&mut self, id: Option<usize>, ancestors: &[Node<'a>]) {
        let Some(id) = id else {
            return;
        };
        let [.., block, statement] = ancestors else {
            return;
        };
        if statement.kind_str() == "expression_statement"
            && matches!(block.kind_str(), "block" | "module")
        {
            self.bindings[id].statement_block = Some((block.start_byte(), block.end_byte()));
        }
    }

    /// Whether binding `id` holds on every path to offset `at` of the same
    /// scope in straight-line code: it is a plain assignment statement
    /// (`x = ...`, `x += ...`) whose block also holds `at`, so a use there
    /// runs after it and sees no earlier binding. A binding inside a branch,
    /// loop target, `with` or walrus does not dominate.
    pub fn dominates(&self, id: BindingId, at: usize) -> bool {
        let b = &self.bindings[id];
        if b.at > at
            || !matches!(
                b.kind,
                BindingKind::Assignment {
                    unpacked: false,
                    ..
                } | BindingKind::Augmented { .. }
            )
        {
            return false;
        }
        b.statement_block
            .is_some_and(|(start, end)| (start..end).contains(&at))
    }

    /// Is `name`, used at `at` in `scope`, the exception an enclosing
    /// `except ... as name:` clause is handling (the binding the use sees is
    /// that clause's, and the use is inside it)?
    pub fn caught_at(&self, scope: ScopeId, name: &str, at: usize) -> bool {
        self.lookup(scope, name, at).is_some_and(|b| match b.kind {
            BindingKind::Except { clause, .. } => clause.byte_range().contains(&at),
            _ => false,
        })
    }

    /// The members of class scope `class` (class attributes, methods and
    /// `self.x` assigned in its methods), first binding of each name, in
    /// document order.
    pub fn members(&self, class: ScopeId) -> Vec<&Binding<'a>> {
        let mut out: Vec<&Binding<'a>> = self
            .by_name
            .get(class)
            .into_iter()
            .flat_map(|names| names.values())
            .filter_map(|ids| ids.first().map(|id| &self.bindings[*id]))
            .collect();
        out.sort_by_key(|b| b.name_node.start_byte());
        out
    }

    /// The innermost scope whose node holds `offset`.
    pub fn scope_containing(&self, offset: usize) -> ScopeId {
        self.scopes
            .iter()
            .enumerate()
            .skip(1)
            .rev()
            .find(|(_, s)| s.node.byte_range().contains(&offset))
            .map_or(MODULE, |(i, _)| i)
    }

    /// A class attribute or an instance attribute (`self.x = ...` in any of
    /// its methods) of the class scope `class`.
    pub fn member(&self, class: ScopeId, name: &str) -> Option<&Binding<'a>> {
        self.ids(class, name).first().map(|id| &self.bindings[*id])
    }

    /// `receiver.name` inside method `scope`, where `receiver` is the
    /// method's first parameter: the class member it names.
    pub fn self_member(&self, scope: ScopeId, receiver: &str, name: &str) -> Option<&Binding<'a>> {
        let method = self.function_of(scope)?;
        if self.scopes[method].receiver != Some(receiver) {
            return None;
        }
        self.member(self.class_of_method(method)?, name)
    }

    fn ids(&self, scope: ScopeId, name: &str) -> &[BindingId] {
        self.by_name
            .get(scope)
            .and_then(|names| names.get(name))
            .map_or(&[][..], Vec::as_slice)
    }

    /// Calls `check` with the qualified name(s) the dotted expression text
    /// `dotted` stands for at `at` in `scope`, and returns the first answer:
    /// through an import binding (`t.sleep` with `import time as t`), a
    /// module-level alias of one (`sleep = time.sleep`), or a star import.
    /// A name bound locally to anything else (a parameter, a local
    /// function) resolves to nothing: it is not the library's name.
    pub fn resolve_with<T>(
        &self,
        dotted: &str,
        scope: ScopeId,
        at: usize,
        mut check: impl FnMut(&str) -> Option<T>,
    ) -> Option<T> {
        let mut buf = String::new();
        if self.qualify_into(dotted, scope, at, 0, &mut buf) {
            return check(&buf);
        }
        if self.lookup_id(scope, head(dotted), at).is_some() {
            return None;
        }
        let mut current = Some(scope);
        while let Some(s) = current {
            for (star_scope, module) in self.stars.iter().rev() {
                if *star_scope == s {
                    buf.clear();
                    buf.push_str(module);
                    buf.push('.');
                    buf.push_str(dotted);
                    if let Some(found) = check(&buf) {
                        return Some(found);
                    }
                }
            }
            current = self.scopes[s].parent;
        }
        None
    }

    /// The qualified name `dotted` stands for through imports, if any.
    pub fn qualified_name(&self, dotted: &str, scope: ScopeId, at: usize) -> Option<String> {
        self.resolve_with(dotted, scope, at, |q| Some(q.to_owned()))
    }

    /// Whether `dotted` resolves to one of `targets`.
    pub fn resolves_to<'t>(
        &self,
        dotted: &str,
        scope: ScopeId,
        at: usize,
        targets: &[&'t str],
    ) -> Option<&'t str> {
        self.resolve_with(dotted, scope, at, |q| {
            targets.iter().copied().find(|t| *t == q)
        })
    }

    fn qualify_into(
        &self,
        dotted: &str,
        scope: ScopeId,
        at: usize,
        depth: usize,
        out: &mut String,
    ) -> bool {
        let (name, rest) = match dotted.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (dotted, None),
        };
        let Some(binding) = self.lookup(scope, name, at) else {
            return false;
        };
        let push_rest = |out: &mut String| {
            if let Some(rest) = rest {
                out.push('.');
                out.push_str(rest);
            }
        };
        match &binding.kind {
            BindingKind::Import { qualified } => {
                out.clear();
                out.push_str(qualified);
                push_rest(out);
                true
            }
            // `sleep = time.sleep`: an alias of an imported name.
            BindingKind::Assignment {
                value: Some(value),
                annotation: None,
                unpacked: false,
            } if depth < 4 && matches!(value.kind_str(), "identifier" | "attribute") => {
                let Some(target) = crate::python::ast::dotted_name(*value, self.source) else {
                    return false;
                };
                if target == name {
                    return false;
                }
                let target = target.into_owned();
                if !self.qualify_into(&target, binding.scope, binding.at, depth + 1, out) {
                    return false;
                }
                push_rest(out);
                true
            }
            _ => false,
        }
    }
}

/// Is the path `child` (a child of the comprehension `comprehension`) then
/// `below` (a child of `child`, `None` for `child` itself) the first `for`
/// clause's iterable, which is evaluated in the scope around?
fn is_first_iterable(comprehension: Node<'_>, child: Node<'_>, below: Option<Node<'_>>) -> bool {
    if child.kind_str() != "for_in_clause" {
        return false;
    }
    let mut cursor = comprehension.walk();
    let first = comprehension
        .named_children(&mut cursor)
        .find(|c| c.kind_str() == "for_in_clause");
    first.is_some_and(|f| f.id() == child.id())
        && below.is_some_and(|b| {
            child
                .child_by_field_id(*fid::RIGHT)
                .is_some_and(|r| r.id() == b.id())
        })
}

fn head(dotted: &str) -> &str {
    dotted.split('.').next().unwrap_or(dotted)
}

#[cfg(test)]
mod tests;
