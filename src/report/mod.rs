//! Output formats. Each reporter renders a finished run into bytes.

use std::path::{Path, PathBuf};

use crate::engine::RunResult;
use crate::gate::{Summary, Verdict};
use crate::rules::RuleMeta;

pub mod github;
pub mod json;
pub mod markdown;
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
    pub base_dir: PathBuf,
    /// Absolute project root (the configuration's directory): where files
    /// outside `base_dir` are placed in reports that leave the machine.
    pub project_root: PathBuf,
    /// How the findings compare with a baseline or `--since` base, when one
    /// was given: `summary` then counts the new and updated findings only.
    pub change: Option<&'a crate::baseline::Change>,
    /// The Python version checked against, and where it came from.
    pub target: crate::version::PythonVersion,
    pub target_source: String,
    /// Why the verdict is what it is, one line ([`crate::gate::decide`]).
    pub reason: String,
    /// What the test-enforcement gate read and measured, when it ran.
    pub gate: Option<&'a crate::testgate::Enforced>,
    /// Permalinks for the markdown report's `path:line` links.
    pub links: Option<markdown::Permalinks>,
}

/// Where a file is, as said by the reports that leave the machine (SARIF,
/// GitHub annotations): never an absolute path of the machine that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortablePath {
    /// Below the run's directory: the path relative to it, `/`-separated.
    Run(String),
    /// Outside the run's directory but below the project root: the path
    /// relative to the root.
    Project(String),
    /// Outside both: the file name alone.
    Outside(String),
}

impl PortablePath {
    /// The path (or name) itself.
    pub fn into_string(self) -> String {
        match self {
            PortablePath::Run(p) | PortablePath::Project(p) | PortablePath::Outside(p) => p,
        }
    }
}

impl Report<'_> {
    /// Whether the text and github reports show diagnostic `i` (with a
    /// base, only new and updated findings unless `--show-existing`).
    pub fn shown(&self, i: usize) -> bool {
        self.change.is_none_or(|c| c.shown(i))
    }

    /// The baseline state of diagnostic `i`, when there is a base.
    pub fn state(&self, i: usize) -> Option<crate::baseline::State> {
        self.change.and_then(|c| c.states.get(i).copied())
    }

    /// Where a base finding's file is (its path relative to the project root).
    pub fn portable_rel(&self, rel: &str) -> PortablePath {
        self.portable(&self.project_root.join(rel))
    }

    pub fn path(&self, file: usize) -> &str {
        &self.result.files[file].display
    }

    /// Where `file` is, without revealing the machine's directories.
    pub fn portable_path(&self, file: usize) -> PortablePath {
        self.portable(&self.result.files[file].path)
    }

    /// [`Report::portable_path`] of a path as shown (e.g. a walk error's):
    /// relative paths are below the run's directory already.
    pub fn portable_shown(&self, shown: &str) -> PortablePath {
        let path = Path::new(shown);
        if path.is_absolute() || shown.starts_with('/') {
            self.portable(path)
        } else {
            PortablePath::Run(shown.to_owned())
        }
    }

    fn portable(&self, path: &Path) -> PortablePath {
        let slash = |p: &Path| match p.to_string_lossy().replace('\\', "/") {
            rel if rel.is_empty() => ".".to_owned(),
            rel => rel,
        };
        if let Ok(rel) = path.strip_prefix(&self.base_dir) {
            return PortablePath::Run(slash(rel));
        }
        if let Ok(rel) = path.strip_prefix(&self.project_root) {
            return PortablePath::Project(slash(rel));
        }
        let name = path
            .file_name()
            .map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned());
        PortablePath::Outside(name)
    }
}

/// Serialized JSON with DEL and the C1 controls (U+0080..U+009F) written as
/// `\u00XX` escapes. serde_json escapes C0 controls itself but passes these
/// through, and a terminal showing the report may act on C1 ones (U+009B is
/// CSI). They can only occur inside JSON strings, so the result is the same
/// JSON value.
pub fn escape_json_controls(json: Vec<u8>) -> Vec<u8> {
    let needs = |w: &[u8]| w[0] == 0x7f || (w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1]));
    if !json.windows(2).any(needs) && json.last() != Some(&0x7f) {
        return json;
    }
    let mut out = Vec::with_capacity(json.len() + 64);
    let mut i = 0;
    while i < json.len() {
        let b = json[i];
        if b == 0x7f {
            out.extend_from_slice(b"\\u007f");
            i += 1;
        } else if b == 0xc2 && json.get(i + 1).is_some_and(|c| (0x80..=0x9f).contains(c)) {
            out.extend_from_slice(format!("\\u{:04x}", json[i + 1]).as_bytes());
            i += 2;
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_controls_are_escaped() {
        let value = serde_json::json!({ "m": "a\u{7f}b\u{9b}c\u{85}é\u{a0}\u{1b}" });
        let raw = serde_json::to_vec(&value).unwrap();
        let escaped = escape_json_controls(raw);
        let text = String::from_utf8(escaped.clone()).unwrap();
        assert!(!text.contains(|c: char| c.is_control()), "{text:?}");
        assert!(text.contains("\\u007f") && text.contains("\\u009b") && text.contains("\\u0085"));
        assert!(text.contains("é\u{a0}"), "{text:?}");
        let back: serde_json::Value = serde_json::from_slice(&escaped).unwrap();
        assert_eq!(back, value);
        let plain = br#"{"m":"x"}"#.to_vec();
        assert_eq!(escape_json_controls(plain.clone()), plain);
    }
}
