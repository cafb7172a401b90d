//! ASY001: a route handler defined with `def` instead of `async def`.

use crate::diagnostic::Severity;
use crate::project::layers::model;
use crate::project::FactSet;
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "ASY001",
    name: "sync-route-handler",
    family: Family::Async,
    severity: Severity::Warning,
    fixable: false,
    summary: "A FastAPI route handler that does no blocking work, defined with `def` instead of `async def`",
    help: "declare the handler `async def`; handlers that call synchronous sessions or clients stay `def`",
    doc: include_str!("../../../rules/ASY001.md"),
    security_severity: None,
};

#[derive(Default)]
pub struct SyncRouteHandler;

impl ProjectRule for SyncRouteHandler {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS.union(FactSet::ARCHITECTURE);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let (project, out) = (cx.project, &mut *cx.findings);
        let model = model::get(project);
        for (file, handler) in model.route_handlers(project) {
            if handler.is_async {
                continue;
            }
            // FastAPI runs a `def` handler on a worker thread: right when it
            // does blocking work (a synchronous session, a service or client
            // call we cannot see into). Only a handler that provably does none
            // is better as `async def`.
            if !handler.opened_sessions.is_empty() || !handler.param_calls.is_empty() {
                continue;
            }
            let session_param = handler.params.iter().any(|p| {
                p.annotation.names.iter().any(|n| {
                    model::is_session_alias(project, file, n, 0)
                        || model::is_session_type(project, file, n, 0)
                }) || p
                    .annotation
                    .providers
                    .iter()
                    .chain(&p.default_providers)
                    .any(|d| model::is_session_provider(project, file, d, 0))
            });
            if session_param {
                continue;
            }
            if handler.may_block {
                continue;
            }
            let (receiver, method) = model::route_of(project, file, handler);
            out.push(model::finding(
                META.code,
                file,
                &handler.spot,
                format!(
                    "route handler `{}` (`@{receiver}.{method}`) does no blocking work, yet as a plain `def` FastAPI hands every request to a worker thread; make it `async def`",
                    handler.name
                ),
            ));
        }
    }
}
