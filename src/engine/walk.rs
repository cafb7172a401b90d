//! The single cursor walk over a file's tree: syntax checks, import and
//! architecture facts, rule dispatch by node kind, suppression comments.

use tree_sitter::{Node, Tree};

use super::*;
use crate::diagnostic::{Finding, LineIndex};
use crate::engine::syntax::{Class, SyntaxTracker};
use crate::files::FileInfo;
use crate::project::{arch, symbols, FileFacts};
use crate::python::fields::NodeFields;
use crate::python::imports;
use crate::python::semantic::Semantic;
use crate::rules::context::Cx;
use crate::rules::FileChecker;
use suppress::FileSuppressions;

pub(super) struct WalkOutput {
    pub(super) findings: Vec<Finding>,
    pub(super) facts: FileFacts,
    pub(super) suppressions: FileSuppressions,
    pub(super) invalid_suppressions: Vec<(std::ops::Range<usize>, String)>,
    pub(super) syntax_error: Option<(std::ops::Range<usize>, String)>,
}

pub(super) fn walk_tree(
    tree: &Tree,
    source: &str,
    info: &FileInfo,
    plan: &Plan<'_>,
    enabled: &[bool],
    lines: &LineIndex,
) -> WalkOutput {
    // A tree without errors is walked over its named nodes (see `Kids`);
    // a tree deeper than `NAMED_WALK_DEPTH` is walked again over every node.
    let mut named = !tree.root_node().has_error();
    loop {
        if let Some(out) = walk(tree, source, info, plan, enabled, lines, named) {
            return out;
        }
        named = false;
    }
}

/// Below this depth an error-free tree is walked over its named nodes
/// only. No rule, fact collector, suppression or import extraction looks
/// at an anonymous node (the plan's kind tables are named kinds only);
/// the syntax checks look at anonymous tokens for two things: ERROR and
/// MISSING nodes (only in a tree with errors, always walked in full) and
/// brackets, whose nesting they check against CPython's limit
/// (`MAX_BRACKET_DEPTH`, 200). In an error-free tree every bracket pair is
/// two children of one node, so the brackets open at a token are at most
/// two per ancestor of it: a tree that never gets this deep cannot reach
/// the limit, and a deeper one is walked again in full.
const NAMED_WALK_DEPTH: usize = 64;

/// One walk over `tree`: over the named nodes only when `named` (`None`
/// when the tree turns out deeper than [`NAMED_WALK_DEPTH`]), else over
/// every node (never `None`).
fn walk(
    tree: &Tree,
    source: &str,
    info: &FileInfo,
    plan: &Plan<'_>,
    enabled: &[bool],
    lines: &LineIndex,
    named: bool,
) -> Option<WalkOutput> {
    let mut checkers: Vec<Option<Box<dyn FileChecker>>> = plan
        .file_rules
        .iter()
        .map(|slot| enabled[slot.registry_index].then(|| (slot.make)()))
        .collect();
    let mut findings: Vec<Finding> = Vec::new();
    let mut import_facts = Vec::new();
    let mut arch_facts = arch::Collector::default();
    let mut symbol_facts = symbols::Collector::default();
    let mut dynamic_imports = Vec::new();
    let mut semantic = Semantic::new(root_of(tree), source);
    let mut deferred = Vec::new();
    let mut suppressions = FileSuppressions::default();
    let mut invalid_suppressions = Vec::new();
    let wants_external = plan.settings.external_suppressions && suppress::may_hold_external(source);
    let wants_suppressions = source.contains("fortress:") || wants_external;
    let root = tree.root_node();
    let has_error = root.has_error();
    let migration = crate::project::migrations::is_migration(&info.rel, root, source);
    let mut syntax = SyntaxTracker::new(
        &plan.syntax,
        has_error,
        plan.settings.options.project.target,
    );
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
            let slots = plan
                .dispatch
                .get(usize::from(kind))
                .map_or(&[][..], Vec::as_slice);
            // The fields every consumer of a call or an assignment reads: once for all.
            let fields = if sound
                && has(&plan.has_fields, kind)
                && (!slots.is_empty() || has(&plan.is_symbol, kind) || has(&plan.is_call, kind))
            {
                NodeFields::of(node)
            } else {
                NodeFields::default()
            };
            if sound && has(&plan.is_import, kind) {
                let before = import_facts.len();
                imports::extract(node, &stack, source, lines, &mut import_facts);
                semantic.bind_imports(node, &stack, &import_facts[before..]);
            } else if sound && has(&plan.is_semantic, kind) {
                semantic.visit(node, &stack);
            }
            if sound && has(&plan.is_call, kind) {
                imports::extract_dynamic(
                    node,
                    fields.function,
                    &stack,
                    source,
                    lines,
                    &mut dynamic_imports,
                );
            }
            if sound && has(&plan.is_arch, kind) {
                arch_facts.visit(node, &stack, source, lines, &semantic);
            }
            if sound && has(&plan.is_symbol, kind) {
                let at = symbols::At {
                    ancestors: &stack,
                    source,
                    lines,
                    semantic: &semantic,
                    imports: &import_facts,
                    fields,
                };
                symbol_facts.visit(node, &at);
            }
            for &slot in slots {
                if let Some(checker) = checkers[slot].as_mut() {
                    let mut cx = Cx {
                        source,
                        file: info,
                        ancestors: &stack,
                        imports: &import_facts,
                        semantic: &semantic,
                        options: &plan.settings.options,
                        profile: &plan.profile,
                        migration,
                        code: plan.file_rules[slot].code,
                        findings: &mut findings,
                        lines,
                        deferred: &mut deferred,
                        enabled,
                        fields,
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
                if wants_external {
                    if let Some(s) = suppress::parse_external(text, node.start_byte(), row) {
                        suppressions.items.push(s);
                    }
                }
            } else if has(&plan.is_statement, kind) {
                if let Some(range) = statement_rows(node) {
                    suppressions.statements.push(range);
                }
            }
        }
        let count = if named {
            node.named_child_count() as u32
        } else {
            node.child_count()
        };
        if named && count == 0 && class == Class::Block && node.child_count() > 0 {
            // As the full walk enters and leaves a block of tokens only.
            syntax.enter_block(node, stack.last());
            syntax.leave_block();
        }
        if count > 0 {
            if named && stack.len() >= NAMED_WALK_DEPTH {
                return None;
            }
            if class == Class::Block {
                syntax.enter_block(node, stack.last());
            }
            stack.push(node);
            frames.push(Kids::new(node, count, named));
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
                            semantic: &semantic,
                            options: &plan.settings.options,
                            profile: &plan.profile,
                            migration,
                            code: plan.file_rules[slot].code,
                            findings: &mut cx_findings,
                            lines,
                            deferred: &mut deferred,
                            enabled,
                            fields: NodeFields::default(),
                        };
                        checker.finish(&mut cx);
                    }
                }
                return Some(WalkOutput {
                    findings: cx_findings,
                    facts: FileFacts {
                        arch: crate::project::slim::Slim::new(arch_facts.finish(&import_facts)),
                        imports: import_facts,
                        dynamic_imports,
                        migration,
                        symbols: crate::project::slim::Slim::new(symbol_facts.finish()),
                        deferred,
                    },
                    suppressions,
                    invalid_suppressions,
                    syntax_error: syntax.finish(source),
                });
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

fn root_of(tree: &Tree) -> Node<'_> {
    tree.root_node()
}

/// Whether a per-kind table marks `kind`. Tables cover the grammar's kinds;
/// tree-sitter's built-in symbols (ERROR is 65535) lie outside them.
#[inline]
pub(super) fn has(table: &[bool], kind: u16) -> bool {
    table.get(usize::from(kind)).copied().unwrap_or(false)
}

/// Up to this many children, `Node::child(i)` (a short scan from the first
/// child) beats a `TreeCursor` step, which re-enters the hidden wrapper nodes
/// of the grammar each time: the walk costs ~40% fewer instructions. Wider
/// nodes (modules, long literals) use a cursor so the walk stays linear.
const FEW_CHILDREN: u32 = 16;

/// The children of a node on the walk's stack still to visit: all of
/// them, or its named ones only (`named`).
enum Kids<'t> {
    Few {
        next: u32,
        count: u32,
        named: bool,
    },
    /// The cursor, whether it has entered the children yet, and `named`.
    Many(tree_sitter::TreeCursor<'t>, bool, bool),
}

impl<'t> Kids<'t> {
    /// `count`: the node's children, or its named children when `named`.
    fn new(node: Node<'t>, count: u32, named: bool) -> Kids<'t> {
        if count <= FEW_CHILDREN {
            Kids::Few {
                next: 0,
                count,
                named,
            }
        } else {
            Kids::Many(node.walk(), false, named)
        }
    }
    fn next(&mut self, parent: Node<'t>) -> Option<Node<'t>> {
        match self {
            Kids::Few { next, count, named } => {
                if *next < *count {
                    *next += 1;
                    if *named {
                        parent.named_child(*next - 1)
                    } else {
                        parent.child(*next - 1)
                    }
                } else {
                    None
                }
            }
            Kids::Many(cursor, started, named) => loop {
                let moved = if *started {
                    cursor.goto_next_sibling()
                } else {
                    *started = true;
                    cursor.goto_first_child()
                };
                if !moved {
                    return None;
                }
                let node = cursor.node();
                if !*named || node.is_named() {
                    return Some(node);
                }
            },
        }
    }
}

/// Rows a suppression on the statement's first line covers: a simple
/// statement's lines, or a compound statement's header up to its `:`.
pub(super) fn statement_rows(node: Node<'_>) -> Option<(u32, u32)> {
    let first = node.start_position().row as u32;
    let mut last = node.end_position().row as u32;
    // The child before the block (the colon) is kept while scanning:
    // `Node::prev_sibling` searches down from the root each time, which cost
    // time in depth times width for every compound statement of a file with a
    // `fortress:` comment (13.7 s for a 137 KB fuzz input before the
    // indentation guard).
    let mut cursor = node.walk();
    let mut before: Option<Node<'_>> = None;
    for child in node.children(&mut cursor) {
        if child.kind() == "block" {
            last = before.map_or(first, |colon| colon.end_position().row as u32);
            break;
        }
        before = Some(child);
    }
    (last > first).then_some((first, last))
}

#[cfg(test)]
mod tests {
    use super::{statement_rows, walk, NAMED_WALK_DEPTH};
    use crate::config::{Overrides, Settings};
    use crate::diagnostic::LineIndex;
    use crate::engine::discover::Walker;
    use crate::engine::Plan;

    /// On an error-free tree the walk over named nodes gives what the walk
    /// over every node gives (findings, facts, suppressions, syntax), with
    /// every rule selected; a tree deeper than `NAMED_WALK_DEPTH` is
    /// refused by the named walk, so that `walk_tree` walks it in full.
    #[test]
    fn named_walk_matches_full_walk() {
        let root = std::env::temp_dir().join("fortress-named-walk-test-no-such-dir");
        let overrides = Overrides {
            select: Some(vec!["ALL".to_owned()]),
            ..Overrides::default()
        };
        let settings = Settings::resolve(None, &overrides, root.clone()).expect("settings");
        let walker = Walker {
            settings: &settings,
            cwd: root.clone(),
            boundary: crate::files::Boundary::at(&root),
        };
        let plan = Plan::new(&settings);
        let app = "# fortress: ignore-file SEC004\nfrom typing import Optional\nfrom fastapi import APIRouter, Request\nimport subprocess\nrouter = APIRouter()\nPASSWORD = \"hunter22\"\n\n\n@router.post(\"/items/{item_id}\")\nasync def create(item_id: int, request: Request, q: Optional[str] = None):\n    data = await request.json()  # fortress: ignore[TYP004]\n    subprocess.run(f\"echo {data['x']}\", shell=True)\n    x = (1, [2, {3: (4)}])\n    if x:\n        x = eval(str(x))\n    return {\"id\": item_id, **data}\n\n\nclass Repo:\n    def get(self, db, ident):\n        sql = \"SELECT * FROM t WHERE id = \" + ident\n        return db.execute(sql)\n";
        let test = "import unittest\nfrom unittest import mock\n\n\nclass T(unittest.TestCase):\n    def test_a(self):\n        m = mock.Mock(return_value=3)\n        self.assertEqual(m(), 3)\n        self.assertTrue((1,))\n\n    def test_b(self):\n        print(\"nothing\")\n\n\n@unittest.skip\ndef test_c():\n    assert 1 == 1\n";
        let sources = [("app/api/items.py", app), ("tests/test_items.py", test)];
        for (rel, source) in sources {
            let info = walker.file_info(root.join(rel));
            let tree = crate::parse::parse(source).expect("parse");
            assert!(!tree.root_node().has_error(), "{rel} parses cleanly");
            let lines = LineIndex::new(source);
            let enabled = plan.enabled_for(&info.rel);
            let run = |named| {
                let out = walk(&tree, source, &info, &plan, &enabled, &lines, named)
                    .expect("a shallow tree is walked");
                assert!(!out.findings.is_empty(), "{rel} has findings");
                format!(
                    "{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
                    out.findings,
                    out.facts,
                    out.suppressions,
                    out.invalid_suppressions,
                    out.syntax_error
                )
            };
            assert_eq!(run(true), run(false), "{rel}");
        }
        let deep = format!("x = {}1\n", "a + ".repeat(NAMED_WALK_DEPTH + 10));
        let info = walker.file_info(root.join("app/deep.py"));
        let tree = crate::parse::parse(&deep).expect("parse");
        let lines = LineIndex::new(&deep);
        let enabled = plan.enabled_for(&info.rel);
        assert!(walk(&tree, &deep, &info, &plan, &enabled, &lines, true).is_none());
        assert!(walk(&tree, &deep, &info, &plan, &enabled, &lines, false).is_some());
    }

    /// (kind, rows) of every statement that spans several rows.
    fn rows(source: &str) -> Vec<(String, (u32, u32))> {
        let tree = crate::parse::parse(source).expect("parse");
        let mut out = Vec::new();
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            if node.kind().ends_with("_statement") || node.kind() == "function_definition" {
                if let Some(r) = statement_rows(node) {
                    out.push((node.kind().to_owned(), r));
                }
            }
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
        out.sort_by_key(|(_, r)| *r);
        out
    }

    #[test]
    fn statement_rows_cover_simple_statements_and_compound_headers() {
        let source = "def f(\n    a,\n    b,\n):\n    x = (\n        1\n    )\n    if a: pass\n    if (a and\n        b):\n        return 1\n";
        assert_eq!(
            rows(source),
            vec![
                ("function_definition".to_owned(), (0, 3)),
                ("expression_statement".to_owned(), (4, 6)),
                ("if_statement".to_owned(), (8, 9)),
            ]
        );
    }
}
