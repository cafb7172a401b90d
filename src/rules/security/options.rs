//! `[tool.fortress.security]`: the table as written and its resolution.

use serde::Deserialize;

/// `[tool.fortress.security]`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSecurity {
    /// Report hard-coded secrets (SEC004) in test code too (default false).
    pub check_test_files: Option<bool>,
}

/// The security rules' settings, resolved.
#[derive(Debug, Clone, Default)]
pub struct SecuritySettings {
    pub check_test_files: bool,
}

impl SecuritySettings {
    pub fn resolve(raw: Option<&RawSecurity>) -> SecuritySettings {
        SecuritySettings {
            check_test_files: raw.and_then(|s| s.check_test_files).unwrap_or(false),
        }
    }
}
