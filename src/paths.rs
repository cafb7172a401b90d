//! Paths as fortress shows and matches them: lexically absolute, relative
//! to a base with `/` separators, bytes that are not UTF-8 escaped, and the
//! glob sets of `exclude`/`per-file-ignores`/`[tool.fortress.tests] paths`.

use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

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

/// `/`-separated, with bytes that are not UTF-8 written as `\\xNN`.
pub fn slash(path: &Path) -> String {
    let s = escaped(path);
    if std::path::MAIN_SEPARATOR == '/' {
        s
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// `path` relative to `base` when below it, `/`-separated.
pub fn relative_to(path: &Path, base: &Path) -> Option<String> {
    #[cfg(unix)]
    if let Some(rest) = plain_rest(path, base) {
        // The common case (a walk's entries below its root), without
        // `strip_prefix`'s component-by-component comparison.
        return Some(match std::str::from_utf8(rest) {
            Ok(text) => text.to_owned(),
            Err(_) => slash(Path::new(std::ffi::OsStr::from_bytes(rest))),
        });
    }
    path.strip_prefix(base).ok().map(slash)
}

#[cfg(unix)]
use std::os::unix::ffi::OsStrExt;

/// The bytes of `path` after `base/`, when `base` is a plain prefix and the
/// rest is plain components (none empty, none `.`): exactly what
/// `strip_prefix` would give. `None` when that is not certain.
#[cfg(unix)]
fn plain_rest<'a>(path: &'a Path, base: &Path) -> Option<&'a [u8]> {
    let (path, base) = (path.as_os_str().as_bytes(), base.as_os_str().as_bytes());
    if base.is_empty() || base.ends_with(b"/") || has_dot_part(base) {
        return None;
    }
    let rest = path.strip_prefix(base)?.strip_prefix(b"/")?;
    let plain = !rest.is_empty()
        && !has_dot_part(rest)
        && !rest.split(|&b| b == b'/').any(<[u8]>::is_empty);
    plain.then_some(rest)
}

#[cfg(unix)]
fn has_dot_part(bytes: &[u8]) -> bool {
    bytes.split(|&b| b == b'/').any(|part| part == b".")
}

/// The path with every byte that is not valid UTF-8 written as `\xNN`.
pub fn escaped(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        let mut out = String::new();
        for chunk in bytes.utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned()
    }
}

/// Glob patterns matched against project-relative paths. A pattern without a
/// `/` matches any path component (`.venv`, `*_pb2.py`); one with a `/`
/// matches the path from the project root or any directory prefix of it.
#[derive(Clone)]
pub struct PathMatcher {
    names: GlobSet,
    paths: GlobSet,
    patterns: Vec<String>,
}

/// The patterns, which decide the matcher: the compiled sets' internals
/// would make the result cache's settings fingerprint (`src/cache/key.rs`)
/// depend on globset's version and layout.
impl std::fmt::Debug for PathMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PathMatcher").field(&self.patterns).finish()
    }
}

impl PathMatcher {
    /// On error: the index of the offending pattern and what is wrong with it.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<PathMatcher, (usize, String)> {
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        let mut kept = Vec::new();
        for (index, pattern) in patterns.iter().enumerate() {
            let pattern = pattern.as_ref();
            let normalized = pattern
                .trim()
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_owned();
            if normalized.is_empty() {
                return Err((index, format!("empty glob pattern `{pattern}`")));
            }
            let glob: Glob = GlobBuilder::new(&normalized)
                .literal_separator(false)
                .backslash_escape(true)
                .build()
                .map_err(|e| (index, format!("invalid glob `{pattern}`: {}", e.kind())))?;
            if normalized.contains('/') {
                paths.add(glob);
            } else {
                names.add(glob);
            }
            kept.push(normalized);
        }
        let build = |b: GlobSetBuilder| b.build().map_err(|e| (0, format!("invalid glob: {e}")));
        Ok(PathMatcher {
            names: build(names)?,
            paths: build(paths)?,
            patterns: kept,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Does the entry itself (not its ancestors) match? Used while walking,
    /// where excluded directories are pruned before their children are seen.
    pub fn matches_entry(&self, rel: &str) -> bool {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        self.names.is_match(name) || self.paths.is_match(rel)
    }

    /// Does the path or any of its ancestors match?
    pub fn matches_path(&self, rel: &str) -> bool {
        if self.is_empty() {
            return false;
        }
        let mut end = 0;
        for part in rel.split('/') {
            end += part.len();
            if self.names.is_match(part) || self.paths.is_match(&rel[..end]) {
                return true;
            }
            end += 1;
        }
        false
    }
}

/// Where the checked project's metadata is looked for when no configuration
/// file says: the first path (its directory when it is a file).
pub fn project_dir(paths: &[PathBuf], cwd: &Path) -> PathBuf {
    let Some(first) = paths.first() else {
        return cwd.to_path_buf();
    };
    let first = absolutize(first, cwd);
    if first.is_file() {
        first
            .parent()
            .map_or_else(|| cwd.to_path_buf(), PathBuf::from)
    } else {
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte fast path gives what `strip_prefix` gives, or steps aside.
    #[test]
    fn relative_to_agrees_with_strip_prefix() {
        let cases = [
            ("/p/app/x.py", "/p"),
            ("/p/app/x.py", "/p/app"),
            ("/p/app/x.py", "/p/ap"),
            ("/p/app/x.py", "/p/app/x.py"),
            ("/p/app/x.py", "/q"),
            ("/p/app//x.py", "/p"),
            ("/p/./app/x.py", "/p"),
            ("/p/app/x.py/", "/p"),
            ("/p/app/x.py", "/p/"),
            ("/p/app/x.py", "/"),
            ("/p/.hidden/x.py", "/p"),
            ("/p/a/../x.py", "/p"),
            ("/p/./x.py", "/p/."),
            ("p/app/x.py", "p"),
            ("p/app/x.py", ""),
        ];
        for (path, base) in cases {
            let (path, base) = (Path::new(path), Path::new(base));
            let slow = path.strip_prefix(base).ok().map(slash);
            assert_eq!(relative_to(path, base), slow, "{path:?} {base:?}");
        }
        #[cfg(unix)]
        {
            let odd = Path::new(std::ffi::OsStr::from_bytes(b"/p/caf\xe9/x.py"));
            assert_eq!(
                relative_to(odd, Path::new("/p")).as_deref(),
                Some("caf\\xe9/x.py")
            );
        }
    }

    #[test]
    fn absolutize_is_lexical() {
        assert_eq!(
            absolutize(Path::new("./a/../b/c.py"), Path::new("/w")),
            PathBuf::from("/w/b/c.py")
        );
    }
}
