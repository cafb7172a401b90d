//! API001: with `[tool.fortress.api] envelope` set, every route declares the
//! envelope as its response type and every `return` builds it.

use crate::diagnostic::Severity;
use crate::project::symbols::{self, ClassId, NameRef, ReturnShape};
use crate::project::{FactSet, Project, ProjectFinding};
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "API001",
    name: "response-envelope",
    family: Family::Api,
    severity: Severity::Warning,
    fixable: false,
    summary: "A route does not declare or build the configured response envelope",
    help: "declare `response_model=Envelope[...]` (or `-> Envelope[...]`) and return `Envelope(...)`, or a dict with exactly its keys",
    doc: include_str!("../../../rules/API001.md"),
    security_severity: None,
};

#[derive(Default)]
pub struct ResponseEnvelope;

/// The configured envelope, as the project knows it.
struct Envelope<'e> {
    qualified: &'e str,
    /// `Envelope` for `app.schemas.common.Envelope`.
    short: &'e str,
    /// The project class, when it is one.
    class: Option<ClassId>,
    /// Its serialised fields (with those of its project bases), sorted;
    /// empty when the class is not in the project.
    fields: Vec<String>,
}

impl Envelope<'_> {
    /// Does `name`, used in `file`, stand for the envelope or a project
    /// class derived from it?
    fn is(&self, project: &Project<'_>, file: usize, name: &NameRef) -> bool {
        if symbols::qualified_name(project, file, name).as_deref() == Some(self.qualified) {
            return true;
        }
        let Some(target) = self.class else {
            return false;
        };
        let table = project.symbols();
        table
            .resolve(project, file, name)
            .is_some_and(|id| table.derives_from(project, id, target))
    }
}

impl ProjectRule for ResponseEnvelope {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS.union(FactSet::SYMBOLS);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let Some(qualified) = cx.options.api.envelope.as_deref() else {
            return;
        };
        let project = cx.project;
        let table = project.symbols();
        let class = table.class_named(project, qualified);
        let mut fields = class
            .map(|id| table.serialised_fields(project, id))
            .unwrap_or_default();
        fields.sort();
        let envelope = Envelope {
            qualified,
            short: qualified.rsplit('.').next().unwrap_or(qualified),
            class,
            fields,
        };
        for file in 0..project.files.len() {
            if project.files[file].is_test || project.is_migration(file) {
                continue;
            }
            for route in &project.facts[file].symbols.responses {
                if route.raw
                    || route
                        .head
                        .as_ref()
                        .is_some_and(|h| is_response_class(project, file, h))
                {
                    continue;
                }
                check_route(project, file, route, &envelope, cx.findings);
            }
        }
    }
}

fn check_route(
    project: &Project<'_>,
    file: usize,
    route: &symbols::ResponseUse,
    envelope: &Envelope<'_>,
    out: &mut Vec<ProjectFinding>,
) {
    let short = envelope.short;
    let message = match &route.head {
        None if !route.declared => Some(format!(
            "route declares no response type; declare `response_model={short}[...]` so every response has the envelope's shape"
        )),
        None => Some(format!(
            "route's response type is not `{short}` (or a subscript of it)"
        )),
        Some(head) if !envelope.is(project, file, head) => Some(format!(
            "route responds with `{}`, not the envelope `{short}`; declare `response_model={short}[{}]`",
            head.written, head.written
        )),
        Some(_) => None,
    };
    if let Some(message) = message {
        out.push(finding(file, &route.spot, message));
    }
    let table = project.symbols();
    for ret in &route.returns {
        let message = match &ret.shape {
            ReturnShape::Call(name) => {
                // Only a project class that is not the envelope is known to
                // be wrong; a helper function may well build it.
                let other_class = !envelope.is(project, file, name)
                    && table.resolve(project, file, name).is_some();
                other_class.then(|| {
                    format!(
                        "returns `{}(...)`, not the envelope `{short}`: wrap it (`{short}(data=...)`)",
                        name.written
                    )
                })
            }
            ReturnShape::Dict { keys, complete } => {
                let mut sorted: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                sorted.sort();
                sorted.dedup();
                let judged = *complete && !envelope.fields.is_empty();
                (judged && sorted != envelope.fields).then(|| {
                    format!(
                        "returns a dict with keys {}, not the envelope `{short}`'s {}",
                        list(&sorted),
                        list(&envelope.fields)
                    )
                })
            }
            ReturnShape::Literal(kind) => Some(format!(
                "returns a bare {kind}, not the envelope `{short}`: wrap it (`{short}(data=...)`)"
            )),
        };
        if let Some(message) = message {
            out.push(finding(file, &ret.spot, message));
        }
    }
}

/// `Response`, `JSONResponse`, `StreamingResponse`, ... from FastAPI or
/// Starlette: the route sends its own response, no model.
fn is_response_class(project: &Project<'_>, file: usize, head: &NameRef) -> bool {
    let Some(q) = symbols::qualified_name(project, file, head) else {
        return false;
    };
    (q.starts_with("fastapi.") || q.starts_with("starlette."))
        && q.rsplit('.')
            .next()
            .is_some_and(|last| last.ends_with("Response"))
}

fn list(keys: &[String]) -> String {
    if keys.is_empty() {
        return "{}".to_owned();
    }
    let quoted: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    format!("{{{}}}", quoted.join(", "))
}

fn finding(file: usize, spot: &crate::project::arch::Spot, message: String) -> ProjectFinding {
    ProjectFinding {
        code: META.code,
        file,
        span: spot.span(),
        start: spot.start,
        end: spot.end,
        message,
    }
}
