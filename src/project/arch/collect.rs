//! The collector: architecture facts from the nodes the walk hands it.

use crate::python::name::Name;
use std::collections::HashSet;

use tree_sitter::Node;

use super::*;
use crate::diagnostic::LineIndex;
use crate::parse::NodeKind;
use crate::python::ast::{fid, text};
use crate::python::fastapi::{self, is_http_exception};
use crate::python::imports::{imported_from, Import};
use crate::python::semantic::Semantic;
use crate::python::shape;
use crate::python::sqlalchemy::{
    is_sql_module_alias, is_sql_name, provider_name_says_session, SESSION_METHODS,
};
use crate::python::vocab::is_http_client_name;

/// Builds [`ArchFacts`] from the nodes the walk hands it, in document order.
#[derive(Default)]
pub struct Collector {
    facts: ArchFacts,
    /// Open functions: (end byte, handler index if it is a route handler).
    functions: Vec<(usize, Option<usize>)>,
    raises: Vec<Raise>,
}

impl Collector {
    pub fn visit(
        &mut self,
        node: Node<'_>,
        ancestors: &[Node<'_>],
        source: &str,
        lines: &LineIndex,
        semantic: &Semantic<'_>,
    ) {
        let at = node.start_byte();
        while self.functions.last().is_some_and(|(end, _)| *end <= at) {
            self.functions.pop();
        }
        let handler = self.functions.last().and_then(|(_, h)| *h);
        let kind = node.kind_str();
        if let Some(h) = handler {
            self.in_handler(h, node, ancestors.last().copied(), kind, source, lines);
        }
        match kind {
            "function_definition" => self.function(node, ancestors, source, lines, semantic),
            "class_definition" => self.class(node, source),
            "assignment" => self.assignment(node, ancestors, source),
            "type_alias_statement" if is_module_level(ancestors) => {
                let mut cursor = node.walk();
                let parts: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
                if let [name, value] = parts.as_slice() {
                    let name = text(*name, source).to_owned();
                    self.alias(name, *value, source);
                }
            }
            "if_statement" if ancestors.len() == 1 => {
                let is_main = node
                    .child_by_field_id(*fid::CONDITION)
                    .map(|c| text(c, source).replace(' ', "").replace('\'', "\""))
                    .is_some_and(|c| {
                        c == "__name__==\"__main__\"" || c == "\"__main__\"==__name__"
                    });
                if is_main {
                    if let Some(body) = node.child_by_field_id(*fid::CONSEQUENCE) {
                        self.facts.main_blocks.push(body.byte_range());
                    }
                }
            }
            "raise_statement" => {
                if let Some(name) = super::raises::builtin_raise(node, ancestors, source, semantic)
                {
                    self.facts.builtin_raises.push(Raise {
                        exception: Name::new(name),
                        spot: spot(node, source, lines),
                    });
                }
                let Some(mut exc) = node.named_child(0) else {
                    return;
                };
                if exc.kind_str() == "call" {
                    match exc.child_by_field_id(*fid::FUNCTION) {
                        Some(f) => exc = f,
                        None => return,
                    }
                }
                if let Some(name) = dotted_name(exc, source) {
                    self.raises.push(Raise {
                        exception: Name::from(name),
                        spot: spot(node, source, lines),
                    });
                }
            }
            _ => {}
        }
    }

    fn in_handler(
        &mut self,
        h: usize,
        node: Node<'_>,
        parent: Option<Node<'_>>,
        kind: &str,
        source: &str,
        lines: &LineIndex,
    ) {
        let handler = &mut self.facts.handlers[h];
        match kind {
            "for_statement" | "while_statement" => {
                // A comprehension written out (`for m in ms: out.append(...)`)
                // shapes the response, as a comprehension does.
                if !shape::is_collection_building_loop(node, source) {
                    handler
                        .loops
                        .push(lines.position(node.start_byte(), source));
                }
                handler.statements += 1;
            }
            "call" => {
                let Some(function) = node.child_by_field_id(*fid::FUNCTION) else {
                    return;
                };
                passed_names(handler, node, function, source, lines);
                // The walk's ancestors end with the parent (`Node::parent`
                // would descend from the root again).
                let awaited = parent.is_some_and(|p| p.kind_str() == "await");
                if !awaited && !handler.may_block {
                    let callee = text(function, source);
                    handler.may_block = !crate::python::vocab::non_blocking(callee);
                }
                match function.kind_str() {
                    "identifier" if text(function, source) == "select" => handler.queries.push((
                        Name::new("select"),
                        lines.position(node.start_byte(), source),
                    )),
                    "attribute" => {
                        let (Some(object), Some(attr)) = (
                            function.child_by_field_id(*fid::OBJECT),
                            function.child_by_field_id(*fid::ATTRIBUTE),
                        ) else {
                            return;
                        };
                        let attr = text(attr, source);
                        let pos = || lines.position(attr_start(function), source);
                        match attr {
                            "where" | "filter" | "filter_by" => {
                                handler
                                    .queries
                                    .push((Name::from(format!(".{attr}")), pos()));
                            }
                            "select" => {
                                if let Some(base) = dotted_name(object, source) {
                                    handler
                                        .queries
                                        .push((Name::from(format!("{base}.select")), pos()));
                                }
                            }
                            _ => {}
                        }
                        // `self.session.query(...)` in a class-based view:
                        // the member is one of the handler's parameters.
                        if object.kind_str() == "attribute" && SESSION_METHODS.contains(&attr) {
                            if let Some(member) = dotted_name(object, source) {
                                if handler.params.iter().any(|p| p.name == member) {
                                    handler.param_calls.push((
                                        Name::from(member),
                                        Name::new(attr),
                                        lines.position(node.start_byte(), source),
                                    ));
                                }
                            }
                        }
                        if object.kind_str() == "identifier" && SESSION_METHODS.contains(&attr) {
                            let receiver = text(object, source);
                            if handler.params.iter().any(|p| p.name == receiver)
                                || handler
                                    .opened_sessions
                                    .iter()
                                    .any(|(n, _, _)| n == receiver)
                            {
                                handler.param_calls.push((
                                    Name::new(receiver),
                                    Name::new(attr),
                                    lines.position(node.start_byte(), source),
                                ));
                            }
                        }
                    }
                    _ => {}
                }
            }
            "with_statement" => {
                handler.statements += 1;
                opened_sessions(node, source, lines, &mut handler.opened_sessions);
            }
            "expression_statement" => {
                // Docstrings and bare strings are not work.
                let only_string = node.named_child_count() == 1
                    && node
                        .named_child(0)
                        .is_some_and(|c| c.kind_str() == "string");
                if !only_string {
                    handler.statements += 1;
                }
            }
            k if k.ends_with("_statement")
                || k == "function_definition"
                || k == "class_definition" =>
            {
                handler.statements += 1;
            }
            _ => {}
        }
    }

    fn function(
        &mut self,
        node: Node<'_>,
        ancestors: &[Node<'_>],
        source: &str,
        lines: &LineIndex,
        semantic: &Semantic<'_>,
    ) {
        let name_node = node.child_by_field_id(*fid::NAME);
        let name = name_node.map(|n| text(n, source)).unwrap_or("").to_owned();
        let mut handler_index = None;
        if let Some(decorated) = ancestors
            .last()
            .filter(|a| a.kind_str() == "decorated_definition")
        {
            let mut cursor = decorated.walk();
            let mut routes = decorated
                .named_children(&mut cursor)
                .filter(|d| d.kind_str() == "decorator")
                .filter_map(|d| route_decorator(d, source));
            if let Some((receiver, method)) = routes.next() {
                // Further route decorators: `@cache.get(...)` may sit above `@router.get(...)`.
                let also: thin_vec::ThinVec<(String, &'static str)> = routes.collect();
                let is_async = node.child(0).is_some_and(|c| c.kind_str() == "async");
                let mut params = node
                    .child_by_field_id(*fid::PARAMETERS)
                    .map(|p| parameters(p, source, lines))
                    .unwrap_or_default();
                params.extend(super::cbv::class_members(
                    node, ancestors, source, lines, semantic,
                ));
                self.facts.handlers.push(Handler {
                    name: Name::new(&name),
                    is_async,
                    receiver: Name::from(receiver),
                    method,
                    also,
                    spot: name_node
                        .map_or_else(|| spot(node, source, lines), |n| spot(n, source, lines)),
                    params: params.into(),
                    ..Handler::default()
                });
                handler_index = Some(self.facts.handlers.len() - 1);
            }
        }
        if is_module_level(ancestors) {
            // Kept only where it can matter for a provider question: a return
            // type that may be a session, or a name the heuristic would take
            // for a session provider (the annotation then vetoes it). Without
            // either, "not found" gives the same answer and keeps the facts small.
            let returns = node
                .child_by_field_id(*fid::RETURN_TYPE)
                .map(|r| digest(r, source).names);
            let may_matter = match &returns {
                Some(names) => {
                    provider_name_says_session(&name)
                        || names
                            .iter()
                            .any(|n| n.to_ascii_lowercase().contains("session"))
                }
                None => false,
            };
            if may_matter {
                self.facts.functions.push(FunctionSig {
                    name: Name::from(name),
                    returns,
                });
            }
        }
        self.functions.push((node.end_byte(), handler_index));
    }

    fn class(&mut self, node: Node<'_>, source: &str) {
        self.facts.classes += 1;
        let Some(bases) = node.child_by_field_id(*fid::SUPERCLASSES) else {
            return;
        };
        let name = node
            .child_by_field_id(*fid::NAME)
            .map(|n| text(n, source))
            .unwrap_or("")
            .to_owned();
        let mut cursor = bases.walk();
        let bases: Vec<String> = bases
            .named_children(&mut cursor)
            .filter_map(|b| dotted_name(b, source))
            .collect();
        if !bases.is_empty() {
            self.facts.http_exception_classes.push((
                Name::from(name),
                bases.into_iter().map(Name::from).collect(),
            ));
        }
    }

    fn assignment(&mut self, node: Node<'_>, ancestors: &[Node<'_>], source: &str) {
        let (Some(left), Some(right)) = (
            node.child_by_field_id(*fid::LEFT),
            node.child_by_field_id(*fid::RIGHT),
        ) else {
            return;
        };
        let Some(name) = dotted_name(left, source) else {
            return;
        };
        if right.kind_str() == "call" {
            let callee = right
                .child_by_field_id(*fid::FUNCTION)
                .and_then(|f| dotted_name(f, source));
            if callee
                .as_deref()
                .is_some_and(fastapi::is_router_constructor)
            {
                self.facts.routers.push(Name::from(name));
            }
            return;
        }
        if left.kind_str() != "identifier" || !is_module_level(ancestors) {
            return;
        }
        if matches!(right.kind_str(), "identifier" | "attribute") {
            // `AsyncSession = _AsyncSession`, `SessionDep = deps.SessionDep`
            self.alias(name, right, source);
            return;
        }
        let is_annotated = right.kind_str() == "subscript"
            && right
                .child_by_field_id(*fid::VALUE)
                .and_then(|v| dotted_name(v, source))
                .is_some_and(|v| fastapi::last_segment(&v) == "Annotated");
        if is_annotated {
            self.alias(name, right, source);
        }
    }

    fn alias(&mut self, name: String, value: Node<'_>, source: &str) {
        let digest = digest(value, source);
        if !digest.names.is_empty() || !digest.providers.is_empty() {
            self.facts.aliases.push(Alias {
                name: Name::from(name),
                digest,
            });
        }
    }

    /// Resolve what needs the file's imports; called once after the walk.
    pub fn finish(mut self, imports: &[Import]) -> ArchFacts {
        // Classes deriving (transitively, within the file) from HTTPException,
        // and candidates deriving from an imported class. One pass in document
        // order: a base class is defined before its subclasses.
        let classes = std::mem::take(&mut self.facts.http_exception_classes);
        let mut http_classes: HashSet<&str> = HashSet::new();
        let mut candidates: HashSet<&str> = HashSet::new();
        for (name, bases) in &classes {
            if bases
                .iter()
                .any(|b| http_classes.contains(b.as_str()) || is_http_exception(b, imports))
            {
                http_classes.insert(name);
            } else if bases.iter().any(|b| {
                candidates.contains(b.as_str())
                    || imported_from(b, imports).is_some_and(|(i, _)| !is_known_library(i))
            }) {
                candidates.insert(name);
            }
        }
        let http_classes: HashSet<Name> = http_classes.into_iter().map(Name::new).collect();
        let candidates: HashSet<Name> = candidates.into_iter().map(Name::new).collect();
        self.facts.http_exception_classes = classes
            .into_iter()
            .filter(|(name, _)| http_classes.contains(name) || candidates.contains(name))
            .map(|(name, bases)| {
                if http_classes.contains(&name) {
                    (name, vec![Name::new("HTTPException")])
                } else {
                    (name, bases)
                }
            })
            .collect();
        for raise in std::mem::take(&mut self.raises) {
            if is_http_exception(&raise.exception, imports)
                || http_classes.contains(&raise.exception)
            {
                self.facts.http_raises.push(raise);
            } else if candidates.contains(&raise.exception)
                || imported_from(&raise.exception, imports).is_some()
            {
                self.facts.imported_raises.push(raise);
            }
        }
        for handler in &mut self.facts.handlers {
            // `async with aiohttp.ClientSession() as session:` speaks HTTP.
            let http: Vec<Name> = handler
                .opened_sessions
                .iter()
                .filter(|(_, opener, _)| is_http_client_name(opener, imports))
                .map(|(name, _, _)| *name)
                .collect();
            if !http.is_empty() {
                handler
                    .opened_sessions
                    .retain(|(name, _, _)| !http.contains(name));
                let params = &handler.params;
                let is_param = |n: &str| params.iter().any(|p| p.name == n);
                handler
                    .param_calls
                    .retain(|(name, _, _)| !http.contains(name) || is_param(name));
                handler
                    .param_passes
                    .retain(|(name, _, _)| !http.contains(name) || is_param(name));
            }
            handler.queries.retain(|(q, _)| match q.as_str() {
                "select" => is_sql_name("select", imports),
                ".where" | ".filter" | ".filter_by" => true,
                other => other
                    .strip_suffix(".select")
                    .is_some_and(|base| is_sql_module_alias(base, imports)),
            });
        }
        self.facts
    }
}

/// `f(db)`, `Repo(session=db)`: a handler's parameter (or a session it
/// opened) handed to a call.
fn passed_names(
    handler: &mut Handler,
    call: Node<'_>,
    function: Node<'_>,
    source: &str,
    lines: &LineIndex,
) {
    let Some(args) = call.child_by_field_id(*fid::ARGUMENTS) else {
        return;
    };
    let mut cursor = args.walk();
    for arg in args.named_children(&mut cursor) {
        let value = match arg.kind_str() {
            "identifier" | "attribute" => arg,
            "keyword_argument" => match arg.child_by_field_id(*fid::VALUE) {
                Some(v) if matches!(v.kind_str(), "identifier" | "attribute") => v,
                _ => continue,
            },
            _ => continue,
        };
        let name: &str = &match value.kind_str() {
            "attribute" => match dotted_name(value, source) {
                Some(member) => member,
                None => continue,
            },
            _ => text(value, source).to_owned(),
        };
        let known = handler.params.iter().any(|p| p.name == name)
            || handler.opened_sessions.iter().any(|(n, _, _)| n == name);
        if known && handler.param_passes.len() < 256 {
            let callee = dotted_name(function, source).or_else(|| {
                let written: String = text(function, source).split_whitespace().collect();
                (written.len() <= 60).then_some(written)
            });
            handler.param_passes.push((
                Name::new(name),
                callee.map(Name::from),
                lines.position(call.start_byte(), source),
            ));
        }
    }
}

pub(super) fn spot(node: Node<'_>, source: &str, lines: &LineIndex) -> Spot {
    Spot::new(
        node.byte_range(),
        lines.position(node.start_byte(), source),
        lines.position(node.end_byte(), source),
    )
}

fn is_module_level(ancestors: &[Node<'_>]) -> bool {
    // Module-level code sits under a few `if`/`try` at most; the bound keeps
    // pathological nesting linear.
    ancestors.len() <= 24
        && ancestors.iter().all(|a| {
            matches!(
                a.kind_str(),
                "module"
                    | "expression_statement"
                    | "decorated_definition"
                    | "if_statement"
                    | "else_clause"
                    | "elif_clause"
                    | "try_statement"
                    | "except_clause"
                    | "finally_clause"
                    | "block"
            )
        })
}

/// `with Session(engine) as session`, `async with db.session_context() as session`:
/// names bound to something whose opener is named after a session.
fn opened_sessions(
    with_statement: Node<'_>,
    source: &str,
    lines: &LineIndex,
    out: &mut thin_vec::ThinVec<(Name, Name, Spot)>,
) {
    let mut cursor = with_statement.walk();
    let Some(clause) = with_statement
        .named_children(&mut cursor)
        .find(|c| c.kind_str() == "with_clause")
    else {
        return;
    };
    let mut cursor = clause.walk();
    for item in clause.named_children(&mut cursor) {
        let Some(pattern) = item
            .child_by_field_id(*fid::VALUE)
            .filter(|v| v.kind_str() == "as_pattern")
        else {
            continue;
        };
        let Some(call) = pattern.named_child(0).filter(|c| c.kind_str() == "call") else {
            continue;
        };
        let Some(opener) = call
            .child_by_field_id(*fid::FUNCTION)
            .and_then(|f| dotted_name(f, source))
        else {
            continue;
        };
        if !fastapi::last_segment(&opener)
            .to_ascii_lowercase()
            .contains("session")
        {
            continue;
        }
        let Some(name) = pattern
            .child_by_field_id(*fid::ALIAS)
            .and_then(|a| a.named_child(0))
            .filter(|n| n.kind_str() == "identifier")
        else {
            continue;
        };
        out.push((
            Name::new(text(name, source)),
            Name::from(opener),
            spot(item, source, lines),
        ));
    }
}

/// `where` in `x.where(`: point at the attribute, so a chained call reports on its own line.
fn attr_start(attribute: Node<'_>) -> usize {
    attribute
        .child_by_field_id(*fid::ATTRIBUTE)
        .map_or(attribute.start_byte(), |a| a.start_byte())
}

/// Libraries whose classes are never first-party `HTTPException` subclasses
/// (models, schemas, enums): their subclasses need no project-wide look-up.
fn is_known_library(import: &Import) -> bool {
    import.level == 0
        && matches!(
            import.module.split('.').next(),
            Some(
                "pydantic"
                    | "pydantic_settings"
                    | "sqlalchemy"
                    | "sqlmodel"
                    | "enum"
                    | "typing"
                    | "typing_extensions"
                    | "abc"
                    | "dataclasses"
                    | "collections"
                    | "datetime"
            )
        )
}
