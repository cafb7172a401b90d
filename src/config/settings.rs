//! Resolving a configuration file and the command line into [`Settings`].

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::*;
use crate::diagnostic::Severity;
use crate::options::OptionError;
use crate::project::deps::options::DependencySettings;
use crate::project::layers::LayerSettings;
use crate::project::target::{parse_target, TargetSource};
use crate::rules;
use crate::rules::security::options::SecuritySettings;
use crate::version::PythonVersion;

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
    /// `baseline = "..."`: the baseline `check` compares with (absolute).
    pub baseline: Option<PathBuf>,
    /// Exclusions apply to paths named on the command line too.
    pub force_exclude: bool,
    /// `# noqa: S608` / `# nosec` silence the fortress rule of the same check.
    pub external_suppressions: bool,
    /// Rules whose fixes `--fix` may apply, indexed like `rules::registry()`.
    pub fixable: Vec<bool>,
    /// The result cache's directory (absolute); `None`: no cache (`--no-cache`).
    pub cache_dir: Option<PathBuf>,
    /// Say on stderr what the cache served (`FORTRESS_CACHE_STATS`).
    pub cache_stats: bool,
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
        let security =
            SecuritySettings::resolve(raw.security.as_ref()).map_err(|e| option_error(file, e))?;
        let coverage =
            crate::rules::coverage::options::CoverageSettings::resolve(raw.coverage.as_ref())
                .map_err(|e| option_error(file, e))?;
        let errors = crate::rules::errors::options::ErrorSettings::resolve(raw.errors.as_ref())
            .map_err(|e| option_error(file, e))?;
        let api = crate::rules::api::options::ApiSettings::resolve(raw.api.as_ref())
            .map_err(|e| option_error(file, e))?;
        let naming = crate::rules::naming::options::NamingSettings::resolve(raw.naming.as_ref())
            .map_err(|e| option_error(file, e))?;
        let baseline = match (&raw.baseline, file) {
            (Some(b), Some(f)) if b.get_ref().trim().is_empty() => {
                return Err(Origin::File(f, b.span(), "baseline").error("the path is empty"))
            }
            (Some(b), _) => Some(crate::paths::absolutize(Path::new(b.get_ref()), &root)),
            (None, _) => None,
        };
        let (target, target_source) = resolve_target(file, cli, raw, &root)?;
        let cache_dir = match (&raw.cache_dir, file) {
            _ if !cli.cache => None,
            _ if cli.cache_dir.is_some() => cli.cache_dir.clone(),
            (Some(d), Some(f)) if d.get_ref().trim().is_empty() => {
                return Err(Origin::File(f, d.span(), "cache-dir").error("the path is empty"))
            }
            (Some(d), _) => Some(crate::paths::absolutize(Path::new(d.get_ref()), &root)),
            (None, _) => Some(root.join(CACHE_DIR)),
        };

        let mut fixable = vec![true; registry.len()];
        if let Some((values, origin)) = pick(&cli.fixable, &raw.fixable, "fixable", "--fixable") {
            fixable = vec![false; registry.len()];
            for i in selectors(&origin, &values)? {
                fixable[i] = true;
            }
        }
        if let Some((values, origin)) =
            pick(&cli.unfixable, &raw.unfixable, "unfixable", "--unfixable")
        {
            for i in selectors(&origin, &values)? {
                fixable[i] = false;
            }
        }

        Ok(Settings {
            baseline,
            force_exclude: cli.force_exclude || raw.force_exclude.unwrap_or(false),
            external_suppressions: raw.external_suppressions.unwrap_or(true),
            fixable,
            options: rules::Options {
                project: crate::project::Options {
                    root,
                    src,
                    layers,
                    tests,
                    dependencies,
                    target,
                    target_source,
                },
                security,
                coverage,
                errors,
                api,
                naming,
            },
            config_path: file.map(|f| f.path.clone()),
            enabled,
            severity,
            exclude,
            per_file_ignores,
            fail_on,
            max_file_size,
            cache_dir,
            cache_stats: cli.cache_stats,
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

/// `--target-version`, else `target-version`, else what the project's
/// `requires-python` implies, else the default.
fn resolve_target(
    file: Option<&ConfigFile>,
    cli: &Overrides,
    raw: &RawConfig,
    root: &std::path::Path,
) -> Result<(PythonVersion, TargetSource), ConfigError> {
    if let Some(v) = &cli.target_version {
        let target = parse_target(v).map_err(|m| Origin::Cli("--target-version").error(m))?;
        return Ok((target, TargetSource::Flag));
    }
    if let (Some(v), Some(f)) = (&raw.target_version, file) {
        let target = parse_target(v.get_ref())
            .map_err(|m| Origin::File(f, v.span(), "target-version").error(m))?;
        return Ok((target, TargetSource::Config(f.display_path())));
    }
    let start = match (file, &cli.project_dir) {
        (Some(f), _) => f
            .path
            .parent()
            .map_or_else(|| root.to_path_buf(), |p| p.to_path_buf()),
        (None, Some(dir)) => dir.clone(),
        (None, None) => root.to_path_buf(),
    };
    let start = crate::paths::absolutize(&start, root);
    let cwd = std::env::current_dir().unwrap_or_else(|_| root.to_path_buf());
    crate::project::target::from_metadata(&start, &cwd).map_err(ConfigError)
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
