//! TYP004: route handlers that take the body as `dict`/`Any` or read
//! `await request.json()` instead of declaring a Pydantic model.

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::diagnostic::Severity;
use crate::python::ast::{self as pyast, fid};
use crate::python::fastapi::{self, Routers};
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct UnvalidatedRequestBody {
    routers: Routers,
}

impl Rule for UnvalidatedRequestBody {
    const META: RuleMeta = RuleMeta {
        code: "TYP004",
        name: "unvalidated-request-body",
        family: Family::Typing,
        severity: Severity::Warning,
        fixable: false,
        summary: "A route handler takes its body as `dict`/`Any` or reads `request.json()` instead of declaring a Pydantic model",
        help: "declare a Pydantic model for the body and take it as a parameter; FastAPI validates it and documents it in OpenAPI",
        doc: include_str!("../../../rules/TYP004.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &["assignment", "function_definition", "call"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        match node.kind_str() {
            "assignment" => {
                if node
                    .child_by_field_id(*fid::RIGHT)
                    .is_some_and(|r| r.kind_str() == "call")
                {
                    self.routers.observe(node, cx.fields(), cx.source);
                }
            }
            "function_definition" => self.check_parameters(node, cx),
            _ => self.check_raw_read(node, cx),
        }
    }
}

impl UnvalidatedRequestBody {
    fn check_parameters(&mut self, def: Node<'_>, cx: &mut Cx<'_>) {
        if fastapi::route_of(def, cx.parent(), cx.source, &self.routers, cx.imports).is_none() {
            return;
        }
        let Some(params) = def.child_by_field_id(*fid::PARAMETERS) else {
            return;
        };
        let handler = def
            .child_by_field_id(*fid::NAME)
            .map(|n| cx.text(n))
            .unwrap_or("");
        let mut cursor = params.walk();
        let params: Vec<Node<'_>> = params.named_children(&mut cursor).collect();
        for p in params {
            if !matches!(p.kind_str(), "typed_parameter" | "typed_default_parameter") {
                continue;
            }
            if p.child_by_field_id(*fid::VALUE)
                .is_some_and(|v| fastapi::is_non_body_default(v, cx.source))
            {
                continue;
            }
            let Some(annotation) = p.child_by_field_id(*fid::TYPE) else {
                continue;
            };
            let written = cx.text(annotation);
            if !is_untyped_body(written) {
                continue;
            }
            let name = match p.kind_str() {
                "typed_parameter" => p.named_child(0).map(|n| cx.text(n)).unwrap_or(""),
                _ => p
                    .child_by_field_id(*fid::NAME)
                    .map(|n| cx.text(n))
                    .unwrap_or(""),
            };
            if name.starts_with('*') {
                continue;
            }
            // `valves = Valves(**form_data)`: a model chosen at runtime
            // validates the body in the handler.
            if handed_to_validator(def, name, cx.source) || needs_raw_body(def, cx.source) {
                continue;
            }
            cx.report(
                p,
                format!("route handler `{handler}` takes `{name}: {}`, a request body nobody validates; declare a Pydantic model for it", squash(written)),
            );
        }
    }

    fn check_raw_read(&mut self, call: Node<'_>, cx: &mut Cx<'_>) {
        // `receiver.json()` / `receiver.form()` (the method name first: it
        // rules out most calls before the receiver is read).
        let Some(function) = cx.call_function().filter(|f| f.kind_str() == "attribute") else {
            return;
        };
        let Some(method) = cx.callee_attribute() else {
            return;
        };
        let method = cx.text(method);
        if !matches!(method, "json" | "form") {
            return;
        }
        let Some(object) = function
            .child_by_field_id(*fid::OBJECT)
            .filter(|o| o.kind_str() == "identifier")
        else {
            return;
        };
        let receiver = cx.text(object);
        let Some(index) = cx
            .ancestors
            .iter()
            .rposition(|a| matches!(a.kind_str(), "function_definition" | "lambda"))
        else {
            return;
        };
        let def = cx.ancestors[index];
        if def.kind_str() != "function_definition" {
            return;
        }
        let parent = index.checked_sub(1).map(|i| cx.ancestors[i]);
        if fastapi::route_of(def, parent, cx.source, &self.routers, cx.imports).is_none() {
            return;
        }
        if !is_request_parameter(def, receiver, cx.source) {
            return;
        }
        if validated_after(call, &cx.ancestors[index..], cx.source)
            || needs_raw_body(def, cx.source)
        {
            return;
        }
        let handler = def
            .child_by_field_id(*fid::NAME)
            .map(|n| cx.text(n))
            .unwrap_or("");
        cx.report(
            call,
            format!("route handler `{handler}` reads `{receiver}.{method}()` and bypasses validation; declare a Pydantic model parameter instead"),
        );
    }
}

/// Is the body read validated right away: passed to a validating call
/// (`Model.model_validate(await request.json())`), or bound to a name that
/// one receives (`data = await request.form()` ...
/// `Model.model_validate_form(data)`, `Model(**data)`)? `ancestors` start
/// at the handler's `def`.
fn validated_after(read: Node<'_>, ancestors: &[Node<'_>], source: &str) -> bool {
    // Up through `await` and parentheses to the argument list of a call.
    let mut child = read;
    let mut above = None;
    for a in ancestors.iter().rev() {
        match a.kind_str() {
            "await"
            | "parenthesized_expression"
            | "keyword_argument"
            | "dictionary_splat"
            | "list_splat" => child = *a,
            "argument_list" => {
                return a.parent().is_some_and(|c| validating_call(c, source));
            }
            _ => {
                above = Some(*a);
                break;
            }
        }
    }
    // `data = await request.json()`: is `data` handed to a validator in the handler?
    let assigned = above
        .filter(|a| a.kind_str() == "assignment")
        .filter(|a| a.child_by_field_id(*fid::RIGHT) == Some(child))
        .and_then(|a| a.child_by_field_id(*fid::LEFT))
        .filter(|l| l.kind_str() == "identifier");
    let (Some(name), Some(def)) = (assigned, ancestors.first()) else {
        return false;
    };
    handed_to_validator(*def, pyast::text(name, source), source)
}

/// Nodes of a handler searched for the signs of [`needs_raw_body`].
const MAX_HANDLER_NODES: usize = 20_000;

/// Does the handler `def` need the body as it came: a signed webhook (it
/// reads the bytes, `await request.body()`, to check a signature: `hmac`,
/// `compare_digest`, a `*signature*` call or header name) or a proxy (it
/// forwards the request to another service, `client.request(...)`,
/// `send_request(...)`, and answers with what comes back: it returns that
/// call or builds a `StreamingResponse`/`Response`)? Neither owns the body's schema.
fn needs_raw_body(def: Node<'_>, source: &str) -> bool {
    let Some(body) = def.child_by_field_id(*fid::BODY) else {
        return false;
    };
    let (mut reads_bytes, mut signature, mut forwards, mut answers) = (false, false, false, false);
    // A handler of more nodes than the limit is not judged (the signs are
    // joined with `|=`, so the order of the walk does not matter).
    let mut walk = pyast::Descent::new(body, MAX_HANDLER_NODES);
    while let Some(n) = walk.next() {
        match n.kind_str() {
            "function_definition" | "lambda" | "class_definition" => walk.skip_children(),
            "call" => {
                let name = pyast::callee_name(n, source).unwrap_or("");
                let callee = n
                    .child_by_field_id(*fid::FUNCTION)
                    .map(|f| pyast::text(f, source))
                    .unwrap_or("");
                let method = pyast::method_call(n).is_some();
                reads_bytes |= method
                    && name == "body"
                    && pyast::call_arguments(n).is_none_or(|a| a.named_child_count() == 0);
                signature |= name.to_ascii_lowercase().contains("signature")
                    || name == "compare_digest"
                    || callee.starts_with("hmac.");
                let forward = is_forward(n, source);
                forwards |= forward;
                answers |= matches!(name, "StreamingResponse" | "Response");
            }
            "string" => {
                signature |= pyast::string_text(n, source)
                    .to_ascii_lowercase()
                    .contains("signature");
            }
            "return_statement" => {
                let mut value = n.named_child(0).map(pyast::unparenthesize);
                if let Some(v) = value.filter(|v| v.kind_str() == "await") {
                    value = v.named_child(0);
                }
                answers |= value.is_some_and(|v| v.kind_str() == "call" && is_forward(v, source));
            }
            _ => {}
        }
    }
    if walk.cut_short() {
        return false;
    }
    (reads_bytes && signature) || (forwards && answers)
}

/// A call that sends a request on to another service: an HTTP client's
/// `.request(...)`/`.stream(...)`/`.send(...)`, or a function named
/// `send_request`, `*proxy*`, `forward*`.
fn is_forward(call: Node<'_>, source: &str) -> bool {
    let Some(name) = pyast::callee_name(call, source) else {
        return false;
    };
    let method = pyast::method_call(call).is_some();
    (method && matches!(name, "request" | "stream" | "send"))
        || name == "send_request"
        || name.contains("proxy")
        || name.starts_with("forward")
}

/// Is `name` handed to a validator somewhere in the handler `def`
/// (`Valves(**form_data)`, `Model.model_validate(data)`)?
fn handed_to_validator(def: Node<'_>, name: &str, source: &str) -> bool {
    let Some(body) = def.child_by_field_id(*fid::BODY) else {
        return false;
    };
    let mut walk = pyast::Descent::new(body, usize::MAX);
    while let Some(n) = walk.next() {
        if n.kind_str() == "call" && validating_call(n, source) {
            let takes_it = pyast::call_arguments(n).is_some_and(|args| {
                let mut cursor = args.walk();
                let found = args.named_children(&mut cursor).any(|arg| {
                    let arg = match arg.kind_str() {
                        "dictionary_splat" | "keyword_argument" => {
                            u32::try_from(arg.named_child_count().saturating_sub(1))
                                .ok()
                                .and_then(|i| arg.named_child(i))
                        }
                        _ => Some(arg),
                    };
                    arg.is_some_and(|a| pyast::text(a, source) == name)
                });
                found
            });
            if takes_it {
                return true;
            }
        }
    }
    false
}

/// `Model.model_validate(...)`, `model_validate_form(...)`,
/// `TypeAdapter(X).validate_python(...)`, `Model.parse_obj(...)`, or a
/// class called with the data (`Model(**data)`).
fn validating_call(call: Node<'_>, source: &str) -> bool {
    let Some(name) = pyast::callee_name(call, source) else {
        return false;
    };
    name.starts_with("model_validate")
        || name.starts_with("validate")
        || matches!(name, "parse_obj" | "parse_raw")
        || (name.starts_with(|c: char| c.is_ascii_uppercase())
            && pyast::call_arguments(call).is_some_and(|args| {
                let mut cursor = args.walk();
                let splat = args
                    .named_children(&mut cursor)
                    .any(|a| a.kind_str() == "dictionary_splat");
                splat
            }))
}

/// Is `name` a parameter of `def` annotated `Request` (or plainly named `request`)?
fn is_request_parameter(def: Node<'_>, name: &str, source: &str) -> bool {
    let Some(params) = def.child_by_field_id(*fid::PARAMETERS) else {
        return false;
    };
    let mut cursor = params.walk();
    let found = params
        .named_children(&mut cursor)
        .any(|p| match p.kind_str() {
            "typed_parameter" | "typed_default_parameter" => {
                let pname = match p.kind_str() {
                    "typed_parameter" => p.named_child(0),
                    _ => p.child_by_field_id(*fid::NAME),
                };
                pname.is_some_and(|n| pyast::text(n, source) == name)
                    && p.child_by_field_id(*fid::TYPE).is_some_and(|t| {
                        pyast::last_segment(pyast::text(t, source).trim()) == "Request"
                    })
            }
            "identifier" => pyast::text(p, source) == name && name == "request",
            _ => false,
        });
    found
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `dict`, `Dict[str, Any]`, `Any`, `list[dict]`, `dict | None`,
/// `Annotated[dict, Body()]`, ... (but not when `Annotated` carries
/// `Depends`/`Query`/`Header`/...).
pub fn is_untyped_body(annotation: &str) -> bool {
    untyped_body(annotation, 0)
}

fn untyped_body(annotation: &str, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    let mut t: String = annotation.chars().filter(|c| !c.is_whitespace()).collect();
    for prefix in ["typing_extensions.", "typing."] {
        t = t.replace(prefix, "");
    }
    if let Some(inner) = t
        .strip_prefix("Annotated[")
        .and_then(|r| r.strip_suffix(']'))
    {
        let (first, metadata) = split_top_level(inner);
        let injected = [
            "Depends(",
            "Security(",
            "Query(",
            "Path(",
            "Header(",
            "Cookie(",
        ]
        .iter()
        .any(|m| metadata.contains(m));
        if injected {
            return false;
        }
        return untyped_body(first, depth + 1);
    }
    let t = t
        .strip_prefix("Optional[")
        .and_then(|r| r.strip_suffix(']'))
        .map(str::to_owned)
        .unwrap_or(t);
    let t = t
        .strip_suffix("|None")
        .or_else(|| t.strip_prefix("None|"))
        .unwrap_or(&t);
    let bare = |s: &str| -> bool {
        let head = s.split('[').next().unwrap_or(s);
        matches!(
            head,
            "dict" | "Dict" | "Mapping" | "MutableMapping" | "Any" | "object"
        )
    };
    if bare(t) {
        return true;
    }
    for list in ["list[", "List[", "Sequence["] {
        if let Some(inner) = t.strip_prefix(list).and_then(|r| r.strip_suffix(']')) {
            return bare(inner);
        }
    }
    false
}

/// `a, b[c, d], e` -> ("a", "b[c, d], e"): the first top-level element and the rest.
fn split_top_level(s: &str) -> (&str, &str) {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            ',' if depth == 0 => return (&s[..i], &s[i + 1..]),
            _ => {}
        }
    }
    (s, "")
}

#[cfg(test)]
mod tests {
    use super::is_untyped_body as u;

    #[test]
    fn annotations() {
        for yes in [
            "dict",
            "Dict[str, Any]",
            "typing.Any",
            "list[dict]",
            "List[Dict[str, Any]]",
            "dict | None",
            "Optional[dict]",
            "Annotated[dict, Body()]",
            "Annotated[dict[str, Any], Body(embed=True)]",
        ] {
            assert!(u(yes), "{yes}");
        }
        for no in [
            "ItemCreate",
            "list[ItemCreate]",
            "int",
            "Annotated[dict, Depends(get_user)]",
            "Annotated[Any, Query()]",
            "dictionary_like",
            "Request",
        ] {
            assert!(!u(no), "{no}");
        }
    }
}
