//! The git command line, for `--since`: resolve a revision, list its tree,
//! diff it against the work tree (renames followed) and read its blobs.
//! Nothing is checked out and nothing is written: optional locks are off
//! (a diff would otherwise refresh the index) and so is the fsmonitor hook.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::config::ConfigError;

pub(super) fn git(repo: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(repo)
        .args(["-c", "core.fsmonitor=false", "-c", "core.quotepath=off"])
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null());
    command
}

/// Run git; its standard output, or why it failed (its first error line).
pub(super) fn output(mut command: Command) -> Result<Vec<u8>, String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("git failed")
            .trim()
            .to_owned())
    }
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).trim().to_owned()
}

/// The work tree's top directory of the repository holding `dir`.
pub fn repo_root(dir: &Path) -> Result<PathBuf, ConfigError> {
    let mut c = git(dir);
    c.args(["rev-parse", "--show-toplevel"]);
    match output(c) {
        Ok(out) => Ok(PathBuf::from(text(out))),
        Err(why) if why.contains("not a git repository") => Err(ConfigError(format!(
            "error: --since needs a git repository, and {} is not in one",
            dir.display()
        ))),
        Err(why) => Err(ConfigError(format!("error: --since: {why}"))),
    }
}

fn is_shallow(repo: &Path) -> bool {
    let mut c = git(repo);
    c.args(["rev-parse", "--is-shallow-repository"]);
    output(c).is_ok_and(|o| text(o) == "true")
}

const DEEPEN: &str =
    "fetch more history (actions/checkout: `fetch-depth: 0`, or `git fetch --deepen`)";

/// The commit `rev` names.
pub fn resolve(repo: &Path, rev: &str) -> Result<String, ConfigError> {
    if rev.starts_with('-') || rev.is_empty() {
        return Err(ConfigError(format!(
            "error: --since: `{rev}` is not a revision"
        )));
    }
    let mut c = git(repo);
    c.args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{rev}^{{commit}}"));
    match output(c) {
        Ok(out) if !text(out.clone()).is_empty() => Ok(text(out)),
        _ if is_shallow(repo) => Err(ConfigError(format!(
            "error: --since: cannot resolve `{rev}`: this clone is shallow and its history does not reach it; {DEEPEN}"
        ))),
        _ => Err(ConfigError(format!(
            "error: --since: unknown revision `{rev}`"
        ))),
    }
}

/// `--since auto` in GitHub Actions: the base of the pull request. When
/// `HEAD` is the pull request's merge commit, its first parent (the base
/// branch as merged); else the merge base with `origin/$GITHUB_BASE_REF`.
pub fn auto_base(repo: &Path) -> Result<String, ConfigError> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if var("GITHUB_ACTIONS").is_none() {
        return Err(ConfigError(
            "error: --since auto resolves the pull request base in GitHub Actions (GITHUB_ACTIONS is not set); name a revision instead".to_owned(),
        ));
    }
    let event = var("GITHUB_EVENT_NAME").unwrap_or_default();
    if event.starts_with("pull_request") {
        let mut c = git(repo);
        c.args(["rev-list", "--parents", "-n", "1", "HEAD"]);
        if let Ok(out) = output(c) {
            let ids: Vec<String> = text(out).split_whitespace().map(str::to_owned).collect();
            if ids.len() == 3 {
                return resolve(repo, &ids[1]);
            }
        }
    }
    let Some(base_ref) = var("GITHUB_BASE_REF") else {
        return Err(ConfigError(format!(
            "error: --since auto needs a pull request (GITHUB_BASE_REF is empty in a `{}` event); name a revision instead",
            if event.is_empty() { "unknown" } else { &event }
        )));
    };
    let remote = format!("origin/{base_ref}");
    resolve(repo, &remote).map_err(|e| {
        ConfigError(format!(
            "{} (the pull request's base branch must be fetched)",
            e.0
        ))
    })?;
    let mut c = git(repo);
    c.args(["merge-base", "HEAD"]).arg(&remote);
    match output(c) {
        Ok(out) if !text(out.clone()).is_empty() => Ok(text(out)),
        _ if is_shallow(repo) => Err(ConfigError(format!(
            "error: --since auto: `HEAD` and `{remote}` have no common commit in this shallow clone; {DEEPEN}"
        ))),
        Err(why) => Err(ConfigError(format!(
            "error: --since auto: no merge base of `HEAD` and `{remote}`: {why}"
        ))),
        Ok(_) => Err(ConfigError(format!(
            "error: --since auto: no merge base of `HEAD` and `{remote}`"
        ))),
    }
}

/// How a path changed between the base and the work tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Added,
    Deleted,
    Modified,
    /// Renamed from the base path given (also when its content changed).
    Renamed(String),
}

/// Repository-relative paths (`/`-separated) changed since `commit` in the
/// work tree, tracked files only (untracked files are not in the base tree
/// and count as added there).
pub fn diff(repo: &Path, commit: &str) -> Result<Vec<(String, Status)>, ConfigError> {
    let mut c = git(repo);
    c.args([
        "diff",
        "--name-status",
        "-z",
        "-M",
        "--no-relative",
        "--no-ext-diff",
        "--no-textconv",
        "--ignore-submodules",
        commit,
        "--",
    ]);
    let out = output(c).map_err(|why| ConfigError(format!("error: --since: {why}")))?;
    let mut fields = out
        .split(|b| *b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let mut changes = Vec::new();
    while let Some(status) = fields.next() {
        if status.is_empty() {
            continue;
        }
        let Some(path) = fields.next() else { break };
        match status.as_bytes()[0] {
            b'R' => {
                let Some(new) = fields.next() else { break };
                changes.push((new, Status::Renamed(path)));
            }
            b'C' => {
                let Some(new) = fields.next() else { break };
                changes.push((new, Status::Added));
            }
            b'A' => changes.push((path, Status::Added)),
            b'D' => changes.push((path, Status::Deleted)),
            _ => changes.push((path, Status::Modified)),
        }
    }
    Ok(changes)
}

/// Every blob of `commit`'s tree: repository-relative path -> object id.
pub fn tree(repo: &Path, commit: &str) -> Result<HashMap<String, String>, ConfigError> {
    let mut c = git(repo);
    c.args(["ls-tree", "-r", "-z", "--full-tree", commit]);
    let out = output(c).map_err(|why| ConfigError(format!("error: --since: {why}")))?;
    let mut blobs = HashMap::new();
    for record in out.split(|b| *b == 0) {
        let record = String::from_utf8_lossy(record);
        // "<mode> <type> <object>\t<path>"
        let Some((meta, path)) = record.split_once('\t') else {
            continue;
        };
        let mut parts = meta.split(' ');
        let (Some(_mode), Some(kind), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if kind == "blob" {
            blobs.insert(path.to_owned(), id.to_owned());
        }
    }
    Ok(blobs)
}

/// The content of each object in `ids`, in order, read through one
/// `git cat-file --batch`. A blob larger than `cap` comes back as its size
/// only (`Err(len)`): the caller reports it as too large to check.
pub fn blobs(
    repo: &Path,
    ids: &[String],
    cap: u64,
) -> Result<Vec<Result<Vec<u8>, u64>>, ConfigError> {
    let fail = |why: String| ConfigError(format!("error: --since: reading base files: {why}"));
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut c = git(repo);
    c.args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c
        .spawn()
        .map_err(|e| fail(format!("cannot run git: {e}")))?;
    let mut stdin = child.stdin.take().ok_or_else(|| fail("no stdin".into()))?;
    let request: String = ids.iter().map(|id| format!("{id}\n")).collect();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(request.as_bytes());
    });
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| fail("no stdout".into()))?;
    let mut reader = BufReader::new(stdout);
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let mut header = String::new();
        reader
            .read_line(&mut header)
            .map_err(|e| fail(e.to_string()))?;
        // "<object> <type> <size>", or "<object> missing"
        let mut parts = header.split_whitespace();
        let (_, kind, size) = (parts.next(), parts.next(), parts.next());
        let size: u64 = match (kind, size.and_then(|s| s.parse().ok())) {
            (Some("blob"), Some(size)) => size,
            _ => {
                let _ = child.kill();
                return Err(fail(format!("object {id} is not a blob")));
            }
        };
        let mut content = Vec::new();
        (&mut reader)
            .take(size)
            .read_to_end(&mut content)
            .map_err(|e| fail(e.to_string()))?;
        let mut newline = [0u8; 1];
        reader
            .read_exact(&mut newline)
            .map_err(|e| fail(e.to_string()))?;
        if content.len() as u64 != size {
            return Err(fail(format!("object {id} ended early")));
        }
        out.push(if size > cap { Err(size) } else { Ok(content) });
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(out)
}
