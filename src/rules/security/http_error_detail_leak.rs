//! SEC003: `HTTPException(detail=...)` that carries exception or error text,
//! which ends up in the response body. An exception class of the project
//! (resolved across modules through `Question::ForeignClass`) and a
//! `ValueError` answered with a 4xx carry messages meant for the client.

use crate::python::name::Name;
use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::diagnostic::Severity;
use crate::project::symbols::{NameRef, Question};
use crate::project::FactSet;
use crate::python::ast::{self as pyast, fid};
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

/// Nodes looked at below one expression; a bigger one is not judged.
const MAX_BELOW: usize = 256;

#[derive(Default)]
pub struct HttpErrorDetailLeak;

impl Rule for HttpErrorDetailLeak {
    const META: RuleMeta = RuleMeta {
        code: "SEC003",
        name: "http-error-detail-leak",
        family: Family::Security,
        severity: Severity::Warning,
        fixable: false,
        summary: "`HTTPException` detail built from exception or error text, sent to the client",
        help: "return a fixed message (and a stable error code); log the exception and the values server-side",
        doc: include_str!("../../../rules/SEC003.md"),
        security_severity: Some("5.3"),
    };
    const KINDS: &'static [&'static str] = &["call"];
    const NEEDS: FactSet = FactSet::IMPORTS.union(FactSet::SYMBOLS);

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        let Some(name) = cx.callee_last_name() else {
            return;
        };
        if name != "HTTPException" {
            return;
        }
        let Some(args) = pyast::call_arguments(node) else {
            return;
        };
        let Some(detail) = pyast::keyword_arg(args, "detail", cx.source)
            .or_else(|| pyast::positional_arg(args, 1))
        else {
            return;
        };
        let clauses = enclosing_clauses(cx);
        let caught: Vec<&str> = clauses.iter().map(|(alias, _)| *alias).collect();
        let echoed = parameter_names(cx);
        let Some(what) = leak(detail, cx.source, &caught, &echoed, 0) else {
            return;
        };
        let message = format!("`HTTPException` detail built from {what} is sent to the client and can leak internals; return a fixed message and log the details");
        if what == "error text" {
            cx.report(detail, message);
            return;
        }
        // The exception the detail reads: the innermost clause whose name
        // it mentions (a generic `e` bound elsewhere is judged as internal).
        let clause = clauses
            .iter()
            .find(|(alias, _)| mentions_name(detail, cx.source, alias));
        let Some((_, types)) = clause else {
            cx.report(detail, message);
            return;
        };
        let status = pyast::keyword_arg(args, "status_code", cx.source)
            .or_else(|| pyast::positional_arg(args, 0));
        let client_error = status.is_some_and(|s| is_client_error(s, cx.source));
        match judge_caught(*types, cx, client_error) {
            Caught::Internal => cx.report(detail, message),
            Caught::ForClient => {}
            Caught::MaybeProject(names) => {
                let classes: Vec<NameRef> = names
                    .into_iter()
                    .map(|n| {
                        let written = cx.text(n);
                        NameRef {
                            written: Name::new(written),
                            qualified: cx.qualified_name(written, n).map(Name::from),
                        }
                    })
                    .collect();
                cx.defer(
                    detail.byte_range(),
                    message,
                    Question::ForeignClass { classes },
                );
            }
        }
    }
}

/// Does the expression name `name` itself (not only a generic `e`)?
fn mentions_name(node: Node<'_>, source: &str, name: &str) -> bool {
    let mut walk = pyast::Descent::new(node, MAX_BELOW);
    while let Some(n) = walk.next() {
        if n.kind_str() == "identifier" && pyast::text(n, source) == name {
            return true;
        }
    }
    false
}

/// Parameters of the function around the call: what the client sent
/// (`run_id`, `body.dag_id`) or the handler was given; echoing it back in a
/// message (`f"Pool {pool_name} not found"`) discloses nothing.
fn parameter_names<'s>(cx: &Cx<'s>) -> Vec<&'s str> {
    let Some(def) = cx
        .ancestors
        .iter()
        .rev()
        .find(|a| a.kind_str() == "function_definition")
    else {
        return Vec::new();
    };
    pyast::parameter_names(*def, cx.source)
        .into_iter()
        .filter(|n| !matches!(*n, "self" | "cls"))
        .collect()
}

/// Is the interpolated expression a parameter or an attribute of one
/// (`{run_id}`, `{request.dag_id}`, `{command.value}`)?
fn echoes_input(expr: Node<'_>, source: &str, echoed: &[&str]) -> bool {
    let mut root = pyast::unparenthesize(expr);
    while root.kind_str() == "attribute" {
        match root.child_by_field_id(*fid::OBJECT) {
            Some(o) => root = o,
            None => return false,
        }
    }
    root.kind_str() == "identifier" && echoed.contains(&pyast::text(root, source))
}

/// The `except T as name` clauses around the call, innermost first: the
/// name bound and the expression of the class(es) caught.
fn enclosing_clauses<'t>(cx: &Cx<'t>) -> Vec<(&'t str, Option<Node<'t>>)> {
    cx.ancestors
        .iter()
        .rev()
        .filter(|a| a.kind_str() == "except_clause")
        .filter_map(|clause| {
            if let Some(alias) = clause.child_by_field_id(*fid::ALIAS) {
                let types = clause.child_by_field_id(*fid::VALUE);
                return Some((cx.text(alias), types));
            }
            // `except T as name` as an as_pattern (this grammar's form).
            let mut cursor = clause.walk();
            let pattern = clause
                .named_children(&mut cursor)
                .find(|c| c.kind_str() == "as_pattern")?;
            let alias = pattern
                .child_by_field_id(*fid::ALIAS)
                .and_then(|t| t.named_child(0))?;
            Some((cx.text(alias), pattern.named_child(0)))
        })
        .collect()
}

/// Builtin exceptions whose message describes bad input: with a 4xx status
/// (`except ValueError as e: raise HTTPException(400, str(e))`) the text is
/// the answer to the client's mistake.
const INPUT_ERRORS: &[&str] = &["ValueError"];

/// Builtin exception classes (the ones a handler plausibly catches).
const BUILTIN_EXCEPTIONS: &[&str] = &[
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "ConnectionError",
    "EOFError",
    "Exception",
    "FileExistsError",
    "FileNotFoundError",
    "ImportError",
    "IndexError",
    "IOError",
    "KeyError",
    "LookupError",
    "MemoryError",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PermissionError",
    "RecursionError",
    "RuntimeError",
    "StopIteration",
    "TimeoutError",
    "TypeError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "ValueError",
    "ZeroDivisionError",
];

/// How the exception a detail leaks was caught decides whether its text is
/// internal.
enum Caught<'t> {
    /// A builtin or unknown class, a bare name: report.
    Internal,
    /// Only input errors with a 4xx status: the message is for the client.
    ForClient,
    /// Classes that may be the project's own (their messages are written
    /// for the client): report only if one of them is not.
    MaybeProject(Vec<Node<'t>>),
}

fn judge_caught<'t>(types: Option<Node<'t>>, cx: &Cx<'t>, client_error: bool) -> Caught<'t> {
    let Some(types) = types.map(pyast::unparenthesize) else {
        return Caught::Internal;
    };
    let names: Vec<Node<'t>> = if types.kind_str() == "tuple" {
        let mut cursor = types.walk();
        let all = types.named_children(&mut cursor).collect();
        all
    } else {
        vec![types]
    };
    let mut maybe_project = Vec::new();
    for name in names {
        if !matches!(name.kind_str(), "identifier" | "attribute") {
            return Caught::Internal;
        }
        let written = cx.text(name);
        let builtin = name.kind_str() == "identifier"
            && BUILTIN_EXCEPTIONS.contains(&written)
            && cx.qualified_name(written, name).is_none();
        if !builtin {
            maybe_project.push(name);
        } else if !(client_error && INPUT_ERRORS.contains(&written)) {
            return Caught::Internal;
        }
    }
    if maybe_project.is_empty() {
        Caught::ForClient
    } else {
        Caught::MaybeProject(maybe_project)
    }
}

/// Is the status argument a 4xx (`400`, `status.HTTP_404_NOT_FOUND`,
/// `HTTPStatus.BAD_REQUEST`)?
fn is_client_error(status: Node<'_>, source: &str) -> bool {
    let text = pyast::text(status, source);
    if let Ok(code) = text.parse::<u16>() {
        return (400..500).contains(&code);
    }
    let last = pyast::last_segment(text);
    last.starts_with("HTTP_4")
        || matches!(
            last,
            "BAD_REQUEST"
                | "UNAUTHORIZED"
                | "FORBIDDEN"
                | "NOT_FOUND"
                | "METHOD_NOT_ALLOWED"
                | "NOT_ACCEPTABLE"
                | "CONFLICT"
                | "GONE"
                | "PRECONDITION_FAILED"
                | "REQUEST_ENTITY_TOO_LARGE"
                | "UNSUPPORTED_MEDIA_TYPE"
                | "UNPROCESSABLE_ENTITY"
                | "UNPROCESSABLE_CONTENT"
                | "TOO_MANY_REQUESTS"
        )
}

fn is_exception_name(name: &str, caught: &[&str]) -> bool {
    caught.contains(&name) || matches!(name, "e" | "ex" | "exc" | "err" | "error" | "exception")
}

/// What makes `node` leak, if it does.
fn leak(
    node: Node<'_>,
    source: &str,
    caught: &[&str],
    echoed: &[&str],
    depth: usize,
) -> Option<&'static str> {
    if depth > 8 {
        return None;
    }
    let node = pyast::unparenthesize(node);
    match node.kind_str() {
        "string" | "concatenated_string" => {
            // `{MAX_SIZE}`, `{settings.MAX_UPLOAD_MB}`: constants are not data.
            let interpolated: Vec<Node<'_>> = pyast::interpolations(node)
                .into_iter()
                .filter(|e| {
                    let last = match e.kind_str() {
                        "identifier" => Some(*e),
                        "attribute" => e.child_by_field_id(*fid::ATTRIBUTE),
                        _ => None,
                    };
                    !last.is_some_and(|l| pyast::is_constant_name(pyast::text(l, source)))
                        && !echoes_input(*e, source, echoed)
                })
                .collect();
            judge(&interpolated, source, caught)
        }
        "identifier" => {
            is_exception_name(pyast::text(node, source), caught).then_some("an exception")
        }
        "attribute" | "subscript" => {
            // `exc.args[0]`, `err.orig`: but re-raising `exc.detail` passes on
            // a message that was already meant for the client.
            let last = node
                .child_by_field_id(*fid::ATTRIBUTE)
                .map(|a| pyast::text(a, source));
            if matches!(last, Some("detail" | "status_code" | "code" | "headers")) {
                return None;
            }
            let mut root = node;
            while let Some(inner) = root
                .child_by_field_id(*fid::OBJECT)
                .or_else(|| root.child_by_field_id(*fid::VALUE))
            {
                root = inner;
            }
            (root.kind_str() == "identifier"
                && is_exception_name(pyast::text(root, source), caught))
            .then_some("exception text")
        }
        "binary_operator" => {
            let op = node
                .child_by_field_id(*fid::OPERATOR)
                .map(|o| pyast::text(o, source))
                .unwrap_or("");
            let left = node.child_by_field_id(*fid::LEFT)?;
            let right = node.child_by_field_id(*fid::RIGHT)?;
            match op {
                "%" if pyast::is_constant_string(pyast::unparenthesize(left)) => {
                    let r = pyast::unparenthesize(right);
                    let args: Vec<Node<'_>> = if r.kind_str() == "tuple" {
                        let mut cursor = r.walk();
                        let all = r.named_children(&mut cursor).collect();
                        all
                    } else {
                        vec![r]
                    };
                    let args: Vec<Node<'_>> = args
                        .into_iter()
                        .filter(|a| !echoes_input(*a, source, echoed))
                        .collect();
                    judge(&args, source, caught)
                }
                "+" => {
                    let constant =
                        |n: Node<'_>| pyast::is_constant_string(pyast::unparenthesize(n));
                    let quiet = |n: Node<'_>| constant(n) || echoes_input(n, source, echoed);
                    if quiet(left) && quiet(right) {
                        return None;
                    }
                    let operands: Vec<Node<'_>> =
                        [left, right].into_iter().filter(|n| !quiet(*n)).collect();
                    judge(&operands, source, caught)
                }
                _ => None,
            }
        }
        "call" => {
            let function = node.child_by_field_id(*fid::FUNCTION)?;
            if is_str_call(node, source) {
                let arg = pyast::call_arguments(node).and_then(|a| pyast::positional_arg(a, 0))?;
                return mentions_exception(arg, source, caught).then_some("exception text");
            }
            if function.kind_str() == "attribute"
                && function
                    .child_by_field_id(*fid::ATTRIBUTE)
                    .is_some_and(|a| pyast::text(a, source) == "format")
                && function
                    .child_by_field_id(*fid::OBJECT)
                    .is_some_and(pyast::is_constant_string)
            {
                let args: Vec<Node<'_>> = pyast::call_arguments(node)
                    .map(|args| {
                        let mut cursor = args.walk();
                        let all = args
                            .named_children(&mut cursor)
                            .filter_map(|a| match a.kind_str() {
                                "keyword_argument" => a.child_by_field_id(*fid::VALUE),
                                _ => Some(a),
                            })
                            .filter(|a| !echoes_input(*a, source, echoed))
                            .collect();
                        all
                    })
                    .unwrap_or_default();
                return judge(&args, source, caught);
            }
            None
        }
        "dictionary" => {
            let mut cursor = node.walk();
            let found = node.named_children(&mut cursor).find_map(|pair| {
                let value = pair.child_by_field_id(*fid::VALUE)?;
                leak(value, source, caught, echoed, depth + 1)
            });
            found
        }
        _ => None,
    }
}

/// What the formatted values leak: exception text, error text from
/// elsewhere (`{result.stderr}`, `{error_msg}`, `{resp.get("error")}`), or
/// nothing. Ids, names, sizes and counts computed in the handler
/// (`f"Task instance {ti.id} not found"`) are messages, not internals.
fn judge(values: &[Node<'_>], source: &str, caught: &[&str]) -> Option<&'static str> {
    if values
        .iter()
        .any(|e| mentions_exception(*e, source, caught))
    {
        Some("exception text")
    } else if values.iter().any(|e| carries_error_text(*e, source)) {
        Some("error text")
    } else {
        None
    }
}

/// Words of a name (or of a string key) that mark error text.
const ERROR_WORDS: &[&str] = &[
    "error",
    "err",
    "exc",
    "exception",
    "traceback",
    "stderr",
    "stacktrace",
];

/// Does the expression read something named as error text (a variable
/// `error_msg`, an attribute `.stderr`, a key `["error"]`, a call
/// `traceback.format_exc()`)?
fn carries_error_text(node: Node<'_>, source: &str) -> bool {
    let mut walk = pyast::Descent::new(node, MAX_BELOW);
    while let Some(n) = walk.next() {
        let word = match n.kind_str() {
            "identifier" => pyast::text(n, source),
            // A key (`resp["error"]`, `body.get("error", "")`): its text;
            // any other string: only what it interpolates.
            "string" => {
                let key = n
                    .parent()
                    .is_some_and(|p| matches!(p.kind_str(), "subscript" | "argument_list"));
                if !key {
                    walk.instead(pyast::interpolations(n));
                    continue;
                }
                pyast::text(n, source)
            }
            _ => continue,
        };
        walk.skip_children();
        if word
            .to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| ERROR_WORDS.contains(&w))
        {
            return true;
        }
    }
    false
}

fn is_str_call(call: Node<'_>, source: &str) -> bool {
    call.child_by_field_id(*fid::FUNCTION)
        .is_some_and(|f| matches!(pyast::text(f, source), "str" | "repr"))
}

/// Does the expression read an exception (`e`, `exc.args`, `str(err)`)?
fn mentions_exception(node: Node<'_>, source: &str, caught: &[&str]) -> bool {
    let mut walk = pyast::Descent::new(node, MAX_BELOW);
    while let Some(n) = walk.next() {
        match n.kind_str() {
            "identifier" if is_exception_name(pyast::text(n, source), caught) => return true,
            // Only the object side names a variable.
            "attribute" => walk.instead(n.child_by_field_id(*fid::OBJECT)),
            _ => {}
        }
    }
    false
}
