//! LAY002: a route handler that receives a database session, directly, through
//! `Depends(get_db)`-style providers or through a project-defined `Annotated`
//! alias (`SessionDep = Annotated[Session, Depends(get_db)]`), or that calls
//! session methods on a parameter.

use crate::diagnostic::Severity;
use crate::project::layers::model;
use crate::project::FactSet;
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "LAY002",
    name: "endpoint-uses-db-session",
    family: Family::Architecture,
    severity: Severity::Blocker,
    fixable: false,
    summary: "A route handler runs queries on a database session (or builds its own repository from one)",
    help: "inject a service (or repository) through `Depends` and let it own the session and the queries",
    doc: include_str!("../../../rules/LAY002.md"),
    security_severity: None,
};

/// Methods that only a database handle is likely to have; used for
/// parameters whose type is not written down.
const TELLING_METHODS: &[&str] = &[
    "execute", "exec", "scalars", "scalar", "commit", "refresh", "query", "flush", "rollback",
];

#[derive(Default)]
pub struct EndpointUsesDbSession;

impl ProjectRule for EndpointUsesDbSession {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS.union(FactSet::ARCHITECTURE);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let (project, out) = (cx.project, &mut *cx.findings);
        let model = model::get(project);
        for (file, handler) in model.route_handlers(project) {
            for (name, opener, spot) in &handler.opened_sessions {
                let Some((_, method, _)) = handler.param_calls.iter().find(|(p, _, _)| p == name)
                else {
                    continue;
                };
                out.push(model::finding(
                    META.code,
                    file,
                    spot,
                    format!(
                        "route handler `{}` opens a database session (`{opener}(...)`) and calls `{name}.{method}(...)` on it; move the queries into a service or repository",
                        handler.name
                    ),
                ));
            }
            for param in &handler.params {
                let Some(how) = model::session_parameter(project, file, param) else {
                    let telling = (!param.has_annotation)
                        .then(|| {
                            handler.param_calls.iter().find(|(p, m, _)| {
                                *p == param.name && TELLING_METHODS.contains(&m.as_str())
                            })
                        })
                        .flatten();
                    if let Some((_, method, pos)) = telling {
                        out.push(model::finding(
                            META.code,
                            file,
                            &param.spot,
                            format!(
                                "route handler `{}` runs `{}.{method}(...)` (line {}) on a database handle it receives; move the query into a service or repository",
                                handler.name, param.name, pos.line
                            ),
                        ));
                    }
                    continue;
                };
                // Only passing the session on is LAY007's (a warning): here the
                // handler queries it, or builds its own repository from it.
                let call = handler
                    .param_calls
                    .iter()
                    .find(|(p, _, _)| *p == param.name);
                let what = match call {
                    Some((_, method, pos)) => {
                        format!("calls `{}.{method}(...)` (line {})", param.name, pos.line)
                    }
                    None => {
                        let Some((_, Some(repository), pos)) =
                            handler.param_passes.iter().find(|(p, callee, _)| {
                                *p == param.name
                                    && callee.as_deref().is_some_and(|c| {
                                        model::is_repository_class(project, file, c)
                                    })
                            })
                        else {
                            continue;
                        };
                        format!("builds `{repository}` from it (line {})", pos.line)
                    }
                };
                out.push(model::finding(
                    META.code,
                    file,
                    &param.spot,
                    format!(
                        "route handler `{}` receives the database session `{}` ({how}) and {what}; inject a service and keep queries out of endpoints",
                        handler.name, param.name
                    ),
                ));
            }
        }
    }
}
