//! Where manifests and lockfiles are read from. A plain run reads the work
//! tree ([`Disk`], confined to the boundary); the base revision of
//! `--since` passes a reader over git objects (built in `baseline/`, which
//! this layer does not know), so both share every parser.

use std::path::{Path, PathBuf};

use crate::files::{Boundary, ReadError};

/// A tree of files by absolute path.
pub trait ManifestReader: Send + Sync + std::fmt::Debug {
    /// The bytes of the file at `path` (absolute, lexically normalised),
    /// at most `cap` of them; nothing outside `boundary` when one is given.
    fn read(
        &self,
        path: &Path,
        cap: u64,
        boundary: Option<&Boundary>,
    ) -> Result<Vec<u8>, ReadError>;

    /// Something that is not a directory is at `path`: a file, or (on
    /// disk) a link, pipe or device that reading then refuses with a reason.
    fn present(&self, path: &Path) -> bool;

    /// The entries of `dir` that are not directories, as full paths, sorted.
    fn files_in(&self, dir: &Path) -> Vec<PathBuf>;

    /// [`ManifestReader::files_in`], only the entries whose name `keep`
    /// accepts (a reader that can tell names first skips the others' stats).
    fn files_named(&self, dir: &Path, keep: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
        self.files_in(dir)
            .into_iter()
            .filter(|p| p.file_name().is_some_and(|n| keep(&n.to_string_lossy())))
            .collect()
    }

    /// The directories in `dir`, as full paths, sorted.
    fn dirs_in(&self, dir: &Path) -> Vec<PathBuf>;

    /// Another name of the same file, when the tree has links (so an
    /// include graph through a link reads each file once).
    fn canonical(&self, path: &Path) -> Option<PathBuf>;
}

/// The work tree.
#[derive(Debug, Clone, Copy, Default)]
pub struct Disk;

impl ManifestReader for Disk {
    fn read(
        &self,
        path: &Path,
        cap: u64,
        boundary: Option<&Boundary>,
    ) -> Result<Vec<u8>, ReadError> {
        match boundary {
            Some(b) => crate::files::read_confined(path, cap, b),
            None => crate::files::read_bounded(path, cap),
        }
    }

    fn present(&self, path: &Path) -> bool {
        path.symlink_metadata().is_ok() && !path.is_dir()
    }

    fn files_in(&self, dir: &Path) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| self.present(p))
            .collect();
        out.sort();
        out
    }

    fn files_named(&self, dir: &Path, keep: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| keep(&e.file_name().to_string_lossy()))
            .map(|e| e.path())
            .filter(|p| self.present(p))
            .collect();
        out.sort();
        out
    }

    fn dirs_in(&self, dir: &Path) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        out.sort();
        out
    }

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        std::fs::canonicalize(path).ok()
    }
}

/// A shared reader; the work tree unless told otherwise.
#[derive(Debug, Clone)]
pub struct Reader(pub std::sync::Arc<dyn ManifestReader>);

impl Default for Reader {
    fn default() -> Reader {
        Reader(std::sync::Arc::new(Disk))
    }
}

impl std::ops::Deref for Reader {
    type Target = dyn ManifestReader;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}
