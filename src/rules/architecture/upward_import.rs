//! LAY003: a lower layer importing a higher one.

use crate::diagnostic::Severity;
use crate::project::layers::model::{self, Seen};
use crate::project::{Project, ProjectFinding};
use crate::rules::{Family, ProjectRule, RuleMeta};

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
    fn check(&self, project: &Project, out: &mut Vec<ProjectFinding>) {
        let model = model::get(project);
        let layers = &project.options.layers.layers;
        let mut seen = Seen::default();
        for model::RankedEdge {
            edge,
            from_layer,
            to_layer,
            from_rank: a,
            to_rank: c,
        } in model.ranked_edges(layers)
        {
            if c >= a || !seen.first(edge.from, edge.import, 0) {
                continue;
            }
            let message = format!(
                "`{}` ({}) imports {}, a higher layer; {} code must not depend on {} code",
                model::module_name(project, edge.from),
                layers[from_layer].name,
                model::describe_target(project, edge, &layers[to_layer].name),
                layers[from_layer].name,
                layers[to_layer].name,
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
