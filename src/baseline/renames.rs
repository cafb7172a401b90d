//! A baseline follows renames. A file renamed since the baseline was
//! written keeps its entries: its findings are compared under the path the
//! baseline knows it by.
//!
//! When the baseline records the commit it was written at and the
//! repository still has it, git says what was renamed (`git diff -M`
//! between that commit and the work tree, as `--since` does). Otherwise (a
//! baseline written outside git, or at a commit since rebased away) a file
//! the baseline does not know is taken for a vanished one it does know when
//! most of the findings of the smaller side have the same fingerprint under
//! the old path (content match: code, symbol and node text equal).
//!
//! Only a head path with no entries of its own is mapped, and only to a
//! baseline path that is gone from the project: a baseline written after a
//! rename, or a file copied, is never remapped.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use super::{file::Baseline, git, Print};

/// `HEAD` of the repository holding `root`, when there is one with a commit.
pub fn head_commit(root: &Path) -> Option<String> {
    let repo = git::repo_root(root).ok()?;
    git::resolve(&repo, "HEAD").ok()
}

/// `path` (repository-relative) relative to the project root, if inside it.
fn project_path(repo: &Path, root: &Path, path: &str) -> Option<String> {
    let abs = repo.join(path);
    let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let real_repo = std::fs::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
    let rel = abs
        .strip_prefix(root)
        .ok()
        .map(Path::to_path_buf)
        .or_else(|| {
            real_repo
                .join(path)
                .strip_prefix(&real_root)
                .ok()
                .map(Path::to_path_buf)
        })?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// Renames git knows between the baseline's commit and the work tree:
/// new path -> old path, both project-relative. `None` when the commit is
/// not known (no commit recorded, not a repository, commit not found).
fn git_renames(baseline: &Baseline, root: &Path) -> Option<Vec<(String, String)>> {
    let commit = baseline.commit.as_deref()?;
    let repo = git::repo_root(root).ok()?;
    let commit = git::resolve(&repo, commit).ok()?;
    let changes = git::diff(&repo, &commit).ok()?;
    Some(
        changes
            .into_iter()
            .filter_map(|(new, status)| match status {
                git::Status::Renamed(old) => Some((
                    project_path(&repo, root, &new)?,
                    project_path(&repo, root, &old)?,
                )),
                _ => None,
            })
            .collect(),
    )
}

/// Beyond this many (head print, vanished path) pairs, the content match
/// compares only files of the same name.
const PAIR_BUDGET: usize = 2_000_000;

/// Head paths to compare under a baseline path: head path -> baseline path.
/// `present(rel)`: the project still has a file at that path.
pub fn follow(
    baseline: &Baseline,
    root: &Path,
    head: &[Print],
    present: &dyn Fn(&str) -> bool,
) -> BTreeMap<String, String> {
    let known: BTreeSet<&str> = baseline.entries.iter().map(|e| e.path.as_str()).collect();
    let mut by_head: BTreeMap<&str, Vec<&Print>> = BTreeMap::new();
    for p in head {
        by_head.entry(&p.path).or_default().push(p);
    }
    let candidate = |new: &str| by_head.contains_key(new) && !known.contains(new);
    let vanished: BTreeSet<&str> = known.iter().copied().filter(|p| !present(p)).collect();
    let mut out = BTreeMap::new();
    if let Some(renames) = git_renames(baseline, root) {
        for (new, old) in renames {
            if candidate(&new) && vanished.contains(old.as_str()) {
                out.insert(new, old);
            }
        }
        return out;
    }
    // Content match. Entries of each vanished path, by fingerprint (with counts).
    let mut prints_of: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for e in &baseline.entries {
        if vanished.contains(e.path.as_str()) {
            *prints_of
                .entry(&e.path)
                .or_default()
                .entry(&e.fingerprint)
                .or_insert(0) += e.count;
            *sizes.entry(&e.path).or_insert(0) += e.count;
        }
    }
    let candidates: Vec<(&str, &Vec<&Print>)> = by_head
        .iter()
        .filter(|(p, _)| candidate(p))
        .map(|(p, v)| (*p, v))
        .collect();
    let total: usize = candidates.iter().map(|(_, v)| v.len()).sum();
    let same_name_only = total.saturating_mul(vanished.len()) > PAIR_BUDGET;
    let name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_owned();
    let mut taken: HashSet<&str> = HashSet::new();
    for (new, prints) in candidates {
        let mut best: Option<(usize, &str)> = None;
        for &old in &vanished {
            if taken.contains(old) || (same_name_only && name(old) != name(new)) {
                continue;
            }
            let Some(wanted) = prints_of.get(old) else {
                continue;
            };
            let mut left = wanted.clone();
            let mut score = 0;
            for p in prints {
                let moved = p.at_path(old);
                if let Some(n) = left.get_mut(moved.fingerprint.as_str()).filter(|n| **n > 0) {
                    *n -= 1;
                    score += 1;
                }
            }
            let smaller = prints.len().min(sizes.get(old).copied().unwrap_or(0));
            if score > 0 && score * 2 > smaller && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, old));
            }
        }
        if let Some((_, old)) = best {
            taken.insert(old);
            out.insert(new.to_owned(), old.to_owned());
        }
    }
    out
}

/// `head` with the prints of renamed files under their baseline path.
pub fn apply(head: Vec<Print>, renames: &BTreeMap<String, String>) -> Vec<Print> {
    if renames.is_empty() {
        return head;
    }
    head.into_iter()
        .map(|p| match renames.get(&p.path) {
            Some(old) => p.at_path(old),
            None => p,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::Entry;

    fn print(path: &str, code: &str, symbol: &str, text: &str) -> Print {
        Print {
            path: path.into(),
            code: code.into(),
            symbol: symbol.into(),
            message: format!("{code} in {symbol}"),
            node: (text.into(), String::new()),
            ..Print::default()
        }
        .at_path(path)
    }

    fn entry(p: &Print) -> Entry {
        Entry {
            path: p.path.clone(),
            code: p.code.clone(),
            symbol: p.symbol.clone(),
            fingerprint: p.fingerprint.clone(),
            count: 1,
            message: p.message.clone(),
        }
    }

    #[test]
    fn content_match_without_a_commit() {
        let old = [
            print("app/users.py", "TYP001", "get", "Optional[int]"),
            print("app/users.py", "SEC005", "run", "eval(x)"),
            print("app/other.py", "TYP001", "f", "Optional[str]"),
        ];
        let baseline = Baseline::new(vec![], old.iter().map(entry).collect());
        let head = vec![
            print("app/accounts.py", "TYP001", "get", "Optional[int]"),
            print("app/accounts.py", "SEC005", "run", "eval(x)"),
            // a new file whose one finding looks like nothing vanished
            print("app/new.py", "TYP001", "g", "Optional[bytes]"),
            print("app/other.py", "TYP001", "f", "Optional[str]"),
        ];
        let gone = |p: &str| p != "app/users.py";
        let renames = follow(&baseline, Path::new("/nonexistent"), &head, &gone);
        assert_eq!(
            renames.into_iter().collect::<Vec<_>>(),
            [("app/accounts.py".to_owned(), "app/users.py".to_owned())]
        );
        // A path still present is never a rename's source (a copy).
        let renames = follow(&baseline, Path::new("/nonexistent"), &head, &|_| true);
        assert!(renames.is_empty());
        // One finding in common out of many is no rename.
        let mut head = head;
        for i in 0..3 {
            head.push(print(
                "app/accounts.py",
                "SEC005",
                "h",
                &format!("eval({i})"),
            ));
        }
        let renames = follow(&baseline, Path::new("/nonexistent"), &head, &gone);
        assert_eq!(renames.len(), 1, "2 of the 2 baseline entries still match");
        let mapped = apply(head, &renames);
        assert_eq!(mapped[0].fingerprint, old[0].fingerprint);
        assert_eq!(mapped[0].path, "app/users.py");
    }
}
