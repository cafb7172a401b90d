//! The first reason a file is not valid Python 3, gathered during the engine's
//! single walk: tree-sitter ERROR/MISSING nodes, Python 2 forms the grammar
//! still accepts, unbalanced brackets, and CPython's nesting limits.

use std::ops::Range;

use tree_sitter::{Language, Node};

use super::syntax_version::{self as version, Feature};
use crate::parse::NodeKind;
use crate::python::ast::text;
use crate::version::PythonVersion;

/// CPython's tokenizer refuses brackets nested deeper than this (`MAXLEVEL`).
pub const MAX_BRACKET_DEPTH: usize = 200;
/// CPython refuses this many levels of indentation (`MAXINDENT`): 99 is the most it takes.
pub const MAX_INDENT_DEPTH: usize = 100;

pub use super::syntax_guard::indentation_guard;

/// Longest piece of source quoted in a message.
const QUOTE_CHARS: usize = 60;

/// What the tracker wants to know about a node kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Other,
    Open(u8),
    Close(u8),
    Block,
    /// An f-string replacement field: its braces are not brackets.
    Interpolation,
    Legacy(Legacy),
    /// Python 3 syntax that needs a newer version than some targets.
    Feature(Feature),
}

/// Node kinds tree-sitter-python accepts for Python 2's sake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Legacy {
    Print,
    Exec,
    Except,
    Comparison,
    Integer,
    StringStart,
    Raise,
    TuplePattern,
}

/// Node kind id -> [`Class`], built once per run.
pub struct SyntaxKinds {
    class: Vec<Class>,
}

impl SyntaxKinds {
    pub fn new(language: &Language) -> SyntaxKinds {
        let class = (0..language.node_kind_count())
            .map(
                |id| match language.node_kind_for_id(id as u16).unwrap_or("") {
                    "(" => Class::Open(b'('),
                    "[" => Class::Open(b'['),
                    "{" => Class::Open(b'{'),
                    ")" => Class::Close(b')'),
                    "]" => Class::Close(b']'),
                    "}" => Class::Close(b'}'),
                    "block" => Class::Block,
                    "interpolation" | "format_expression" => Class::Interpolation,
                    "print_statement" => Class::Legacy(Legacy::Print),
                    "exec_statement" => Class::Legacy(Legacy::Exec),
                    "except_clause" => Class::Legacy(Legacy::Except),
                    "comparison_operator" => Class::Legacy(Legacy::Comparison),
                    "integer" => Class::Legacy(Legacy::Integer),
                    "string_start" => Class::Legacy(Legacy::StringStart),
                    "raise_statement" => Class::Legacy(Legacy::Raise),
                    "tuple_pattern" => Class::Legacy(Legacy::TuplePattern),
                    "match_statement" => Class::Feature(Feature::Match),
                    "type_alias_statement" => Class::Feature(Feature::TypeAlias),
                    "type_parameter" => Class::Feature(Feature::TypeParameters),
                    "with_clause" => Class::Feature(Feature::WithClause),
                    "named_expression" => Class::Feature(Feature::Walrus),
                    "positional_separator" => Class::Feature(Feature::PositionalOnly),
                    _ => Class::Other,
                },
            )
            .collect();
        SyntaxKinds { class }
    }

    #[inline]
    pub fn class(&self, kind_id: u16) -> Class {
        self.class
            .get(kind_id as usize)
            .copied()
            .unwrap_or(Class::Other)
    }
}

#[derive(Debug, Clone)]
pub(super) struct Problem {
    pub(super) span: Range<usize>,
    pub(super) message: String,
}

/// Collects candidates during one walk; [`SyntaxTracker::finish`] picks the one to report.
pub struct SyntaxTracker<'k, 't> {
    kinds: &'k SyntaxKinds,
    has_error: bool,
    /// The Python version the file is checked against.
    target: PythonVersion,
    /// The first syntax newer than the target.
    newer: Option<Problem>,
    /// Innermost of the first nest of ERROR/MISSING nodes.
    tree_error: Option<Node<'t>>,
    legacy: Option<Problem>,
    /// Open brackets: the bracket and its byte offset.
    brackets: Vec<(u8, usize)>,
    bracket_problem: Option<Problem>,
    /// Set once a bracket does not match: later brackets say nothing reliable.
    brackets_broken: bool,
    limit: Option<Problem>,
    /// One entry per block entered: whether it counts as a level of indentation.
    blocks: Vec<bool>,
    indent_depth: usize,
}

impl<'k, 't> SyntaxTracker<'k, 't> {
    pub fn new(kinds: &'k SyntaxKinds, has_error: bool, target: PythonVersion) -> Self {
        SyntaxTracker {
            kinds,
            has_error,
            target,
            newer: None,
            tree_error: None,
            legacy: None,
            brackets: Vec::new(),
            bracket_problem: None,
            brackets_broken: false,
            limit: None,
            blocks: Vec::new(),
            indent_depth: 0,
        }
    }

    /// An ERROR or MISSING node. The innermost one of the first nest wins: an
    /// ERROR node often wraps a whole class while the culprit sits deep inside.
    pub fn tree_error(&mut self, node: Node<'t>) {
        // A PEP 696 default is valid Python the grammar does not know yet.
        if let Some(newer) = version::type_parameter_default(node, self.target) {
            self.newer(newer);
            return;
        }
        match self.tree_error {
            None => self.tree_error = Some(node),
            Some(outer)
                if outer.start_byte() <= node.start_byte()
                    && node.end_byte() <= outer.end_byte() =>
            {
                self.tree_error = Some(node)
            }
            Some(_) => {}
        }
    }

    /// A node of a class other than [`Class::Other`], with its ancestors.
    /// Returns true when the node itself is not Python 3 (a legacy form), so
    /// that rules skip it.
    pub fn visit(
        &mut self,
        node: Node<'t>,
        class: Class,
        ancestors: &[Node<'t>],
        source: &str,
    ) -> bool {
        if node.is_missing() {
            // Brackets are matched on the real tokens, as CPython's tokenizer
            // does; one tree-sitter made up to recover is not there.
            return false;
        }
        match class {
            Class::Open(bracket) => {
                if bracket == b'{' && self.in_interpolation(ancestors) {
                    return false;
                }
                self.brackets.push((bracket, node.start_byte()));
                if self.brackets.len() == MAX_BRACKET_DEPTH + 1 && self.limit.is_none() {
                    let at = node.start_byte();
                    self.limit = Some(Problem {
                        span: at..node.end_byte(),
                        message: format!(
                            "syntax error: too many nested parentheses (Python allows at most {MAX_BRACKET_DEPTH} levels)"
                        ),
                    });
                }
                false
            }
            Class::Close(bracket) => {
                if bracket == b'}' && self.in_interpolation(ancestors) {
                    return false;
                }
                self.close_bracket(node, bracket, source);
                false
            }
            Class::Feature(feature) => {
                self.newer(version::feature(
                    feature,
                    node,
                    ancestors.last(),
                    self.target,
                ));
                false
            }
            Class::Legacy(Legacy::Except) => {
                match version::except_clause(node, source, self.target) {
                    Some((problem, true)) => {
                        if self.legacy.is_none() {
                            self.legacy = Some(problem);
                        }
                        true
                    }
                    Some((problem, false)) => {
                        self.newer(Some(problem));
                        false
                    }
                    None => false,
                }
            }
            Class::Legacy(Legacy::StringStart) if version::is_template(text(node, source)) => {
                self.newer(version::string_start(node, self.target));
                false
            }
            Class::Interpolation => {
                self.newer(version::interpolation(node, ancestors, source, self.target));
                false
            }
            Class::Legacy(kind) => match legacy_problem(kind, node, ancestors, source) {
                Some(problem) => {
                    if self.legacy.is_none() {
                        self.legacy = Some(problem);
                    }
                    true
                }
                None => false,
            },
            Class::Block | Class::Other => false,
        }
    }

    fn newer(&mut self, problem: Option<Problem>) {
        if self.newer.is_none() {
            self.newer = problem;
        }
    }

    fn in_interpolation(&self, ancestors: &[Node<'t>]) -> bool {
        ancestors
            .last()
            .is_some_and(|p| self.kinds.class(p.kind_id()) == Class::Interpolation)
    }

    fn close_bracket(&mut self, node: Node<'t>, bracket: u8, source: &str) {
        let opener = match bracket {
            b')' => b'(',
            b']' => b'[',
            _ => b'{',
        };
        let popped = self.brackets.pop();
        if !self.has_error || self.brackets_broken {
            return;
        }
        let at = node.start_byte();
        let message = match popped {
            Some((open, _)) if open == opener => return,
            Some((open, open_at)) => {
                let open_line = source
                    .get(..open_at)
                    .map_or(0, |s| s.bytes().filter(|&b| b == b'\n').count())
                    + 1;
                let close_line = source
                    .get(..at)
                    .map_or(0, |s| s.bytes().filter(|&b| b == b'\n').count())
                    + 1;
                let on_line = if open_line == close_line {
                    String::new()
                } else {
                    format!(" on line {open_line}")
                };
                format!(
                    "syntax error: closing parenthesis '{}' does not match opening parenthesis '{}'{on_line}",
                    bracket as char, open as char
                )
            }
            None => format!("syntax error: unmatched '{}'", bracket as char),
        };
        self.brackets_broken = true;
        self.bracket_problem = Some(Problem {
            span: at..node.end_byte().max(at + 1).min(source.len()),
            message,
        });
    }

    /// A block node that has children is being entered (`parent` is its parent).
    pub fn enter_block(&mut self, block: Node<'t>, parent: Option<&Node<'t>>) {
        // `if x: pass` keeps its block on the header's line: no indentation.
        let indented = parent.is_none_or(|p| block.start_position().row > p.start_position().row);
        self.blocks.push(indented);
        if indented {
            self.indent_depth += 1;
            if self.indent_depth == MAX_INDENT_DEPTH && self.limit.is_none() {
                let at = block.start_byte();
                self.limit = Some(Problem {
                    span: at..at,
                    message: format!(
                        "syntax error: too many levels of indentation (Python allows at most {})",
                        MAX_INDENT_DEPTH - 1
                    ),
                });
            }
        }
    }

    pub fn leave_block(&mut self) {
        if self.blocks.pop() == Some(true) {
            self.indent_depth -= 1;
        }
    }

    /// The one syntax error to report, if any: the earliest candidate, except
    /// that an unbalanced bracket or a nesting limit explains a generic parse
    /// error better than the ERROR node tree-sitter recovered with.
    pub fn finish(mut self, source: &str) -> Option<(Range<usize>, String)> {
        if self.has_error && !self.brackets_broken {
            if let Some(&(open, at)) = self.brackets.last() {
                self.bracket_problem = Some(Problem {
                    span: at..at + 1,
                    message: format!("syntax error: '{}' was never closed", open as char),
                });
            }
        }
        let tree = self
            .tree_error
            .map(|node| describe_tree_error(node, source));
        let explained = self.bracket_problem.is_some() || self.limit.is_some();
        let tree = match tree {
            Some((_, true)) if explained => None,
            other => other.map(|(problem, _)| problem),
        };
        let mut best: Option<Problem> = None;
        // On a tie the first one listed wins: CPython's tokenizer reports
        // bracket and limit problems before the parser sees anything.
        for candidate in [
            self.bracket_problem,
            self.limit,
            self.legacy,
            tree,
            self.newer,
        ]
        .into_iter()
        .flatten()
        {
            if best
                .as_ref()
                .is_none_or(|b| candidate.span.start < b.span.start)
            {
                best = Some(candidate);
            }
        }
        best.map(|p| (p.span, p.message))
    }
}

/// `text` cut to [`QUOTE_CHARS`] characters on its first line, for a message.
pub(super) fn quote(text: &str) -> String {
    let first_line = text.lines().next().unwrap_or("").trim();
    let mut shown: String = first_line.chars().take(QUOTE_CHARS).collect();
    if shown.len() < first_line.len() {
        shown.push('…');
    }
    shown
}

fn problem(node: Node<'_>, message: String) -> Option<Problem> {
    Some(Problem {
        span: node.byte_range(),
        message,
    })
}

fn legacy_problem(
    kind: Legacy,
    node: Node<'_>,
    ancestors: &[Node<'_>],
    source: &str,
) -> Option<Problem> {
    match kind {
        Legacy::Print | Legacy::Exec => {
            let mut cursor = node.walk();
            // `print >> f, x` is a valid Python 3 expression (a tuple).
            if node
                .named_children(&mut cursor)
                .any(|c| c.kind_str() == "chevron")
            {
                return None;
            }
            let keyword = if kind == Legacy::Print {
                "print"
            } else {
                "exec"
            };
            let at = node.start_byte();
            Some(Problem {
                span: at..at + keyword.len(),
                message: format!(
                    "syntax error: Python 2 `{keyword}` statement; Python 3 needs `{keyword}(...)`"
                ),
            })
        }
        Legacy::Except => {
            let mut cursor = node.walk();
            let mut values = node.children_by_field_name("value", &mut cursor);
            let first = values.next()?;
            let last = values.last()?;
            Some(Problem {
                span: first.start_byte()..last.end_byte(),
                message: format!(
                    "syntax error: `except {}:` is Python 2 syntax; write `except E as name:`, or `except (A, B):` to catch several exceptions",
                    quote(source.get(first.start_byte()..last.end_byte()).unwrap_or(""))
                ),
            })
        }
        Legacy::Comparison => {
            let mut cursor = node.walk();
            let diamond = node.children(&mut cursor).find(|c| c.kind_str() == "<>")?;
            problem(
                diamond,
                "syntax error: `<>` is Python 2 syntax; write `!=`".to_owned(),
            )
        }
        Legacy::Integer => {
            let literal = text(node, source);
            let bytes = literal.as_bytes();
            if bytes.len() > 1 && matches!(bytes[bytes.len() - 1], b'l' | b'L') {
                return problem(
                    node,
                    format!(
                        "syntax error: `{}` is a Python 2 long integer literal; drop the `L`",
                        quote(literal)
                    ),
                );
            }
            let leading_zero = bytes.len() > 1
                && bytes[0] == b'0'
                && !matches!(bytes[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
                && !matches!(bytes[bytes.len() - 1], b'j' | b'J')
                && bytes.iter().any(|b| matches!(b, b'1'..=b'9'));
            if leading_zero {
                return problem(
                    node,
                    format!(
                        "syntax error: leading zeros in decimal integer literals are not permitted (`{}`); use an `0o` prefix for octal",
                        quote(literal)
                    ),
                );
            }
            None
        }
        Legacy::StringStart => {
            let start = text(node, source);
            if start.ends_with('`') {
                let string = ancestors.last().copied().unwrap_or(node);
                let at = string.start_byte();
                let end = source
                    .get(at..string.end_byte())
                    .and_then(|s| s.find('\n'))
                    .map_or(string.end_byte(), |nl| at + nl);
                return Some(Problem {
                    span: at..end,
                    message:
                        "syntax error: backticks are Python 2 syntax for `repr(...)`; call `repr()`"
                            .to_owned(),
                });
            }
            let prefix = start.trim_end_matches(['"', '\'']);
            let valid = prefix.len() <= 2
                && matches!(
                    prefix.to_ascii_lowercase().as_str(),
                    "" | "r" | "u" | "b" | "f" | "t" | "br" | "rb" | "fr" | "rf" | "tr" | "rt"
                );
            if valid {
                return None;
            }
            problem(
                node,
                format!(
                    "syntax error: `{}` is not a valid string prefix in Python 3",
                    quote(prefix)
                ),
            )
        }
        Legacy::Raise => {
            let mut cursor = node.walk();
            let list = node
                .named_children(&mut cursor)
                .find(|c| c.kind_str() == "expression_list")?;
            problem(
                list,
                "syntax error: `raise E, value` is Python 2 syntax; write `raise E(value)`"
                    .to_owned(),
            )
        }
        Legacy::TuplePattern => {
            let parent = ancestors.last()?;
            if !matches!(
                parent.kind_str(),
                "parameters" | "lambda_parameters" | "default_parameter"
            ) {
                return None;
            }
            problem(
                node,
                "syntax error: tuple parameters are Python 2 syntax; take one parameter and unpack it in the body"
                    .to_owned(),
            )
        }
    }
}

/// Message and span for an ERROR or MISSING node; the flag says the error is
/// generic (an ERROR node we can only quote).
fn describe_tree_error(node: Node<'_>, source: &str) -> (Problem, bool) {
    if node.is_missing() {
        let what = node.kind_str();
        let what = if what.chars().all(|c| c.is_alphanumeric() || c == '_') && what.len() > 1 {
            what.trim_start_matches('_').replace('_', " ")
        } else {
            format!("`{what}`")
        };
        let at = node.start_byte();
        return (
            Problem {
                span: at..at,
                message: format!("syntax error: expected {what} here"),
            },
            false,
        );
    }
    let start = node.start_byte();
    let mut cursor = node.walk();
    let first_child = node.children(&mut cursor).next();
    if let Some(quote_start) = first_child.filter(|c| c.kind_str() == "string_start") {
        let opening = text(quote_start, source);
        let triple = opening.ends_with("\"\"\"") || opening.ends_with("'''");
        let what = if triple {
            "unterminated triple-quoted string literal"
        } else {
            "unterminated string literal"
        };
        return (
            Problem {
                span: quote_start.byte_range(),
                message: format!("syntax error: {what}"),
            },
            false,
        );
    }
    let body = text(node, source);
    let first_line = body.lines().next().unwrap_or("").trim_end();
    let end = start + first_line.len();
    let shown = quote(first_line);
    let message = if shown.is_empty() {
        "syntax error: this code does not parse as Python 3".to_owned()
    } else {
        format!("syntax error: `{shown}` does not parse as Python 3")
    };
    (
        Problem {
            span: start..end.max(start),
            message,
        },
        true,
    )
}
