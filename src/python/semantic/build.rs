//! Building the semantic model during the walk: the walk calls [`Semantic::visit`] for the
//! node kinds in [`SEMANTIC_KINDS`] (before the rules see the node) and
//! [`Semantic::bind_imports`] after extracting an import statement's facts.

use std::collections::HashMap;

use tree_sitter::Node;

use super::{Binding, BindingKind, Scope, ScopeId, ScopeKind, Semantic};
use crate::parse::NodeKind;
use crate::python::ast::{self as pyast, fid};
use crate::python::imports::Import;

/// The node kinds that open a scope or bind a name.
pub const SEMANTIC_KINDS: &[&str] = &[
    "function_definition",
    "class_definition",
    "lambda",
    "assignment",
    "augmented_assignment",
    "for_statement",
    "with_item",
    "named_expression",
    "except_clause",
    "list_comprehension",
    "set_comprehension",
    "dictionary_comprehension",
    "generator_expression",
    "global_statement",
    "nonlocal_statement",
];

/// The node kinds of comprehensions, each a scope of its own.
pub(super) const COMPREHENSIONS: &[&str] = &[
    "list_comprehension",
    "set_comprehension",
    "dictionary_comprehension",
    "generator_expression",
];

/// Targets of one unpacking assignment bound at most: a literal with thousands of names is
/// not a program anyone reads by name.
const MAX_TARGETS: usize = 256;

impl<'a> Semantic<'a> {
    pub fn new(root: Node<'a>, source: &'a str) -> Semantic<'a> {
        Semantic {
            source,
            scopes: vec![Scope {
                kind: ScopeKind::Module,
                node: root,
                parent: None,
                name: "",
                receiver: None,
                body: None,
            }],
            bindings: Vec::new(),
            by_name: vec![HashMap::new()],
            stars: Vec::new(),
            declared: Vec::new(),
        }
    }

    /// The scope or bindings `node` (one of [`SEMANTIC_KINDS`]) makes; ancestors outermost first.
    pub fn visit(&mut self, node: Node<'a>, ancestors: &[Node<'a>]) {
        match node.kind_str() {
            "function_definition" => self.visit_def(node, ancestors),
            "class_definition" => {
                let scope = self.scope_of(ancestors, node);
                let name = node.child_by_field_id(*fid::NAME);
                if let Some(name) = name {
                    self.bind(
                        scope,
                        name,
                        BindingKind::Class { node },
                        node.end_byte(),
                        false,
                    );
                }
                self.scopes.push(Scope {
                    kind: ScopeKind::Class,
                    node,
                    parent: Some(scope),
                    name: name.map_or("", |n| self.text(n)),
                    receiver: None,
                    body: node.child_by_field_id(*fid::BODY).map(|b| b.id()),
                });
            }
            "lambda" => {
                let id = self.open_unnamed(ScopeKind::Lambda, node, ancestors);
                if let Some(params) = node.child_by_field_id(*fid::PARAMETERS) {
                    self.bind_parameters(id, params);
                }
            }
            "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression" => self.visit_comprehension(node, ancestors),
            "global_statement" | "nonlocal_statement" => {
                let scope = self.scope_of(ancestors, node);
                if !matches!(self.scopes[scope].kind, ScopeKind::Function { .. }) {
                    return;
                }
                let global = node.kind_str() == "global_statement";
                let mut cursor = node.walk();
                let names: Vec<Node<'a>> = node
                    .named_children(&mut cursor)
                    .filter(|n| n.kind_str() == "identifier")
                    .collect();
                for n in names {
                    let name = self.text(n);
                    let target = if global {
                        Some(super::MODULE)
                    } else {
                        self.nonlocal_target(scope, name)
                    };
                    if let Some(target) = target {
                        self.declared.push((scope, name, target));
                    }
                }
            }
            "assignment" => self.visit_assignment(node, ancestors),
            "augmented_assignment" => {
                if let Some(left) = node
                    .child_by_field_id(*fid::LEFT)
                    .filter(|l| l.kind_str() == "identifier")
                {
                    let scope = self.scope_of(ancestors, node);
                    let id = self.bind(
                        scope,
                        left,
                        BindingKind::Augmented { statement: node },
                        node.end_byte(),
                        false,
                    );
                    self.set_statement_block(id, ancestors);
                }
            }
            "for_statement" => {
                let Some((left, right)) = pyast::left_right(node) else {
                    return;
                };
                let scope = self.scope_of(ancestors, node);
                let at = right.end_byte();
                self.bind_targets(scope, left, at, &|_| BindingKind::For { iterable: right });
            }
            "with_item" => {
                let Some(pattern) = node
                    .child_by_field_id(*fid::VALUE)
                    .filter(|v| v.kind_str() == "as_pattern")
                else {
                    return;
                };
                let (Some(value), Some(target)) = (
                    pattern.named_child(0),
                    pattern
                        .child_by_field_id(*fid::ALIAS)
                        .and_then(|a| a.named_child(0)),
                ) else {
                    return;
                };
                let is_async = ancestors.iter().rev().any(|a| {
                    a.kind_str() == "with_statement"
                        && a.child(0).is_some_and(|c| c.kind_str() == "async")
                });
                let scope = self.scope_of(ancestors, node);
                let at = node.end_byte();
                if target.kind_str() == "identifier" {
                    self.bind(
                        scope,
                        target,
                        BindingKind::With { value, is_async },
                        at,
                        false,
                    );
                } else {
                    self.bind_targets(scope, target, at, &|_| BindingKind::Assignment {
                        value: Some(value),
                        annotation: None,
                        unpacked: true,
                    });
                }
            }
            "named_expression" => {
                let (Some(name), Some(value)) = (
                    node.child_by_field_id(*fid::NAME),
                    node.child_by_field_id(*fid::VALUE),
                ) else {
                    return;
                };
                let scope = self.scope_of(ancestors, node);
                self.bind(
                    scope,
                    name,
                    BindingKind::Assignment {
                        value: Some(value),
                        annotation: None,
                        unpacked: false,
                    },
                    node.end_byte(),
                    false,
                );
            }
            "except_clause" => {
                // `except E as e:` / `except* E as e:`: `e` is the caught
                // exception inside the clause (Python unbinds it after).
                // The grammar writes it `value: as_pattern(types, alias:
                // as_pattern_target(identifier))`.
                let Some(pattern) = node
                    .child_by_field_id(*fid::VALUE)
                    .filter(|v| v.kind_str() == "as_pattern")
                else {
                    return;
                };
                let Some(alias) = pattern
                    .child_by_field_id(*fid::ALIAS)
                    .and_then(|a| a.named_child(0))
                    .filter(|a| a.kind_str() == "identifier")
                else {
                    return;
                };
                let types = pattern.named_child(0).filter(|t| t.id() != alias.id());
                let scope = self.scope_of(ancestors, node);
                self.bind(
                    scope,
                    alias,
                    BindingKind::Except {
                        types,
                        clause: node,
                    },
                    alias.end_byte(),
                    false,
                );
            }
            _ => {}
        }
    }

    /// Binds the names `imports` (`statement`'s facts) introduce, in the statement's scope.
    pub fn bind_imports(
        &mut self,
        statement: Node<'a>,
        ancestors: &[Node<'a>],
        imports: &[Import],
    ) {
        let scope = self.scope_of(ancestors, statement);
        let at = statement.end_byte();
        for imp in imports {
            let dots = ".".repeat(imp.level as usize);
            if imp.is_from {
                for n in &imp.names {
                    if n.name == "*" {
                        self.stars.push((scope, format!("{dots}{}", imp.module)));
                        continue;
                    }
                    let local = n.alias.as_deref().unwrap_or(&n.name);
                    let qualified = if imp.module.is_empty() {
                        format!("{dots}{}", n.name)
                    } else {
                        format!("{dots}{}.{}", imp.module, n.name)
                    };
                    self.bind_import(scope, statement, local, qualified, at);
                }
            } else {
                let (local, qualified) = match &imp.alias {
                    Some(alias) => (alias.as_str(), imp.module.to_string()),
                    None => {
                        let first = pyast::first_segment(&imp.module);
                        (first, first.to_owned())
                    }
                };
                self.bind_import(scope, statement, local, qualified, at);
            }
        }
    }

    fn bind_import(
        &mut self,
        scope: ScopeId,
        statement: Node<'a>,
        local: &str,
        qualified: String,
        at: usize,
    ) {
        // The local name as it appears in the statement's text, so the
        // binding borrows the file like every other.
        let Some(name) = find_word(self.source, statement, local) else {
            return;
        };
        let id = self.bindings.len();
        self.bindings.push(Binding {
            name,
            scope,
            kind: BindingKind::Import { qualified },
            at,
            name_node: statement,
            instance: false,
            statement_block: None,
        });
        self.index(scope, name, id);
    }

    /// `[f(x) for x in xs if x]`: a scope whose `for` targets are bound
    /// from its start (the element, written first, sees them); the first
    /// iterable is evaluated outside ([`Semantic::scope_of`]).
    fn visit_comprehension(&mut self, node: Node<'a>, ancestors: &[Node<'a>]) {
        let id = self.open_unnamed(ScopeKind::Comprehension, node, ancestors);
        let mut cursor = node.walk();
        let clauses: Vec<Node<'a>> = node
            .named_children(&mut cursor)
            .filter(|c| c.kind_str() == "for_in_clause")
            .collect();
        for clause in clauses {
            let Some((left, right)) = pyast::left_right(clause) else {
                continue;
            };
            self.bind_targets(id, left, node.start_byte(), &|_| BindingKind::For {
                iterable: right,
            });
        }
    }

    /// Opens a lambda's or comprehension's scope inside the one `node` is evaluated in.
    fn open_unnamed(&mut self, kind: ScopeKind, node: Node<'a>, ancestors: &[Node<'a>]) -> ScopeId {
        let parent = self.scope_of(ancestors, node);
        let id = self.scopes.len();
        self.scopes.push(Scope {
            kind,
            node,
            parent: Some(parent),
            name: "",
            receiver: None,
            body: (kind == ScopeKind::Lambda)
                .then(|| node.child_by_field_id(*fid::BODY).map(|b| b.id()))
                .flatten(),
        });
        id
    }

    /// The function scope a `nonlocal name` in `scope` refers to: the
    /// nearest enclosing function that binds `name`, else the nearest one.
    fn nonlocal_target(&self, scope: ScopeId, name: &str) -> Option<ScopeId> {
        let mut nearest = None;
        let mut current = self.scopes[scope].parent;
        while let Some(s) = current {
            if matches!(self.scopes[s].kind, ScopeKind::Function { .. }) {
                if !self.ids(s, name).is_empty() {
                    return Some(s);
                }
                nearest = nearest.or(Some(s));
            }
            current = self.scopes[s].parent;
        }
        nearest
    }

    fn visit_def(&mut self, node: Node<'a>, ancestors: &[Node<'a>]) {
        let scope = self.scope_of(ancestors, node);
        let name = node.child_by_field_id(*fid::NAME);
        if let Some(name) = name {
            self.bind(
                scope,
                name,
                BindingKind::Function { node },
                node.end_byte(),
                false,
            );
        }
        let params = node.child_by_field_id(*fid::PARAMETERS);
        let is_method = self.scopes[scope].kind == ScopeKind::Class;
        let receiver = if is_method && !is_static(ancestors.last().copied(), self.source) {
            params
                .and_then(|p| p.named_child(0))
                .and_then(|p| pyast::parameter_name(p))
                .map(|n| self.text(n))
        } else {
            None
        };
        let id = self.scopes.len();
        self.scopes.push(Scope {
            kind: ScopeKind::Function {
                is_async: pyast::is_async_def(node),
            },
            node,
            parent: Some(scope),
            name: name.map_or("", |n| self.text(n)),
            receiver,
            body: node.child_by_field_id(*fid::BODY).map(|b| b.id()),
        });
        if let Some(params) = params {
            self.bind_parameters(id, params);
        }
    }

    fn bind_parameters(&mut self, scope: ScopeId, params: Node<'a>) {
        let mut cursor = params.walk();
        let children: Vec<Node<'a>> = params.named_children(&mut cursor).collect();
        for p in children {
            let Some(name) = pyast::parameter_name(p) else {
                continue;
            };
            let annotation = p.child_by_field_id(*fid::TYPE);
            let default = p.child_by_field_id(*fid::VALUE);
            self.bind(
                scope,
                name,
                BindingKind::Parameter {
                    annotation,
                    default,
                },
                p.end_byte(),
                false,
            );
        }
    }

    fn visit_assignment(&mut self, node: Node<'a>, ancestors: &[Node<'a>]) {
        let Some(left) = node.child_by_field_id(*fid::LEFT) else {
            return;
        };
        let annotation = node.child_by_field_id(*fid::TYPE);
        // `a = b = value`: every target gets the innermost value (the inner
        // assignment is visited, and binds, on its own).
        let mut value = node.child_by_field_id(*fid::RIGHT);
        while let Some(v) = value.filter(|v| v.kind_str() == "assignment") {
            value = v.child_by_field_id(*fid::RIGHT);
        }
        let scope = self.scope_of(ancestors, node);
        let at = node.end_byte();
        match left.kind_str() {
            "identifier" => {
                let id = self.bind(
                    scope,
                    left,
                    BindingKind::Assignment {
                        value,
                        annotation,
                        unpacked: false,
                    },
                    at,
                    false,
                );
                self.set_statement_block(id, ancestors);
            }
            "attribute" => {
                // `self.x = value` in a method: an instance attribute.
                let (Some(object), Some(attr)) = (
                    left.child_by_field_id(*fid::OBJECT),
                    left.child_by_field_id(*fid::ATTRIBUTE),
                ) else {
                    return;
                };
                if object.kind_str() != "identifier" {
                    return;
                }
                let Some(method) = self.function_of(scope) else {
                    return;
                };
                if self.scopes[method].receiver != Some(self.text(object)) {
                    return;
                }
                let Some(class) = self.class_of_method(method) else {
                    return;
                };
                self.bind(
                    class,
                    attr,
                    BindingKind::Assignment {
                        value,
                        annotation,
                        unpacked: false,
                    },
                    at,
                    true,
                );
            }
            _ => self.bind_targets(scope, left, at, &|_| BindingKind::Assignment {
                value,
                annotation: None,
                unpacked: true,
            }),
        }
    }

    /// Binds every identifier of an unpacking target (`a, (b, *c)`).
    fn bind_targets(
        &mut self,
        scope: ScopeId,
        target: Node<'a>,
        at: usize,
        kind: &dyn Fn(Node<'a>) -> BindingKind<'a>,
    ) {
        let mut stack = vec![target];
        let mut bound = 0usize;
        while let Some(n) = stack.pop() {
            match n.kind_str() {
                "identifier" => {
                    bound += 1;
                    if bound > MAX_TARGETS {
                        return;
                    }
                    self.bind(scope, n, kind(n), at, false);
                }
                "pattern_list"
                | "tuple_pattern"
                | "list_pattern"
                | "tuple"
                | "list"
                | "list_splat_pattern"
                | "parenthesized_expression" => {
                    let mut cursor = n.walk();
                    let children: Vec<Node<'a>> = n.named_children(&mut cursor).collect();
                    stack.extend(children.into_iter().rev());
                }
                _ => {}
            }
        }
    }

    fn bind(
        &mut self,
        scope: ScopeId,
        name_node: Node<'a>,
        kind: BindingKind<'a>,
        at: usize,
        instance: bool,
    ) -> Option<usize> {
        let name = self.text(name_node);
        if name.is_empty() {
            return None;
        }
        // `global x` / `nonlocal x`: the name is bound where it was declared to live.
        let scope = if instance {
            scope
        } else {
            self.declared_scope(scope, name)
        };
        let id = self.bindings.len();
        self.bindings.push(Binding {
            name,
            scope,
            kind,
            at,
            name_node,
            instance,
            statement_block: None,
        });
        self.index(scope, name, id);
        Some(id)
    }

    fn index(&mut self, scope: ScopeId, name: &'a str, id: usize) {
        if self.by_name.len() <= scope {
            self.by_name.resize_with(scope + 1, HashMap::new);
        }
        self.by_name[scope].entry(name).or_default().push(id);
    }

    fn text(&self, node: Node<'_>) -> &'a str {
        self.source.get(node.byte_range()).unwrap_or("")
    }
}

/// A `def` under `@staticmethod` has no receiver.
fn is_static(parent: Option<Node<'_>>, source: &str) -> bool {
    let Some(parent) = parent.filter(|p| p.kind_str() == "decorated_definition") else {
        return false;
    };
    let mut cursor = parent.walk();
    let found = parent
        .named_children(&mut cursor)
        .filter(|c| c.kind_str() == "decorator")
        .any(|d| pyast::text(d, source).trim_start_matches('@').trim() == "staticmethod");
    found
}

/// `word` as a whole identifier inside `node`'s text, borrowed from the
/// source (import names are squashed copies; this finds the original).
fn find_word<'a>(source: &'a str, node: Node<'_>, word: &str) -> Option<&'a str> {
    // An empty name (broken imports) would match everywhere, forever.
    if word.is_empty() {
        return None;
    }
    let text = source.get(node.byte_range())?;
    let bytes = text.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    let mut from = 0;
    while let Some(i) = text.get(from..)?.find(word) {
        let start = from + i;
        let end = start + word.len();
        let before_ok = start == 0 || !is_ident(bytes[start - 1]);
        let after_ok = end == bytes.len() || !is_ident(bytes[end]);
        if before_ok && after_ok {
            return text.get(start..end);
        }
        from = end;
    }
    None
}
