//! Dependency checks (DEP001-DEP004), offline: manifests say what is
//! declared, lockfiles and a local virtualenv say what is installed, built-in
//! tables say which distribution provides an import and which packages exist.
//!
//! The project is split into scopes: every directory (at or below the project
//! root, above a checked file) holding a manifest. A file sees the
//! declarations of its nearest scope and of every scope above it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::project::{Import, ImportScope, Project};

pub mod check;
pub mod lockfiles;
pub mod manifest;
pub mod names;
pub mod options;
pub mod pipfile;
pub mod pyproject;
pub mod requirement;
pub mod requirements;
pub mod setup_cfg;
pub mod setup_py;
pub mod tables;
pub mod venv;

use manifest::{Declarations, Declared, Group, LockGraph, Sources};
use names::normalize;

/// One directory with manifests.
#[derive(Debug)]
pub struct Scope {
    pub dir: PathBuf,
    pub decl: Declarations,
    pub env: Option<std::sync::Arc<venv::Environment>>,
    pub parent: Option<usize>,
}

/// Everything known about the project's dependencies.
#[derive(Debug, Default)]
pub struct Model {
    pub sources: Sources,
    pub scopes: Vec<Scope>,
    /// Per file of the run: its nearest scope.
    pub file_scope: Vec<Option<usize>>,
    /// Directory names and module stems anywhere in the project: a last
    /// resort before calling an import unknown (scripts that put their own
    /// directory on `sys.path`, apps run from a subdirectory).
    pub loose: HashSet<String>,
}

/// Is this directory entry a requirements file?
fn is_requirements_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.ends_with(".txt") || lower.ends_with(".in"))
        && (lower.starts_with("requirements")
            || lower.contains("-requirements")
            || lower.contains("_requirements")
            || lower.starts_with("requirement"))
}

fn requirements_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut add_from = |d: &Path, any: bool| {
        if let Ok(entries) = std::fs::read_dir(d) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let lower = name.to_ascii_lowercase();
                let is_req = if any {
                    lower.ends_with(".txt") || lower.ends_with(".in")
                } else {
                    is_requirements_name(&name)
                };
                if is_req && e.path().is_file() {
                    out.push(e.path());
                }
            }
        }
    };
    add_from(dir, false);
    add_from(&dir.join("requirements"), true);
    out.sort();
    out
}

const MANIFEST_NAMES: &[&str] = &["pyproject.toml", "setup.cfg", "setup.py", "Pipfile"];

fn has_manifest(dir: &Path) -> bool {
    MANIFEST_NAMES.iter().any(|n| dir.join(n).is_file())
        || lockfiles::LOCKFILES.iter().any(|n| dir.join(n).is_file())
        || !requirements_files(dir).is_empty()
}

impl Model {
    pub fn build(project: &Project<'_>) -> Model {
        let root = &project.options.root;
        let mut model = Model {
            sources: Sources::confined(project.boundary),
            ..Model::default()
        };
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
        let mut checked: HashMap<PathBuf, bool> = HashMap::new();
        for f in project.files {
            let mut dir = f.path.parent();
            while let Some(d) = dir {
                if !d.starts_with(root) {
                    break;
                }
                let is_scope = *checked
                    .entry(d.to_path_buf())
                    .or_insert_with(|| has_manifest(d));
                if is_scope {
                    dirs.insert(d.to_path_buf());
                }
                if d == root.as_path() {
                    break;
                }
                dir = d.parent();
            }
            for part in f.rel.split('/') {
                let stem = part
                    .strip_suffix(".py")
                    .or_else(|| part.strip_suffix(".pyi"))
                    .unwrap_or(part);
                model.loose.insert(stem.to_owned());
            }
        }
        // Parents first, so each scope can find its parent.
        let mut dirs: Vec<PathBuf> = dirs.into_iter().collect();
        dirs.sort_by_key(|d| d.components().count());
        for dir in dirs {
            let decl = read_scope(&mut model.sources, &dir);
            let env = venv::read(&venv::candidates(&[dir.as_path(), root.as_path()]));
            let parent = model
                .scopes
                .iter()
                .enumerate()
                .filter(|(_, s)| dir.starts_with(&s.dir))
                .max_by_key(|(_, s)| s.dir.components().count())
                .map(|(i, _)| i);
            model.scopes.push(Scope {
                dir,
                decl,
                env,
                parent,
            });
        }
        model.file_scope = project
            .files
            .iter()
            .map(|f| {
                model
                    .scopes
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| f.path.starts_with(&s.dir))
                    .max_by_key(|(_, s)| s.dir.components().count())
                    .map(|(i, _)| i)
            })
            .collect();
        model
    }

    /// A scope and the scopes above it, nearest first.
    pub fn chain(&self, scope: usize) -> Vec<usize> {
        let mut out = vec![scope];
        let mut cur = self.scopes[scope].parent;
        while let Some(p) = cur {
            out.push(p);
            cur = self.scopes[p].parent;
        }
        out
    }
}

fn read_scope(sources: &mut Sources, dir: &Path) -> Declarations {
    let mut decl = Declarations::default();
    pyproject::read(sources, &dir.join("pyproject.toml"), &mut decl);
    setup_cfg::read(sources, &dir.join("setup.cfg"), &mut decl);
    pipfile::read(sources, &dir.join("Pipfile"), &mut decl);
    for f in requirements_files(dir) {
        match requirements::read(sources, &f, None, &mut decl, 0) {
            Ok(_) | Err(crate::files::ReadError::Missing) => {}
            Err(why) => sources.refuse(&f, &why),
        }
    }
    if dir.join("setup.py").is_file()
        && !decl.has_manifest
        && !setup_py::read(sources, &dir.join("setup.py"), &mut decl)
    {
        decl.opaque = true;
    }
    for name in lockfiles::LOCKFILES {
        if let Some(graph) = lockfiles::read(sources, &dir.join(name)) {
            decl.locked.merge(graph);
        }
    }
    decl
}

/// What an import resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Standard library, first-party or declared for this kind of code.
    Fine,
    /// Declared only as a development dependency.
    DevOnly {
        dist: String,
        group: String,
        file: usize,
    },
    /// Installed (locked or in the environment) but not declared.
    Transitive {
        dist: String,
        via: Option<String>,
        evidence: String,
    },
    /// A real, well-known distribution that nothing declares, locks or installs.
    Undeclared { dist: String },
    /// A distribution of that name exists on PyPI but is little used, and
    /// nothing declares, locks or installs it: a transitive dependency seen
    /// without a lockfile, or a squatted name.
    Obscure {
        dist: String,
        suggestion: Option<String>,
    },
    /// Nothing known provides it.
    Unknown { suggestion: Option<String> },
}

/// Import-side facts about one module, computed once per distinct module.
struct Candidates {
    /// Distributions that may provide the module: table, identity, conventions, config.
    dists: Vec<String>,
    /// A well-known distribution (table, 15,000 most downloaded) providing it.
    known: Option<String>,
    /// A distribution of that name exists on PyPI, but is not well known.
    exists: Option<String>,
}

pub struct Checker<'m> {
    pub model: &'m Model,
    pub settings: &'m options::DependencySettings,
    first_party: &'m crate::project::modules::ModuleMap,
    cache: HashMap<String, Candidates>,
}

impl<'m> Checker<'m> {
    pub fn new(model: &'m Model, project: &'m Project<'m>) -> Checker<'m> {
        Checker {
            model,
            settings: &project.options.dependencies,
            first_party: project.modules,
            cache: HashMap::new(),
        }
    }

    fn candidates(&mut self, module: &str) -> &Candidates {
        if !self.cache.contains_key(module) {
            let c = self.compute_candidates(module);
            self.cache.insert(module.to_owned(), c);
        }
        &self.cache[module]
    }

    fn compute_candidates(&self, module: &str) -> Candidates {
        // Versioned API modules (`compute_v1`, `aiplatform_v1beta1`) belong to
        // the distribution named without the version.
        let unversioned: Vec<&str> = module.split('.').map(strip_api_version).collect();
        let parts: Vec<&str> = unversioned;
        let top = parts[0];
        let depth = tables::namespace_depth(top, parts.get(1).copied());
        let mut dists: Vec<String> = Vec::new();
        let mut known = None;
        let mut exists = None;
        for (import, mapped) in &self.settings.extra_mappings {
            if module == import || module.starts_with(&format!("{import}.")) {
                dists.extend(mapped.iter().cloned());
                known = mapped.first().cloned();
            }
        }
        for d in tables::table_dists(module) {
            dists.push(d.clone());
            known.get_or_insert_with(|| d.clone());
        }
        // Identity: `a.b.c` may come from `a-b-c`, `a-b` or `a`, never shallower
        // than a namespace package allows.
        for k in (1..=parts.len()).rev() {
            let n = normalize(&parts[..k].join("."));
            if k >= depth && tables::top_rank(&n).is_some() {
                known.get_or_insert_with(|| n.clone());
            }
            if k >= depth && exists.is_none() && tables::on_pypi(&n) {
                exists = Some(n.clone());
            }
            dists.push(n);
        }
        let conventional = names::conventional_dists(top);
        for c in conventional.iter().take(5) {
            if depth == 1 && tables::top_rank(c).is_some() {
                known.get_or_insert_with(|| c.clone());
            }
            if depth == 1 && exists.is_none() && tables::on_pypi(c) {
                exists = Some(c.clone());
            }
        }
        dists.extend(conventional);
        dists.dedup();
        Candidates {
            dists,
            known,
            exists,
        }
    }

    /// Is `top` part of the project itself?
    pub fn is_first_party(&self, top: &str, scope: Option<usize>) -> bool {
        if self.first_party.is_first_party(top)
            || self.settings.known_first_party.iter().any(|k| k == top)
        {
            return true;
        }
        let n = normalize(top);
        scope.is_some_and(|s| {
            self.model.chain(s).into_iter().any(|i| {
                let d = &self.model.scopes[i].decl;
                d.own_packages.contains(top) || d.own_names.contains(&n)
            })
        })
    }

    /// Declarations visible from a scope.
    fn declared(&self, scope: usize) -> impl Iterator<Item = &'m Declared> + '_ {
        self.model
            .chain(scope)
            .into_iter()
            .flat_map(move |i| self.model.scopes[i].decl.declared.iter())
    }

    fn locked(&self, scope: usize) -> Vec<&'m LockGraph> {
        self.model
            .chain(scope)
            .into_iter()
            .map(|i| &self.model.scopes[i].decl.locked)
            .filter(|l| !l.is_empty())
            .collect()
    }

    fn env(&self, scope: usize) -> Option<&'m venv::Environment> {
        self.model
            .chain(scope)
            .into_iter()
            .find_map(|i| self.model.scopes[i].env.as_deref())
    }

    pub fn opaque(&self, scope: usize) -> bool {
        self.model
            .chain(scope)
            .into_iter()
            .any(|i| self.model.scopes[i].decl.opaque)
    }

    pub fn has_manifest(&self, scope: usize) -> bool {
        self.model
            .chain(scope)
            .into_iter()
            .any(|i| self.model.scopes[i].decl.has_manifest)
    }

    /// Distributions that may provide `module` in this scope (the
    /// environment's RECORD files first, then the tables and conventions).
    pub fn providers(&mut self, module: &str, scope: usize) -> Vec<String> {
        let mut out: Vec<String> = self
            .env(scope)
            .map(|e| e.providers(module).into_iter().collect())
            .unwrap_or_default();
        out.extend(self.candidates(module).dists.iter().cloned());
        out
    }

    /// Does declaration `d` provide one of `providers`, itself or through its extras?
    fn provides(
        &self,
        d: &Declared,
        providers: &[String],
        scope: usize,
        type_checking: bool,
    ) -> bool {
        let usable = |p: &String| type_checking || !tables::is_stub_dist(p);
        if providers.iter().any(|p| *p == d.name && usable(p)) {
            return true;
        }
        if d.extras.is_empty() {
            return false;
        }
        let mut via_extras: BTreeSet<String> = d.extras.iter().cloned().collect();
        via_extras.extend(
            tables::extra_dists(&d.name, &d.extras)
                .into_iter()
                .map(str::to_owned),
        );
        for lock in self.locked(scope) {
            via_extras.extend(lock.extra_deps(&d.name, &d.extras));
        }
        providers.iter().any(|p| via_extras.contains(p))
    }

    /// Resolve an absolute import made by a file in `scope`.
    pub fn resolve(
        &mut self,
        module: &str,
        scope: usize,
        app_code: bool,
        how: ImportScope,
    ) -> Resolution {
        let top = module.split('.').next().unwrap_or(module);
        if tables::is_stdlib(top)
            || tables::is_type_only(top)
            || self.is_first_party(top, Some(scope))
        {
            return Resolution::Fine;
        }
        if top.ends_with("_pb2") || top.ends_with("_pb2_grpc") {
            // Generated from .proto files, often at build time and gitignored.
            return Resolution::Fine;
        }
        let type_checking = how == ImportScope::TypeChecking;
        let providers = self.providers(module, scope);
        let mut dev_match: Option<&Declared> = None;
        let own = self.own_names(scope);
        let declared: Vec<&Declared> = self
            .declared(scope)
            .filter(|d| !own.contains(&d.name))
            .collect();
        let mut matched = false;
        for d in &declared {
            if self.provides(d, &providers, scope, type_checking) {
                matched = true;
                if !d.group.is_dev() || !app_code || type_checking {
                    return Resolution::Fine;
                }
                dev_match.get_or_insert(d);
            }
        }
        // Naming conventions are a last resort, for imports nothing else knows.
        let env_knows = self
            .env(scope)
            .is_some_and(|e| !e.providers(module).is_empty());
        if !matched && !env_knows && self.candidates(module).known.is_none() {
            for d in &declared {
                if fuzzy_match(module, &d.name) {
                    if !d.group.is_dev() || !app_code || type_checking {
                        return Resolution::Fine;
                    }
                    dev_match.get_or_insert(d);
                }
            }
        }
        if self.model.loose.contains(top) {
            return Resolution::Fine;
        }
        // Installed: locked somewhere in the chain, or in the environment.
        let runtime: Vec<&Declared> = self.declared(scope).filter(|d| !d.group.is_dev()).collect();
        for lock in self.locked(scope) {
            if let Some(p) = providers
                .iter()
                .find(|p| lock.contains(p) && !tables::is_stub_dist(p))
            {
                let via_runtime = runtime
                    .iter()
                    .find(|d| lock.closure(&d.name, &d.extras).contains(p))
                    .map(|d| d.written.clone());
                if let Some(d) = dev_match {
                    if via_runtime.is_none() {
                        return dev_only(d);
                    }
                }
                // Tests may reach it through a dev dependency.
                let via = via_runtime.or_else(|| {
                    self.declared(scope)
                        .find(|d| lock.closure(&d.name, &d.extras).contains(p))
                        .map(|d| d.written.clone())
                });
                return Resolution::Transitive {
                    dist: p.clone(),
                    via,
                    evidence: lock.sources.first().cloned().unwrap_or_default(),
                };
            }
        }
        if let Some(env) = self.env(scope) {
            if let Some(p) = providers.iter().find(|p| env.dists.contains(*p)) {
                let via_runtime = runtime
                    .iter()
                    .find(|d| env.requires_closure(&d.name).contains(p))
                    .map(|d| d.written.clone());
                if let Some(d) = dev_match {
                    if via_runtime.is_none() {
                        return dev_only(d);
                    }
                }
                let via = via_runtime.or_else(|| {
                    self.declared(scope)
                        .find(|d| env.requires_closure(&d.name).contains(p))
                        .map(|d| d.written.clone())
                });
                let evidence = env
                    .root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "the virtualenv".to_owned());
                return Resolution::Transitive {
                    dist: p.clone(),
                    via,
                    evidence,
                };
            }
        }
        if let Some(d) = dev_match {
            return dev_only(d);
        }
        if let Some(known) = self.candidates(module).known.clone() {
            return Resolution::Undeclared { dist: known };
        }
        if let Some(dist) = self.candidates(module).exists.clone() {
            return Resolution::Obscure {
                dist,
                suggestion: self.suggest(top, scope),
            };
        }
        Resolution::Unknown {
            suggestion: self.suggest(top, scope),
        }
    }

    /// The closest declared or well-known import name to a mistyped `top`.
    fn suggest(&self, top: &str, scope: usize) -> Option<String> {
        let wanted = top.to_ascii_lowercase().replace('-', "_");
        let limit = match wanted.chars().count() {
            0..=3 => return None,
            4..=6 => 1,
            _ => 2,
        };
        let mut best: Option<(usize, usize, String)> = None;
        let mut consider = |name: String, tier: usize| {
            let lower = name.to_ascii_lowercase();
            if lower == wanted {
                return;
            }
            let d = names::edit_distance(&wanted, &lower);
            if d <= limit && best.as_ref().is_none_or(|b| (d, tier) < (b.0, b.1)) {
                best = Some((d, tier, name));
            }
        };
        for d in self.declared(scope) {
            let imports = tables::table_imports(&d.name);
            if imports.is_empty() {
                consider(d.name.replace('-', "_"), 0);
            }
            for i in imports {
                consider(i.split('.').next().unwrap_or(i).to_owned(), 0);
            }
        }
        for i in tables::table_import_names() {
            consider(i.split('.').next().unwrap_or(i).to_owned(), 1);
        }
        for (rank, d) in tables::top_dists().take(5000).enumerate() {
            consider(d.replace('-', "_"), 2 + rank);
        }
        best.map(|b| b.2)
    }

    /// Declared distributions (normalised) an import of `module` uses: the
    /// ones providing it, else the ones named like it.
    pub fn used_by(&mut self, module: &str, scope: usize) -> BTreeSet<String> {
        let providers = self.providers(module, scope);
        let declared: Vec<&Declared> = self.declared(scope).collect();
        let exact: BTreeSet<String> = declared
            .iter()
            .filter(|d| providers.contains(&d.name))
            .map(|d| d.name.clone())
            .collect();
        if !exact.is_empty() {
            return exact;
        }
        declared
            .iter()
            .filter(|d| fuzzy_match(module, &d.name))
            .map(|d| d.name.clone())
            .collect()
    }

    fn own_names(&self, scope: usize) -> BTreeSet<String> {
        self.model
            .chain(scope)
            .into_iter()
            .flat_map(|i| self.model.scopes[i].decl.own_names.iter().cloned())
            .collect()
    }
}

/// `compute_v1` -> `compute`, `aiplatform_v1beta1` -> `aiplatform`.
fn strip_api_version(part: &str) -> &str {
    if let Some(at) = part.rfind("_v") {
        let tail = &part[at + 2..];
        let versioned = tail.starts_with(|c: char| c.is_ascii_digit())
            && tail.chars().all(|c| c.is_ascii_alphanumeric());
        if versioned && at > 0 {
            return &part[..at];
        }
    }
    part
}

/// A declared distribution named after the import plus a word
/// (`amplitude-analytics` for `amplitude`, `openai-whisper` for `whisper`):
/// weaker than the tables, used only when nothing else matches.
fn fuzzy_match(module: &str, dist: &str) -> bool {
    let mut parts = module.split('.');
    let top = parts.next().unwrap_or(module);
    if tables::namespace_depth(top, parts.next()) > 1 {
        return false;
    }
    let n = normalize(top);
    n.len() >= 3 && (dist.starts_with(&format!("{n}-")) || dist.ends_with(&format!("-{n}")))
}

fn dev_only(d: &Declared) -> Resolution {
    Resolution::DevOnly {
        dist: d.written.clone(),
        group: match &d.group {
            Group::Dev(g) => g.clone(),
            _ => String::new(),
        },
        file: d.file,
    }
}

/// Directories whose code is tooling, not the application.
const TOOL_DIRS: &[&str] = &[
    "tests",
    "test",
    "testing",
    "scripts",
    "script",
    "tools",
    "tool",
    "docs",
    "doc",
    "examples",
    "example",
    "benchmarks",
    "benchmark",
    "bench",
    "dev",
    "ci",
    ".github",
    "notebooks",
    "playground",
    "sandbox",
];
const TOOL_FILES: &[&str] = &[
    "versioneer.py",
    "noxfile.py",
    "tasks.py",
    "fabfile.py",
    "setup.py",
    "conftest.py",
    "dodo.py",
    "manage_dev.py",
];

/// Application code: what runs in production (not tests, scripts, docs, build files).
pub fn is_app_code(info: &crate::files::FileInfo) -> bool {
    if info.is_test {
        return false;
    }
    let mut parts: Vec<&str> = info.rel.split('/').collect();
    let name = parts.pop().unwrap_or("");
    !(TOOL_FILES.contains(&name) || parts.iter().any(|p| TOOL_DIRS.contains(p)))
}

/// The imports a check looks at in one file: absolute, static ones.
pub fn checked_imports(imports: &[Import]) -> impl Iterator<Item = &Import> {
    imports
        .iter()
        .filter(|i| i.level == 0 && !i.module.is_empty())
}

/// `__future__` and friends need no distribution.
pub fn module_of(i: &Import) -> &str {
    &i.module
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_and_conventions() {
        assert_eq!(strip_api_version("compute_v1"), "compute");
        assert_eq!(strip_api_version("aiplatform_v1beta1"), "aiplatform");
        assert_eq!(strip_api_version("my_view"), "my_view");
        assert_eq!(strip_api_version("_v1"), "_v1");
        assert!(fuzzy_match("amplitude", "amplitude-analytics"));
        assert!(fuzzy_match("whisper.audio", "openai-whisper"));
        assert!(!fuzzy_match("google.cloud.x", "google-cloud-x-client"));
        assert!(!fuzzy_match("db", "db-tools"));
    }

    #[test]
    fn app_code() {
        let info = |rel: &str| crate::files::FileInfo {
            path: PathBuf::from(rel),
            display: rel.to_owned(),
            rel: rel.to_owned(),
            is_test: crate::project::testcode::is_test_path(rel),
        };
        assert!(is_app_code(&info("src/app/main.py")));
        assert!(!is_app_code(&info("tests/test_main.py")));
        assert!(!is_app_code(&info("scripts/seed.py")));
        assert!(!is_app_code(&info("noxfile.py")));
    }
}
