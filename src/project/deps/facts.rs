//! The shared resolution of a run's dependencies, built once: every checked
//! import that is not simply fine, with what provides it and the evidence,
//! and every runtime declaration no import uses. The DEP rules select and
//! word their findings over it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Arc;

use crate::diagnostic::{LineIndex, Position};
use crate::project::{Import, ImportScope, OtherFiles, Project};

use super::manifest::{Declared, Group, SourceFile};
use super::reach::Reach;
use super::{is_app_code, tables, Model, Resolution, Resolver};

/// One checked import statement and what provides it.
#[derive(Debug, Clone)]
pub struct ImportFact {
    /// Index of the file in the run.
    pub file: usize,
    /// The module as written (`yaml`, `google.cloud.storage`).
    pub module: String,
    /// The import statement.
    pub span: Range<usize>,
    pub start: Position,
    /// Imported only under `if TYPE_CHECKING:`.
    pub type_checking: bool,
    pub resolution: Resolution,
    /// In examples, docs or notebooks, which run with their own
    /// requirements ([`is_sample_code`]).
    pub sample: bool,
    /// Paired with an unused declaration that plausibly provides it under
    /// another name ([`Pairing`]): neither side is a problem.
    pub paired: bool,
    /// For a development-only distribution: the file is a plugin of a tool
    /// that is itself a development dependency ([`plugin_of_dev_host`]).
    pub dev_host_plugin: bool,
}

/// The dependency facts of a run.
#[derive(Debug, Default)]
pub struct Facts {
    /// Manifests, lockfiles and environments.
    pub model: Arc<Model>,
    /// Checked imports whose resolution is not [`Resolution::Fine`], in file
    /// and statement order.
    pub imports: Vec<ImportFact>,
    /// Runtime declarations no import uses, minus the paired ones.
    pub unused: Vec<Declared>,
}

impl Facts {
    /// Read the manifests (or take the profile's model) and resolve every
    /// checked import once; problems reading manifests go to `other`.
    pub fn build(project: &Project<'_>, other: &mut OtherFiles) -> Facts {
        let model = project.profile.deps.clone().unwrap_or_else(|| {
            Arc::new(Model::build(
                project.files,
                &project.options.root,
                project.boundary,
            ))
        });
        report_problems(&model, other);
        let mut facts = Facts {
            model,
            ..Facts::default()
        };
        let model = facts.model.as_ref();
        if model.scopes.is_empty() {
            return facts;
        }
        let mut resolver = Resolver::new(model, project);
        let mut resolved: Vec<(usize, &Import, Resolution)> = Vec::new();
        each_import(project, model, &mut resolver, |i, import, resolution| {
            if resolution != Resolution::Fine {
                resolved.push((i, import, resolution));
            }
        });
        let pairing = pair(project, model, &resolved);
        facts.imports = resolved
            .into_iter()
            .map(|(i, import, resolution)| {
                let top = import.module.split('.').next().unwrap_or(&import.module);
                ImportFact {
                    file: i,
                    module: import.module.to_string(),
                    span: import.span.clone(),
                    start: import.start,
                    type_checking: import.scope == ImportScope::TypeChecking,
                    sample: is_sample_code(&project.files[i].rel),
                    paired: pairing.imports.contains(top),
                    dev_host_plugin: matches!(resolution, Resolution::DevOnly { .. })
                        && plugin_of_dev_host(project, model, i),
                    resolution,
                }
            })
            .collect();
        let mut resolver = Resolver::new(model, project);
        facts.unused = unused_declarations(project, model, &mut resolver, Some(&pairing), false)
            .into_iter()
            .cloned()
            .collect();
        facts
    }

    /// The manifest file `file` (an index of [`Declared::file`] or
    /// [`Resolution::DevOnly::file`]).
    pub fn manifest(&self, file: usize) -> &SourceFile {
        &self.model.sources.files[file]
    }

    /// The file name of manifest `file` (`pyproject.toml`).
    pub fn manifest_name(&self, file: usize) -> String {
        self.manifest(file)
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Problems reading the manifests, as warnings about their files.
fn report_problems(model: &Model, other: &mut OtherFiles) {
    let mut lines: HashMap<usize, LineIndex> = HashMap::new();
    for p in &model.sources.problems {
        let f = &model.sources.files[p.file];
        let pos = lines
            .entry(p.file)
            .or_insert_with(|| LineIndex::new(&f.source))
            .position(p.offset, &f.source);
        other.problem(
            &f.path,
            format!(
                "line {}, column {}: {} (dependency checks may be incomplete)",
                pos.line, pos.column, p.message
            ),
        );
    }
    for (path, why) in &model.sources.refused {
        other.problem(
            path,
            format!("not read: {why} (dependency checks may be incomplete)"),
        );
    }
}

/// The module an import statement needs: for `from ns import sub` inside a
/// namespace package, `ns.sub` (which says which distribution).
fn needed_module(i: &Import) -> String {
    let parts: Vec<&str> = i.module.split('.').collect();
    let depth = tables::namespace_depth(parts[0], parts.get(1).copied());
    if i.is_from && parts.len() < depth {
        if let Some(n) = i.names.iter().find(|n| n.name != "*") {
            return format!("{}.{}", i.module, n.name);
        }
    }
    i.module.to_string()
}

/// Is file `i` a module the project registers as a plugin of a tool that is
/// itself only a development dependency (a mkdocs plugin inside the
/// package)? It runs only inside that tool, where the development
/// dependencies are installed.
pub fn plugin_of_dev_host(project: &Project<'_>, model: &Model, i: usize) -> bool {
    let Some(scope) = model.file_scope.get(i).copied().flatten() else {
        return false;
    };
    let Some(names) = project.modules.modules.get(i) else {
        return false;
    };
    let chain = model.chain(scope);
    let host = chain.iter().find_map(|&s| {
        names
            .names
            .iter()
            .find_map(|n| model.scopes[s].decl.plugins.get(n.as_str()))
    });
    let Some(host) = host else {
        return false;
    };
    let declared: Vec<&Declared> = chain
        .iter()
        .flat_map(|&s| model.scopes[s].decl.declared.iter())
        .filter(|d| &d.name == host)
        .collect();
    !declared.is_empty() && declared.iter().all(|d| d.group.is_dev())
}

/// Directories of code the project does not ship or run with its own
/// dependencies: examples, documentation, notebooks.
const SAMPLE_DIRS: &[&str] = &[
    "examples",
    "example",
    "example_dags",
    "docs",
    "doc",
    "notebooks",
    "playground",
    "sandbox",
    "cookbook",
];

pub fn is_sample_code(rel: &str) -> bool {
    let mut parts: Vec<&str> = rel.split('/').collect();
    parts.pop();
    parts.iter().any(|p| SAMPLE_DIRS.contains(p))
}

/// Every checked import of the run with its resolution: absolute, not
/// guarded, in files under a readable manifest (test files only when
/// configured), `setup.py` only for unknown imports.
fn each_import<'p>(
    project: &'p Project<'_>,
    model: &Model,
    resolver: &mut Resolver<'_>,
    mut f: impl FnMut(usize, &'p Import, Resolution),
) {
    for (i, facts) in project.facts.iter().enumerate() {
        let Some(scope) = model.file_scope.get(i).copied().flatten() else {
            continue;
        };
        let info = &project.files[i];
        if !resolver.has_manifest(scope) || resolver.opaque(scope) {
            continue;
        }
        if info.is_test && !project.options.dependencies.check_test_files {
            continue;
        }
        let app = is_app_code(info);
        // setup.py runs at build time, where the build backend provides setuptools.
        let build_script = matches!(info.file_name(), "setup.py" | "hatch_build.py");
        let mut reported: BTreeSet<usize> = BTreeSet::new();
        for import in facts
            .imports
            .iter()
            .filter(|i| i.level == 0 && !i.module.is_empty())
        {
            if import.guarded || !reported.insert(import.span.start) {
                continue;
            }
            let module = needed_module(import);
            let resolution = resolver.resolve(&module, scope, app, import.scope);
            if build_script && !matches!(resolution, Resolution::Unknown { .. }) {
                continue;
            }
            f(i, import, resolution);
        }
    }
}

/// Imports nothing declared provides and declarations nothing imports,
/// paired where the declaration plausibly provides the import under
/// another name ([`super::names::plausibly_provides`]): neither side is reported.
#[derive(Debug, Default)]
pub struct Pairing {
    /// Top-level import names.
    pub imports: BTreeSet<String>,
    /// Normalised distribution names.
    pub dists: BTreeSet<String>,
}

fn pair(
    project: &Project<'_>,
    model: &Model,
    resolved: &[(usize, &Import, Resolution)],
) -> Pairing {
    let names = |any_group: bool| -> Vec<String> {
        let mut resolver = Resolver::new(model, project);
        unused_declarations(project, model, &mut resolver, None, any_group)
            .into_iter()
            .map(|d| d.name.clone())
            .collect()
    };
    let unused = names(false);
    // An import no table knows may come from any declaration no import
    // uses, extras included (development groups would make it DEP004's).
    let unused_any = names(true);
    let mut pairing = Pairing::default();
    if unused_any.is_empty() {
        return pairing;
    }
    // Top-level names, and whether every import of one is unknown to every
    // table (DEP001's): those may pair on weaker evidence.
    let mut tops: BTreeMap<String, bool> = BTreeMap::new();
    for (_, import, resolution) in resolved {
        if matches!(
            resolution,
            Resolution::Unknown { .. }
                | Resolution::Obscure { .. }
                | Resolution::Undeclared { .. }
                | Resolution::Transitive { .. }
        ) {
            let top = import.module.split('.').next().unwrap_or(&import.module);
            let unknown = matches!(resolution, Resolution::Unknown { .. });
            *tops.entry(top.to_owned()).or_insert(true) &= unknown;
        }
    }
    for (top, unknown) in tops {
        let candidates = if unknown { &unused_any } else { &unused };
        for d in candidates {
            let plausible = if unknown {
                super::names::plausibly_provides_unknown(&top, d)
            } else {
                super::names::plausibly_provides(&top, d)
            };
            if plausible {
                pairing.imports.insert(top.clone());
                pairing.dists.insert(d.clone());
            }
        }
    }
    pairing
}

/// Runtime declarations of the scopes some checked file sees that no
/// import uses (nor a table of packages used without imports, nor another
/// declaration needing them), minus the ones `pairing` pairs with an import.
/// With `any_group`, the extras too (not the development groups).
fn unused_declarations<'m>(
    project: &Project<'_>,
    model: &'m Model,
    resolver: &mut Resolver<'_>,
    pairing: Option<&Pairing>,
    any_group: bool,
) -> Vec<&'m Declared> {
    // Modules imported under each scope (any kind of import counts as a use).
    let mut by_scope: HashMap<usize, BTreeSet<String>> = HashMap::new();
    for (i, facts) in project.facts.iter().enumerate() {
        let Some(scope) = model.file_scope.get(i).copied().flatten() else {
            continue;
        };
        let set = by_scope.entry(scope).or_default();
        for import in facts.imports.iter().chain(&facts.dynamic_imports) {
            if import.level != 0 || import.module.is_empty() {
                continue;
            }
            set.insert(import.module.to_string());
            if import.is_from {
                for n in &import.names {
                    if n.name != "*" {
                        set.insert(format!("{}.{}", import.module, n.name));
                    }
                }
            }
        }
    }
    let settings = &project.options.dependencies;
    let mut used_names: BTreeSet<String> = BTreeSet::new();
    for (scope, modules) in &by_scope {
        for m in modules {
            resolver.add_used(m, *scope, &mut used_names);
        }
    }
    // Scopes some checked file sees.
    let mut seen = vec![false; model.scopes.len()];
    for &u in by_scope.keys() {
        for s in model.chain(u) {
            seen[s] = true;
        }
    }
    // Every dotted prefix of three parts or more (`airflow.providers.standard`
    // of `airflow.providers.standard.operators.bash`).
    let mut namespaced: BTreeSet<String> = BTreeSet::new();
    for m in by_scope.values().flatten() {
        let parts: Vec<&str> = m.split('.').collect();
        for k in 3..=parts.len() {
            namespaced.insert(super::names::normalize(&parts[..k].join(".")));
        }
    }
    let mut out = Vec::new();
    for (s, scope) in model.scopes.iter().enumerate() {
        if !seen[s] {
            continue;
        }
        let decl = &scope.decl;
        let mut pinned: Option<Pinned<'_>> = None;
        for d in &decl.declared {
            let wanted = if any_group {
                !d.group.is_dev()
            } else {
                d.group == Group::Runtime
            };
            if !wanted
                || d.frozen
                || decl.own_names.contains(&d.name)
                || settings.ignore_unused.contains(&d.name)
                || tables::used_without_import(&d.name)
                || used_names.contains(&d.name)
                || pairing.is_some_and(|p| p.dists.contains(&d.name))
            {
                continue;
            }
            // A distribution named after a dotted import inside a shared
            // namespace: `apache-airflow-providers-common-sql` provides
            // `airflow.providers.common.sql`.
            if namespaced
                .iter()
                .any(|m| d.name == *m || d.name.ends_with(&format!("-{m}")))
            {
                continue;
            }
            // Declared to pin or enable something another declaration needs.
            if pinned
                .get_or_insert_with(|| Pinned::new(model, s))
                .by_another(&d.name)
            {
                continue;
            }
            out.push(d);
        }
    }
    out
}

/// What the declarations visible from a scope pull in, each distribution
/// with the first declarations reaching it: through a lockfile of the
/// chain, the table of extras, or the scope's virtualenv.
struct Pinned<'m> {
    reaches: Vec<Reach<'m>>,
}

impl<'m> Pinned<'m> {
    fn new(model: &'m Model, s: usize) -> Pinned<'m> {
        let everything: Vec<&Declared> = model
            .chain(s)
            .into_iter()
            .flat_map(|i| model.scopes[i].decl.declared.iter())
            .collect();
        let mut reaches = Vec::new();
        for i in model.chain(s) {
            let lock = &model.scopes[i].decl.locked;
            if lock.is_empty() {
                continue;
            }
            reaches.push(Reach::new(
                everything
                    .iter()
                    .map(|o| (o.name.as_str(), lock.first_hop(&o.name, &o.extras))),
                |n| lock.deps_of(n),
            ));
        }
        reaches.push(Reach::new(
            everything
                .iter()
                .map(|o| (o.name.as_str(), tables::extra_dists(&o.name, &o.extras))),
            |_| std::iter::empty(),
        ));
        if let Some(env) = model.scopes[s].env.as_deref() {
            let requires = |n: &str| {
                env.requires
                    .get(n)
                    .into_iter()
                    .flat_map(|r| r.iter().map(String::as_str))
            };
            reaches.push(Reach::new(
                everything
                    .iter()
                    .map(|o| (o.name.as_str(), requires(&o.name))),
                requires,
            ));
        }
        Pinned { reaches }
    }

    /// Does a declaration of another distribution pull `name` in?
    fn by_another(&self, name: &str) -> bool {
        self.reaches
            .iter()
            .any(|r| r.first_not_named(name, name).is_some())
    }
}
