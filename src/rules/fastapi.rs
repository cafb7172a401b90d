//! FastAPI vocabulary shared by rules of any family: which decorators register
//! a route, which constructors build a router, which names look like one.
//!
//! Self-contained on purpose (strings in, booleans out) so that per-file
//! rules and the project pass can both use it.

/// Attributes of a router that register a route handler (`@router.get(...)`).
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

/// A decorator receiver named the way routers usually are (`router`, `app`,
/// `api`, `users_router`): used only when the router's creation is not visible
/// and the file uses FastAPI.
pub fn looks_like_router_name(receiver: &str) -> bool {
    let name = last_segment(receiver);
    matches!(
        name,
        "router" | "app" | "api" | "api_router" | "application"
    ) || name.ends_with("_router")
        || name.ends_with("_app")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_vocabulary() {
        assert!(is_route_method("api_route") && !is_route_method("include_router"));
        assert!(is_router_constructor("fastapi.APIRouter") && !is_router_constructor("Router"));
        assert!(looks_like_router_name("users_router") && !looks_like_router_name("cache"));
        assert!(is_dependency_marker("fastapi.Depends"));
    }
}
