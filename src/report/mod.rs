//! Output formats. Each reporter renders a finished run into bytes.

use crate::engine::RunResult;
use crate::gate::{Summary, Verdict};
use crate::rules::RuleMeta;

pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const INFORMATION_URI: &str = "https://github.com/fortress-lint/fortress";

/// A run, ready to print.
pub struct Report<'a> {
    pub result: &'a RunResult,
    pub summary: &'a Summary,
    pub verdict: Verdict,
    /// Enabled rules in registry order (SARIF lists them all).
    pub rules: Vec<&'static RuleMeta>,
    /// Absolute directory reported paths are relative to (SARIF `%SRCROOT%`).
    pub base_dir: std::path::PathBuf,
}

impl Report<'_> {
    pub fn path(&self, file: usize) -> &str {
        &self.result.files[file].display
    }
}
