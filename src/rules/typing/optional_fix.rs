//! TYP001's fix: `Optional[X]` -> `X | None`, `Union[X, None]` -> `X | None`,
//! nested ones flattened in one edit (`Optional[Union[int, None]]` ->
//! `int | None`), arguments that are themselves rewritten inside
//! (`dict[str, Optional[int]]` -> `dict[str, int | None]`).
//!
//! A member written as a string (`Optional["User"]`) is quoted as a whole:
//! `"User" | None` raises TypeError when evaluated, `"User | None"` does not.

use std::collections::HashMap;
use std::ops::Range;

use crate::diagnostic::{Edit, Fix};

/// One argument of a candidate, as the fix needs it.
#[derive(Debug, Clone)]
pub(super) struct Arg {
    pub span: Range<usize>,
    pub form: ArgForm,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ArgForm {
    /// Any expression that is not a string.
    Expr,
    /// A plain one-line string literal: its quote and its content.
    Quoted { quote: char, content: String },
    /// A string the fix cannot requote (prefix, escapes, concatenation, triple quotes).
    OtherString,
}

/// What the fix knows of a reported candidate.
pub(super) struct Node {
    pub span: Range<usize>,
    /// `Optional` (adds `None`) or `Union`.
    pub optional: bool,
    pub args: Vec<Arg>,
    /// The candidate sits inside a string annotation (`"Optional[int]"`).
    pub in_string: bool,
    /// Nothing in it would be lost by the rewrite (no comment inside).
    pub clean: bool,
}

struct Member {
    text: String,
    /// `Some(content)` for a string member, to be quoted with the whole.
    quoted: Option<(char, String)>,
}

/// The fix of `nodes[at]`, all nodes being the file's reported candidates.
pub(super) fn fix(nodes: &[Node], at: usize, source: &str) -> Option<Fix> {
    let by_span: HashMap<(usize, usize), usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| ((n.span.start, n.span.end), i))
        .collect();
    let text = render(nodes, &by_span, at, source, 0)?;
    Some(Fix::safe(vec![Edit {
        range: nodes[at].span.clone(),
        content: text,
    }]))
}

const MAX_DEPTH: usize = 64;

/// `nodes[at]` written with `|`.
fn render(
    nodes: &[Node],
    by_span: &HashMap<(usize, usize), usize>,
    at: usize,
    source: &str,
    depth: usize,
) -> Option<String> {
    let node = &nodes[at];
    let mut members = Vec::new();
    flatten(nodes, by_span, at, source, depth, &mut members)?;
    if node.optional && !members.iter().any(|m| m.text == "None") {
        members.push(Member {
            text: "None".to_owned(),
            quoted: None,
        });
    }
    let mut seen = Vec::new();
    members.retain(|m| {
        let key = m.quoted.as_ref().map_or(m.text.clone(), |(_, c)| c.clone());
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
    let Some(quote) = members.iter().find_map(|m| m.quoted.as_ref().map(|q| q.0)) else {
        return Some(join(members.iter().map(|m| m.text.as_str())));
    };
    if node.in_string {
        return None;
    }
    // One string for the whole union: every member's text must fit in it.
    let parts: Vec<&str> = members
        .iter()
        .map(|m| {
            m.quoted
                .as_ref()
                .map_or(m.text.as_str(), |(_, c)| c.as_str())
        })
        .collect();
    if parts
        .iter()
        .any(|p| p.contains(quote) || p.contains('\\') || p.contains('\n') || p.contains('\r'))
    {
        return None;
    }
    Some(format!("{quote}{}{quote}", join(parts.into_iter())))
}

fn join<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    parts.collect::<Vec<_>>().join(" | ")
}

/// The members of `nodes[at]`, nested reported candidates flattened.
fn flatten(
    nodes: &[Node],
    by_span: &HashMap<(usize, usize), usize>,
    at: usize,
    source: &str,
    depth: usize,
    out: &mut Vec<Member>,
) -> Option<()> {
    if depth > MAX_DEPTH || !nodes[at].clean {
        return None;
    }
    for arg in &nodes[at].args {
        if let Some(&inner) = by_span.get(&(arg.span.start, arg.span.end)) {
            flatten(nodes, by_span, inner, source, depth + 1, out)?;
            continue;
        }
        match &arg.form {
            ArgForm::OtherString => return None,
            ArgForm::Quoted { quote, content } => out.push(Member {
                text: source.get(arg.span.clone())?.to_owned(),
                quoted: Some((*quote, content.clone())),
            }),
            ArgForm::Expr => out.push(Member {
                text: rewrite_inside(nodes, by_span, arg.span.clone(), source, depth + 1)?,
                quoted: None,
            }),
        }
    }
    Some(())
}

/// The text of `range` with every outermost reported candidate inside it rewritten.
fn rewrite_inside(
    nodes: &[Node],
    by_span: &HashMap<(usize, usize), usize>,
    range: Range<usize>,
    source: &str,
    depth: usize,
) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut inside: Vec<usize> = (0..nodes.len())
        .filter(|&i| {
            let s = &nodes[i].span;
            range.start <= s.start && s.end <= range.end && *s != range
        })
        .collect();
    inside.sort_by_key(|&i| (nodes[i].span.start, std::cmp::Reverse(nodes[i].span.end)));
    let mut text = String::new();
    let mut at = range.start;
    for i in inside {
        let span = nodes[i].span.clone();
        if span.start < at {
            continue; // inside one already rewritten
        }
        text.push_str(source.get(at..span.start)?);
        text.push_str(&render(nodes, by_span, i, source, depth + 1)?);
        at = span.end;
    }
    text.push_str(source.get(at..range.end)?);
    Some(text)
}
