//! LAY001: an import that skips a closed layer — by default an endpoint
//! importing a repository instead of going through a service.

use crate::diagnostic::Severity;
use crate::project::layers::model::{self, Seen};
use crate::project::{Project, ProjectFinding};
use crate::rules::{Family, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "LAY001",
    name: "endpoint-imports-repository",
    family: Family::Architecture,
    severity: Severity::Blocker,
    fixable: false,
    summary: "An endpoint imports a repository (or a name from one), bypassing the service layer",
    help: "call a service that owns the data access instead of importing the repository in the endpoint",
    doc: include_str!("../../../rules/LAY001.md"),
    security_severity: None,
};

#[derive(Default)]
pub struct EndpointImportsRepository;

impl ProjectRule for EndpointImportsRepository {
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
            if c < a + 2 {
                continue;
            }
            // The layer right above the target may not be skipped.
            let Some(closed) = layers.iter().find(|l| l.rank == Some(c - 1) && l.closed) else {
                continue;
            };
            if !seen.first(edge.from, edge.import, 0) {
                continue;
            }
            let message = format!(
                "`{}` ({}) imports {}, bypassing the {} layer; go through a {} instead",
                model::module_name(project, edge.from),
                layers[from_layer].name,
                model::describe_target(project, edge, &layers[to_layer].name),
                closed.name,
                closed.name,
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
