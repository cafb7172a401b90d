//! File discovery: gitignore-aware, honouring the exclusion globs, following
//! symlinks (loops and dangling links are reported, never fatal).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use ignore::WalkBuilder;

use crate::config::{ConfigError, Settings};
use crate::context::FileInfo;

/// A path that could not be walked (symlink loop, permission denied on a directory, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkError {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Discovered {
    /// Sorted by display path, no duplicates.
    pub files: Vec<FileInfo>,
    /// Python files found but not readable as files (dangling symlinks): reported as SYN002.
    pub broken: Vec<(FileInfo, String)>,
    pub errors: Vec<WalkError>,
}

pub fn is_python_path(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("py" | "pyi")
    )
}

/// Lexically absolute, normalised path (no filesystem access, symlinks kept).
pub fn absolutize(path: &Path, cwd: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    for comp in joined.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn slash(path: &Path) -> String {
    let s = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// `path` relative to `base` when below it, `/`-separated.
pub fn relative_to(path: &Path, base: &Path) -> Option<String> {
    path.strip_prefix(base).ok().map(slash)
}

/// Test code by the default conventions (see `testconf`); a run uses `settings.tests`.
pub fn is_test_path(rel: &str) -> bool {
    crate::testconf::defaults().is_test_file(rel)
}

pub struct Walker<'a> {
    pub settings: &'a Settings,
    pub cwd: PathBuf,
}

impl Walker<'_> {
    /// A file table entry for a file found otherwise (a manifest a rule read).
    pub fn file_info(&self, path: PathBuf) -> FileInfo {
        self.info(absolutize(&path, &self.cwd))
    }

    fn info(&self, abs: PathBuf) -> FileInfo {
        let display = relative_to(&abs, &self.cwd).unwrap_or_else(|| slash(&abs));
        let rel = relative_to(&abs, &self.settings.root).unwrap_or_else(|| display.clone());
        let is_test = self.settings.tests.is_test_file(&rel);
        FileInfo {
            path: abs,
            display,
            rel,
            is_test,
        }
    }

    pub fn discover(&self, paths: &[PathBuf]) -> Result<Discovered, ConfigError> {
        let mut found: BTreeMap<PathBuf, FileInfo> = BTreeMap::new();
        let mut broken = Vec::new();
        let mut errors = Vec::new();
        let mut roots = Vec::new();
        for path in paths {
            let abs = absolutize(path, &self.cwd);
            match std::fs::metadata(&abs) {
                Ok(meta) if meta.is_dir() => roots.push(abs),
                Ok(meta) if meta.is_file() => {
                    found.insert(abs.clone(), self.info(abs));
                }
                Ok(meta) => {
                    broken.push((self.info(abs), not_regular_reason(&meta.file_type())));
                }
                Err(e) if abs.symlink_metadata().is_ok() => {
                    broken.push((self.info(abs), broken_link_reason(&e)));
                }
                Err(e) => {
                    return Err(ConfigError(format!(
                        "error: {}: {}",
                        path.display(),
                        if e.kind() == std::io::ErrorKind::NotFound {
                            "no such file or directory".to_owned()
                        } else {
                            e.to_string()
                        }
                    )))
                }
            }
        }
        for root in roots {
            let exclude = self.settings.exclude.clone();
            let project_root = self.settings.root.clone();
            let walk_root = root.clone();
            // Inside a repository, git's own rule: ignore files above its root do
            // not count. `require_git(false)` would apply them all the way up to
            // `/`, so it is kept for trees that are not in a repository at all.
            let in_repository = root
                .ancestors()
                .any(|dir| dir.join(".git").exists() || dir.join(".jj").is_dir());
            let walker = WalkBuilder::new(&root)
                .hidden(false)
                .parents(true)
                .ignore(true)
                .git_ignore(true)
                .git_global(false)
                .git_exclude(true)
                .require_git(in_repository)
                .follow_links(true)
                .sort_by_file_path(|a, b| a.cmp(b))
                .filter_entry(move |entry| {
                    if entry.depth() == 0 {
                        return true;
                    }
                    let rel = relative_to(entry.path(), &project_root)
                        .or_else(|| relative_to(entry.path(), &walk_root))
                        .unwrap_or_default();
                    !exclude.matches_entry(&rel)
                })
                .build();
            for result in walker {
                match result {
                    Ok(entry) => {
                        let Some(file_type) = entry.file_type() else {
                            continue;
                        };
                        if file_type.is_dir() || !is_python_path(entry.path()) {
                            continue;
                        }
                        let abs = absolutize(entry.path(), &self.cwd);
                        if file_type.is_file() {
                            found.entry(abs.clone()).or_insert_with(|| self.info(abs));
                        } else {
                            // A named pipe, socket or device: reading it could
                            // block forever, so it is reported, never opened.
                            broken.push((self.info(abs), not_regular_reason(&file_type)));
                        }
                    }
                    Err(err) => {
                        let path = error_path(&err);
                        let message = error_message(&err, &self.cwd);
                        match path {
                            Some(p)
                                if is_python_path(&p)
                                    && p.symlink_metadata()
                                        .is_ok_and(|m| m.file_type().is_symlink()) =>
                            {
                                if let Err(e) = std::fs::metadata(&p) {
                                    let abs = absolutize(&p, &self.cwd);
                                    broken.push((self.info(abs), broken_link_reason(&e)));
                                } else {
                                    errors.push(WalkError {
                                        path: relative_to(&absolutize(&p, &self.cwd), &self.cwd)
                                            .unwrap_or_else(|| slash(&p)),
                                        message,
                                    });
                                }
                            }
                            Some(p) => errors.push(WalkError {
                                path: relative_to(&absolutize(&p, &self.cwd), &self.cwd)
                                    .unwrap_or_else(|| slash(&p)),
                                message,
                            }),
                            None => errors.push(WalkError {
                                path: slash(&root),
                                message,
                            }),
                        }
                    }
                }
            }
        }
        let mut files: Vec<FileInfo> = found.into_values().collect();
        files.sort_by(|a, b| a.display.cmp(&b.display));
        broken.sort_by(|a, b| a.0.display.cmp(&b.0.display));
        broken.dedup_by(|a, b| a.0.path == b.0.path);
        errors.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
        errors.dedup();
        Ok(Discovered {
            files,
            broken,
            errors,
        })
    }
}

/// Why a symbolic link that exists cannot be followed.
fn broken_link_reason(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        "dangling symbolic link".to_owned()
    } else {
        // A link to itself or a cycle of links: ELOOP.
        format!("symbolic link cannot be followed: {e}")
    }
}

/// Why a path that exists is not checked as a file.
pub fn not_regular_reason(file_type: &std::fs::FileType) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let what = if file_type.is_fifo() {
            Some("a named pipe")
        } else if file_type.is_socket() {
            Some("a socket")
        } else if file_type.is_block_device() || file_type.is_char_device() {
            Some("a device")
        } else {
            None
        };
        if let Some(what) = what {
            return format!("not a regular file ({what})");
        }
    }
    if file_type.is_dir() {
        return "is a directory".to_owned();
    }
    "not a regular file".to_owned()
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } => error_path(err),
        ignore::Error::WithLineNumber { err, .. } => error_path(err),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::Partial(errs) => errs.iter().find_map(error_path),
        _ => None,
    }
}

fn error_message(err: &ignore::Error, cwd: &Path) -> String {
    match err {
        ignore::Error::WithPath { err, .. } => error_message(err, cwd),
        ignore::Error::WithDepth { err, .. } => error_message(err, cwd),
        ignore::Error::Loop { ancestor, .. } => {
            let ancestor = absolutize(ancestor, cwd);
            let shown = match relative_to(&ancestor, cwd) {
                Some(rel) if rel.is_empty() => ".".to_owned(),
                Some(rel) => rel,
                None => slash(&ancestor),
            };
            format!("symbolic link loop back to {shown}; not followed")
        }
        ignore::Error::Io(e) => e.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_paths() {
        assert!(is_test_path("tests/unit/helpers.py"));
        assert!(is_test_path("app/test_orders.py"));
        assert!(is_test_path("app/orders_test.py"));
        assert!(is_test_path("conftest.py"));
        assert!(!is_test_path("app/testing.py"));
        assert!(!is_test_path("app/contest.py"));
    }

    #[test]
    fn absolutize_is_lexical() {
        assert_eq!(
            absolutize(Path::new("./a/../b/c.py"), Path::new("/w")),
            PathBuf::from("/w/b/c.py")
        );
    }
}
