//! `[tool.fortress]` in pyproject.toml, or fortress.toml, merged with CLI flags.

use std::fmt;

pub use crate::paths::PathMatcher;

mod file;
mod required;
mod settings;

pub use file::*;
pub use required::check_required_version;
pub use settings::*;

/// The result cache's directory in the project root, unless `cache-dir`
/// or `FORTRESS_CACHE_DIR` name another.
pub const CACHE_DIR: &str = ".fortress_cache";

pub const DEFAULT_EXCLUDE: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "env",
    ".env",
    "node_modules",
    "__pycache__",
    "__pypackages__",
    "build",
    "dist",
    ".eggs",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".direnv",
    "site-packages",
];

/// A configuration or usage error: one line, naming where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

pub use crate::options::SpannedList;

/// When CONDITIONAL PASS fails the run too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    #[default]
    Fail,
    Conditional,
}

impl FailOn {
    pub fn parse(s: &str) -> Option<FailOn> {
        match s {
            "fail" => Some(FailOn::Fail),
            "conditional" => Some(FailOn::Conditional),
            _ => None,
        }
    }
}

/// Options given on the command line; `Some` replaces the config's value.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub select: Option<Vec<String>>,
    pub extend_select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    pub extend_exclude: Option<Vec<String>>,
    pub per_file_ignores: Option<Vec<String>>,
    pub fail_on: Option<String>,
    pub max_file_size: Option<String>,
    /// `--target-version`.
    pub target_version: Option<String>,
    /// Where to start looking for the `requires-python` that implies the
    /// target when none is configured (default: the project root).
    pub project_dir: Option<std::path::PathBuf>,
    /// `--force-exclude` (true) or the configured `force-exclude`.
    pub force_exclude: bool,
    /// `--fixable`, `--unfixable`.
    pub fixable: Option<Vec<String>>,
    pub unfixable: Option<Vec<String>>,
    /// `FORTRESS_CACHE_DIR` (absolute): the result cache's directory.
    pub cache_dir: Option<std::path::PathBuf>,
    /// Use the result cache (the command line's default; `--no-cache` turns
    /// it off). Off by default for library callers: nothing is written
    /// unless asked.
    pub cache: bool,
    /// `FORTRESS_CACHE_STATS`: say on stderr what the cache served.
    pub cache_stats: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(patterns: &[&str]) -> PathMatcher {
        PathMatcher::new(patterns).unwrap()
    }

    #[test]
    fn name_patterns_match_any_component() {
        let m = matcher(&[".venv", "*_pb2.py"]);
        assert!(m.matches_path("a/.venv/lib/x.py"));
        assert!(m.matches_path("proto/user_pb2.py"));
        assert!(!m.matches_path("a/venv2/x.py"));
    }

    fn layers_error(toml: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fortress.toml");
        std::fs::write(&path, toml).unwrap();
        let file = match ConfigFile::load(&path) {
            Ok(f) => f,
            Err(e) => return e.0,
        };
        match Settings::resolve(Some(&file), &Overrides::default(), dir.path().to_path_buf()) {
            Ok(_) => String::new(),
            Err(e) => e.0,
        }
    }

    #[test]
    fn layer_configuration_errors_point_at_the_line() {
        let e =
            layers_error("[layers]\norder = [\"endpoint\", \"service\"]\nclosed = [\"model\"]\n");
        assert!(e.ends_with("fortress.toml:3:11: error: `layers.closed`: `model` is not in the layer order (endpoint, service)"), "{e}");
        let e = layers_error("[layers]\norder = [\"endpoint\", \"domain\"]\n");
        assert!(
            e.contains(":2:22: error: `layers.order`: layer `domain` has no patterns"),
            "{e}"
        );
        let e = layers_error("[layers]\norder = [\"endpoint\", \"endpoint\"]\n");
        assert!(e.contains("appears twice"), "{e}");
        let e = layers_error("[layers.patterns]\nservice = [\"app/[x\"]\n");
        assert!(
            e.contains(":2:12: error: `layers.patterns`: invalid pattern"),
            "{e}"
        );
        let e = layers_error("[layers]\nmax-handler-statements = 0\n");
        assert!(
            e.contains(":2:26: error: `layers.max-handler-statements`"),
            "{e}"
        );
        let e = layers_error("[layers]\nordre = []\n");
        assert!(
            e.contains(":2:1: error: unknown key `ordre` in [layers]; expected one of `order`"),
            "{e}"
        );
        let ok = layers_error(
            "[layers]\norder = [\"endpoint\", \"domain\"]\n[layers.patterns]\ndomain = [\"core\"]\n",
        );
        assert_eq!(ok, "");
    }

    #[test]
    fn path_patterns_match_prefixes() {
        let m = matcher(&["tests/*", "legacy/old"]);
        assert!(m.matches_path("tests/unit/test_x.py"));
        assert!(m.matches_path("legacy/old/a.py"));
        assert!(!m.matches_path("src/legacy/old/a.py"));
    }

    /// `[tool.fortress.tests]` read through a configuration file.
    mod tests_table {
        use super::super::*;
        use crate::project::testcode::TestSettings;

        fn load(name: &str, text: &str) -> Result<TestSettings, ConfigError> {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let file = ConfigFile::load(&path)?;
            let settings = crate::config::Settings::resolve(
                Some(&file),
                &crate::config::Overrides::default(),
                dir.path().to_path_buf(),
            )?;
            Ok(settings.options.project.tests)
        }

        fn error_of(name: &str, text: &str) -> String {
            let e = load(name, text).expect_err("config error").0;
            let at = e.find(name).expect("path in message");
            e[at..].to_owned()
        }

        #[test]
        fn configured_conventions() {
            let t = load(
                "pyproject.toml",
                "[tool.fortress.tests]\npaths = [\"qa\"]\npython-files = [\"check_*.py\"]\n\
             python-classes = [\"*Suite\"]\npython-functions = [\"should_\"]\n\
             name-pattern = '^should_[a-z_]+$'\nassertion-helpers = [\"ensure\"]\n",
            )
            .unwrap();
            assert!(t.is_test_file("qa/helpers.py"));
            assert!(!t.is_test_file("tests/helpers.py"));
            assert!(t.is_test_module("src/check_orders.py"));
            assert!(!t.is_test_module("tests/test_orders.py"));
            assert!(t.is_test_class_name("OrderSuite"));
            assert!(!t.is_test_class_name("TestOrders"));
            assert!(t.is_test_function_name("should_work"));
            assert!(!t.is_test_function_name("test_work"));
            assert!(t.name_pattern.is_match("should_work"));
            assert!(!t.default_name_pattern);
            assert!(t.is_assertion_helper("ensure_ok"));
            assert!(!t.is_assertion_helper("assert_ok"));
        }

        #[test]
        fn fortress_toml_uses_a_tests_table() {
            let t = load("fortress.toml", "[tests]\npython-functions = [\"check\"]\n").unwrap();
            assert!(t.is_test_function_name("check_it"));
        }

        #[test]
        fn config_errors_point_at_the_value() {
            assert_eq!(
            error_of(
                "pyproject.toml",
                "[tool.fortress]\nselect = [\"TST\"]\n\n[tool.fortress.tests]\nname-pattern = \"test_(\"\n"
            ),
            "pyproject.toml:5:16: error: `tests.name-pattern`: `test_(` is not a valid regular expression: unclosed group"
        );
            assert_eq!(
            error_of(
                "pyproject.toml",
                "[tool.fortress.tests]\nname_pattern = \"x\"\n"
            ),
            "pyproject.toml:2:1: error: unknown key `name_pattern` in [tool.fortress.tests]; expected one of `paths`, `python-files`, `python-classes`, `python-functions`, `name-pattern`, `assertion-helpers`, `no-raise-words`"
        );
            assert_eq!(
            error_of("fortress.toml", "[tests]\npython-files = [\"test_[.py\"]\n"),
            "fortress.toml:2:17: error: `tests.python-files`: invalid glob `test_[.py`: unclosed character class; missing ']'"
        );
            assert_eq!(
            error_of("fortress.toml", "[tests]\nassertion-helpers = [\"assert.that\"]\n"),
            "fortress.toml:2:22: error: `tests.assertion-helpers`: `assert.that` is not a name prefix (letters, digits and `_` only)"
        );
            assert_eq!(
            error_of("fortress.toml", "[tests]\npaths = \"tests\"\n"),
            "fortress.toml:2:9: error: `tests.paths`: invalid type: string \"tests\", expected an array"
        );
        }
    }
}
