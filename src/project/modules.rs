//! The module model: which dotted module name(s) each file answers to, and
//! how an import statement resolves to first-party files.
//!
//! A file may be importable under several names, and we accept each of them
//! rather than guess one: Python itself allows it depending on `sys.path`.
//! - `sys.path`-style: relative to the directory holding its top-level
//!   package (the first directory upward without `__init__.py`), which is
//!   also how pytest's default import mode inserts test directories;
//! - relative to a source root: configured `src = [...]`, else `src/` when
//!   the project uses a src layout, else the project root (this covers
//!   namespace packages without any `__init__.py`).
//!
//! Every file gets names, with or without `__init__.py`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::{Import, ImportedName};
use crate::files::FileInfo;
use crate::python::name::Name;

/// Names one file can be imported as; `names[0]` is the one shown to users.
/// Interned: the table of names (`by_name`) and the files share one copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleNames {
    pub names: Vec<Name>,
    /// `__init__.py`: the module is a package.
    pub is_package: bool,
}

impl ModuleNames {
    pub fn primary(&self) -> &str {
        self.names.first().map_or("", |n| n.as_str())
    }
}

/// An import statement resolved to first-party modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedImport {
    /// File index of the imported module.
    pub file: usize,
    /// Fully qualified dotted module name that matched.
    pub module: String,
    /// For `from m import name`, the name when it is not itself a module.
    pub name: Option<String>,
}

#[derive(Debug, Default)]
pub struct ModuleMap {
    /// Indexed like the run's file table.
    pub modules: Vec<ModuleNames>,
    by_name: HashMap<Name, usize>,
    top_level: BTreeSet<String>,
    /// What the map asked the disk beyond the file table, and the answers.
    probes: Vec<Probe>,
}

/// A question the module map asked the disk: is `path` a package
/// directory (`__init__.py` or `__init__.pyi` in it), else a directory.
/// A result that replays a project pass holds only while every answer is
/// still the same ([`Probe::holds`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Probe {
    pub path: PathBuf,
    pub package: bool,
    pub answer: bool,
}

impl Probe {
    fn ask(path: &Path, package: bool) -> bool {
        if package {
            path.join("__init__.py").is_file() || path.join("__init__.pyi").is_file()
        } else {
            path.is_dir()
        }
    }

    /// The disk still answers as it did.
    pub fn holds(&self) -> bool {
        Probe::ask(&self.path, self.package) == self.answer
    }
}

fn has_init(dir: &Path, cache: &mut HashMap<PathBuf, bool>) -> bool {
    if let Some(v) = cache.get(dir) {
        return *v;
    }
    let v = Probe::ask(dir, true);
    cache.insert(dir.to_path_buf(), v);
    v
}

fn dotted(rel: &Path) -> Option<(String, bool)> {
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    let stem = last
        .strip_suffix(".pyi")
        .or_else(|| last.strip_suffix(".py"))
        .unwrap_or(&last)
        .to_owned();
    let is_package = stem == "__init__";
    if !is_package {
        parts.push(stem);
    }
    let valid = parts.iter().all(|p| {
        !p.is_empty()
            && p.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !p.starts_with(|c: char| c.is_ascii_digit())
    });
    if parts.is_empty() || !valid {
        return None;
    }
    Some((parts.join("."), is_package))
}

impl ModuleMap {
    /// `src_roots`: configured source roots (absolute); empty to detect them.
    pub fn build(files: &[FileInfo], project_root: &Path, src_roots: &[PathBuf]) -> ModuleMap {
        let detected: Vec<PathBuf>;
        let mut probes = Vec::new();
        let roots: &[PathBuf] = if src_roots.is_empty() {
            let src = project_root.join("src");
            let src_layout = Probe::ask(&src, false);
            probes.push(Probe {
                path: src.clone(),
                package: false,
                answer: src_layout,
            });
            detected = if src_layout {
                vec![src, project_root.to_path_buf()]
            } else {
                vec![project_root.to_path_buf()]
            };
            &detected
        } else {
            src_roots
        };
        let mut cache = HashMap::new();
        let mut map = ModuleMap::default();
        for (index, file) in files.iter().enumerate() {
            let mut names = Vec::new();
            let mut is_package = false;
            let mut push = |base: &Path, names: &mut Vec<Name>| {
                if let Ok(rel) = file.path.strip_prefix(base) {
                    if let Some((name, pkg)) = dotted(rel) {
                        let name = Name::from(name);
                        is_package = pkg;
                        if !names.contains(&name) {
                            names.push(name);
                        }
                    }
                }
            };
            // sys.path-style: above the topmost directory of the `__init__.py`
            // chain. A loose file outside any package only gets that name when
            // it is test code, which pytest imports from its own directory.
            // A directory without `__init__.py` whose parent has one is a
            // namespace gap inside a regular package (`app/api/` in
            // `app/__init__.py` + `app/api/routes/__init__.py`): the chain goes on.
            let in_chain = |dir: &Path, cache: &mut HashMap<PathBuf, bool>| {
                has_init(dir, cache) || dir.parent().is_some_and(|p| has_init(p, cache))
            };
            if let Some(mut dir) = file
                .path
                .parent()
                .filter(|d| file.is_test || in_chain(d, &mut cache))
            {
                while in_chain(dir, &mut cache) {
                    match dir.parent() {
                        Some(parent) => dir = parent,
                        None => break,
                    }
                }
                push(dir, &mut names);
            }
            // The deepest source root holding the file.
            if let Some(root) = roots
                .iter()
                .filter(|r| file.path.starts_with(r))
                .max_by_key(|r| r.components().count())
            {
                push(root, &mut names);
            }
            for name in &names {
                map.by_name.entry(*name).or_insert(index);
                if let Some(top) = name.split('.').next() {
                    map.top_level.insert(top.to_owned());
                }
            }
            map.modules.push(ModuleNames { names, is_package });
        }
        let mut asked: Vec<(PathBuf, bool)> = cache.into_iter().collect();
        asked.sort_unstable();
        probes.extend(asked.into_iter().map(|(path, answer)| Probe {
            path,
            package: true,
            answer,
        }));
        map.probes = probes;
        map
    }

    /// What the map asked the disk, sorted (see [`Probe`]).
    pub fn probes(&self) -> &[Probe] {
        &self.probes
    }

    pub fn resolve(&self, dotted: &str) -> Option<usize> {
        self.by_name.get(dotted).copied()
    }

    /// Top-level names that belong to the project (`app` for `app.api.routes`).
    pub fn is_first_party(&self, top_level: &str) -> bool {
        self.top_level.contains(top_level)
    }

    pub fn top_level_names(&self) -> impl Iterator<Item = &str> {
        self.top_level.iter().map(String::as_str)
    }

    /// Absolute dotted base of an import made in `file`: relative imports are
    /// resolved against the importing module's package.
    pub fn absolute_module(&self, file: usize, import: &Import) -> Option<String> {
        self.absolute_module_as(file, 0, import)
    }

    /// Like [`Self::absolute_module`], with the importing file known under its `which`-th name.
    fn absolute_module_as(&self, file: usize, which: usize, import: &Import) -> Option<String> {
        self.absolute_dotted_as(file, which, import.level, &import.module)
    }

    /// `module` written with `level` leading dots in `file`, made absolute
    /// (`..models` in `app/api/users.py` is `app.models`).
    pub fn absolute_dotted(&self, file: usize, level: u32, module: &str) -> Option<String> {
        self.absolute_dotted_as(file, 0, level, module)
    }

    fn absolute_dotted_as(
        &self,
        file: usize,
        which: usize,
        level: u32,
        module: &str,
    ) -> Option<String> {
        if level == 0 {
            return Some(module.to_owned());
        }
        let me = self.modules.get(file)?;
        let mut package: Vec<&str> = me.names.get(which)?.split('.').collect();
        if !me.is_package {
            package.pop();
        }
        for _ in 1..level {
            package.pop()?;
        }
        if !module.is_empty() {
            package.extend(module.split('.'));
        }
        (!package.is_empty()).then(|| package.join("."))
    }

    /// First-party modules an import refers to. `from a.b import c` yields the
    /// module `a.b.c` when it exists, else `a.b` with name `c`; `import a.b.c`
    /// yields the deepest existing prefix.
    pub fn resolve_import(&self, file: usize, import: &Import) -> Vec<ResolvedImport> {
        // A relative import resolves against whichever name of the importer
        // reaches first-party modules (the first such name wins).
        let names = if import.level == 0 {
            1
        } else {
            self.modules.get(file).map_or(1, |m| m.names.len().max(1))
        };
        for which in 0..names {
            let resolved = self.resolve_import_as(file, which, import);
            if !resolved.is_empty() {
                return resolved;
            }
        }
        Vec::new()
    }

    fn resolve_import_as(&self, file: usize, which: usize, import: &Import) -> Vec<ResolvedImport> {
        let Some(base) = self.absolute_module_as(file, which, import) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if import.is_from {
            for ImportedName { name, .. } in &import.names {
                let full = format!("{base}.{name}");
                if name != "*" {
                    if let Some(target) = self.resolve(&full) {
                        out.push(ResolvedImport {
                            file: target,
                            module: full,
                            name: None,
                        });
                        continue;
                    }
                }
                if let Some(target) = self.resolve(&base) {
                    out.push(ResolvedImport {
                        file: target,
                        module: base.clone(),
                        name: Some(name.to_string()),
                    });
                }
            }
        } else {
            let mut candidate = base.as_str();
            loop {
                if let Some(target) = self.resolve(candidate) {
                    out.push(ResolvedImport {
                        file: target,
                        module: candidate.to_owned(),
                        name: None,
                    });
                    break;
                }
                match candidate.rfind('.') {
                    Some(dot) => candidate = &candidate[..dot],
                    None => break,
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::ImportScope;

    fn project(paths: &[&str], inits: &[&str]) -> (tempfile::TempDir, Vec<FileInfo>) {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for p in paths.iter().chain(inits) {
            let full = dir.path().join(p);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, "").unwrap();
        }
        for p in paths.iter().chain(inits) {
            files.push(FileInfo {
                path: dir.path().join(p),
                display: p.to_string(),
                rel: p.to_string(),
                is_test: crate::project::testcode::is_test_path(p),
            });
        }
        (dir, files)
    }

    fn import(module: &str, level: u32, names: &[&str]) -> Import {
        Import {
            module: module.into(),
            level,
            alias: None,
            names: names
                .iter()
                .map(|n| ImportedName {
                    name: crate::python::name::Name::new(n),
                    alias: None,
                })
                .collect(),
            is_from: !names.is_empty(),
            scope: ImportScope::Module,
            guarded: false,
            span: 0..0,
            start: Default::default(),
        }
    }

    #[test]
    fn package_chain_and_namespace_names() {
        let (dir, files) = project(
            &[
                "backend/app/api/routes.py",
                "scripts/tool.py",
                "tests/helpers.py",
            ],
            &["backend/app/__init__.py", "backend/app/api/__init__.py"],
        );
        let map = ModuleMap::build(&files, dir.path(), &[]);
        assert_eq!(
            map.modules[0].names,
            vec!["app.api.routes", "backend.app.api.routes"]
        );
        assert_eq!(map.modules[1].names, vec!["scripts.tool"]);
        assert_eq!(map.modules[2].names, vec!["helpers", "tests.helpers"]);
        assert!(map.is_first_party("app") && map.is_first_party("helpers"));
        assert_eq!(map.modules[3].names, vec!["app", "backend.app"]);
        assert!(map.modules[3].is_package);
    }

    #[test]
    fn namespace_gaps_inside_a_package_keep_the_full_name() {
        let (dir, files) = project(
            &[
                "backend/app/api/deps.py",
                "backend/app/api/routes/v1/health.py",
            ],
            &[
                "backend/app/__init__.py",
                "backend/app/api/routes/__init__.py",
                "backend/app/api/routes/v1/__init__.py",
            ],
        );
        let map = ModuleMap::build(&files, dir.path(), &[]);
        assert_eq!(map.modules[0].primary(), "app.api.deps");
        assert_eq!(map.modules[1].primary(), "app.api.routes.v1.health");
    }

    #[test]
    fn relative_imports_resolve_against_the_package() {
        let (dir, files) = project(
            &[
                "src/shop/routers/orders.py",
                "src/shop/crud/orders.py",
                "src/shop/core/errors.py",
            ],
            &[],
        );
        let map = ModuleMap::build(&files, dir.path(), &[]);
        assert_eq!(map.modules[0].primary(), "shop.routers.orders");
        let rel = import("crud.orders", 2, &["get_order"]);
        // `..crud.orders` from shop.routers.orders -> shop.crud.orders
        let m = ModuleMap {
            modules: vec![ModuleNames {
                names: vec!["shop.routers.orders".into()],
                is_package: false,
            }],
            ..ModuleMap::default()
        };
        assert_eq!(
            m.absolute_module(0, &rel).as_deref(),
            Some("shop.crud.orders")
        );
        let resolved = map.resolve_import(0, &import("shop.core", 0, &["errors"]));
        assert_eq!(resolved[0].file, 2);
        assert_eq!(resolved[0].name, None);
        let resolved = map.resolve_import(0, &import("shop.core.errors", 0, &["NotFound"]));
        assert_eq!(resolved[0].name.as_deref(), Some("NotFound"));
    }
}
