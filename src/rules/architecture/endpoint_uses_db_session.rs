//! LAY002: a route handler that receives a database session, directly, through
//! `Depends(get_db)`-style providers or through a project-defined `Annotated`
//! alias (`SessionDep = Annotated[Session, Depends(get_db)]`), or that calls
//! session methods on a parameter.

use crate::diagnostic::Severity;
use crate::project::arch::Param;
use crate::project::layers::model;
use crate::project::{Project, ProjectFinding};
use crate::rules::{Family, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "LAY002",
    name: "endpoint-uses-db-session",
    family: Family::Architecture,
    severity: Severity::Blocker,
    fixable: false,
    summary: "A route handler receives a database session or runs queries on one",
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
    fn check(&self, project: &Project, out: &mut Vec<ProjectFinding>) {
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
                let Some(how) = session_source(project, file, param) else {
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
                let calls: Vec<&str> = handler
                    .param_calls
                    .iter()
                    .filter(|(p, _, _)| *p == param.name)
                    .map(|(_, m, _)| m.as_str())
                    .collect();
                let uses = match calls.first() {
                    Some(first) => format!(" and calls `{}.{first}(...)`", param.name),
                    None => String::new(),
                };
                out.push(model::finding(
                    META.code,
                    file,
                    &param.spot,
                    format!(
                        "route handler `{}` receives the database session `{}` ({how}){uses}; inject a service and keep queries out of endpoints",
                        handler.name, param.name
                    ),
                ));
            }
        }
    }
}

/// Why the parameter is a session, in words; `None` if it is not one.
fn session_source(project: &Project, file: usize, param: &Param) -> Option<String> {
    for name in &param.annotation.names {
        if model::is_session_alias(project, file, name, 0) {
            return Some(format!("`{name}` stands for a database session"));
        }
        if model::is_session_type(project, file, name, 0) {
            return Some(format!("annotated `{name}`"));
        }
    }
    param
        .annotation
        .providers
        .iter()
        .chain(&param.default_providers)
        .find(|p| model::is_session_provider(project, file, p, 0))
        .map(|p| format!("from `Depends({p})`"))
}
