//! ERR001: the service or repository layer raises a generic builtin
//! exception (`raise Exception("not found")`) instead of a domain error.

use crate::diagnostic::Severity;
use crate::project::layers::model;
use crate::project::layers::{REPOSITORY, SERVICE};
use crate::project::FactSet;
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "ERR001",
    name: "generic-exception-in-service",
    family: Family::Errors,
    severity: Severity::Warning,
    fixable: false,
    summary: "The service or repository layer raises `Exception`/`BaseException` instead of a domain error",
    help: "raise a domain exception (`class OrderNotFound(DomainError)`) that callers can catch and the endpoint layer can map to a status code",
    doc: include_str!("../../../rules/ERR001.md"),
    security_severity: None,
};

#[derive(Default)]
pub struct GenericExceptionInService;

impl ProjectRule for GenericExceptionInService {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS.union(FactSet::ARCHITECTURE);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let (project, out) = (cx.project, &mut *cx.findings);
        let model = model::get(project);
        let generic = &cx.options.errors.generic_exceptions;
        for file in 0..project.files.len() {
            let Some(layer) = model.layer_name(project, file) else {
                continue;
            };
            if layer != SERVICE && layer != REPOSITORY {
                continue;
            }
            let facts = &project.facts[file].arch;
            for raise in &facts.builtin_raises {
                if !generic.iter().any(|g| *g == raise.exception) {
                    continue;
                }
                out.push(model::finding(
                    META.code,
                    file,
                    &raise.spot,
                    format!(
                        "`{}` ({layer}) raises the generic `{}`; callers can only catch it with `except {}`, which also catches every bug: raise a domain exception",
                        model::module_name(project, file),
                        raise.exception,
                        raise.exception,
                    ),
                ));
            }
        }
    }
}
