//! The baseline file: a header (schema version, fingerprint version,
//! fortress version, the rules enabled when it was written, the commit
//! checked out then, if any), then one entry per line, sorted. Deterministic: the same findings give the same bytes
//! on every machine and for any number of threads.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::fingerprint::FINGERPRINT_VERSION;
use super::Entry;
use crate::config::ConfigError;

/// Bumped when the file's shape changes. Version 1 (no `commit`) is read too.
pub const SCHEMA_VERSION: u32 = 2;
/// `fortress baseline write` without a file name.
pub const DEFAULT_FILE: &str = "fortress-baseline.json";
/// A baseline larger than this is refused (a generous bound: an entry is
/// about 200 bytes).
const BASELINE_CAP: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub schema_version: u32,
    pub fingerprint_version: u32,
    pub fortress_version: String,
    /// The rules enabled when it was written: a check with another
    /// selection says what differs.
    pub rules: Vec<String>,
    /// `HEAD` when it was written, in a git repository: renames since are
    /// followed from it ([`super::renames`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub entries: Vec<Entry>,
}

impl Baseline {
    pub fn new(rules: Vec<String>, mut entries: Vec<Entry>) -> Baseline {
        entries.sort();
        Baseline {
            schema_version: SCHEMA_VERSION,
            fingerprint_version: FINGERPRINT_VERSION,
            fortress_version: env!("CARGO_PKG_VERSION").to_owned(),
            rules,
            commit: None,
            entries,
        }
    }

    pub fn count(&self) -> usize {
        self.entries.iter().map(|e| e.count).sum()
    }

    /// The file's bytes: the header fields one per line, then each entry on
    /// its own line (diffs of a baseline read like diffs of findings).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::from("{\n");
        out.push_str(&format!(
            "  \"schema_version\": {},\n",
            json(&self.schema_version)
        ));
        out.push_str(&format!(
            "  \"fingerprint_version\": {},\n",
            json(&self.fingerprint_version)
        ));
        out.push_str(&format!(
            "  \"fortress_version\": {},\n",
            json(&self.fortress_version)
        ));
        out.push_str(&format!("  \"rules\": {},\n", json(&self.rules)));
        if let Some(commit) = &self.commit {
            out.push_str(&format!("  \"commit\": {},\n", json(commit)));
        }
        out.push_str("  \"entries\": [");
        for (i, e) in self.entries.iter().enumerate() {
            out.push_str(if i == 0 { "\n    " } else { ",\n    " });
            out.push_str(&json(e));
        }
        out.push_str(if self.entries.is_empty() {
            "]\n}\n"
        } else {
            "\n  ]\n}\n"
        });
        escape_controls(&out).into_bytes()
    }

    /// Read and check a baseline; every problem is one line.
    pub fn load(path: &Path) -> Result<Baseline, ConfigError> {
        let shown = path.display();
        let bytes = crate::files::read_bounded(path, BASELINE_CAP)
            .map_err(|e| ConfigError(format!("error: cannot read baseline {shown}: {e}")))?;
        // The versions first, so an old or future file says so rather than
        // failing on a field it does not know.
        #[derive(Deserialize)]
        struct Versions {
            schema_version: Option<serde_json::Value>,
            fingerprint_version: Option<serde_json::Value>,
        }
        let versions: Versions = serde_json::from_slice(&bytes).map_err(|e| {
            ConfigError(format!(
                "error: baseline {shown} is not valid JSON ({e}); write it with `fortress baseline write`"
            ))
        })?;
        match versions.schema_version.as_ref().and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(SCHEMA_VERSION) || v == 1 => {}
            Some(v) => {
                return Err(ConfigError(format!(
                    "error: baseline {shown} has schema version {v}, this fortress reads version {SCHEMA_VERSION}; write it again with `fortress baseline write`"
                )))
            }
            None => {
                return Err(ConfigError(format!(
                    "error: {shown} is not a fortress baseline (no `schema_version`); write one with `fortress baseline write`"
                )))
            }
        }
        match versions.fingerprint_version.as_ref().and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(FINGERPRINT_VERSION) => {}
            other => {
                return Err(ConfigError(format!(
                    "error: baseline {shown} has fingerprint version {}, this fortress computes version {FINGERPRINT_VERSION}; write it again with `fortress baseline write`",
                    other.map_or_else(|| "none".to_owned(), |v| v.to_string())
                )))
            }
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            ConfigError(format!(
                "error: baseline {shown} is not a valid fortress baseline: {e}"
            ))
        })
    }

    /// What differs between the rules enabled now and those the baseline was
    /// written with, as one warning, or None when they are the same.
    pub fn rules_differ(&self, enabled: &[&str]) -> Option<String> {
        let then: std::collections::BTreeSet<&str> =
            self.rules.iter().map(String::as_str).collect();
        let now: std::collections::BTreeSet<&str> = enabled.iter().copied().collect();
        let added: Vec<&str> = now.difference(&then).copied().collect();
        let removed: Vec<&str> = then.difference(&now).copied().collect();
        if added.is_empty() && removed.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        if !added.is_empty() {
            parts.push(format!(
                "enabled now but not when it was written: {} (their findings all count as new)",
                added.join(", ")
            ));
        }
        if !removed.is_empty() {
            parts.push(format!("no longer enabled: {}", removed.join(", ")));
        }
        Some(format!(
            "the baseline was written with another rule selection; {}",
            parts.join("; ")
        ))
    }
}

/// Write `bytes` to `path` atomically ([`crate::files::write_atomic`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ConfigError> {
    crate::files::write_atomic(path, bytes)
        .map_err(|e| ConfigError(format!("error: cannot write {}: {e}", path.display())))
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// DEL and the C1 controls as `\u00XX` (serde_json escapes only C0 ones);
/// they occur only inside strings, so the JSON value is the same.
fn escape_controls(json: &str) -> String {
    json.chars()
        .map(|c| match c {
            '\u{7f}' | '\u{80}'..='\u{9f}' => format!("\\u{:04x}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, n: usize) -> Entry {
        Entry {
            path: path.into(),
            code: "TYP001".into(),
            symbol: "f".into(),
            fingerprint: "00000000000000ff".into(),
            count: n,
            message: "use `X | None` \u{1b}\u{9b}\u{7f}".into(),
        }
    }

    #[test]
    fn round_trip_one_entry_per_line() {
        let b = Baseline::new(
            vec!["TYP001".into()],
            vec![entry("b.py", 2), entry("a.py", 1)],
        );
        let bytes = b.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "{");
        assert!(lines[6].starts_with("    {\"path\":\"a.py\""), "{text}");
        assert!(lines[7].starts_with("    {\"path\":\"b.py\""), "{text}");
        assert!(!text.contains(['\u{1b}', '\u{9b}', '\u{7f}']), "{text}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        write_atomic(&path, &bytes).unwrap();
        assert_eq!(Baseline::load(&path).unwrap(), b);
        assert_eq!(b.count(), 3);
        let empty = Baseline::new(vec![], vec![]);
        write_atomic(&path, &empty.to_bytes()).unwrap();
        assert_eq!(Baseline::load(&path).unwrap(), empty);
    }

    #[test]
    fn bad_files_are_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        for (content, wanted) in [
            ("{not json", "is not valid JSON"),
            ("{}", "is not a fortress baseline"),
            ("{\"schema_version\": 7}", "has schema version 7"),
            (
                "{\"schema_version\": 1, \"fingerprint_version\": 0}",
                "has fingerprint version 0",
            ),
            (
                "{\"schema_version\": 1, \"fingerprint_version\": 1}",
                "is not a valid fortress baseline",
            ),
        ] {
            std::fs::write(&path, content).unwrap();
            let err = Baseline::load(&path).unwrap_err().0;
            assert!(err.contains(wanted) && !err.contains('\n'), "{err}");
        }
        let missing = Baseline::load(&dir.path().join("none.json")).unwrap_err().0;
        assert!(
            missing.starts_with("error: cannot read baseline"),
            "{missing}"
        );
    }

    #[test]
    fn rule_selection_differences_are_named() {
        let b = Baseline::new(vec!["A1".into(), "B1".into()], vec![]);
        assert_eq!(b.rules_differ(&["A1", "B1"]), None);
        let msg = b.rules_differ(&["A1", "C1"]).unwrap();
        assert!(
            msg.contains("C1") && msg.contains("no longer enabled: B1"),
            "{msg}"
        );
    }
}
