//! `[tool.fortress.security]`: the table as written and its resolution.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::options::{OptionError, SpannedList};

/// SEC006: path segments of routes that are public by design (sign-in,
/// sign-up, password recovery, the authentication flow's own `auth`/`mfa`
/// routes, health probes, webhooks, OAuth callbacks).
/// Each word `w` stands for the globs `**/w` and `**/w/**`.
pub const DEFAULT_PUBLIC_WORDS: &[&str] = &[
    "login",
    "logout",
    "signin",
    "sign-in",
    "signout",
    "sign-out",
    "signup",
    "sign-up",
    "register",
    "token",
    "refresh",
    "reset-password",
    "forgot-password",
    "password-reset",
    "password-recovery",
    "recover-password",
    "verify-email",
    "verify",
    "health",
    "healthz",
    "healthcheck",
    "ready",
    "readyz",
    "live",
    "livez",
    "ping",
    "metrics",
    "webhook",
    "webhooks",
    "callback",
    "oauth",
    "oauth2",
    "authorize",
    "sso",
    "auth",
    "auths",
    "mfa",
    "2fa",
    "otp",
];

/// `[tool.fortress.security]`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSecurity {
    /// Report hard-coded secrets (SEC004) in test code too (default false).
    pub check_test_files: Option<bool>,
    /// SEC006: dependency providers (names or qualified names) that
    /// authenticate, besides those the rule recognises itself.
    pub auth_dependencies: Option<SpannedList>,
    /// SEC006: globs over a route's full path for routes that are public
    /// by design (replaces the default list).
    pub public_routes: Option<SpannedList>,
    /// SEC002: fields a response may carry by design, as `field` (in any
    /// response model) or `Model.field`.
    pub allowed_response_fields: Option<SpannedList>,
}

/// The security rules' settings, resolved. `Debug` (which the cache key
/// fingerprints) shows the globs as written, not the compiled matcher.
#[derive(Clone)]
pub struct SecuritySettings {
    pub check_test_files: bool,
    /// SEC006: extra authentication providers, as written.
    pub auth_dependencies: Vec<String>,
    /// SEC006: the public route globs, as written.
    pub public_routes: Vec<String>,
    /// SEC002: `field` or `Model.field` entries sent to clients by design.
    pub allowed_response_fields: Vec<String>,
    public_set: GlobSet,
}

impl std::fmt::Debug for SecuritySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecuritySettings")
            .field("check_test_files", &self.check_test_files)
            .field("auth_dependencies", &self.auth_dependencies)
            .field("public_routes", &self.public_routes)
            .field("allowed_response_fields", &self.allowed_response_fields)
            .finish()
    }
}

impl Default for SecuritySettings {
    fn default() -> SecuritySettings {
        let public_routes = default_public_routes();
        let public_set = compile(&public_routes).unwrap_or_else(|_| GlobSet::empty());
        SecuritySettings {
            check_test_files: false,
            auth_dependencies: Vec::new(),
            public_routes,
            allowed_response_fields: Vec::new(),
            public_set,
        }
    }
}

/// The default `public-routes` globs.
pub fn default_public_routes() -> Vec<String> {
    DEFAULT_PUBLIC_WORDS
        .iter()
        .flat_map(|w| [format!("**/{w}"), format!("**/{w}/**")])
        .collect()
}

fn compile(globs: &[String]) -> Result<GlobSet, (usize, globset::Error)> {
    let mut set = GlobSetBuilder::new();
    for (i, g) in globs.iter().enumerate() {
        let glob = GlobBuilder::new(g.trim_start_matches('/'))
            .literal_separator(true)
            .case_insensitive(true)
            .build()
            .map_err(|e| (i, e))?;
        set.add(glob);
    }
    set.build().map_err(|e| (0, e))
}

impl SecuritySettings {
    pub fn resolve(raw: Option<&RawSecurity>) -> Result<SecuritySettings, OptionError> {
        let mut out = SecuritySettings {
            check_test_files: raw.and_then(|s| s.check_test_files).unwrap_or(false),
            ..SecuritySettings::default()
        };
        if let Some(list) = raw.and_then(|r| r.auth_dependencies.as_ref()) {
            for name in list {
                let n = name.get_ref().trim();
                let dotted = !n.is_empty()
                    && n.split('.').all(|part| {
                        part.starts_with(|c: char| c.is_alphabetic() || c == '_')
                            && part.chars().all(|c| c.is_alphanumeric() || c == '_')
                    });
                if !dotted {
                    return Err(OptionError::at(
                        "security.auth-dependencies",
                        name,
                        format!("`{n}` is not a name or a dotted name (`get_current_user`, `app.deps.get_current_user`)"),
                    ));
                }
                out.auth_dependencies.push(n.to_owned());
            }
        }
        if let Some(list) = raw.and_then(|r| r.allowed_response_fields.as_ref()) {
            for entry in list {
                let e = entry.get_ref().trim();
                let parts: Vec<&str> = e.split('.').collect();
                let identifiers = parts.iter().all(|part| {
                    part.starts_with(|c: char| c.is_alphabetic() || c == '_')
                        && part.chars().all(|c| c.is_alphanumeric() || c == '_')
                });
                if !identifiers || parts.len() > 2 {
                    return Err(OptionError::at(
                        "security.allowed-response-fields",
                        entry,
                        format!("`{e}` is not a field name or `Model.field` (`client_secret`, `PaymentIntentOut.client_secret`)"),
                    ));
                }
                out.allowed_response_fields.push(e.to_owned());
            }
        }
        if let Some(list) = raw.and_then(|r| r.public_routes.as_ref()) {
            let globs: Vec<String> = list.iter().map(|g| g.get_ref().trim().to_owned()).collect();
            out.public_set = compile(&globs).map_err(|(i, e)| {
                let at = list.get(i).map(|g| g.span());
                OptionError::new(
                    "security.public-routes",
                    at,
                    format!("not a valid glob: {e}"),
                )
            })?;
            out.public_routes = globs;
        }
        Ok(out)
    }

    /// SEC002: may response model `model` send `field` to clients by
    /// configuration (`field` or `model.field` listed)?
    pub fn is_allowed_response_field(&self, model: &str, field: &str) -> bool {
        self.allowed_response_fields
            .iter()
            .any(|e| match e.split_once('.') {
                Some((m, f)) => m == model && f == field,
                None => e == field,
            })
    }

    /// Is the full route path (`/api/v1/auth/login`) public by design?
    pub fn is_public_route(&self, path: &str) -> bool {
        self.public_set.is_match(path.trim_start_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(toml_text: &str) -> RawSecurity {
        toml::from_str(toml_text).expect("toml")
    }

    #[test]
    fn default_public_routes_match_segments_under_any_prefix() {
        let s = SecuritySettings::default();
        assert!(s.is_public_route("/login"));
        assert!(s.is_public_route("/api/v1/auth/login"));
        assert!(s.is_public_route("/{?}/login/access-token"));
        assert!(s.is_public_route("/hooks/webhook"));
        assert!(!s.is_public_route("/api/items"));
        assert!(!s.is_public_route("/api/tokens"));
        assert!(!s.is_public_route("/api/loginx"));
    }

    #[test]
    fn configured_lists_are_checked() {
        let s = SecuritySettings::resolve(Some(&raw(
            "auth-dependencies = [\"app.deps.require_user\"]\npublic-routes = [\"/public/**\"]",
        )))
        .expect("valid");
        assert_eq!(
            s.auth_dependencies,
            vec!["app.deps.require_user".to_owned()]
        );
        assert!(s.is_public_route("/public/items"));
        assert!(!s.is_public_route("/login"));
        let e = SecuritySettings::resolve(Some(&raw("auth-dependencies = [\"a b\"]")))
            .expect_err("not a name");
        assert_eq!(e.key, "security.auth-dependencies");
        let e = SecuritySettings::resolve(Some(&raw("public-routes = [\"/a/[\"]")))
            .expect_err("bad glob");
        assert_eq!(e.key, "security.public-routes");
    }

    #[test]
    fn allowed_response_fields_match_a_field_or_a_model_field() {
        let s = SecuritySettings::resolve(Some(&raw(
            "allowed-response-fields = [\"client_secret\", \"WebhookOut.signing_secret\"]",
        )))
        .expect("valid");
        assert!(s.is_allowed_response_field("PaymentIntentOut", "client_secret"));
        assert!(s.is_allowed_response_field("WebhookOut", "signing_secret"));
        assert!(!s.is_allowed_response_field("UserOut", "signing_secret"));
        assert!(!s.is_allowed_response_field("UserOut", "api_key"));
        for bad in ["a b", "A.b.c", "", "1x"] {
            let e = SecuritySettings::resolve(Some(&raw(&format!(
                "allowed-response-fields = [\"{bad}\"]"
            ))))
            .expect_err(bad);
            assert_eq!(e.key, "security.allowed-response-fields");
        }
    }
}
