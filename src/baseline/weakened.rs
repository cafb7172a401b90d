//! CFG001 gate-weakened: with `--since`, a change to fortress's own
//! configuration that makes the gate see less than at the base — rules
//! disabled, exclusions or per-file ignores added, severities lowered,
//! `fail-on` relaxed. The base configuration is read from git objects and
//! both are resolved without command-line flags (the same flags apply to
//! both runs).

use std::collections::BTreeSet;
use std::path::Path;

use crate::config::{ConfigFile, FailOn, Overrides, RawConfig, Settings, DEFAULT_EXCLUDE};
use crate::diagnostic::{Diagnostic, Position};
use crate::engine::RunResult;
use crate::rules;

pub const CODE: &str = "CFG001";

fn names(list: &Option<Vec<toml::Spanned<String>>>) -> Vec<String> {
    list.iter().flatten().map(|s| s.get_ref().clone()).collect()
}

fn exclusions(raw: &RawConfig) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = match &raw.exclude {
        Some(_) => names(&raw.exclude).into_iter().collect(),
        None => DEFAULT_EXCLUDE.iter().map(|s| (*s).to_owned()).collect(),
    };
    out.extend(names(&raw.extend_exclude));
    out
}

fn per_file_ignores(raw: &RawConfig) -> BTreeSet<(String, String)> {
    raw.per_file_ignores
        .iter()
        .flatten()
        .flat_map(|(pattern, codes)| {
            codes
                .get_ref()
                .iter()
                .map(|c| (pattern.get_ref().clone(), c.get_ref().to_ascii_uppercase()))
        })
        .collect()
}

/// What the head configuration weakens relative to the base's, one phrase each.
pub fn weakenings(
    base: Option<&ConfigFile>,
    head: Option<&ConfigFile>,
    root: &Path,
) -> Vec<String> {
    let Ok(then) = Settings::resolve(base, &Overrides::default(), root.to_path_buf()) else {
        // A base configuration that does not load gated nothing to weaken.
        return Vec::new();
    };
    let Ok(now) = Settings::resolve(head, &Overrides::default(), root.to_path_buf()) else {
        return Vec::new();
    };
    let registry = rules::registry();
    let mut out = Vec::new();
    let disabled: Vec<&str> = (0..registry.len())
        .filter(|&i| then.enabled[i] && !now.enabled[i])
        .map(|i| registry[i].meta.code)
        .collect();
    if !disabled.is_empty() {
        out.push(format!("disables {}", disabled.join(", ")));
    }
    let lowered: Vec<String> = (0..registry.len())
        .filter(|&i| then.enabled[i] && now.enabled[i] && now.severity[i] < then.severity[i])
        .map(|i| {
            format!(
                "{} {} -> {}",
                registry[i].meta.code, then.severity[i], now.severity[i]
            )
        })
        .collect();
    if !lowered.is_empty() {
        out.push(format!("lowers severities ({})", lowered.join(", ")));
    }
    if then.fail_on == FailOn::Conditional && now.fail_on == FailOn::Fail {
        out.push("relaxes `fail-on` from \"conditional\" to \"fail\"".to_owned());
    }
    let empty = RawConfig::default();
    let (base_raw, head_raw) = (
        base.map_or(&empty, |f| &f.raw),
        head.map_or(&empty, |f| &f.raw),
    );
    let added: Vec<String> = exclusions(head_raw)
        .difference(&exclusions(base_raw))
        .map(|p| format!("`{p}`"))
        .collect();
    if !added.is_empty() {
        out.push(format!("adds exclusions {}", added.join(", ")));
    }
    let ignores: Vec<String> = per_file_ignores(head_raw)
        .difference(&per_file_ignores(base_raw))
        .map(|(p, c)| format!("`{p}`: {c}"))
        .collect();
    if !ignores.is_empty() {
        out.push(format!("adds per-file ignores ({})", ignores.join(", ")));
    }
    out
}

/// Add a CFG001 finding to `result` (in the head configuration file, or
/// the project root's when the change deleted it) when the change weakens
/// the gate. `base_source` is the base's configuration text, if it had one.
/// Whether it added one.
pub fn report(
    settings: &Settings,
    result: &mut RunResult,
    config_path: &Path,
    base_source: Option<String>,
) -> bool {
    let Some(index) = rules::index_of(CODE) else {
        return false;
    };
    let base = base_source.and_then(|s| ConfigFile::from_source(config_path, s).ok());
    let head = ConfigFile::load(config_path).ok();
    let weakened = weakenings(base.as_ref(), head.as_ref(), &settings.project().root);
    // Disabling CFG001 itself is one of the weakenings it reports.
    if weakened.is_empty()
        || !(settings.enabled[index] || weakened.iter().any(|w| w.contains(CODE)))
    {
        return false;
    }
    let meta = &rules::registry()[index].meta;
    let display =
        crate::paths::relative_to(config_path, &std::env::current_dir().unwrap_or_default())
            .unwrap_or_else(|| config_path.display().to_string());
    let rel = crate::paths::relative_to(config_path, &settings.project().root)
        .unwrap_or_else(|| display.clone());
    result.files.push(crate::files::FileInfo {
        path: config_path.to_path_buf(),
        display,
        rel,
        is_test: false,
    });
    result
        .sources
        .push(head.map(|h| h.source).unwrap_or_default());
    let start = Position { line: 1, column: 1 };
    result.diagnostics.push(Diagnostic {
        code: meta.code,
        name: meta.name,
        severity: settings.severity[index],
        file: result.files.len() - 1,
        span: 0..0,
        start,
        end: start,
        message: crate::diagnostic::cap_message(format!(
            "the change weakens the gate: {}",
            weakened.join("; ")
        )),
        fix: None,
    });
    crate::engine::sort_diagnostics(&result.files, &mut result.diagnostics);
    true
}

/// Does the text carry a `# fortress: ignore-file` comment?
pub fn has_ignore_file(text: &[u8]) -> bool {
    ignore_file_line(text).is_some()
}

/// The 1-based line of the first `# fortress: ignore-file` comment.
fn ignore_file_line(text: &[u8]) -> Option<u32> {
    let text = String::from_utf8_lossy(text);
    text.lines()
        .position(|line| {
            let Some(comment) = line.trim_start().strip_prefix('#') else {
                return false;
            };
            let Some(rest) = comment.trim_start().strip_prefix("fortress:") else {
                return false;
            };
            rest.trim_start().starts_with("ignore-file")
        })
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// CFG001 for each file the change touched that gained a
/// `# fortress: ignore-file` comment (it silences rules for the whole file).
pub fn report_ignore_files(
    settings: &Settings,
    result: &mut RunResult,
    touched: &[bool],
    at_base: &std::collections::HashSet<String>,
) -> bool {
    let Some(index) = rules::index_of(CODE) else {
        return false;
    };
    if !settings.enabled[index] {
        return false;
    }
    let meta = &rules::registry()[index].meta;
    let mut added = false;
    for (file, &was_touched) in touched.iter().enumerate().take(result.python_files) {
        let info = &result.files[file];
        if !was_touched || at_base.contains(&info.rel) {
            continue;
        }
        let Ok(bytes) =
            crate::files::read_confined(&info.path, settings.max_file_size, &result.boundary)
        else {
            continue;
        };
        let Some(line) = ignore_file_line(&bytes) else {
            continue;
        };
        let start = Position { line, column: 1 };
        result.diagnostics.push(Diagnostic {
            code: meta.code,
            name: meta.name,
            severity: settings.severity[index],
            file,
            span: 0..0,
            start,
            end: start,
            message: "the change weakens the gate: adds `# fortress: ignore-file`, which silences rules for the whole file".to_owned(),
            fix: None,
        });
        added = true;
    }
    if added {
        crate::engine::sort_diagnostics(&result.files, &mut result.diagnostics);
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> ConfigFile {
        ConfigFile::from_source(Path::new("/p/fortress.toml"), text.to_owned()).expect("config")
    }

    #[test]
    fn weakenings_are_named() {
        let base = file("select = [\"ALL\"]\nfail-on = \"conditional\"\n");
        let head = file(
            "select = [\"ALL\"]\nignore = [\"SEC004\"]\nextend-exclude = [\"legacy\"]\n[severity]\nLAY001 = \"info\"\n[per-file-ignores]\n\"app/*\" = [\"TYP001\"]\n",
        );
        let w = weakenings(Some(&base), Some(&head), Path::new("/p"));
        assert_eq!(
            w,
            [
                "disables SEC004",
                "lowers severities (LAY001 blocker -> info)",
                "relaxes `fail-on` from \"conditional\" to \"fail\"",
                "adds exclusions `legacy`",
                "adds per-file ignores (`app/*`: TYP001)",
            ]
        );
        // Stricter is not weaker.
        assert_eq!(
            weakenings(Some(&head), Some(&base), Path::new("/p")),
            Vec::<String>::new()
        );
        assert_eq!(
            weakenings(None, None, Path::new("/p")),
            Vec::<String>::new()
        );
    }
}
