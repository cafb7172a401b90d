//! The distributions a change added to the manifests (DEP005): the head's
//! declarations (read from the work tree) against the base revision's
//! (read from git objects through [`GitManifests`], as the `--since`
//! comparison of the other DEP rules does), compared by PEP 503 name.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use crate::baseline::manifests::GitManifests;
use crate::config::{ConfigError, Settings};
use crate::engine::RunResult;
use crate::project::deps::manifest::Group;
use crate::project::deps::{self, names::normalize, tree::Reader};
use crate::testreport::AddedDependency;

fn group_label(group: &Group) -> String {
    match group {
        Group::Runtime => "runtime".to_owned(),
        Group::Optional(extra) => format!("optional (extra `{extra}`)"),
        Group::Dev(name) => format!("development (`{name}`)"),
    }
}

/// Every distribution some manifest of `model` declares, normalised.
fn declared(model: &deps::Model) -> BTreeSet<String> {
    model
        .scopes
        .iter()
        .flat_map(|s| s.decl.declared.iter())
        .map(|d| normalize(&d.name))
        .collect()
}

/// The head's declarations of distributions the base revision `tree`
/// (path -> blob of the repository at `repo`) did not declare anywhere.
pub fn added(
    settings: &Settings,
    result: &RunResult,
    repo: &Path,
    tree: &HashMap<String, String>,
) -> Result<Vec<AddedDependency>, ConfigError> {
    let root = &settings.project().root;
    let files = &result.files[..result.python_files];
    let real_repo = std::fs::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
    let base_reader = Reader(Arc::new(GitManifests::new(repo, &real_repo, tree)?));
    let base = deps::Model::build_from(files, root, &result.boundary, base_reader);
    let head = deps::Model::build(files, root, &result.boundary);
    let known = declared(&base);
    let mut out: Vec<AddedDependency> = Vec::new();
    for scope in &head.scopes {
        for d in &scope.decl.declared {
            let name = normalize(&d.name);
            if known.contains(&name) {
                continue;
            }
            let Some(source) = head.sources.files.get(d.file) else {
                continue;
            };
            let upto = d.span.start.min(source.source.len());
            let line = source.source.as_bytes()[..upto]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u32
                + 1;
            let shown = crate::paths::relative_to(&source.path, root)
                .unwrap_or_else(|| source.path.display().to_string());
            let added = AddedDependency {
                name,
                written: d.written.clone(),
                group: group_label(&d.group),
                manifest: source.path.clone(),
                shown,
                line,
            };
            if !out.contains(&added) {
                out.push(added);
            }
        }
    }
    out.sort_by(|a, b| (&a.shown, a.line, &a.name).cmp(&(&b.shown, b.line, &b.name)));
    Ok(out)
}
