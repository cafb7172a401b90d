//! The run: files in parallel (one parse and one cursor walk each, rules
//! dispatched by node kind), then project rules on the collected facts, then
//! suppressions, then a deterministic order.

pub mod discover;
pub mod suppress;
pub mod syntax;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use tree_sitter::{Node, Tree};

use crate::config::{ConfigError, Settings};
use crate::diagnostic::{Diagnostic, Finding, LineIndex, Position};
use crate::engine::discover::{WalkError, Walker};
use crate::engine::syntax::{Class, SyntaxKinds, SyntaxTracker};
use crate::files::FileInfo;
use crate::project::modules::ModuleMap;
use crate::project::{arch, FileFacts, OtherFiles, Project, ProjectFinding};
use crate::python::imports;
use crate::rules::context::Cx;
use crate::rules::{self, FileChecker, RuleKind};
use suppress::FileSuppressions;

/// Statement kinds whose first line carries the suppressions for all their lines.
const STATEMENT_KINDS: &[&str] = &[
    "expression_statement",
    "return_statement",
    "assert_statement",
    "raise_statement",
    "delete_statement",
    "import_statement",
    "import_from_statement",
    "future_import_statement",
    "global_statement",
    "nonlocal_statement",
    "type_alias_statement",
    "print_statement",
    "exec_statement",
    "if_statement",
    "elif_clause",
    "for_statement",
    "while_statement",
    "with_statement",
    "try_statement",
    "function_definition",
    "class_definition",
    "match_statement",
    "case_clause",
];

struct FileRuleSlot {
    registry_index: usize,
    code: &'static str,
    make: fn() -> Box<dyn FileChecker>,
}

/// What to run, prepared once per run.
pub struct Plan<'s> {
    pub settings: &'s Settings,
    file_rules: Vec<FileRuleSlot>,
    /// node kind id -> indices into `file_rules`
    dispatch: Vec<Vec<usize>>,
    is_import: Vec<bool>,
    /// Node kinds the architecture facts collector wants.
    is_arch: Vec<bool>,
    is_call: Vec<bool>,
    is_statement: Vec<bool>,
    /// Node kinds the syntax checks look at (brackets, blocks, Python 2 forms).
    syntax: SyntaxKinds,
    comment_kind: u16,
}

impl<'s> Plan<'s> {
    pub fn new(settings: &'s Settings) -> Plan<'s> {
        let language = crate::parse::language();
        let kind_count = language.node_kind_count();
        // Named kinds only: `await`, `lambda`, `type`, `yield`... are also the
        // names of anonymous keyword tokens, which no rule means.
        let ids_of = |names: &[&str]| -> Vec<bool> {
            (0..kind_count)
                .map(|id| {
                    language.node_kind_is_named(id as u16)
                        && language
                            .node_kind_for_id(id as u16)
                            .is_some_and(|k| names.contains(&k))
                })
                .collect()
        };
        let mut file_rules = Vec::new();
        let mut dispatch = vec![Vec::new(); kind_count];
        for (registry_index, entry) in rules::registry().iter().enumerate() {
            if let RuleKind::File { kinds, make } = &entry.kind {
                let slot = file_rules.len();
                file_rules.push(FileRuleSlot {
                    registry_index,
                    code: entry.meta.code,
                    make: *make,
                });
                for (id, wanted) in ids_of(kinds).into_iter().enumerate() {
                    if wanted {
                        dispatch[id].push(slot);
                    }
                }
            }
        }
        Plan {
            settings,
            file_rules,
            dispatch,
            is_import: ids_of(imports::IMPORT_KINDS),
            // Architecture facts only feed the layer rules; skip them when none runs.
            is_arch: if settings
                .enabled
                .iter()
                .zip(rules::registry())
                .any(|(on, r)| *on && arch::wanted_by(r.meta.code))
            {
                ids_of(arch::ARCH_KINDS)
            } else {
                vec![false; kind_count]
            },
            is_call: ids_of(&["call"]),
            is_statement: ids_of(STATEMENT_KINDS),
            syntax: SyntaxKinds::new(&language),
            comment_kind: language.id_for_node_kind("comment", true),
        }
    }
}

/// One file's share of the run.
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub source: String,
    pub lines: LineIndex,
    pub diagnostics: Vec<Diagnostic>,
    pub suppressions: FileSuppressions,
    pub facts: FileFacts,
    /// Rules enabled for this file (per-file ignores applied), indexed like the registry.
    pub enabled: Vec<bool>,
    /// Set when the file could not be read, decoded or parsed cleanly.
    pub problem: Option<String>,
    /// `source` and `lines` were dropped by [`release_text`].
    pub text_released: bool,
}

/// Most files end the walk with no finding and no suppression, and then
/// nothing needs their text again: drop it now rather than hold every source
/// of the run until the end (that roughly doubled the peak memory). A project
/// rule that later reports in such a file gets the text back from
/// [`reload_text`].
fn release_text(outcome: &mut FileOutcome) {
    if outcome.diagnostics.is_empty() && outcome.suppressions.items.is_empty() {
        outcome.source = String::new();
        outcome.lines = LineIndex::default();
        outcome.text_released = true;
    }
}

/// The text of a file whose outcome released it, for the reporters' snippets.
fn reload_text(info: &FileInfo, cap: u64) -> String {
    match crate::files::read_bounded(&info.path, cap) {
        Ok(bytes) => crate::source::decode(&bytes).unwrap_or_else(|err| err.display),
        Err(_) => String::new(),
    }
}

/// Everything the gate and the reporters need.
#[derive(Debug, Default)]
pub struct RunResult {
    /// The Python files checked, then (from index `python_files` on) the
    /// non-Python files project rules reported in (manifests).
    pub files: Vec<FileInfo>,
    pub python_files: usize,
    pub sources: Vec<String>,
    /// Sorted by (path, line, column, code).
    pub diagnostics: Vec<Diagnostic>,
    /// Files that could not be read or parsed, with why: SARIF notifications.
    pub file_problems: Vec<(usize, String)>,
    pub walk_errors: Vec<WalkError>,
    /// What each Python file contributed to the project pass, indexed like
    /// `files[..python_files]`.
    pub facts: Vec<FileFacts>,
    /// Python files the configuration's exclusions left out.
    pub excluded: usize,
    /// Where every file read had to be (see [`crate::files`]).
    pub boundary: crate::files::Boundary,
}

pub fn run(
    settings: &Settings,
    paths: &[PathBuf],
    cwd: &Path,
    threads: Option<usize>,
) -> Result<RunResult, ConfigError> {
    let absolute: Vec<PathBuf> = paths
        .iter()
        .map(|p| crate::paths::absolutize(p, cwd))
        .collect();
    let boundary = crate::files::Boundary::of_run(&absolute, &settings.project().root);
    let walker = Walker {
        settings,
        cwd: cwd.to_path_buf(),
        boundary: boundary.clone(),
    };
    let discovered = walker.discover(paths)?;
    let mut files = discovered.files;
    let broken_start = files.len();
    let broken_reasons: Vec<String> = discovered
        .broken
        .iter()
        .map(|(_, why)| why.clone())
        .collect();
    files.extend(discovered.broken.into_iter().map(|(info, _)| info));

    let plan = Plan::new(settings);
    let mut order: Vec<(u64, usize)> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (std::fs::metadata(&f.path).map(|m| m.len()).unwrap_or(0), i))
        .collect();
    // Biggest files first so no thread is left alone with the giants at the end.
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));

    let check = || -> Vec<(usize, FileOutcome)> {
        order
            .par_iter()
            .with_max_len(1)
            .map(|&(_, i)| {
                let mut outcome = if i >= broken_start {
                    unreadable(
                        &files[i],
                        &plan,
                        &broken_reasons[i - broken_start],
                        crate::rules::syntax::IO_ERROR.code,
                    )
                } else {
                    check_file(&files[i], &plan)
                };
                release_text(&mut outcome);
                (i, outcome)
            })
            .collect()
    };
    let results = match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| ConfigError(format!("error: cannot start {n} threads: {e}")))?
            .install(check),
        None => check(),
    };
    let mut outcomes: Vec<FileOutcome> = (0..files.len()).map(|_| FileOutcome::default()).collect();
    for (i, outcome) in results {
        outcomes[i] = outcome;
    }
    Ok(finish(
        &walker,
        files,
        outcomes,
        discovered.errors,
        discovered.excluded,
    ))
}

/// The reduce step of a run, after every file was checked: project rules on
/// the files' facts, suppressions applied (and SUP004 for the unused ones),
/// diagnostics in their final order. `outcomes[i]` belongs to `files[i]`.
pub fn finish(
    walker: &Walker<'_>,
    mut files: Vec<FileInfo>,
    mut outcomes: Vec<FileOutcome>,
    walk_errors: Vec<WalkError>,
    excluded: usize,
) -> RunResult {
    let settings = walker.settings;
    let boundary = walker.boundary.clone();
    for (i, outcome) in outcomes.iter_mut().enumerate() {
        for d in &mut outcome.diagnostics {
            d.file = i;
        }
    }
    let facts: Vec<FileFacts> = outcomes
        .iter_mut()
        .map(|o| std::mem::take(&mut o.facts))
        .collect();
    let python_files = files.len();
    let (project_findings, other) = run_project_rules(settings, &files, &facts, &boundary);
    let mut result = RunResult {
        walk_errors,
        excluded,
        boundary,
        python_files,
        ..RunResult::default()
    };
    for (path, source) in other.files {
        let info = walker.file_info(path);
        outcomes.push(FileOutcome {
            lines: LineIndex::new(&source),
            enabled: settings.enabled_for(&info.rel),
            source,
            ..FileOutcome::default()
        });
        files.push(info);
    }
    for (path, message) in other.problems {
        let shown = walker.file_info(path).display;
        result.walk_errors.push(crate::engine::discover::WalkError {
            path: shown,
            message,
        });
    }
    for f in project_findings {
        let Some(outcome) = outcomes.get_mut(f.file) else {
            continue;
        };
        let Some(index) = rules::index_of(f.code) else {
            continue;
        };
        if !outcome.enabled.get(index).copied().unwrap_or(false) {
            continue;
        }
        outcome.diagnostics.push(make_diagnostic(
            settings, index, f.file, f.span, f.start, f.end, f.message,
        ));
    }

    for (file, outcome) in outcomes.iter_mut().enumerate() {
        let used = suppress::apply(&mut outcome.diagnostics, &outcome.suppressions);
        if let Some(unused_index) = rules::index_of(suppress::UNUSED_SUPPRESSION.code) {
            if outcome.enabled.get(unused_index).copied().unwrap_or(false) {
                for (s, flags) in outcome.suppressions.items.iter().zip(used) {
                    let unused: Vec<&str> = s
                        .codes
                        .iter()
                        .zip(flags)
                        .filter(|(code, used)| {
                            !used && rules::index_of(code).is_some_and(|i| outcome.enabled[i])
                        })
                        .map(|(code, _)| *code)
                        .collect();
                    if unused.is_empty() {
                        continue;
                    }
                    let start = outcome.lines.position(s.span.start, &outcome.source);
                    let end = outcome.lines.position(s.span.end, &outcome.source);
                    let message = format!(
                        "suppression of {} matches no finding{}; remove it",
                        unused.join(", "),
                        if s.file_level {
                            " in this file"
                        } else {
                            " on this line"
                        }
                    );
                    outcome.diagnostics.push(make_diagnostic(
                        settings,
                        unused_index,
                        file,
                        s.span.clone(),
                        start,
                        end,
                        message,
                    ));
                }
            }
        }
    }

    for (file, outcome) in outcomes.into_iter().enumerate() {
        if let Some(problem) = outcome.problem {
            result.file_problems.push((file, problem));
        }
        let source = if outcome.text_released && !outcome.diagnostics.is_empty() {
            reload_text(&files[file], settings.max_file_size)
        } else {
            outcome.source
        };
        result.diagnostics.extend(outcome.diagnostics);
        result.sources.push(source);
    }
    // Unreadable files were appended after the readable ones: order by path, not by index.
    let mut by_path: Vec<usize> = (0..files.len()).collect();
    by_path.sort_by(|&a, &b| files[a].display.cmp(&files[b].display));
    let mut rank = vec![0; files.len()];
    for (position, &file) in by_path.iter().enumerate() {
        rank[file] = position;
    }
    result.diagnostics.sort_by(|a, b| {
        (rank[a.file], a.start, a.code, a.end, &a.message).cmp(&(
            rank[b.file],
            b.start,
            b.code,
            b.end,
            &b.message,
        ))
    });
    result.diagnostics.dedup();
    result.file_problems.sort_by_key(|(file, _)| rank[*file]);
    result.files = files;
    result.facts = facts;
    result
}

fn run_project_rules(
    settings: &Settings,
    files: &[FileInfo],
    facts: &[FileFacts],
    boundary: &crate::files::Boundary,
) -> (Vec<ProjectFinding>, OtherFiles) {
    let mut other = OtherFiles::new(files.len());
    let enabled: Vec<&dyn rules::ProjectRule> = rules::registry()
        .iter()
        .zip(&settings.enabled)
        .filter_map(|(entry, on)| match &entry.kind {
            RuleKind::Project(rule) if *on => Some(rule.as_ref()),
            _ => None,
        })
        .collect();
    if enabled.is_empty() {
        return (Vec::new(), other);
    }
    let modules = ModuleMap::build(files, &settings.project().root, &settings.project().src);
    let project = Project {
        files,
        facts,
        modules: &modules,
        options: settings.project(),
        boundary,
        arch: Default::default(),
        deps: Default::default(),
    };
    let mut findings = Vec::new();
    for rule in enabled {
        rule.check_with_other_files(&project, &mut findings, &mut other);
    }
    (findings, other)
}

fn make_diagnostic(
    settings: &Settings,
    index: usize,
    file: usize,
    span: std::ops::Range<usize>,
    start: Position,
    end: Position,
    message: String,
) -> Diagnostic {
    let meta = &rules::registry()[index].meta;
    Diagnostic {
        code: meta.code,
        name: meta.name,
        severity: settings.severity[index],
        file,
        span,
        start,
        end,
        message: crate::diagnostic::cap_message(message),
    }
}

fn unreadable(info: &FileInfo, plan: &Plan<'_>, why: &str, code: &'static str) -> FileOutcome {
    let enabled = plan.settings.enabled_for(&info.rel);
    let mut outcome = FileOutcome {
        enabled,
        problem: Some(format!("cannot read file: {why}")),
        ..FileOutcome::default()
    };
    push_engine_finding(
        plan,
        &mut outcome,
        usize::MAX,
        code,
        0..0,
        format!("cannot read file: {why}"),
    );
    outcome
}

fn push_engine_finding(
    plan: &Plan<'_>,
    outcome: &mut FileOutcome,
    file: usize,
    code: &'static str,
    span: std::ops::Range<usize>,
    message: String,
) {
    let Some(index) = rules::index_of(code) else {
        return;
    };
    if !outcome.enabled[index] {
        return;
    }
    let start = outcome.lines.position(span.start, &outcome.source);
    let end = outcome.lines.position(span.end, &outcome.source);
    outcome.diagnostics.push(make_diagnostic(
        plan.settings,
        index,
        file,
        span,
        start,
        end,
        message,
    ));
}

/// Read, decode, parse and walk one file.
pub fn check_file(info: &FileInfo, plan: &Plan<'_>) -> FileOutcome {
    match crate::files::read_bounded(&info.path, plan.settings.max_file_size) {
        Ok(bytes) => check_bytes(&bytes, info, plan),
        Err(why) => {
            // A regular file nobody could check is a blocker (SYN003): the
            // gate never passes over code it did not see. What is not a
            // regular file (a pipe, a dangling link) stays SYN002.
            let code = if why.is_unchecked_regular_file() {
                crate::rules::syntax::UNCHECKED_FILE.code
            } else {
                crate::rules::syntax::IO_ERROR.code
            };
            let why = match why {
                crate::files::ReadError::TooLarge { .. } => {
                    format!("{why} (`max-file-size`)")
                }
                crate::files::ReadError::Missing => {
                    "file disappeared or is a dangling symbolic link".to_owned()
                }
                other => other.to_string(),
            };
            unreadable(info, plan, &why, code)
        }
    }
}

/// Decode, parse and walk the bytes of `info`'s file (already read).
pub fn check_bytes(bytes: &[u8], info: &FileInfo, plan: &Plan<'_>) -> FileOutcome {
    let enabled = plan.settings.enabled_for(&info.rel);
    match crate::source::decode(bytes) {
        Ok(source) => check_source(source, info, plan, enabled),
        Err(err) => {
            let source = err.display;
            let lines = LineIndex::new(&source);
            let at = err.display_offset.min(source.len());
            let end = source[at..]
                .chars()
                .next()
                .filter(|c| *c != '\n')
                .map_or(at, |c| at + c.len_utf8());
            let mut outcome = FileOutcome {
                source,
                lines,
                enabled,
                problem: Some(err.message.clone()),
                ..FileOutcome::default()
            };
            push_engine_finding(
                plan,
                &mut outcome,
                usize::MAX,
                crate::rules::syntax::SYNTAX_ERROR.code,
                at..end,
                err.message,
            );
            outcome
        }
    }
}

/// Check already-decoded source text (also used by the fixture tests).
pub fn check_source(
    source: String,
    info: &FileInfo,
    plan: &Plan<'_>,
    enabled: Vec<bool>,
) -> FileOutcome {
    let lines = LineIndex::new(&source);
    let mut outcome = FileOutcome {
        lines,
        enabled,
        ..FileOutcome::default()
    };
    if let Some((span, message)) = crate::engine::syntax::indentation_guard(&source) {
        outcome.source = source;
        outcome.problem = Some(message.clone());
        push_engine_finding(
            plan,
            &mut outcome,
            usize::MAX,
            crate::rules::syntax::SYNTAX_ERROR.code,
            span,
            message,
        );
        return outcome;
    }
    let Some(tree) = crate::parse::parse(&source) else {
        outcome.source = source;
        outcome.problem = Some("the parser gave up on this file".to_owned());
        push_engine_finding(
            plan,
            &mut outcome,
            usize::MAX,
            crate::rules::syntax::SYNTAX_ERROR.code,
            0..0,
            "the parser gave up on this file".to_owned(),
        );
        return outcome;
    };
    let walk = walk_tree(&tree, &source, info, plan, &outcome.enabled, &outcome.lines);
    outcome.suppressions = walk.suppressions;
    outcome.facts = walk.facts;
    outcome.source = source;
    if let Some((span, message)) = walk.syntax_error {
        outcome.problem = Some(message.clone());
        push_engine_finding(
            plan,
            &mut outcome,
            usize::MAX,
            crate::rules::syntax::SYNTAX_ERROR.code,
            span,
            message,
        );
    }
    for (span, message) in walk.invalid_suppressions {
        push_engine_finding(
            plan,
            &mut outcome,
            usize::MAX,
            suppress::INVALID_SUPPRESSION.code,
            span,
            message,
        );
    }
    for finding in walk.findings {
        let Some(index) = rules::index_of(finding.code) else {
            continue;
        };
        let start = outcome.lines.position(finding.span.start, &outcome.source);
        let end = outcome.lines.position(finding.span.end, &outcome.source);
        outcome.diagnostics.push(make_diagnostic(
            plan.settings,
            index,
            usize::MAX,
            finding.span,
            start,
            end,
            finding.message,
        ));
    }
    outcome
}

struct WalkOutput {
    findings: Vec<Finding>,
    facts: FileFacts,
    suppressions: FileSuppressions,
    invalid_suppressions: Vec<(std::ops::Range<usize>, String)>,
    syntax_error: Option<(std::ops::Range<usize>, String)>,
}

fn walk_tree(
    tree: &Tree,
    source: &str,
    info: &FileInfo,
    plan: &Plan<'_>,
    enabled: &[bool],
    lines: &LineIndex,
) -> WalkOutput {
    let mut checkers: Vec<Option<Box<dyn FileChecker>>> = plan
        .file_rules
        .iter()
        .map(|slot| enabled[slot.registry_index].then(|| (slot.make)()))
        .collect();
    let mut findings: Vec<Finding> = Vec::new();
    let mut import_facts = Vec::new();
    let mut arch_facts = arch::Collector::default();
    let mut dynamic_imports = Vec::new();
    let mut suppressions = FileSuppressions::default();
    let mut invalid_suppressions = Vec::new();
    let wants_suppressions = source.contains("fortress:");
    let root = tree.root_node();
    let has_error = root.has_error();
    let mut syntax = SyntaxTracker::new(&plan.syntax, has_error);
    let leading_comments_end = root
        .named_children(&mut root.walk())
        .find(|n| n.kind() != "comment")
        .map_or(source.len(), |n| n.start_byte());

    let mut stack: Vec<Node<'_>> = Vec::new();
    let mut frames: Vec<Kids<'_>> = Vec::new();
    let mut error_depth = 0usize;
    let mut next = root;
    loop {
        let node = next;
        let kind = node.kind_id();
        let tree_error = has_error && (node.is_error() || node.is_missing());
        if tree_error {
            syntax.tree_error(node);
        }
        let class = plan.syntax.class(kind);
        let legacy = class != Class::Other && syntax.visit(node, class, &stack, source);
        let sound = error_depth == 0 && !tree_error && !legacy;
        if kind == plan.comment_kind || sound {
            if sound && has(&plan.is_import, kind) {
                imports::extract(node, &stack, source, lines, &mut import_facts);
            } else if sound && has(&plan.is_call, kind) {
                imports::extract_dynamic(node, &stack, source, lines, &mut dynamic_imports);
            }
            if sound && has(&plan.is_arch, kind) {
                arch_facts.visit(node, &stack, source, lines);
            }
            for &slot in plan
                .dispatch
                .get(usize::from(kind))
                .map_or(&[][..], Vec::as_slice)
            {
                if let Some(checker) = checkers[slot].as_mut() {
                    let mut cx = Cx {
                        source,
                        file: info,
                        ancestors: &stack,
                        imports: &import_facts,
                        options: &plan.settings.options,
                        code: plan.file_rules[slot].code,
                        findings: &mut findings,
                    };
                    checker.visit(node, &mut cx);
                }
            }
        }
        if wants_suppressions {
            if kind == plan.comment_kind {
                let text = source.get(node.byte_range()).unwrap_or("");
                let row = node.start_position().row as u32;
                match suppress::parse_comment(text, node.start_byte(), row) {
                    Some(Ok(s)) if s.file_level && s.span.start > leading_comments_end => invalid_suppressions.push((
                        s.span,
                        "`# fortress: ignore-file` only works in the comments at the top of the file, before any code".to_owned(),
                    )),
                    Some(Ok(s)) => suppressions.items.push(s),
                    Some(Err(invalid)) => invalid_suppressions.push(invalid),
                    None => {}
                }
            } else if has(&plan.is_statement, kind) {
                if let Some(range) = statement_rows(node) {
                    suppressions.statements.push(range);
                }
            }
        }
        let count = node.child_count();
        if count > 0 {
            if class == Class::Block {
                syntax.enter_block(node, stack.last());
            }
            stack.push(node);
            frames.push(Kids::new(node, count));
            if has_error && node.is_error() {
                error_depth += 1;
            }
        }
        loop {
            let child = match (frames.last_mut(), stack.last()) {
                (Some(frame), Some(parent)) => frame.next(*parent),
                _ => None,
            };
            if let Some(child) = child {
                next = child;
                break;
            }
            if frames.pop().is_none() {
                let mut cx_findings = std::mem::take(&mut findings);
                for (slot, checker) in checkers.iter_mut().enumerate() {
                    if let Some(checker) = checker.as_mut() {
                        let mut cx = Cx {
                            source,
                            file: info,
                            ancestors: &[],
                            imports: &import_facts,
                            options: &plan.settings.options,
                            code: plan.file_rules[slot].code,
                            findings: &mut cx_findings,
                        };
                        checker.finish(&mut cx);
                    }
                }
                return WalkOutput {
                    findings: cx_findings,
                    facts: FileFacts {
                        arch: arch_facts.finish(&import_facts),
                        imports: import_facts,
                        dynamic_imports,
                    },
                    suppressions,
                    invalid_suppressions,
                    syntax_error: syntax.finish(source),
                };
            }
            if let Some(parent) = stack.pop() {
                if has_error && parent.is_error() {
                    error_depth -= 1;
                }
                if plan.syntax.class(parent.kind_id()) == Class::Block {
                    syntax.leave_block();
                }
            }
        }
    }
}

/// Whether a per-kind table marks `kind`. Tables cover the grammar's kinds;
/// tree-sitter's built-in symbols (ERROR is 65535) lie outside them.
#[inline]
fn has(table: &[bool], kind: u16) -> bool {
    table.get(usize::from(kind)).copied().unwrap_or(false)
}

/// Up to this many children, `Node::child(i)` (a short scan from the first
/// child) beats a `TreeCursor` step, which re-enters the hidden wrapper nodes
/// of the grammar each time: the walk costs ~40% fewer instructions. Wider
/// nodes (modules, long literals) use a cursor so the walk stays linear.
const FEW_CHILDREN: u32 = 16;

/// The children of a node on the walk's stack still to visit.
enum Kids<'t> {
    Few {
        next: u32,
        count: u32,
    },
    /// The cursor, and whether it has entered the children yet.
    Many(tree_sitter::TreeCursor<'t>, bool),
}

impl<'t> Kids<'t> {
    fn new(node: Node<'t>, count: u32) -> Kids<'t> {
        if count <= FEW_CHILDREN {
            Kids::Few { next: 0, count }
        } else {
            Kids::Many(node.walk(), false)
        }
    }
    fn next(&mut self, parent: Node<'t>) -> Option<Node<'t>> {
        match self {
            Kids::Few { next, count } => {
                if *next < *count {
                    *next += 1;
                    parent.child(*next - 1)
                } else {
                    None
                }
            }
            Kids::Many(cursor, started) => {
                let moved = if *started {
                    cursor.goto_next_sibling()
                } else {
                    *started = true;
                    cursor.goto_first_child()
                };
                moved.then(|| cursor.node())
            }
        }
    }
}

/// Rows a suppression on the statement's first line covers: a simple
/// statement's lines, or a compound statement's header up to its `:`.
fn statement_rows(node: Node<'_>) -> Option<(u32, u32)> {
    let first = node.start_position().row as u32;
    let mut last = node.end_position().row as u32;
    let mut cursor = node.walk();
    if let Some(block) = node.children(&mut cursor).find(|c| c.kind() == "block") {
        last = block
            .prev_sibling()
            .map_or(first, |colon| colon.end_position().row as u32);
    }
    (last > first).then_some((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_released_only_when_nothing_needs_it() {
        let clean = |source: &str| FileOutcome {
            source: source.to_owned(),
            lines: LineIndex::new(source),
            ..FileOutcome::default()
        };
        let mut outcome = clean("x = 1\n");
        release_text(&mut outcome);
        assert!(outcome.text_released && outcome.source.is_empty());

        let mut outcome = clean("x = 1  # fortress: ignore[TYP001] -- why\n");
        outcome.suppressions.items.push(suppress::Suppression {
            file_level: false,
            row: 0,
            span: 7..40,
            codes: vec!["TYP001"],
        });
        release_text(&mut outcome);
        assert!(!outcome.text_released && !outcome.source.is_empty());
    }

    #[test]
    fn released_text_reloads_decoded() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("m.py");
        std::fs::write(&path, b"# coding: latin-1\nx = '\xe9'\n").expect("write");
        let info = FileInfo {
            path,
            display: "m.py".to_owned(),
            rel: "m.py".to_owned(),
            is_test: false,
        };
        assert_eq!(
            reload_text(&info, crate::files::SOURCE_CAP),
            "# coding: latin-1\nx = 'é'\n"
        );
    }
}
