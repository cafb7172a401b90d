//! A local virtual environment, read-only: which import names each installed
//! distribution provides, from `*.dist-info/RECORD` (or `top_level.txt`, or
//! an egg's `installed-files.txt`). Python is never run.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::SystemTime;

use super::names::normalize;

#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub root: PathBuf,
    /// Dotted import root (`yaml`, `google.cloud.storage`) -> distributions.
    pub by_import: BTreeMap<String, BTreeSet<String>>,
    pub dists: BTreeSet<String>,
    /// Distribution -> what its METADATA requires (names only).
    pub requires: BTreeMap<String, BTreeSet<String>>,
}

impl Environment {
    /// Distributions providing `module` or one of its parent packages.
    pub fn providers(&self, module: &str) -> BTreeSet<String> {
        for prefix in super::names::prefixes(module) {
            if let Some(d) = self.by_import.get(prefix) {
                return d.clone();
            }
        }
        BTreeSet::new()
    }
}

impl Environment {
    /// Everything installing `dist` pulls in, by the installed metadata.
    pub fn requires_closure(&self, dist: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&String> = self.requires.get(dist).into_iter().flatten().collect();
        while let Some(d) = stack.pop() {
            if seen.insert(d.clone()) {
                stack.extend(self.requires.get(d).into_iter().flatten());
            }
        }
        seen
    }
}

/// The environment directories to try, in order.
pub fn candidates(dirs: &[&Path]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in dirs {
        for name in [".venv", "venv"] {
            out.push(d.join(name));
        }
    }
    if let Some(v) = std::env::var_os("VIRTUAL_ENV") {
        out.push(PathBuf::from(v));
    }
    out
}

fn site_packages(env: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for lib in ["lib", "lib64", "Lib"] {
        let dir = env.join(lib);
        if lib == "Lib" {
            let sp = dir.join("site-packages");
            if sp.is_dir() {
                out.push(sp);
            }
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path().join("site-packages"))
            .filter(|p| p.is_dir())
            .collect();
        found.sort();
        out.extend(found);
    }
    out.dedup();
    out
}

/// Environments already read in this process, with the modification times of
/// their site-packages directories (an install or uninstall changes them).
type Cache = Mutex<HashMap<PathBuf, (Vec<Option<SystemTime>>, Arc<Environment>)>>;
static CACHE: LazyLock<Cache> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Read the first environment that exists (has `pyvenv.cfg` and
/// site-packages). Each dependency rule asks; the environment is read once.
pub fn read(candidates: &[PathBuf]) -> Option<Arc<Environment>> {
    for env in candidates {
        if !env.join("pyvenv.cfg").is_file() {
            continue;
        }
        let dirs = site_packages(env);
        let stamps: Vec<Option<SystemTime>> = dirs
            .iter()
            .map(|d| std::fs::metadata(d).and_then(|m| m.modified()).ok())
            .collect();
        if let Ok(cache) = CACHE.lock() {
            if let Some((s, e)) = cache.get(env) {
                if *s == stamps {
                    return Some(Arc::clone(e));
                }
            }
        }
        let fresh = Arc::new(read_uncached(env, &dirs)?);
        if let Ok(mut cache) = CACHE.lock() {
            cache.insert(env.clone(), (stamps, Arc::clone(&fresh)));
        }
        return Some(fresh);
    }
    None
}

fn read_uncached(env: &Path, dirs: &[PathBuf]) -> Option<Environment> {
    if dirs.is_empty() {
        return None;
    }
    let mut out = Environment {
        root: env.to_path_buf(),
        ..Environment::default()
    };
    for sp in dirs {
        read_site_packages(sp, &mut out);
    }
    Some(out)
}

fn read_site_packages(sp: &Path, out: &mut Environment) {
    let Ok(entries) = std::fs::read_dir(sp) else {
        return;
    };
    let mut metas: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "dist-info" || e == "egg-info")
        })
        .collect();
    metas.sort();
    for meta in metas {
        let dir_name = meta
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let metadata = std::fs::read_to_string(meta.join("METADATA"))
            .or_else(|_| std::fs::read_to_string(meta.join("PKG-INFO")))
            .unwrap_or_default();
        let name = metadata
            .lines()
            .find_map(|l| l.strip_prefix("Name:"))
            .map(|n| normalize(n.trim()))
            .unwrap_or_else(|| normalize(dir_name.split('-').next().unwrap_or("")));
        if name.is_empty() {
            continue;
        }
        out.dists.insert(name.clone());
        let requires: BTreeSet<String> = metadata
            .lines()
            .filter_map(|l| l.strip_prefix("Requires-Dist:"))
            .filter(|l| !l.contains("extra =="))
            .filter_map(|l| super::requirement::parse(l.split(';').next().unwrap_or("")).ok())
            .map(|r| normalize(&r.name))
            .collect();
        out.requires.insert(name.clone(), requires);
        let files: Vec<String> = if let Ok(record) = std::fs::read_to_string(meta.join("RECORD")) {
            record.lines().map(record_path).collect()
        } else if let Ok(list) = std::fs::read_to_string(meta.join("installed-files.txt")) {
            // Paths relative to the egg-info directory.
            list.lines()
                .map(|l| l.trim().trim_start_matches("../").to_owned())
                .collect()
        } else {
            Vec::new()
        };
        let mut roots = import_roots(&files);
        if roots.is_empty() {
            if let Ok(top) = std::fs::read_to_string(meta.join("top_level.txt")) {
                roots.extend(
                    top.lines()
                        .map(|l| l.trim().replace('/', "."))
                        .filter(|l| !l.is_empty()),
                );
            }
        }
        for r in roots {
            out.by_import.entry(r).or_default().insert(name.clone());
        }
    }
}

/// First CSV field of a RECORD line (quoted when it holds a comma).
fn record_path(line: &str) -> String {
    if let Some(rest) = line.strip_prefix('"') {
        rest.split('"').next().unwrap_or("").to_owned()
    } else {
        line.split(',').next().unwrap_or("").to_owned()
    }
}

/// Import roots from installed file paths: a top-level module or a package
/// with `__init__.py`; inside a namespace package (no `__init__.py`), the
/// first level that has one (`google/cloud/storage/__init__.py` ->
/// `google.cloud.storage`).
pub fn import_roots(files: &[String]) -> BTreeSet<String> {
    let set: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    let mut roots = BTreeSet::new();
    for f in files {
        if f.starts_with("..")
            || f.contains(".dist-info/")
            || f.contains(".egg-info/")
            || f.contains(".data/")
            || f.contains("__pycache__")
        {
            continue;
        }
        let parts: Vec<&str> = f.split('/').collect();
        let Some(last) = parts.last() else { continue };
        let is_module = last.ends_with(".py")
            || last.ends_with(".pyi")
            || last.ends_with(".so")
            || last.ends_with(".pyd");
        if !is_module {
            continue;
        }
        if parts.len() == 1 {
            let stem = last.split('.').next().unwrap_or("");
            if is_identifier(stem) && stem != "__init__" {
                roots.insert(stem.to_owned());
            }
            continue;
        }
        let dirs = &parts[..parts.len() - 1];
        if !dirs
            .iter()
            .all(|d| is_identifier(d) || d.ends_with("-stubs"))
        {
            continue;
        }
        let mut root = None;
        for depth in 1..=dirs.len().min(4) {
            let prefix = dirs[..depth].join("/");
            if set.contains(format!("{prefix}/__init__.py").as_str())
                || set.contains(format!("{prefix}/__init__.pyi").as_str())
            {
                root = Some(dirs[..depth].join("."));
                break;
            }
        }
        let root = root.unwrap_or_else(|| dirs[..dirs.len().min(3)].join("."));
        roots.insert(root.replace("-stubs", ""));
    }
    roots
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_from_record() {
        let files: Vec<String> = [
            "yaml/__init__.py",
            "yaml/reader.py",
            "_yaml/__init__.py",
            "PyYAML-6.0.dist-info/RECORD",
            "google/cloud/storage/__init__.py",
            "google/cloud/storage/blob.py",
            "six.py",
            "../../bin/tool",
            "requests-stubs/__init__.pyi",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let roots: Vec<String> = import_roots(&files).into_iter().collect();
        assert_eq!(
            roots,
            vec!["_yaml", "google.cloud.storage", "requests", "six", "yaml"]
        );
    }

    #[test]
    fn reads_a_venv() {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join(".venv");
        let sp = env.join("lib/python3.12/site-packages");
        let meta = sp.join("PyJWT-2.8.0.dist-info");
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(env.join("pyvenv.cfg"), "home = /usr\n").unwrap();
        std::fs::write(
            meta.join("METADATA"),
            "Name: PyJWT\nRequires-Dist: cryptography>=3 ; extra == \"crypto\"\n",
        )
        .unwrap();
        std::fs::write(
            meta.join("RECORD"),
            "jwt/__init__.py,sha256=x,1\njwt/api_jwt.py,,\n",
        )
        .unwrap();
        let e = read(&candidates(&[dir.path()])[..1]).unwrap();
        assert_eq!(
            e.providers("jwt.exceptions")
                .into_iter()
                .collect::<Vec<_>>(),
            vec!["pyjwt"]
        );
        assert!(e.requires["pyjwt"].is_empty());
    }
}
