//! File discovery: gitignore-aware, honouring the exclusion globs, following
//! symlinks (loops and dangling links are reported, never fatal).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::WalkBuilder;

use crate::config::{ConfigError, Settings};
use crate::files::Boundary;
use crate::files::FileInfo;
pub use crate::paths::{absolutize, relative_to};
use crate::paths::{escaped, slash};

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
    /// Python files the configuration's exclusions left out (tracked files
    /// in a repository; outside one, the entries excluded by name).
    pub excluded: usize,
}

pub fn is_python_path(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("py" | "pyi")
    )
}

pub struct Walker<'a> {
    pub settings: &'a Settings,
    pub cwd: PathBuf,
    /// Nothing outside it is read (see [`crate::files`]).
    pub boundary: Boundary,
}

/// Why an entry is reported instead of read: it leaves the project.
pub const LEAVES_PROJECT: &str =
    "symbolic link leaves the project (its target is outside the checked tree); not followed";

impl Walker<'_> {
    /// A file table entry for a file found otherwise (a manifest a rule read).
    pub fn file_info(&self, path: PathBuf) -> FileInfo {
        self.info(absolutize(&path, &self.cwd))
    }

    fn info(&self, abs: PathBuf) -> FileInfo {
        let display = relative_to(&abs, &self.cwd).unwrap_or_else(|| slash(&abs));
        let rel =
            relative_to(&abs, &self.settings.project().root).unwrap_or_else(|| display.clone());
        let is_test = self.settings.project().tests.is_test_file(&rel);
        FileInfo {
            path: abs,
            display,
            rel,
            is_test,
        }
    }

    /// The path relative to the project root (else to `walk_root`), for the exclusion globs.
    fn rel_for_globs(&self, path: &Path, walk_root: &Path) -> String {
        relative_to(path, &self.settings.project().root)
            .or_else(|| relative_to(path, walk_root))
            .unwrap_or_default()
    }

    pub fn discover(&self, paths: &[PathBuf]) -> Result<Discovered, ConfigError> {
        let mut found: HashMap<PathBuf, FileInfo> = HashMap::new();
        let mut broken = Vec::new();
        let mut errors = Vec::new();
        let mut roots = Vec::new();
        let mut excluded = 0usize;
        for path in paths {
            let abs = absolutize(path, &self.cwd);
            // `--force-exclude`: a named path the configuration excludes is
            // left out like a discovered one (pre-commit names every file).
            if self.settings.force_exclude
                && self
                    .settings
                    .exclude
                    .matches_path(&self.rel_for_globs(&abs, &self.cwd))
            {
                if is_python_path(&abs) {
                    excluded += 1;
                }
                continue;
            }
            match std::fs::metadata(&abs) {
                Ok(_) if !self.boundary.contains(&abs) => {
                    broken.push((self.info(abs), LEAVES_PROJECT.to_owned()));
                }
                Ok(meta) if meta.is_dir() => roots.push(abs),
                Ok(_) if abs.to_str().is_none() => {
                    broken.push((self.info(abs.clone()), non_utf8_reason(&abs)));
                }
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
            // Inside a repository, ignore files only skip untracked files:
            // the tracked ones are added back below. Where git itself cannot
            // be run, that cannot be told, and the run says so.
            let tracked = match crate::files::repository_root(&root) {
                Some(repo) => match tracked_files(&repo, &root) {
                    Tracked::Listed(files) => Some(files),
                    Tracked::NotARepository => None,
                    Tracked::NoGit(why) => {
                        eprintln!("fortress: warning: {why}; files that git tracks but an ignore file lists are not checked");
                        None
                    }
                },
                None => None,
            };
            // git's own rule: ignore files above the repository root do not
            // count. `require_git(false)` would apply them all the way up to
            // `/`, so it is kept for trees that are not in a repository at all.
            let in_repository = root
                .ancestors()
                .any(|dir| dir.join(".git").exists() || dir.join(".jj").is_dir());
            let exclude = self.settings.exclude.clone();
            let project_root = self.settings.project().root.clone();
            let walk_root = root.clone();
            let boundary = self.boundary.clone();
            let left: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
            let left_in_filter = Arc::clone(&left);
            let excluded_in_filter: Arc<Mutex<usize>> = Arc::default();
            let excluded_count = Arc::clone(&excluded_in_filter);
            let counting = tracked.is_none();
            let walker = WalkBuilder::new(&root)
                .hidden(false)
                .parents(true)
                .ignore(true)
                .git_ignore(true)
                .git_global(false)
                .git_exclude(true)
                .require_git(in_repository)
                .follow_links(true)
                // Not sorted: the files, broken files and errors found are
                // sorted below, and the walk's own order decides nothing
                // (sorting each directory's entries cost as much as the rest
                // of a warm run's discovery).
                .filter_entry(move |entry| {
                    if entry.depth() == 0 {
                        return true;
                    }
                    let rel = relative_to(entry.path(), &project_root)
                        .or_else(|| relative_to(entry.path(), &walk_root))
                        .unwrap_or_default();
                    if exclude.matches_entry(&rel) {
                        if counting && is_python_path(entry.path()) {
                            if let Ok(mut n) = excluded_in_filter.lock() {
                                *n += 1;
                            }
                        }
                        return false;
                    }
                    if entry.path_is_symlink() && !boundary.contains(entry.path()) {
                        if let Ok(mut v) = left_in_filter.lock() {
                            v.push(entry.path().to_path_buf());
                        }
                        return false;
                    }
                    true
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
                        if abs.to_str().is_none() {
                            broken.push((self.info(abs.clone()), non_utf8_reason(&abs)));
                        } else if file_type.is_file() {
                            found.entry(abs.clone()).or_insert_with(|| self.info(abs));
                        } else {
                            // A named pipe, socket or device: reading it could
                            // block forever, so it is reported, never opened.
                            broken.push((self.info(abs), not_regular_reason(&file_type)));
                        }
                    }
                    Err(err) => self.walk_error(&err, &root, &mut broken, &mut errors),
                }
            }
            if let Ok(mut n) = excluded_count.lock() {
                excluded += std::mem::take(&mut *n);
            }
            if let Ok(mut v) = left.lock() {
                for link in v.drain(..) {
                    let abs = absolutize(&link, &self.cwd);
                    let is_dir = link.symlink_metadata().is_ok()
                        && std::fs::metadata(&link).is_ok_and(|m| m.is_dir());
                    // Python files and directories are what a walk would have read.
                    if is_dir || is_python_path(&link) {
                        broken.push((self.info(abs), LEAVES_PROJECT.to_owned()));
                    }
                }
            }
            for file in tracked.unwrap_or_default() {
                if !is_python_path(&file) {
                    continue;
                }
                let abs = absolutize(&file, &self.cwd);
                if found.contains_key(&abs) {
                    continue;
                }
                let rel = self.rel_for_globs(&abs, &root);
                if self.settings.exclude.matches_path(&rel) {
                    excluded += 1;
                    continue;
                }
                // Tracked, not excluded by fortress's configuration, but hidden
                // from the walk by an ignore file: checked all the same.
                match abs.symlink_metadata() {
                    Ok(_) if !self.boundary.contains(&abs) => {
                        broken.push((self.info(abs), LEAVES_PROJECT.to_owned()));
                    }
                    Ok(meta) if meta.is_file() => {
                        found.insert(abs.clone(), self.info(abs));
                    }
                    Ok(meta) if meta.file_type().is_symlink() => match std::fs::metadata(&abs) {
                        Ok(target) if target.is_file() => {
                            found.insert(abs.clone(), self.info(abs));
                        }
                        Ok(target) => {
                            broken.push((self.info(abs), not_regular_reason(&target.file_type())))
                        }
                        Err(e) => broken.push((self.info(abs), broken_link_reason(&e))),
                    },
                    // Deleted in the work tree, a directory (submodule), ...: nothing to read.
                    _ => {}
                }
            }
        }
        let mut files: Vec<FileInfo> = found.into_values().collect();
        files.sort_by(|a, b| (&a.display, &a.path).cmp(&(&b.display, &b.path)));
        broken.sort_by(|a, b| a.0.display.cmp(&b.0.display));
        broken.dedup_by(|a, b| a.0.path == b.0.path);
        let unread: std::collections::HashSet<&Path> =
            broken.iter().map(|(b, _)| b.path.as_path()).collect();
        let files: Vec<FileInfo> = files
            .into_iter()
            .filter(|f| !unread.contains(f.path.as_path()))
            .collect();
        errors.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
        errors.dedup();
        Ok(Discovered {
            files,
            broken,
            errors,
            excluded,
        })
    }

    fn walk_error(
        &self,
        err: &ignore::Error,
        root: &Path,
        broken: &mut Vec<(FileInfo, String)>,
        errors: &mut Vec<WalkError>,
    ) {
        let path = error_path(err);
        let message = error_message(err, &self.cwd);
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
                path: slash(root),
                message,
            }),
        }
    }
}

enum Tracked {
    /// Absolute paths of the files git tracks under the directory.
    Listed(Vec<PathBuf>),
    /// git ran and says this is no repository (a stray `.git`).
    NotARepository,
    /// git could not be run at all.
    NoGit(String),
}

/// The files git tracks under `dir`, from `git ls-files` (the git command
/// line reads the index; nothing of the checked tree is run: fsmonitor
/// hooks are switched off).
fn tracked_files(repo: &Path, dir: &Path) -> Tracked {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.fsmonitor=false", "ls-files", "-z", "--cached"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) => {
            return Tracked::NoGit(format!(
                "cannot run git to list the files tracked in {}: {e}",
                slash(repo)
            ))
        }
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("not a git repository") {
            return Tracked::NotARepository;
        }
        // Dubious ownership, a corrupt index, ...: git's first line says which.
        let first = stderr.lines().next().unwrap_or("").trim().to_owned();
        return Tracked::NoGit(format!(
            "git cannot list the files tracked in {} ({first})",
            slash(repo)
        ));
    }
    // Paths are relative to `dir`, the directory git ran in.
    Tracked::Listed(
        output
            .stdout
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| dir.join(os_path(p)))
            .collect(),
    )
}

#[cfg(unix)]
fn os_path(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn os_path(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// A file name that is not valid UTF-8 cannot be shown or annotated
/// faithfully: it is reported with its bytes escaped, never read.
fn non_utf8_reason(path: &Path) -> String {
    format!(
        "file name is not valid UTF-8 ({}); rename it to check it",
        escaped(path)
    )
}

/// Why a symbolic link that exists cannot be followed.
fn broken_link_reason(e: &std::io::Error) -> String {
    crate::files::broken_link(e).to_string()
}

pub use crate::files::not_regular_reason;

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
