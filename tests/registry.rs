//! Invariants of the rule registry: unique codes and names, docs with the
//! required sections, a fixture with true positives for every rule.

use std::collections::BTreeSet;
use std::path::Path;

use fortress::rules::{self, Family};

const SECTIONS: &[&str] = &[
    "## What it does",
    "## Why it matters",
    "## Example",
    "## Use instead",
];

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let mut codes = BTreeSet::new();
    let mut names = BTreeSet::new();
    for r in rules::registry() {
        let m = &r.meta;
        assert!(codes.insert(m.code), "duplicate code {}", m.code);
        assert!(names.insert(m.name), "duplicate name {}", m.name);
        assert!(
            m.code.starts_with(m.family.prefix()),
            "{} is not in family {:?}",
            m.code,
            m.family
        );
        let digits = &m.code[m.family.prefix().len()..];
        assert!(
            digits.len() == 3 && digits.chars().all(|c| c.is_ascii_digit()),
            "{}: code must end in three digits",
            m.code
        );
        assert!(
            m.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{}: name `{}` must be kebab-case",
            m.code,
            m.name
        );
        assert!(
            !m.summary.is_empty() && !m.summary.ends_with('.') && m.summary.len() <= 160,
            "{}: summary",
            m.code
        );
        assert!(!m.help.is_empty(), "{}: help line", m.code);
        match (m.family, m.security_severity) {
            (Family::Security, Some(score)) => {
                let v: f64 = score.parse().expect("security-severity is a number");
                assert!(
                    (0.1..=10.0).contains(&v),
                    "{}: security-severity {v}",
                    m.code
                );
            }
            (Family::Security, None) => {
                panic!("{}: security rules need a security-severity", m.code)
            }
            (_, Some(_)) => {}
            (_, None) => {}
        }
    }
    let sorted: Vec<&str> = rules::registry().iter().map(|r| r.meta.code).collect();
    let mut again = sorted.clone();
    again.sort();
    assert_eq!(sorted, again, "registry must be sorted by code");
}

#[test]
fn every_rule_has_a_doc_with_the_required_sections() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for r in rules::registry() {
        let m = &r.meta;
        let on_disk = std::fs::read_to_string(root.join("rules").join(format!("{}.md", m.code)))
            .unwrap_or_else(|_| panic!("rules/{}.md is missing", m.code));
        assert_eq!(
            on_disk, m.doc,
            "{}: embedded doc differs from rules/{}.md",
            m.code, m.code
        );
        let title = format!("# {} {}", m.code, m.name);
        assert!(
            m.doc.starts_with(&title),
            "{}: doc must start with `{title}`",
            m.code
        );
        for s in SECTIONS {
            assert!(m.doc.contains(s), "{}: doc lacks `{s}`", m.code);
        }
        assert!(rules::doc_section(m.doc, "What it does").is_some());
    }
}

#[test]
fn every_rule_has_a_fixture_with_a_true_positive() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut marked = BTreeSet::new();
    for entry in ignore::WalkBuilder::new(&fixtures)
        .hidden(false)
        .build()
        .flatten()
    {
        let Ok(text) = std::fs::read(entry.path()) else {
            continue;
        };
        let text = String::from_utf8_lossy(&text);
        for line in text.lines() {
            if let Some(at) = line.find("# expect:") {
                for code in line[at + 9..]
                    .split([',', ' '])
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                {
                    marked.insert(code.to_owned());
                }
            }
        }
    }
    for r in rules::registry() {
        let m = &r.meta;
        if m.code == "SYN002" || m.code == "SYN003" {
            // Unreadable files cannot be committed as fixtures; tests/hostile.rs covers it.
            continue;
        }
        if m.code == "CFG001" {
            // Needs a git base (`--since`): tests/change.rs covers it.
            continue;
        }
        assert!(
            marked.contains(m.code),
            "{}: no fixture marks a finding (`# expect: {}`)",
            m.code,
            m.code
        );
        if matches!(r.kind, rules::RuleKind::Report { .. }) {
            // Fed reports and a change: a project directory with its
            // reports under fixtures/reports/ (see its README).
            let has_dir = std::fs::read_dir(fixtures.join("reports"))
                .map(|entries| {
                    entries.flatten().any(|e| {
                        e.path().is_dir()
                            && e.file_name()
                                .to_string_lossy()
                                .starts_with(&format!("{}_", m.code))
                    })
                })
                .unwrap_or(false);
            assert!(
                has_dir,
                "{}: expected fixtures/reports/{}_*/",
                m.code, m.code
            );
        } else if !matches!(r.kind, rules::RuleKind::Project { .. }) {
            let dir = fixtures.join(m.family.module());
            let has_file = std::fs::read_dir(&dir)
                .map(|entries| {
                    entries
                        .flatten()
                        .any(|e| e.file_name().to_string_lossy().starts_with(m.code))
                })
                .unwrap_or(false);
            assert!(
                has_file,
                "{}: expected fixtures/{}/{}*.py",
                m.code,
                m.family.module(),
                m.code
            );
        }
    }
}

#[test]
fn every_node_kind_a_rule_asks_for_exists_in_the_grammar() {
    let language = fortress::parse::language();
    let named: BTreeSet<&str> = (0..language.node_kind_count() as u16)
        .filter(|id| language.node_kind_is_named(*id))
        .filter_map(|id| language.node_kind_for_id(id))
        .collect();
    for r in rules::registry() {
        if let rules::RuleKind::File { kinds, .. } = &r.kind {
            for kind in *kinds {
                assert!(
                    named.contains(kind),
                    "{}: `{kind}` is not a named node kind of tree-sitter-python",
                    r.meta.code
                );
            }
        }
    }
}

#[test]
fn fixture_folders_and_rule_modules_use_the_family_module_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let families: BTreeSet<Family> = rules::registry().iter().map(|r| r.meta.family).collect();
    for family in families {
        let module = family.module();
        // Project rules have their fixtures under fixtures/projects/.
        let has_file_rules = rules::registry().iter().any(|r| {
            r.meta.family == family
                && !matches!(
                    r.kind,
                    rules::RuleKind::Project { .. } | rules::RuleKind::Report { .. }
                )
        });
        assert!(
            !has_file_rules || root.join("fixtures").join(module).is_dir(),
            "fixtures/{module}/ is missing"
        );
        assert!(
            root.join("src/rules").join(module).is_dir()
                || root
                    .join("src/rules")
                    .join(format!("{module}.rs"))
                    .is_file(),
            "src/rules/{module} is missing"
        );
    }
}

#[test]
fn every_project_rule_declares_the_facts_it_reads() {
    for r in rules::registry() {
        if let rules::RuleKind::Project { needs, .. } = &r.kind {
            assert!(!needs.is_empty(), "{}: NEEDS is empty", r.meta.code);
            assert!(
                needs.contains(fortress::project::FactSet::IMPORTS),
                "{}: every project rule reads the import graph",
                r.meta.code
            );
        }
    }
}

/// README's rule table lists every rule with its name and default severity,
/// and nothing else.
#[test]
fn readme_rule_table_matches_the_registry() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let header = "| code | name | default | what it reports |";
    let start = readme.find(header).expect("rule table in README.md");
    let rows: Vec<(String, String, String)> = readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (
                cells[1].to_owned(),
                cells[2].to_owned(),
                cells[3].to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = {
        let mut v: Vec<_> = rules::registry()
            .iter()
            .map(|r| {
                (
                    r.meta.code.to_owned(),
                    r.meta.name.to_owned(),
                    r.meta.severity.as_str().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        rows, expected,
        "README.md's rule table (sorted by code) differs from the registry"
    );
}
