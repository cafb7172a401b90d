//! `required-version = ">=0.2"`: the fortress versions a project accepts, so
//! that a pre-commit pin, CI and local installs cannot silently drift apart.

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};

use super::{ConfigError, ConfigFile};

/// The running fortress's version.
pub const RUNNING: &str = env!("CARGO_PKG_VERSION");

/// Stop the run (one line, exit 2) when the configuration's
/// `required-version` does not admit the running fortress. A bare version
/// (`"0.2.0"`) means exactly that version, as in ruff.
pub fn check_required_version(file: Option<&ConfigFile>) -> Result<(), ConfigError> {
    let Some(file) = file else { return Ok(()) };
    let Some(required) = &file.raw.required_version else {
        return Ok(());
    };
    let text = required.get_ref().trim();
    let error = |message: String| file.error_at(required.span(), message);
    let specifiers = if text.starts_with(|c: char| c.is_ascii_digit()) {
        VersionSpecifiers::from_str(&format!("=={text}"))
    } else {
        VersionSpecifiers::from_str(text)
    }
    .map_err(|e| {
        error(format!(
            "`required-version`: `{text}` is not a PEP 440 version specifier such as \">=0.2\": {}",
            e.to_string().lines().next().unwrap_or("")
        ))
    })?;
    let running = Version::from_str(RUNNING).map_err(|e| {
        error(format!(
            "cannot read fortress's own version `{RUNNING}`: {e}"
        ))
    })?;
    if specifiers.contains(&running) {
        return Ok(());
    }
    Err(error(format!(
        "`required-version`: this project requires fortress {text}, but this is fortress {RUNNING}; \
         install a matching one (`pip install \"fortress-lint{}\"`)",
        if text.starts_with(|c: char| c.is_ascii_digit()) {
            format!("=={text}")
        } else {
            text.to_owned()
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: &str) -> Result<(), String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("fortress.toml");
        std::fs::write(&path, format!("required-version = \"{value}\"\n")).expect("write");
        let file = ConfigFile::load(&path).map_err(|e| e.0)?;
        check_required_version(Some(&file)).map_err(|e| {
            let at = e.0.find("fortress.toml").expect("path in message");
            e.0[at..].to_owned()
        })
    }

    #[test]
    fn satisfied_specifiers_pass() {
        assert_eq!(check(&format!(">={RUNNING}")), Ok(()));
        assert_eq!(check(RUNNING), Ok(()));
        assert_eq!(check(">=0.1, <100"), Ok(()));
        assert_eq!(check_required_version(None), Ok(()));
    }

    #[test]
    fn unsatisfied_and_invalid_specifiers_are_one_line() {
        let e = check(">=100").expect_err("unsatisfied");
        assert_eq!(
            e,
            format!("fortress.toml:1:20: error: `required-version`: this project requires fortress >=100, but this is fortress {RUNNING}; install a matching one (`pip install \"fortress-lint>=100\"`)")
        );
        let e = check("99.0").expect_err("exact");
        assert!(
            e.contains("requires fortress 99.0") && e.contains("fortress-lint==99.0"),
            "{e}"
        );
        let e = check("=>0.2").expect_err("invalid");
        assert!(
            e.starts_with("fortress.toml:1:20: error: `required-version`: `=>0.2` is not a PEP 440 version specifier"),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }
}
