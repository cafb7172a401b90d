//! What is known about the project before the walk: its manifests and
//! lockfiles, read once per run, and the versions of the libraries it uses
//! (so file rules can follow them: no Pydantic 2 advice on a project pinned
//! to Pydantic 1). The dependency model built here is the one the DEP rules
//! use in the project pass.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::files::{Boundary, FileInfo};
use crate::project::deps::{self, versions::Range};

/// Where a library's version comes from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Evidence {
    /// The exact version a lockfile (or a fully pinned requirements file) installs.
    Locked,
    /// `==1.2.3` in a manifest.
    Pinned,
    /// The bounds of a range (`^1.9`, `>=2,<3`, `<2`).
    Range,
}

/// The version of one library as the project declares or locks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    pub range: Range,
    pub evidence: Evidence,
}

impl Library {
    /// The major version in use (lockfile > pin > lower bound > below the upper bound).
    pub fn major(&self) -> Option<u64> {
        self.range.major()
    }
}

/// The libraries whose versions file rules read ([`Profile::library`]):
/// TYP003 gives no Pydantic 2 advice to a project on Pydantic 1.
pub const FILE_RULE_LIBRARIES: &[&str] = &["pydantic"];

/// Library versions by normalised distribution name.
pub type Libraries = BTreeMap<String, Library>;

#[derive(Debug, Default)]
pub struct Profile {
    /// Manifests, lockfiles and environment (`None` when not read).
    pub deps: Option<Arc<deps::Model>>,
    /// Per dependency scope: the libraries its files see.
    libraries: Vec<Libraries>,
    /// Scope directory -> scope index.
    scope_of_dir: HashMap<PathBuf, usize>,
    /// Per scope: [`Profile::file_key`].
    file_keys: Vec<String>,
}

impl Profile {
    pub fn build(files: &[FileInfo], root: &Path, boundary: &Boundary) -> Profile {
        Profile::build_from(files, root, boundary, deps::tree::Reader::default())
    }

    /// [`Profile::build`] with manifests read from `reader` (a base revision).
    pub fn build_from(
        files: &[FileInfo],
        root: &Path,
        boundary: &Boundary,
        reader: deps::tree::Reader,
    ) -> Profile {
        let model = deps::Model::build_from(files, root, boundary, reader.clone());
        let metadata: Vec<Vec<(String, Range)>> = model
            .scopes
            .iter()
            .map(|s| sdist_requirements(&*reader, &s.dir, boundary))
            .collect();
        let libraries: Vec<Libraries> = (0..model.scopes.len())
            .map(|s| libraries_of(&model, &metadata, s))
            .collect();
        let file_keys = libraries
            .iter()
            .map(|libraries| {
                FILE_RULE_LIBRARIES
                    .iter()
                    .map(|dist| format!("{dist}={:?};", libraries.get(*dist)))
                    .collect()
            })
            .collect();
        let scope_of_dir = model
            .scopes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.dir.clone(), i))
            .collect();
        Profile {
            deps: Some(Arc::new(model)),
            libraries,
            scope_of_dir,
            file_keys,
        }
    }

    /// A digest of what the profile knows: the project pass learns about
    /// manifests, lockfiles and the environment only from the profile, so
    /// two profiles with one digest answer the project rules alike (the
    /// result cache replays a run's project pass only when it holds).
    pub fn digest(&self) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        let mut put = |part: &str| {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        };
        match &self.deps {
            Some(model) => {
                put("model");
                model.describe(&mut put);
            }
            None => put("no model"),
        }
        put(&format!("{:?}{:?}", self.libraries, self.file_keys));
        *hasher.finalize().as_bytes()
    }

    /// The version of `dist` (normalised) that the file at `path` runs with.
    /// File rules may ask only for the libraries of [`FILE_RULE_LIBRARIES`].
    pub fn library(&self, path: &Path, dist: &str) -> Option<&Library> {
        debug_assert!(
            FILE_RULE_LIBRARIES.contains(&dist),
            "add `{dist}` to FILE_RULE_LIBRARIES: the result cache keys each file by those versions"
        );
        self.libraries.get(self.scope(path)?)?.get(dist)
    }

    /// What file rules can learn from the profile about the file at `path`:
    /// the versions of [`FILE_RULE_LIBRARIES`] it sees. The result cache keys
    /// the file's entry by it, so a lockfile bump of Pydantic re-checks the
    /// files that depend on it and nothing else.
    pub fn file_key(&self, path: &Path) -> &str {
        match self.scope(path) {
            Some(scope) => self.file_keys.get(scope).map_or("", String::as_str),
            None => "",
        }
    }

    fn scope(&self, path: &Path) -> Option<usize> {
        path.ancestors()
            .skip(1)
            .find_map(|a| self.scope_of_dir.get(a))
            .copied()
    }

    /// The major version of `dist` for the file at `path`, when known.
    pub fn major(&self, path: &Path, dist: &str) -> Option<u64> {
        self.library(path, dist).and_then(Library::major)
    }
}

/// What files of scope `s` see: over the scope and the scopes above it
/// (nearest first), a lockfile's version wins over a pin, a pin over a range.
fn libraries_of(model: &deps::Model, metadata: &[Vec<(String, Range)>], s: usize) -> Libraries {
    let mut out = Libraries::new();
    let mut offer = |name: &str, range: Range, evidence: Evidence| {
        let better = out.get(name).is_none_or(|l| evidence < l.evidence);
        if better {
            out.insert(name.to_owned(), Library { range, evidence });
        }
    };
    for i in model.chain(s) {
        let decl = &model.scopes[i].decl;
        for (name, pkg) in &decl.locked.packages {
            if let Some(v) = &pkg.version {
                offer(name, Range::exact(v.clone()), Evidence::Locked);
            }
        }
        for d in &decl.declared {
            let Some(range) = &d.versions else { continue };
            let evidence = if range.exact.is_some() {
                Evidence::Pinned
            } else if range.lower.is_some() || range.upper.is_some() {
                Evidence::Range
            } else {
                continue;
            };
            offer(&d.name, range.clone(), evidence);
        }
        // An sdist built from setup.py states its requirements only in its metadata.
        for (name, range) in &metadata[i] {
            offer(name, range.clone(), Evidence::Range);
        }
    }
    out
}

fn egg_dirs(reader: &dyn deps::tree::ManifestReader, dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = reader
        .dirs_in(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "egg-info"))
        .collect();
    out.sort();
    out
}

/// `Requires-Dist:` lines of an sdist's `PKG-INFO` (core metadata, where a
/// setup.py project's requirements are written down), with their ranges.
/// Or the `*.egg-info/requires.txt` setuptools writes beside it (the lines
/// before the first `[extra]` section).
fn sdist_requirements(
    reader: &dyn deps::tree::ManifestReader,
    dir: &Path,
    boundary: &Boundary,
) -> Vec<(String, Range)> {
    let read = |path: &Path| {
        reader
            .read(path, crate::files::MANIFEST_CAP, Some(boundary))
            .ok()
            .map(crate::files::lossy_text)
    };
    let mut lines: Vec<String> = Vec::new();
    if let Some(text) = read(&dir.join("PKG-INFO")) {
        // The headers end at the first blank line; the description follows.
        lines.extend(
            text.lines()
                .take_while(|l| !l.trim().is_empty())
                .filter_map(|l| l.strip_prefix("Requires-Dist:"))
                .map(str::to_owned),
        );
    }
    // An `x.egg-info` directory, seen through its `requires.txt`.
    let eggs = egg_dirs(reader, dir);
    for egg in eggs {
        if let Some(text) = read(&egg.join("requires.txt")) {
            lines.extend(
                text.lines()
                    .take_while(|l| !l.starts_with('['))
                    .map(str::to_owned),
            );
        }
    }
    lines
        .iter()
        .filter_map(|r| deps::requirement::parse(r).ok())
        .filter_map(|r| {
            let range = Range::of(r.versions.as_ref()?);
            Some((deps::names::normalize(&r.name), range))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(path: PathBuf) -> FileInfo {
        FileInfo {
            display: path.to_string_lossy().into_owned(),
            rel: String::new(),
            is_test: false,
            path,
        }
    }

    #[test]
    fn the_digest_is_the_same_for_the_same_inputs_and_follows_the_manifests() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("app/sub")).expect("mkdir");
        std::fs::write(
            root.join("pyproject.toml"),
            "[project]\nname = \"x\"\ndependencies = [\"pydantic==1.10.2\", \"httpx\"]\n",
        )
        .expect("write");
        std::fs::write(root.join("app/sub/requirements.txt"), "redis\n").expect("write");
        let files = [
            info(root.join("app/a.py")),
            info(root.join("app/sub/b.py")),
            info(root.join("app/sub/c.py")),
        ];
        let boundary = Boundary::of_run(&[root.to_path_buf()], root);
        let digest = || Profile::build(&files, root, &boundary).digest();
        // Hash-ordered parts (each build's maps have their own seeds) do
        // not leak into it.
        let first = digest();
        for _ in 0..8 {
            assert_eq!(digest(), first);
        }
        std::fs::write(root.join("app/sub/requirements.txt"), "redis\nrq\n").expect("write");
        assert_ne!(digest(), first);
        assert_ne!(Profile::default().digest(), first);
    }
}
