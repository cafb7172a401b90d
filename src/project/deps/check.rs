//! The four dependency checks, run together; each rule keeps its own code.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::diagnostic::LineIndex;
use crate::project::{Import, ImportScope, OtherFiles, Project, ProjectFinding};

use super::manifest::{Declared, Group};
use super::reach::Reach;
use super::{is_app_code, tables, Checker, Model, Resolution};

pub const HALLUCINATED: &str = "DEP001";
pub const TRANSITIVE: &str = "DEP002";
pub const UNUSED: &str = "DEP003";
pub const DEV_IN_APP: &str = "DEP004";

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
    i.module.clone()
}

/// "`pydantic` is" or "`yaml` comes from `pyyaml`, which is".
fn subject(shown: &str, dist: &str) -> String {
    let top = shown.split('.').next().unwrap_or(shown);
    if super::names::normalize(top) == dist {
        format!("`{dist}` is")
    } else {
        format!("`{shown}` comes from `{dist}`, which is")
    }
}

fn file_name(model: &Model, file: usize) -> String {
    model.sources.files[file]
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn run(
    project: &Project<'_>,
    code: &'static str,
    out: &mut Vec<ProjectFinding>,
    other: &mut OtherFiles,
) {
    // The first DEP rule to run reads the manifests and reports their problems;
    // the others reuse the model.
    let built = project.deps.get().is_none();
    let model = project.deps.get_or_init(|| {
        project.profile.deps.clone().unwrap_or_else(|| {
            std::sync::Arc::new(Model::build(
                project.files,
                &project.options.root,
                project.boundary,
            ))
        })
    });
    let mut lines: HashMap<usize, LineIndex> = HashMap::new();
    for p in model.sources.problems.iter().filter(|_| built) {
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
    for (path, why) in model.sources.refused.iter().filter(|_| built) {
        other.problem(
            path,
            format!("not read: {why} (dependency checks may be incomplete)"),
        );
    }
    if model.scopes.is_empty() {
        return;
    }
    let mut checker = Checker::new(model, project);
    let pairing = model
        .pairing
        .get_or_init(|| pair(project, model, &mut Checker::new(model, project)));
    if code == UNUSED {
        unused(project, model, &mut checker, pairing, out, other);
        return;
    }
    // DEP002 reports once per distribution: its first import, with the count.
    let mut transitive: BTreeMap<String, Vec<ProjectFinding>> = BTreeMap::new();
    // DEP004 once per file and distribution: the first import, with the count.
    let mut dev_in_app: BTreeMap<(usize, String), Vec<ProjectFinding>> = BTreeMap::new();
    each_import(project, model, &mut checker, |i, import, resolution| {
        let top = import.module.split('.').next().unwrap_or(&import.module);
        if pairing.imports.contains(top) {
            return;
        }
        // Examples, docs and notebooks are run with their own requirements
        // (a training script's `torch`), not the project's.
        if (code == TRANSITIVE || code == DEV_IN_APP) && is_sample_code(&project.files[i].rel) {
            return;
        }
        let shown = &import.module;
        let message = match (&resolution, code) {
            (Resolution::Unknown { suggestion }, HALLUCINATED) => {
                let hint = suggestion
                    .as_ref()
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                format!(
                    "`{shown}` is not provided by any declared, locked or installed distribution, and no known package is named like it{hint}"
                )
            }
            (
                Resolution::NotOnTarget {
                    newer,
                    version,
                    backport,
                    backport_import,
                },
                HALLUCINATED,
            ) => not_on_target(top, project.options.target, *newer, *version, *backport, *backport_import),
            (Resolution::Transitive { dist, via, evidence }, TRANSITIVE) if import.scope != ImportScope::TypeChecking => {
                let what = subject(shown, dist);
                match via {
                    Some(v) if evidence.is_empty() => format!("{what} declared only as a development dependency; production has it only through `{v}`, a runtime dependency named after it: declare it"),
                    Some(v) => format!("{what} not declared: {evidence} installs it only as a dependency of `{v}`"),
                    None => format!("{what} not declared: only {evidence} lists it"),
                }
            }
            (Resolution::Undeclared { dist }, TRANSITIVE) if import.scope != ImportScope::TypeChecking => format!(
                "{} not declared in any manifest: it works only while another package happens to install it",
                subject(shown, dist)
            ),
            (Resolution::Obscure { dist, suggestion }, TRANSITIVE) if import.scope != ImportScope::TypeChecking => {
                let hint = suggestion
                    .as_ref()
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                format!(
                    "{} not declared, and it is not a widely used package: make sure it is the one you mean, then declare it{hint}",
                    subject(shown, dist)
                )
            }
            (Resolution::DevOnly { .. }, DEV_IN_APP) if plugin_of_dev_host(project, model, i) => return,
            (Resolution::DevOnly { dist, group, file }, DEV_IN_APP) => {
                let where_ = file_name(model, *file);
                let group = if group.is_empty() { String::new() } else { format!(" (`{group}`)") };
                format!(
                    "application code imports `{shown}`, but `{dist}` is declared only as a development dependency{group} in {where_}; production installs will not have it"
                )
            }
            _ => return,
        };
        let finding = ProjectFinding {
            code,
            file: i,
            span: import.span.clone(),
            start: import.start,
            end: import.start,
            message,
        };
        match &resolution {
            Resolution::Transitive { dist, .. }
            | Resolution::Undeclared { dist }
            | Resolution::Obscure { dist, .. }
                if code == TRANSITIVE =>
            {
                transitive.entry(dist.clone()).or_default().push(finding);
            }
            Resolution::DevOnly { dist, .. } if code == DEV_IN_APP => {
                dev_in_app
                    .entry((i, super::names::normalize(dist)))
                    .or_default()
                    .push(finding);
            }
            _ => out.push(finding),
        }
    });
    for (_, mut findings) in dev_in_app {
        findings.sort_by_key(|f| f.start);
        let count = findings.len();
        let mut first = findings.swap_remove(0);
        if count > 1 {
            first.message = format!("{} ({count} imports in this file)", first.message);
        }
        out.push(first);
    }
    for (_, mut findings) in transitive {
        findings.sort_by(|a, b| {
            (&project.files[a.file].rel, a.start).cmp(&(&project.files[b.file].rel, b.start))
        });
        let count = findings.len();
        let mut others: Vec<&str> = Vec::new();
        for f in &findings[1..] {
            let rel = project.files[f.file].display.as_str();
            if f.file != findings[0].file && !others.contains(&rel) {
                others.push(rel);
            }
        }
        let mut first = findings.swap_remove(0);
        if count > 1 {
            let shown: Vec<String> = others.iter().take(3).map(|o| format!("`{o}`")).collect();
            let more = others.len().saturating_sub(3);
            let also = match (shown.is_empty(), more) {
                (true, _) => String::new(),
                (false, 0) => format!(", also in {}", shown.join(", ")),
                (false, n) => format!(", also in {} and {n} more file(s)", shown.join(", ")),
            };
            first.message = format!("{} ({count} imports{also})", first.message);
        }
        out.push(first);
    }
}

/// Is file `i` a module the project registers as a plugin of a tool that is
/// itself only a development dependency (a mkdocs plugin inside the
/// package)? It runs only inside that tool, where the development
/// dependencies are installed.
fn plugin_of_dev_host(project: &Project<'_>, model: &Model, i: usize) -> bool {
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
            .find_map(|n| model.scopes[s].decl.plugins.get(n))
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

fn is_sample_code(rel: &str) -> bool {
    let mut parts: Vec<&str> = rel.split('/').collect();
    parts.pop();
    parts.iter().any(|p| SAMPLE_DIRS.contains(p))
}

/// The message of an import the target's standard library lacks.
fn not_on_target(
    top: &str,
    target: crate::version::PythonVersion,
    newer: bool,
    version: crate::version::PythonVersion,
    backport: Option<&str>,
    backport_import: Option<&str>,
) -> String {
    if newer {
        let fallback = match (backport, backport_import) {
            (Some(b), Some(i)) => format!(", falling back to the backport `{b}` (`import {i}`)"),
            (Some(b), None) => format!(", or declare the backport `{b}`"),
            _ => String::new(),
        };
        format!(
            "`{top}` is in the standard library only from Python {version}, and the target is {target}: guard the import with `if sys.version_info >= ({}, {})`{fallback}",
            version.major, version.minor
        )
    } else {
        let instead = match (backport, backport_import) {
            (Some(b), None) => format!("declare `{b}`, which provides it"),
            (Some(b), Some(i)) => format!("use `{b}` (`import {i}`) instead"),
            _ => "no backport provides it: port the code".to_owned(),
        };
        format!(
            "`{top}` was removed from the standard library in Python {version}, and the target is {target}: {instead}"
        )
    }
}

/// Every checked import of the run with its resolution: absolute, not
/// guarded, in files under a readable manifest (test files only when
/// configured), `setup.py` only for unknown imports.
fn each_import<'p>(
    project: &'p Project<'_>,
    model: &Model,
    checker: &mut Checker<'_>,
    mut f: impl FnMut(usize, &'p Import, Resolution),
) {
    for (i, facts) in project.facts.iter().enumerate() {
        let Some(scope) = model.file_scope.get(i).copied().flatten() else {
            continue;
        };
        let info = &project.files[i];
        if !checker.has_manifest(scope) || checker.opaque(scope) {
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
            let resolution = checker.resolve(&module, scope, app, import.scope);
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

fn pair(project: &Project<'_>, model: &Model, checker: &mut Checker<'_>) -> Pairing {
    let unused: Vec<String> = unused_declarations(project, model, checker, None)
        .into_iter()
        .map(|d| d.name.clone())
        .collect();
    let mut pairing = Pairing::default();
    if unused.is_empty() {
        return pairing;
    }
    let mut tops: BTreeSet<String> = BTreeSet::new();
    each_import(project, model, checker, |_, import, resolution| {
        if matches!(
            resolution,
            Resolution::Unknown { .. }
                | Resolution::Obscure { .. }
                | Resolution::Undeclared { .. }
                | Resolution::Transitive { .. }
        ) {
            let top = import.module.split('.').next().unwrap_or(&import.module);
            tops.insert(top.to_owned());
        }
    });
    for top in tops {
        for d in &unused {
            if super::names::plausibly_provides(&top, d) {
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
fn unused_declarations<'m>(
    project: &Project<'_>,
    model: &'m Model,
    checker: &mut Checker<'_>,
    pairing: Option<&Pairing>,
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
            set.insert(import.module.clone());
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
            checker.add_used(m, *scope, &mut used_names);
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
            if d.group != Group::Runtime
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

fn unused(
    project: &Project<'_>,
    model: &Model,
    checker: &mut Checker<'_>,
    pairing: &Pairing,
    out: &mut Vec<ProjectFinding>,
    other: &mut OtherFiles,
) {
    let mut lines: HashMap<usize, LineIndex> = HashMap::new();
    for d in unused_declarations(project, model, checker, Some(pairing)) {
        let f = &model.sources.files[d.file];
        let index = other.add(&f.path, &f.source);
        let lines = lines
            .entry(d.file)
            .or_insert_with(|| LineIndex::new(&f.source));
        let where_ = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push(ProjectFinding {
            code: UNUSED,
            file: index,
            span: d.span.clone(),
            start: lines.position(d.span.start, &f.source),
            end: lines.position(d.span.end, &f.source),
            message: format!(
                "`{}` is declared as a dependency in {where_}, but no module imports it",
                d.written
            ),
        });
    }
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
