//! The project-wide view the layer rules share, built once per run: each
//! file's layer, its real route handlers, and the first-party import edges.

use std::collections::HashSet;

use crate::project::arch::{Handler, Spot};
use crate::project::layers::{self, Reason};
use crate::project::{Import, ImportScope, Project, ProjectFinding};
use crate::python::fastapi;

/// Resolution chains (re-exports, aliases of aliases) longer than this are given up on.
pub(super) const MAX_DEPTH: usize = 8;

/// One first-party import of one module by another.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: usize,
    /// The module the statement names.
    pub to: usize,
    /// Where the imported name is defined, through `__init__` re-exports.
    pub defined_in: usize,
    /// `from m import name`: the name, when it is not a module itself.
    pub name: Option<String>,
    /// Index into the importer's `facts.imports`.
    pub import: usize,
}

/// An import from one ranked layer into another (rank 0 is the top).
pub struct RankedEdge<'m> {
    pub edge: &'m Edge,
    pub from_layer: usize,
    pub to_layer: usize,
    pub from_rank: usize,
    pub to_rank: usize,
}

#[derive(Debug, Default)]
pub struct Model {
    /// Per file: index into `settings.layers.layers`, and why.
    pub layers: Vec<Option<(usize, Reason)>>,
    /// Per file: why a module whose name matches a layer pattern is not in that layer.
    pub unclassified_because: Vec<Option<String>>,
    /// Per file: indices into `facts[file].arch.handlers` of real route handlers.
    pub routes: Vec<Vec<usize>>,
    /// Counted imports (scope per configuration), in file order.
    pub edges: Vec<Edge>,
}

/// The model for this run, built by whichever rule asks first.
pub fn get<'p>(project: &'p Project<'_>) -> &'p Model {
    project.arch.get_or_init(|| Model::build(project))
}

pub use super::sessions::{
    is_repository_class, is_session_alias, is_session_provider, is_session_type, session_parameter,
};

impl Model {
    pub fn build(project: &Project<'_>) -> Model {
        let n = project.files.len();
        let mut model = Model {
            layers: Vec::with_capacity(n),
            unclassified_because: vec![None; n],
            routes: Vec::with_capacity(n),
            edges: Vec::new(),
        };
        let domain_packages = domain_packages(project);
        for file in 0..n {
            let routes: Vec<usize> = if project.files[file].is_test || project.is_migration(file) {
                Vec::new()
            } else {
                project.facts[file]
                    .arch
                    .handlers
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| {
                        is_router(project, file, &h.receiver)
                            || h.also.iter().any(|(r, _)| is_router(project, file, r))
                    })
                    .map(|(i, _)| i)
                    .collect()
            };
            let layer = if project.files[file].is_test || project.is_migration(file) {
                None
            } else {
                let (layer, because) = classify(project, file, &routes, &domain_packages);
                model.unclassified_because[file] = because;
                layer
            };
            model.layers.push(layer);
            model.routes.push(routes);
        }
        for from in 0..n {
            if project.files[from].is_test || project.is_migration(from) {
                continue;
            }
            for (index, import) in project.facts[from].imports.iter().enumerate() {
                if !counts(project, from, import) {
                    continue;
                }
                for target in project.modules.resolve_import(from, import) {
                    if target.file == from || project.files[target.file].is_test {
                        continue;
                    }
                    let defined_in = target
                        .name
                        .as_deref()
                        .and_then(|name| follow_reexport(project, target.file, name, 0))
                        .unwrap_or(target.file);
                    model.edges.push(Edge {
                        from,
                        to: target.file,
                        defined_in,
                        name: target.name,
                        import: index,
                    });
                }
            }
        }
        model
    }

    pub fn layer_name<'s>(&self, project: &'s Project<'_>, file: usize) -> Option<&'s str> {
        let (index, _) = self.layers.get(file)?.as_ref()?;
        Some(project.options.layers.layers[*index].name.as_str())
    }

    /// The layer an edge reaches: where the name is defined when that is
    /// classified, else the module named in the statement.
    pub fn target_layer(&self, edge: &Edge) -> Option<usize> {
        self.layers[edge.defined_in]
            .as_ref()
            .or(self.layers[edge.to].as_ref())
            .map(|(i, _)| *i)
    }

    /// Counted imports whose two ends are in ranked layers (side layers and
    /// unclassified modules are never part of a layering violation).
    pub fn ranked_edges<'m>(
        &'m self,
        layers: &'m [crate::project::layers::Layer],
    ) -> impl Iterator<Item = RankedEdge<'m>> + 'm {
        self.edges.iter().filter_map(move |edge| {
            let (from_layer, _) = self.layers[edge.from].as_ref()?;
            let to_layer = self.target_layer(edge)?;
            Some(RankedEdge {
                edge,
                from_layer: *from_layer,
                to_layer,
                from_rank: layers[*from_layer].rank?,
                to_rank: layers[to_layer].rank?,
            })
        })
    }

    pub fn route_handlers<'p>(
        &'p self,
        project: &'p Project<'_>,
    ) -> impl Iterator<Item = (usize, &'p Handler)> + 'p {
        self.routes.iter().enumerate().flat_map(move |(file, hs)| {
            hs.iter()
                .map(move |&h| (file, &project.facts[file].arch.handlers[h]))
        })
    }
}

/// The layer of a non-test module, by name and by content:
/// - a module that registers routes is an endpoint whatever its name
///   (`routes/users/crud.py` holding an `APIRouter` is no repository);
/// - a single-name pattern of the endpoint layer (`api`, `views`, ...) counts
///   only for a module that uses FastAPI or Starlette: `airflow/api/common/
///   mark_tasks.py` or an SDK's `api/` package is not the HTTP layer. Dotted and
///   path patterns are explicit configuration and always count;
/// - a file named by a single-name pattern of the model layer
///   (`utils/models.py`) is a model only if it defines a class or uses an
///   ORM or schema library (SQLAlchemy `Table(...)` definitions);
/// - a package named like a layer whose own files are named like layers
///   (`feedback/service/{models,service,views}.py`) is a domain package: its
///   name classifies none of its modules (`feedback/service/enums.py` is no service).
fn classify(
    project: &Project<'_>,
    file: usize,
    routes: &[usize],
    domain_packages: &HashSet<String>,
) -> (Option<(usize, Reason)>, Option<String>) {
    let settings = &project.options.layers;
    let module = &project.modules.modules[file];
    let facts = &project.facts[file];
    let registers_routes = !routes.is_empty();
    let endpoint = settings.index_of(layers::ENDPOINT);
    let primary = module.names.first().map_or("", |n| n.as_str());
    let mut because = None;
    let by_name = settings
        .classify_at(&module.names, &project.files[file].rel)
        .filter(|(layer, reason, depth, len)| {
            let package: Vec<&str> = primary.split('.').take(*depth).collect();
            let package = package.join(".");
            if (depth < len || module.is_package) && domain_packages.contains(&package) {
                because = Some(format!(
                    "in `{package}`, a domain package whose own modules are named after layers"
                ));
                return false;
            }
            let single_name = matches!(reason, Reason::Pattern(p) if !p.contains(['/', '.']));
            if single_name
                && settings.layers[*layer].name == layers::ENDPOINT
                && !registers_routes
                && !uses_fastapi(facts)
            {
                if let Reason::Pattern(p) = reason {
                    because = Some(format!("matches `{p}` but does not use FastAPI"));
                }
                return false;
            }
            // `utils/models.py` of helper functions (open-webui) is no model:
            // a file named like the model layer must define a class.
            if single_name
                && settings.layers[*layer].name == layers::MODEL
                && depth == len
                && !module.is_package
                && !defines_models(facts)
            {
                if let Reason::Pattern(p) = reason {
                    because = Some(format!(
                        "matches `{p}` but defines no class and uses no ORM or schema library"
                    ));
                }
                return false;
            }
            true
        });
    let layer = match by_name {
        Some((layer, Reason::Pattern(pattern), _, _))
            if registers_routes
                && !matches!(
                    settings.layers[layer].name.as_str(),
                    layers::ENDPOINT | layers::CONTROLLER
                ) =>
        {
            endpoint.map(|i| (i, Reason::RoutesOverName(pattern)))
        }
        Some((layer, reason, _, _)) => Some((layer, reason)),
        None => {
            let creates_router = !facts.arch.routers.is_empty();
            (creates_router && registers_routes)
                .then_some(endpoint)
                .flatten()
                .map(|i| (i, Reason::Routes))
        }
    };
    let because = if layer.is_none() { because } else { None };
    (layer, because)
}

/// Packages (dotted names) named like a layer whose direct modules are named
/// after at least two different ranked layers.
fn domain_packages(project: &Project<'_>) -> HashSet<String> {
    let settings = &project.options.layers;
    let mut children: std::collections::HashMap<&str, HashSet<usize>> =
        std::collections::HashMap::new();
    for (file, module) in project.modules.modules.iter().enumerate() {
        if project.files[file].is_test || module.is_package {
            continue;
        }
        let Some((package, stem)) = module.names.first().and_then(|n| n.rsplit_once('.')) else {
            continue;
        };
        let stem_layer = settings
            .classify_at(&[stem.to_owned()], stem)
            .filter(|(layer, _, _, _)| settings.layers[*layer].rank.is_some());
        if let Some((layer, _, _, _)) = stem_layer {
            children.entry(package).or_default().insert(layer);
        }
    }
    children
        .into_iter()
        .filter(|(package, layers)| {
            let own = package.rsplit('.').next().unwrap_or(package);
            layers.len() >= 2 && settings.classify_at(&[own.to_owned()], own).is_some()
        })
        .map(|(package, _)| package.to_owned())
        .collect()
}

/// Libraries a module of tables or schemas without classes imports.
const MODEL_LIBRARIES: &[&str] = &[
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
    "peewee",
    "tortoise",
    "ormar",
    "beanie",
    "odmantic",
    "mongoengine",
    "piccolo",
    "django",
];

fn defines_models(facts: &crate::project::FileFacts) -> bool {
    facts.arch.classes > 0
        || facts.imports.iter().any(|i| {
            i.level == 0
                && i.module
                    .split('.')
                    .next()
                    .is_some_and(|root| MODEL_LIBRARIES.contains(&root))
        })
}

fn uses_fastapi(facts: &crate::project::FileFacts) -> bool {
    !facts.arch.routers.is_empty()
        || !facts.arch.handlers.is_empty()
        || facts.imports.iter().any(|i| {
            i.level == 0 && matches!(i.module.split('.').next(), Some("fastapi" | "starlette"))
        })
}

/// The route decorator of a route handler: the first whose receiver is a router.
pub fn route_of<'h>(
    project: &Project<'_>,
    file: usize,
    handler: &'h Handler,
) -> (&'h str, &'h str) {
    std::iter::once((handler.receiver.as_str(), handler.method))
        .chain(handler.also.iter().map(|(r, m)| (r.as_str(), *m)))
        .find(|(r, _)| is_router(project, file, r))
        .unwrap_or((handler.receiver.as_str(), handler.method))
}

/// Does this import (made in `file`) count for layers and cycles under the configuration?
pub fn counts(project: &Project<'_>, file: usize, import: &Import) -> bool {
    // `if __name__ == "__main__":` runs only as a script, never on import.
    if project.facts[file]
        .arch
        .main_blocks
        .iter()
        .any(|b| b.start <= import.span.start && import.span.end <= b.end)
    {
        return false;
    }
    match import.scope {
        ImportScope::Module => true,
        ImportScope::Function => project.options.layers.count_function_imports,
        ImportScope::TypeChecking => project.options.layers.count_type_checking_imports,
    }
}

pub fn module_name<'p>(project: &'p Project<'_>, file: usize) -> &'p str {
    let name = project.modules.modules[file].primary();
    if name.is_empty() {
        &project.files[file].rel
    } else {
        name
    }
}

pub fn finding(code: &'static str, file: usize, spot: &Spot, message: String) -> ProjectFinding {
    ProjectFinding {
        code,
        file,
        span: spot.span(),
        start: spot.start,
        end: spot.end,
        message,
    }
}

/// The import statement as a place to report.
pub fn import_spot(project: &Project<'_>, file: usize, import: usize) -> Spot {
    let imp = &project.facts[file].imports[import];
    Spot::new(imp.span.clone(), imp.start, imp.start)
}

/// Is the decorator receiver in `file` a FastAPI router?
pub fn is_router(project: &Project<'_>, file: usize, receiver: &str) -> bool {
    let facts = &project.facts[file];
    if facts.arch.routers.iter().any(|r| r == receiver) {
        return true;
    }
    if let Some((target, name)) = resolve_name(project, file, receiver, 0) {
        return project.facts[target]
            .arch
            .routers
            .iter()
            .any(|r| *r == name);
    }
    fastapi::looks_like_router_name(fastapi::last_segment(receiver))
        && facts
            .imports
            .iter()
            .any(|i| i.level == 0 && i.module.split('.').next() == Some("fastapi"))
}

/// Where a module-level name of `file` comes from, when it is imported from
/// another first-party module: that module's file (through re-exports).
fn follow_reexport(project: &Project<'_>, file: usize, name: &str, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    let facts = &project.facts[file];
    let import = facts.imports.iter().rev().find(|i| {
        i.is_from
            && i.scope != ImportScope::Function
            && i.names
                .iter()
                .any(|n| n.alias.as_deref().unwrap_or(&n.name) == name)
    })?;
    let original = import
        .names
        .iter()
        .find(|n| n.alias.as_deref().unwrap_or(&n.name) == name)?
        .name;
    let resolved = project.modules.resolve_import(file, import);
    let target = resolved.iter().find(|r| match &r.name {
        Some(n) => *n == original,
        None => r.module.rsplit('.').next() == Some(original.as_str()),
    })?;
    if target.file == file {
        return None;
    }
    match &target.name {
        Some(n) => Some(follow_reexport(project, target.file, n, depth + 1).unwrap_or(target.file)),
        None => Some(target.file),
    }
}

/// A dotted name used in `file` (`SessionDep`, `deps.SessionDep`,
/// `app.api.deps.SessionDep`) resolved to the first-party file defining it
/// and its name there; follows `__init__` re-exports.
pub fn resolve_name(
    project: &Project<'_>,
    file: usize,
    dotted: &str,
    depth: usize,
) -> Option<(usize, String)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let imports = &project.facts[file].imports;
    let (head, rest) = match dotted.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (dotted, None),
    };
    // `from m import X` / `from m import module as X`
    if let Some((import, original)) = crate::python::imports::imported_from(head, imports) {
        let resolved = project.modules.resolve_import(file, import);
        let target = resolved.iter().find(|r| match &r.name {
            Some(n) => n == original,
            None => r.module.rsplit('.').next() == Some(original),
        })?;
        return match (&target.name, rest) {
            (Some(n), None) => {
                let n = n.clone();
                let deeper = follow_name(project, target.file, &n, depth + 1);
                Some(deeper.unwrap_or((target.file, n)))
            }
            (None, Some(rest)) if !rest.contains('.') => {
                let deeper = follow_name(project, target.file, rest, depth + 1);
                Some(deeper.unwrap_or((target.file, rest.to_owned())))
            }
            _ => None,
        };
    }
    // `import a.b as m` + `m.X`, `import a.b` + `a.b.X`
    let (module_part, name) = dotted.rsplit_once('.')?;
    let imported = imports.iter().any(|i| {
        !i.is_from
            && i.level == 0
            && match &i.alias {
                Some(alias) => alias == module_part,
                None => i.module == module_part || i.module.starts_with(&format!("{module_part}.")),
            }
    });
    if !imported {
        return None;
    }
    let module = imports
        .iter()
        .find(|i| !i.is_from && i.alias.as_deref() == Some(module_part))
        .map_or(module_part, |i| i.module.as_str());
    let target = project.modules.resolve(module)?;
    let deeper = follow_name(project, target, name, depth + 1);
    Some(deeper.unwrap_or((target, name.to_owned())))
}

/// A name of `file` that is itself imported there from another first-party module.
fn follow_name(
    project: &Project<'_>,
    file: usize,
    name: &str,
    depth: usize,
) -> Option<(usize, String)> {
    if depth > MAX_DEPTH || name.contains('.') {
        return None;
    }
    let facts = &project.facts[file].arch;
    let defined_here = facts.aliases.iter().any(|a| a.name == name)
        || facts.functions.iter().any(|f| f.name == name)
        || facts.routers.iter().any(|r| r == name)
        || facts.http_exception_classes.iter().any(|(c, _)| c == name);
    if defined_here {
        return None;
    }
    resolve_name(project, file, name, depth)
}

/// Names already reported, to report one finding per place.
#[derive(Default)]
pub struct Seen(HashSet<(usize, usize, usize)>);

impl Seen {
    pub fn first(&mut self, a: usize, b: usize, c: usize) -> bool {
        self.0.insert((a, b, c))
    }
}

/// How a message names what an edge imports, with the layer it lands in.
pub fn describe_target(project: &Project<'_>, edge: &Edge, layer: &str) -> String {
    let to = module_name(project, edge.to);
    match &edge.name {
        None => format!("`{to}` ({layer})"),
        Some(name) if edge.defined_in == edge.to => format!("`{name}` from `{to}` ({layer})"),
        Some(name) => format!(
            "`{name}` from `{to}` ({layer}, defined in `{}`)",
            module_name(project, edge.defined_in)
        ),
    }
}
