//! Architecture facts, gathered during the engine's single walk: route
//! handlers and what they do, routers, `Annotated` dependency aliases,
//! dependency providers, and `raise` statements of HTTP exceptions. The
//! layer rules judge them project-wide.

use std::collections::HashSet;
use std::ops::Range;

use tree_sitter::Node;

use crate::parse::NodeKind;

use super::Import;
use crate::diagnostic::{LineIndex, Position};
use crate::python::fastapi;

/// Field ids, looked up once: `child_by_field_name` compares strings on every call.
mod field {
    use std::sync::LazyLock;

    static IDS: LazyLock<Vec<u16>> = LazyLock::new(|| {
        let language = crate::parse::language();
        NAMES
            .iter()
            .map(|n| {
                language
                    .field_id_for_name(n)
                    .map_or(u16::MAX, |id| id.get())
            })
            .collect()
    });

    const NAMES: &[&str] = &[
        "alias",
        "arguments",
        "attribute",
        "condition",
        "consequence",
        "function",
        "left",
        "name",
        "object",
        "parameters",
        "return_type",
        "right",
        "superclasses",
        "type",
        "value",
    ];

    macro_rules! ids {
        ($($f:ident = $i:expr),* $(,)?) => {
            $(
                #[allow(non_snake_case)]
                pub fn $f() -> u16 {
                    IDS[$i]
                }
            )*
        };
    }

    ids!(
        ALIAS = 0,
        ARGUMENTS = 1,
        ATTRIBUTE = 2,
        CONDITION = 3,
        CONSEQUENCE = 4,
        FUNCTION = 5,
        LEFT = 6,
        NAME = 7,
        OBJECT = 8,
        PARAMETERS = 9,
        RETURN_TYPE = 10,
        RIGHT = 11,
        SUPERCLASSES = 12,
        TYPE = 13,
        VALUE = 14,
    );
}

/// Does the rule with this code read architecture facts?
pub fn wanted_by(code: &str) -> bool {
    code.starts_with("LAY") || code == "ASY001"
}

/// Node kinds the collector wants to see.
pub const ARCH_KINDS: &[&str] = &[
    "function_definition",
    "class_definition",
    "assignment",
    "type_alias_statement",
    "raise_statement",
    "call",
    "for_statement",
    "while_statement",
    "expression_statement",
    "return_statement",
    "assert_statement",
    "delete_statement",
    "pass_statement",
    "break_statement",
    "continue_statement",
    "global_statement",
    "nonlocal_statement",
    "import_statement",
    "import_from_statement",
    "if_statement",
    "with_statement",
    "try_statement",
    "match_statement",
];

/// Methods of a SQLAlchemy/SQLModel session.
pub const SESSION_METHODS: &[&str] = &[
    "execute", "exec", "scalars", "scalar", "get", "add", "add_all", "delete", "commit", "refresh",
    "query", "flush", "rollback", "merge",
];

/// A place in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spot {
    pub span: Range<usize>,
    pub start: Position,
    pub end: Position,
}

/// The names a type annotation mentions, and the providers of any
/// `Depends(provider)` in it (or in a parameter's default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeDigest {
    /// Dotted names outside `Depends(...)`, e.g. `Annotated`, `AsyncSession`, `deps.SessionDep`.
    pub names: Vec<String>,
    /// Dotted names passed to `Depends(...)`/`Security(...)`.
    pub providers: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Param {
    pub name: String,
    pub annotation: TypeDigest,
    /// From the default value (`db = Depends(get_db)`).
    pub default_providers: Vec<String>,
    pub has_annotation: bool,
    pub spot: Spot,
}

/// A function decorated `@<receiver>.<method>(...)` with a route method.
#[derive(Debug, Clone, Default)]
pub struct Handler {
    pub name: String,
    pub is_async: bool,
    pub receiver: String,
    pub method: &'static str,
    /// Other route-like decorators of the same function, outermost first.
    pub also: Vec<(String, &'static str)>,
    /// The function's name.
    pub spot: Spot,
    pub params: Vec<Param>,
    /// `for`/`while` statements directly in the handler (not in nested functions).
    pub loops: Vec<Position>,
    /// Query-building calls: `select(`, `.where(`, `.filter(`.
    pub queries: Vec<(String, Position)>,
    pub statements: u32,
    /// `<param>.<session method>(...)` calls: (parameter or opened session, method, where).
    pub param_calls: Vec<(String, String, Position)>,
    /// `with SessionLocal() as db:` in the handler: (bound name, opener, the `with` item).
    pub opened_sessions: Vec<(String, String, Spot)>,
}

/// `Name = Annotated[...]` at module level (or `Name: TypeAlias = ...`, `type Name = ...`).
#[derive(Debug, Clone, Default)]
pub struct Alias {
    pub name: String,
    pub digest: TypeDigest,
}

/// A module-level function: a possible dependency provider.
#[derive(Debug, Clone, Default)]
pub struct FunctionSig {
    pub name: String,
    /// Names in the return annotation; `None` without one.
    pub returns: Option<Vec<String>>,
}

/// `raise X(...)` / `raise X`.
#[derive(Debug, Clone, Default)]
pub struct Raise {
    pub exception: String,
    pub spot: Spot,
}

#[derive(Debug, Clone, Default)]
pub struct ArchFacts {
    /// Names bound (anywhere in the module) to `APIRouter(...)`/`FastAPI(...)`.
    pub routers: Vec<String>,
    pub handlers: Vec<Handler>,
    pub aliases: Vec<Alias>,
    pub functions: Vec<FunctionSig>,
    /// Raises of FastAPI/Starlette `HTTPException` or of a local subclass of it.
    pub http_raises: Vec<Raise>,
    /// Raises of a name imported with `from m import Name`, or of a local
    /// class deriving from an imported one; may be a first-party subclass of
    /// `HTTPException` (resolved project-wide).
    pub imported_raises: Vec<Raise>,
    /// Classes defined here that derive from `HTTPException` (directly or via an imported class).
    pub http_exception_classes: Vec<(String, Vec<String>)>,
    /// Byte ranges of module-level `if __name__ == "__main__":` bodies.
    pub main_blocks: Vec<Range<usize>>,
}

/// Builds [`ArchFacts`] from the nodes the walk hands it, in document order.
#[derive(Default)]
pub struct Collector {
    facts: ArchFacts,
    /// Open functions: (end byte, handler index if it is a route handler).
    functions: Vec<(usize, Option<usize>)>,
    raises: Vec<Raise>,
}

fn text<'s>(node: Node<'_>, source: &'s str) -> &'s str {
    source.get(node.byte_range()).unwrap_or("")
}

fn spot(node: Node<'_>, source: &str, lines: &LineIndex) -> Spot {
    Spot {
        span: node.byte_range(),
        start: lines.position(node.start_byte(), source),
        end: lines.position(node.end_byte(), source),
    }
}

/// `a`, `a.b.c` as written, without whitespace; `None` for anything else
/// (and for chains too long to be a name anyone wrote on purpose).
pub fn dotted_name(node: Node<'_>, source: &str) -> Option<String> {
    const MAX_SEGMENTS: usize = 64;
    let mut parts: Vec<&str> = Vec::new();
    let mut at = node;
    loop {
        match at.kind_str() {
            "identifier" => {
                parts.push(text(at, source));
                break;
            }
            "attribute" if parts.len() < MAX_SEGMENTS => {
                parts.push(text(at.child_by_field_id(field::ATTRIBUTE())?, source));
                at = at.child_by_field_id(field::OBJECT())?;
            }
            _ => return None,
        }
    }
    parts.reverse();
    Some(parts.join("."))
}

/// Digest a type annotation (or a default value) without recursion.
pub fn digest(node: Node<'_>, source: &str) -> TypeDigest {
    let mut out = TypeDigest::default();
    let mut stack = vec![node];
    // Annotations are small; the cap only guards against pathological input.
    let mut budget = 2_000usize;
    while let Some(n) = stack.pop() {
        if budget == 0 {
            break;
        }
        budget -= 1;
        match n.kind_str() {
            "identifier" | "attribute" => {
                if let Some(name) = dotted_name(n, source) {
                    // Builtins and typing wrappers never name a session; not keeping
                    // them keeps the facts small.
                    if !is_plain_type(&name) && !out.names.contains(&name) && out.names.len() < 32 {
                        out.names.push(name);
                    }
                    continue;
                }
            }
            "call" => {
                let callee = n
                    .child_by_field_id(field::FUNCTION())
                    .and_then(|f| dotted_name(f, source));
                if callee.as_deref().is_some_and(fastapi::is_dependency_marker) {
                    if let Some(provider) = dependency_argument(n, source) {
                        out.providers.push(provider);
                    }
                    continue;
                }
            }
            "string" => {
                // A forward reference: `"AsyncSession"`.
                let raw = text(n, source).trim_matches(|c| c == '"' || c == '\'');
                if !raw.is_empty()
                    && raw
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                {
                    out.names.push(raw.to_owned());
                }
                continue;
            }
            _ => {}
        }
        let mut cursor = n.walk();
        let children: Vec<Node<'_>> = n.named_children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

fn is_plain_type(name: &str) -> bool {
    matches!(
        name.strip_prefix("typing.").unwrap_or(name),
        "int"
            | "str"
            | "float"
            | "bool"
            | "bytes"
            | "dict"
            | "list"
            | "set"
            | "tuple"
            | "None"
            | "Any"
            | "Optional"
            | "Annotated"
            | "Union"
            | "Literal"
            | "Dict"
            | "List"
            | "Set"
            | "Tuple"
            | "uuid"
            | "UUID"
            | "datetime"
    )
}

/// The provider in `Depends(provider)` / `Depends(dependency=provider)`.
fn dependency_argument(call: Node<'_>, source: &str) -> Option<String> {
    let args = call.child_by_field_id(field::ARGUMENTS())?;
    let mut cursor = args.walk();
    for arg in args.named_children(&mut cursor) {
        match arg.kind_str() {
            "keyword_argument" => {
                let name = arg
                    .child_by_field_id(field::NAME())
                    .map(|n| text(n, source));
                if name == Some("dependency") {
                    return dotted_name(arg.child_by_field_id(field::VALUE())?, source);
                }
            }
            "comment" => {}
            _ => return dotted_name(arg, source),
        }
    }
    None
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

impl Collector {
    pub fn visit(
        &mut self,
        node: Node<'_>,
        ancestors: &[Node<'_>],
        source: &str,
        lines: &LineIndex,
    ) {
        let at = node.start_byte();
        while self.functions.last().is_some_and(|(end, _)| *end <= at) {
            self.functions.pop();
        }
        let handler = self.functions.last().and_then(|(_, h)| *h);
        let kind = node.kind_str();
        if let Some(h) = handler {
            self.in_handler(h, node, kind, source, lines);
        }
        match kind {
            "function_definition" => self.function(node, ancestors, source, lines),
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
                    .child_by_field_id(field::CONDITION())
                    .map(|c| text(c, source).replace(' ', "").replace('\'', "\""))
                    .is_some_and(|c| {
                        c == "__name__==\"__main__\"" || c == "\"__main__\"==__name__"
                    });
                if is_main {
                    if let Some(body) = node.child_by_field_id(field::CONSEQUENCE()) {
                        self.facts.main_blocks.push(body.byte_range());
                    }
                }
            }
            "raise_statement" => {
                let Some(mut exc) = node.named_child(0) else {
                    return;
                };
                if exc.kind_str() == "call" {
                    match exc.child_by_field_id(field::FUNCTION()) {
                        Some(f) => exc = f,
                        None => return,
                    }
                }
                if let Some(name) = dotted_name(exc, source) {
                    self.raises.push(Raise {
                        exception: name,
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
        kind: &str,
        source: &str,
        lines: &LineIndex,
    ) {
        let handler = &mut self.facts.handlers[h];
        match kind {
            "for_statement" | "while_statement" => {
                handler
                    .loops
                    .push(lines.position(node.start_byte(), source));
                handler.statements += 1;
            }
            "call" => {
                let Some(function) = node.child_by_field_id(field::FUNCTION()) else {
                    return;
                };
                match function.kind_str() {
                    "identifier" if text(function, source) == "select" => handler.queries.push((
                        "select".to_owned(),
                        lines.position(node.start_byte(), source),
                    )),
                    "attribute" => {
                        let (Some(object), Some(attr)) = (
                            function.child_by_field_id(field::OBJECT()),
                            function.child_by_field_id(field::ATTRIBUTE()),
                        ) else {
                            return;
                        };
                        let attr = text(attr, source);
                        let pos = || lines.position(attr_start(function), source);
                        match attr {
                            "where" | "filter" | "filter_by" => {
                                handler.queries.push((format!(".{attr}"), pos()));
                            }
                            "select" => {
                                if let Some(base) = dotted_name(object, source) {
                                    handler.queries.push((format!("{base}.select"), pos()));
                                }
                            }
                            _ => {}
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
                                    receiver.to_owned(),
                                    attr.to_owned(),
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
    ) {
        let name_node = node.child_by_field_id(field::NAME());
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
                let also: Vec<(String, &'static str)> = routes.collect();
                let is_async = node.child(0).is_some_and(|c| c.kind_str() == "async");
                let params = node
                    .child_by_field_id(field::PARAMETERS())
                    .map(|p| parameters(p, source, lines))
                    .unwrap_or_default();
                self.facts.handlers.push(Handler {
                    name: name.clone(),
                    is_async,
                    receiver,
                    method,
                    also,
                    spot: name_node
                        .map_or_else(|| spot(node, source, lines), |n| spot(n, source, lines)),
                    params,
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
                .child_by_field_id(field::RETURN_TYPE())
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
                self.facts.functions.push(FunctionSig { name, returns });
            }
        }
        self.functions.push((node.end_byte(), handler_index));
    }

    fn class(&mut self, node: Node<'_>, source: &str) {
        let Some(bases) = node.child_by_field_id(field::SUPERCLASSES()) else {
            return;
        };
        let name = node
            .child_by_field_id(field::NAME())
            .map(|n| text(n, source))
            .unwrap_or("")
            .to_owned();
        let mut cursor = bases.walk();
        let bases: Vec<String> = bases
            .named_children(&mut cursor)
            .filter_map(|b| dotted_name(b, source))
            .collect();
        if !bases.is_empty() {
            self.facts.http_exception_classes.push((name, bases));
        }
    }

    fn assignment(&mut self, node: Node<'_>, ancestors: &[Node<'_>], source: &str) {
        let (Some(left), Some(right)) = (
            node.child_by_field_id(field::LEFT()),
            node.child_by_field_id(field::RIGHT()),
        ) else {
            return;
        };
        let Some(name) = dotted_name(left, source) else {
            return;
        };
        if right.kind_str() == "call" {
            let callee = right
                .child_by_field_id(field::FUNCTION())
                .and_then(|f| dotted_name(f, source));
            if callee
                .as_deref()
                .is_some_and(fastapi::is_router_constructor)
            {
                self.facts.routers.push(name);
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
                .child_by_field_id(field::VALUE())
                .and_then(|v| dotted_name(v, source))
                .is_some_and(|v| fastapi::last_segment(&v) == "Annotated");
        if is_annotated {
            self.alias(name, right, source);
        }
    }

    fn alias(&mut self, name: String, value: Node<'_>, source: &str) {
        let digest = digest(value, source);
        if !digest.names.is_empty() || !digest.providers.is_empty() {
            self.facts.aliases.push(Alias { name, digest });
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
        let http_classes: HashSet<String> = http_classes.into_iter().map(str::to_owned).collect();
        let candidates: HashSet<String> = candidates.into_iter().map(str::to_owned).collect();
        self.facts.http_exception_classes = classes
            .into_iter()
            .filter(|(name, _)| http_classes.contains(name) || candidates.contains(name))
            .map(|(name, bases)| {
                if http_classes.contains(&name) {
                    (name, vec!["HTTPException".to_owned()])
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

/// `with Session(engine) as session`, `async with db.session_context() as session`:
/// names bound to something whose opener is named after a session.
fn opened_sessions(
    with_statement: Node<'_>,
    source: &str,
    lines: &LineIndex,
    out: &mut Vec<(String, String, Spot)>,
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
            .child_by_field_id(field::VALUE())
            .filter(|v| v.kind_str() == "as_pattern")
        else {
            continue;
        };
        let Some(call) = pattern.named_child(0).filter(|c| c.kind_str() == "call") else {
            continue;
        };
        let Some(opener) = call
            .child_by_field_id(field::FUNCTION())
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
            .child_by_field_id(field::ALIAS())
            .and_then(|a| a.named_child(0))
            .filter(|n| n.kind_str() == "identifier")
        else {
            continue;
        };
        out.push((
            text(name, source).to_owned(),
            opener,
            spot(item, source, lines),
        ));
    }
}

/// `where` in `x.where(`: point at the attribute, so a chained call reports on its own line.
fn attr_start(attribute: Node<'_>) -> usize {
    attribute
        .child_by_field_id(field::ATTRIBUTE())
        .map_or(attribute.start_byte(), |a| a.start_byte())
}

/// `@router.get("/x")` -> ("router", "get").
fn route_decorator(decorator: Node<'_>, source: &str) -> Option<(String, &'static str)> {
    let call = decorator.named_child(0)?;
    if call.kind_str() != "call" {
        return None;
    }
    let function = call.child_by_field_id(field::FUNCTION())?;
    if function.kind_str() != "attribute" {
        return None;
    }
    let method = text(function.child_by_field_id(field::ATTRIBUTE())?, source);
    let method = *fastapi::ROUTE_METHODS.iter().find(|m| **m == method)?;
    let receiver = dotted_name(function.child_by_field_id(field::OBJECT())?, source)?;
    Some((receiver, method))
}

fn parameters(params: Node<'_>, source: &str, lines: &LineIndex) -> Vec<Param> {
    let mut out = Vec::new();
    let mut cursor = params.walk();
    for p in params.named_children(&mut cursor) {
        let (name_node, annotation, default) = match p.kind_str() {
            "identifier" => (Some(p), None, None),
            "typed_parameter" => (
                p.named_child(0).filter(|n| n.kind_str() == "identifier"),
                p.child_by_field_id(field::TYPE()),
                None,
            ),
            "default_parameter" => (
                p.child_by_field_id(field::NAME()),
                None,
                p.child_by_field_id(field::VALUE()),
            ),
            "typed_default_parameter" => (
                p.child_by_field_id(field::NAME()),
                p.child_by_field_id(field::TYPE()),
                p.child_by_field_id(field::VALUE()),
            ),
            _ => continue,
        };
        let Some(name_node) = name_node else {
            continue;
        };
        let annotation_digest = annotation.map(|a| digest(a, source)).unwrap_or_default();
        let default_providers = default
            .map(|d| digest(d, source).providers)
            .unwrap_or_default();
        // `id: int`: annotated with nothing that could be a session, no provider.
        if annotation.is_some()
            && annotation_digest.names.is_empty()
            && annotation_digest.providers.is_empty()
            && default_providers.is_empty()
        {
            continue;
        }
        out.push(Param {
            name: text(name_node, source).to_owned(),
            has_annotation: annotation.is_some(),
            annotation: annotation_digest,
            default_providers,
            spot: spot(p, source, lines),
        });
    }
    out
}

/// The module a local name (or the head of a dotted name) was imported from
/// with `from m import name`, and the original name.
pub fn imported_from<'i>(dotted: &str, imports: &'i [Import]) -> Option<(&'i Import, &'i str)> {
    let head = dotted.split('.').next().unwrap_or(dotted);
    imports.iter().rev().find_map(|imp| {
        if !imp.is_from {
            return None;
        }
        imp.names
            .iter()
            .find(|n| n.alias.as_deref().unwrap_or(&n.name) == head)
            .map(|n| (imp, n.name.as_str()))
    })
}

/// `HTTPException`, `fastapi.HTTPException`, `StarletteHTTPException` (an alias) ...
pub fn is_http_exception(dotted: &str, imports: &[Import]) -> bool {
    if let Some((base, attr)) = dotted.rsplit_once('.') {
        return attr == "HTTPException"
            && imports.iter().any(|i| {
                fastapi::HTTP_EXCEPTION_MODULES
                    .iter()
                    .any(|m| i.module_alias(m) == Some(base))
            });
    }
    imports.iter().any(|i| {
        fastapi::HTTP_EXCEPTION_MODULES.iter().any(|m| {
            i.binds(m, "HTTPException") == Some(dotted)
                || (dotted == "HTTPException" && i.is_star_from(m))
        })
    })
}

/// Is the local `name` bound to sqlalchemy's/sqlmodel's `name`?
pub fn is_sql_name(name: &str, imports: &[Import]) -> bool {
    imports.iter().any(|i| {
        i.is_from
            && i.level == 0
            && is_sql_module(&i.module)
            && i.names
                .iter()
                .any(|n| (n.alias.as_deref().unwrap_or(&n.name) == name) || n.name == "*")
    })
}

/// `sa`, `sqlalchemy`, `sqlmodel` as module aliases.
pub fn is_sql_module_alias(base: &str, imports: &[Import]) -> bool {
    imports.iter().any(|i| {
        !i.is_from
            && i.level == 0
            && is_sql_module(&i.module)
            && match &i.alias {
                Some(a) => a == base,
                None => i.module == base,
            }
    })
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

/// `get_db`, `get_session`, `get_async_session`, `get_db_session` — not
/// `get_session_service`, `get_current_user`, or classes (`requests.Session`).
pub fn provider_name_says_session(dotted: &str) -> bool {
    let name = fastapi::last_segment(dotted);
    if !name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
        return false;
    }
    let name = name.to_ascii_lowercase();
    let last = name.rsplit('_').next().unwrap_or(&name);
    matches!(last, "db" | "session" | "database" | "sess" | "dbsession")
}

pub fn is_sql_module(module: &str) -> bool {
    let top = module.split('.').next().unwrap_or(module);
    top == "sqlalchemy" || top == "sqlmodel"
}
