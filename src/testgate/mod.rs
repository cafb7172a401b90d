//! The test-enforcement gate on a finished run: read the coverage and
//! JUnit reports, work out what the change touched (`--since`) and which
//! task it is, measure ([`crate::testreport::measure`]), run the report
//! rules (COV, TSK, TST006) and place their findings in the run like any
//! other diagnostic, before the change comparison (they are always new).

pub mod change;
pub mod conditions;
pub mod dependencies;
pub mod place;

use std::path::{Path, PathBuf};

use crate::config::{ConfigError, Settings};
use crate::engine::RunResult;
use crate::rules::{self, report::ReportCx, RuleKind};
use crate::testreport::{self, measure, Inputs, ReportFile};

pub use conditions::{Condition, Conditions, Status};

/// What the command line and the configuration ask the gate to read.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub coverage: Vec<ReportFile>,
    pub junit: Vec<ReportFile>,
    pub base_coverage: Option<ReportFile>,
    /// `--task`.
    pub task: Option<String>,
}

impl Spec {
    /// `--coverage` files, else the configured `[coverage] reports`.
    pub fn new(
        settings: &Settings,
        cwd: &Path,
        coverage: &[PathBuf],
        junit: &[PathBuf],
        base_coverage: Option<&PathBuf>,
        task: Option<String>,
    ) -> Spec {
        let file = |p: &PathBuf, base: &Path| ReportFile {
            path: crate::paths::absolutize(p, base),
            shown: p.display().to_string(),
        };
        let coverage = if coverage.is_empty() {
            settings
                .options
                .coverage
                .reports
                .iter()
                .map(|r| file(&PathBuf::from(r), &settings.project().root))
                .collect()
        } else {
            coverage.iter().map(|p| file(p, cwd)).collect()
        };
        Spec {
            coverage,
            junit: junit.iter().map(|p| file(p, cwd)).collect(),
            base_coverage: base_coverage.map(|p| file(p, cwd)),
            task,
        }
    }
}

/// The change a `--since` run compares with.
pub struct Since<'a> {
    pub commit: &'a str,
    /// Per head file: whether the change touched it.
    pub touched: &'a [bool],
    /// Whether the task may be inferred (pull request title, last commit
    /// subject): not for a baseline's commit, which may be far back.
    pub infer_task: bool,
}

/// What the gate read and measured, for the verdict and the review report.
#[derive(Debug, Clone)]
pub struct Enforced {
    pub inputs: Inputs,
    pub measures: measure::Measures,
    pub conditions: Conditions,
}

fn error(e: String) -> ConfigError {
    ConfigError(format!("error: {e}"))
}

/// The text of a checked file (the run's, or read again when released).
fn text_of(settings: &Settings, result: &RunResult, rel: &str) -> Option<String> {
    let i = result.files[..result.python_files]
        .iter()
        .position(|f| f.rel == rel)?;
    match result.sources.get(i) {
        Some(s) if !s.is_empty() => Some(s.clone()),
        _ => {
            let bytes =
                crate::files::read_bounded(&result.files[i].path, settings.max_file_size).ok()?;
            crate::source::decode(&bytes).ok()
        }
    }
}

fn is_service(settings: &Settings, rel: &str) -> bool {
    let layers = &settings.project().layers;
    let stem = rel
        .strip_suffix(".py")
        .or_else(|| rel.strip_suffix(".pyi"))
        .unwrap_or(rel);
    let module = stem.trim_end_matches("/__init__").replace('/', ".");
    layers
        .classify(&[module], rel)
        .and_then(|(i, _)| layers.layers.get(i))
        .is_some_and(|l| l.name == "service")
}

/// Read, measure, judge; the findings are added to `result`.
pub fn run(
    settings: &Settings,
    cwd: &Path,
    result: &mut RunResult,
    spec: &Spec,
    since: Option<Since<'_>>,
) -> Result<Enforced, ConfigError> {
    let root = settings.project().root.clone();
    let checked: Vec<String> = result.files[..result.python_files]
        .iter()
        .map(|f| f.rel.clone())
        .collect();
    let coverage =
        testreport::load_coverage(&spec.coverage, &checked, &root, cwd).map_err(error)?;
    let junit = testreport::load_junit(&spec.junit).map_err(error)?;
    let base_coverage = match &spec.base_coverage {
        Some(file) => testreport::load_coverage(std::slice::from_ref(file), &checked, &root, cwd)
            .map_err(error)?,
        None => None,
    };
    if spec.base_coverage.is_some() && coverage.is_none() {
        return Err(error(
            "--base-coverage compares with the head's coverage: give `--coverage` too".to_owned(),
        ));
    }
    let change = match &since {
        Some(s) => Some(change::build(settings, result, s)?),
        None => None,
    };
    let repo_dir = result
        .files
        .first()
        .and_then(|f| f.path.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| root.clone());
    // The task matters only to a change; `--task` is checked always.
    let task = if since.as_ref().is_some_and(|s| s.infer_task) {
        let event = std::env::var_os("GITHUB_EVENT_PATH")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        testreport::task::choose(spec.task.as_deref(), event.as_deref(), || {
            crate::baseline::lines::last_subject(&repo_dir)
        })
        .map_err(error)?
    } else {
        testreport::task::choose(spec.task.as_deref(), None, || None).map_err(error)?
    };
    let inputs = Inputs {
        coverage_files: spec.coverage.clone(),
        coverage,
        junit,
        base_coverage_file: spec.base_coverage.clone(),
        base_coverage,
        task,
        change,
    };
    let options = &settings.options.coverage;
    let text = |rel: &str| text_of(settings, result, rel);
    let service = |rel: &str| is_service(settings, rel);
    let omit = |rel: &str| options.omits(rel);
    let measures = measure::measure(
        &inputs,
        &measure::Context {
            checked: &checked,
            text: &text,
            tests: &settings.project().tests,
            is_service: &service,
            min_new_lines: options.min_new_lines,
            omit: &omit,
        },
    );
    let mut findings = Vec::new();
    for (entry, on) in rules::registry().iter().zip(&settings.enabled) {
        if let (RuleKind::Report { rule }, true) = (&entry.kind, *on) {
            rule.check(&mut ReportCx {
                inputs: &inputs,
                measures: &measures,
                options: &settings.options,
                findings: &mut findings,
            });
        }
    }
    let judged = |code: &str| {
        rules::index_of(code).is_some_and(|i| match &rules::registry()[i].kind {
            RuleKind::Report { rule } => rule.judged(&inputs),
            _ => true,
        })
    };
    let added = place::add(settings, cwd, result, findings, &judged);
    let conditions = conditions::build(settings, &inputs, &measures, &added);
    Ok(Enforced {
        inputs,
        measures,
        conditions,
    })
}
