//! LAY005: a route handler doing a service's work: loops, query building, or
//! simply too many statements.

use crate::diagnostic::Severity;
use crate::project::layers::model;
use crate::project::{Project, ProjectFinding};
use crate::rules::{Family, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "LAY005",
    name: "business-logic-in-endpoint",
    family: Family::Architecture,
    severity: Severity::Warning,
    fixable: false,
    summary: "A route handler contains a loop, builds a query or is longer than `max-handler-statements`",
    help: "move the logic into a service method and keep the handler to parsing input, calling the service and shaping the response",
    doc: include_str!("../../../rules/LAY005.md"),
    security_severity: None,
};

#[derive(Default)]
pub struct BusinessLogicInEndpoint;

impl ProjectRule for BusinessLogicInEndpoint {
    fn check(&self, project: &Project, out: &mut Vec<ProjectFinding>) {
        let model = model::get(project);
        let max = project.options.layers.max_handler_statements;
        for (file, handler) in model.route_handlers(project) {
            let mut reasons = Vec::new();
            if let Some(first) = handler.loops.first() {
                reasons.push(format!("a loop (line {})", first.line));
            }
            if let Some((call, pos)) = handler.queries.first() {
                let call = call.strip_prefix('.').unwrap_or(call);
                reasons.push(format!("builds a query (`{call}(` on line {})", pos.line));
            }
            if handler.statements > max {
                reasons.push(format!("{} statements (max {max})", handler.statements));
            }
            if reasons.is_empty() {
                continue;
            }
            out.push(model::finding(
                META.code,
                file,
                &handler.spot,
                format!(
                    "route handler `{}` does work a service should do: {}; move it into a service",
                    handler.name,
                    reasons.join(", ")
                ),
            ));
        }
    }
}
