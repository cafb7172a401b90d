//! `[tool.fortress.coverage]`: the table as written and its resolution.

use serde::Deserialize;
use toml::Spanned;

use crate::options::{OptionError, SpannedList};
use crate::paths::PathMatcher;

/// `[tool.fortress.coverage]`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCoverage {
    /// Coverage reports read when `--coverage` is not given (relative to
    /// the configuration's directory).
    pub reports: Option<SpannedList>,
    /// COV001: least total line coverage, in percent (default 80).
    pub fail_under: Option<Spanned<toml::Value>>,
    /// COV002: least coverage of the change's executable lines (default 80).
    pub new_code_fail_under: Option<Spanned<toml::Value>>,
    /// COV002: fewer executable changed lines than this are too few to judge (default 20).
    pub min_new_lines: Option<Spanned<i64>>,
    /// TSK002: most points total coverage may drop in a refactor (default 0.5).
    pub max_coverage_drop: Option<Spanned<toml::Value>>,
    /// Files new-code coverage leaves out (globs, like `exclude`).
    pub omit: Option<SpannedList>,
}

/// The coverage rules' settings, resolved.
#[derive(Debug, Clone)]
pub struct CoverageSettings {
    pub reports: Vec<String>,
    pub fail_under: f64,
    pub new_code_fail_under: f64,
    pub min_new_lines: usize,
    pub max_coverage_drop: f64,
    /// `omit`, when set.
    pub omit: Option<PathMatcher>,
}

impl Default for CoverageSettings {
    fn default() -> CoverageSettings {
        CoverageSettings {
            reports: Vec::new(),
            fail_under: 80.0,
            new_code_fail_under: 80.0,
            min_new_lines: 20,
            max_coverage_drop: 0.5,
            omit: None,
        }
    }
}

fn percent(value: &Spanned<toml::Value>, key: &str, max: f64) -> Result<f64, OptionError> {
    let v = match value.get_ref() {
        toml::Value::Integer(n) => *n as f64,
        toml::Value::Float(f) => *f,
        _ => return Err(OptionError::at(key, value, "expected a number")),
    };
    if !(0.0..=max).contains(&v) || v.is_nan() {
        return Err(OptionError::at(
            key,
            value,
            format!("{v} is not between 0 and {max}"),
        ));
    }
    Ok(v)
}

impl CoverageSettings {
    /// Whether new-code coverage leaves the file out.
    pub fn omits(&self, rel: &str) -> bool {
        self.omit.as_ref().is_some_and(|m| m.matches_path(rel))
    }

    pub fn resolve(raw: Option<&RawCoverage>) -> Result<CoverageSettings, OptionError> {
        let mut out = CoverageSettings::default();
        let Some(raw) = raw else { return Ok(out) };
        if let Some(list) = &raw.reports {
            for r in list {
                if r.get_ref().trim().is_empty() {
                    return Err(OptionError::at("coverage.reports", r, "the path is empty"));
                }
                out.reports.push(r.get_ref().clone());
            }
        }
        if let Some(v) = &raw.fail_under {
            out.fail_under = percent(v, "coverage.fail-under", 100.0)?;
        }
        if let Some(v) = &raw.new_code_fail_under {
            out.new_code_fail_under = percent(v, "coverage.new-code-fail-under", 100.0)?;
        }
        if let Some(v) = &raw.max_coverage_drop {
            out.max_coverage_drop = percent(v, "coverage.max-coverage-drop", 100.0)?;
        }
        if let Some(v) = &raw.min_new_lines {
            out.min_new_lines = usize::try_from(*v.get_ref()).map_err(|_| {
                OptionError::at("coverage.min-new-lines", v, "expected a count of 0 or more")
            })?;
        }
        if let Some(list) = &raw.omit {
            let patterns: Vec<&str> = list.iter().map(|s| s.get_ref().as_str()).collect();
            out.omit = Some(
                PathMatcher::new(&patterns)
                    .map_err(|(i, m)| OptionError::at("coverage.omit", &list[i], m))?,
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(text: &str) -> Result<CoverageSettings, OptionError> {
        let raw: RawCoverage = toml::from_str(text).expect("toml");
        CoverageSettings::resolve(Some(&raw))
    }

    #[test]
    fn values_and_errors() {
        let s = resolve("fail-under = 90\nnew-code-fail-under = 75.5\nmin-new-lines = 5\nmax-coverage-drop = 1\nomit = [\"scripts\"]\n").unwrap();
        assert_eq!(
            (
                s.fail_under,
                s.new_code_fail_under,
                s.min_new_lines,
                s.max_coverage_drop
            ),
            (90.0, 75.5, 5, 1.0)
        );
        assert!(s
            .omit
            .as_ref()
            .is_some_and(|m| m.matches_path("scripts/x.py")));
        let d = CoverageSettings::resolve(None).unwrap();
        assert_eq!(
            (d.fail_under, d.min_new_lines, d.max_coverage_drop),
            (80.0, 20, 0.5)
        );
        assert_eq!(
            resolve("fail-under = 120").unwrap_err().message,
            "120 is not between 0 and 100"
        );
        assert_eq!(
            resolve("fail-under = \"x\"").unwrap_err().message,
            "expected a number"
        );
        assert_eq!(
            resolve("min-new-lines = -1").unwrap_err().key,
            "coverage.min-new-lines"
        );
    }
}
