//! Class and response-model facts of one file, gathered in the engine's
//! walk with the file's semantic model (names resolved through imports).

use crate::python::name::Name;
use tree_sitter::Node;

use super::{AliasFact, ClassFact, FieldFact, NameRef, ResponseUse, SymbolFacts};
use crate::diagnostic::LineIndex;
use crate::parse::NodeKind;
use crate::project::arch::Spot;
use crate::python::ast::{self as pyast, fid};
use crate::python::descent::Descent;
use crate::python::fastapi::{self, Routers};
use crate::python::fields::NodeFields;
use crate::python::imports::Import;
use crate::python::semantic::Semantic;

/// Node kinds the collector wants to see.
pub const SYMBOL_KINDS: &[&str] = &[
    "assignment",
    "class_definition",
    "function_definition",
    "call",
    "return_statement",
];

/// Names of one type expression collected at most.
const MAX_NAMES: usize = 64;

#[derive(Default)]
pub struct Collector {
    routers: Routers,
    facts: SymbolFacts,
    /// Open functions: (end byte, a route handler whose result no
    /// response model filters).
    functions: Vec<(usize, bool)>,
}

/// What the collector reads while the walk visits a node.
pub struct At<'c, 'a> {
    pub ancestors: &'c [Node<'a>],
    pub source: &'a str,
    pub lines: &'c LineIndex,
    pub semantic: &'c Semantic<'a>,
    pub imports: &'c [Import],
    /// The visited node's shared fields (a call's callee, an assignment's sides).
    pub fields: NodeFields<'a>,
}

impl Collector {
    pub fn visit(&mut self, node: Node<'_>, at: &At<'_, '_>) {
        let start = node.start_byte();
        while self.functions.last().is_some_and(|(end, _)| *end <= start) {
            self.functions.pop();
        }
        match node.kind_str() {
            "call" => {
                super::routes::call(node, at, &mut self.facts);
                super::auth::middleware_entry(node, at, &mut self.facts);
            }
            "return_statement" => {
                if self
                    .functions
                    .last()
                    .is_some_and(|(_, unfiltered)| *unfiltered)
                {
                    if let Some(d) = super::routes::dump(node, at) {
                        self.facts.dumps.push(d);
                    }
                }
            }
            "assignment" => {
                super::routes::assignment(node, at, &mut self.facts);
                if at.fields.right.is_some_and(|r| r.kind_str() == "call") {
                    self.routers.observe(node, &at.fields, at.source);
                }
                self.alias(node, at);
            }
            "class_definition" => self.class(node, at),
            _ => {
                self.provider(node, at);
                super::auth::middleware_function(node, at, &mut self.facts);
                if is_module_level(at.ancestors) {
                    super::routes::function(node, at, &mut self.facts);
                } else {
                    super::routes::dependency_method(node, at, &mut self.facts);
                }
                let unfiltered = self.route(node, at);
                self.functions.push((node.end_byte(), unfiltered));
            }
        }
    }

    /// `Name = Annotated[T, Depends(provider)]` at module level.
    fn alias(&mut self, node: Node<'_>, at: &At<'_, '_>) {
        if !is_module_level(at.ancestors) {
            return;
        }
        let (Some(left), Some(right)) = (at.fields.left, at.fields.right) else {
            return;
        };
        if left.kind_str() != "identifier" || right.kind_str() != "subscript" {
            return;
        }
        let is_annotated = right
            .child_by_field_id(*fid::VALUE)
            .and_then(|v| pyast::dotted_name(v, at.source))
            .is_some_and(|v| pyast::last_segment(&v) == "Annotated");
        if !is_annotated {
            return;
        }
        let providers = dependency_providers(right, node.start_byte(), at);
        if !providers.is_empty() {
            self.facts.aliases.push(AliasFact {
                name: Name::new(pyast::text(left, at.source)),
                providers: providers.into(),
            });
        }
    }

    /// A module-level function that yields only inside a transaction.
    fn provider(&mut self, node: Node<'_>, at: &At<'_, '_>) {
        if !is_module_level(at.ancestors) {
            return;
        }
        let yields = node
            .child_by_field_id(*fid::BODY)
            .is_some_and(|b| pyast::text(b, at.source).contains("yield"));
        if !yields || !crate::python::transaction::yields_managed(node, at.source) {
            return;
        }
        if let Some(name) = node.child_by_field_id(*fid::NAME) {
            self.facts
                .managed_providers
                .push(Name::new(pyast::text(name, at.source)));
        }
    }

    pub fn finish(self) -> SymbolFacts {
        self.facts
    }

    fn class(&mut self, node: Node<'_>, at: &At<'_, '_>) {
        let Some(name) = node.child_by_field_id(*fid::NAME) else {
            return;
        };
        // Only module-level classes (and classes nested in classes) are
        // importable symbols; a class inside a function is not.
        if at
            .ancestors
            .iter()
            .any(|a| a.kind_str() == "function_definition")
        {
            return;
        }
        let bases = pyast::superclasses(node)
            .into_iter()
            .filter(|b| b.kind_str() != "keyword_argument")
            // `Envelope[User]`, `Generic[T]`: the class subscripted.
            .map(|b| match b.kind_str() {
                "subscript" => b.child_by_field_id(*fid::VALUE).unwrap_or(b),
                _ => b,
            })
            .filter_map(|b| name_ref(b, node.start_byte(), at))
            .collect();
        let mut fields = Vec::new();
        // SQLModel's `class User(UserBase, table=True)`.
        let mut table = node
            .child_by_field_id(*fid::SUPERCLASSES)
            .is_some_and(|args| {
                let mut cursor = args.walk();
                let found = args.named_children(&mut cursor).any(|b| {
                    b.kind_str() == "keyword_argument"
                        && b.child_by_field_id(*fid::NAME)
                            .is_some_and(|n| pyast::text(n, at.source) == "table")
                        && b.child_by_field_id(*fid::VALUE)
                            .is_some_and(|v| pyast::text(v, at.source) == "True")
                });
                found
            });
        let mut methods = 0u32;
        if let Some(body) = node.child_by_field_id(*fid::BODY) {
            let mut cursor = body.walk();
            for stmt in body.named_children(&mut cursor) {
                let def = match stmt.kind_str() {
                    "decorated_definition" => stmt.child_by_field_id(*fid::DEFINITION),
                    _ => Some(stmt),
                };
                if def.is_some_and(|d| d.kind_str() == "function_definition") {
                    methods = methods.saturating_add(1);
                }
                let Some(assignment) = pyast::statement_assignment(stmt) else {
                    continue;
                };
                table = table || is_mapping(assignment, at.source);
                let (Some(left), Some(annotation)) = (
                    assignment.child_by_field_id(*fid::LEFT),
                    assignment.child_by_field_id(*fid::TYPE),
                ) else {
                    continue;
                };
                if left.kind_str() != "identifier" {
                    continue;
                }
                let written = pyast::text(annotation, at.source);
                // Pydantic masks these when serialising; class variables
                // are not fields.
                let masked = written.contains("SecretStr") || written.contains("SecretBytes");
                let class_var = written.starts_with("ClassVar") || written.contains(".ClassVar");
                let excluded = assignment
                    .child_by_field_id(*fid::RIGHT)
                    .is_some_and(|v| is_excluded(v, at.source));
                let client_facing = assignment
                    .child_by_field_id(*fid::RIGHT)
                    .is_some_and(|v| is_client_facing(v, at.source));
                fields.push(FieldFact {
                    name: Name::new(pyast::text(left, at.source)),
                    spot: spot(left, at),
                    serialised: !(masked || class_var || excluded),
                    client_facing,
                });
            }
        }
        if let Some(body) = node.child_by_field_id(*fid::BODY) {
            let redacted = redacted_fields(body, at.source);
            for field in fields
                .iter_mut()
                .filter(|f| redacted.iter().any(|r| *r == f.name))
            {
                field.serialised = false;
            }
        }
        let nested = at
            .ancestors
            .iter()
            .any(|a| a.kind_str() == "class_definition");
        let decorators = pyast::decorators(node, at.ancestors.last().copied())
            .into_iter()
            .filter_map(|d| pyast::dotted_name(pyast::decorator_callee(d), at.source))
            .map(Name::from)
            .collect();
        self.facts.classes.push(ClassFact {
            name: Name::new(pyast::text(name, at.source)),
            spot: spot(name, at),
            bases,
            fields: fields.into(),
            table,
            nested,
            decorators,
            methods,
        });
    }

    /// `response_model=` of a route decorator and a route handler's return
    /// annotation. Whether it is a route handler whose result no response
    /// model filters.
    fn route(&mut self, node: Node<'_>, at: &At<'_, '_>) -> bool {
        let parent = at.ancestors.last().copied();
        let Some(route) = fastapi::route_of(node, parent, at.source, &self.routers, at.imports)
        else {
            return false;
        };
        super::routes::route(node, route.call, at, &mut self.facts);
        let mut names = Vec::new();
        let args = route.call.and_then(pyast::call_arguments);
        let model = args.and_then(|args| pyast::keyword_arg(args, "response_model", at.source));
        let offset = node.start_byte();
        let returns_annotation = node.child_by_field_id(*fid::RETURN_TYPE);
        let unfiltered = match (model, returns_annotation) {
            (Some(m), _) => pyast::text(m, at.source) == "None",
            (None, None) => true,
            (None, Some(r)) => {
                let mut n = Vec::new();
                collect_names(r, offset, at, &mut n);
                n.iter().all(|n| {
                    matches!(
                        pyast::last_segment(&n.written),
                        "dict"
                            | "Dict"
                            | "Any"
                            | "list"
                            | "List"
                            | "object"
                            | "JSONResponse"
                            | "Response"
                            | "ORJSONResponse"
                            | "UJSONResponse"
                    )
                })
            }
        };
        let declared = match model {
            Some(model) => {
                collect_names(model, offset, at, &mut names);
                Some(model)
            }
            // FastAPI serialises through `response_model=` when it is given;
            // the return annotation (often the ORM object) then says nothing.
            None => {
                if let Some(returns) = returns_annotation {
                    collect_names(returns, offset, at, &mut names);
                }
                returns_annotation
            }
        };
        // No JSON model body: `response_class=`, `response_model=None`,
        // 204 No Content, websockets.
        let raw = route.method == "websocket"
            || args.is_some_and(|args| {
                pyast::keyword_arg(args, "response_class", at.source).is_some()
                    || model.is_some_and(|m| m.kind_str() == "none")
                    || pyast::keyword_arg(args, "status_code", at.source).is_some_and(|c| {
                        let code = pyast::text(c, at.source);
                        code == "204" || code.ends_with("HTTP_204_NO_CONTENT")
                    })
            });
        self.facts.responses.push(ResponseUse {
            names: names.into(),
            spot: spot(node, at),
            head: declared.and_then(|d| super::returns::head(d, offset, at)),
            declared: declared.is_some(),
            raw,
            returns: super::returns::returns(node, at).into(),
            via_annotation: model.is_none(),
        });
        unfiltered
    }
}

pub(super) fn spot(node: Node<'_>, at: &At<'_, '_>) -> Spot {
    Spot::new(
        node.byte_range(),
        at.lines.position(node.start_byte(), at.source),
        at.lines.position(node.end_byte(), at.source),
    )
}

/// A dotted name as written and what it resolves to through the file's
/// imports at `offset` (module scope: classes and routes are looked up there).
pub(super) fn name_ref(node: Node<'_>, offset: usize, at: &At<'_, '_>) -> Option<NameRef> {
    let written = pyast::dotted_name(node, at.source)?;
    let scope = at.semantic.scope_of(at.ancestors, node);
    let qualified = at.semantic.qualified_name(&written, scope, offset);
    Some(NameRef {
        written: Name::new(&written),
        qualified: qualified.map(Name::from),
    })
}

/// A class-body assignment that makes the class a mapped table:
/// `__tablename__ = ...`, `__table__ = ...`, `x: Mapped[...]`,
/// `x = Column(...)`/`mapped_column(...)`.
fn is_mapping(assignment: Node<'_>, source: &str) -> bool {
    let Some(left) = assignment.child_by_field_id(*fid::LEFT) else {
        return false;
    };
    if matches!(pyast::text(left, source), "__tablename__" | "__table__") {
        return true;
    }
    let mapped = assignment.child_by_field_id(*fid::TYPE).is_some_and(|t| {
        let t = pyast::text(t, source);
        t.starts_with("Mapped[") || t.contains(".Mapped[")
    });
    mapped
        || assignment
            .child_by_field_id(*fid::RIGHT)
            .filter(|v| v.kind_str() == "call")
            .and_then(|v| pyast::callee_name(v, source))
            .is_some_and(|c| matches!(c, "Column" | "mapped_column"))
}

/// Not inside a function or class body.
fn is_module_level(ancestors: &[Node<'_>]) -> bool {
    !ancestors
        .iter()
        .any(|a| matches!(a.kind_str(), "function_definition" | "class_definition"))
}

/// The providers of the `Depends(p)`/`Security(p)` calls in `node`.
pub(super) fn dependency_providers(node: Node<'_>, offset: usize, at: &At<'_, '_>) -> Vec<NameRef> {
    let mut out = Vec::new();
    let mut walk = Descent::new(node, 512);
    while let Some(n) = walk.next() {
        if out.len() >= MAX_NAMES {
            break;
        }
        if n.kind_str() == "call" {
            let marker = n
                .child_by_field_id(*fid::FUNCTION)
                .and_then(|f| pyast::dotted_name(f, at.source))
                .is_some_and(|c| fastapi::is_dependency_marker(&c));
            if marker {
                if let Some(provider) = pyast::call_arguments(n).and_then(|a| {
                    pyast::positional_arg(a, 0)
                        .or_else(|| pyast::keyword_arg(a, "dependency", at.source))
                }) {
                    // `Depends(JWTBearer())`, `Depends(require_role("admin"))`: the callee.
                    let provider = match provider.kind_str() {
                        "call" => provider
                            .child_by_field_id(*fid::FUNCTION)
                            .unwrap_or(provider),
                        _ => provider,
                    };
                    if let Some(r) = name_ref(provider, offset, at) {
                        out.push(r);
                    }
                }
                walk.skip_children();
            }
        }
    }
    out
}

/// Fields a validator or serializer of the class masks on the way out:
/// `@field_validator("password")` / `@field_serializer("password")` /
/// `@validator("password")` on a method named for it (`redact_password`,
/// `mask_secret`, `obfuscate_key`, `hide_token`). The value the client sees
/// is the redacted one, not the secret.
fn redacted_fields(body: Node<'_>, source: &str) -> Vec<String> {
    const DECORATORS: &[&str] = &["field_validator", "field_serializer", "validator"];
    const VERBS: &[&str] = &["redact", "mask", "obfuscate", "hide", "censor", "scrub"];
    let mut out = Vec::new();
    let mut cursor = body.walk();
    for stmt in body.named_children(&mut cursor) {
        if stmt.kind_str() != "decorated_definition" {
            continue;
        }
        let Some(def) = stmt.child_by_field_id(*fid::DEFINITION) else {
            continue;
        };
        let named_for_it = def
            .child_by_field_id(*fid::NAME)
            .map(|n| pyast::text(n, source).to_ascii_lowercase())
            .is_some_and(|n| VERBS.iter().any(|v| n.contains(v)));
        if !named_for_it {
            continue;
        }
        for decorator in pyast::decorators(def, Some(stmt)) {
            let callee = pyast::decorator_callee(decorator);
            if decorator.kind_str() != "call"
                || !DECORATORS.contains(&pyast::last_segment(pyast::text(callee, source)))
            {
                continue;
            }
            let Some(args) = pyast::call_arguments(decorator) else {
                continue;
            };
            let mut walk = args.walk();
            for arg in args.named_children(&mut walk) {
                if pyast::is_constant_string(arg) {
                    out.push(pyast::string_text(arg, source).into_owned());
                }
            }
        }
    }
    out
}

/// `Field(..., exclude=True)`: never serialised.
fn is_excluded(value: Node<'_>, source: &str) -> bool {
    value.kind_str() == "call"
        && value
            .child_by_field_id(*fid::FUNCTION)
            .is_some_and(|f| pyast::last_segment(pyast::text(f, source)) == "Field")
        && pyast::call_arguments(value)
            .and_then(|a| pyast::keyword_arg(a, "exclude", source))
            .is_some_and(|v| pyast::text(v, source) == "True")
}

/// Words of a field description that say the value is for the client.
const CLIENT_FACING: &[&str] = &[
    "client-side",
    "client side",
    "frontend",
    "front-end",
    "front end",
    "browser",
    "publishable",
    "safe to expose",
    "safe to share",
    "meant for the client",
    "returned to the client",
    "sent to the client",
    "shared with the client",
];

/// `Field(..., description="... used client-side ...")`: documented as
/// meant for the client.
fn is_client_facing(value: Node<'_>, source: &str) -> bool {
    let is_field_call = value.kind_str() == "call"
        && value
            .child_by_field_id(*fid::FUNCTION)
            .is_some_and(|f| pyast::last_segment(pyast::text(f, source)) == "Field");
    if !is_field_call {
        return false;
    }
    let Some(description) =
        pyast::call_arguments(value).and_then(|a| pyast::keyword_arg(a, "description", source))
    else {
        return false;
    };
    let text = pyast::text(description, source).to_ascii_lowercase();
    CLIENT_FACING.iter().any(|w| text.contains(w))
}

/// The dotted names of a type expression (`list[schemas.UserOut] | None`
/// -> `list`, `schemas.UserOut`, `None`); a string annotation's words.
/// Where [`collect_names`] pushes: a `Vec` while a fact is built, or the
/// `ThinVec` a fact stores.
pub(super) trait NameList {
    fn len(&self) -> usize;
    fn push(&mut self, name: NameRef);
}

impl NameList for Vec<NameRef> {
    fn len(&self) -> usize {
        <[NameRef]>::len(self)
    }
    fn push(&mut self, name: NameRef) {
        Vec::push(self, name);
    }
}

impl NameList for thin_vec::ThinVec<NameRef> {
    fn len(&self) -> usize {
        <[NameRef]>::len(self)
    }
    fn push(&mut self, name: NameRef) {
        thin_vec::ThinVec::push(self, name);
    }
}

pub(super) fn collect_names(
    node: Node<'_>,
    offset: usize,
    at: &At<'_, '_>,
    out: &mut impl NameList,
) {
    let mut walk = Descent::new(node, 512);
    while let Some(n) = walk.next() {
        if out.len() >= MAX_NAMES {
            return;
        }
        match n.kind_str() {
            "identifier" | "attribute" => {
                if let Some(r) = name_ref(n, offset, at) {
                    out.push(r);
                }
                walk.skip_children();
            }
            "string" => {
                let text = pyast::string_text(n, at.source);
                for part in text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')) {
                    if part.is_empty() {
                        continue;
                    }
                    let qualified =
                        at.semantic
                            .qualified_name(part, crate::python::semantic::MODULE, offset);
                    out.push(NameRef {
                        written: Name::new(part),
                        qualified: qualified.map(Name::from),
                    });
                }
                walk.skip_children();
            }
            _ => {}
        }
    }
}
