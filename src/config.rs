//! `[tool.fortress]` in pyproject.toml, or fortress.toml, merged with CLI flags.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{LineIndex, Severity};
use crate::options::OptionError;
pub use crate::paths::PathMatcher;
use crate::project::deps::options::{DependencySettings, RawDependencies};
use crate::project::layers::options::RawLayers;
use crate::project::layers::LayerSettings;
use crate::rules;
use crate::rules::security::options::{RawSecurity, SecuritySettings};

pub const DEFAULT_EXCLUDE: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "env",
    ".env",
    "node_modules",
    "__pycache__",
    "__pypackages__",
    "build",
    "dist",
    ".eggs",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".direnv",
    "site-packages",
];

/// A configuration or usage error: one line, naming where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

pub use crate::options::SpannedList;

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
    /// Source roots, relative to the configuration file's directory.
    pub src: Option<Vec<Spanned<String>>>,
    /// `[tool.fortress.layers]`: layer order, closed layers, patterns.
    pub layers: Option<Spanned<RawLayers>>,
    pub tests: Option<crate::project::testcode::RawTests>,
    /// `[tool.fortress.dependencies]`: the DEP rules.
    pub dependencies: Option<RawDependencies>,
    /// `[tool.fortress.security]`: the SEC rules.
    pub security: Option<RawSecurity>,
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

/// `max-file-size`: an integer number of bytes, or a string with a unit
/// (`"512KiB"`, `"10MiB"`, `"10MB"`; `K`/`M` are binary), at most the hard cap.
pub fn parse_size(value: &toml::Value) -> Result<u64, String> {
    let bytes = match value {
        toml::Value::Integer(n) if *n > 0 => *n as u64,
        toml::Value::String(s) => {
            let t = s.trim();
            let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
            let (digits, unit) = t.split_at(split);
            let n: u64 = digits
                .parse()
                .map_err(|_| format!("`{s}` is not a size such as 10485760 or \"10MiB\""))?;
            let factor = match unit.trim().to_ascii_lowercase().as_str() {
                "" | "b" => 1,
                "k" | "kb" | "kib" => 1024,
                "m" | "mb" | "mib" => 1024 * 1024,
                _ => return Err(format!("`{s}` is not a size such as 10485760 or \"10MiB\"")),
            };
            n.checked_mul(factor)
                .filter(|b| *b > 0)
                .ok_or_else(|| format!("`{s}` is not a positive size"))?
        }
        _ => {
            return Err(
                "expected a positive number of bytes or a string such as \"10MiB\"".to_owned(),
            )
        }
    };
    if bytes > crate::files::HARD_SOURCE_CAP {
        return Err(format!(
            "{} is more than the {} fortress can check",
            crate::files::human_size(bytes),
            crate::files::human_size(crate::files::HARD_SOURCE_CAP)
        ));
    }
    Ok(bytes)
}

/// When CONDITIONAL PASS fails the run too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    #[default]
    Fail,
    Conditional,
}

impl FailOn {
    pub fn parse(s: &str) -> Option<FailOn> {
        match s {
            "fail" => Some(FailOn::Fail),
            "conditional" => Some(FailOn::Conditional),
            _ => None,
        }
    }
}

/// Options given on the command line; `Some` replaces the config's value.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub select: Option<Vec<String>>,
    pub extend_select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    pub extend_exclude: Option<Vec<String>>,
    pub per_file_ignores: Option<Vec<String>>,
    pub fail_on: Option<String>,
    pub max_file_size: Option<String>,
}

/// Everything a run needs to know from configuration and flags.
#[derive(Debug)]
pub struct Settings {
    pub config_path: Option<PathBuf>,
    /// Indexed like `rules::registry()`.
    pub enabled: Vec<bool>,
    pub severity: Vec<Severity>,
    pub exclude: PathMatcher,
    pub per_file_ignores: Vec<(PathMatcher, Vec<usize>)>,
    pub fail_on: FailOn,
    /// Python files above this many bytes are not read (SYN003).
    pub max_file_size: u64,
    /// What the rules and the project model read: each family's table.
    pub options: rules::Options,
}

impl Settings {
    /// The project-wide options (root, source roots, layers, tests, dependencies).
    pub fn project(&self) -> &crate::project::Options {
        &self.options.project
    }
}

/// A family's [`OptionError`] as one `file:line:col: error: ...` line.
fn option_error(file: Option<&ConfigFile>, e: OptionError) -> ConfigError {
    match (file, e.span) {
        (Some(f), Some(span)) => f.error_at(span, format_args!("`{}`: {}", e.key, e.message)),
        (Some(f), None) => ConfigError(format!(
            "{}: error: `{}`: {}",
            f.display_path(),
            e.key,
            e.message
        )),
        (None, _) => ConfigError(format!("error: `{}`: {}", e.key, e.message)),
    }
}

enum Origin<'a> {
    File(&'a ConfigFile, Range<usize>, &'static str),
    Cli(&'static str),
}

impl Origin<'_> {
    fn error(&self, message: impl fmt::Display) -> ConfigError {
        match self {
            Origin::File(file, span, key) => {
                file.error_at(span.clone(), format_args!("`{key}`: {message}"))
            }
            Origin::Cli(flag) => ConfigError(format!("error: {flag}: {message}")),
        }
    }
}

fn selectors(
    origin: &Origin<'_>,
    values: &[(String, Option<Range<usize>>)],
) -> Result<Vec<usize>, ConfigError> {
    let mut out = Vec::new();
    for (value, span) in values {
        let matched = rules::matching(value);
        if matched.is_empty() || value.trim().is_empty() {
            let origin = match (origin, span) {
                (Origin::File(f, _, key), Some(span)) => Origin::File(f, span.clone(), key),
                (Origin::File(f, s, key), None) => Origin::File(f, s.clone(), key),
                (Origin::Cli(flag), _) => Origin::Cli(flag),
            };
            return Err(origin.error(format_args!(
                "unknown rule code or prefix `{value}` (see `fortress rules`)"
            )));
        }
        out.extend(matched);
    }
    Ok(out)
}

type Values = Vec<(String, Option<Range<usize>>)>;

fn spanned_values(v: &[Spanned<String>]) -> Values {
    v.iter()
        .map(|s| (s.get_ref().clone(), Some(s.span())))
        .collect()
}

fn cli_values(v: &[String]) -> Values {
    v.iter().map(|s| (s.clone(), None)).collect()
}

impl Settings {
    pub fn resolve(
        file: Option<&ConfigFile>,
        cli: &Overrides,
        root: PathBuf,
    ) -> Result<Settings, ConfigError> {
        let empty = RawConfig::default();
        let raw = file.map_or(&empty, |f| &f.raw);
        let registry = rules::registry();

        // Pick each list from the CLI when given there, else from the file.
        let pick = |cli_value: &Option<Vec<String>>,
                    file_value: &Option<Vec<Spanned<String>>>,
                    key: &'static str,
                    flag: &'static str|
         -> Option<(Values, Origin<'_>)> {
            if let Some(v) = cli_value {
                return Some((cli_values(v), Origin::Cli(flag)));
            }
            match (file_value, file) {
                (Some(v), Some(f)) => Some((spanned_values(v), Origin::File(f, 0..0, key))),
                _ => None,
            }
        };

        let mut enabled = vec![false; registry.len()];
        match pick(&cli.select, &raw.select, "select", "--select") {
            Some((values, origin)) => {
                for i in selectors(&origin, &values)? {
                    enabled[i] = true;
                }
            }
            None => enabled.iter_mut().for_each(|e| *e = true),
        }
        if let Some((values, origin)) = pick(
            &cli.extend_select,
            &raw.extend_select,
            "extend-select",
            "--extend-select",
        ) {
            for i in selectors(&origin, &values)? {
                enabled[i] = true;
            }
        }
        if let Some((values, origin)) = pick(&cli.ignore, &raw.ignore, "ignore", "--ignore") {
            for i in selectors(&origin, &values)? {
                enabled[i] = false;
            }
        }

        let mut severity: Vec<Severity> = registry.iter().map(|r| r.meta.severity).collect();
        if let (Some(map), Some(f)) = (&raw.severity, file) {
            for (code, level) in map {
                let origin = Origin::File(f, level.span(), "severity");
                let Some(level_value) = Severity::parse(level.get_ref()) else {
                    return Err(f.error_at(
                        level.span(),
                        format_args!(
                            "`severity.{}`: `{}` is not a severity; use \"blocker\", \"warning\" or \"info\"",
                            code.get_ref(),
                            level.get_ref()
                        ),
                    ));
                };
                for i in selectors(&origin, &[(code.get_ref().clone(), Some(code.span()))])? {
                    severity[i] = level_value;
                }
            }
        }

        let mut exclude_values: Vec<(String, Origin<'_>)> = Vec::new();
        match pick(&cli.exclude, &raw.exclude, "exclude", "--exclude") {
            Some((values, origin)) => push_globs(&mut exclude_values, values, &origin),
            None => exclude_values.extend(
                DEFAULT_EXCLUDE
                    .iter()
                    .map(|p| (p.to_string(), Origin::Cli("default exclude"))),
            ),
        }
        if let Some((values, origin)) = pick(
            &cli.extend_exclude,
            &raw.extend_exclude,
            "extend-exclude",
            "--extend-exclude",
        ) {
            push_globs(&mut exclude_values, values, &origin);
        }
        let patterns: Vec<&str> = exclude_values.iter().map(|(p, _)| p.as_str()).collect();
        let exclude = PathMatcher::new(&patterns).map_err(|(i, m)| exclude_values[i].1.error(m))?;

        let mut per_file_ignores = Vec::new();
        if let Some(entries) = &cli.per_file_ignores {
            for entry in entries {
                let origin = Origin::Cli("--per-file-ignores");
                let Some((pattern, codes)) = entry.rsplit_once(':') else {
                    return Err(origin.error(format_args!(
                        "`{entry}` is not of the form PATTERN:CODE[,CODE...]"
                    )));
                };
                let codes: Vec<String> = codes.split(',').map(|c| c.trim().to_owned()).collect();
                let ids = selectors(&origin, &cli_values(&codes))?;
                let matcher = PathMatcher::new(&[pattern]).map_err(|(_, m)| origin.error(m))?;
                per_file_ignores.push((matcher, ids));
            }
        } else if let (Some(map), Some(f)) = (&raw.per_file_ignores, file) {
            for (pattern, codes) in map {
                let origin = Origin::File(f, codes.span(), "per-file-ignores");
                let ids = selectors(&origin, &spanned_values(codes.get_ref()))?;
                let matcher = PathMatcher::new(&[pattern.get_ref()]).map_err(|(_, m)| {
                    Origin::File(f, pattern.span(), "per-file-ignores").error(m)
                })?;
                per_file_ignores.push((matcher, ids));
            }
        }

        let fail_on = match (&cli.fail_on, &raw.fail_on, file) {
            (Some(v), _, _) => FailOn::parse(v).ok_or_else(|| {
                Origin::Cli("--fail-on").error(format_args!(
                    "`{v}` is not one of \"fail\", \"conditional\""
                ))
            })?,
            (None, Some(v), Some(f)) => FailOn::parse(v.get_ref()).ok_or_else(|| {
                Origin::File(f, v.span(), "fail-on").error(format_args!(
                    "`{}` is not one of \"fail\", \"conditional\"",
                    v.get_ref()
                ))
            })?,
            _ => FailOn::Fail,
        };

        let max_file_size = match (&cli.max_file_size, &raw.max_file_size, file) {
            (Some(v), _, _) => parse_size(&toml::Value::String(v.clone()))
                .map_err(|m| Origin::Cli("--max-file-size").error(m))?,
            (None, Some(v), Some(f)) => parse_size(v.get_ref())
                .map_err(|m| Origin::File(f, v.span(), "max-file-size").error(m))?,
            _ => crate::files::SOURCE_CAP,
        };

        let mut src = Vec::new();
        if let (Some(list), Some(f)) = (&raw.src, file) {
            for entry in list {
                let dir = root.join(entry.get_ref());
                if !dir.is_dir() {
                    return Err(Origin::File(f, entry.span(), "src")
                        .error(format_args!("`{}` is not a directory", entry.get_ref())));
                }
                src.push(crate::paths::absolutize(&dir, &root));
            }
        }
        let tests = crate::project::testcode::TestSettings::resolve(raw.tests.as_ref())
            .map_err(|e| option_error(file, e))?;
        let dependencies = DependencySettings::resolve(raw.dependencies.as_ref())
            .map_err(|e| option_error(file, e))?;
        let layers = match &raw.layers {
            Some(layers) => crate::project::layers::options::resolve(layers)
                .map_err(|e| option_error(file, e))?,
            None => LayerSettings::default(),
        };
        let security = SecuritySettings::resolve(raw.security.as_ref());

        Ok(Settings {
            options: rules::Options {
                project: crate::project::Options {
                    root,
                    src,
                    layers,
                    tests,
                    dependencies,
                },
                security,
            },
            config_path: file.map(|f| f.path.clone()),
            enabled,
            severity,
            exclude,
            per_file_ignores,
            fail_on,
            max_file_size,
        })
    }

    /// Rules enabled for one file once per-file ignores are applied.
    pub fn enabled_for(&self, rel: &str) -> Vec<bool> {
        let mut enabled = self.enabled.clone();
        for (matcher, ids) in &self.per_file_ignores {
            if matcher.matches_path(rel) {
                for &i in ids {
                    enabled[i] = false;
                }
            }
        }
        enabled
    }
}

fn push_globs<'a>(out: &mut Vec<(String, Origin<'a>)>, values: Values, origin: &Origin<'a>) {
    for (value, span) in values {
        let o = match (origin, span) {
            (Origin::File(f, _, key), Some(span)) => Origin::File(f, span, key),
            (Origin::File(f, s, key), None) => Origin::File(f, s.clone(), key),
            (Origin::Cli(flag), _) => Origin::Cli(flag),
        };
        out.push((value, o));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(patterns: &[&str]) -> PathMatcher {
        PathMatcher::new(patterns).unwrap()
    }

    #[test]
    fn name_patterns_match_any_component() {
        let m = matcher(&[".venv", "*_pb2.py"]);
        assert!(m.matches_path("a/.venv/lib/x.py"));
        assert!(m.matches_path("proto/user_pb2.py"));
        assert!(!m.matches_path("a/venv2/x.py"));
    }

    fn layers_error(toml: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fortress.toml");
        std::fs::write(&path, toml).unwrap();
        let file = match ConfigFile::load(&path) {
            Ok(f) => f,
            Err(e) => return e.0,
        };
        match Settings::resolve(Some(&file), &Overrides::default(), dir.path().to_path_buf()) {
            Ok(_) => String::new(),
            Err(e) => e.0,
        }
    }

    #[test]
    fn layer_configuration_errors_point_at_the_line() {
        let e =
            layers_error("[layers]\norder = [\"endpoint\", \"service\"]\nclosed = [\"model\"]\n");
        assert!(e.ends_with("fortress.toml:3:11: error: `layers.closed`: `model` is not in the layer order (endpoint, service)"), "{e}");
        let e = layers_error("[layers]\norder = [\"endpoint\", \"domain\"]\n");
        assert!(
            e.contains(":2:22: error: `layers.order`: layer `domain` has no patterns"),
            "{e}"
        );
        let e = layers_error("[layers]\norder = [\"endpoint\", \"endpoint\"]\n");
        assert!(e.contains("appears twice"), "{e}");
        let e = layers_error("[layers.patterns]\nservice = [\"app/[x\"]\n");
        assert!(
            e.contains(":2:12: error: `layers.patterns`: invalid pattern"),
            "{e}"
        );
        let e = layers_error("[layers]\nmax-handler-statements = 0\n");
        assert!(
            e.contains(":2:26: error: `layers.max-handler-statements`"),
            "{e}"
        );
        let e = layers_error("[layers]\nordre = []\n");
        assert!(
            e.contains(":2:1: error: unknown key `ordre` in [layers]; expected one of `order`"),
            "{e}"
        );
        let ok = layers_error(
            "[layers]\norder = [\"endpoint\", \"domain\"]\n[layers.patterns]\ndomain = [\"core\"]\n",
        );
        assert_eq!(ok, "");
    }

    #[test]
    fn path_patterns_match_prefixes() {
        let m = matcher(&["tests/*", "legacy/old"]);
        assert!(m.matches_path("tests/unit/test_x.py"));
        assert!(m.matches_path("legacy/old/a.py"));
        assert!(!m.matches_path("src/legacy/old/a.py"));
    }

    /// `[tool.fortress.tests]` read through a configuration file.
    mod tests_table {
        use super::super::*;
        use crate::project::testcode::TestSettings;

        fn load(name: &str, text: &str) -> Result<TestSettings, ConfigError> {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let file = ConfigFile::load(&path)?;
            let settings = crate::config::Settings::resolve(
                Some(&file),
                &crate::config::Overrides::default(),
                dir.path().to_path_buf(),
            )?;
            Ok(settings.options.project.tests)
        }

        fn error_of(name: &str, text: &str) -> String {
            let e = load(name, text).expect_err("config error").0;
            let at = e.find(name).expect("path in message");
            e[at..].to_owned()
        }

        #[test]
        fn configured_conventions() {
            let t = load(
                "pyproject.toml",
                "[tool.fortress.tests]\npaths = [\"qa\"]\npython-files = [\"check_*.py\"]\n\
             python-classes = [\"*Suite\"]\npython-functions = [\"should_\"]\n\
             name-pattern = '^should_[a-z_]+$'\nassertion-helpers = [\"ensure\"]\n",
            )
            .unwrap();
            assert!(t.is_test_file("qa/helpers.py"));
            assert!(!t.is_test_file("tests/helpers.py"));
            assert!(t.is_test_module("src/check_orders.py"));
            assert!(!t.is_test_module("tests/test_orders.py"));
            assert!(t.is_test_class_name("OrderSuite"));
            assert!(!t.is_test_class_name("TestOrders"));
            assert!(t.is_test_function_name("should_work"));
            assert!(!t.is_test_function_name("test_work"));
            assert!(t.name_pattern.is_match("should_work"));
            assert!(!t.default_name_pattern);
            assert!(t.is_assertion_helper("ensure_ok"));
            assert!(!t.is_assertion_helper("assert_ok"));
        }

        #[test]
        fn fortress_toml_uses_a_tests_table() {
            let t = load("fortress.toml", "[tests]\npython-functions = [\"check\"]\n").unwrap();
            assert!(t.is_test_function_name("check_it"));
        }

        #[test]
        fn config_errors_point_at_the_value() {
            assert_eq!(
            error_of(
                "pyproject.toml",
                "[tool.fortress]\nselect = [\"TST\"]\n\n[tool.fortress.tests]\nname-pattern = \"test_(\"\n"
            ),
            "pyproject.toml:5:16: error: `tests.name-pattern`: `test_(` is not a valid regular expression: unclosed group"
        );
            assert_eq!(
            error_of(
                "pyproject.toml",
                "[tool.fortress.tests]\nname_pattern = \"x\"\n"
            ),
            "pyproject.toml:2:1: error: unknown key `name_pattern` in [tool.fortress.tests]; expected one of `paths`, `python-files`, `python-classes`, `python-functions`, `name-pattern`, `assertion-helpers`"
        );
            assert_eq!(
            error_of("fortress.toml", "[tests]\npython-files = [\"test_[.py\"]\n"),
            "fortress.toml:2:17: error: `tests.python-files`: invalid glob `test_[.py`: unclosed character class; missing ']'"
        );
            assert_eq!(
            error_of("fortress.toml", "[tests]\nassertion-helpers = [\"assert.that\"]\n"),
            "fortress.toml:2:22: error: `tests.assertion-helpers`: `assert.that` is not a name prefix (letters, digits and `_` only)"
        );
            assert_eq!(
            error_of("fortress.toml", "[tests]\npaths = \"tests\"\n"),
            "fortress.toml:2:9: error: `tests.paths`: invalid type: string \"tests\", expected an array"
        );
        }
    }
}
