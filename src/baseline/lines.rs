//! Which lines a change added or modified, from `git diff -U0` against the
//! base (renames followed), and the last commit's subject: what the
//! test-enforcement gate judges a change by.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::git::{git, output};
use crate::config::ConfigError;

/// Repository-relative path -> the work tree lines (1-based) the change
/// added or modified since `commit`, for every tracked file with a textual
/// change (an empty set: the file only lost lines). Untracked files are
/// not in the diff.
pub fn changed_lines(
    repo: &Path,
    commit: &str,
) -> Result<BTreeMap<String, BTreeSet<u32>>, ConfigError> {
    let mut c = git(repo);
    c.args([
        "diff",
        "-U0",
        "-M",
        "--no-color",
        "--no-relative",
        "--no-ext-diff",
        "--no-textconv",
        "--ignore-submodules",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        commit,
        "--",
    ]);
    let out = output(c).map_err(|why| ConfigError(format!("error: --since: {why}")))?;
    Ok(parse_diff(&String::from_utf8_lossy(&out)))
}

/// The `+++ b/<path>` and `@@ -a,b +c,d @@` lines of a unified diff.
fn parse_diff(diff: &str) -> BTreeMap<String, BTreeSet<u32>> {
    let mut out: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in diff.lines() {
        if line.starts_with("diff --git ") {
            current = None;
        } else if let Some(path) = line.strip_prefix("+++ ") {
            current = if path == "/dev/null" {
                None
            } else {
                let path = unquote(path);
                let path = path.strip_prefix("b/").unwrap_or(&path).to_owned();
                out.entry(path.clone()).or_default();
                Some(path)
            };
        } else if let (Some(hunk), Some(path)) = (line.strip_prefix("@@ "), &current) {
            // "-a[,b] +c[,d] @@ ..."
            let Some(plus) = hunk.split_whitespace().find(|f| f.starts_with('+')) else {
                continue;
            };
            let mut nums = plus[1..].split(',');
            let start: u32 = nums.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            let count: u32 = nums.next().and_then(|n| n.parse().ok()).unwrap_or(1);
            if let Some(set) = out.get_mut(path) {
                set.extend(start..start.saturating_add(count));
            }
        }
    }
    out
}

/// A path as git writes it in a diff header: C-quoted when it holds
/// unusual characters (`"b/a\tb.py"`).
fn unquote(path: &str) -> String {
    let Some(inner) = path.strip_prefix('"').and_then(|p| p.strip_suffix('"')) else {
        return path.to_owned();
    };
    let mut bytes = Vec::with_capacity(inner.len());
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(b'"') => bytes.push(b'"'),
            Some(b'\\') => bytes.push(b'\\'),
            Some(d @ b'0'..=b'7') => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&n @ b'0'..=b'7') = chars.peek() {
                        v = v * 8 + u32::from(n - b'0');
                        chars.next();
                    }
                }
                bytes.push(v as u8);
            }
            Some(other) => bytes.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The subject of the last commit (`HEAD`), if there is one.
pub fn last_subject(dir: &Path) -> Option<String> {
    let mut c = git(dir);
    c.args(["log", "-1", "--format=%s", "HEAD", "--"]);
    let out = output(c).ok()?;
    let s = String::from_utf8_lossy(&out).trim().to_owned();
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_give_added_lines() {
        let diff = "diff --git a/app/x.py b/app/x.py\nindex 1..2 100644\n--- a/app/x.py\n+++ b/app/x.py\n@@ -3 +3,2 @@ def f():\n-    a\n+    b\n+    c\n@@ -10,2 +11,0 @@\n-x\n-y\n@@ -20,0 +20 @@\n+z\ndiff --git a/gone.py b/gone.py\ndeleted file mode 100644\n--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\ndiff --git a/only_del.py b/only_del.py\n--- a/only_del.py\n+++ b/only_del.py\n@@ -2 +1,0 @@\n-x\ndiff --git \"a/sp ace\\t.py\" \"b/sp ace\\t.py\"\n--- \"a/sp ace\\t.py\"\n+++ \"b/sp ace\\t.py\"\n@@ -1 +1 @@\n-a\n+b\n";
        let lines = parse_diff(diff);
        assert_eq!(lines["app/x.py"], BTreeSet::from([3, 4, 20]));
        assert!(lines["only_del.py"].is_empty());
        assert!(!lines.contains_key("gone.py"));
        assert_eq!(lines["sp ace\t.py"], BTreeSet::from([1]));
    }
}
