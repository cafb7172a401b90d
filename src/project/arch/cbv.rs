//! Class-based views: the members of a class whose methods are routes,
//! seen as those routes' parameters.

use tree_sitter::Node;

use super::collect::spot;
use super::{digest, Name, Param};
use crate::diagnostic::LineIndex;
use crate::parse::NodeKind;
use crate::python::ast::text;
use crate::python::semantic::{BindingKind, ScopeKind, Semantic};

/// The dependency members of a class-based view (fastapi-utils `@cbv`,
/// controllers whose methods are routes), as parameters of the route method
/// `def_node` named `self.member`: class attributes `session: Session =
/// Depends(get_db)`, and `self.session = session` assigned from a parameter
/// of `__init__` with its annotation or `Depends(...)` default.
pub(super) fn class_members(
    def_node: Node<'_>,
    ancestors: &[Node<'_>],
    source: &str,
    lines: &LineIndex,
    semantic: &Semantic<'_>,
) -> Vec<Param> {
    let class = semantic.scope_of(ancestors, def_node);
    if semantic.scope(class).kind != ScopeKind::Class {
        return Vec::new();
    }
    let Some(receiver) = semantic
        .scope_for_node(def_node)
        .and_then(|m| semantic.scope(m).receiver)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for member in semantic.members(class) {
        if !matches!(member.kind, BindingKind::Assignment { .. }) {
            continue;
        }
        let (mut annotation, mut default) = (member.annotation(), member.value());
        // `self.session = session`: what `__init__`'s parameter says.
        if let Some(value) = default.filter(|v| member.instance && v.kind_str() == "identifier") {
            let scope = semantic.scope_containing(value.start_byte());
            match semantic
                .lookup(scope, text(value, source), value.start_byte())
                .map(|b| &b.kind)
            {
                Some(BindingKind::Parameter {
                    annotation: a,
                    default: d,
                }) => {
                    annotation = annotation.or(*a);
                    default = *d;
                }
                _ => continue,
            }
        }
        let digest_of = annotation.map(|a| digest(a, source)).unwrap_or_default();
        let providers = default
            .map(|d| digest(d, source).providers)
            .unwrap_or_default();
        if digest_of.names.is_empty() && digest_of.providers.is_empty() && providers.is_empty() {
            continue;
        }
        out.push(Param {
            name: Name::from(format!("{receiver}.{}", member.name)),
            has_annotation: annotation.is_some(),
            annotation: digest_of,
            default_providers: providers,
            spot: spot(member.name_node, source, lines),
        });
    }
    out
}
