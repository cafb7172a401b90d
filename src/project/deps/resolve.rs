//! The resolver: what provides an import made in a scope (standard library
//! of the target, first party, declarations, lockfiles, environment,
//! tables), cached per module.

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use super::manifest::{Declared, Group};
use super::names::{self, normalize};
use super::view::{fuzzy_key, suggest, Candidates, Hits, View};
use super::{options, stdlib, tables, Model, Resolution};
use crate::project::{ImportScope, Project};

pub struct Resolver<'m> {
    pub model: &'m Model,
    pub settings: &'m options::DependencySettings,
    first_party: &'m crate::project::modules::ModuleMap,
    cache: HashMap<String, Candidates>,
    views: HashMap<usize, Rc<View<'m>>>,
    /// The Python the project is checked against: its standard library.
    target: crate::version::PythonVersion,
    /// Resolutions by (module, scope, application code, type checking).
    resolved: HashMap<(String, usize, bool, bool), Resolution>,
}

impl<'m> Resolver<'m> {
    pub fn new(model: &'m Model, project: &'m Project<'m>) -> Resolver<'m> {
        Resolver {
            model,
            settings: &project.options.dependencies,
            first_party: project.modules,
            cache: HashMap::new(),
            views: HashMap::new(),
            target: project.options.target,
            resolved: HashMap::new(),
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
        // than a namespace package allows. The distribution to name is the
        // deepest one inside a namespace package (`google-cloud-storage`),
        // but the shallowest for a regular package: `kubernetes.client` is a
        // module of `kubernetes`, whatever `kubernetes-client` on PyPI is.
        let names: Vec<(usize, String)> = (1..=parts.len())
            .rev()
            .map(|k| (k, normalize(&parts[..k].join("."))))
            .collect();
        let mut naming: Vec<&(usize, String)> = names.iter().filter(|(k, _)| *k >= depth).collect();
        if depth == 1 {
            naming.reverse();
        }
        for (_, n) in naming {
            if tables::top_rank(n).is_some() {
                known.get_or_insert_with(|| n.clone());
            }
            if exists.is_none() && tables::on_pypi(n) {
                exists = Some(n.clone());
            }
        }
        dists.extend(names.into_iter().map(|(_, n)| n));
        let conventional = names::conventional_dists(top);
        for c in conventional.iter().take(names::CONVENTIONAL_SAME_PROJECT) {
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
        // Standard-library, type-only and first-party modules are answered
        // without the memo: they are most imports of a tree, and the memo
        // kept an entry (~110 bytes) for each distinct one, tens of thousands
        // of first-party modules on a large tree.
        if self.fine_at_once(module, scope) {
            return Resolution::Fine;
        }
        let key = (
            module.to_owned(),
            scope,
            app_code,
            how == ImportScope::TypeChecking,
        );
        if let Some(r) = self.resolved.get(&key) {
            return r.clone();
        }
        let r = self.resolve_uncached(module, scope, app_code, how);
        self.resolved.insert(key, r.clone());
        r
    }

    /// Is `module`, imported in `scope`, in the target's standard library,
    /// a type-only package or first party?
    fn fine_at_once(&self, module: &str, scope: usize) -> bool {
        let top = module.split('.').next().unwrap_or(module);
        stdlib::status(top, self.target) == stdlib::Status::Present
            || tables::is_type_only(top)
            || self.is_first_party(top, Some(scope))
    }

    fn resolve_uncached(
        &mut self,
        module: &str,
        scope: usize,
        app_code: bool,
        how: ImportScope,
    ) -> Resolution {
        if self.fine_at_once(module, scope) {
            return Resolution::Fine;
        }
        let top = module.split('.').next().unwrap_or(module);
        let on_target = stdlib::status(top, self.target);
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
            // No lockfile or environment says more, but a runtime dependency
            // named after it (`httpx-oauth` for `httpx`, `sqlalchemy-utils`
            // for `sqlalchemy`) is its plugin and installs it in production.
            let prefix = format!("{}-", d.name);
            if let Some(host) = view
                .runtime()
                .find(|r| r.group == Group::Runtime && r.name.starts_with(&prefix))
            {
                return Resolution::Transitive {
                    dist: d.name.clone(),
                    via: Some(host.written.clone()),
                    evidence: String::new(),
                };
            }
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
    /// resolver accumulates into one set.
    pub fn add_used(&mut self, module: &str, scope: usize, used: &mut BTreeSet<String>) {
        // Each module is asked about once per scope here: its candidates
        // are computed without being kept (a large tree imports tens of
        // thousands of distinct first-party modules that nothing resolves).
        let mut providers: Vec<String> = self
            .view(scope)
            .env
            .map(|e| e.providers(module).into_iter().collect())
            .unwrap_or_default();
        match self.cache.get(module) {
            Some(c) => providers.extend(c.dists.iter().cloned()),
            None => providers.extend(self.compute_candidates(module).dists),
        }
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

/// `compute_v1` -> `compute`, `aiplatform_v1beta1` -> `aiplatform`.
pub(super) fn strip_api_version(part: &str) -> &str {
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
