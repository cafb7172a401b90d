//! The target Python: from `target-version`, else the lowest version the
//! project's `requires-python` (PEP 621) or Poetry's `python` dependency
//! allows, else [`PythonVersion::DEFAULT`].
//!
//! Specifiers are parsed with `pep440_rs`; Poetry's `^`/`~` ranges are
//! translated into PEP 440 first (`^3.9` is `>=3.9,<4`, `~3.9` is
//! `>=3.9,<3.10`).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use serde::Deserialize;
use toml::Spanned;

use crate::version::PythonVersion;

/// Where the target came from, as the reports say it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TargetSource {
    /// `--target-version` on the command line.
    Flag,
    /// `target-version` in the configuration file (shown path).
    Config(String),
    /// `requires-python` (or Poetry's `python`) in a pyproject.toml, or
    /// `python_requires` in a setup.cfg or setup.py.
    Requires {
        /// `requires-python`, `tool.poetry.dependencies.python` or `python_requires`.
        key: &'static str,
        /// The specifier as written.
        value: String,
        /// The pyproject.toml, as shown.
        path: String,
        /// The lowest allowed version was outside what fortress knows and
        /// was moved to the nearest known one.
        clamped_from: Option<PythonVersion>,
    },
    /// Nothing said which version: the documented default.
    #[default]
    Default,
}

impl fmt::Display for TargetSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetSource::Flag => f.write_str("--target-version"),
            TargetSource::Config(path) => write!(f, "target-version in {path}"),
            TargetSource::Requires {
                key,
                value,
                path,
                clamped_from,
            } => {
                write!(f, "{key} = \"{value}\" in {path}")?;
                if let Some(v) = clamped_from {
                    write!(f, "; {v} is outside the versions fortress knows")?;
                }
                Ok(())
            }
            TargetSource::Default => f.write_str("default"),
        }
    }
}

/// `py310`/`3.10` as a target fortress knows the grammar of.
pub fn parse_target(text: &str) -> Result<PythonVersion, String> {
    match PythonVersion::parse(text) {
        Some(v) if (PythonVersion::OLDEST..=PythonVersion::NEWEST).contains(&v) => Ok(v),
        Some(v) => Err(format!(
            "Python {v} is not a target fortress knows; use {} to {}",
            PythonVersion::OLDEST.config_name(),
            PythonVersion::NEWEST.config_name()
        )),
        None => Err(format!(
            "`{text}` is not a Python version such as \"py310\" or \"3.10\""
        )),
    }
}

#[derive(Deserialize)]
struct PyProject {
    project: Option<Project>,
    tool: Option<Tools>,
}

#[derive(Deserialize)]
struct Project {
    #[serde(rename = "requires-python")]
    requires_python: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
struct Tools {
    poetry: Option<Poetry>,
}

#[derive(Deserialize)]
struct Poetry {
    dependencies: Option<PoetryDependencies>,
}

#[derive(Deserialize)]
struct PoetryDependencies {
    python: Option<Spanned<toml::Value>>,
}

/// The target a project's own metadata implies. Looks for a pyproject.toml
/// that states a Python constraint in `start` and then in each parent up to
/// the repository root (only `start` when it is in no repository); in each
/// directory pyproject.toml first, then `python_requires` in setup.cfg
/// (`[options]`), then in setup.py (parsed with tree-sitter, never run).
///
/// An unreadable or non-TOML pyproject.toml is passed over (the dependency
/// rules report it); a constraint that is not a valid specifier is an error
/// line `path:line:col: error: ...`.
pub fn from_metadata(start: &Path, cwd: &Path) -> Result<(PythonVersion, TargetSource), String> {
    let repo = crate::files::repository_root(start);
    let top = repo.clone().unwrap_or_else(|| start.to_path_buf());
    let boundary = crate::files::Boundary::at(&top);
    for dir in start.ancestors() {
        let path = dir.join("pyproject.toml");
        if let Some(found) = read_constraint(&path, &boundary, cwd)? {
            return Ok(found);
        }
        for (name, find) in [
            (
                "setup.cfg",
                crate::project::deps::setup_cfg::python_requires as fn(&str) -> _,
            ),
            ("setup.py", crate::project::deps::setup_py::python_requires),
        ] {
            if let Some(found) = read_python_requires(&dir.join(name), find, &boundary, cwd)? {
                return Ok(found);
            }
        }
        if dir == top {
            break;
        }
    }
    Ok((PythonVersion::DEFAULT, TargetSource::Default))
}

fn shown(path: &Path, cwd: &Path) -> String {
    crate::paths::relative_to(path, cwd).unwrap_or_else(|| path.display().to_string())
}

fn read_constraint(
    path: &Path,
    boundary: &crate::files::Boundary,
    cwd: &Path,
) -> Result<Option<(PythonVersion, TargetSource)>, String> {
    let Ok(bytes) = crate::files::read_confined(path, crate::files::CONFIG_CAP, boundary) else {
        return Ok(None);
    };
    let source = crate::files::lossy_text(bytes);
    let Ok(doc) = toml::from_str::<PyProject>(&source) else {
        return Ok(None);
    };
    let pep621 = doc
        .project
        .and_then(|p| p.requires_python)
        .map(|v| ("requires-python", v));
    let poetry = doc
        .tool
        .and_then(|t| t.poetry)
        .and_then(|p| p.dependencies)
        .and_then(|d| d.python)
        .map(|v| ("tool.poetry.dependencies.python", v));
    let Some((key, value)) = pep621.or(poetry) else {
        return Ok(None);
    };
    let error = |message: String| {
        let lines = crate::diagnostic::LineIndex::new(&source);
        let pos = lines.position(value.span().start, &source);
        format!(
            "{}:{}:{}: error: `{key}`: {message}; set `target-version` in [tool.fortress] to choose the target",
            shown(path, cwd),
            pos.line,
            pos.column
        )
    };
    let Some(text) = value.get_ref().as_str() else {
        return Err(error("expected a string such as \">=3.10\"".to_owned()));
    };
    let lowest = if key == "requires-python" {
        lowest_pep440(text)
    } else {
        lowest_poetry(text)
    }
    .map_err(error)?;
    let Some(lowest) = lowest else {
        return Err(error(format!("`{text}` allows no Python 3 version")));
    };
    let target = lowest.clamp(PythonVersion::OLDEST, PythonVersion::NEWEST);
    Ok(Some((
        target,
        TargetSource::Requires {
            key,
            value: text.to_owned(),
            path: shown(path, cwd),
            clamped_from: (target != lowest).then_some(lowest),
        },
    )))
}

/// `python_requires` of a setup.cfg or setup.py (`find` extracts it).
fn read_python_requires(
    path: &Path,
    find: fn(&str) -> Option<(String, usize)>,
    boundary: &crate::files::Boundary,
    cwd: &Path,
) -> Result<Option<(PythonVersion, TargetSource)>, String> {
    let Ok(bytes) = crate::files::read_confined(path, crate::files::MANIFEST_CAP, boundary) else {
        return Ok(None);
    };
    let source = crate::files::lossy_text(bytes);
    let Some((text, at)) = find(&source) else {
        return Ok(None);
    };
    let error = |message: String| {
        let lines = crate::diagnostic::LineIndex::new(&source);
        let pos = lines.position(at, &source);
        format!(
            "{}:{}:{}: error: `python_requires`: {message}; set `target-version` in [tool.fortress] to choose the target",
            shown(path, cwd),
            pos.line,
            pos.column
        )
    };
    let Some(lowest) = lowest_pep440(&text).map_err(error)? else {
        return Err(error(format!("`{text}` allows no Python 3 version")));
    };
    let target = lowest.clamp(PythonVersion::OLDEST, PythonVersion::NEWEST);
    Ok(Some((
        target,
        TargetSource::Requires {
            key: "python_requires",
            value: text,
            path: shown(path, cwd),
            clamped_from: (target != lowest).then_some(lowest),
        },
    )))
}

/// The lowest `major.minor` whose releases a PEP 440 specifier set allows
/// (`>=3.9.2` and `>3.9` give 3.9; `==3.11.*` gives 3.11), `None` when no
/// Python 3 release is allowed. Python 2 versions are not considered.
pub fn lowest_pep440(text: &str) -> Result<Option<PythonVersion>, String> {
    let specifiers = VersionSpecifiers::from_str(text.trim()).map_err(|e| {
        format!(
            "`{text}` is not a PEP 440 version specifier: {}",
            first_line(&e)
        )
    })?;
    Ok(lowest_allowed(&[specifiers]))
}

/// The lowest `major.minor` any of the alternatives allows.
fn lowest_allowed(alternatives: &[VersionSpecifiers]) -> Option<PythonVersion> {
    // The versions worth trying: every minor's first and a late patch, and
    // the versions the specifiers name (so `==3.9.7` is found).
    let mut candidates: Vec<Version> = Vec::new();
    for minor in 0..=30u64 {
        candidates.push(Version::new([3, minor, 0]));
        candidates.push(Version::new([3, minor, 999]));
    }
    for specifiers in alternatives {
        for s in specifiers.iter() {
            let v = s.version();
            candidates.push(v.clone());
            let mut release = v.release().to_vec();
            if let Some(last) = release.last_mut() {
                *last += 1;
            }
            candidates.push(Version::new(release));
        }
    }
    candidates
        .iter()
        .filter(|v| v.release().first() == Some(&3))
        .filter(|v| alternatives.iter().any(|s| s.contains(v)))
        .map(|v| {
            let minor = v.release().get(1).copied().unwrap_or(0);
            PythonVersion::new(3, u8::try_from(minor).unwrap_or(u8::MAX))
        })
        .min()
}

/// [`lowest_pep440`] for a Poetry constraint: `^3.9`, `~3.9`, `3.9.*`,
/// `>=3.8,<3.12`, `>=3.8 <3.12`, alternatives with `||`.
pub fn lowest_poetry(text: &str) -> Result<Option<PythonVersion>, String> {
    let mut alternatives = Vec::new();
    for alternative in text.split("||").flat_map(|a| a.split('|')) {
        let pep440 = poetry_to_pep440(alternative)
            .ok_or_else(|| format!("`{text}` is not a Poetry version constraint"))?;
        let specifiers = VersionSpecifiers::from_str(&pep440).map_err(|e| {
            format!(
                "`{text}` is not a Poetry version constraint: {}",
                first_line(&e)
            )
        })?;
        alternatives.push(specifiers);
    }
    Ok(lowest_allowed(&alternatives))
}

/// One Poetry alternative (no `||`) as a PEP 440 specifier set.
fn poetry_to_pep440(text: &str) -> Option<String> {
    // Constraints are separated by commas or spaces; an operator may be
    // separated from its version by spaces (`>= 3.8`).
    let mut constraints: Vec<String> = Vec::new();
    let mut pending_operator: Option<String> = None;
    for token in text.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
        let is_operator = token.chars().all(|c| "<>=!~^".contains(c));
        match pending_operator.take() {
            Some(op) => constraints.push(format!("{op}{token}")),
            None if is_operator => pending_operator = Some(token.to_owned()),
            None => constraints.push(token.to_owned()),
        }
    }
    if pending_operator.is_some() {
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    for c in constraints {
        if c == "*" {
            continue;
        }
        if let Some(v) = c.strip_prefix('^') {
            let parts = release(v)?;
            // `^` allows changes that do not modify the left-most non-zero part.
            let pivot = parts
                .iter()
                .position(|p| *p != 0)
                .unwrap_or(parts.len() - 1);
            let mut upper: Vec<u64> = parts[..=pivot].to_vec();
            upper[pivot] += 1;
            out.push(format!(">={v}"));
            out.push(format!("<{}", join(&upper)));
        } else if c.starts_with("~=") {
            out.push(c);
        } else if let Some(v) = c.strip_prefix('~') {
            let parts = release(v)?;
            // `~3.9.1` and `~3.9` allow 3.9.x; `~3` allows 3.x.
            let keep = if parts.len() == 1 { 1 } else { 2 };
            let mut upper: Vec<u64> = parts[..keep].to_vec();
            upper[keep - 1] += 1;
            out.push(format!(">={v}"));
            out.push(format!("<{}", join(&upper)));
        } else if c.starts_with(['<', '>', '=', '!']) {
            out.push(c);
        } else {
            out.push(format!("=={c}"));
        }
    }
    Some(out.join(","))
}

/// A parser error's first line (pep440_rs adds the input and a caret line).
fn first_line(e: &dyn fmt::Display) -> String {
    let text = e.to_string();
    text.lines()
        .next()
        .unwrap_or("")
        .trim_end_matches(':')
        .trim()
        .to_owned()
}

fn release(v: &str) -> Option<Vec<u64>> {
    let parts: Option<Vec<u64>> = v.trim().split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| !p.is_empty())
}

fn join(parts: &[u64]) -> String {
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(minor: u8) -> Option<PythonVersion> {
        Some(PythonVersion::new(3, minor))
    }

    #[test]
    fn lowest_of_pep440_specifiers() {
        assert_eq!(lowest_pep440(">=3.9").unwrap(), v(9));
        assert_eq!(lowest_pep440(">=3.9.2, <4").unwrap(), v(9));
        assert_eq!(lowest_pep440(">3.9").unwrap(), v(9));
        assert!(lowest_pep440(">3.9.*").is_err());
        assert_eq!(lowest_pep440("~=3.11").unwrap(), v(11));
        assert_eq!(lowest_pep440("==3.12.*").unwrap(), v(12));
        assert_eq!(lowest_pep440("==3.9.7").unwrap(), v(9));
        assert_eq!(lowest_pep440(">=2.7, !=3.0.*, !=3.1.*").unwrap(), v(2));
        assert_eq!(lowest_pep440("<3.10, !=3.0.*").unwrap(), v(1));
        assert_eq!(lowest_pep440("<3").unwrap(), None);
        assert_eq!(lowest_pep440(">=3.10,<3.14").unwrap(), v(10));
        assert!(lowest_pep440(">=3.x").is_err());
        assert!(lowest_pep440("^3.9").is_err());
    }

    #[test]
    fn poetry_ranges_are_translated() {
        assert_eq!(poetry_to_pep440("^3.9").as_deref(), Some(">=3.9,<4"));
        assert_eq!(poetry_to_pep440("~3.9").as_deref(), Some(">=3.9,<3.10"));
        assert_eq!(poetry_to_pep440("~3.9.1").as_deref(), Some(">=3.9.1,<3.10"));
        assert_eq!(poetry_to_pep440("^0.2.3").as_deref(), Some(">=0.2.3,<0.3"));
        assert_eq!(
            poetry_to_pep440(">= 3.8 <3.12").as_deref(),
            Some(">=3.8,<3.12")
        );
        assert_eq!(poetry_to_pep440("3.11.*").as_deref(), Some("==3.11.*"));
        assert_eq!(lowest_poetry("^3.9").unwrap(), v(9));
        assert_eq!(lowest_poetry("~3.11").unwrap(), v(11));
        assert_eq!(lowest_poetry(">=3.8,<3.12").unwrap(), v(8));
        assert_eq!(lowest_poetry("3.10.*").unwrap(), v(10));
        assert_eq!(lowest_poetry("~3.12 || ^3.10").unwrap(), v(10));
        assert_eq!(lowest_poetry("*").unwrap(), v(0));
        assert!(lowest_poetry("^three").is_err());
    }

    #[test]
    fn targets_parse_within_the_known_range() {
        assert_eq!(parse_target("py39"), Ok(PythonVersion::new(3, 9)));
        assert!(parse_target("py36").unwrap_err().contains("py37 to py314"));
        assert!(parse_target("python3")
            .unwrap_err()
            .contains("not a Python version"));
    }

    #[test]
    fn metadata_is_found_up_to_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join("backend/app")).unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[tool.poetry.dependencies]\npython = \"^3.9\"\n",
        )
        .unwrap();
        let (target, source) = from_metadata(&dir.path().join("backend/app"), dir.path()).unwrap();
        assert_eq!(target, PythonVersion::new(3, 9));
        assert_eq!(
            source.to_string(),
            "tool.poetry.dependencies.python = \"^3.9\" in pyproject.toml"
        );
        // The nearer one wins.
        std::fs::write(
            dir.path().join("backend/pyproject.toml"),
            "[project]\nname = \"x\"\nrequires-python = \">=3.12\"\n",
        )
        .unwrap();
        let (target, _) = from_metadata(&dir.path().join("backend/app"), dir.path()).unwrap();
        assert_eq!(target, PythonVersion::new(3, 12));
        // A bad specifier is one located error line.
        std::fs::write(
            dir.path().join("backend/pyproject.toml"),
            "[project]\nname = \"x\"\nrequires-python = \">=3.x\"\n",
        )
        .unwrap();
        let e = from_metadata(&dir.path().join("backend/app"), dir.path()).unwrap_err();
        assert!(
            e.starts_with(
                "backend/pyproject.toml:3:19: error: `requires-python`: `>=3.x` is not a PEP 440"
            ),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
        // Below the oldest known version: the oldest, saying so.
        std::fs::write(
            dir.path().join("backend/pyproject.toml"),
            "[project]\nrequires-python = \">=3.6\"\n",
        )
        .unwrap();
        let (target, source) = from_metadata(&dir.path().join("backend/app"), dir.path()).unwrap();
        assert_eq!(target, PythonVersion::OLDEST);
        assert!(source.to_string().contains("3.6 is outside"), "{source}");
    }

    #[test]
    fn python_requires_of_setup_cfg_and_setup_py() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        let app = dir.path().join("app");
        std::fs::create_dir_all(&app).unwrap();
        // setup.py: the literal argument, or the name bound to one; never run.
        std::fs::write(
            dir.path().join("setup.py"),
            "import os\nPY = '>=3.9, <4'\nos.system('exit 1')\nsetup(name='x', python_requires=PY)\n",
        )
        .unwrap();
        let (target, source) = from_metadata(&app, dir.path()).unwrap();
        assert_eq!(target, PythonVersion::new(3, 9));
        assert_eq!(
            source.to_string(),
            "python_requires = \">=3.9, <4\" in setup.py"
        );
        // setup.cfg beside it wins over setup.py, pyproject.toml over both.
        std::fs::write(
            dir.path().join("setup.cfg"),
            "[metadata]\nname = x\n\n[options]\npython_requires = >=3.11\ninstall_requires =\n    fastapi\n",
        )
        .unwrap();
        let (target, source) = from_metadata(&app, dir.path()).unwrap();
        assert_eq!(target, PythonVersion::new(3, 11));
        assert_eq!(
            source.to_string(),
            "python_requires = \">=3.11\" in setup.cfg"
        );
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"x\"\nrequires-python = \">=3.12\"\n",
        )
        .unwrap();
        assert_eq!(
            from_metadata(&app, dir.path()).unwrap().0,
            PythonVersion::new(3, 12)
        );
        // A pyproject.toml without a constraint passes over to setup.cfg.
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[build-system]\nrequires = [\"setuptools\"]\n",
        )
        .unwrap();
        assert_eq!(
            from_metadata(&app, dir.path()).unwrap().0,
            PythonVersion::new(3, 11)
        );
        // A bad specifier is one located error line.
        std::fs::write(
            dir.path().join("setup.cfg"),
            "[options]\npython_requires = >=3.x\n",
        )
        .unwrap();
        let e = from_metadata(&app, dir.path()).unwrap_err();
        assert!(
            e.starts_with("setup.cfg:2:19: error: `python_requires`"),
            "{e}"
        );
        // No literal (computed): the default, no error.
        std::fs::remove_file(dir.path().join("setup.cfg")).unwrap();
        std::fs::write(
            dir.path().join("setup.py"),
            "setup(python_requires=compute())\n",
        )
        .unwrap();
        let (target, source) = from_metadata(&app, dir.path()).unwrap();
        assert_eq!(
            (target, source),
            (PythonVersion::DEFAULT, TargetSource::Default)
        );
    }
}
