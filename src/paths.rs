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
    path.strip_prefix(base).ok().map(slash)
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

    #[test]
    fn absolutize_is_lexical() {
        assert_eq!(
            absolutize(Path::new("./a/../b/c.py"), Path::new("/w")),
            PathBuf::from("/w/b/c.py")
        );
    }
}
