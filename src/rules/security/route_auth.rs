//! What SEC006 counts as authentication, and the mount graph of routers.
//!
//! A dependency provider authenticates when
//! - it is listed in `[tool.fortress.security] auth-dependencies`;
//! - its name says so ([`auth_like`]: `get_current_user`, `CurrentUser`,
//!   `require_admin`, `verify_api_key`, `JWTBearer` ...);
//! - it is a FastAPI security scheme ([`SCHEMES`]: `OAuth2PasswordBearer`,
//!   `HTTPBearer`, `APIKeyHeader` ...), an instance of one
//!   (`oauth2 = OAuth2PasswordBearer(...)`), or a project class derived
//!   from one;
//! - it is an `Annotated` alias whose `Depends(...)` is one, or a project
//!   function whose own parameters depend on one (followed across
//!   modules, [`MAX_DEPTH`] deep).

use std::collections::HashMap;

use crate::project::symbols::{
    auth_like, locate, qualified_name, DependencyList, IncludeFact, NameRef, RouteFact,
};
use crate::project::Project;
use crate::python::name::Name;

/// FastAPI's and Starlette's security schemes (`fastapi.security`).
pub const SCHEMES: &[&str] = &[
    "OAuth2",
    "OAuth2PasswordBearer",
    "OAuth2AuthorizationCodeBearer",
    "OpenIdConnect",
    "HTTPBase",
    "HTTPBearer",
    "HTTPBasic",
    "HTTPDigest",
    "APIKeyBase",
    "APIKeyHeader",
    "APIKeyQuery",
    "APIKeyCookie",
    "SecurityBase",
];

/// Providers, aliases and routers followed at most.
pub const MAX_DEPTH: usize = 8;

/// What the path from a router up to the app says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mount {
    /// Some mount (or the router itself) authenticates.
    Protected,
    /// Some part is not visible (`dependencies=deps`, a router not found).
    Unknown,
    /// No authentication on any mount: the prefixes of the mounts' paths.
    Open(Vec<String>),
}

/// Answers for one run, memoised.
pub struct Auth<'p, 'c> {
    project: &'p Project<'c>,
    configured: &'p [String],
    /// `include_router(...)` calls by the router they mount (file, name).
    mounts: HashMap<(usize, String), Vec<(usize, &'p IncludeFact)>>,
    /// An `include_router(...)` with authentication (or an opaque
    /// `dependencies=`) whose router is not found: any router never seen
    /// mounted may be the one it mounts.
    guarded_unresolved: bool,
    /// A `FastAPI(dependencies=...)` app that authenticates: an
    /// `include_router(...)` on a receiver that is no router found (an app
    /// passed to a function) may be on it.
    guarded_app: bool,
    providers: HashMap<(usize, Name), bool>,
    routers: HashMap<(usize, String), Mount>,
}

impl<'p, 'c> Auth<'p, 'c> {
    pub fn new(project: &'p Project<'c>, configured: &'p [String]) -> Auth<'p, 'c> {
        let mut auth = Auth {
            project,
            configured,
            mounts: HashMap::new(),
            guarded_unresolved: false,
            guarded_app: false,
            providers: HashMap::new(),
            routers: HashMap::new(),
        };
        let mut unresolved = Vec::new();
        for (file, facts) in project.facts.iter().enumerate() {
            if project.files[file].is_test {
                continue;
            }
            for include in &facts.symbols.includes {
                match locate(project, file, &include.router) {
                    Some(key) if has_router(project, &key) => {
                        auth.mounts.entry(key).or_default().push((file, include));
                    }
                    _ => unresolved.push((file, include)),
                }
            }
        }
        auth.guarded_unresolved = unresolved
            .iter()
            .any(|(file, include)| auth.list_guards(*file, &include.dependencies));
        let apps: Vec<(usize, &DependencyList)> = project
            .facts
            .iter()
            .enumerate()
            .filter(|(file, _)| !project.files[*file].is_test)
            .flat_map(|(file, facts)| {
                facts
                    .symbols
                    .routers
                    .iter()
                    .filter(|r| r.is_app)
                    .map(move |r| (file, &r.dependencies))
            })
            .collect();
        auth.guarded_app = apps
            .iter()
            .any(|(file, deps)| auth.list_guards(*file, deps));
        auth
    }

    /// Does the handler check a credential itself (a decorator such as
    /// `login_required`, a call such as `verify_token(...)`,
    /// `verify_signature(...)`, `check_signature(...)`)?
    pub fn handler_checks(&self, route: &RouteFact) -> bool {
        route.calls.iter().any(|c| {
            auth_like(c)
                || c.starts_with("verify")
                || c.contains("signature")
                || self.configured.iter().any(|n| last(n) == c)
        })
    }

    /// Is one of these providers (or annotation names) an authentication provider?
    pub fn any_provider(&mut self, file: usize, names: &[NameRef]) -> bool {
        names.iter().any(|n| self.provider(file, n, 0))
    }

    /// Does a `dependencies=` list authenticate, or hide what it holds?
    fn list_guards(&mut self, file: usize, list: &DependencyList) -> bool {
        list.opaque || self.any_provider(file, &list.providers)
    }

    fn provider(&mut self, file: usize, name: &NameRef, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let key = (file, name.written);
        if let Some(known) = self.providers.get(&key) {
            return *known;
        }
        // Guard against cycles while this one is being answered.
        self.providers.insert(key, false);
        let answer = self.provider_uncached(file, name, depth);
        self.providers.insert(key, answer);
        answer
    }

    fn provider_uncached(&mut self, file: usize, name: &NameRef, depth: usize) -> bool {
        let written = last(&name.written);
        let imported = name.qualified.as_deref().map(last).unwrap_or(written);
        if SCHEMES.contains(&written)
            || SCHEMES.contains(&imported)
            || auth_like(written)
            || auth_like(imported)
            || self.is_configured(file, name)
        {
            return true;
        }
        let project = self.project;
        let Some((at, defined)) = locate(project, file, name) else {
            return false;
        };
        let Some(facts) = project.facts.get(at) else {
            return false;
        };
        let symbols = &facts.symbols;
        // `oauth2 = OAuth2PasswordBearer(...)`, `auth = ProjectBearer()`.
        if symbols.any_instance_callee(&defined, |callee| self.provider(at, callee, depth + 1)) {
            return true;
        }
        if symbols.any_alias_provider(&defined, |p| self.provider(at, p, depth + 1)) {
            return true;
        }
        for f in symbols.functions.iter().filter(|f| f.name == defined) {
            if f.providers.iter().any(|p| self.provider(at, p, depth + 1))
                || f.param_types
                    .iter()
                    .any(|t| self.annotation(at, t, depth + 1))
            {
                return true;
            }
        }
        // `class TokenBearer(HTTPBearer)`: a scheme subclass used as a dependency.
        symbols.any_class_base(&defined, |base| self.provider(at, base, depth + 1))
    }

    /// Is one of these annotation names a security scheme, or an
    /// `Annotated` alias whose `Depends(...)` authenticates? (A type's own
    /// name says nothing: `repo: AuthRepository` is no dependency.)
    pub fn any_annotation(&mut self, file: usize, names: &[NameRef]) -> bool {
        names.iter().any(|n| self.annotation(file, n, 0))
    }

    fn annotation(&mut self, file: usize, name: &NameRef, depth: usize) -> bool {
        let written = last(&name.written);
        if SCHEMES.contains(&written) || self.is_configured(file, name) {
            return true;
        }
        if depth > MAX_DEPTH {
            return false;
        }
        let Some((at, defined)) = locate(self.project, file, name) else {
            return false;
        };
        let project = self.project;
        let Some(facts) = project.facts.get(at) else {
            return false;
        };
        facts
            .symbols
            .any_alias_provider(&defined, |p| self.provider(at, p, depth + 1))
    }

    /// Listed in `auth-dependencies` (by name, or by qualified name).
    fn is_configured(&self, file: usize, name: &NameRef) -> bool {
        if self.configured.is_empty() {
            return false;
        }
        let qualified = qualified_name(self.project, file, name);
        self.configured.iter().any(|c| {
            if c.contains('.') {
                qualified.as_deref() == Some(c.as_str()) || name.written == *c
            } else {
                last(&name.written) == c || name.qualified.as_deref().map(last) == Some(c.as_str())
            }
        })
    }

    /// What the mounts of router `router` (used in `file`) say, up to the app.
    pub fn mount(&mut self, file: usize, router: &NameRef, depth: usize) -> Mount {
        let Some(key) = locate(self.project, file, router) else {
            return Mount::Unknown;
        };
        self.mount_at(key, depth)
    }

    /// The receiver of an `include_router(...)`: a router or app found, or
    /// else an app the rule cannot see (`def setup(app: FastAPI)`), taken
    /// as the root unless some app authenticates.
    fn parent(&mut self, file: usize, receiver: &NameRef, depth: usize) -> Mount {
        let Some(key) = locate(self.project, file, receiver) else {
            return Mount::Unknown;
        };
        if has_router(self.project, &key) {
            return self.mount_at(key, depth);
        }
        // `api = make_router()`: some router the rule cannot see.
        let assigned = self
            .project
            .facts
            .get(key.0)
            .is_some_and(|f| f.symbols.instances.iter().any(|i| i.name == key.1));
        if assigned {
            return Mount::Unknown;
        }
        if self.guarded_app {
            Mount::Unknown
        } else {
            Mount::Open(vec![String::new()])
        }
    }

    fn mount_at(&mut self, key: (usize, String), depth: usize) -> Mount {
        if depth > MAX_DEPTH {
            return Mount::Unknown;
        }
        if let Some(known) = self.routers.get(&key) {
            return known.clone();
        }
        // A cycle of mounts says nothing.
        self.routers.insert(key.clone(), Mount::Unknown);
        let answer = self.mount_uncached(&key, depth);
        self.routers.insert(key, answer.clone());
        answer
    }

    fn mount_uncached(&mut self, key: &(usize, String), depth: usize) -> Mount {
        let project = self.project;
        let (at, name) = (key.0, key.1.as_str());
        let Some(facts) = project.facts.get(at) else {
            return Mount::Unknown;
        };
        let defs: Vec<_> = facts
            .symbols
            .routers
            .iter()
            .filter(|r| r.name == name)
            .collect();
        let Some(first) = defs.first() else {
            return Mount::Unknown;
        };
        for def in &defs {
            if self.list_guards(at, &def.dependencies) {
                return Mount::Protected;
            }
        }
        let own = first.prefix.clone();
        if defs.iter().any(|d| d.is_app) {
            return Mount::Open(vec![own]);
        }
        let includes = self.mounts.get(key).cloned().unwrap_or_default();
        if includes.is_empty() {
            return if self.guarded_unresolved {
                Mount::Unknown
            } else {
                Mount::Open(vec![own])
            };
        }
        let mut prefixes = Vec::new();
        for (file, include) in includes {
            if self.list_guards(file, &include.dependencies) {
                return Mount::Protected;
            }
            let parent = match include.receiver_ref.as_ref() {
                Some(r) => self.parent(file, r, depth + 1),
                None => Mount::Unknown,
            };
            match parent {
                Mount::Open(outer) => {
                    for o in outer {
                        prefixes.push(format!("{o}{}{own}", include.prefix));
                    }
                }
                other => return other,
            }
        }
        Mount::Open(prefixes)
    }
}

/// Is `name` a router or app created in its file?
fn has_router(project: &Project<'_>, key: &(usize, String)) -> bool {
    project
        .facts
        .get(key.0)
        .is_some_and(|f| f.symbols.routers.iter().any(|r| r.name == key.1))
}

fn last(dotted: &str) -> &str {
    dotted.rsplit('.').next().unwrap_or(dotted)
}
