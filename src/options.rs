//! What a rule family's option table reports when a value is wrong. Each
//! family parses and checks its own `[tool.fortress.<family>]` table beside
//! the code that reads it; configuration loading only turns an
//! [`OptionError`] into a `file:line:col: error: ...` line.

use std::ops::Range;

/// A list of strings as written in TOML, each with its place in the file.
pub type SpannedList = Vec<toml::Spanned<String>>;

/// One bad key: its dotted name inside `[tool.fortress]` (`tests.paths`),
/// where its value sits in the file when known, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    pub key: String,
    pub span: Option<Range<usize>>,
    pub message: String,
}

impl OptionError {
    pub fn new(
        key: impl Into<String>,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> OptionError {
        OptionError {
            key: key.into(),
            span,
            message: message.into(),
        }
    }

    /// At a spanned value.
    pub fn at<T>(
        key: impl Into<String>,
        value: &toml::Spanned<T>,
        message: impl Into<String>,
    ) -> OptionError {
        OptionError::new(key, Some(value.span()), message)
    }
}

impl std::fmt::Display for OptionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)
    }
}
