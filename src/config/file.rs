//! Finding, reading and placing errors in a configuration file.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::*;
use crate::diagnostic::LineIndex;
use crate::project::deps::options::RawDependencies;
use crate::project::layers::options::RawLayers;
use crate::rules::security::options::RawSecurity;

/// The keys of `[tool.fortress]`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawConfig {
    pub select: Option<Vec<Spanned<String>>>,
    pub extend_select: Option<Vec<Spanned<String>>>,
    pub ignore: Option<Vec<Spanned<String>>>,
    pub exclude: Option<Vec<Spanned<String>>>,
    pub extend_exclude: Option<Vec<Spanned<String>>>,
    pub per_file_ignores: Option<BTreeMap<Spanned<String>, Spanned<SpannedList>>>,
    pub severity: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    pub fail_on: Option<Spanned<String>>,
    /// Largest Python file checked: bytes, or a string such as `"10MiB"`.
    pub max_file_size: Option<Spanned<toml::Value>>,
    /// The Python version checked against (`py310`); default: the lowest
    /// `requires-python` allows.
    pub target_version: Option<Spanned<String>>,
    /// Source roots, relative to the configuration file's directory.
    pub src: Option<Vec<Spanned<String>>>,
    /// `[tool.fortress.layers]`: layer order, closed layers, patterns.
    pub layers: Option<Spanned<RawLayers>>,
    pub tests: Option<crate::project::testcode::RawTests>,
    /// `[tool.fortress.dependencies]`: the DEP rules.
    pub dependencies: Option<RawDependencies>,
    /// `[tool.fortress.security]`: the SEC rules.
    pub security: Option<RawSecurity>,
    /// `[tool.fortress.coverage]`: the COV and TSK rules.
    pub coverage: Option<crate::rules::coverage::options::RawCoverage>,
    /// `[tool.fortress.errors]`: the ERR rules.
    pub errors: Option<crate::rules::errors::options::RawErrors>,
    /// `[tool.fortress.api]`: the API rules.
    pub api: Option<crate::rules::api::options::RawApi>,
    /// `[tool.fortress.naming]`: the NAM rules.
    pub naming: Option<crate::rules::naming::options::RawNaming>,
    /// The baseline file `check` compares with (relative to the configuration's directory).
    pub baseline: Option<Spanned<String>>,
    /// The fortress versions this project accepts (a PEP 440 specifier, `">=0.2"`).
    pub required_version: Option<Spanned<String>>,
    /// Exclusions apply to paths named on the command line too (pre-commit passes file names).
    pub force_exclude: Option<bool>,
    /// Honour other tools' directives for the same checks (`# noqa: S608`, `# nosec`); default true.
    pub external_suppressions: Option<bool>,
    /// Rules whose fixes `--fix` may apply (codes or prefixes; default: all).
    pub fixable: Option<Vec<Spanned<String>>>,
    /// Rules whose fixes `--fix` never applies.
    pub unfixable: Option<Vec<Spanned<String>>>,
    /// Where the result cache lives (relative to the configuration's directory).
    pub cache_dir: Option<Spanned<String>>,
}

#[derive(Deserialize)]
struct PyProject {
    tool: Option<PyProjectTools>,
}

#[derive(Deserialize)]
struct PyProjectTools {
    fortress: Option<RawConfig>,
}

/// A loaded configuration file.
#[derive(Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub source: String,
    pub raw: RawConfig,
}

impl ConfigFile {
    pub(crate) fn error_at(&self, span: Range<usize>, message: impl fmt::Display) -> ConfigError {
        let lines = LineIndex::new(&self.source);
        let pos = lines.position(span.start, &self.source);
        ConfigError(format!(
            "{}:{}:{}: error: {message}",
            self.display_path(),
            pos.line,
            pos.column
        ))
    }

    /// Relative to the current directory when below it, like reported source paths.
    pub(crate) fn display_path(&self) -> String {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| crate::paths::relative_to(&self.path, &cwd))
            .unwrap_or_else(|| self.path.display().to_string())
    }

    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let source = crate::files::read_bounded(path, crate::files::CONFIG_CAP)
            .map_err(|e| {
                ConfigError(format!(
                    "{}: error: cannot read config: {e}",
                    path.display()
                ))
            })
            .and_then(|bytes| {
                String::from_utf8(bytes).map_err(|_| {
                    ConfigError(format!(
                        "{}: error: cannot read config: not valid UTF-8",
                        path.display()
                    ))
                })
            })?;
        ConfigFile::from_source(path, source)
    }

    /// A configuration file's text (read from disk, or a base revision's
    /// blob), parsed as if it sat at `path`.
    pub fn from_source(path: &Path, source: String) -> Result<ConfigFile, ConfigError> {
        let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
        let parsed = if is_pyproject {
            toml::from_str::<PyProject>(&source)
                .map(|p| p.tool.and_then(|t| t.fortress).unwrap_or_default())
        } else {
            toml::from_str::<RawConfig>(&source)
        };
        let mut file = ConfigFile {
            path: path.to_path_buf(),
            source,
            raw: RawConfig::default(),
        };
        match parsed {
            Ok(raw) => {
                file.raw = raw;
                Ok(file)
            }
            Err(err) => {
                let message = err.message().trim().replace('\n', " ");
                let message = if let Some(rest) = message.strip_prefix("unknown field ") {
                    // "unknown field `x`, expected one of ..." -> name the table before the list.
                    let (key, expected) = rest.split_once(", ").unwrap_or((rest, ""));
                    let header = err
                        .span()
                        .and_then(|span| table_header_before(&file.source, span.start));
                    let section = match header {
                        Some(h) => format!(" in {h}"),
                        None if is_pyproject => " in [tool.fortress]".to_owned(),
                        None => String::new(),
                    };
                    let sep = if expected.is_empty() { "" } else { "; " };
                    let hint = if key == "`tool`" && !is_pyproject {
                        " (fortress.toml holds the keys of [tool.fortress] at its top level)"
                    } else {
                        ""
                    };
                    format!("unknown key {key}{section}{sep}{expected}{hint}")
                } else {
                    // serde names the type it wanted, not the key that holds the value.
                    let message = message
                        .replace("invalid type: sequence", "invalid type: array")
                        .replace("invalid type: map", "invalid type: table")
                        .replace("expected a sequence", "expected an array")
                        .replace("expected a map", "expected a table")
                        .replace("expected struct RawConfig", "expected a table");
                    match err
                        .span()
                        .and_then(|s| key_at(&file.source, s.start, is_pyproject))
                    {
                        Some(key) => format!("`{key}`: {message}"),
                        None => message,
                    }
                };
                Err(match err.span() {
                    Some(span) => file.error_at(span, message),
                    None => ConfigError(format!("{}: error: {message}", file.display_path())),
                })
            }
        }
    }
}

/// The dotted key whose entry holds byte `offset` of a TOML document, e.g.
/// `severity.TYP001`; relative to `[tool.fortress]` for a pyproject.toml.
fn key_at(source: &str, offset: usize, is_pyproject: bool) -> Option<String> {
    let doc = toml::de::DeTable::parse(source).ok()?;
    let covers = |span: Range<usize>| span.start <= offset && offset < span.end.max(span.start + 1);
    let mut best: Option<(usize, usize, Vec<String>)> = None;
    // Tables opened by a `[header]` do not span their entries, so every
    // entry is visited rather than only those inside a matching parent.
    let mut stack: Vec<(Vec<String>, &toml::de::DeTable<'_>)> = vec![(Vec::new(), doc.get_ref())];
    while let Some((path, table)) = stack.pop() {
        for (key, value) in table {
            let mut here = path.clone();
            here.push(key.get_ref().to_string());
            if covers(key.span()) || covers(value.span()) {
                let size = value.span().len();
                let better = best.as_ref().is_none_or(|(depth, best_size, _)| {
                    here.len() > *depth || (here.len() == *depth && size < *best_size)
                });
                if better {
                    best = Some((here.len(), size, here.clone()));
                }
            }
            match value.get_ref() {
                toml::de::DeValue::Table(inner) => stack.push((here, inner)),
                toml::de::DeValue::Array(items) => {
                    for item in items.iter() {
                        if let toml::de::DeValue::Table(inner) = item.get_ref() {
                            stack.push((here.clone(), inner));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut path = best?.2;
    if is_pyproject && path.len() > 2 && path[0] == "tool" && path[1] == "fortress" {
        path.drain(..2);
    }
    Some(path.join("."))
}

/// The `[table]` header governing byte `offset`, so an unknown key in
/// `[tool.fortress.tests]` is reported against that table.
fn table_header_before(source: &str, offset: usize) -> Option<&str> {
    source
        .get(..offset)?
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && !l.starts_with("[["))
        .and_then(|l| l.find(']').map(|end| &l[..=end]))
}

/// Find the configuration that applies to `start`: the nearest directory at or
/// above it holding `fortress.toml`, or a `pyproject.toml` with `[tool.fortress]`.
pub fn discover(start: &Path) -> Result<Option<PathBuf>, ConfigError> {
    let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    let first_dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    let mut dir = first_dir;
    while let Some(d) = dir {
        let fortress = d.join("fortress.toml");
        if fortress.symlink_metadata().is_ok() {
            confined_config(&fortress, d)?;
            return Ok(Some(fortress));
        }
        let pyproject = d.join("pyproject.toml");
        if pyproject.symlink_metadata().is_ok() {
            let text = confined_config(&pyproject, d)?;
            if has_fortress_table(&text) {
                return Ok(Some(pyproject));
            }
        }
        dir = d.parent();
    }
    Ok(None)
}

/// A configuration file found by discovery is part of the checked tree: it
/// must be a regular file of bounded size that does not lead out of its
/// repository (a `pyproject.toml -> /dev/zero` or `-> /etc/passwd` stops the
/// run with one line instead of being read, ignored or quoted).
fn confined_config(path: &Path, dir: &Path) -> Result<String, ConfigError> {
    let boundary = crate::files::Boundary::at(
        &crate::files::repository_root(dir).unwrap_or_else(|| dir.to_path_buf()),
    );
    let bytes =
        crate::files::read_confined(path, crate::files::CONFIG_CAP, &boundary).map_err(|e| {
            ConfigError(format!(
                "{}: error: cannot read config: {e}",
                path.display()
            ))
        })?;
    Ok(crate::files::lossy_text(bytes))
}

fn has_fortress_table(pyproject: &str) -> bool {
    match pyproject.parse::<toml::Table>() {
        Ok(table) => table
            .get("tool")
            .and_then(|t| t.as_table())
            .is_some_and(|t| t.contains_key("fortress")),
        // A broken pyproject.toml that mentions us must be reported, not skipped.
        Err(_) => pyproject.contains("tool.fortress"),
    }
}
