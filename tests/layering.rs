//! The crate's layers, enforced: every `crate::` path in `src/` must point
//! to a lower layer than the module it is written in (or stay inside its own
//! top-level module), a rule family never names another family, and no
//! module carries more than 600 lines of non-test code. Std only: the source
//! is scanned as text, test modules (from the first `#[cfg(test)]`) excluded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Top-level modules, lowest first. A module may name only modules with a
/// smaller rank. Keep in step with README's Development section.
const LAYERS: &[(&str, u32, &str)] = &[
    ("diagnostic", 0, "L0 findings, positions, line index"),
    ("source", 1, "L0 bytes -> text"),
    ("parse", 2, "L0 tree-sitter parser"),
    ("paths", 3, "L0 path helpers, PathMatcher"),
    ("options", 4, "L0 OptionError"),
    ("files", 5, "L0 FileInfo, the bounded reader"),
    ("version", 6, "L0 Python versions (the target)"),
    (
        "python",
        10,
        "L1 ast helpers, imports, framework vocabularies",
    ),
    (
        "project",
        20,
        "L2 facts, module map, layers, deps, test code",
    ),
    (
        "testreport",
        22,
        "L2 test reports: coverage, JUnit, the task, what a change touched",
    ),
    ("rules", 30, "L3 rule traits, registry, families"),
    ("config", 40, "L4 configuration"),
    (
        "cache",
        45,
        "L4 the result cache: keys, packs, the cache directory",
    ),
    ("engine", 50, "L5 discovery, run, walk, suppressions"),
    (
        "baseline",
        55,
        "L5 the gate on a change: fingerprints, baseline file, --since",
    ),
    (
        "testgate",
        57,
        "L5 the test-enforcement gate: reports, change, report rules",
    ),
    ("gate", 60, "L6 verdict"),
    ("report", 61, "L6 reporters"),
    ("cli", 62, "L6 commands"),
    (
        "fuzz",
        63,
        "L6 the fuzz target: the whole per-file pipeline and every reporter",
    ),
];

const MAX_LINES: usize = 600;

/// Modules still above the limit, each with why; shrink, never grow.
const OVERSIZED: &[(&str, &str)] = &[];

const FAMILIES: &[&str] = &[
    "api",
    "architecture",
    "asyncio",
    "config",
    "coverage",
    "database",
    "dependencies",
    "errors",
    "naming",
    "security",
    "suppression",
    "tests",
    "typing",
];

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(&root)
                    .expect("under src/")
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&path).expect("read source");
                let body = text.split("#[cfg(test)]").next().unwrap_or("").to_owned();
                out.push((rel, body));
            }
        }
    }
    out.sort();
    out
}

/// The module paths named after `crate::` (`crate::a::b`, `crate::{a, b::c}`),
/// with the line they are on.
fn crate_paths(body: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    for (n, line) in body.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            if let Some(group) = after.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    let path = item.trim();
                    if !path.is_empty() {
                        out.push((n + 1, segments(path)));
                    }
                }
            } else {
                out.push((n + 1, segments(after)));
            }
            rest = after;
        }
    }
    out
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(|s| {
            s.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .take_while(|s| !s.is_empty())
        .collect()
}

fn rank(top: &str) -> Option<u32> {
    LAYERS
        .iter()
        .find(|(m, _, _)| *m == top)
        .map(|(_, r, _)| *r)
}

#[test]
fn every_module_names_only_lower_layers() {
    let mut violations = Vec::new();
    for (rel, body) in sources() {
        if rel == "lib.rs" || rel == "main.rs" {
            continue;
        }
        let top = rel.split('/').next().unwrap_or("").trim_end_matches(".rs");
        let Some(own) = rank(top) else {
            violations.push(format!(
                "src/{rel}: top-level module `{top}` has no layer in LAYERS"
            ));
            continue;
        };
        for (line, path) in crate_paths(&body) {
            let Some(target) = path.first() else { continue };
            if target == top {
                continue;
            }
            match rank(target) {
                Some(r) if r < own => {}
                Some(_) => violations.push(format!(
                    "src/{rel}:{line}: `{top}` names `crate::{}`, which is not a lower layer",
                    path.join("::")
                )),
                None => violations.push(format!(
                    "src/{rel}:{line}: `crate::{target}` is not in LAYERS"
                )),
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering:\n{}",
        violations.join("\n")
    );
}

#[test]
fn a_rule_family_never_names_another_family() {
    let mut violations = Vec::new();
    for (rel, body) in sources() {
        let mut parts = rel.split('/');
        if parts.next() != Some("rules") {
            continue;
        }
        let Some(family) = parts.next().map(|f| f.trim_end_matches(".rs")) else {
            continue;
        };
        if !FAMILIES.contains(&family) {
            continue;
        }
        for (line, path) in crate_paths(&body) {
            if path.first().map(String::as_str) == Some("rules") {
                if let Some(other) = path.get(1) {
                    if FAMILIES.contains(&other.as_str()) && other != family {
                        violations.push(format!(
                            "src/{rel}:{line}: family `{family}` names `crate::{}`",
                            path.join("::")
                        ));
                    }
                }
            }
        }
        for (n, l) in body.lines().enumerate() {
            if l.contains("super::super::") && !l.trim_start().starts_with("//") {
                violations.push(format!(
                    "src/{rel}:{}: `super::super::` reaches out of the family; name the layer with `crate::`",
                    n + 1
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn no_module_is_over_the_line_limit() {
    let sizes: BTreeMap<String, usize> = sources()
        .into_iter()
        .map(|(rel, body)| (rel, body.lines().count()))
        .collect();
    let mut over = Vec::new();
    for (rel, lines) in &sizes {
        let allowed = OVERSIZED.iter().any(|(p, _)| p == rel);
        if *lines > MAX_LINES && !allowed {
            over.push(format!(
                "src/{rel}: {lines} lines of non-test code (limit {MAX_LINES})"
            ));
        }
    }
    for (p, _) in OVERSIZED {
        match sizes.get(*p) {
            Some(lines) if *lines > MAX_LINES => {}
            Some(lines) => over.push(format!(
                "src/{p} is down to {lines} lines: remove it from OVERSIZED"
            )),
            None => over.push(format!("src/{p} in OVERSIZED does not exist")),
        }
    }
    assert!(over.is_empty(), "{}", over.join("\n"));
}

#[test]
fn the_scanner_sees_grouped_paths() {
    let found = crate_paths("use crate::{paths::absolutize, files};\nlet x = crate::rules::Cx;\n");
    let flat: Vec<String> = found.iter().map(|(_, p)| p.join("::")).collect();
    assert_eq!(flat, ["paths::absolutize", "files", "rules::Cx"]);
}

/// `"ABC123"` string literals in a module's code: rule codes.
fn code_literals(body: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in body.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let bytes = code.as_bytes();
        for (at, _) in code.match_indices('"') {
            let lit = &bytes[at + 1..];
            if lit.len() >= 7
                && lit[..3].iter().all(u8::is_ascii_uppercase)
                && lit[3..6].iter().all(u8::is_ascii_digit)
                && lit[6] == b'"'
            {
                out.push((n + 1, code[at..at + 8].to_owned()));
            }
        }
    }
    out
}

#[test]
fn the_lower_layers_never_name_a_rule_code() {
    let mut violations = Vec::new();
    for (rel, body) in sources() {
        let top = rel.split('/').next().unwrap_or("").trim_end_matches(".rs");
        if rank(top).is_some_and(|r| r < 30) {
            for (line, lit) in code_literals(&body) {
                violations.push(format!(
                    "src/{rel}:{line}: {lit} is a rule code; the rule's own file owns it"
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    assert_eq!(
        code_literals("let c = \"DEP001\"; // \"DEP002\"\nlet d = \"DEP0011\";"),
        [(1, "\"DEP001\"".to_owned())]
    );
}
