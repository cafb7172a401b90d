//! LAY004: `HTTPException` raised below the endpoint layer.

use crate::diagnostic::Severity;
use crate::project::layers::model;
use crate::project::layers::{REPOSITORY, SERVICE};
use crate::project::{Project, ProjectFinding};
use crate::rules::{Family, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "LAY004",
    name: "http-exception-in-service",
    family: Family::Architecture,
    severity: Severity::Blocker,
    fixable: false,
    summary: "`HTTPException` raised in the service or repository layer",
    help: "raise a domain exception (e.g. `OrderNotFound`) and translate it to an HTTP response in the endpoint or an exception handler",
    doc: include_str!("../../../rules/LAY004.md"),
    security_severity: None,
};

const MAX_DEPTH: usize = 8;

#[derive(Default)]
pub struct HttpExceptionInService;

impl ProjectRule for HttpExceptionInService {
    fn check(&self, project: &Project, out: &mut Vec<ProjectFinding>) {
        let model = model::get(project);
        for file in 0..project.files.len() {
            let Some(layer) = model.layer_name(project, file) else {
                continue;
            };
            if layer != SERVICE && layer != REPOSITORY {
                continue;
            }
            let facts = &project.facts[file].arch;
            let imported = facts.imported_raises.iter().filter(|r| {
                let local = facts
                    .http_exception_classes
                    .iter()
                    .any(|(c, _)| *c == r.exception);
                if local {
                    return is_http_class(project, file, &r.exception, 0);
                }
                model::resolve_name(project, file, &r.exception, 0)
                    .is_some_and(|(t, name)| is_http_class(project, t, &name, 0))
            });
            for raise in facts.http_raises.iter().chain(imported) {
                out.push(model::finding(
                    META.code,
                    file,
                    &raise.spot,
                    format!(
                        "`{}` ({layer}) raises `{}`, an HTTP error; raise a domain exception and map it to a status code in the endpoint layer",
                        model::module_name(project, file),
                        raise.exception
                    ),
                ));
            }
        }
    }
}

/// Is `name`, defined in `file`, a subclass of `HTTPException`?
fn is_http_class(project: &Project, file: usize, name: &str, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let facts = &project.facts[file];
    let Some((_, bases)) = facts
        .arch
        .http_exception_classes
        .iter()
        .find(|(c, _)| c == name)
    else {
        return false;
    };
    bases.iter().any(|base| {
        if base == "HTTPException" && bases.len() == 1
            || crate::python::fastapi::is_http_exception(base, &facts.imports)
        {
            return true;
        }
        let local = facts
            .arch
            .http_exception_classes
            .iter()
            .any(|(c, _)| c == base);
        if local {
            return base != name && is_http_class(project, file, base, depth + 1);
        }
        model::resolve_name(project, file, base, 0)
            .is_some_and(|(t, n)| is_http_class(project, t, &n, depth + 1))
    })
}
