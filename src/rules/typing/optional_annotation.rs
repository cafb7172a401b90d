//! TYP001: `Optional[X]` and `Union[X, None]` instead of `X | None`.

use std::ops::Range;

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::python::ast::fid;

use super::optional_fix::{self, Arg, ArgForm};
use crate::diagnostic::Severity;
use crate::project::Import;
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

const TYPING_MODULES: [&str; 2] = ["typing", "typing_extensions"];

#[derive(Default)]
pub struct OptionalAnnotation {
    candidates: Vec<Candidate>,
    /// End of the furthest-reaching `type` node seen so far. Nodes arrive in
    /// document order, so a string starting before it is inside an
    /// annotation: O(1) where scanning the ancestors is O(depth) per string.
    type_until: usize,
}

/// Where a candidate sits, which decides whether `X | None` may replace it
/// on a target older than 3.10 (where `X | None` fails when evaluated).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// An annotation nothing evaluates: a plain function's parameters and
    /// return, a local or module variable, with the annotation in quotes
    /// or under `from __future__ import annotations`.
    Lazy,
    /// An annotation a library may evaluate (class bodies: Pydantic,
    /// dataclasses, TypedDict, NamedTuple, SQLAlchemy `Mapped`; decorated
    /// functions and files using FastAPI: routes and `Depends` providers).
    Evaluated,
    /// Not inside an annotation: an expression (`cast(Optional[int], x)`).
    Runtime,
}

/// The [`Place`] of a node inside an annotation (`quoted`: in a string one).
fn place(cx: &Cx<'_>, in_annotation: bool, quoted: bool) -> Place {
    if !in_annotation && !quoted {
        return Place::Runtime;
    }
    let owner = cx
        .ancestors
        .iter()
        .rev()
        .find(|a| matches!(a.kind_str(), "function_definition" | "class_definition"));
    let evaluated = match owner {
        Some(o) if o.kind_str() == "class_definition" => true,
        Some(f) => {
            f.parent()
                .is_some_and(|p| p.kind_str() == "decorated_definition")
                || cx.imports.iter().any(|i| {
                    let top = i.module.split('.').next().unwrap_or("");
                    matches!(top, "fastapi" | "starlette")
                })
        }
        None => false,
    };
    let lazy_file = quoted
        || cx
            .imports
            .iter()
            .any(|i| i.module == "__future__" && i.names.iter().any(|n| n.name == "annotations"));
    match (evaluated, lazy_file) {
        (false, true) => Place::Lazy,
        (true, _) => Place::Evaluated,
        (false, false) => Place::Runtime,
    }
}

enum Head {
    Name(String),
    Attribute { base: String, attr: String },
}

struct Candidate {
    /// Where it is, for a target older than 3.10 (see [`Place`]).
    place: Place,
    span: Range<usize>,
    head: Head,
    args: Vec<String>,
    /// The arguments as the fix needs them (spans in the file's source).
    fix_args: Vec<Arg>,
    /// Found inside a string annotation.
    in_string: bool,
    /// No comment inside: the rewrite loses nothing.
    clean: bool,
}

impl Rule for OptionalAnnotation {
    const META: RuleMeta = RuleMeta {
        code: "TYP001",
        name: "optional-annotation",
        family: Family::Typing,
        severity: Severity::Warning,
        fixable: true,
        summary: "`Optional[X]` or `Union[X, None]` where `X | None` says the same",
        help: "write `X | None` (PEP 604); it needs Python 3.10+ or `from __future__ import annotations`",
        doc: include_str!("../../../rules/TYP001.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &["subscript", "generic_type", "string", "type"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        match node.kind_str() {
            "type" => {
                self.type_until = self.type_until.max(node.end_byte());
                return;
            }
            "string" => {
                if node.start_byte() < self.type_until {
                    self.scan_string_annotation(node, cx);
                }
                return;
            }
            _ => {}
        }
        if let Some(mut candidate) = candidate(node, cx.source, 0, cx.imports) {
            candidate.place = place(cx, node.start_byte() < self.type_until, false);
            self.candidates.push(candidate);
        }
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        // Before 3.10 `X | None` raises when evaluated: only lazy
        // annotations may be rewritten.
        let old_target = cx.options.project.target < crate::version::PythonVersion::new(3, 10);
        // protoc's stubs (`x_pb2.pyi`, `--pyi_out`) are regenerated, never edited.
        let stem = cx
            .file
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("");
        let stub = cx.file.path.extension().is_some_and(|e| e == "pyi");
        if stub && (stem.ends_with("_pb2") || stem.ends_with("_pb2_grpc")) {
            self.candidates.clear();
            return;
        }
        let mut reported = Vec::new();
        for c in std::mem::take(&mut self.candidates) {
            if old_target && c.place != Place::Lazy {
                continue;
            }
            let Some(kind) = resolve(&c.head, cx.imports) else {
                continue;
            };
            let message = match kind {
                "Optional" => match c.args.as_slice() {
                    [inner] => format!("use `{inner} | None` instead of `Optional[{inner}]`"),
                    _ => continue,
                },
                _ => {
                    if c.args.len() < 2 || !c.args.iter().any(|a| a == "None") {
                        continue;
                    }
                    format!(
                        "use `{}` instead of `Union[{}]`",
                        c.args.join(" | "),
                        c.args.join(", ")
                    )
                }
            };
            reported.push((
                optional_fix::Node {
                    span: c.span,
                    optional: kind == "Optional",
                    args: c.fix_args,
                    in_string: c.in_string,
                    clean: c.clean,
                },
                message,
            ));
        }
        // The fix (safe: only what may be rewritten on this target is reported).
        let (nodes, messages): (Vec<_>, Vec<_>) = reported.into_iter().unzip();
        for (at, mut message) in messages.into_iter().enumerate() {
            let fix = optional_fix::fix(&nodes, at, cx.source);
            // A string member (`Optional["User"]`): `"User" | None` raises
            // TypeError when evaluated, so the message shows the fix's text
            // (`"User | None"`, the union quoted as a whole) or says so.
            let quoted = nodes[at]
                .args
                .iter()
                .any(|a| a.form != optional_fix::ArgForm::Expr);
            if quoted {
                let written = cx.source.get(nodes[at].span.clone()).unwrap_or("");
                message = match fix.as_ref().and_then(|f| f.edits.first()) {
                    Some(edit) => format!("use `{}` instead of `{written}`", edit.content),
                    None => format!(
                        "write `{written}` with `|`, quoting the whole union (`\"X | None\"`): a string member joined with `|` (`\"X\" | None`) raises TypeError when evaluated"
                    ),
                };
            }
            cx.report_fix(nodes[at].span.clone(), message, fix);
        }
    }
}

impl OptionalAnnotation {
    /// `x: "Optional[int]"`: parse the annotation and look inside. Only plain
    /// strings whose content maps byte-for-byte onto the source.
    fn scan_string_annotation(&mut self, node: Node<'_>, cx: &Cx<'_>) {
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        let [start, content, end] = children.as_slice() else {
            return;
        };
        if start.kind_str() != "string_start"
            || end.kind_str() != "string_end"
            || content.kind_str() != "string_content"
        {
            return;
        }
        let prefix = cx.text(*start).to_ascii_lowercase();
        if prefix.contains('f') || prefix.contains('b') {
            return;
        }
        let text = cx.text(*content);
        if !(text.contains("Optional") || text.contains("Union")) {
            return;
        }
        let Some(tree) = crate::parse::parse(text) else {
            return;
        };
        let base = content.start_byte();
        let mut cursor = tree.walk();
        loop {
            let n = cursor.node();
            if matches!(n.kind_str(), "subscript" | "generic_type") {
                if let Some(mut c) = candidate(n, text, base, cx.imports) {
                    c.place = place(cx, true, true);
                    c.in_string = true;
                    self.candidates.push(c);
                }
            }
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    return;
                }
            }
        }
    }
}

/// A subscript whose head may be typing's `Optional`/`Union`: the names
/// themselves, or local aliases imported so far (`from typing import Optional as Opt`).
fn candidate(node: Node<'_>, source: &str, base: usize, imports: &[Import]) -> Option<Candidate> {
    let text = |n: Node<'_>| source.get(n.byte_range()).unwrap_or("");
    let is_subscript = node.kind_str() == "subscript";
    let head_node = if is_subscript {
        node.child_by_field_id(*fid::VALUE)?
    } else {
        node.named_child(0)?
    };
    let (base_name, name) = match head_node.kind_str() {
        "identifier" => (None, text(head_node)),
        "attribute" => (
            Some(text(head_node.child_by_field_id(*fid::OBJECT)?)),
            text(head_node.child_by_field_id(*fid::ATTRIBUTE)?),
        ),
        _ => return None,
    };
    let interesting = |name: &str| name == "Optional" || name == "Union";
    let wanted = interesting(name)
        || (base_name.is_none()
            && imports.iter().any(|i| {
                i.names.iter().any(|imported| {
                    imported.alias.as_deref() == Some(name) && interesting(&imported.name)
                })
            }));
    if !wanted {
        return None;
    }
    let head = match base_name {
        None => Head::Name(name.to_owned()),
        Some(base) => Head::Attribute {
            base: base.to_owned(),
            attr: name.to_owned(),
        },
    };
    // Only now, for the few subscripts that may be Optional/Union, copy the
    // arguments. They end up quoted in the message; a huge one (deeply nested
    // `Optional[Optional[...]]`) is cut so messages and memory stay linear.
    let arg_text = |n: Node<'_>| normalize_space(&shorten(text(n)));
    let arg_nodes: Vec<Node<'_>> = if is_subscript {
        let mut cursor = node.walk();
        node.children_by_field_name("subscript", &mut cursor)
            .collect()
    } else {
        let params = node.named_child(1)?;
        let mut cursor = params.walk();
        params
            .named_children(&mut cursor)
            .filter(|n| n.kind_str() != "comment")
            .collect()
    };
    let args: Vec<String> = arg_nodes.iter().map(|n| arg_text(*n)).collect();
    let fix_args = arg_nodes
        .iter()
        .map(|n| Arg {
            span: n.start_byte() + base..n.end_byte() + base,
            form: arg_form(*n, source),
        })
        .collect();
    let range = node.byte_range();
    let clean = !text(node).contains('#') || !has_comment(node);
    Some(Candidate {
        place: Place::Runtime,
        span: range.start + base..range.end + base,
        head,
        args,
        fix_args,
        in_string: false,
        clean,
    })
}

/// What the fix may do with an argument: requote a plain string, keep an expression.
fn arg_form(node: Node<'_>, source: &str) -> ArgForm {
    // In an annotation (`generic_type`) every argument is wrapped in a `type`.
    let node = match node.kind_str() {
        "type" if node.named_child_count() == 1 => node.named_child(0).unwrap_or(node),
        _ => node,
    };
    match node.kind_str() {
        "string" => {}
        "concatenated_string" => return ArgForm::OtherString,
        _ => return ArgForm::Expr,
    }
    let text = |n: Node<'_>| source.get(n.byte_range()).unwrap_or("");
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
    let (start, content) = match children.as_slice() {
        [start, content, end]
            if content.kind_str() == "string_content"
                && end.kind_str() == "string_end"
                && content.named_child_count() == 0 =>
        {
            (*start, text(*content))
        }
        [start, end] if end.kind_str() == "string_end" => (*start, ""),
        _ => return ArgForm::OtherString,
    };
    match text(start) {
        "\"" => ArgForm::Quoted {
            quote: '"',
            content: content.to_owned(),
        },
        "'" => ArgForm::Quoted {
            quote: '\'',
            content: content.to_owned(),
        },
        _ => ArgForm::OtherString,
    }
}

/// A comment anywhere inside `node`.
fn has_comment(node: Node<'_>) -> bool {
    crate::python::ast::contains_kind(node, "comment", usize::MAX).unwrap_or(false)
}

fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 80;
    match text.char_indices().nth(MAX_CHARS) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

fn normalize_space(s: &str) -> String {
    if s.contains(['\n', '\r', '\t']) || s.contains("  ") {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        s.to_owned()
    }
}

/// `Optional` or `Union` when the head really is the `typing` one.
fn resolve(head: &Head, imports: &[Import]) -> Option<&'static str> {
    let canonical = |name: &str| match name {
        "Optional" => Some("Optional"),
        "Union" => Some("Union"),
        _ => None,
    };
    match head {
        Head::Name(local) => imports.iter().find_map(|imp| {
            TYPING_MODULES.iter().find_map(|m| {
                ["Optional", "Union"]
                    .into_iter()
                    .find(|orig| imp.binds(m, orig) == Some(local.as_str()))
                    .or_else(|| imp.is_star_from(m).then(|| canonical(local)).flatten())
            })
        }),
        Head::Attribute { base, attr } => {
            let is_typing = imports.iter().any(|imp| {
                TYPING_MODULES
                    .iter()
                    .any(|m| imp.module_alias(m) == Some(base.as_str()))
            });
            if is_typing {
                canonical(attr)
            } else {
                None
            }
        }
    }
}
