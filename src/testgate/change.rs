//! What a `--since` change did to the checked files, for the
//! test-enforcement rules: the lines it added or modified in each touched
//! file (`git diff -U0`; a file git does not track is new as a whole) and
//! the base text of the test files it touched or deleted.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::Since;
use crate::baseline::{git, lines};
use crate::config::{ConfigError, Settings};
use crate::engine::RunResult;
use crate::testreport::{ChangeSet, Lines};

/// `abs` below `dir`, `/`-separated; links resolved when the plain prefix
/// does not match (a deleted file: its directory's).
fn below(abs: &Path, dir: &Path) -> Option<String> {
    if let Ok(rel) = abs.strip_prefix(dir) {
        return Some(crate::paths::slash(rel));
    }
    let real = std::fs::canonicalize(abs).ok().or_else(|| {
        let parent = std::fs::canonicalize(abs.parent()?).ok()?;
        Some(parent.join(abs.file_name()?))
    })?;
    let real_dir = std::fs::canonicalize(dir).ok()?;
    real.strip_prefix(&real_dir).ok().map(crate::paths::slash)
}

pub fn build(
    settings: &Settings,
    result: &RunResult,
    since: &Since<'_>,
) -> Result<ChangeSet, ConfigError> {
    let root = &settings.project().root;
    let start = result
        .files
        .first()
        .and_then(|f| f.path.parent())
        .unwrap_or(root.as_path());
    let repo = git::repo_root(start)?;
    let changed = lines::changed_lines(&repo, since.commit)?;
    let mut files = BTreeMap::new();
    // (repository path, project-relative path, is a test) of touched head files.
    let mut touched: Vec<(String, String, bool)> = Vec::new();
    for (i, info) in result.files[..result.python_files].iter().enumerate() {
        if !since.touched.get(i).copied().unwrap_or(false) {
            continue;
        }
        let repo_rel = below(&info.path, &repo);
        let lines = match repo_rel.as_ref().and_then(|p| changed.get(p)) {
            Some(set) => Lines::Some(set.clone()),
            None => Lines::All,
        };
        if let Some(p) = repo_rel {
            let is_test = settings.project().tests.is_test_file(&info.rel);
            touched.push((p, info.rel.clone(), is_test));
        }
        files.insert(info.rel.clone(), lines);
    }

    // The base text of touched files and of deleted test files.
    let tree = git::tree(&repo, since.commit)?;
    let statuses = git::diff(&repo, since.commit)?;
    let renamed_from: HashMap<&str, &str> = statuses
        .iter()
        .filter_map(|(path, s)| match s {
            git::Status::Renamed(old) => Some((path.as_str(), old.as_str())),
            _ => None,
        })
        .collect();
    let project_rel = |repo_path: &str| below(&repo.join(repo_path), root);
    // (base rel, head rel, blob, is a test)
    let mut wanted: Vec<(String, Option<String>, String, bool)> = Vec::new();
    for (repo_path, head_rel, is_test) in &touched {
        let base_path = renamed_from
            .get(repo_path.as_str())
            .copied()
            .unwrap_or(repo_path);
        if let (Some(id), Some(base_rel)) = (tree.get(base_path), project_rel(base_path)) {
            wanted.push((base_rel, Some(head_rel.clone()), id.clone(), *is_test));
        }
    }
    for (path, status) in &statuses {
        if *status != git::Status::Deleted
            || !crate::engine::discover::is_python_path(Path::new(path))
        {
            continue;
        }
        let Some(base_rel) = project_rel(path) else {
            continue;
        };
        if base_rel.starts_with("..") || !settings.project().tests.is_test_file(&base_rel) {
            continue;
        }
        if let Some(id) = tree.get(path) {
            wanted.push((base_rel, None, id.clone(), true));
        }
    }
    let ids: Vec<String> = wanted.iter().map(|w| w.2.clone()).collect();
    let mut base_tests = BTreeMap::new();
    let mut base_sources = BTreeMap::new();
    for ((base_rel, head_rel, _, is_test), blob) in
        wanted
            .into_iter()
            .zip(git::blobs(&repo, &ids, settings.max_file_size)?)
    {
        if let Ok(bytes) = blob {
            if let Ok(text) = crate::source::decode(&bytes) {
                if let Some(head) = &head_rel {
                    base_sources.insert(head.clone(), text.clone());
                }
                if is_test {
                    base_tests.insert(base_rel, (head_rel, text));
                }
            }
        }
    }
    // DEP005's input: only read when the rule runs.
    let dep005 = crate::rules::index_of(crate::rules::dependencies::new_dependency::META.code)
        .and_then(|i| settings.enabled.get(i).copied())
        .unwrap_or(false);
    let added_dependencies = if dep005 {
        super::dependencies::added(settings, result, &repo, &tree)?
    } else {
        Vec::new()
    };
    Ok(ChangeSet {
        base: since.commit.to_owned(),
        files,
        base_tests,
        base_sources,
        added_dependencies,
    })
}
