//! LAY007: a route handler that receives a database session and only hands
//! it on (to a service, a repository function, a helper). Querying it in the
//! handler is LAY002's.

use crate::diagnostic::Severity;
use crate::project::layers::model;
use crate::project::FactSet;
use crate::python::name::Name;
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "LAY007",
    name: "session-passthrough",
    family: Family::Architecture,
    severity: Severity::Warning,
    fixable: false,
    summary: "A route handler receives a database session only to pass it on to other code",
    help: "depend on a service (`Depends(get_item_service)`) whose provider receives the session",
    doc: include_str!("../../../rules/LAY007.md"),
    security_severity: None,
};

#[derive(Default)]
pub struct SessionPassthrough;

impl ProjectRule for SessionPassthrough {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS.union(FactSet::ARCHITECTURE);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let (project, out) = (cx.project, &mut *cx.findings);
        let model = model::get(project);
        for (file, handler) in model.route_handlers(project) {
            for param in &handler.params {
                if handler.param_calls.iter().any(|(p, _, _)| *p == param.name) {
                    continue;
                }
                let Some(how) = model::session_parameter(project, file, param) else {
                    continue;
                };
                let passes: Vec<&Option<Name>> = handler
                    .param_passes
                    .iter()
                    .filter(|(p, _, _)| *p == param.name)
                    .map(|(_, callee, _)| callee)
                    .collect();
                if passes.iter().any(|callee| {
                    callee
                        .as_deref()
                        .is_some_and(|c| model::is_repository_class(project, file, c))
                }) {
                    // Building a repository in the handler: LAY002.
                    continue;
                }
                let what = match passes.first() {
                    Some(Some(callee)) if passes.len() == 1 => {
                        format!("only passes it on to `{callee}(...)`")
                    }
                    Some(Some(callee)) => format!(
                        "only passes it on ({} calls, the first `{callee}(...)`)",
                        passes.len()
                    ),
                    Some(None) => "only passes it on to other calls".to_owned(),
                    None => "does not use it".to_owned(),
                };
                out.push(model::finding(
                    META.code,
                    file,
                    &param.spot,
                    format!(
                        "route handler `{}` receives the database session `{}` ({how}) and {what}; depend on a service that owns the session instead",
                        handler.name, param.name
                    ),
                ));
            }
        }
    }
}
