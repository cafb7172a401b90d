//! `[tool.fortress.dependencies]`: the table as written and its resolution.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::options::OptionError;

/// `[tool.fortress.dependencies]`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawDependencies {
    /// Distributions DEP003 never reports as unused.
    pub ignore_unused: Option<Vec<Spanned<String>>>,
    /// Top-level import names that belong to the project.
    pub known_first_party: Option<Vec<Spanned<String>>>,
    /// Import name -> distribution(s) providing it.
    pub extra_mappings: Option<BTreeMap<String, Spanned<OneOrMany>>>,
    /// Check imports in test files too (default true).
    pub check_test_files: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The dependency rules' settings, resolved.
#[derive(Debug, Clone)]
pub struct DependencySettings {
    /// Normalised distribution names.
    pub ignore_unused: Vec<String>,
    pub known_first_party: Vec<String>,
    /// Dotted import name -> normalised distributions.
    pub extra_mappings: Vec<(String, Vec<String>)>,
    pub check_test_files: bool,
}

impl Default for DependencySettings {
    fn default() -> Self {
        DependencySettings {
            ignore_unused: Vec::new(),
            known_first_party: Vec::new(),
            extra_mappings: Vec::new(),
            check_test_files: true,
        }
    }
}

impl DependencySettings {
    pub fn resolve(raw: Option<&RawDependencies>) -> Result<Self, OptionError> {
        let mut out = DependencySettings::default();
        let Some(raw) = raw else {
            return Ok(out);
        };
        let dist = |s: &Spanned<String>, key: &'static str| -> Result<String, OptionError> {
            let v = s.get_ref().trim();
            if super::names::is_valid_dist_name(v) {
                Ok(super::names::normalize(v))
            } else {
                Err(OptionError::at(
                    key,
                    s,
                    format!("`{v}` is not a distribution name"),
                ))
            }
        };
        for s in raw.ignore_unused.iter().flatten() {
            out.ignore_unused
                .push(dist(s, "dependencies.ignore-unused")?);
        }
        for s in raw.known_first_party.iter().flatten() {
            let v = s.get_ref().trim();
            if v.is_empty() || !v.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(OptionError::at(
                    "dependencies.known-first-party",
                    s,
                    format!("`{v}` is not a top-level module name"),
                ));
            }
            out.known_first_party.push(v.to_owned());
        }
        for (import, dists) in raw.extra_mappings.iter().flatten() {
            let names: Vec<String> = match dists.get_ref() {
                OneOrMany::One(d) => vec![d.clone()],
                OneOrMany::Many(d) => d.clone(),
            };
            let mut normalized = Vec::new();
            for n in names {
                normalized.push(dist(
                    &Spanned::new(dists.span(), n),
                    "dependencies.extra-mappings",
                )?);
            }
            out.extra_mappings
                .push((import.trim().to_owned(), normalized));
        }
        if let Some(b) = raw.check_test_files {
            out.check_test_files = b;
        }
        Ok(out)
    }
}
