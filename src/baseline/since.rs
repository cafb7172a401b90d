//! `--since REF`: the findings of the base revision, without checking it out.
//!
//! Files the change left alone keep the outcome of the head run (findings,
//! suppressions, facts); changed, renamed and deleted files are read from
//! git objects and checked again; then the project rules run on the base's
//! facts (imports of every file), so a new import that closes a cycle is
//! new even though the cycle is reported in a file the change did not
//! touch. A renamed file's base findings carry its new path.
//!
//! Manifests and lockfiles are read from the base's git objects too
//! ([`super::manifests`]), so a change that edits them is judged by what
//! the base declared; the virtualenv is the one on disk for both.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::{fingerprint, git, Entry};
use crate::config::{ConfigError, Settings};
use crate::engine::discover::{is_python_path, Walker};
use crate::engine::{FileOutcome, Input, RunResult};
use crate::files::FileInfo;

/// The base of a change.
pub struct Base {
    /// The base findings, by identity (paths of renamed files are the new ones).
    pub entries: Vec<Entry>,
    /// Per head file: the change added, modified or renamed it.
    pub touched: Vec<bool>,
    /// Lines to show the user (e.g. why DEP findings all count as new).
    pub notes: Vec<String>,
    /// The commit compared with.
    pub commit: String,
    /// The configuration file to compare (the head's, else the one the
    /// base had at the project root) and its text at the base, if any.
    pub config: Option<(PathBuf, Option<String>)>,
    /// Head files (by project-relative path) whose base text already had a
    /// `# fortress: ignore-file` comment: CFG001 reports only new ones.
    pub ignore_file_at_base: HashSet<String>,
}

/// Where the checked files' repository is.
fn start_dir(paths: &[PathBuf], cwd: &Path) -> PathBuf {
    let first = paths
        .first()
        .map(|p| crate::paths::absolutize(p, cwd))
        .unwrap_or_else(|| cwd.to_path_buf());
    if first.is_dir() {
        first
    } else {
        first
            .parent()
            .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf)
    }
}

/// The path of `abs` below `repo`, `/`-separated; links in either resolved
/// when the plain prefix does not match.
fn repo_path(abs: &Path, repo: &Path, real_repo: &Path) -> Option<String> {
    let rel = abs
        .strip_prefix(repo)
        .ok()
        .map(Path::to_path_buf)
        .or_else(|| {
            let real = std::fs::canonicalize(abs).ok().or_else(|| {
                let parent = std::fs::canonicalize(abs.parent()?).ok()?;
                Some(parent.join(abs.file_name()?))
            })?;
            real.strip_prefix(real_repo).ok().map(Path::to_path_buf)
        })?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// Per head file, whether it changed since `commit` (added, modified,
/// renamed, or not tracked there): a baseline's commit seen as the base of
/// the test gate's change. Fails when `commit` is not in the repository
/// (a shallow clone) or the files are not in one.
pub fn touched_since(
    paths: &[PathBuf],
    cwd: &Path,
    head: &RunResult,
    commit: &str,
) -> Result<Vec<bool>, ConfigError> {
    let repo = git::repo_root(&start_dir(paths, cwd))?;
    let real_repo = std::fs::canonicalize(&repo).unwrap_or_else(|_| repo.clone());
    let commit = git::resolve(&repo, commit)?;
    let tree = git::tree(&repo, &commit)?;
    let changed: HashSet<String> = git::diff(&repo, &commit)?
        .into_iter()
        .filter(|(_, status)| !matches!(status, git::Status::Deleted))
        .map(|(path, _)| path)
        .collect();
    Ok(head.files[..head.python_files]
        .iter()
        .map(|info| match repo_path(&info.path, &repo, &real_repo) {
            Some(path) => changed.contains(&path) || !tree.contains_key(&path),
            None => true,
        })
        .collect())
}

/// The base findings at `commit` for a head run over `paths`.
#[allow(clippy::too_many_arguments)]
pub fn base(
    settings: &Settings,
    paths: &[PathBuf],
    cwd: &Path,
    threads: Option<usize>,
    head: &RunResult,
    head_prints: &[super::Print],
    kept: Vec<FileOutcome>,
    rev: &str,
) -> Result<Base, ConfigError> {
    let repo = git::repo_root(&start_dir(paths, cwd))?;
    let real_repo = std::fs::canonicalize(&repo).unwrap_or_else(|_| repo.clone());
    let commit = if rev == "auto" {
        git::auto_base(&repo)?
    } else {
        git::resolve(&repo, rev)?
    };
    let tree = git::tree(&repo, &commit)?;
    let changes = git::diff(&repo, &commit)?;

    let mut renamed_from: HashMap<&str, &str> = HashMap::new();
    let mut modified: HashSet<&str> = HashSet::new();
    let mut deleted: Vec<&str> = Vec::new();
    for (path, status) in &changes {
        match status {
            git::Status::Renamed(old) => {
                renamed_from.insert(path, old);
            }
            git::Status::Modified => {
                modified.insert(path);
            }
            git::Status::Deleted => deleted.push(path),
            git::Status::Added => {}
        }
    }

    let walker = Walker {
        settings,
        cwd: cwd.to_path_buf(),
        boundary: head.boundary.clone(),
    };
    // (info, where it comes from, the path its findings are known by)
    let mut inputs: Vec<(FileInfo, Input, String)> = Vec::new();
    let mut wanted: Vec<(usize, String)> = Vec::new(); // input index, blob id
    let mut touched = vec![false; head.files.len()];
    let mut kept = kept.into_iter().map(Some).collect::<Vec<_>>();
    for (i, info) in head.files[..head.python_files].iter().enumerate() {
        let Some(path) = repo_path(&info.path, &repo, &real_repo) else {
            touched[i] = true;
            continue;
        };
        let base_path = match renamed_from.get(path.as_str()) {
            Some(old) => Some((*old).to_owned()),
            None if modified.contains(path.as_str()) => Some(path.clone()),
            None if tree.contains_key(&path) => {
                // Unchanged: the head run's outcome is the base's.
                if let Some(outcome) = kept.get_mut(i).and_then(Option::take) {
                    inputs.push((
                        info.clone(),
                        Input::Done(Box::new(outcome)),
                        info.rel.clone(),
                    ));
                }
                continue;
            }
            // Added, or not tracked at all.
            None => None,
        };
        touched[i] = true;
        if let Some(base_path) = base_path {
            if let Some(id) = tree.get(&base_path) {
                let base_info = walker.file_info(repo.join(&base_path));
                wanted.push((inputs.len(), id.clone()));
                inputs.push((base_info, Input::Bytes(Vec::new()), info.rel.clone()));
            }
        }
    }
    // Deleted files the head run would have checked.
    let roots: Vec<PathBuf> = paths
        .iter()
        .map(|p| crate::paths::absolutize(p, cwd))
        .collect();
    for path in deleted {
        let abs = repo.join(path);
        let inside = roots
            .iter()
            .any(|r| abs.starts_with(r) || real_repo.join(path).starts_with(r));
        if !is_python_path(&abs) || !inside {
            continue;
        }
        let info = walker.file_info(abs);
        if settings.exclude.matches_path(&info.rel) {
            continue;
        }
        if let Some(id) = tree.get(path) {
            wanted.push((inputs.len(), id.clone()));
            let rel = info.rel.clone();
            inputs.push((info, Input::Bytes(Vec::new()), rel));
        }
    }
    let ids: Vec<String> = wanted.iter().map(|(_, id)| id.clone()).collect();
    let mut ignore_file_at_base: HashSet<String> = HashSet::new();
    for ((at, _), blob) in wanted
        .iter()
        .zip(git::blobs(&repo, &ids, settings.max_file_size)?)
    {
        inputs[*at].1 = match blob {
            Ok(bytes) => {
                if super::weakened::has_ignore_file(&bytes) {
                    ignore_file_at_base.insert(inputs[*at].2.clone());
                }
                Input::Bytes(bytes)
            }
            Err(len) => Input::TooLarge(len),
        };
    }
    inputs.sort_by(|a, b| a.0.display.cmp(&b.0.display));
    let mut ident: Vec<String> = Vec::with_capacity(inputs.len());
    let files: Vec<(FileInfo, Input)> = inputs
        .into_iter()
        .map(|(info, input, id)| {
            ident.push(id);
            (info, input)
        })
        .collect();
    let manifests = super::manifests::GitManifests::new(&repo, &real_repo, &tree)?;
    let manifests = crate::project::deps::tree::Reader(std::sync::Arc::new(manifests));
    let result = crate::engine::run_inputs(
        settings,
        cwd,
        head.boundary.clone(),
        threads,
        files,
        manifests,
    )?;
    let path_of = |f: usize| {
        ident
            .get(f)
            .cloned()
            .unwrap_or_else(|| result.files[f].rel.clone())
    };
    // Unchanged files' findings mostly are the head's: no parse for those.
    let known = fingerprint::known(head, head_prints);
    let prints = fingerprint::prints_reusing(&result, &path_of, &known);
    let notes = Vec::new();
    let config = base_config(settings, &repo, &real_repo, &tree)?;
    Ok(Base {
        entries: super::entries(&prints),
        touched,
        notes,
        commit,
        config,
        ignore_file_at_base,
    })
}

/// The configuration file CFG001 compares, with its base text.
fn base_config(
    settings: &Settings,
    repo: &Path,
    real_repo: &Path,
    tree: &HashMap<String, String>,
) -> Result<Option<(PathBuf, Option<String>)>, ConfigError> {
    let root = &settings.project().root;
    let candidates: Vec<PathBuf> = match &settings.config_path {
        Some(p) => vec![crate::paths::absolutize(p, root)],
        None => vec![root.join("fortress.toml"), root.join("pyproject.toml")],
    };
    let explicit = settings.config_path.is_some();
    for path in candidates {
        let Some(id) = repo_path(&path, repo, real_repo).and_then(|p| tree.get(&p)) else {
            if explicit {
                return Ok(Some((path, None)));
            }
            continue;
        };
        let text = match git::blobs(repo, std::slice::from_ref(id), crate::files::CONFIG_CAP)?.pop()
        {
            Some(Ok(bytes)) => String::from_utf8(bytes).ok(),
            _ => None,
        };
        return Ok(Some((path, text)));
    }
    Ok(None)
}
