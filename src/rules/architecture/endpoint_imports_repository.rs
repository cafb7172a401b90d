//! LAY001: an import that skips a closed layer — by default an endpoint
//! importing a repository instead of going through a service.

use crate::diagnostic::Severity;
use std::collections::HashMap;

use crate::project::layers::model;
use crate::project::FactSet;
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

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
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS.union(FactSet::ARCHITECTURE);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let (project, out) = (cx.project, &mut *cx.findings);
        let model = model::get(project);
        let layers = &project.options.layers.layers;
        // One finding per import statement, naming every name it brings in
        // across the closed layer, in the order the edges come.
        let mut statements: Vec<Statement<'_>> = Vec::new();
        let mut index: HashMap<(usize, usize), usize> = HashMap::new();
        for ranked in model.ranked_edges(layers) {
            let (edge, a, c) = (ranked.edge, ranked.from_rank, ranked.to_rank);
            if c < a + 2 {
                continue;
            }
            // The layer right above the target may not be skipped.
            let Some(closed) = layers.iter().find(|l| l.rank == Some(c - 1) && l.closed) else {
                continue;
            };
            match index.get(&(edge.from, edge.import)) {
                Some(&i) => statements[i].edges.push(edge),
                None => {
                    index.insert((edge.from, edge.import), statements.len());
                    statements.push(Statement {
                        edges: vec![edge],
                        from_layer: ranked.from_layer,
                        to_layer: ranked.to_layer,
                        closed: &closed.name,
                    });
                }
            }
        }
        for st in statements {
            let edge = st.edges[0];
            let to_layer = &layers[st.to_layer].name;
            let mut names: Vec<&str> = Vec::new();
            for e in &st.edges {
                if let Some(n) = e.name.as_deref() {
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
            }
            let same_module = st.edges.iter().all(|e| e.to == edge.to && e.name.is_some());
            let target = if names.len() > 1 && same_module {
                let shown: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                format!(
                    "{} from `{}` ({to_layer})",
                    shown.join(", "),
                    model::module_name(project, edge.to)
                )
            } else {
                let mut described = model::describe_target(project, edge, to_layer);
                let others: Vec<String> = st.edges[1..]
                    .iter()
                    .map(|e| match &e.name {
                        Some(n) => format!("`{n}`"),
                        None => format!("`{}`", model::module_name(project, e.to)),
                    })
                    .collect();
                if !others.is_empty() {
                    described.push_str(&format!(" and {}", others.join(", ")));
                }
                described
            };
            let message = format!(
                "`{}` ({}) imports {target}, bypassing the {} layer; go through a {} instead",
                model::module_name(project, edge.from),
                layers[st.from_layer].name,
                st.closed,
                st.closed,
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

/// An import statement's edges across a closed layer.
struct Statement<'m> {
    edges: Vec<&'m model::Edge>,
    from_layer: usize,
    to_layer: usize,
    closed: &'m str,
}
