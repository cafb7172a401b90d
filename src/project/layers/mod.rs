//! Layers: which architectural layer a module belongs to, from its name or
//! path, as configured in `[tool.fortress.layers]` or by default.
//!
//! A pattern is one of
//! - a single name (`api`, `*_service`): matched against each segment of the
//!   module's dotted name (directories and the file stem);
//! - a dotted name (`app.api`, `app.*.queries`): matched against the module
//!   name and each of its dotted prefixes;
//! - a path with a `/` (`app/legacy/**`, `src/shop/db.py`): matched against
//!   the project-relative path and each of its directory prefixes.
//!
//! The deepest match wins (`app/api/schemas.py` is a schema, not an endpoint),
//! except that a single name of a ranked layer counts at its outermost place:
//! inside `services/`, `repos.py` is a service that works with (git) repos.

pub mod model;
pub mod options;
mod sessions;

use globset::{GlobBuilder, GlobMatcher};

pub const ENDPOINT: &str = "endpoint";
pub const CONTROLLER: &str = "controller";
pub const SERVICE: &str = "service";
pub const REPOSITORY: &str = "repository";
pub const MODEL: &str = "model";
pub const SCHEMA: &str = "schema";
/// Dependency wiring (`deps.py`, `dependencies.py`, `container.py`): the
/// composition root, allowed to know every layer.
pub const WIRING: &str = "wiring";

/// The default order, top to bottom.
pub const DEFAULT_ORDER: &[&str] = &[ENDPOINT, SERVICE, REPOSITORY, MODEL];

/// Default patterns of the built-in layers. `controllers` belong to the
/// endpoint layer unless `controller` is given a place in the order.
pub fn default_patterns(layer: &str, controller_ranked: bool) -> &'static [&'static str] {
    match layer {
        ENDPOINT if controller_ranked => {
            &["api", "apis", "routes", "routers", "endpoints", "views"]
        }
        ENDPOINT => &[
            "api",
            "apis",
            "routes",
            "routers",
            "endpoints",
            "views",
            "controllers",
        ],
        CONTROLLER if controller_ranked => &["controllers", "controller"],
        SERVICE => &["services", "service"],
        REPOSITORY => &["repositories", "repository", "repos", "crud", "dal"],
        MODEL => &["models", "model", "entities"],
        SCHEMA => &["schemas", "schema", "dto"],
        WIRING => &[
            "deps",
            "dependencies",
            "di",
            "container",
            "containers",
            "wiring",
        ],
        _ => &[],
    }
}

/// Layer names known without configuration.
pub const BUILTIN: &[&str] = &[
    ENDPOINT, CONTROLLER, SERVICE, REPOSITORY, MODEL, SCHEMA, WIRING,
];

#[derive(Debug, Clone)]
enum PatternKind {
    Segment,
    Dotted,
    Path,
}

#[derive(Clone)]
struct Pattern {
    kind: PatternKind,
    glob: GlobMatcher,
    /// The pattern itself when it has no glob syntax: compared directly (the defaults).
    literal: Option<String>,
}

/// The glob as written, not the compiled matcher (the result cache
/// fingerprints the settings from their `Debug` form).
impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pattern")
            .field("kind", &self.kind)
            .field("glob", &self.glob.glob().glob())
            .field("literal", &self.literal)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct Layer {
    pub name: String,
    /// Position in the order, 0 = top; `None` for side layers such as schemas.
    pub rank: Option<usize>,
    /// May not be skipped: the layer directly beneath it is reachable only through it.
    pub closed: bool,
    patterns: Vec<Pattern>,
}

/// How a file got its layer (printed by `fortress layers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The pattern that matched.
    Pattern(String),
    /// Creates a router and registers route handlers on it.
    Routes,
    /// Registers route handlers, although its name says another layer (the name).
    RoutesOverName(String),
}

#[derive(Debug, Clone)]
pub struct LayerSettings {
    /// Ranked layers in order, then side layers.
    pub layers: Vec<Layer>,
    pub count_function_imports: bool,
    pub count_type_checking_imports: bool,
    pub max_handler_statements: u32,
}

impl Default for LayerSettings {
    fn default() -> Self {
        let order: Vec<String> = DEFAULT_ORDER.iter().map(|s| s.to_string()).collect();
        LayerSettings::build(&order, &[SERVICE.to_owned()], &[], &[], false, false, 15)
            .unwrap_or_else(|_| LayerSettings {
                layers: Vec::new(),
                count_function_imports: false,
                count_type_checking_imports: false,
                max_handler_statements: 15,
            })
    }
}

/// Compile one pattern; the error says what is wrong.
fn compile(pattern: &str) -> Result<Pattern, String> {
    let trimmed = pattern
        .trim()
        .trim_start_matches("./")
        .trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(format!("empty pattern `{pattern}`"));
    }
    let kind = if trimmed.contains('/') {
        PatternKind::Path
    } else if trimmed.contains('.') && !trimmed.ends_with(".py") {
        PatternKind::Dotted
    } else if trimmed.ends_with(".py") {
        PatternKind::Path
    } else {
        PatternKind::Segment
    };
    // Dotted patterns are matched as paths so `*` stays within one segment.
    let normalized = match kind {
        PatternKind::Dotted => trimmed.replace('.', "/"),
        _ => trimmed.to_owned(),
    };
    let glob = GlobBuilder::new(&normalized)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| format!("invalid pattern `{pattern}`: {}", e.kind()))?;
    let literal =
        (!normalized.contains(['*', '?', '[', ']', '{', '}', '\\'])).then(|| normalized.clone());
    Ok(Pattern {
        kind,
        glob: glob.compile_matcher(),
        literal,
    })
}

/// Is `pattern` usable? The error says why not.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    compile(pattern).map(|_| ())
}

impl LayerSettings {
    /// `replace`/`extend`: (layer, patterns) pairs. On error: a message naming the problem.
    pub fn build(
        order: &[String],
        closed: &[String],
        replace: &[(String, Vec<String>)],
        extend: &[(String, Vec<String>)],
        count_function_imports: bool,
        count_type_checking_imports: bool,
        max_handler_statements: u32,
    ) -> Result<LayerSettings, String> {
        let controller_ranked = order.iter().any(|l| l == CONTROLLER);
        let mut names: Vec<String> = Vec::new();
        for name in order {
            if names.contains(name) {
                return Err(format!("layer `{name}` appears twice in `order`"));
            }
            names.push(name.clone());
        }
        let mut side: Vec<String> = vec![SCHEMA.to_owned(), WIRING.to_owned()];
        for (name, _) in replace.iter().chain(extend) {
            if !names.contains(name) && !side.contains(name) {
                side.push(name.clone());
            }
        }
        side.retain(|s| !names.contains(s));
        let mut layers = Vec::new();
        let all: Vec<(Option<usize>, &String)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (Some(i), n))
            .chain(side.iter().map(|n| (None, n)))
            .collect();
        for (rank, name) in all {
            let mut patterns: Vec<String> = match replace.iter().find(|(n, _)| n == name) {
                Some((_, p)) => p.clone(),
                None => default_patterns(name, controller_ranked)
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            };
            if let Some((_, more)) = extend.iter().find(|(n, _)| n == name) {
                patterns.extend(more.iter().cloned());
            }
            if patterns.is_empty() && rank.is_some() {
                return Err(format!(
                    "layer `{name}` has no patterns; give it some in `[tool.fortress.layers.patterns]`"
                ));
            }
            let patterns = patterns
                .iter()
                .map(|p| compile(p))
                .collect::<Result<Vec<_>, _>>()?;
            layers.push(Layer {
                name: name.clone(),
                rank,
                closed: closed.contains(name),
                patterns,
            });
        }
        for c in closed {
            if !names.contains(c) {
                return Err(format!(
                    "`closed` names `{c}`, which is not in the layer `order`"
                ));
            }
        }
        Ok(LayerSettings {
            layers,
            count_function_imports,
            count_type_checking_imports,
            max_handler_statements,
        })
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.layers.iter().position(|l| l.name == name)
    }

    /// The layer of a module from its dotted names and its project-relative
    /// path: the deepest match wins, ties go to the layer listed first.
    pub fn classify<N: AsRef<str>>(&self, names: &[N], rel: &str) -> Option<(usize, Reason)> {
        self.classify_detailed(names, rel)
            .map(|(layer, reason, _)| (layer, reason))
    }

    /// Like [`Self::classify`], also telling whether the match was on the
    /// module's own last segment (its file stem) rather than a package above it.
    pub fn classify_detailed<N: AsRef<str>>(
        &self,
        names: &[N],
        rel: &str,
    ) -> Option<(usize, Reason, bool)> {
        self.classify_at(names, rel)
            .map(|(layer, reason, depth, len)| (layer, reason, depth == len))
    }

    /// Like [`Self::classify`], with the number of leading segments of the
    /// module's dotted name the match covers and the number of segments:
    /// equal when the file stem itself matched.
    pub fn classify_at<N: AsRef<str>>(
        &self,
        names: &[N],
        rel: &str,
    ) -> Option<(usize, Reason, usize, usize)> {
        let primary = names.first()?;
        let segments: Vec<&str> = primary.as_ref().split('.').collect();
        let rel_no_ext = rel
            .strip_suffix(".py")
            .or_else(|| rel.strip_suffix(".pyi"))
            .unwrap_or(rel);
        let rel_parts: Vec<&str> = rel_no_ext.split('/').collect();
        // Path prefixes deeper than the module name's root map to its segments.
        let offset = rel_parts.len().saturating_sub(segments.len());
        let mut best: Option<(usize, usize, String)> = None;
        // Is `best` a side layer's package or file name (`schemas`, `dependencies`)?
        let mut best_side_segment = false;
        let mut outer: Option<(usize, usize, String)> = None;
        for (index, layer) in self.layers.iter().enumerate() {
            for pattern in &layer.patterns {
                let matches_segment = |s: &&str| match &pattern.literal {
                    Some(literal) => literal == s,
                    None => pattern.glob.is_match(s),
                };
                let depth = match pattern.kind {
                    // Inside a package named after a ranked layer, file names
                    // describe the domain: `services/repos.py` is a service,
                    // `models/repos/base.py` a model. So a name of a ranked
                    // layer counts at its outermost place.
                    PatternKind::Segment if layer.rank.is_some() => {
                        let at = segments.iter().position(&matches_segment).map(|i| i + 1);
                        if let Some(depth) = at {
                            if outer.as_ref().is_none_or(|(d, _, _)| depth < *d) {
                                outer = Some((depth, index, pattern.glob.glob().to_string()));
                            }
                        }
                        continue;
                    }
                    PatternKind::Segment => {
                        segments.iter().rposition(&matches_segment).map(|i| i + 1)
                    }
                    PatternKind::Dotted => names
                        .iter()
                        .filter_map(|name| {
                            let parts: Vec<&str> = name.as_ref().split('.').collect();
                            (1..=parts.len())
                                .rev()
                                .find(|&n| pattern.glob.is_match(parts[..n].join("/")))
                                .map(|n| n + segments.len().saturating_sub(parts.len()))
                        })
                        .max(),
                    PatternKind::Path => (1..=rel_parts.len())
                        .rev()
                        .find(|&n| {
                            let prefix = rel_parts[..n].join("/");
                            pattern.glob.is_match(&prefix)
                                || (n == rel_parts.len() && pattern.glob.is_match(rel))
                        })
                        .map(|n| n.saturating_sub(offset).max(1)),
                };
                if let Some(depth) = depth {
                    if best.as_ref().is_none_or(|(d, _, _)| depth > *d) {
                        best = Some((depth, index, pattern.glob.glob().to_string()));
                        best_side_segment = matches!(pattern.kind, PatternKind::Segment);
                    }
                }
            }
        }
        // Side layers, dotted and path patterns: the deepest match wins
        // (`app/api/schemas.py` is a schema); ties go to the layer listed first.
        // A side layer's name wins over a ranked layer's name inside it as well:
        // inside `schemas/` or `dependencies/` the file names describe the
        // domain, so `server/schemas/repos.py` (request models) is a schema and
        // `dependencies/repositories.py` (a `Depends` provider) is wiring.
        let best = match (best, outer) {
            (Some(b), Some(o)) => Some(
                if (o.0 > b.0 && !best_side_segment) || (o.0 == b.0 && o.1 < b.1) {
                    o
                } else {
                    b
                },
            ),
            (b, o) => b.or(o),
        };
        best.map(|(depth, index, pattern)| (index, Reason::Pattern(pattern), depth, segments.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &str) -> Vec<String> {
        vec![n.to_owned()]
    }

    fn layer_of(s: &LayerSettings, module: &str, rel: &str) -> Option<String> {
        s.classify(&names(module), rel)
            .map(|(i, _)| s.layers[i].name.clone())
    }

    #[test]
    fn deepest_segment_wins() {
        let s = LayerSettings::default();
        assert_eq!(
            layer_of(&s, "app.api.routes.orders", "app/api/routes/orders.py").as_deref(),
            Some("endpoint")
        );
        assert_eq!(
            layer_of(&s, "polar.order.repository", "polar/order/repository.py").as_deref(),
            Some("repository")
        );
        assert_eq!(
            layer_of(&s, "app.api.schemas", "app/api/schemas.py").as_deref(),
            Some("schema")
        );
        assert_eq!(layer_of(&s, "app.core.config", "app/core/config.py"), None);
        assert_eq!(
            layer_of(&s, "app.api.deps", "app/api/deps.py").as_deref(),
            Some("wiring")
        );
        assert_eq!(
            layer_of(&s, "app.controllers.x", "app/controllers/x.py").as_deref(),
            Some("endpoint")
        );
        // A ranked layer's name counts at its outermost place.
        assert_eq!(
            layer_of(&s, "srv.services.repos", "srv/services/repos.py").as_deref(),
            Some("service")
        );
        assert_eq!(
            layer_of(&s, "core.models.repos.base", "core/models/repos/base.py").as_deref(),
            Some("model")
        );
        assert_eq!(
            layer_of(&s, "app.services.schemas", "app/services/schemas.py").as_deref(),
            Some("schema")
        );
        // A ranked layer's name inside a side layer's package names the domain.
        assert_eq!(
            layer_of(&s, "srv.schemas.repos", "srv/schemas/repos.py").as_deref(),
            Some("schema")
        );
        assert_eq!(
            layer_of(
                &s,
                "app.dependencies.repositories",
                "app/dependencies/repositories.py"
            )
            .as_deref(),
            Some("wiring")
        );
        assert_eq!(
            layer_of(&s, "app.deps.services.users", "app/deps/services/users.py").as_deref(),
            Some("wiring")
        );
    }

    #[test]
    fn configured_patterns() {
        let order: Vec<String> = ["endpoint", "controller", "service", "repository", "model"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let s = LayerSettings::build(
            &order,
            &["service".to_owned()],
            &[("repository".to_owned(), vec!["app.db.queries".to_owned()])],
            &[(
                "service".to_owned(),
                vec!["app/usecases".to_owned(), "*_service".to_owned()],
            )],
            false,
            false,
            15,
        )
        .unwrap();
        assert_eq!(
            layer_of(&s, "app.controllers.x", "app/controllers/x.py").as_deref(),
            Some("controller")
        );
        assert_eq!(
            layer_of(&s, "app.db.queries.users", "app/db/queries/users.py").as_deref(),
            Some("repository")
        );
        assert_eq!(layer_of(&s, "app.crud.users", "app/crud/users.py"), None);
        assert_eq!(
            layer_of(&s, "app.usecases.pay", "app/usecases/pay.py").as_deref(),
            Some("service")
        );
        assert_eq!(
            layer_of(&s, "app.core.order_service", "app/core/order_service.py").as_deref(),
            Some("service")
        );
        assert!(
            LayerSettings::build(&order, &["nope".into()], &[], &[], false, false, 15).is_err()
        );
        assert!(LayerSettings::build(
            &["endpoint".into(), "domain".into()],
            &[],
            &[],
            &[],
            false,
            false,
            15
        )
        .is_err());
    }
}
