//! Authentication facts for SEC006: which names say they authenticate,
//! the authentication middlewares a project installs, and how a handler
//! reads the identity such a middleware set.

use crate::python::name::Name;
use tree_sitter::Node;

use super::At;
use crate::parse::NodeKind;
use crate::python::ast::{self as pyast, fid};

/// How a handler reads an identity an authentication middleware set.
pub(super) const IDENTITY_READS: &[&str] = &[
    "request.user",
    "request.auth",
    ".state.user",
    ".state.current_user",
    ".state.principal",
    ".state.auth",
];

/// Words that mark a name as authentication: compared with the name
/// lower-cased, `_`/`-` removed (`get_current_user`, `CurrentUser`,
/// `JWTBearer`, `require_admin_key`, `verify_api_key`).
pub const AUTH_WORDS: &[&str] = &[
    "auth",
    "currentuser",
    "currentactiveuser",
    "principal",
    "token",
    "apikey",
    "bearer",
    "jwt",
    "admin",
    "permission",
    "login",
    "require",
    "credential",
];

/// Does the name (a provider, a middleware, a called function) say it
/// authenticates? See [`AUTH_WORDS`].
pub fn auth_like(name: &str) -> bool {
    let n: String = pyast::last_segment(name)
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    AUTH_WORDS.iter().any(|w| n.contains(w))
}

/// Middlewares that only renew or refresh a token a dependency checks
/// (`JWTRefreshMiddleware`) or set a cookie authenticate nothing.
const NOT_AUTHENTICATING: &[&str] = &["refresh", "reissue", "renew", "csrf", "cookie"];

/// Words that say a *middleware* checks a credential on every request
/// (`CheckPasswordMiddleware`, `HMACSignatureMiddleware`); as parts of a
/// dependency's name they say less (`get_password_hasher`), so they are
/// not [`AUTH_WORDS`].
const MIDDLEWARE_AUTH_WORDS: &[&str] = &["password", "signature", "hmac"];

/// Does a middleware's name say it authenticates the request?
fn authenticates(name: &str) -> bool {
    let lower = pyast::last_segment(name).to_ascii_lowercase();
    (auth_like(name) || MIDDLEWARE_AUTH_WORDS.iter().any(|w| lower.contains(w)))
        && !NOT_AUTHENTICATING.iter().any(|w| lower.contains(w))
}

/// `app.add_middleware(AuthMiddleware, ...)`, `Middleware(AuthenticationMiddleware, ...)`.
pub(super) fn middleware_class(node: Node<'_>, at: &At<'_, '_>, facts: &mut super::SymbolFacts) {
    let Some(class) = pyast::call_arguments(node)
        .and_then(|a| pyast::positional_arg(a, 0))
        .and_then(|c| pyast::dotted_name(c, at.source))
    else {
        return;
    };
    if authenticates(&class) {
        facts.auth_middleware.push(Name::new(&class));
    }
}

/// `Middleware(AuthMiddleware)` in `FastAPI(middleware=[...])`.
pub(super) fn middleware_entry(node: Node<'_>, at: &At<'_, '_>, facts: &mut super::SymbolFacts) {
    if at.fields.callee_last_name(at.source) == Some("Middleware") {
        middleware_class(node, at, facts);
    }
}

/// Text in an `@app.middleware("http")` function that says it checks a
/// credential.
const CREDENTIAL_READS: &[&str] = &["authorization", "api_key", "apikey", "x-api-key", "bearer"];

/// `@app.middleware("http")` on a function that checks a credential (its
/// name says so, or its body reads the `Authorization` header, an API key,
/// a bearer token).
pub(super) fn middleware_function(def: Node<'_>, at: &At<'_, '_>, facts: &mut super::SymbolFacts) {
    let parent = at.ancestors.last().copied();
    let is_middleware = pyast::decorators(def, parent).iter().any(|d| {
        let callee = pyast::decorator_callee(*d);
        callee.kind_str() == "attribute"
            && callee
                .child_by_field_id(*fid::ATTRIBUTE)
                .is_some_and(|a| pyast::text(a, at.source) == "middleware")
    });
    if !is_middleware {
        return;
    }
    let Some(name) = def.child_by_field_id(*fid::NAME) else {
        return;
    };
    let name = pyast::text(name, at.source);
    let body = def
        .child_by_field_id(*fid::BODY)
        .map(|b| pyast::text(b, at.source).to_ascii_lowercase())
        .unwrap_or_default();
    if authenticates(name) || CREDENTIAL_READS.iter().any(|r| body.contains(r)) {
        facts.auth_middleware.push(Name::new(name));
    }
}
