//! ASY001: a route handler defined with `def` instead of `async def`.

use crate::diagnostic::Severity;
use crate::project::layers::model;
use crate::project::{Project, ProjectFinding};
use crate::rules::{Family, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "ASY001",
    name: "sync-route-handler",
    family: Family::Async,
    severity: Severity::Warning,
    fixable: false,
    summary: "A FastAPI route handler defined with `def` instead of `async def`",
    help: "declare the handler `async def` and await async clients; keep blocking work out of it",
    doc: include_str!("../../../rules/ASY001.md"),
    security_severity: None,
};

#[derive(Default)]
pub struct SyncRouteHandler;

impl ProjectRule for SyncRouteHandler {
    fn check(&self, project: &Project, out: &mut Vec<ProjectFinding>) {
        let model = model::get(project);
        for (file, handler) in model.route_handlers(project) {
            if handler.is_async {
                continue;
            }
            let (receiver, method) = model::route_of(project, file, handler);
            out.push(model::finding(
                META.code,
                file,
                &handler.spot,
                format!(
                    "route handler `{}` (`@{receiver}.{method}`) is a plain `def`, so FastAPI runs it on a worker thread; make it `async def`",
                    handler.name
                ),
            ));
        }
    }
}
