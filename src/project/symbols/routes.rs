//! Route facts for the security rules that follow a route across modules
//! (SEC006, SEC007): routers and apps with their `prefix=` and
//! `dependencies=`, `include_router(...)` calls, route handlers with the
//! dependencies of their decorator and parameters, module-level functions
//! (dependency providers, with their own dependencies and return types),
//! module-level instances (`oauth2 = OAuth2PasswordBearer(...)`), and what
//! a handler returns when it dumps an object itself (`jsonable_encoder(x)`,
//! `x.__dict__`, `vars(x)`, `dict(x)`).

use thin_vec::ThinVec;
use tree_sitter::Node;

use super::collect::{collect_names, dependency_providers, name_ref, spot};
use super::{At, Name, NameRef};
use crate::parse::NodeKind;
use crate::project::arch::Spot;
use crate::python::ast::{self as pyast, fid};
use crate::python::descent::Descent;
use crate::python::fastapi;

/// A prefix part that is not a literal (`settings.API_V1_STR`).
pub const UNKNOWN_PREFIX: &str = "/{?}";

/// `dependencies=[Depends(a), Security(b)]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DependencyList {
    pub providers: ThinVec<NameRef>,
    /// `dependencies=` is there but not a literal list of `Depends(...)`
    /// (`dependencies=deps`, a comprehension): it may hold anything.
    pub opaque: bool,
}

/// `name = APIRouter(...)` / `name = FastAPI(...)`, anywhere in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RouterDef {
    pub name: Name,
    pub is_app: bool,
    pub prefix: String,
    pub dependencies: DependencyList,
}

/// `receiver.include_router(router, prefix=..., dependencies=...)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IncludeFact {
    pub receiver: Name,
    /// The receiver resolved through the file's imports (`app`, `api.router`).
    pub receiver_ref: Option<NameRef>,
    pub router: NameRef,
    pub prefix: String,
    pub dependencies: DependencyList,
}

/// A route handler.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RouteFact {
    pub name: Name,
    /// The handler's name.
    pub spot: Spot,
    pub receiver: Name,
    /// The receiver resolved through the file's imports (a router imported
    /// from another module).
    pub router: Option<NameRef>,
    /// `GET`, `POST`, ... (`api_route` with several: the first write one).
    pub method: Name,
    /// The path as written (`""` when not a literal).
    pub path: Name,
    pub dependencies: DependencyList,
    /// Providers of the parameters' `Depends(...)`/`Security(...)`.
    pub providers: ThinVec<NameRef>,
    /// Names in the parameters' annotations (aliases, scheme classes).
    pub param_types: ThinVec<NameRef>,
    /// Last names of the other decorators and of the calls in the body
    /// (`login_required`, `verify_token`), at most [`MAX_CALLS`].
    pub calls: ThinVec<Name>,
    /// A parameter is a `Security(...)` dependency.
    pub security: bool,
    /// The body reads the request's identity set by a middleware
    /// (`request.user`, `request.state.user`, `request.auth`).
    pub identity: bool,
}

/// A module-level function.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FunctionFact {
    pub name: Name,
    /// Names in the return annotation.
    pub returns: ThinVec<NameRef>,
    /// Providers of its parameters' `Depends(...)`/`Security(...)`.
    pub providers: ThinVec<NameRef>,
    /// Names in its parameters' annotations.
    pub param_types: ThinVec<NameRef>,
}

/// `name = Callee(...)` at module level: the callee.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InstanceFact {
    pub name: Name,
    pub callee: NameRef,
}

/// `return jsonable_encoder(x)` (or `x.__dict__`, `vars(x)`, `dict(x)`) in
/// a route handler that does not filter through a response model.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DumpUse {
    pub spot: Spot,
    /// `jsonable_encoder(user)`, as shown in the message.
    pub shown: String,
    /// Class names `x` is annotated or built with.
    pub types: ThinVec<NameRef>,
    /// Functions whose result `x` is (their return annotation says the class).
    pub calls: ThinVec<NameRef>,
}

/// Calls and decorators recorded per route at most.
pub const MAX_CALLS: usize = 48;

/// Route methods that change state.
const WRITE_METHODS: &[&str] = &["post", "put", "patch", "delete"];

/// The literal text of a string node, `None` for f-strings and non-strings.
fn literal(node: Node<'_>, source: &str) -> Option<String> {
    let node = pyast::unparenthesize(node);
    (node.kind_str() == "string" && !pyast::has_interpolation(node))
        .then(|| pyast::string_text(node, source).into_owned())
}

/// `prefix=` of a call: the literal, [`UNKNOWN_PREFIX`] for anything else, "" without one.
fn prefix_of(args: Option<Node<'_>>, source: &str) -> String {
    match args.and_then(|a| pyast::keyword_arg(a, "prefix", source)) {
        Some(p) => literal(p, source).unwrap_or_else(|| UNKNOWN_PREFIX.to_owned()),
        None => String::new(),
    }
}

fn dependency_list(args: Option<Node<'_>>, offset: usize, at: &At<'_, '_>) -> DependencyList {
    let Some(value) = args.and_then(|a| pyast::keyword_arg(a, "dependencies", at.source)) else {
        return DependencyList::default();
    };
    let value = pyast::unparenthesize(value);
    if !matches!(value.kind_str(), "list" | "tuple") {
        return DependencyList {
            providers: ThinVec::new(),
            opaque: true,
        };
    }
    let mut cursor = value.walk();
    let items: Vec<Node<'_>> = value.named_children(&mut cursor).collect();
    let providers = dependency_providers(value, offset, at);
    // Every item a `Depends(...)`/`Security(...)` call: else it is opaque.
    let markers = items
        .iter()
        .filter(|i| {
            i.kind_str() == "call"
                && i.child_by_field_id(*fid::FUNCTION)
                    .and_then(|f| pyast::dotted_name(f, at.source))
                    .is_some_and(|c| fastapi::is_dependency_marker(&c))
        })
        .count();
    DependencyList {
        opaque: markers != items.iter().filter(|i| i.kind_str() != "comment").count(),
        providers: providers.into(),
    }
}

/// Router and app creations, and module-level instances.
pub(super) fn assignment(node: Node<'_>, at: &At<'_, '_>, facts: &mut super::SymbolFacts) {
    let (Some(left), Some(right)) = (at.fields.left, at.fields.right) else {
        return;
    };
    if right.kind_str() != "call" || left.kind_str() != "identifier" {
        return;
    }
    let module_level = !at
        .ancestors
        .iter()
        .any(|a| matches!(a.kind_str(), "function_definition" | "class_definition"));
    let Some(callee) = right
        .child_by_field_id(*fid::FUNCTION)
        .and_then(|f| pyast::dotted_name(f, at.source))
    else {
        return;
    };
    let name = pyast::text(left, at.source).to_owned();
    let args = pyast::call_arguments(right);
    let last = pyast::last_segment(&callee);
    // `VersionedAPIRouter(...)`, `InferringRouter(...)`: router subclasses.
    if fastapi::is_router_constructor(&callee) || last.ends_with("Router") {
        facts.routers.push(RouterDef {
            name: Name::from(name),
            is_app: last == "FastAPI",
            prefix: prefix_of(args, at.source),
            dependencies: dependency_list(args, node.start_byte(), at),
        });
        return;
    }
    if module_level && fastapi::is_dependency_marker(&callee) {
        // `CurrentToken = Depends(require_auth)`: the instance stands for its provider.
        if let Some(provider) = dependency_providers(right, node.start_byte(), at)
            .into_iter()
            .next()
        {
            facts.instances.push(InstanceFact {
                name: Name::from(name),
                callee: provider,
            });
        }
        return;
    }
    if module_level {
        if let Some(callee) = right
            .child_by_field_id(*fid::FUNCTION)
            .and_then(|f| name_ref(f, node.start_byte(), at))
        {
            facts.instances.push(InstanceFact {
                name: Name::from(name),
                callee,
            });
        }
    }
}

/// `x.include_router(router, ...)`.
pub(super) fn call(node: Node<'_>, at: &At<'_, '_>, facts: &mut super::SymbolFacts) {
    // The method is judged before the receiver is read (`ast::method_call`
    // of the call: its callee's attribute, shared by the walk, then object).
    let Some(method) = at.fields.callee_attribute else {
        return;
    };
    let include = match pyast::text(method, at.source) {
        "include_router" => true,
        "add_middleware" => false,
        _ => return,
    };
    let Some(object) = at
        .fields
        .function
        .and_then(|f| f.child_by_field_id(*fid::OBJECT))
    else {
        return;
    };
    if !include {
        super::auth::middleware_class(node, at, facts);
        return;
    }
    let Some(receiver) = pyast::dotted_name(object, at.source) else {
        return;
    };
    let args = pyast::call_arguments(node);
    let Some(router) = args
        .and_then(|a| {
            pyast::positional_arg(a, 0).or_else(|| pyast::keyword_arg(a, "router", at.source))
        })
        .and_then(|r| name_ref(r, node.start_byte(), at))
    else {
        return;
    };
    facts.includes.push(IncludeFact {
        receiver: Name::new(&receiver),
        receiver_ref: name_ref(object, node.start_byte(), at),
        router,
        prefix: prefix_of(args, at.source),
        dependencies: dependency_list(args, node.start_byte(), at),
    });
}

/// Providers and annotation names of a parameter list.
fn parameters(def: Node<'_>, at: &At<'_, '_>) -> (Vec<NameRef>, Vec<NameRef>) {
    let (mut providers, mut types) = (Vec::new(), Vec::new());
    let Some(params) = def.child_by_field_id(*fid::PARAMETERS) else {
        return (providers, types);
    };
    let offset = def.start_byte();
    let mut cursor = params.walk();
    for p in params.named_children(&mut cursor) {
        if let Some(annotation) = p.child_by_field_id(*fid::TYPE) {
            providers.extend(dependency_providers(annotation, offset, at));
            collect_names(annotation, offset, at, &mut types);
        }
        if let Some(default) = p.child_by_field_id(*fid::VALUE) {
            providers.extend(dependency_providers(default, offset, at));
            // `token=CurrentToken`, a module-level `CurrentToken = Depends(...)`.
            if matches!(default.kind_str(), "identifier" | "attribute") {
                providers.extend(name_ref(default, offset, at));
            }
        }
    }
    (providers, types)
}

/// A module-level function's facts.
pub(super) fn function(def: Node<'_>, at: &At<'_, '_>, facts: &mut super::SymbolFacts) {
    let Some(name) = def.child_by_field_id(*fid::NAME) else {
        return;
    };
    function_named(def, pyast::text(name, at.source), at, facts);
}

/// `__call__`/`__init__` of a module-level class: a class used as a
/// dependency (`Depends(ProjectMember())`) depends on what they do, so
/// their providers are recorded under the class's name.
pub(super) fn dependency_method(def: Node<'_>, at: &At<'_, '_>, facts: &mut super::SymbolFacts) {
    let is_entry = def
        .child_by_field_id(*fid::NAME)
        .is_some_and(|n| matches!(pyast::text(n, at.source), "__call__" | "__init__"));
    if !is_entry
        || at
            .ancestors
            .iter()
            .any(|a| a.kind_str() == "function_definition")
    {
        return;
    }
    let mut classes = at
        .ancestors
        .iter()
        .filter(|a| a.kind_str() == "class_definition");
    let (Some(class), None) = (classes.next(), classes.next()) else {
        return;
    };
    if let Some(name) = class.child_by_field_id(*fid::NAME) {
        let (providers, param_types) = parameters(def, at);
        if !providers.is_empty() || !param_types.is_empty() {
            facts.functions.push(FunctionFact {
                name: Name::new(pyast::text(name, at.source)),
                returns: ThinVec::new(),
                providers: providers.into(),
                param_types: param_types.into(),
            });
        }
    }
}

fn function_named(def: Node<'_>, name: &str, at: &At<'_, '_>, facts: &mut super::SymbolFacts) {
    let mut returns = Vec::new();
    if let Some(r) = def.child_by_field_id(*fid::RETURN_TYPE) {
        collect_names(r, def.start_byte(), at, &mut returns);
    }
    let (providers, param_types) = parameters(def, at);
    if returns.is_empty() && providers.is_empty() && param_types.is_empty() {
        return;
    }
    facts.functions.push(FunctionFact {
        name: Name::new(name),
        returns: returns.into(),
        providers: providers.into(),
        param_types: param_types.into(),
    });
}

/// The route a handler registers: receiver, method, path, dependencies.
pub(super) fn route(
    def: Node<'_>,
    route_call: Option<Node<'_>>,
    at: &At<'_, '_>,
    facts: &mut super::SymbolFacts,
) {
    let parent = at.ancestors.last().copied();
    let decorators = pyast::decorators(def, parent);
    let Some((decorator, receiver, method)) = decorators
        .iter()
        .find_map(|d| fastapi::route_decorator(*d, at.source).map(|(o, m, _)| (*d, o, m)))
    else {
        return;
    };
    let router = pyast::decorator_callee(decorator)
        .child_by_field_id(*fid::OBJECT)
        .and_then(|o| name_ref(o, def.start_byte(), at));
    let args = route_call.and_then(pyast::call_arguments);
    let method = if method == "api_route" {
        let methods = args
            .and_then(|a| pyast::keyword_arg(a, "methods", at.source))
            .map(|m| pyast::text(m, at.source).to_ascii_lowercase())
            .unwrap_or_default();
        match WRITE_METHODS.iter().find(|w| methods.contains(*w)) {
            Some(w) => *w,
            None => "get",
        }
    } else {
        method
    };
    let path = args
        .and_then(|a| {
            pyast::positional_arg(a, 0).or_else(|| pyast::keyword_arg(a, "path", at.source))
        })
        .and_then(|p| literal(p, at.source))
        .unwrap_or_default();
    let (providers, param_types) = parameters(def, at);
    let mut calls: Vec<String> = decorators
        .iter()
        .filter_map(|d| pyast::dotted_name(pyast::decorator_callee(*d), at.source))
        .map(|n| pyast::last_segment(&n).to_owned())
        .collect();
    let mut identity = false;
    if let Some(body) = def.child_by_field_id(*fid::BODY) {
        body_calls(body, at.source, &mut calls);
        let text = pyast::text(body, at.source);
        identity = super::auth::IDENTITY_READS.iter().any(|r| text.contains(r));
    }
    let security = def
        .child_by_field_id(*fid::PARAMETERS)
        .is_some_and(|p| pyast::text(p, at.source).contains("Security("));
    let Some(name) = def.child_by_field_id(*fid::NAME) else {
        return;
    };
    facts.routes.push(RouteFact {
        name: Name::new(pyast::text(name, at.source)),
        spot: spot(name, at),
        receiver: Name::from(receiver),
        router,
        method: Name::from(method.to_ascii_uppercase()),
        path: Name::from(path),
        dependencies: dependency_list(args, def.start_byte(), at),
        providers: providers.into(),
        param_types: param_types.into(),
        calls: calls.into_iter().map(Name::from).collect(),
        security,
        identity,
    });
}

/// Last names of the calls in a body (nested functions left out).
fn body_calls(body: Node<'_>, source: &str, out: &mut Vec<String>) {
    let mut walk = Descent::new(body, 4_000);
    while let Some(n) = walk.next() {
        if out.len() >= MAX_CALLS {
            return;
        }
        match n.kind_str() {
            "function_definition" | "lambda" | "class_definition" => walk.skip_children(),
            "call" => {
                if let Some(name) = pyast::callee_name(n, source) {
                    if !out.iter().any(|c| c == name) {
                        out.push(name.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
}

/// Functions that dump an object's attributes into a plain structure.
const DUMPERS: &[&str] = &["jsonable_encoder", "vars", "dict"];

/// Methods whose result, on a query of `M`, is `M` instances.
const QUERY_ROOTS: &[&str] = &["query", "select"];

/// `return <dump of x>` in a route handler: what `x` is.
pub(super) fn dump(ret: Node<'_>, at: &At<'_, '_>) -> Option<DumpUse> {
    let value = pyast::unparenthesize(ret.named_child(0)?);
    // `return JSONResponse(content=jsonable_encoder(x))` bypasses any response model.
    let value = if value.kind_str() == "call"
        && pyast::callee_name(value, at.source).is_some_and(|n| n.ends_with("Response"))
    {
        let args = pyast::call_arguments(value)?;
        pyast::positional_arg(args, 0).or_else(|| pyast::keyword_arg(args, "content", at.source))?
    } else {
        value
    };
    let target = match value.kind_str() {
        "call" => {
            let name = pyast::callee_name(value, at.source)?;
            let function = value.child_by_field_id(*fid::FUNCTION)?;
            if !DUMPERS.contains(&name) || function.kind_str() != "identifier" {
                return None;
            }
            let args = pyast::call_arguments(value)?;
            if args.named_child_count() != 1 {
                return None;
            }
            pyast::positional_arg(args, 0)?
        }
        "attribute" => {
            let attr = value.child_by_field_id(*fid::ATTRIBUTE)?;
            if pyast::text(attr, at.source) != "__dict__" {
                return None;
            }
            value.child_by_field_id(*fid::OBJECT)?
        }
        _ => return None,
    };
    if target.kind_str() != "identifier" {
        return None;
    }
    let scope = at.semantic.scope_of(at.ancestors, ret);
    let binding = at
        .semantic
        .lookup(scope, pyast::text(target, at.source), ret.start_byte())?;
    let mut use_ = DumpUse {
        spot: spot(value, at),
        shown: pyast::text(value, at.source)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        ..DumpUse::default()
    };
    let offset = ret.start_byte();
    if let Some(annotation) = binding.annotation() {
        collect_names(annotation, offset, at, &mut use_.types);
    }
    if let Some(v) = binding.value() {
        origin(v, offset, at, &mut use_);
    }
    (!use_.types.is_empty() || !use_.calls.is_empty()).then_some(use_)
}

/// What an assigned value says about its class: `session.get(M, id)`,
/// `db.query(M)...first()`, `session.exec(select(M)...).one()`, `M(...)`,
/// `get_user(...)` (a function with a return annotation).
fn origin(value: Node<'_>, offset: usize, at: &At<'_, '_>, out: &mut DumpUse) {
    let mut node = pyast::unparenthesize(value);
    for _ in 0..32 {
        match node.kind_str() {
            "await" => match node.named_child(0) {
                Some(n) => node = pyast::unparenthesize(n),
                None => return,
            },
            "call" => {
                let Some(function) = node.child_by_field_id(*fid::FUNCTION) else {
                    return;
                };
                let args = pyast::call_arguments(node);
                let name = pyast::callee_name(node, at.source).unwrap_or("");
                let first = args.and_then(|a| pyast::positional_arg(a, 0));
                if (name == "get" || name == "get_one") && function.kind_str() == "attribute" {
                    if let Some(m) = first.and_then(|f| name_ref(f, offset, at)) {
                        out.types.push(m);
                    }
                    return;
                }
                if QUERY_ROOTS.contains(&name) {
                    if let (Some(m), true) =
                        (first, args.is_some_and(|a| a.named_child_count() == 1))
                    {
                        if let Some(m) = name_ref(m, offset, at) {
                            out.types.push(m);
                        }
                    }
                    return;
                }
                // `session.exec(select(M))`, `session.scalars(select(M))`
                if let Some(inner) = first.filter(|f| {
                    f.kind_str() == "call"
                        && matches!(name, "exec" | "execute" | "scalars" | "scalar")
                }) {
                    node = inner;
                    continue;
                }
                match function.kind_str() {
                    "identifier" => {
                        let written = pyast::text(function, at.source);
                        if written.starts_with(|c: char| c.is_ascii_uppercase()) {
                            if let Some(m) = name_ref(function, offset, at) {
                                out.types.push(m);
                            }
                        } else if let Some(f) = name_ref(function, offset, at) {
                            out.calls.push(f);
                        }
                        return;
                    }
                    "attribute" => {
                        // `.first()`, `.one()`, `.scalar_one()` on a query: look inside.
                        let object = function.child_by_field_id(*fid::OBJECT);
                        let chained = object.is_some_and(|o| {
                            matches!(pyast::unparenthesize(o).kind_str(), "call" | "await")
                        });
                        match object {
                            Some(o) if chained => node = pyast::unparenthesize(o),
                            _ => {
                                // `crud.get_user(...)` through a module import.
                                if let Some(f) = name_ref(function, offset, at) {
                                    if f.qualified.is_some() {
                                        out.calls.push(f);
                                    }
                                }
                                return;
                            }
                        }
                    }
                    _ => return,
                }
            }
            _ => return,
        }
    }
}
