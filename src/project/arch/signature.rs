//! Signatures and type annotations as the layer rules need them.

use crate::python::name::Name;
use tree_sitter::Node;

use super::collect::spot;
use super::*;
use crate::diagnostic::LineIndex;
use crate::parse::NodeKind;
use crate::python::ast::{fid, text};
use crate::python::descent::Descent;
use crate::python::fastapi::{self};

/// [`crate::python::ast::dotted_name`], owned: the facts keep it.
pub fn dotted_name(node: Node<'_>, source: &str) -> Option<String> {
    crate::python::ast::dotted_name(node, source).map(std::borrow::Cow::into_owned)
}

/// Digest a type annotation (or a default value) without recursion.
pub fn digest(node: Node<'_>, source: &str) -> TypeDigest {
    let mut out = TypeDigest::default();
    // Annotations are small; the cap only guards against pathological input.
    let mut walk = Descent::new(node, 2_000);
    while let Some(n) = walk.next() {
        match n.kind_str() {
            "identifier" | "attribute" => {
                if let Some(name) = dotted_name(n, source) {
                    // Builtins and typing wrappers never name a session; not keeping
                    // them keeps the facts small.
                    if !is_plain_type(&name)
                        && !out.names.iter().any(|n| *n == name)
                        && out.names.len() < 32
                    {
                        out.names.push(Name::from(name));
                    }
                    walk.skip_children();
                }
            }
            "call" => {
                let callee = n
                    .child_by_field_id(*fid::FUNCTION)
                    .and_then(|f| dotted_name(f, source));
                if callee.as_deref().is_some_and(fastapi::is_dependency_marker) {
                    if let Some(provider) = dependency_argument(n, source) {
                        out.providers.push(Name::from(provider));
                    }
                    walk.skip_children();
                }
            }
            "subscript" | "generic_type" => {
                // `Optional[X]`, `Annotated[X, Depends(p)]`, `Generator[X, None, None]`
                // stand for `X`; `async_sessionmaker[AsyncSession]`, `list[Session]`,
                // `Callable[[], Session]` hold or make one and are something else.
                let (head, args) = subscript_parts(n);
                let Some(name) = head.and_then(|h| dotted_name(h, source)) else {
                    walk.skip_children();
                    continue;
                };
                let wrapper = fastapi::last_segment(&name);
                if let Some(first) = transparent_arity(wrapper) {
                    let mut kept: Vec<Node<'_>> = Vec::new();
                    for (i, arg) in args.into_iter().enumerate() {
                        if i < first.max(1) {
                            kept.push(arg);
                        } else if let Some(marker) = dependency_call(arg, source) {
                            // `Annotated[T, Depends(p)]`: the metadata names the provider.
                            kept.push(marker);
                        }
                    }
                    walk.instead(kept);
                } else {
                    if !is_plain_type(&name)
                        && !out.names.iter().any(|n| *n == name)
                        && out.names.len() < 32
                    {
                        out.names.push(Name::from(name));
                    }
                    walk.skip_children();
                }
            }
            "string" => {
                // A forward reference: `"AsyncSession"`, `"AsyncSession | None"`.
                let raw = text(n, source).trim_matches(|c| c == '"' || c == '\'');
                for part in raw.split('|').map(str::trim) {
                    if !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                        && !is_plain_type(part)
                        && out.names.len() < 32
                    {
                        out.names.push(Name::new(part));
                    }
                }
                walk.skip_children();
            }
            _ => {}
        }
    }
    out
}

/// The subscripted name and its arguments (each `type` wrapper unwrapped).
fn subscript_parts(node: Node<'_>) -> (Option<Node<'_>>, Vec<Node<'_>>) {
    let mut cursor = node.walk();
    let mut children = node
        .named_children(&mut cursor)
        .filter(|c| c.kind_str() != "comment");
    let head = children.next();
    let mut args: Vec<Node<'_>> = Vec::new();
    for child in children {
        if child.kind_str() == "type_parameter" {
            let mut inner = child.walk();
            args.extend(child.named_children(&mut inner).map(unwrap_type));
        } else {
            args.push(unwrap_type(child));
        }
    }
    (head, args)
}

fn unwrap_type(node: Node<'_>) -> Node<'_> {
    match node.kind_str() {
        "type" => node.named_child(0).unwrap_or(node),
        _ => node,
    }
}

/// A `Depends(...)`/`Security(...)` call, or `None`.
fn dependency_call<'t>(node: Node<'t>, source: &str) -> Option<Node<'t>> {
    (node.kind_str() == "call")
        .then(|| node.child_by_field_id(*fid::FUNCTION))
        .flatten()
        .and_then(|f| dotted_name(f, source))
        .filter(|callee| fastapi::is_dependency_marker(callee))
        .map(|_| node)
}

/// Subscripted forms that stand for (one of) their first `n` arguments, and
/// `n`: `Optional[X]`, `Union[X, Y]`, `Annotated[X, ...]` (then only its
/// `Depends` metadata), and the generator and awaitable wrappers a provider's
/// return annotation uses. `None` for containers and factories.
fn transparent_arity(wrapper: &str) -> Option<usize> {
    match wrapper {
        "Optional"
        | "Annotated"
        | "Generator"
        | "AsyncGenerator"
        | "Iterator"
        | "AsyncIterator"
        | "Iterable"
        | "AsyncIterable"
        | "Awaitable"
        | "ContextManager"
        | "AsyncContextManager"
        | "AbstractContextManager"
        | "AbstractAsyncContextManager"
        | "Final"
        | "Required"
        | "NotRequired"
        | "ReadOnly"
        | "TypeAliasType" => Some(1),
        "Union" => Some(usize::MAX),
        // `Coroutine[Any, Any, X]`
        "Coroutine" => Some(3),
        _ => None,
    }
}

pub(super) fn is_plain_type(name: &str) -> bool {
    matches!(
        name.strip_prefix("typing.").unwrap_or(name),
        "int"
            | "str"
            | "float"
            | "bool"
            | "bytes"
            | "dict"
            | "list"
            | "set"
            | "tuple"
            | "None"
            | "Any"
            | "Optional"
            | "Annotated"
            | "Union"
            | "Literal"
            | "Dict"
            | "List"
            | "Set"
            | "Tuple"
            | "uuid"
            | "UUID"
            | "datetime"
    )
}

/// The provider in `Depends(provider)` / `Depends(dependency=provider)`.
pub(super) fn dependency_argument(call: Node<'_>, source: &str) -> Option<String> {
    let args = call.child_by_field_id(*fid::ARGUMENTS)?;
    let mut cursor = args.walk();
    for arg in args.named_children(&mut cursor) {
        match arg.kind_str() {
            "keyword_argument" => {
                let name = arg.child_by_field_id(*fid::NAME).map(|n| text(n, source));
                if name == Some("dependency") {
                    return dotted_name(arg.child_by_field_id(*fid::VALUE)?, source);
                }
            }
            "comment" => {}
            _ => return dotted_name(arg, source),
        }
    }
    None
}

/// `@router.get("/x")` -> ("router", "get").
pub(super) fn route_decorator(decorator: Node<'_>, source: &str) -> Option<(String, &'static str)> {
    let call = decorator.named_child(0)?;
    if call.kind_str() != "call" {
        return None;
    }
    let function = call.child_by_field_id(*fid::FUNCTION)?;
    if function.kind_str() != "attribute" {
        return None;
    }
    let method = text(function.child_by_field_id(*fid::ATTRIBUTE)?, source);
    let method = *fastapi::ROUTE_METHODS.iter().find(|m| **m == method)?;
    let receiver = dotted_name(function.child_by_field_id(*fid::OBJECT)?, source)?;
    Some((receiver, method))
}

pub(super) fn parameters(params: Node<'_>, source: &str, lines: &LineIndex) -> Vec<Param> {
    let mut out = Vec::new();
    let mut cursor = params.walk();
    for p in params.named_children(&mut cursor) {
        let (name_node, annotation, default) = match p.kind_str() {
            "identifier" => (Some(p), None, None),
            "typed_parameter" => (
                p.named_child(0).filter(|n| n.kind_str() == "identifier"),
                p.child_by_field_id(*fid::TYPE),
                None,
            ),
            "default_parameter" => (
                p.child_by_field_id(*fid::NAME),
                None,
                p.child_by_field_id(*fid::VALUE),
            ),
            "typed_default_parameter" => (
                p.child_by_field_id(*fid::NAME),
                p.child_by_field_id(*fid::TYPE),
                p.child_by_field_id(*fid::VALUE),
            ),
            _ => continue,
        };
        let Some(name_node) = name_node else {
            continue;
        };
        let annotation_digest = annotation.map(|a| digest(a, source)).unwrap_or_default();
        let default_providers = default
            .map(|d| digest(d, source).providers)
            .unwrap_or_default();
        // `id: int`: annotated with nothing that could be a session, no provider.
        if annotation.is_some()
            && annotation_digest.names.is_empty()
            && annotation_digest.providers.is_empty()
            && default_providers.is_empty()
        {
            continue;
        }
        out.push(Param {
            name: Name::new(text(name_node, source)),
            has_annotation: annotation.is_some(),
            annotation: annotation_digest,
            default_providers,
            spot: spot(p, source, lines),
        });
    }
    out
}
