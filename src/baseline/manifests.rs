//! The base revision's manifests and lockfiles, read from git objects for
//! the dependency rules (through the reader `project/deps` parses from), so
//! a change that edits `pyproject.toml` is judged against what the base
//! declared and only the findings it causes are new.
//!
//! The blobs of every file named like a manifest are read up front in one
//! `git cat-file --batch`; any other file (a requirements include named
//! `base.txt`) is read when asked for.

use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use super::git;
use crate::files::{Boundary, ReadError};
use crate::project::deps::tree::ManifestReader;

type Blob = Result<Vec<u8>, u64>;

/// A revision's tree, as files by absolute path below the work tree.
#[derive(Debug)]
pub struct GitManifests {
    repo: PathBuf,
    real_repo: PathBuf,
    /// Repository-relative path -> blob id.
    ids: HashMap<String, String>,
    /// Directory (repository-relative, "" for the top) -> its files and subdirectories.
    files: HashMap<String, BTreeSet<String>>,
    dirs: HashMap<String, BTreeSet<String>>,
    /// Blobs read so far (up front, then on demand), read with this cap.
    blobs: Mutex<HashMap<String, Blob>>,
}

const CAP: u64 = crate::files::MANIFEST_CAP;

/// Is this a file the dependency rules read (a manifest, lockfile or sdist metadata)?
pub fn is_dependency_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    matches!(
        name.as_str(),
        "pyproject.toml"
            | "setup.cfg"
            | "setup.py"
            | "pipfile"
            | "pipfile.lock"
            | "poetry.lock"
            | "uv.lock"
            | "pdm.lock"
            | "pylock.toml"
            | "pkg-info"
    ) || ((name.ends_with(".txt") || name.ends_with(".in"))
        && (name.contains("requirement") || name.contains("constraint")))
        || path
            .split('/')
            .any(|c| c.eq_ignore_ascii_case("requirements") || c.ends_with(".egg-info"))
}

fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

impl GitManifests {
    /// The tree `ids` (path -> blob id) of a revision of the repository at
    /// `repo`, its dependency files read now.
    pub fn new(
        repo: &Path,
        real_repo: &Path,
        ids: &HashMap<String, String>,
    ) -> Result<GitManifests, crate::config::ConfigError> {
        let mut files: HashMap<String, BTreeSet<String>> = HashMap::new();
        let mut dirs: HashMap<String, BTreeSet<String>> = HashMap::new();
        for path in ids.keys() {
            files
                .entry(parent_of(path).to_owned())
                .or_default()
                .insert(path.clone());
            let mut child = parent_of(path);
            while !child.is_empty() {
                let parent = parent_of(child);
                if !dirs
                    .entry(parent.to_owned())
                    .or_default()
                    .insert(child.to_owned())
                {
                    break;
                }
                child = parent;
            }
        }
        let mut wanted: Vec<&String> = ids.keys().filter(|p| is_dependency_file(p)).collect();
        wanted.sort();
        let blob_ids: Vec<String> = wanted.iter().map(|p| ids[*p].clone()).collect();
        let read = git::blobs(repo, &blob_ids, CAP)?;
        let blobs = wanted.into_iter().cloned().zip(read).collect();
        Ok(GitManifests {
            repo: repo.to_path_buf(),
            real_repo: real_repo.to_path_buf(),
            ids: ids.clone(),
            files,
            dirs,
            blobs: Mutex::new(blobs),
        })
    }

    /// `path` relative to the repository, `/`-separated (`None` outside it).
    fn rel(&self, path: &Path) -> Option<String> {
        let rest = path
            .strip_prefix(&self.repo)
            .or_else(|_| path.strip_prefix(&self.real_repo))
            .ok()?;
        let mut parts: Vec<&str> = Vec::new();
        for c in rest.components() {
            match c {
                Component::Normal(p) => parts.push(p.to_str()?),
                Component::CurDir => {}
                _ => return None,
            }
        }
        Some(parts.join("/"))
    }

    fn abs(&self, rel: &str) -> PathBuf {
        self.repo.join(rel)
    }
}

impl ManifestReader for GitManifests {
    fn read(
        &self,
        path: &Path,
        cap: u64,
        boundary: Option<&Boundary>,
    ) -> Result<Vec<u8>, ReadError> {
        let rel = self.rel(path).ok_or(ReadError::Outside)?;
        if let Some(b) = boundary {
            let inside = [&self.repo, &self.real_repo]
                .iter()
                .any(|top| top.join(&rel).starts_with(b.root()));
            if !inside {
                return Err(ReadError::Outside);
            }
        }
        let id = self.ids.get(&rel).ok_or(ReadError::Missing)?;
        let mut blobs = self
            .blobs
            .lock()
            .map_err(|_| ReadError::Io("git reader poisoned".to_owned()))?;
        if !blobs.contains_key(&rel) {
            let mut read = git::blobs(&self.repo, std::slice::from_ref(id), CAP)
                .map_err(|e| ReadError::Io(e.0))?;
            let blob = read
                .pop()
                .ok_or_else(|| ReadError::Io(format!("git returned nothing for {rel}")))?;
            blobs.insert(rel.clone(), blob);
        }
        match &blobs[&rel] {
            Ok(bytes) if bytes.len() as u64 <= cap => Ok(bytes.clone()),
            Ok(bytes) => Err(ReadError::TooLarge {
                len: bytes.len() as u64,
                cap,
            }),
            Err(len) => Err(ReadError::TooLarge { len: *len, cap }),
        }
    }

    fn present(&self, path: &Path) -> bool {
        self.rel(path).is_some_and(|r| self.ids.contains_key(&r))
    }

    fn files_in(&self, dir: &Path) -> Vec<PathBuf> {
        let Some(rel) = self.rel(dir) else {
            return Vec::new();
        };
        self.files
            .get(&rel)
            .into_iter()
            .flatten()
            .map(|p| self.abs(p))
            .collect()
    }

    fn dirs_in(&self, dir: &Path) -> Vec<PathBuf> {
        let Some(rel) = self.rel(dir) else {
            return Vec::new();
        };
        self.dirs
            .get(&rel)
            .into_iter()
            .flatten()
            .map(|p| self.abs(p))
            .collect()
    }

    fn canonical(&self, _path: &Path) -> Option<PathBuf> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_files() {
        for p in [
            "pyproject.toml",
            "svc/requirements-dev.txt",
            "requirements/base.in",
            "uv.lock",
            "constraints.txt",
            "setup.py",
            "app.egg-info/requires.txt",
            "PKG-INFO",
        ] {
            assert!(is_dependency_file(p), "{p}");
        }
        for p in ["app/main.py", "README.md", "notes.txt"] {
            assert!(!is_dependency_file(p), "{p}");
        }
    }

    #[test]
    fn a_tree_by_absolute_path() {
        let ids: HashMap<String, String> = [
            ("pyproject.toml", "a"),
            ("svc/requirements.txt", "b"),
            ("svc/app/main.py", "c"),
            ("x.egg-info/requires.txt", "d"),
        ]
        .iter()
        .map(|(p, i)| ((*p).to_owned(), (*i).to_owned()))
        .collect();
        // No blob is read: a reader whose cache already holds the dependency files.
        let blobs: HashMap<String, Blob> = ids
            .keys()
            .filter(|p| is_dependency_file(p))
            .map(|p| (p.clone(), Ok(p.as_bytes().to_vec())))
            .collect();
        let mut files: HashMap<String, BTreeSet<String>> = HashMap::new();
        let mut dirs: HashMap<String, BTreeSet<String>> = HashMap::new();
        for p in ids.keys() {
            files
                .entry(parent_of(p).to_owned())
                .or_default()
                .insert(p.clone());
            if !parent_of(p).is_empty() {
                dirs.entry(parent_of(parent_of(p)).to_owned())
                    .or_default()
                    .insert(parent_of(p).to_owned());
            }
        }
        let reader = GitManifests {
            repo: PathBuf::from("/r"),
            real_repo: PathBuf::from("/real/r"),
            ids,
            files,
            dirs,
            blobs: Mutex::new(blobs),
        };
        assert!(reader.present(Path::new("/r/pyproject.toml")));
        assert!(reader.present(Path::new("/real/r/svc/requirements.txt")));
        assert!(!reader.present(Path::new("/r/svc")));
        assert!(!reader.present(Path::new("/elsewhere/pyproject.toml")));
        assert_eq!(
            reader.files_in(Path::new("/r/svc")),
            [PathBuf::from("/r/svc/requirements.txt")]
        );
        assert_eq!(
            reader.dirs_in(Path::new("/r")),
            [PathBuf::from("/r/svc"), PathBuf::from("/r/x.egg-info")]
        );
        assert_eq!(
            reader.read(Path::new("/r/pyproject.toml"), 100, None),
            Ok(b"pyproject.toml".to_vec())
        );
        assert_eq!(
            reader.read(Path::new("/r/pyproject.toml"), 3, None),
            Err(ReadError::TooLarge { len: 14, cap: 3 })
        );
        assert_eq!(
            reader.read(Path::new("/r/missing.txt"), 100, None),
            Err(ReadError::Missing)
        );
        assert_eq!(
            reader.read(Path::new("/etc/passwd"), 100, None),
            Err(ReadError::Outside)
        );
    }
}
