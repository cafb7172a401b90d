//! Dependency facts (what the DEP rules read), offline: manifests say what is
//! declared, lockfiles and a local virtualenv say what is installed, built-in
//! tables say which distribution provides an import and which packages exist.
//!
//! The project is split into scopes: every directory (at or below the project
//! root, above a checked file) holding a manifest. A file sees the
//! declarations of its nearest scope and of every scope above it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

pub mod facts;
pub mod lockfiles;
pub mod manifest;
pub mod names;
pub mod options;
pub mod pipfile;
pub mod pyproject;
pub mod reach;
pub mod requirement;
pub mod requirements;
pub mod resolve;
pub mod setup_cfg;
pub mod setup_py;
pub mod stdlib;
pub mod tables;
pub mod tree;
pub mod venv;
pub mod versions;
mod view;

pub use resolve::Resolver;

use manifest::{Declarations, Sources};

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

/// The requirements files of a scope directory and of its `requirements/`
/// directory, which is not listed when it leads out of the boundary (a link
/// to `/etc` must not put the names of its files in the output).
fn requirements_files(
    reader: &dyn tree::ManifestReader,
    dir: &Path,
    boundary: Option<&crate::files::Boundary>,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut add_from = |d: &Path, any: bool| {
        if boundary.is_some_and(|b| !b.contains(d)) {
            return;
        }
        let is_req = |name: &str| {
            if any {
                let lower = name.to_ascii_lowercase();
                lower.ends_with(".txt") || lower.ends_with(".in")
            } else {
                is_requirements_name(name)
            }
        };
        out.extend(reader.files_named(d, &is_req));
    };
    add_from(dir, false);
    add_from(&dir.join("requirements"), true);
    out.sort();
    out
}

const MANIFEST_NAMES: &[&str] = &["pyproject.toml", "setup.cfg", "setup.py", "Pipfile"];

fn has_manifest(
    reader: &dyn tree::ManifestReader,
    dir: &Path,
    boundary: &crate::files::Boundary,
) -> bool {
    MANIFEST_NAMES.iter().any(|n| reader.present(&dir.join(n)))
        || lockfiles::LOCKFILES
            .iter()
            .any(|n| reader.present(&dir.join(n)))
        || !requirements_files(reader, dir, Some(boundary)).is_empty()
}

impl Model {
    /// Feeds `put` a description of everything the model knows, in a
    /// fixed order (what is kept in hash order sorted first; the indexes
    /// derived from the rest left out): equal descriptions, equal models.
    pub fn describe(&self, put: &mut dyn FnMut(&str)) {
        let sources = &self.sources;
        put(&format!(
            "{:?}{:?}{:?}{:?}",
            sources.files, sources.problems, sources.refused, sources.boundary
        ));
        for scope in &self.scopes {
            put(&format!("{scope:?}"));
        }
        put(&format!("{:?}", self.file_scope));
        let mut loose: Vec<&String> = self.loose.iter().collect();
        loose.sort_unstable();
        put(&format!("{loose:?}"));
    }

    /// Read the manifests of every directory above a checked file, from
    /// the file up to the project root and on up to the repository root
    /// (the boundary): a `backend/` run sees the root `uv.lock`.
    pub fn build(
        files: &[crate::files::FileInfo],
        root: &Path,
        boundary: &crate::files::Boundary,
    ) -> Model {
        Model::build_from(files, root, boundary, tree::Reader::default())
    }

    /// [`Model::build`] with the manifests read from `reader` (a base
    /// revision's tree); the virtualenv is always the one on disk.
    pub fn build_from(
        files: &[crate::files::FileInfo],
        root: &Path,
        boundary: &crate::files::Boundary,
        reader: tree::Reader,
    ) -> Model {
        let mut model = Model {
            sources: Sources::reading(boundary, reader.clone()),
            ..Model::default()
        };
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
        let mut checked: HashSet<PathBuf> = HashSet::new();
        // Directories above the root: inside the boundary or not, asked once.
        let mut above: HashMap<PathBuf, bool> = HashMap::new();
        for f in files {
            let mut dir = f.path.parent();
            while let Some(d) = dir {
                // A directory seen before had its ancestors walked then: the
                // files of one package share all but their first steps.
                if checked.contains(d) {
                    break;
                }
                if !d.starts_with(root)
                    && !*above
                        .entry(d.to_path_buf())
                        .or_insert_with(|| boundary.contains(d))
                {
                    break;
                }
                let is_scope = has_manifest(&*reader, d, boundary);
                checked.insert(d.to_path_buf());
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
    let reader = sources.reader.clone();
    for f in requirements_files(&*reader, dir, boundary.as_ref()) {
        match requirements::read(sources, &f, None, &mut decl, 0) {
            Ok(_) | Err(crate::files::ReadError::Missing) => {}
            Err(why) => sources.refuse(&f, &why),
        }
    }
    if reader.present(&dir.join("setup.py"))
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
    /// Installed (locked or in the environment) but not declared; with an
    /// empty `evidence`, declared only for development and installed in
    /// production by `via`, a runtime dependency named after it.
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
    "hatch_build.py",
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

#[cfg(test)]
mod tests {
    use super::resolve::strip_api_version;
    use super::view::fuzzy_match;
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
