//! LAY003: a lower layer importing a higher one.

use crate::diagnostic::Severity;
use crate::project::layers::model::{self, Seen};
use crate::project::symbols::{NameRef, Question};
use crate::project::{FactSet, Project};
use crate::python::name::Name;
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "LAY003",
    name: "upward-import",
    family: Family::Architecture,
    severity: Severity::Blocker,
    fixable: false,
    summary: "A lower layer imports a higher one (repository -> service, model -> repository, service -> endpoint, ...)",
    help: "move what both need into the lower layer, or pass it in from above; lower layers must not know higher ones",
    doc: include_str!("../../../rules/LAY003.md"),
    security_severity: None,
};

#[derive(Default)]
pub struct UpwardImport;

impl ProjectRule for UpwardImport {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS
        .union(FactSet::ARCHITECTURE)
        .union(FactSet::SYMBOLS);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let (project, out) = (cx.project, &mut *cx.findings);
        let model = model::get(project);
        let layers = &project.options.layers.layers;
        let mut seen = Seen::default();
        for ranked in model.ranked_edges(layers) {
            let (edge, a, c) = (ranked.edge, ranked.from_rank, ranked.to_rank);
            if c >= a || type_only(project, edge) || !seen.first(edge.from, edge.import, 0) {
                continue;
            }
            let message = format!(
                "`{}` ({}) imports {}, a higher layer; {} code must not depend on {} code",
                model::module_name(project, edge.from),
                layers[ranked.from_layer].name,
                model::describe_target(project, edge, &layers[ranked.to_layer].name),
                layers[ranked.from_layer].name,
                layers[ranked.to_layer].name,
            );
            out.push(model::finding(
                META.code,
                edge.from,
                &model::import_spot(project, edge.from, edge.import),
                message,
            ));
        }
    }
}

/// Bases of classes that only describe data: an enum, a `TypedDict`, a
/// `NamedTuple` or a `Protocol` imported from a higher layer carries no
/// behaviour of that layer (fief's models use the ACR enum of its services).
const TYPE_BASES: &[&str] = &[
    "enum.Enum",
    "enum.IntEnum",
    "enum.StrEnum",
    "enum.Flag",
    "enum.IntFlag",
    "typing.TypedDict",
    "typing_extensions.TypedDict",
    "typing.NamedTuple",
    "typing.Protocol",
    "typing_extensions.Protocol",
];

/// `from higher import Name` where `Name` is a project class deriving from
/// one of [`TYPE_BASES`] (across modules and re-exports).
fn type_only(project: &Project<'_>, edge: &model::Edge) -> bool {
    let Some(name) = &edge.name else {
        return false;
    };
    let Some(module) = project.modules.modules.get(edge.defined_in) else {
        return false;
    };
    Question::DerivesFrom {
        or_foreign: false,
        class: NameRef {
            written: Name::new(name),
            qualified: Some(Name::from(format!("{}.{name}", module.primary()))),
        },
        bases: TYPE_BASES.iter().map(|b| (*b).to_owned()).collect(),
    }
    .holds(project, edge.from)
}
