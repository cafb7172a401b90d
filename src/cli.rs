//! Command line: `fortress check`, `fortress rules`, `fortress rule CODE`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
mod cache;
mod change;
mod fix;
mod gate;
mod rules_list;

use crate::baseline::{self, file::Baseline};
use crate::config::{self, ConfigError, ConfigFile, Overrides, Settings};
use crate::engine;
use crate::gate::{Summary, Verdict};
use crate::report::{self, text::TextOptions, Report};
use crate::rules;
use change::{baseline_command, enabled_codes, head_prints, judged};

#[derive(Debug, Parser)]
#[command(
    name = "fortress",
    version,
    about = "A fast, deterministic quality gate for Python backends"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check Python files and print the gate verdict (exit 0 PASS/CONDITIONAL PASS, 1 FAIL, 2 error).
    Check(Box<CheckArgs>),
    /// List every rule.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Print the documentation of one rule.
    Rule {
        /// Rule code, e.g. TYP001.
        code: String,
    },
    /// Show each file's module name(s) and architectural layer.
    Layers(LayersArgs),
    /// Write or prune a baseline: the findings `check --baseline` does not count.
    Baseline(Box<BaselineArgs>),
    /// Remove the result cache (only a directory fortress made).
    Clean(cache::CleanArgs),
}

#[derive(Debug, clap::Args)]
struct LayersArgs {
    /// Files or directories [default: .]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
    /// Use this configuration file instead of discovering one.
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    config: Option<PathBuf>,
    /// Ignore all configuration files.
    #[arg(long)]
    isolated: bool,
    /// Neither read nor write the result cache.
    #[arg(long)]
    no_cache: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum OutputFormat {
    Text,
    Json,
    Sarif,
    Github,
    /// The review report (verdict, conditions, findings by reviewer area).
    Markdown,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, clap::Args)]
struct CheckArgs {
    /// Files or directories to check [default: .]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Never colour the text output (also: NO_COLOR). Colour is on for a terminal or with FORCE_COLOR.
    #[arg(long)]
    no_color: bool,
    /// Print only the verdict line (text format).
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Judge only findings new since this git revision (`auto`: the pull request's base in GitHub Actions).
    #[arg(long, value_name = "REF", conflicts_with = "baseline")]
    since: Option<String>,
    /// Judge only findings not in this baseline file (also: `baseline = "..."` in the configuration).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// With a base: also show the pre-existing (unchanged) findings (text, github).
    #[arg(long)]
    show_existing: bool,
    /// With a base: list the base's findings that are gone as SARIF `absent` results.
    #[arg(long)]
    report_fixed: bool,
    /// Baseline entries that match no finding make the verdict at least CONDITIONAL PASS.
    #[arg(long)]
    strict_baseline: bool,
    /// Print a key for CI caches (`actions/cache`) of the result cache, and check nothing.
    #[arg(long)]
    show_cache_key: bool,
    #[command(flatten)]
    fixes: fix::FixArgs,
    #[command(flatten)]
    gate: gate::GateArgs,
    #[command(flatten)]
    run: RunArgs,
}

/// How a run is configured: shared by `check` and `baseline`.
#[derive(Debug, Clone, clap::Args)]
struct RunArgs {
    /// Use this configuration file instead of discovering one.
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    config: Option<PathBuf>,
    /// Ignore all configuration files.
    #[arg(long)]
    isolated: bool,
    /// Rules to enable (codes or prefixes), replacing the configured `select`.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    select: Option<Vec<String>>,
    /// Rules to enable on top of `select`.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    extend_select: Option<Vec<String>>,
    /// Rules to disable.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    ignore: Option<Vec<String>>,
    /// Globs to exclude, replacing the default exclusions.
    #[arg(long, value_delimiter = ',', value_name = "GLOBS")]
    exclude: Option<Vec<String>>,
    /// Globs to exclude on top of the default exclusions.
    #[arg(long, value_delimiter = ',', value_name = "GLOBS")]
    extend_exclude: Option<Vec<String>>,
    /// PATTERN:CODE[,CODE...] pairs; repeat the flag for several patterns.
    #[arg(long, value_name = "PATTERN:CODES")]
    per_file_ignores: Option<Vec<String>>,
    /// `conditional` makes CONDITIONAL PASS exit 1 too.
    #[arg(long, value_name = "fail|conditional")]
    fail_on: Option<String>,
    /// Largest Python file checked (bytes, or e.g. `10MiB`); larger ones are SYN003.
    #[arg(long, value_name = "SIZE")]
    max_file_size: Option<String>,
    /// Python version to check against (`py39`, `3.12`) [default: the lowest `requires-python` allows, else 3.10].
    #[arg(long, value_name = "VERSION")]
    target_version: Option<String>,
    /// Worker threads [default: one per core].
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    /// Apply the exclusions to paths named on the command line too (also: `force-exclude = true`).
    #[arg(long)]
    force_exclude: bool,
    /// Neither read nor write the result cache (see also FORTRESS_CACHE_DIR, `fortress clean`).
    #[arg(long)]
    no_cache: bool,
}

impl RunArgs {
    fn overrides(&self, project_dir: Option<PathBuf>) -> Overrides {
        Overrides {
            select: self.select.clone(),
            extend_select: self.extend_select.clone(),
            ignore: self.ignore.clone(),
            exclude: self.exclude.clone(),
            extend_exclude: self.extend_exclude.clone(),
            per_file_ignores: self.per_file_ignores.clone(),
            fail_on: self.fail_on.clone(),
            max_file_size: self.max_file_size.clone(),
            target_version: self.target_version.clone(),
            project_dir,
            force_exclude: self.force_exclude,
            ..Overrides::default()
        }
    }

    /// The target and its settings.
    fn resolve(&self, paths: &[PathBuf]) -> Result<(Target, Settings), ConfigError> {
        self.resolve_with(paths, |_| {})
    }

    /// [`RunArgs::resolve`], with command-specific overrides (`check`'s fix flags).
    fn resolve_with(
        &self,
        paths: &[PathBuf],
        more: impl FnOnce(&mut Overrides),
    ) -> Result<(Target, Settings), ConfigError> {
        let target = Target::resolve(paths, self.config.as_deref(), self.isolated)?;
        let mut overrides =
            self.overrides(Some(crate::paths::project_dir(&target.paths, &target.cwd)));
        more(&mut overrides);
        cache::apply_env(&mut overrides, self.no_cache, &target.cwd);
        let settings = Settings::resolve(target.file.as_ref(), &overrides, target.root.clone())?;
        Ok((target, settings))
    }
}

#[derive(Debug, clap::Args)]
struct BaselineArgs {
    #[command(subcommand)]
    action: BaselineAction,
}

#[derive(Debug, Subcommand)]
enum BaselineAction {
    /// Record the current findings in a baseline file [default: the configured `baseline`, else fortress-baseline.json].
    Write {
        /// The baseline file.
        file: Option<PathBuf>,
        /// Files or directories to check [default: .]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Remove the entries that no longer match a finding (never adds one).
    Prune {
        /// The baseline file [default: the configured `baseline`].
        file: Option<PathBuf>,
        /// Files or directories to check [default: .]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    let outcome = match cli.command {
        Command::Check(args) => check(*args),
        Command::Rules { format } => rules_list::list_rules(format),
        Command::Rule { code } => rules_list::show_rule(&code),
        Command::Clean(args) => cache::clean(args),
        Command::Layers(args) => show_layers(args),
        Command::Baseline(args) => baseline_command(args.action),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("fortress: {err}");
            ExitCode::from(2)
        }
    }
}

/// What a command runs on: the paths, the configuration that applies and the
/// directory its globs are relative to.
struct Target {
    cwd: PathBuf,
    paths: Vec<PathBuf>,
    file: Option<ConfigFile>,
    root: PathBuf,
}

impl Target {
    fn resolve(
        paths: &[PathBuf],
        config: Option<&Path>,
        isolated: bool,
    ) -> Result<Target, ConfigError> {
        let cwd = std::env::current_dir()
            .map_err(|e| ConfigError(format!("error: cannot read the current directory: {e}")))?;
        let paths = if paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            paths.to_vec()
        };
        let config_path = if isolated {
            None
        } else if let Some(path) = config {
            Some(path.to_path_buf())
        } else {
            config::discover(&crate::paths::absolutize(&paths[0], &cwd))?
        };
        let file = config_path.as_deref().map(ConfigFile::load).transpose()?;
        config::check_required_version(file.as_ref())?;
        // Globs in a discovered config are relative to its directory; in one named
        // with --config (often kept aside, e.g. ci/strict.toml) to the current
        // directory, as ruff does.
        let root = match (&config_path, config) {
            (Some(p), None) => crate::paths::absolutize(p, &cwd)
                .parent()
                .map(PathBuf::from)
                .unwrap_or_else(|| cwd.clone()),
            _ => cwd.clone(),
        };
        Ok(Target {
            cwd,
            paths,
            file,
            root,
        })
    }
}

fn check(args: CheckArgs) -> Result<u8, ConfigError> {
    let (Target { cwd, paths, .. }, settings) = args
        .run
        .resolve_with(&args.paths, |o| args.fixes.overrides(o))?;
    if args.show_cache_key {
        return cache::show_key(&settings);
    }
    let threads = args.run.threads;
    let baseline_path = args
        .baseline
        .as_ref()
        .map(|p| crate::paths::absolutize(p, &cwd))
        .or_else(|| {
            args.since
                .is_none()
                .then(|| settings.baseline.clone())
                .flatten()
        });
    let mut fix_lines = None;
    let (result, mut change, enforced) = match (&args.since, &baseline_path) {
        (Some(rev), _) => {
            let (mut result, kept) = engine::run_keeping(&settings, &paths, &cwd, threads)?;
            let prints = head_prints(&result);
            let base = baseline::since::base(
                &settings, &paths, &cwd, threads, &result, &prints, kept, rev,
            )?;
            for note in &base.notes {
                eprintln!("fortress: note: {note}");
            }
            // CFG001 and the test-enforcement findings join the head's.
            if let Some((path, source)) = base.config.clone() {
                baseline::weakened::report(&settings, &mut result, &path, source);
            }
            baseline::weakened::report_ignore_files(
                &settings,
                &mut result,
                &base.touched,
                &base.ignore_file_at_base,
            );
            let enforced = args
                .gate
                .enforce_since(&settings, &cwd, &mut result, &base)?;
            if args.fixes.wanted() {
                fix_lines = Some(fix::on_changed_lines(&result, &base)?);
            }
            let prints = head_prints(&result);
            let mut change = baseline::compare(&prints, &base.entries);
            change.touched = Some(base.touched);
            (result, Some(change), enforced)
        }
        (None, Some(path)) => {
            // Read first: a bad baseline stops the run before it starts.
            let base = Baseline::load(path)?;
            if let Some(warning) = base.rules_differ(&enabled_codes(&settings)) {
                eprintln!("fortress: warning: {warning}");
            }
            let mut result = engine::run(&settings, &paths, &cwd, threads)?;
            let enforced = args.gate.enforce_baseline(
                &settings,
                &paths,
                &cwd,
                &mut result,
                base.commit.as_deref(),
            )?;
            let prints = change::prints_against(&result, &settings, &base);
            let mut change = baseline::compare(&prints, &base.entries);
            change.fixed.retain(|e| judged(&result, &settings, &e.path));
            let stale = change.fixed_count();
            if stale > 0 {
                eprintln!(
                    "fortress: {}: {stale} baseline entr{} of {} match no finding any more; `fortress baseline prune` removes {}",
                    if args.strict_baseline { "warning" } else { "info" },
                    if stale == 1 { "y" } else { "ies" },
                    path.display(),
                    if stale == 1 { "it" } else { "them" },
                );
            }
            (result, Some(change), enforced)
        }
        (None, None) => {
            let mut result = engine::run(&settings, &paths, &cwd, threads)?;
            let enforced = args.gate.enforce(&settings, &cwd, &mut result, None)?;
            (result, None, enforced)
        }
    };
    if let Some(change) = &mut change {
        change.show_existing = args.show_existing;
        change.report_fixed = args.report_fixed;
    }
    if args.fixes.wanted() {
        let output = args.output.as_deref();
        if let Some(code) = fix::run(
            &args.fixes,
            &settings,
            &result,
            change.as_ref(),
            fix_lines.as_deref(),
            output,
        )? {
            return Ok(code);
        }
        // Fixed: check again and report what remains.
        let mut again = args.clone();
        again.fixes.fix = false;
        return check(again);
    }
    if result.python_files == 0 && result.excluded == 0 {
        // A gate that checked nothing passes; say so, or a wrong path in CI
        // goes unnoticed. Files the configuration left out are counted in
        // the summary instead (pre-commit may name only excluded files).
        eprintln!("fortress: warning: no Python files found under the given paths");
    }
    let summary = match &change {
        Some(change) => Summary::of(
            result.python_files,
            result
                .diagnostics
                .iter()
                .zip(&change.states)
                .filter(|(_, s)| s.gated())
                .map(|(d, _)| d),
        ),
        None => Summary::new(result.python_files, &result.diagnostics),
    };
    let (mut verdict, mut reason) =
        crate::gate::decide(&summary, enforced.conditions.unjudged.as_deref());
    if args.strict_baseline
        && baseline_path.is_some()
        && args.since.is_none()
        && verdict == Verdict::Pass
        && change.as_ref().is_some_and(|c| c.fixed_count() > 0)
    {
        verdict = Verdict::ConditionalPass;
        reason = "no blocker and no warning, but baseline entries match no finding (`--strict-baseline`)".to_owned();
    }
    let report = Report {
        result: &result,
        summary: &summary,
        verdict,
        rules: rules::registry()
            .iter()
            .zip(&settings.enabled)
            .filter(|(_, on)| **on)
            .map(|(r, _)| &r.meta)
            .collect(),
        base_dir: cwd.clone(),
        project_root: settings.project().root.clone(),
        change: change.as_ref(),
        target: settings.project().target,
        target_source: settings.project().target_source.to_string(),
        reason,
        gate: Some(&enforced),
        links: report::markdown::Permalinks::from_env(&cwd),
    };
    let env_set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    // FORCE_COLOR: CI logs (GitHub Actions) render colour but are not terminals.
    let to_terminal = args.output.is_none()
        && (std::io::stdout().is_terminal()
            || (env_set("FORCE_COLOR")
                && !matches!(std::env::var("FORCE_COLOR").as_deref(), Ok("0" | "false"))));
    let no_color_env = env_set("NO_COLOR");
    let bytes = match args.format {
        OutputFormat::Text => report::text::render(
            &report,
            &TextOptions {
                color: to_terminal && !args.no_color && !no_color_env,
                quiet: args.quiet,
            },
        ),
        OutputFormat::Json => report::json::render(&report),
        OutputFormat::Sarif => report::sarif::render(&report),
        OutputFormat::Github => report::github::render(&report),
        OutputFormat::Markdown => report::markdown::render(&report),
    };
    match &args.output {
        // Atomic: a failed run or write never leaves half a report.
        Some(path) => crate::files::write_atomic(path, &bytes)
            .map_err(|e| ConfigError(format!("error: cannot write {}: {e}", path.display())))?,
        None => write_stdout(&bytes)?,
    }
    args.gate.write_summary(&cwd, &report)?;
    if args.format != OutputFormat::Text {
        for e in &result.walk_errors {
            eprintln!("fortress: warning: {}: {}", e.path, e.message);
        }
    }
    Ok(verdict.exit_code(settings.fail_on))
}

fn write_stdout(bytes: &[u8]) -> Result<(), ConfigError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(ConfigError(format!("error: cannot write output: {e}"))),
    }
}

fn show_layers(args: LayersArgs) -> Result<u8, ConfigError> {
    let Target {
        cwd,
        paths,
        file,
        root,
    } = Target::resolve(&args.paths, args.config.as_deref(), args.isolated)?;
    // Only the architecture facts are needed: no rule runs.
    let mut overrides = Overrides::default();
    cache::apply_env(&mut overrides, args.no_cache, &cwd);
    let mut settings = Settings::resolve(file.as_ref(), &overrides, root)?;
    settings.enabled.iter_mut().for_each(|on| *on = false);
    let result = engine::run_with_facts(
        &settings,
        &paths,
        &cwd,
        None,
        crate::project::FactSet::ARCHITECTURE,
    )?;
    // Manifests and other non-Python files come after the Python files.
    let files = &result.files[..result.facts.len().min(result.files.len())];
    let modules = crate::project::modules::ModuleMap::build(
        files,
        &settings.project().root,
        &settings.project().src,
    );
    let project = crate::project::Project {
        files,
        facts: &result.facts,
        modules: &modules,
        options: settings.project(),
        boundary: &result.boundary,
        arch: Default::default(),
        deps: Default::default(),
        symbols: Default::default(),
        profile: Default::default(),
    };
    let model = crate::project::layers::model::get(&project);
    let out = rules::architecture::listing::render(
        &project,
        model,
        matches!(args.format, ListFormat::Json),
    );
    write_stdout(out.as_bytes())?;
    Ok(0)
}
