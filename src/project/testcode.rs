//! `[tool.fortress.tests]`: what counts as test code and as a test, and the
//! settings of the test-quality rules (TST).

use globset::{GlobBuilder, GlobMatcher};
use regex::Regex;
use serde::Deserialize;
use std::sync::LazyLock;
use toml::Spanned;

use crate::options::OptionError;
use crate::paths::PathMatcher;

pub const DEFAULT_PATHS: &[&str] = &["tests", "test"];
pub const DEFAULT_FILES: &[&str] = &["test_*.py", "*_test.py"];
pub const DEFAULT_CLASSES: &[&str] = &["Test"];
pub const DEFAULT_FUNCTIONS: &[&str] = &["test"];
pub const DEFAULT_NAME_PATTERN: &str = r"^test__[a-z0-9]+(_[a-z0-9]+)*__[a-z0-9]+(_[a-z0-9]+)*$";
pub const DEFAULT_ASSERTION_HELPERS: &[&str] = &["assert", "check", "verify", "expect", "validate"];
/// Words of a test name that say its check is that nothing raises
/// (`test_config_with_groups_allowed`, `test_poll_missing_file_raises_no_error`).
pub const DEFAULT_NO_RAISE_WORDS: &[&str] = &[
    "accepted",
    "accepts",
    "allowed",
    "allows",
    "does_nothing",
    "idempotent",
    "ignores",
    "no_error",
    "no_errors",
    "no_exception",
    "not_raise",
    "not_fail",
    "doesnt_raise",
    "without_error",
];

/// The keys of `[tool.fortress.tests]`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawTests {
    /// Directories whose Python files are test code (globs, like `exclude`).
    pub paths: Option<Vec<Spanned<String>>>,
    /// File-name globs of test modules (pytest `python_files`).
    pub python_files: Option<Vec<Spanned<String>>>,
    /// Prefixes or globs of test class names (pytest `python_classes`).
    pub python_classes: Option<Vec<Spanned<String>>>,
    /// Prefixes or globs of test function names (pytest `python_functions`).
    pub python_functions: Option<Vec<Spanned<String>>>,
    /// Regex a test name must match (TST001).
    pub name_pattern: Option<Spanned<String>>,
    /// Name prefixes of calls that count as checks (TST003).
    pub assertion_helpers: Option<Vec<Spanned<String>>>,
    /// Words (or `_`-joined word runs) of a test name that say the test only
    /// checks that nothing raises (TST003).
    pub no_raise_words: Option<Vec<Spanned<String>>>,
}

/// pytest's rule for `python_classes` / `python_functions`: a pattern with a
/// glob character is a glob, anything else a prefix.
#[derive(Clone)]
enum NamePattern {
    Prefix(String),
    Glob(GlobMatcher),
}

/// The pattern as written (the result cache fingerprints settings by `Debug`).
impl std::fmt::Debug for NamePattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NamePattern::Prefix(p) => f.debug_tuple("Prefix").field(p).finish(),
            NamePattern::Glob(g) => f.debug_tuple("Glob").field(&g.glob().glob()).finish(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NameMatcher {
    patterns: Vec<NamePattern>,
}

impl NameMatcher {
    fn new(patterns: &[&str], always_glob: bool) -> Result<NameMatcher, (usize, String)> {
        let mut out = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let p = p.trim();
            if p.is_empty() {
                return Err((i, "empty pattern".to_owned()));
            }
            if always_glob || p.contains(['*', '?', '[']) {
                let glob = GlobBuilder::new(p)
                    .literal_separator(false)
                    .backslash_escape(true)
                    .build()
                    .map_err(|e| (i, format!("invalid glob `{p}`: {}", e.kind())))?;
                out.push(NamePattern::Glob(glob.compile_matcher()));
            } else {
                out.push(NamePattern::Prefix(p.to_owned()));
            }
        }
        Ok(NameMatcher { patterns: out })
    }

    pub fn matches(&self, name: &str) -> bool {
        self.patterns.iter().any(|p| match p {
            NamePattern::Prefix(prefix) => name.starts_with(prefix.as_str()),
            NamePattern::Glob(glob) => glob.is_match(name),
        })
    }
}

/// Resolved `[tool.fortress.tests]`.
#[derive(Debug, Clone)]
pub struct TestSettings {
    paths: PathMatcher,
    files: NameMatcher,
    /// `python-files` patterns with a `/`, matched against the project-relative path.
    file_paths: NameMatcher,
    classes: NameMatcher,
    functions: NameMatcher,
    pub name_pattern: Regex,
    /// Whether `name_pattern` is the default one (TST001 can then suggest a name).
    pub default_name_pattern: bool,
    /// Whether `name-pattern` is set: TST001 reports only then (a naming
    /// convention is a team's choice, not a defect).
    pub name_pattern_configured: bool,
    pub assertion_helpers: Vec<String>,
    /// Lower-case word runs, e.g. `no_error`.
    pub no_raise_words: Vec<String>,
}

impl Default for TestSettings {
    fn default() -> TestSettings {
        DEFAULT_TEST_SETTINGS.clone()
    }
}

static DEFAULT_TEST_SETTINGS: LazyLock<TestSettings> = LazyLock::new(|| {
    TestSettings::resolve(None).unwrap_or_else(|e| panic!("built-in test settings are valid: {e}"))
});

/// Test code by the default conventions (a run uses its configured settings).
pub fn is_test_path(rel: &str) -> bool {
    defaults().is_test_file(rel)
}

/// The conventions used when nothing is configured.
pub fn defaults() -> &'static TestSettings {
    &DEFAULT_TEST_SETTINGS
}

impl TestSettings {
    pub fn resolve(raw: Option<&RawTests>) -> Result<TestSettings, OptionError> {
        let error = |span: Option<std::ops::Range<usize>>, key: &str, message: String| {
            OptionError::new(format!("tests.{key}"), span, message)
        };
        let list = |value: Option<&Vec<Spanned<String>>>,
                    defaults: &[&str]|
         -> Vec<(String, Option<std::ops::Range<usize>>)> {
            match value {
                Some(v) => v
                    .iter()
                    .map(|s| (s.get_ref().clone(), Some(s.span())))
                    .collect(),
                None => defaults.iter().map(|d| (d.to_string(), None)).collect(),
            }
        };
        let raw_default = RawTests::default();
        let raw = raw.unwrap_or(&raw_default);

        let paths = list(raw.paths.as_ref(), DEFAULT_PATHS);
        let strs: Vec<&str> = paths.iter().map(|(p, _)| p.as_str()).collect();
        let paths_matcher =
            PathMatcher::new(&strs).map_err(|(i, m)| error(paths[i].1.clone(), "paths", m))?;

        let files = list(raw.python_files.as_ref(), DEFAULT_FILES);
        let (with_slash, plain): (Vec<_>, Vec<_>) =
            files.iter().partition(|(p, _)| p.contains('/'));
        let build_files = |subset: &[&(String, Option<std::ops::Range<usize>>)]| {
            let strs: Vec<&str> = subset
                .iter()
                .map(|(p, _)| p.trim_start_matches("./"))
                .collect();
            NameMatcher::new(&strs, true)
                .map_err(|(i, m)| error(subset[i].1.clone(), "python-files", m))
        };
        let files_matcher = build_files(&plain)?;
        let file_paths_matcher = build_files(&with_slash)?;

        let names = |value: Option<&Vec<Spanned<String>>>, defaults: &[&str], key: &str| {
            let values = list(value, defaults);
            let strs: Vec<&str> = values.iter().map(|(p, _)| p.as_str()).collect();
            NameMatcher::new(&strs, false).map_err(|(i, m)| error(values[i].1.clone(), key, m))
        };
        let classes = names(
            raw.python_classes.as_ref(),
            DEFAULT_CLASSES,
            "python-classes",
        )?;
        let functions = names(
            raw.python_functions.as_ref(),
            DEFAULT_FUNCTIONS,
            "python-functions",
        )?;

        let (pattern, span) = match &raw.name_pattern {
            Some(p) => (p.get_ref().clone(), Some(p.span())),
            None => (DEFAULT_NAME_PATTERN.to_owned(), None),
        };
        let name_pattern = Regex::new(&pattern).map_err(|e| {
            let detail = match e {
                regex::Error::Syntax(s) => s
                    .lines()
                    .rev()
                    .find(|l| l.starts_with("error:"))
                    .map(|l| l.trim_start_matches("error:").trim().to_owned())
                    .unwrap_or(s),
                other => other.to_string(),
            };
            error(
                span.clone(),
                "name-pattern",
                format!("`{pattern}` is not a valid regular expression: {detail}"),
            )
        })?;

        let helpers = list(raw.assertion_helpers.as_ref(), DEFAULT_ASSERTION_HELPERS);
        let mut assertion_helpers = Vec::new();
        for (h, span) in helpers {
            let h = h.trim();
            if h.is_empty() || !h.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(error(
                    span,
                    "assertion-helpers",
                    format!("`{h}` is not a name prefix (letters, digits and `_` only)"),
                ));
            }
            assertion_helpers.push(h.to_owned());
        }

        let words = list(raw.no_raise_words.as_ref(), DEFAULT_NO_RAISE_WORDS);
        let mut no_raise_words = Vec::new();
        for (w, span) in words {
            let w = w.trim().trim_matches('_').to_ascii_lowercase();
            if w.is_empty() || !w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(error(
                    span,
                    "no-raise-words",
                    format!("`{w}` is not a word of a test name (letters, digits and `_` only)"),
                ));
            }
            no_raise_words.push(w);
        }

        Ok(TestSettings {
            paths: paths_matcher,
            files: files_matcher,
            file_paths: file_paths_matcher,
            classes,
            functions,
            default_name_pattern: pattern == DEFAULT_NAME_PATTERN,
            name_pattern_configured: raw.name_pattern.is_some(),
            name_pattern,
            assertion_helpers,
            no_raise_words,
        })
    }

    /// Is the file a test module, i.e. one test functions are collected from?
    /// `conftest.py` never is.
    pub fn is_test_module(&self, rel: &str) -> bool {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if name == "conftest.py" || name == "conftest.pyi" {
            return false;
        }
        // A stub describes the module of the same name.
        let name = match name.strip_suffix(".pyi") {
            Some(stem) => format!("{stem}.py"),
            None => name.to_owned(),
        };
        self.files.matches(&name) || self.file_paths.matches(rel)
    }

    /// Is the file test code: a test module, a conftest, or anything under a test path?
    pub fn is_test_file(&self, rel: &str) -> bool {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if name == "conftest.py" || name == "conftest.pyi" || self.is_test_module(rel) {
            return true;
        }
        match rel.rsplit_once('/') {
            Some((dir, _)) => self.paths.matches_path(dir),
            None => false,
        }
    }

    pub fn is_test_function_name(&self, name: &str) -> bool {
        self.functions.matches(name)
    }

    pub fn is_test_class_name(&self, name: &str) -> bool {
        self.classes.matches(name)
    }

    /// Does a called name count as a check (`assert_valid(...)`, `self._check(...)`,
    /// `checkRow(...)`)? The prefix is a whole word of the name: `checkout()`
    /// and `expected_total()` are not checks.
    pub fn is_assertion_helper(&self, name: &str) -> bool {
        let name = name.trim_start_matches('_');
        self.assertion_helpers.iter().any(|p| {
            name.len() >= p.len()
                && name.is_char_boundary(p.len())
                && name[..p.len()].eq_ignore_ascii_case(p)
                && (p.ends_with('_')
                    || name[p.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| c == '_' || c.is_ascii_digit() || c.is_uppercase()))
        })
    }

    /// Does the test's name say that its check is that nothing raises
    /// (`test_replica_group_allowed`, `test_delete_is_idempotent`)?
    pub fn says_no_raise(&self, test_name: &str) -> bool {
        let name = test_name.to_ascii_lowercase();
        let padded = format!("_{}_", name.trim_matches('_'));
        self.no_raise_words
            .iter()
            .any(|w| padded.contains(&format!("_{w}_")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assertion_helper_prefixes_are_whole_words() {
        let t = defaults();
        for yes in [
            "check",
            "check_row",
            "_check_row",
            "checkRow",
            "validate_config",
            "verify2",
        ] {
            assert!(t.is_assertion_helper(yes), "{yes}");
        }
        for no in ["checkout", "expected_total", "validated_data", "verifying"] {
            assert!(!t.is_assertion_helper(no), "{no}");
        }
    }

    #[test]
    fn no_raise_words_are_matched_as_words() {
        let t = defaults();
        for yes in [
            "test_config_with_groups_allowed",
            "test_accepts_valid_ref",
            "test_poll_logs_file_not_found_raises_no_error",
            "test_delete_server_is_idempotent",
            "test_parse_does_not_raise",
        ] {
            assert!(t.says_no_raise(yes), "{yes}");
        }
        for no in [
            "test_create_order_returns_201",
            "test_disallowed_gpu",
            "test_unallowed",
        ] {
            assert!(!t.says_no_raise(no), "{no}");
        }
    }

    #[test]
    fn test_paths() {
        assert!(is_test_path("tests/unit/helpers.py"));
        assert!(is_test_path("app/test_orders.py"));
        assert!(is_test_path("app/orders_test.py"));
        assert!(is_test_path("conftest.py"));
        assert!(!is_test_path("app/testing.py"));
        assert!(!is_test_path("app/contest.py"));
    }

    #[test]
    fn default_conventions() {
        let t = defaults();
        assert!(t.is_test_file("tests/unit/helpers.py"));
        assert!(t.is_test_file("app/test_orders.py"));
        assert!(t.is_test_file("app/orders_test.py"));
        assert!(t.is_test_file("conftest.py"));
        assert!(t.is_test_file("src/pkg/test/data.py"));
        assert!(!t.is_test_file("app/testing.py"));
        assert!(!t.is_test_file("app/contest.py"));
        assert!(!t.is_test_file("tests.py"));
        assert!(t.is_test_module("test_x.py"));
        assert!(t.is_test_module("tests/test_x.pyi"));
        assert!(!t.is_test_module("tests/helpers.py"));
        assert!(!t.is_test_module("tests/conftest.py"));
        assert!(t.is_test_function_name("test_x"));
        assert!(t.is_test_function_name("testX"));
        assert!(!t.is_test_function_name("_test_x"));
        assert!(t.is_test_class_name("TestOrders"));
        assert!(!t.is_test_class_name("OrdersTest"));
        assert!(t.is_assertion_helper("assert_ok"));
        assert!(t.is_assertion_helper("_check_response"));
        assert!(t.is_assertion_helper("checkEqual"));
        assert!(!t.is_assertion_helper("run"));
        assert!(t.name_pattern.is_match("test__get_order__returns_404"));
        assert!(!t.name_pattern.is_match("test_get_order_returns_404"));
    }

    #[test]
    fn globs_and_prefixes() {
        let m = NameMatcher::new(&["check", "*_spec"], false).unwrap();
        assert!(m.matches("check_x"));
        assert!(m.matches("orders_spec"));
        assert!(!m.matches("spec_orders"));
    }
}
