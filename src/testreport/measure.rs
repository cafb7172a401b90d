//! The measurements the test-enforcement rules decide on and the review
//! report shows: total coverage, coverage of the changed executable lines,
//! failing tests located at their definitions, tests the change added,
//! modified or removed, and new routes or service methods no test names.

use std::collections::{BTreeMap, BTreeSet};

use super::executable::{self, Def, Units};
use super::{coverage, Inputs, Lines};
use crate::project::testcode::TestSettings;

/// Covered and measured statements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Total {
    pub covered: usize,
    pub statements: usize,
    pub percent: f64,
}

impl Total {
    pub fn of(counts: (usize, usize)) -> Total {
        Total {
            covered: counts.0,
            statements: counts.1,
            percent: coverage::percent(counts),
        }
    }
}

/// A percentage as reports show it: one decimal, rounded down, so a value
/// below a threshold never prints as the threshold.
pub fn show_percent(p: f64) -> String {
    let floored = (p * 10.0).floor() / 10.0;
    if floored.fract() == 0.0 {
        format!("{floored:.0}%")
    } else {
        format!("{floored:.1}%")
    }
}

/// Uncovered changed lines, `first..=last`, of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub rel: String,
    pub first: u32,
    pub last: u32,
    /// Executable changed lines in the range.
    pub lines: usize,
    /// The file is not in any coverage report.
    pub unmeasured: bool,
}

/// Coverage of the change's executable lines.
#[derive(Debug, Clone, PartialEq)]
pub enum NewCode {
    /// No `--since`: there is no change to judge.
    NoChange,
    /// No coverage report.
    NoCoverage,
    /// The change adds or modifies no executable line (deletions,
    /// comments, docstrings, tests only).
    NothingToJudge,
    /// Fewer executable changed lines than `min-new-lines`.
    TooSmall { covered: usize, lines: usize },
    Measured {
        covered: usize,
        lines: usize,
        gaps: Vec<Gap>,
    },
}

impl NewCode {
    pub fn percent(covered: usize, lines: usize) -> f64 {
        coverage::percent((covered, lines))
    }
}

/// A failed or errored test, placed where it is defined when found.
#[derive(Debug, Clone)]
pub struct Failure {
    pub id: String,
    /// The `<testcase>` element's line in its report.
    pub row: u32,
    pub errored: bool,
    pub message: String,
    /// (project-relative path, line of `def`).
    pub at: Option<(String, u32)>,
    /// Index of the JUnit report in [`Inputs::junit`].
    pub report: usize,
}

/// A test function by file and qualified name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TestRef {
    pub rel: String,
    pub qualname: String,
    pub line: u32,
}

/// A new route handler or public service method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    pub rel: String,
    pub qualname: String,
    pub line: u32,
    /// The route path, for a route.
    pub route: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Measures {
    pub total: Option<Total>,
    pub base_total: Option<Total>,
    pub new_code: NewCode,
    pub failures: Vec<Failure>,
    /// Test cases in the JUnit reports.
    pub tests_run: usize,
    /// Test functions the change added or modified (head).
    pub tests_touched: Vec<TestRef>,
    /// Test functions at the base that the change deleted or renamed away
    /// (line at the base).
    pub tests_removed: Vec<TestRef>,
    /// The first changed executable line of application code, if any.
    pub first_change: Option<(String, u32)>,
    /// With per-test contexts: whether a test the change touched runs a
    /// changed line (None without contexts or without touched tests).
    pub touched_tests_run_change: Option<bool>,
    /// New routes and public service methods no test file names.
    pub untested_features: Vec<Feature>,
    /// Changed application files outside every directory the coverage
    /// reports measure (not counted in new-code coverage).
    pub outside_coverage: Vec<String>,
}

/// What the measuring needs besides the inputs.
pub struct Context<'a> {
    /// Project-relative paths of the checked Python files.
    pub checked: &'a [String],
    /// The text of a checked file, by project-relative path.
    pub text: &'a dyn Fn(&str) -> Option<String>,
    pub tests: &'a TestSettings,
    /// Is the module at this path in the service layer?
    pub is_service: &'a dyn Fn(&str) -> bool,
    pub min_new_lines: usize,
    /// Files left out of new-code coverage (`omit`).
    pub omit: &'a dyn Fn(&str) -> bool,
}

struct Parsed {
    units: Units,
    defs: Vec<Def>,
    lines: u32,
}

fn parse(text: &str) -> Option<Parsed> {
    let tree = crate::parse::parse(text)?;
    let root = tree.root_node();
    Some(Parsed {
        units: executable::units(root),
        defs: executable::definitions(root, text),
        lines: text.lines().count() as u32,
    })
}

fn is_test_def(d: &Def, tests: &TestSettings) -> bool {
    !d.nested
        && tests.is_test_function_name(&d.name)
        && d.classes.iter().all(|c| tests.is_test_class_name(c))
}

pub fn measure(inputs: &Inputs, cx: &Context<'_>) -> Measures {
    let mut parsed: BTreeMap<String, Option<Parsed>> = BTreeMap::new();
    let load = |rel: &str, parsed: &mut BTreeMap<String, Option<Parsed>>| {
        parsed
            .entry(rel.to_owned())
            .or_insert_with(|| (cx.text)(rel).and_then(|t| parse(&t)));
    };
    let total = inputs.coverage.as_ref().map(|c| Total::of(c.counts()));
    let base_total = inputs.base_coverage.as_ref().map(|c| Total::of(c.counts()));

    // Failing tests, at their definitions.
    let mut failures = Vec::new();
    let mut tests_run = 0;
    for (report, junit) in inputs.junit.iter().enumerate() {
        tests_run += junit.cases.len();
        for case in junit.cases.iter().filter(|c| c.outcome.is_failure()) {
            let (errored, message) = match &case.outcome {
                super::junit::Outcome::Errored(m) => (true, m.clone()),
                super::junit::Outcome::Failed(m) => (false, m.clone()),
                _ => continue,
            };
            let at = locate_test(case, cx.checked).and_then(|(rel, qual)| {
                load(&rel, &mut parsed);
                let def = parsed
                    .get(&rel)?
                    .as_ref()?
                    .defs
                    .iter()
                    .find(|d| d.qualname == qual)?
                    .def_line;
                Some((rel, def))
            });
            failures.push(Failure {
                id: case.id(),
                row: case.row,
                errored,
                message,
                at,
                report,
            });
        }
    }

    let mut new_code = match (&inputs.change, &inputs.coverage) {
        (None, _) => NewCode::NoChange,
        (Some(_), None) => NewCode::NoCoverage,
        (Some(_), Some(_)) => NewCode::NothingToJudge,
    };
    let mut tests_touched = Vec::new();
    let mut tests_removed = Vec::new();
    let mut first_change = None;
    let mut touched_tests_run_change = None;
    let mut untested_features = Vec::new();
    let mut outside_coverage = Vec::new();
    let Some(change) = &inputs.change else {
        return Measures {
            total,
            base_total,
            new_code,
            failures,
            tests_run,
            tests_touched,
            tests_removed,
            first_change,
            touched_tests_run_change,
            untested_features,
            outside_coverage,
        };
    };

    for rel in change.files.keys() {
        load(rel, &mut parsed);
    }
    let measured_tops: BTreeSet<&str> = inputs
        .coverage
        .iter()
        .flat_map(|c| c.files.keys())
        .map(|rel| top_dir(rel))
        .collect();
    let get = |rel: &str| parsed.get(rel).and_then(Option::as_ref);
    let mut counted: usize = 0;
    let mut covered_count: usize = 0;
    let mut gaps: Vec<Gap> = Vec::new();
    // Changed application lines with their contexts (for TSK001).
    let mut changed_contexts: BTreeSet<String> = BTreeSet::new();
    let mut candidates: Vec<Feature> = Vec::new();
    for (rel, lines) in &change.files {
        let is_test = cx.tests.is_test_file(rel);
        let Some(p) = get(rel) else { continue };
        let changed: Vec<u32> = match lines {
            Lines::All => (1..=p.lines).collect(),
            Lines::Some(set) => set.iter().copied().collect(),
        };
        if is_test {
            for d in p.defs.iter().filter(|d| is_test_def(d, cx.tests)) {
                if lines.any_in(d.lines) {
                    tests_touched.push(TestRef {
                        rel: rel.clone(),
                        qualname: d.qualname.clone(),
                        line: d.def_line,
                    });
                }
            }
            continue;
        }
        // New routes and public service methods: defined on a changed line
        // and not at the base.
        let service = (cx.is_service)(rel);
        let at_base: BTreeSet<String> = change
            .base_sources
            .get(rel)
            .and_then(|text| parse(text))
            .map(|b| b.defs.into_iter().map(|d| d.qualname).collect())
            .unwrap_or_default();
        for d in p
            .defs
            .iter()
            .filter(|d| !d.nested && lines.contains(d.def_line) && !at_base.contains(&d.qualname))
        {
            let public = !d.name.starts_with('_');
            if d.route.is_some() || (service && public) {
                candidates.push(Feature {
                    rel: rel.clone(),
                    qualname: d.qualname.clone(),
                    line: d.def_line,
                    route: d.route.clone(),
                });
            }
        }
        let file_cov = inputs.coverage.as_ref().and_then(|c| c.files.get(rel));
        // A file no report measures counts as uncovered only inside the
        // measured tree (coverage.py lists the unimported files of its
        // `source` at 0%; `scripts/` outside `--cov=app` was not measured).
        if file_cov.is_none() && inputs.coverage.is_some() && !measured_tops.contains(top_dir(rel))
        {
            outside_coverage.push(rel.clone());
            if first_change.is_none() {
                first_change = executable::units_in(&p.units, changed.iter().copied())
                    .into_values()
                    .next()
                    .map(|lines| (rel.clone(), lines[0]));
            }
            continue;
        }
        // (line, covered) of every counted changed line, in order.
        let mut statuses: Vec<(u32, bool)> = Vec::new();
        for (unit, unit_lines) in executable::units_in(&p.units, changed.iter().copied()) {
            let status = match file_cov {
                Some(f) => {
                    let mut measured = f.lines.range(unit.0..=unit.1).peekable();
                    if measured.peek().is_none() {
                        continue; // coverage.py does not count it (`else:`, excluded)
                    }
                    for l in unit.0..=unit.1 {
                        if let Some(ctx) = f.contexts.get(&l) {
                            changed_contexts.extend(ctx.iter().cloned());
                        }
                    }
                    measured.any(|(_, c)| *c)
                }
                None => false,
            };
            if first_change.is_none() {
                first_change = Some((rel.clone(), unit_lines[0]));
            }
            if (cx.omit)(rel) {
                continue;
            }
            statuses.extend(unit_lines.iter().map(|l| (*l, status)));
        }
        statuses.sort_unstable();
        for &(line, covered) in &statuses {
            counted += 1;
            if covered {
                covered_count += 1;
                continue;
            }
            match gaps.last_mut() {
                Some(g)
                    if g.rel == *rel
                        && !statuses.iter().any(|(l, c)| *c && *l > g.last && *l < line) =>
                {
                    g.last = line;
                    g.lines += 1;
                }
                _ => gaps.push(Gap {
                    rel: rel.clone(),
                    first: line,
                    last: line,
                    lines: 1,
                    unmeasured: file_cov.is_none(),
                }),
            }
        }
    }
    if inputs.coverage.is_some() && counted > 0 {
        new_code = if counted < cx.min_new_lines {
            NewCode::TooSmall {
                covered: covered_count,
                lines: counted,
            }
        } else {
            NewCode::Measured {
                covered: covered_count,
                lines: counted,
                gaps,
            }
        };
    }

    // Test functions at the base that are gone from the head.
    let head_tests: BTreeSet<(String, String)> = change
        .files
        .keys()
        .filter(|rel| cx.tests.is_test_file(rel))
        .filter_map(|rel| {
            let p = get(rel)?;
            Some(
                p.defs
                    .iter()
                    .filter(|d| is_test_def(d, cx.tests))
                    .map(|d| (rel.clone(), d.qualname.clone()))
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect();
    let touched_names: BTreeSet<&str> = tests_touched
        .iter()
        .map(|t| t.qualname.rsplit('.').next().unwrap_or(&t.qualname))
        .collect();
    for (base_rel, (head_rel, text)) in &change.base_tests {
        let Some(base) = parse(text) else { continue };
        for d in base.defs.iter().filter(|d| is_test_def(d, cx.tests)) {
            let kept = head_rel
                .as_ref()
                .is_some_and(|h| head_tests.contains(&(h.clone(), d.qualname.clone())));
            // Moved to another file (an added test of the same name): not lost.
            let moved = touched_names.contains(d.name.as_str())
                && tests_touched.iter().any(|t| {
                    t.qualname.rsplit('.').next() == Some(d.name.as_str())
                        && Some(&t.rel) != head_rel.as_ref()
                });
            if !kept && !moved {
                tests_removed.push(TestRef {
                    rel: base_rel.clone(),
                    qualname: d.qualname.clone(),
                    line: d.def_line,
                });
            }
        }
    }
    tests_removed.sort();
    tests_touched.sort();

    if inputs.coverage.as_ref().is_some_and(|c| c.has_contexts()) && !tests_touched.is_empty() {
        touched_tests_run_change = Some(tests_touched.iter().any(|t| {
            changed_contexts
                .iter()
                .any(|label| context_names(label, &t.rel, &t.qualname))
        }));
    }

    if !candidates.is_empty() {
        let test_texts: Vec<String> = cx
            .checked
            .iter()
            .filter(|rel| cx.tests.is_test_file(rel))
            .filter_map(|rel| (cx.text)(rel))
            .collect();
        for f in candidates {
            let name = f.qualname.rsplit('.').next().unwrap_or(&f.qualname);
            let static_path = f
                .route
                .as_deref()
                .map(|p| p.split('{').next().unwrap_or(p).trim_end_matches('/'))
                .filter(|p| p.len() > 1);
            let referenced = test_texts
                .iter()
                .any(|t| names_identifier(t, name) || static_path.is_some_and(|p| t.contains(p)));
            if !referenced {
                untested_features.push(f);
            }
        }
    }

    Measures {
        total,
        base_total,
        new_code,
        failures,
        tests_run,
        tests_touched,
        tests_removed,
        first_change,
        touched_tests_run_change,
        untested_features,
        outside_coverage,
    }
}

/// The first directory of a project-relative path (empty for a file at the top).
fn top_dir(rel: &str) -> &str {
    rel.split_once('/').map_or("", |(top, _)| top)
}

/// Whether `text` holds `name` as a whole identifier.
fn names_identifier(text: &str, name: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(ident)
            && !text[at + name.len()..].chars().next().is_some_and(ident)
    })
}

/// Whether a coverage context label names the test `qualname` of `rel`:
/// coverage.py's `dynamic_context = test_function`
/// (`tests.test_x.TestA.test_b`) or pytest-cov's `--cov-context=test`
/// (`tests/test_x.py::TestA::test_b[1]|run`).
pub fn context_names(label: &str, rel: &str, qualname: &str) -> bool {
    let label = label.split('|').next().unwrap_or(label);
    let label = label.split('[').next().unwrap_or(label);
    let module = rel.trim_end_matches(".py").replace('/', ".");
    label == format!("{module}.{qualname}")
        || label == format!("{rel}::{}", qualname.replace('.', "::"))
        || label.ends_with(&format!("/{rel}::{}", qualname.replace('.', "::")))
}

/// The checked test file and qualified name a JUnit case names: its `file`
/// attribute, else the longest module path its `classname` starts with.
pub fn locate_test(case: &super::TestCase, checked: &[String]) -> Option<(String, String)> {
    let function = case.function();
    let parts: Vec<&str> = case
        .classname
        .split('.')
        .filter(|p| !p.is_empty())
        .collect();
    for cut in (1..=parts.len()).rev() {
        let module = parts[..cut].join("/");
        let classes = &parts[cut..];
        let file = format!("{module}.py");
        let matches_file =
            |rel: &&String| rel.as_str() == file || rel.ends_with(&format!("/{file}"));
        let from_attr = case.file.as_ref().and_then(|f| {
            let f = f.replace('\\', "/");
            checked
                .iter()
                .find(|rel| **rel == f || rel.ends_with(&format!("/{f}")))
        });
        if let Some(rel) = from_attr.or_else(|| checked.iter().find(matches_file)) {
            let mut qual: Vec<&str> = classes.to_vec();
            qual.push(function);
            return Some((rel.clone(), qual.join(".")));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_labels() {
        assert!(context_names(
            "tests.test_x.TestA.test_b",
            "tests/test_x.py",
            "TestA.test_b"
        ));
        assert!(context_names(
            "tests/test_x.py::TestA::test_b[1]|run",
            "tests/test_x.py",
            "TestA.test_b"
        ));
        assert!(!context_names(
            "tests.test_x.test_c",
            "tests/test_x.py",
            "TestA.test_b"
        ));
    }

    #[test]
    fn identifiers() {
        assert!(names_identifier("x = create_order(1)", "create_order"));
        assert!(!names_identifier("x = create_orders(1)", "create_order"));
    }

    #[test]
    fn junit_cases_locate_in_checked_files() {
        let checked = vec!["app/x.py".to_owned(), "tests/test_x.py".to_owned()];
        let case = super::super::TestCase {
            classname: "tests.test_x.TestA".into(),
            name: "test_b[1]".into(),
            file: None,
            line: None,
            outcome: super::super::junit::Outcome::Failed(String::new()),
            row: 1,
        };
        assert_eq!(
            locate_test(&case, &checked),
            Some(("tests/test_x.py".into(), "TestA.test_b".into()))
        );
    }
}
