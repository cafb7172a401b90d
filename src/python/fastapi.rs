//! Recognising FastAPI route handlers: functions decorated
//! `@<router>.get/post/...(...)` where `<router>` is an `APIRouter()` or
//! `FastAPI()` created in the file, or, when its creation is not visible,
//! an object named like one (`router`, `app`, `api`, `*_router`).
//!
//! Self-contained so that rules of any family can share it: feed
//! [`Routers::observe`] the file's assignments in document order, then ask
//! [`route_of`] about a `function_definition`.

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::python::ast::{self as pyast, fid};
use crate::python::fields::NodeFields;
use crate::python::imports::Import;

/// Decorator attributes that register a route.
pub const ROUTE_METHODS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "trace",
    "api_route",
    "websocket",
];

/// Constructors whose instances route requests.
const ROUTER_FACTORIES: &[&str] = &["APIRouter", "FastAPI"];

/// Web frameworks whose `app.get(...)` decorators are not FastAPI's.
const OTHER_FRAMEWORKS: &[&str] = &["flask", "quart", "sanic", "bottle", "aiohttp", "tornado"];

/// Names bound to a router in the file.
#[derive(Debug, Default, Clone)]
pub struct Routers {
    bound: Vec<(String, bool)>,
}

impl Routers {
    /// Record `name = APIRouter(...)` / `name: APIRouter = ...`. Cheap for
    /// every other assignment: nothing is allocated unless it is a router.
    /// `fields` are the assignment's shared fields (`NodeFields::of`).
    pub fn observe(&mut self, assignment: Node<'_>, fields: &NodeFields<'_>, source: &str) {
        if assignment.kind_str() != "assignment" {
            return;
        }
        // An assignment without both sides is none.
        let Some(right) = fields.right else {
            return;
        };
        let callee = if right.kind_str() == "call" {
            right
                .child_by_field_id(*fid::FUNCTION)
                .map(|f| pyast::last_segment(pyast::text(f, source).trim()))
        } else {
            None
        };
        let is_router = callee.is_some_and(|c| ROUTER_FACTORIES.contains(&c));
        let annotated_router = assignment.child_by_field_id(*fid::TYPE).is_some_and(|t| {
            ROUTER_FACTORIES.contains(&pyast::last_segment(pyast::text(t, source).trim()))
        });
        // `app = App(...)` (Slack Bolt), `app = Flask(...)`: an instance of
        // some other class, whatever the name says. Lower-case factories
        // (`app = create_app()`) do not tell.
        let other_class = !is_router
            && !annotated_router
            && callee.is_some_and(|callee| {
                callee.starts_with(|c: char| c.is_ascii_uppercase())
                    && !callee.ends_with("Router")
                    && !callee.ends_with("FastAPI")
            });
        if !(is_router || annotated_router || other_class) {
            return;
        }
        let Some(left) = fields.left else {
            return;
        };
        if let Some(name) = pyast::dotted_name(left, source) {
            if !self.bound.iter().any(|(n, _)| *n == name) {
                self.bound.push((name.into_owned(), !other_class));
            }
        }
    }

    /// Is `object` (the dotted receiver of a decorator) a router?
    pub fn is_router(&self, object: &str, imports: &[Import]) -> bool {
        if let Some((_, is_router)) = self.bound.iter().find(|(n, _)| n == object) {
            return *is_router;
        }
        let uses_fastapi = imports
            .iter()
            .any(|i| i.level == 0 && pyast::first_segment(&i.module) == "fastapi");
        let uses_other = imports
            .iter()
            .any(|i| i.level == 0 && OTHER_FRAMEWORKS.contains(&pyast::first_segment(&i.module)));
        if uses_other && !uses_fastapi {
            return false;
        }
        // A visible assignment from some other call (`app = create_app()`)
        // does not tell; the name does.
        looks_like_router_name(pyast::last_segment(object))
    }
}

/// `router`, `app`, `api`, `users_router`, `v1_api`, `apiRouter`.
pub fn looks_like_router_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(lower.as_str(), "router" | "app" | "api" | "application")
        || lower.ends_with("_router")
        || lower.ends_with("router")
        || lower.ends_with("_api")
        || lower.ends_with("_app")
}

/// A route registration found on a function.
#[derive(Debug, Clone)]
pub struct Route<'t> {
    /// `get`, `post`, ..., `api_route`, `websocket`.
    pub method: &'static str,
    /// The decorator call `router.get("/x", response_model=...)`, when called.
    pub call: Option<Node<'t>>,
}

/// The route decorator `@<object>.<method>(...)` of `expr`, before router
/// resolution: (object, method, call).
pub fn route_decorator<'t>(
    expr: Node<'t>,
    source: &str,
) -> Option<(String, &'static str, Option<Node<'t>>)> {
    let callee = pyast::decorator_callee(expr);
    if callee.kind_str() != "attribute" {
        return None;
    }
    let attr = pyast::text(callee.child_by_field_id(*fid::ATTRIBUTE)?, source);
    let method = ROUTE_METHODS.iter().copied().find(|m| *m == attr)?;
    let object = pyast::dotted_name(callee.child_by_field_id(*fid::OBJECT)?, source)?;
    let call = (expr.kind_str() == "call").then_some(expr);
    Some((object.into_owned(), method, call))
}

/// The route `def` registers, if it is a route handler. `parent` is the
/// node above `def` (its `decorated_definition` when decorated).
pub fn route_of<'t>(
    def: Node<'t>,
    parent: Option<Node<'t>>,
    source: &str,
    routers: &Routers,
    imports: &[Import],
) -> Option<Route<'t>> {
    if def.kind_str() != "function_definition" {
        return None;
    }
    pyast::decorators(def, parent).into_iter().find_map(|d| {
        let (object, method, call) = route_decorator(d, source)?;
        routers
            .is_router(&object, imports)
            .then_some(Route { method, call })
    })
}

/// A parameter default that makes FastAPI inject or read the value from
/// somewhere other than the body: `Depends(...)`, `Security(...)`,
/// `Query(...)`, `Path(...)`, `Header(...)`, `Cookie(...)`.
pub fn is_non_body_default(value: Node<'_>, source: &str) -> bool {
    value.kind_str() == "call"
        && value
            .child_by_field_id(*fid::FUNCTION)
            .and_then(|f| pyast::dotted_name(f, source))
            .is_some_and(|callee| {
                matches!(
                    pyast::last_segment(&callee),
                    "Depends" | "Security" | "Query" | "Path" | "Header" | "Cookie"
                )
            })
}

// Vocabulary of the layer rules (LAY, ASY001), which judge routes project-wide
// from facts collected in the walk.

/// Classes whose instances register routes.
pub const ROUTER_CLASSES: &[&str] = &["APIRouter", "FastAPI"];

/// Is `method` (the attribute in `@<router>.<method>(...)`) a route decorator?
pub fn is_route_method(method: &str) -> bool {
    ROUTE_METHODS.contains(&method)
}

/// Is the called name (`APIRouter`, `fastapi.APIRouter`, `FastAPI`) a router constructor?
pub fn is_router_constructor(callee: &str) -> bool {
    ROUTER_CLASSES.contains(&last_segment(callee))
}

/// Modules FastAPI's `HTTPException` is importable from.
pub const HTTP_EXCEPTION_MODULES: &[&str] = &[
    "fastapi",
    "fastapi.exceptions",
    "starlette.exceptions",
    "starlette",
];

/// `Depends(...)`/`Security(...)`: the callables that mark a dependency.
pub fn is_dependency_marker(callee: &str) -> bool {
    matches!(last_segment(callee), "Depends" | "Security")
}

pub fn last_segment(dotted: &str) -> &str {
    dotted.rsplit('.').next().unwrap_or(dotted)
}

/// `HTTPException`, `fastapi.HTTPException`, `StarletteHTTPException` (an alias) ...
pub fn is_http_exception(dotted: &str, imports: &[Import]) -> bool {
    if let Some((base, attr)) = dotted.rsplit_once('.') {
        return attr == "HTTPException"
            && imports.iter().any(|i| {
                HTTP_EXCEPTION_MODULES
                    .iter()
                    .any(|m| i.module_alias(m) == Some(base))
            });
    }
    imports.iter().any(|i| {
        HTTP_EXCEPTION_MODULES.iter().any(|m| {
            i.binds(m, "HTTPException") == Some(dotted)
                || (dotted == "HTTPException" && i.is_star_from(m))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_names() {
        for yes in [
            "router",
            "app",
            "api",
            "users_router",
            "v1_api",
            "apiRouter",
            "admin_app",
        ] {
            assert!(looks_like_router_name(yes), "{yes}");
        }
        for no in ["client", "session", "requests", "mapper", "happy"] {
            assert!(!looks_like_router_name(no), "{no}");
        }
    }

    #[test]
    fn layer_vocabulary() {
        assert!(is_route_method("api_route") && !is_route_method("include_router"));
        assert!(is_router_constructor("fastapi.APIRouter") && !is_router_constructor("Router"));
        assert!(is_dependency_marker("fastapi.Depends"));
        assert_eq!(last_segment("a.b.c"), "c");
    }
}
