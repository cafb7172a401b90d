//! Lockfiles as evidence of what is installed, transitively: uv.lock,
//! poetry.lock, pdm.lock (TOML) and Pipfile.lock (JSON).

use std::path::Path;
use std::str::FromStr;

use pep508_rs::pep440_rs::Version;

use toml::de::DeValue;
use toml::Spanned;

use super::manifest::{LockGraph, Sources};
use super::names::normalize;
use super::pyproject::{get, parse_toml, table};
use super::requirement;

pub const LOCKFILES: &[&str] = &["uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock"];

/// Read one lockfile; `None` when absent.
pub fn read(sources: &mut Sources, path: &Path) -> Option<LockGraph> {
    let file = sources.load(path)?;
    let source = sources.files[file].source.clone();
    let name = path.file_name()?.to_string_lossy().into_owned();
    let mut graph = LockGraph::default();
    graph.sources.push(name.clone());
    if name == "Pipfile.lock" {
        match serde_json::from_str::<serde_json::Value>(&source) {
            Ok(v) => {
                for section in ["default", "develop"] {
                    if let Some(obj) = v.get(section).and_then(|s| s.as_object()) {
                        for (k, entry) in obj {
                            // `"version": "==1.10.2"`
                            let version = entry
                                .get("version")
                                .and_then(|v| v.as_str())
                                .map(|v| v.trim_start_matches("=="))
                                .and_then(|v| Version::from_str(v).ok());
                            graph.add(k).version = version;
                        }
                    }
                }
            }
            Err(e) => {
                let lines = crate::diagnostic::LineIndex::new(&source);
                let at =
                    lines.line_start(e.line().saturating_sub(1)) + e.column().saturating_sub(1);
                sources.problem(file, at, format!("invalid JSON: {e}"));
            }
        }
        return Some(graph);
    }
    let root = parse_toml(sources, file, &source)?;
    let Some(DeValue::Array(packages)) = get(&root, "package").map(Spanned::get_ref) else {
        return Some(graph);
    };
    for p in packages {
        let DeValue::Table(pkg) = p.get_ref() else {
            continue;
        };
        let Some(pname) = get(pkg, "name").and_then(|v| v.get_ref().as_str()) else {
            continue;
        };
        let node = graph.add(pname);
        node.version = get(pkg, "version")
            .and_then(|v| v.get_ref().as_str())
            .and_then(|v| Version::from_str(v).ok());
        match get(pkg, "dependencies").map(Spanned::get_ref) {
            // uv: [{ name = "x", extra = [...] }]; pdm: ["x>=1"]
            Some(DeValue::Array(deps)) => {
                for d in deps {
                    if let Some(n) = dep_name(d.get_ref()) {
                        node.deps.insert(n);
                    }
                }
            }
            // poetry: [package.dependencies] x = "..."
            Some(DeValue::Table(deps)) => {
                for (k, _) in deps.iter() {
                    node.deps.insert(normalize(k.get_ref()));
                }
            }
            _ => {}
        }
        // uv: [package.optional-dependencies] extra = [{ name = ... }]; poetry: [package.extras] extra = ["x (>=1)"]
        for key in ["optional-dependencies", "extras"] {
            if let Some(extras) = table(get(pkg, key)) {
                for (extra, list) in extras.iter() {
                    let set = node.extras.entry(normalize(extra.get_ref())).or_default();
                    if let DeValue::Array(items) = list.get_ref() {
                        for d in items {
                            if let Some(n) = dep_name(d.get_ref()) {
                                set.insert(n);
                            }
                        }
                    }
                }
            }
        }
        // uv records the project's own dev groups on its root package.
        if let Some(groups) = table(get(pkg, "dev-dependencies")) {
            for (_, list) in groups.iter() {
                if let DeValue::Array(items) = list.get_ref() {
                    for d in items {
                        if let Some(n) = dep_name(d.get_ref()) {
                            node.deps.insert(n);
                        }
                    }
                }
            }
        }
    }
    Some(graph)
}

fn dep_name(v: &DeValue<'_>) -> Option<String> {
    match v {
        DeValue::String(s) => requirement::parse(s).ok().map(|r| normalize(&r.name)),
        DeValue::Table(t) => get(t, "name")
            .and_then(|n| n.get_ref().as_str())
            .map(normalize),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(name: &str, text: &str) -> LockGraph {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let mut sources = Sources::default();
        let g = read(&mut sources, &path).unwrap();
        assert!(sources.problems.is_empty(), "{:?}", sources.problems);
        g
    }

    #[test]
    fn uv_lock_with_extras() {
        let g = read_str(
            "uv.lock",
            r#"
version = 1
[[package]]
name = "app"
source = { editable = "." }
dependencies = [{ name = "fastapi" }, { name = "passlib", extra = ["bcrypt"] }]
[[package]]
name = "fastapi"
dependencies = [{ name = "starlette" }, { name = "pydantic" }]
[[package]]
name = "passlib"
[package.optional-dependencies]
bcrypt = [{ name = "bcrypt" }]
[[package]]
name = "bcrypt"
[[package]]
name = "starlette"
dependencies = [{ name = "anyio" }]
"#,
        );
        assert!(g.contains("bcrypt") && g.contains("starlette"));
        assert!(g.closure("fastapi", &[]).contains("anyio"));
        assert!(g
            .extra_deps("passlib", &["bcrypt".into()])
            .contains("bcrypt"));
        assert!(!g.closure("passlib", &[]).contains("bcrypt"));
    }

    #[test]
    fn poetry_and_pdm() {
        let g = read_str(
            "poetry.lock",
            "[[package]]\nname = \"PassLib\"\nversion = \"1.7\"\n[package.dependencies]\nsix = \"*\"\n[package.extras]\nbcrypt = [\"bcrypt (>=3.1.0)\"]\n",
        );
        assert!(g.contains("passlib"));
        assert_eq!(
            g.packages["passlib"].version,
            Some(Version::from_str("1.7").unwrap())
        );
        assert!(g
            .extra_deps("passlib", &["bcrypt".into()])
            .contains("bcrypt"));
        let g = read_str(
            "pdm.lock",
            "[[package]]\nname = \"fastapi\"\ndependencies = [\"starlette<0.38,>=0.37\", \"typing-extensions>=4.8.0\"]\n",
        );
        assert!(g.closure("fastapi", &[]).contains("typing-extensions"));
    }
}
