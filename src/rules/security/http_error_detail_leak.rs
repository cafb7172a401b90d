//! SEC003: `HTTPException(detail=...)` built from interpolated values or
//! exception text, which ends up in the response body.

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::diagnostic::Severity;
use crate::python::ast::{self as pyast, fid};
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct HttpErrorDetailLeak;

impl Rule for HttpErrorDetailLeak {
    const META: RuleMeta = RuleMeta {
        code: "SEC003",
        name: "http-error-detail-leak",
        family: Family::Security,
        severity: Severity::Warning,
        fixable: false,
        summary: "`HTTPException` detail built from interpolated values or exception text, sent to the client",
        help: "return a fixed message (and a stable error code); log the exception and the values server-side",
        doc: include_str!("../../../rules/SEC003.md"),
        security_severity: Some("5.3"),
    };
    const KINDS: &'static [&'static str] = &["call"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        let Some(name) = pyast::callee_name(node, cx.source) else {
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
        let exception_names = caught_names(cx);
        let echoed = parameter_names(cx);
        let Some(what) = leak(detail, cx.source, &exception_names, &echoed, 0) else {
            return;
        };
        cx.report(
            detail,
            format!("`HTTPException` detail built from {what} is sent to the client and can leak internals; return a fixed message and log the details"),
        );
    }
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
    let Some(params) = def.child_by_field_id(*fid::PARAMETERS) else {
        return Vec::new();
    };
    let mut cursor = params.walk();
    let names: Vec<&str> = params
        .named_children(&mut cursor)
        .filter_map(|p| match p.kind_str() {
            "identifier" => Some(p),
            "typed_parameter" => p.named_child(0).filter(|n| n.kind_str() == "identifier"),
            "default_parameter" | "typed_default_parameter" => p.child_by_field_id(*fid::NAME),
            _ => None,
        })
        .map(|n| cx.text(n))
        .filter(|n| !matches!(*n, "self" | "cls"))
        .collect();
    names
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

/// Names bound by the `except ... as name` clauses around the call.
fn caught_names<'s>(cx: &Cx<'s>) -> Vec<&'s str> {
    cx.ancestors
        .iter()
        .filter(|a| a.kind_str() == "except_clause")
        .filter_map(|clause| {
            let alias = clause.child_by_field_id(*fid::ALIAS).or_else(|| {
                // Older grammars wrap `E as name` in an as_pattern.
                let mut cursor = clause.walk();
                let found = clause
                    .named_children(&mut cursor)
                    .find(|c| c.kind_str() == "as_pattern")
                    .and_then(|p| p.child_by_field_id(*fid::ALIAS))
                    .and_then(|t| t.named_child(0));
                found
            })?;
            Some(cx.text(alias))
        })
        .collect()
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
            if interpolated
                .iter()
                .any(|e| mentions_exception(*e, source, caught))
            {
                Some("exception text")
            } else if !interpolated.is_empty() {
                Some("an f-string with placeholders")
            } else {
                None
            }
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
                    let all_echoed = if r.kind_str() == "tuple" {
                        let mut cursor = r.walk();
                        let all = r
                            .named_children(&mut cursor)
                            .all(|c| echoes_input(c, source, echoed));
                        all
                    } else {
                        echoes_input(r, source, echoed)
                    };
                    (!all_echoed).then_some("`%` formatting")
                }
                "+" => {
                    let constant =
                        |n: Node<'_>| pyast::is_constant_string(pyast::unparenthesize(n));
                    let quiet = |n: Node<'_>| constant(n) || echoes_input(n, source, echoed);
                    if quiet(left) && quiet(right) {
                        return None;
                    }
                    if mentions_exception(node, source, caught) {
                        return Some("exception text");
                    }
                    let stringy = |n: Node<'_>| {
                        let n = pyast::unparenthesize(n);
                        matches!(
                            n.kind_str(),
                            "string" | "concatenated_string" | "binary_operator"
                        ) || (n.kind_str() == "call" && is_str_call(n, source))
                    };
                    (stringy(left) || stringy(right)).then_some("string concatenation")
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
                let all_echoed = pyast::call_arguments(node).is_some_and(|args| {
                    let mut cursor = args.walk();
                    let all = args.named_children(&mut cursor).all(|a| {
                        let a = match a.kind_str() {
                            "keyword_argument" => a.child_by_field_id(*fid::VALUE),
                            _ => Some(a),
                        };
                        a.is_some_and(|a| echoes_input(a, source, echoed))
                    });
                    all
                });
                return (!all_echoed).then_some("`.format()`");
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

fn is_str_call(call: Node<'_>, source: &str) -> bool {
    call.child_by_field_id(*fid::FUNCTION)
        .is_some_and(|f| matches!(pyast::text(f, source), "str" | "repr"))
}

/// Does the expression read an exception (`e`, `exc.args`, `str(err)`)?
fn mentions_exception(node: Node<'_>, source: &str, caught: &[&str]) -> bool {
    let mut stack = vec![node];
    let mut seen = 0usize;
    while let Some(n) = stack.pop() {
        seen += 1;
        if seen > 256 {
            return false;
        }
        if n.kind_str() == "identifier" {
            if is_exception_name(pyast::text(n, source), caught) {
                return true;
            }
            continue;
        }
        if n.kind_str() == "attribute" {
            // Only the object side names a variable.
            if let Some(object) = n.child_by_field_id(*fid::OBJECT) {
                stack.push(object);
            }
            continue;
        }
        let mut cursor = n.walk();
        for c in n.named_children(&mut cursor) {
            stack.push(c);
        }
    }
    false
}
