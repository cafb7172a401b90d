//! SEC006: a state-changing route with no authentication on its path.
//!
//! A `POST`/`PUT`/`PATCH`/`DELETE` route is authenticated when an
//! authentication provider sits anywhere on its path: the decorator's
//! `dependencies=`, its router's `APIRouter(dependencies=...)`, every
//! `include_router(..., dependencies=...)` that mounts that router up to
//! the app (`FastAPI(dependencies=...)`), followed across modules; or its
//! parameters' `Depends(...)`/`Security(...)` (directly, through an
//! `Annotated` alias, or through a project provider that depends on one).
//! What counts as an authentication provider is in [`super::route_auth`].
//!
//! Not reported: routes whose full path is public by design
//! (`[tool.fortress.security] public-routes`, defaults for sign-in,
//! sign-up, tokens, health probes, webhooks, callbacks), handlers that
//! verify a credential themselves or read the identity an authentication
//! middleware set (`request.user`, `request.state.user`), projects that
//! install an authentication middleware, and every path the rule cannot
//! see whole (a `dependencies=` that is not a literal list, a router
//! whose definition is not found).

use crate::diagnostic::Severity;
use crate::project::symbols::RouteFact;
use crate::project::{FactSet, ProjectFinding};
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

use super::route_auth::{Auth, Mount};

pub const META: RuleMeta = RuleMeta {
    code: "SEC006",
    name: "unauthenticated-write-route",
    family: Family::Security,
    severity: Severity::Warning,
    fixable: false,
    summary: "A state-changing route (POST/PUT/PATCH/DELETE) has no authentication dependency anywhere on its path",
    help: "depend on the authenticated user (`user: CurrentUser`, `dependencies=[Depends(get_current_user)]` on the route or its router), or list the path in `[tool.fortress.security] public-routes` when it is public by design",
    doc: include_str!("../../../rules/SEC006.md"),
    security_severity: Some("6.5"),
};

/// Methods that change state.
const WRITE_METHODS: &[&str] = &["POST", "PUT", "PATCH", "DELETE"];

#[derive(Default)]
pub struct UnauthenticatedWriteRoute;

impl ProjectRule for UnauthenticatedWriteRoute {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS.union(FactSet::SYMBOLS);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let project = cx.project;
        let settings = &cx.options.security;
        // An authentication middleware guards every route of the app it is
        // installed on; which app is not always visible (installed in a
        // factory on a parameter), so the whole project counts as guarded.
        let guarded = project.facts.iter().enumerate().any(|(file, facts)| {
            !project.files[file].is_test && !facts.symbols.auth_middleware.is_empty()
        });
        if guarded {
            return;
        }
        let mut auth = Auth::new(project, &settings.auth_dependencies);
        for (file, facts) in project.facts.iter().enumerate() {
            if project.files[file].is_test {
                continue;
            }
            for route in &facts.symbols.routes {
                if !WRITE_METHODS.contains(&route.method.as_str())
                    || route.security
                    || route.identity
                    || auth.handler_checks(route)
                    || route.dependencies.opaque
                    || auth.any_provider(file, &route.dependencies.providers)
                    || auth.any_provider(file, &route.providers)
                    || auth.any_annotation(file, &route.param_types)
                {
                    continue;
                }
                let Some(router) = route.router.as_ref() else {
                    continue;
                };
                let Mount::Open(prefixes) = auth.mount(file, router, 0) else {
                    continue;
                };
                if reads_only(route) {
                    continue;
                }
                let paths: Vec<String> = prefixes.iter().map(|p| join(p, &route.path)).collect();
                if paths.is_empty() || paths.iter().any(|p| settings.is_public_route(p)) {
                    continue;
                }
                cx.findings.push(finding(file, route, &paths[0]));
            }
        }
    }
}

fn finding(file: usize, route: &RouteFact, path: &str) -> ProjectFinding {
    ProjectFinding {
        code: META.code,
        file,
        span: route.spot.span(),
        start: route.spot.start,
        end: route.spot.end,
        message: format!(
            "`{} {path}` (`{}`) changes state with no authentication on its path: none in the `dependencies=` of the decorator, its router and the `include_router(...)` calls up to the app, nor among its parameters; depend on the current user, or list the path in `public-routes` if it is public by design",
            route.method, route.name
        ),
    }
}

/// Verbs of a `POST` that only reads or computes (`POST /runs/list`,
/// `POST /payments/decode`): no state changes.
const READ_VERBS: &[&str] = &[
    "get",
    "list",
    "search",
    "query",
    "find",
    "fetch",
    "read",
    "lookup",
    "count",
    "decode",
    "parse",
    "preview",
    "validate",
    "estimate",
    "calculate",
    "convert",
    "conversion",
    "render",
];

/// Words of a name that say it writes, whatever else it says.
const WRITE_VERBS: &[&str] = &[
    "create", "update", "delete", "remove", "set", "add", "apply", "upload", "stop", "start",
    "pay", "send", "save", "write", "reset", "import", "run", "execute", "register",
];

/// Prefixes of handler names that say nothing (`api_get_items`).
const FILLER: &[&str] = &[
    "api", "v1", "v2", "route", "endpoint", "handle", "post", "do",
];

/// The handler's name or the path's last literal segment starts with a
/// read verb, and neither holds a write verb.
fn reads_only(route: &RouteFact) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect()
    };
    let name = words(&route.name);
    let segment = route
        .path
        .rsplit('/')
        .find(|s| !s.is_empty() && !s.starts_with('{'))
        .map(words)
        .unwrap_or_default();
    let writes = name
        .iter()
        .chain(&segment)
        .any(|w| WRITE_VERBS.contains(&w.as_str()));
    let first = |ws: &[String]| {
        ws.iter()
            .find(|w| !FILLER.contains(&w.as_str()))
            .is_some_and(|w| READ_VERBS.contains(&w.as_str()))
    };
    !writes && (first(&name) || first(&segment))
}

/// A prefix and a route path joined into one path (`/api` + `/items/`).
fn join(prefix: &str, path: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + path.len() + 1);
    for part in [prefix, path] {
        for segment in part.split('/').filter(|s| !s.is_empty()) {
            out.push('/');
            out.push_str(segment);
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn paths_are_joined_with_single_slashes() {
        assert_eq!(join("/api/v1", "/items/"), "/api/v1/items");
        assert_eq!(join("", ""), "/");
        assert_eq!(join("/{?}/users", "{user_id}"), "/{?}/users/{user_id}");
    }
}
