//! `[tool.fortress.errors]`: the table as written and its resolution.

use serde::Deserialize;

use crate::options::{OptionError, SpannedList};

/// The builtin classes ERR001 reports by default.
pub const DEFAULT_GENERIC: &[&str] = &["Exception", "BaseException"];

/// `[tool.fortress.errors]`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawErrors {
    /// ERR001: the builtin exception classes too generic to raise in the
    /// service and repository layers (replaces the default list).
    pub generic_exceptions: Option<SpannedList>,
}

/// The error-handling rules' settings, resolved.
#[derive(Debug, Clone)]
pub struct ErrorSettings {
    pub generic_exceptions: Vec<String>,
}

impl Default for ErrorSettings {
    fn default() -> ErrorSettings {
        ErrorSettings {
            generic_exceptions: DEFAULT_GENERIC.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

impl ErrorSettings {
    pub fn resolve(raw: Option<&RawErrors>) -> Result<ErrorSettings, OptionError> {
        let mut out = ErrorSettings::default();
        let Some(list) = raw.and_then(|r| r.generic_exceptions.as_ref()) else {
            return Ok(out);
        };
        out.generic_exceptions.clear();
        for name in list {
            let n = name.get_ref().trim();
            let identifier = n.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !identifier {
                return Err(OptionError::at(
                    "errors.generic-exceptions",
                    name,
                    format!("`{n}` is not a builtin class name (`Exception`, `RuntimeError`)"),
                ));
            }
            out.generic_exceptions.push(n.to_owned());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(toml_text: &str) -> RawErrors {
        toml::from_str(toml_text).expect("toml")
    }

    #[test]
    fn the_list_replaces_the_default_and_must_hold_names() {
        let s = ErrorSettings::resolve(Some(&raw("generic-exceptions = [\"RuntimeError\"]")))
            .expect("valid");
        assert_eq!(s.generic_exceptions, vec!["RuntimeError".to_owned()]);
        assert_eq!(
            ErrorSettings::resolve(None)
                .expect("default")
                .generic_exceptions,
            vec!["Exception".to_owned(), "BaseException".to_owned()]
        );
        let e = ErrorSettings::resolve(Some(&raw("generic-exceptions = [\"app.Err\"]")))
            .expect_err("dotted");
        assert_eq!(e.key, "errors.generic-exceptions");
        assert!(toml::from_str::<RawErrors>("other = 1").is_err());
    }
}
