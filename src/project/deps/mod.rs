//! Dependency checks (DEP001-DEP004), offline: manifests say what is
//! declared, lockfiles and a local virtualenv say what is installed, built-in
//! tables say which distribution provides an import and which packages exist.
//!
//! The project is split into scopes: every directory (at or below the project
//! root, above a checked file) holding a manifest. A file sees the
//! declarations of its nearest scope and of every scope above it.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{LazyLock, Mutex};

use crate::project::{Import, ImportScope, Project};

pub mod check;
pub mod lockfiles;
pub mod manifest;
pub mod names;
pub mod options;
pub mod pipfile;
pub mod pyproject;
pub mod reach;
pub mod requirement;
pub mod requirements;
pub mod setup_cfg;
pub mod setup_py;
pub mod stdlib;
pub mod tables;
pub mod venv;
pub mod versions;

use manifest::{Declarations, Declared, Group, LockGraph, Sources};
use names::normalize;
use reach::Reach;

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
    /// Resolutions by (module, scope, application code, type checking),
    /// shared by the DEP rules: each import is resolved once per run.
    resolved: Mutex<HashMap<(String, usize, bool, bool), Resolution>>,
    /// Unmatched imports and declarations that pair up, computed once.
    pub pairing: std::sync::OnceLock<check::Pairing>,
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

/// Something is at `path` that is not a directory: a file, or a link,
/// pipe or device that [`Sources`] then refuses with a reason (one line in
/// the output) instead of skipping it in silence.
fn present(path: &Path) -> bool {
    path.symlink_metadata().is_ok() && !path.is_dir()
}

/// The requirements files of a scope directory and of its `requirements/`
/// directory, which is not listed when it leads out of the boundary (a link
/// to `/etc` must not put the names of its files in the output).
fn requirements_files(dir: &Path, boundary: Option<&crate::files::Boundary>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut add_from = |d: &Path, any: bool| {
        if boundary.is_some_and(|b| !b.contains(d)) {
            return;
        }
        if let Ok(entries) = std::fs::read_dir(d) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let lower = name.to_ascii_lowercase();
                let is_req = if any {
                    lower.ends_with(".txt") || lower.ends_with(".in")
                } else {
                    is_requirements_name(&name)
                };
                if is_req && present(&e.path()) {
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

fn has_manifest(dir: &Path, boundary: &crate::files::Boundary) -> bool {
    MANIFEST_NAMES.iter().any(|n| present(&dir.join(n)))
        || lockfiles::LOCKFILES.iter().any(|n| present(&dir.join(n)))
        || !requirements_files(dir, Some(boundary)).is_empty()
}

impl Model {
    /// Read the manifests of every directory above a checked file, from
    /// the file up to the project root and on up to the repository root
    /// (the boundary): a `backend/` run sees the root `uv.lock`.
    pub fn build(
        files: &[crate::files::FileInfo],
        root: &Path,
        boundary: &crate::files::Boundary,
    ) -> Model {
        let mut model = Model {
            sources: Sources::confined(boundary),
            ..Model::default()
        };
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
        let mut checked: HashMap<PathBuf, bool> = HashMap::new();
        // Directories above the root: inside the boundary or not, asked once.
        let mut above: HashMap<PathBuf, bool> = HashMap::new();
        for f in files {
            let mut dir = f.path.parent();
            while let Some(d) = dir {
                if !d.starts_with(root)
                    && !*above
                        .entry(d.to_path_buf())
                        .or_insert_with(|| boundary.contains(d))
                {
                    break;
                }
                let is_scope = *checked
                    .entry(d.to_path_buf())
                    .or_insert_with(|| has_manifest(d, boundary));
                if is_scope {
                    dirs.insert(d.to_path_buf());
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
        // Scope directory -> index: a file's scope is its deepest ancestor
        // directory in the map, found by walking up, not by scanning scopes.
        let mut index: HashMap<PathBuf, usize> = HashMap::new();
        let nearest = |index: &HashMap<PathBuf, usize>, path: &Path| {
            path.ancestors().find_map(|a| index.get(a).copied())
        };
        for dir in dirs {
            let decl = read_scope(&mut model.sources, &dir);
            let env = venv::read(&venv::candidates(&[dir.as_path(), root]), boundary);
            let parent = dir.parent().and_then(|p| nearest(&index, p));
            index.insert(dir.clone(), model.scopes.len());
            model.scopes.push(Scope {
                dir,
                decl,
                env,
                parent,
            });
        }
        model.file_scope = files.iter().map(|f| nearest(&index, &f.path)).collect();
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
    let boundary = sources.boundary.clone();
    for f in requirements_files(dir, boundary.as_ref()) {
        match requirements::read(sources, &f, None, &mut decl, 0) {
            Ok(_) | Err(crate::files::ReadError::Missing) => {}
            Err(why) => sources.refuse(&f, &why),
        }
    }
    if present(&dir.join("setup.py"))
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
    /// A standard-library module of other Python versions than the target:
    /// added later (`tomllib` on 3.10) or removed (`distutils` on 3.12).
    NotOnTarget {
        newer: bool,
        /// The version that added or removed it.
        version: crate::version::PythonVersion,
        backport: Option<&'static str>,
        backport_import: Option<&'static str>,
    },
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

/// Which declarations (by position in [`View::declared`]) match something:
/// the first one, and whether any is not a development dependency.
#[derive(Debug, Clone, Copy, Default)]
struct Hits {
    first: Option<u32>,
    not_dev: bool,
}

impl Hits {
    fn add(&mut self, position: u32, d: &Declared) {
        self.first = Some(self.first.map_or(position, |f| f.min(position)));
        self.not_dev |= !d.group.is_dev();
    }

    fn merge(&mut self, other: Option<&Hits>) {
        if let Some(o) = other {
            if let Some(f) = o.first {
                self.first = Some(self.first.map_or(f, |s| s.min(f)));
            }
            self.not_dev |= o.not_dev;
        }
    }
}

/// Declarations named after an import plus a word (`amplitude-analytics`
/// for `amplitude`, `openai-whisper` for `whisper`): weaker than the
/// tables, used only when nothing else matches.
#[derive(Debug, Default)]
struct Fuzzy<'m> {
    /// Among the declarations that are not the project itself.
    hits: Hits,
    /// Every such name, the project's own included; handed out once.
    names: Vec<&'m str>,
}

/// What files of one scope see — the declarations of the scope and of the
/// scopes above it, nearest first — indexed once, so that resolving an
/// import costs a few lookups instead of a scan of every declaration (and
/// a transitive closure per declaration).
#[derive(Default)]
struct View<'m> {
    declared: Vec<&'m Declared>,
    /// Positions in `declared` of the declarations that are not dev ones.
    runtime: Vec<u32>,
    /// Normalised names of the project's own distributions along the chain.
    own: BTreeSet<String>,
    /// Every declared name.
    names: HashSet<&'m str>,
    /// Declarations that are not the project itself, by name.
    by_name: HashMap<&'m str, Hits>,
    /// ... by a name they provide through their extras.
    via_extras: HashMap<String, Hits>,
    /// Declared names sorted, and reversed then sorted: the declarations
    /// named `n-...` or `...-n` are a range of each.
    sorted: Vec<(&'m str, u32)>,
    reversed: Vec<(String, u32)>,
    locks: Vec<&'m LockGraph>,
    env: Option<&'m venv::Environment>,
    /// Per lock: which runtime declaration, and which declaration, first
    /// pulls each locked distribution in (built on first use).
    lock_reach: Vec<OnceCell<[Reach<'m>; 2]>>,
    env_reach: OnceCell<[Reach<'m>; 2]>,
    fuzzy: RefCell<HashMap<String, Fuzzy<'m>>>,
    suggestions: OnceCell<names::Suggestions>,
}

impl<'m> View<'m> {
    fn new(model: &'m Model, scope: usize) -> View<'m> {
        let chain = model.chain(scope);
        let mut v = View {
            declared: chain
                .iter()
                .flat_map(|&i| model.scopes[i].decl.declared.iter())
                .collect(),
            own: chain
                .iter()
                .flat_map(|&i| model.scopes[i].decl.own_names.iter().cloned())
                .collect(),
            locks: chain
                .iter()
                .map(|&i| &model.scopes[i].decl.locked)
                .filter(|l| !l.is_empty())
                .collect(),
            env: chain.iter().find_map(|&i| model.scopes[i].env.as_deref()),
            ..View::default()
        };
        v.lock_reach = v.locks.iter().map(|_| OnceCell::new()).collect();
        for (pos, d) in v.declared.iter().enumerate() {
            let pos = pos as u32;
            v.names.insert(&d.name);
            v.sorted.push((&d.name, pos));
            v.reversed.push((d.name.chars().rev().collect(), pos));
            if !d.group.is_dev() {
                v.runtime.push(pos);
            }
            if v.own.contains(&d.name) {
                continue;
            }
            v.by_name.entry(&d.name).or_default().add(pos, d);
            if d.extras.is_empty() {
                continue;
            }
            let mut via: BTreeSet<String> = d.extras.iter().cloned().collect();
            via.extend(
                tables::extra_dists(&d.name, &d.extras)
                    .into_iter()
                    .map(str::to_owned),
            );
            for lock in &v.locks {
                via.extend(lock.extra_deps(&d.name, &d.extras));
            }
            for name in via {
                v.via_extras.entry(name).or_default().add(pos, d);
            }
        }
        v.sorted.sort_unstable();
        v.reversed.sort_unstable();
        v
    }

    fn runtime(&self) -> impl Iterator<Item = &'m Declared> + '_ {
        self.runtime.iter().map(|&p| self.declared[p as usize])
    }

    /// First (runtime, any) declaration whose lock closure holds `dist`.
    fn locked_via(&self, lock: usize, dist: &str) -> (Option<&'m Declared>, Option<&'m Declared>) {
        let graph = self.locks[lock];
        let [runtime, all] = self.lock_reach[lock].get_or_init(|| {
            let build = |decls: Vec<&'m Declared>| {
                Reach::new(
                    decls
                        .into_iter()
                        .map(|d| (d.name.as_str(), graph.first_hop(&d.name, &d.extras))),
                    |n| graph.deps_of(n),
                )
            };
            [
                build(self.runtime().collect()),
                build(self.declared.clone()),
            ]
        });
        // A distribution is not in its own closure.
        (
            runtime
                .first_not_named(dist, dist)
                .map(|i| self.declared[self.runtime[i] as usize]),
            all.first_not_named(dist, dist).map(|i| self.declared[i]),
        )
    }

    /// First (runtime, any) declaration whose installed requirements pull `dist` in.
    fn installed_via(
        &self,
        env: &'m venv::Environment,
        dist: &str,
    ) -> (Option<&'m Declared>, Option<&'m Declared>) {
        let [runtime, all] = self.env_reach.get_or_init(|| {
            let requires = |n: &str| {
                env.requires
                    .get(n)
                    .into_iter()
                    .flat_map(|r| r.iter().map(String::as_str))
            };
            let build = |decls: Vec<&'m Declared>| {
                Reach::new(
                    decls
                        .into_iter()
                        .map(|d| (d.name.as_str(), requires(&d.name))),
                    requires,
                )
            };
            [
                build(self.runtime().collect()),
                build(self.declared.clone()),
            ]
        });
        (
            runtime
                .first(dist)
                .map(|i| self.declared[self.runtime[i] as usize]),
            all.first(dist).map(|i| self.declared[i]),
        )
    }

    /// Does a declared distribution expose one of `providers` as its own
    /// API: listed in the table of re-exports, or a direct dependency
    /// (lockfile or virtualenv) named after it (`langchain` -> `langchain-core`)?
    fn reexported(&self, providers: &[String]) -> bool {
        self.declared
            .iter()
            .filter(|d| !self.own.contains(&d.name))
            .any(|d| {
                let prefix = format!("{}-", d.name);
                let direct = |p: &str| {
                    self.locks
                        .iter()
                        .any(|l| l.first_hop(&d.name, &d.extras).any(|h| h == p))
                        || self.env.is_some_and(|e| {
                            e.requires
                                .get(&d.name)
                                .is_some_and(|r| r.iter().any(|h| h == p))
                        })
                };
                providers.iter().any(|p| {
                    tables::reexports(&d.name).contains(&p.as_str())
                        || (p.starts_with(&prefix) && direct(p))
                })
            })
    }

    /// Declarations named `n-...` or `...-n` for the normalised import `n`.
    fn with_fuzzy<T>(&self, n: &str, f: impl FnOnce(&mut Fuzzy<'m>) -> T) -> T {
        let mut cache = self.fuzzy.borrow_mut();
        let entry = cache.entry(n.to_owned()).or_insert_with(|| {
            let mut positions: Vec<u32> = Vec::new();
            let prefix = format!("{n}-");
            let from = self.sorted.partition_point(|(s, _)| *s < prefix.as_str());
            positions.extend(
                self.sorted[from..]
                    .iter()
                    .take_while(|(s, _)| s.starts_with(&prefix))
                    .map(|(_, p)| *p),
            );
            let suffix: String = format!("-{n}").chars().rev().collect();
            let from = self.reversed.partition_point(|(s, _)| *s < suffix);
            positions.extend(
                self.reversed[from..]
                    .iter()
                    .take_while(|(s, _)| s.starts_with(&suffix))
                    .map(|(_, p)| *p),
            );
            positions.sort_unstable();
            positions.dedup();
            let mut fuzzy = Fuzzy::default();
            let mut seen: HashSet<&str> = HashSet::new();
            for p in positions {
                let d = self.declared[p as usize];
                if !self.own.contains(&d.name) {
                    fuzzy.hits.add(p, d);
                }
                if seen.insert(&d.name) {
                    fuzzy.names.push(&d.name);
                }
            }
            fuzzy
        });
        f(entry)
    }

    /// Names to suggest from the declarations, in the order they are considered.
    fn suggestions(&self) -> &names::Suggestions {
        self.suggestions.get_or_init(|| {
            let mut s = names::Suggestions::default();
            let mut rank = 0u64;
            for d in &self.declared {
                let imports = tables::table_imports(&d.name);
                if imports.is_empty() {
                    s.insert(d.name.replace('-', "_"), rank);
                    rank += 1;
                }
                for i in imports {
                    s.insert(i.split('.').next().unwrap_or(i).to_owned(), rank);
                    rank += 1;
                }
            }
            s
        })
    }
}

/// The import names of the table, then the most downloaded distributions,
/// as suggestions (built once, on the first mistyped import).
static TABLE_SUGGESTIONS: LazyLock<names::Suggestions> = LazyLock::new(|| {
    let mut s = names::Suggestions::default();
    for (rank, i) in tables::table_import_names().enumerate() {
        s.insert(i.split('.').next().unwrap_or(i).to_owned(), rank as u64);
    }
    s
});
static TOP_SUGGESTIONS: LazyLock<names::Suggestions> = LazyLock::new(|| {
    let mut s = names::Suggestions::default();
    for (rank, d) in tables::top_dists().take(5000).enumerate() {
        s.insert(d.replace('-', "_"), rank as u64);
    }
    s
});

pub struct Checker<'m> {
    pub model: &'m Model,
    pub settings: &'m options::DependencySettings,
    first_party: &'m crate::project::modules::ModuleMap,
    cache: HashMap<String, Candidates>,
    views: HashMap<usize, Rc<View<'m>>>,
    /// The Python the project is checked against: its standard library.
    target: crate::version::PythonVersion,
}

impl<'m> Checker<'m> {
    pub fn new(model: &'m Model, project: &'m Project<'m>) -> Checker<'m> {
        Checker {
            model,
            settings: &project.options.dependencies,
            first_party: project.modules,
            cache: HashMap::new(),
            views: HashMap::new(),
            target: project.options.target,
        }
    }

    fn view(&mut self, scope: usize) -> Rc<View<'m>> {
        let model = self.model;
        Rc::clone(
            self.views
                .entry(scope)
                .or_insert_with(|| Rc::new(View::new(model, scope))),
        )
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
            .view(scope)
            .env
            .map(|e| e.providers(module).into_iter().collect())
            .unwrap_or_default();
        out.extend(self.candidates(module).dists.iter().cloned());
        out
    }

    /// Resolve an absolute import made by a file in `scope`.
    pub fn resolve(
        &mut self,
        module: &str,
        scope: usize,
        app_code: bool,
        how: ImportScope,
    ) -> Resolution {
        let key = (
            module.to_owned(),
            scope,
            app_code,
            how == ImportScope::TypeChecking,
        );
        let cached = self
            .model
            .resolved
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned());
        if let Some(r) = cached {
            return r;
        }
        let r = self.resolve_uncached(module, scope, app_code, how);
        if let Ok(mut c) = self.model.resolved.lock() {
            c.insert(key, r.clone());
        }
        r
    }

    fn resolve_uncached(
        &mut self,
        module: &str,
        scope: usize,
        app_code: bool,
        how: ImportScope,
    ) -> Resolution {
        let top = module.split('.').next().unwrap_or(module);
        let on_target = stdlib::status(top, self.target);
        if on_target == stdlib::Status::Present
            || tables::is_type_only(top)
            || self.is_first_party(top, Some(scope))
        {
            return Resolution::Fine;
        }
        if let stdlib::Status::Newer(version, m) | stdlib::Status::Removed(version, m) = on_target {
            return self.not_on_target(top, scope, version, m);
        }
        if top.ends_with("_pb2") || top.ends_with("_pb2_grpc") {
            // Generated from .proto files, often at build time and gitignored.
            return Resolution::Fine;
        }
        let type_checking = how == ImportScope::TypeChecking;
        let providers = self.providers(module, scope);
        let view = self.view(scope);
        // Declarations (the project's own excepted) providing the module,
        // themselves or through their extras.
        let mut hits = Hits::default();
        for p in &providers {
            if type_checking || !tables::is_stub_dist(p) {
                hits.merge(view.by_name.get(p.as_str()));
            }
            hits.merge(view.via_extras.get(p));
        }
        let fine = |h: &Hits| h.not_dev || !app_code || type_checking;
        let matched = hits.first.is_some();
        if matched && fine(&hits) {
            return Resolution::Fine;
        }
        let mut dev_match: Option<&Declared> = hits.first.map(|p| view.declared[p as usize]);
        // Naming conventions are a last resort, for imports nothing else knows.
        let env_knows = view.env.is_some_and(|e| !e.providers(module).is_empty());
        if !matched && !env_knows && self.candidates(module).known.is_none() {
            if let Some(n) = fuzzy_key(module) {
                let fuzzy = view.with_fuzzy(&n, |f| f.hits);
                if fuzzy.first.is_some() && fine(&fuzzy) {
                    return Resolution::Fine;
                }
                dev_match = dev_match.or(fuzzy.first.map(|p| view.declared[p as usize]));
            }
        }
        if self.model.loose.contains(top) || view.reexported(&providers) {
            return Resolution::Fine;
        }
        // Installed: locked somewhere in the chain, or in the environment.
        for (l, lock) in view.locks.iter().enumerate() {
            if let Some(p) = providers
                .iter()
                .find(|p| lock.contains(p) && !tables::is_stub_dist(p))
            {
                let (via_runtime, via_any) = view.locked_via(l, p);
                if let Some(d) = dev_match {
                    if via_runtime.is_none() {
                        return dev_only(d);
                    }
                }
                // Tests may reach it through a dev dependency.
                let via = via_runtime.or(via_any).map(|d| d.written.clone());
                return Resolution::Transitive {
                    dist: p.clone(),
                    via,
                    evidence: lock.sources.first().cloned().unwrap_or_default(),
                };
            }
        }
        if let Some(env) = view.env {
            if let Some(p) = providers.iter().find(|p| env.dists.contains(*p)) {
                let (via_runtime, via_any) = view.installed_via(env, p);
                if let Some(d) = dev_match {
                    if via_runtime.is_none() {
                        return dev_only(d);
                    }
                }
                let via = via_runtime.or(via_any).map(|d| d.written.clone());
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
                suggestion: suggest(&view, top),
            };
        }
        Resolution::Unknown {
            suggestion: suggest(&view, top),
        }
    }

    /// A standard-library module the target lacks: fine when a backport of
    /// the same import name is declared or locked, or a local module of
    /// that name exists; else reported with the version it needs.
    fn not_on_target(
        &mut self,
        top: &str,
        scope: usize,
        version: crate::version::PythonVersion,
        m: stdlib::Module,
    ) -> Resolution {
        let view = self.view(scope);
        let provided = m.backport_import.is_none()
            && m.backport.is_some_and(|b| {
                let b = normalize(b);
                view.names.contains(b.as_str())
                    || view.locks.iter().any(|l| l.contains(&b))
                    || view.env.is_some_and(|e| e.dists.contains(&b))
            });
        if provided || self.model.loose.contains(top) {
            return Resolution::Fine;
        }
        Resolution::NotOnTarget {
            newer: m.since == Some(version),
            version,
            backport: m.backport,
            backport_import: m.backport_import,
        }
    }

    /// Add to `used` the declared distributions (normalised) an import of
    /// `module` uses: the ones providing it, else the ones named like it.
    /// The ones named like it are added once per scope and name: one
    /// checker accumulates into one set.
    pub fn add_used(&mut self, module: &str, scope: usize, used: &mut BTreeSet<String>) {
        let providers = self.providers(module, scope);
        let view = self.view(scope);
        let mut exact = false;
        for p in providers {
            if view.names.contains(p.as_str()) {
                exact = true;
                used.insert(p);
            }
        }
        if exact {
            return;
        }
        if let Some(n) = fuzzy_key(module) {
            view.with_fuzzy(&n, |f| {
                used.extend(f.names.drain(..).map(str::to_owned));
            });
        }
    }
}

/// The closest declared or well-known import name to a mistyped `top`:
/// the fewest edits, then declared names (in order), then the table's
/// import names, then the most downloaded distributions.
fn suggest(view: &View<'_>, top: &str) -> Option<String> {
    let wanted = top.to_ascii_lowercase().replace('-', "_");
    let limit = match wanted.chars().count() {
        0..=3 => return None,
        4..=6 => 1,
        _ => 2,
    };
    let declared = view
        .suggestions()
        .closest(&wanted, limit)
        .map(|(d, rank, name)| ((d, 0, rank), name));
    let table = TABLE_SUGGESTIONS
        .closest(&wanted, limit)
        .map(|(d, rank, name)| ((d, 1, rank), name));
    let top_dists = TOP_SUGGESTIONS
        .closest(&wanted, limit)
        .map(|(d, rank, name)| ((d, 2 + rank, 0), name));
    [declared, table, top_dists]
        .into_iter()
        .flatten()
        .min_by_key(|(key, _)| *key)
        .map(|(_, name)| name.to_owned())
}

/// For naming-convention matches: the normalised top-level name of an
/// import, unless it is too short to say anything or a namespace package.
fn fuzzy_key(module: &str) -> Option<String> {
    let mut parts = module.split('.');
    let top = parts.next().unwrap_or(module);
    if tables::namespace_depth(top, parts.next()) > 1 {
        return None;
    }
    let n = normalize(top);
    (n.len() >= 3).then_some(n)
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
/// weaker than the tables, used only when nothing else matches. What
/// [`View`] finds by range lookups, stated for one pair.
#[cfg(test)]
fn fuzzy_match(module: &str, dist: &str) -> bool {
    fuzzy_key(module)
        .is_some_and(|n| dist.starts_with(&format!("{n}-")) || dist.ends_with(&format!("-{n}")))
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
